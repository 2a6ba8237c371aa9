"""Log and rational price terms: a crowd-averse ("beach bar") game with the reward
−c·log(μ(x) + ε) through per-state aggregates, a rational price 1/(1 + z), their domain
checks, serialisation, and the methods that must refuse them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe.game.serialize import game_from_dict, game_to_dict

AGREE = smfe.AgreeTolerances(nu=1e-6, policy=1e-6)


def beach_bar(n: int = 7, c: float = 1.0, eps: float = 1e-3, sign: float = 1.0) -> smfe.Game:
    """States on a line, actions left/stay/right, a bar in the middle; every state's mass is
    an aggregate z_x = μ(x) whose price c·log(z_x + ε) the followers there pay."""
    bar = n // 2
    mask = np.ones((n, 3), bool)
    mask[0, 0] = mask[-1, 2] = False
    P = np.zeros((n, 3, n))
    for x in range(n):
        for a, step in enumerate((-1, 0, 1)):
            if mask[x, a]:
                P[x, a, x + step] = 1.0
    reward = -np.abs(np.arange(n) - bar)[:, None] / n - 0.05 * (np.arange(3) != 1)[None, :]
    onehot = np.zeros((n, n, 3))
    onehot[np.arange(n), np.arange(n), :] = 1.0
    follower = smfe.FollowerType(
        name="bather",
        share=1.0,
        mask=mask,
        reward=reward,
        transition=P,
        aggregate=sign * onehot,
        exposure=-onehot,
    )
    return smfe.Game(
        types=(follower,),
        horizon=smfe.Stationary(0.9),
        tau=0.3,
        decision=smfe.Decision(lower=np.zeros(0), upper=np.zeros(0)),
        prices=tuple(smfe.Price(log=((c, eps),), name=f"mu[{x}]") for x in range(n)),
        name="beach-bar",
    )


def test_crowd_aversion_is_monotone_and_every_route_finds_the_same_mfe() -> None:
    game = beach_bar()
    assert all(p.monotone for p in game.prices)
    it = smfe.solve(game, "mfe")
    assert it.status.ok
    for backend in ("pyomo", "casadi", "callbacks"):
        f1 = smfe.solve(game, "soft-nlp", {"fix_theta": True, "backend": backend})
        assert f1.status.ok, backend
        assert smfe.agree([it, f1], AGREE), backend
    mu = np.asarray(it.mu[0]).ravel()
    assert mu.argmax() == 3 and mu.min() > 0.01  # crowded at the bar, spread by aversion


def test_a_rational_price_solves_and_agrees() -> None:
    garnet = smfe.make_instance("garnet", n_states=8, n_actions=3, n_types=1, n_zones=2)
    game = dataclasses.replace(
        garnet, prices=tuple(smfe.Price(rational=((-1.0, 1.0),)) for _ in garnet.prices)
    )
    it = smfe.solve(game, "mfe")
    f1 = smfe.solve(game, "soft-nlp", {"fix_theta": True, "backend": "callbacks"})
    assert it.status.ok and f1.status.ok
    assert smfe.agree([it, f1], AGREE)


def test_a_term_undefined_at_a_reachable_aggregate_is_refused() -> None:
    with pytest.raises(smfe.InstanceError, match=r"prices\[0\]\.log\[0\]"):
        beach_bar(eps=0.5, sign=-1.0)  # z = −μ(x) reaches −1 < −ε


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"log": ((1.0, 0.0),)}, "ε > 0"),
        ({"log": (("a", 1.0),)}, r"prices\.log\[0\]"),
        ({"log": 5}, "list of"),
        ({"rational": ((1.0,),)}, "pairs"),
        ({"rational": ((float("nan"), 1.0),)}, "finite"),
    ],
)
def test_bad_terms_are_typed_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(smfe.InstanceError, match=match):
        smfe.Price(**kwargs)  # type: ignore[arg-type]


def test_terms_survive_json_and_the_milp_refuses_them() -> None:
    game = beach_bar(n=5)
    again = game_from_dict(game_to_dict(game))
    assert again.prices == game.prices
    from smfe.formulations.milp import check_milp

    with pytest.raises(smfe.FormulationError, match="log or rational"):
        check_milp(game)
