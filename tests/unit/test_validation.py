"""Every validation path raises InstanceError naming the field (and index where one exists)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import smfe
from smfe import Decision, FiniteHorizon, FollowerType, Game, InstanceError, Stationary


def _type(**kw: Any) -> FollowerType:
    S, A = 2, 2
    P = np.zeros((S, A, S))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = 1.0
    args: dict[str, Any] = dict(
        name="t", share=1.0, mask=np.ones((S, A), bool), reward=np.zeros((S, A)), transition=P
    )
    args.update(kw)
    return FollowerType(**args)


def _game(**kw: Any) -> Game:
    args: dict[str, Any] = dict(
        types=(_type(),),
        horizon=Stationary(0.9),
        tau=0.1,
        decision=Decision(lower=[0.0], upper=[1.0]),
    )
    args.update(kw)
    return Game(**args)


def test_valid_game_builds() -> None:
    g = _game()
    assert g.n_state_actions == 4 and g.n_theta == 1


@pytest.mark.parametrize(
    ("kw", "field", "index"),
    [
        ({"reward": np.zeros((3, 2))}, "types[t].reward", None),
        ({"reward": np.array([[0.0, np.nan], [0.0, 0.0]])}, "types[t].reward", (0, 1)),
        ({"reward": np.array([[0.0, np.inf], [0.0, 0.0]])}, "types[t].reward", (0, 1)),
        ({"mask": np.array([[True, True], [False, False]])}, "types[t].mask", 1),
        ({"share": -0.5}, "types[t].share", None),
        ({"share": float("nan")}, "types[t].share", None),
        ({"init": [0.5, 0.6]}, "types[t].init", None),
        ({"init": [1.5, -0.5]}, "types[t].init", 1),
        ({"transition": np.zeros((2, 2, 3))}, "types[t].transition", None),
    ],
)
def test_bad_follower_type(kw: dict[str, Any], field: str, index: object) -> None:
    with pytest.raises(InstanceError) as err:
        _type(**kw)
    assert err.value.field == field
    assert err.value.index == index


def test_rows_not_summing_to_one_name_state_and_action() -> None:
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0
    P[1, 1, :] = [0.5, 0.4]
    P[0, 1, 1] = 1.0
    with pytest.raises(InstanceError) as err:
        _type(transition=P)
    assert err.value.field == "types[t].transition"
    assert err.value.index == (1, 1)
    assert "0.9" in str(err.value)


def test_negative_probability_is_named() -> None:
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = 1.0
    P[0, 1, :] = [-0.5, 1.5]
    with pytest.raises(InstanceError, match="negative probability") as err:
        _type(transition=P)
    assert err.value.index == (0, 1, 0)


def test_masked_rows_need_not_be_stochastic() -> None:
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0  # action 1 masked everywhere: its rows are left empty
    t = _type(transition=P, mask=np.array([[True, False], [True, False]]))
    assert t.mask.sum() == 2


def test_rows_are_not_renormalised_silently() -> None:
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0 + 1e-6
    P[:, 1, 1] = 1.0
    with pytest.raises(InstanceError):
        _type(transition=P)


@pytest.mark.parametrize("gamma", [-0.1, 1.0, 1.5, float("nan")])
def test_stationary_gamma_range(gamma: float) -> None:
    with pytest.raises(InstanceError) as err:
        Stationary(gamma)
    assert err.value.field == "horizon.gamma"


def test_finite_horizon_checks() -> None:
    with pytest.raises(InstanceError, match=r"horizon\.T"):
        FiniteHorizon(0)
    with pytest.raises(InstanceError, match=r"horizon\.gamma"):
        FiniteHorizon(3, 1.2)
    with pytest.raises(InstanceError, match="init"):
        _game(horizon=FiniteHorizon(3))


@pytest.mark.parametrize("tau", [-1.0, float("nan"), float("inf")])
def test_tau_range(tau: float) -> None:
    with pytest.raises(InstanceError) as err:
        _game(tau=tau)
    assert err.value.field == "tau"


def test_shares_must_sum_to_one() -> None:
    with pytest.raises(InstanceError, match="sum to"):
        _game(types=(_type(name="a", share=0.5), _type(name="b", share=0.4)))


def test_duplicate_type_names() -> None:
    with pytest.raises(InstanceError, match="unique"):
        _game(types=(_type(name="a", share=0.5), _type(name="a", share=0.5)))


def test_decision_checks() -> None:
    with pytest.raises(InstanceError) as err:
        Decision(lower=[0.0, 2.0], upper=[1.0, 1.0])
    assert err.value.field == "decision.lower" and err.value.index == 1
    with pytest.raises(InstanceError, match=r"decision\.start"):
        Decision(lower=[0.0], upper=[1.0], start=[2.0])
    with pytest.raises(InstanceError, match="together"):
        Decision(lower=[0.0], upper=[1.0], A_eq=[[1.0]])


def test_dimension_mismatch_of_coefficients() -> None:
    with pytest.raises(InstanceError, match="reward_theta"):
        _game(types=(_type(reward_theta=np.zeros((2, 2, 2))),))


def test_theta_dependent_transitions_must_stay_stochastic_on_the_decision_set() -> None:
    # P(θ) = P0 + θ·Pj with Pj rows summing to 1: row sums move with θ in a box.
    Pj = np.zeros((2, 2, 2))
    Pj[0, 0, 0] = 1.0
    with pytest.raises(InstanceError) as err:
        _game(
            types=(_type(transition_theta=(Pj,)),),
            decision=Decision(lower=[0.0], upper=[1.0], start=[0.0]),
        )
    assert "types[t].transition" in err.value.field


def test_inputs_are_copied_and_frozen() -> None:
    r = np.zeros((2, 2))
    t = _type(reward=r)
    r[0, 0] = 5.0
    assert t.reward[0, 0] == 0.0
    with pytest.raises(ValueError):
        t.reward[0, 0] = 1.0


def test_unknown_instance_and_override() -> None:
    with pytest.raises(InstanceError, match="unknown instance"):
        smfe.make_instance("nope")
    with pytest.raises(InstanceError, match="colour: unknown key"):
        smfe.make_instance("garnet", colour="red")


def test_solve_rejects_bad_theta_and_method() -> None:
    g = smfe.make_instance("two-state")
    with pytest.raises(InstanceError, match="theta"):
        smfe.solve(g, "mfe", theta=[1.0, 2.0])
    with pytest.raises(InstanceError, match="outside"):
        smfe.solve(g, "mfe", theta=[100.0])
    with pytest.raises(smfe.FormulationError, match="unknown method"):
        smfe.solve(g, "simplex")
    with pytest.raises(InstanceError, match=r"options\.tolerance: unknown key"):
        smfe.solve(g, "mfe", {"tolerance": 1.0})
