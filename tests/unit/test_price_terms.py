"""Log, rational, power and exp price terms: a crowd-averse ("beach bar") game with the
reward −c·log(μ(x) + ε) through per-state aggregates, a rational price 1/(1 + z), power and
exponential prices, their derivatives, domain checks, serialisation, and the methods that
must refuse them."""

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
        ({"power": ((1.0, 1.0),)}, "triples"),
        ({"exp": ((1.0, 2.0, 3.0),)}, "pairs"),
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

    with pytest.raises(smfe.FormulationError, match="log, rational, power or exp"):
        check_milp(game)


ALL_TERMS = smfe.Price(
    intercept=0.5,
    slope=-0.2,
    log=((0.3, 0.5),),
    rational=((-1.0, 1.0),),
    power=((2.0, 0.5, -0.7), (0.4, 1.0, 1.5)),
    exp=((0.1, 0.8),),
)


def test_values_and_derivatives_of_every_term_agree_with_evaluate_and_differences() -> None:
    z = np.linspace(0.0, 3.0, 31)
    v, dv = ALL_TERMS.value_and_slope(z)
    np.testing.assert_allclose(ALL_TERMS.evaluate(z), v, rtol=1e-14)
    h = 1e-6
    fd = (ALL_TERMS.value_and_slope(z + h)[0] - ALL_TERMS.value_and_slope(z - h)[0]) / (2 * h)
    np.testing.assert_allclose(dv, fd, rtol=1e-7, atol=1e-8)
    fd2 = (ALL_TERMS.value_and_slope(z + h)[1] - ALL_TERMS.value_and_slope(z - h)[1]) / (2 * h)
    np.testing.assert_allclose(ALL_TERMS.second_derivative(z), fd2, rtol=1e-6, atol=1e-7)
    lo, hi = ALL_TERMS.term_range(0.0, 3.0)
    terms = v - 0.5 + 0.2 * z
    assert lo <= terms.min() + 1e-12 and terms.max() <= hi + 1e-12


def test_monotonicity_of_power_and_exp_terms() -> None:
    assert smfe.Price(power=((2.0, 1.0, 0.5),), exp=((1.0, 0.3),)).monotone
    assert smfe.Price(power=((1.0, 1.0, -0.5),), exp=((-1.0, 0.3),)).antitone
    assert not smfe.Price(power=((1.0, 1.0, -0.5),)).monotone


def test_power_and_exp_prices_solve_agree_and_survive_json() -> None:
    garnet = smfe.make_instance("garnet", n_states=8, n_actions=3, n_types=1, n_zones=2)
    prices = (
        smfe.Price(power=((1.0, 0.5, -0.5),), name="power"),
        smfe.Price(slope=0.1, exp=((0.2, 1.5),), name="exp"),
    )
    game = dataclasses.replace(garnet, prices=prices[: len(garnet.prices)])
    assert game_from_dict(game_to_dict(game)).prices == game.prices
    it = smfe.solve(game, "mfe")
    assert it.status.ok
    for backend in ("pyomo", "casadi", "callbacks"):
        f1 = smfe.solve(game, "soft-nlp", {"fix_theta": True, "backend": backend})
        assert f1.status.ok, backend
        assert smfe.agree([it, f1], AGREE), backend


@pytest.mark.parametrize(
    ("price", "field"),
    [
        (smfe.Price(power=((1.0, -2.0, 2.0),)), r"prices\[0\]\.power\[0\]"),
        (smfe.Price(exp=((1.0, 400.0),)), r"prices\[0\]\.exp\[0\]"),
    ],
)
def test_a_power_or_exp_term_out_of_its_range_is_refused(price: smfe.Price, field: str) -> None:
    garnet = smfe.make_instance("garnet", n_states=6, n_actions=2, n_types=1, n_zones=1)
    with pytest.raises(smfe.InstanceError, match=field):
        dataclasses.replace(garnet, prices=(price,))
