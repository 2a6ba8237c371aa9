"""The standard MFG environments: encodings checked against equilibria known in closed form,
the literature's exploitability against a hand computation, and soft MFEs by two methods."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe.certification.certificate import certify_point
from smfe.certification.exploitability import induced_flow, literature_exploitability
from smfe.errors import InstanceError
from smfe.game.compiled import compile_game

EXACT = 1e-12
"""Exploitability of a closed-form equilibrium (float64 round-off)."""
AGREE = 1e-7
"""Iterative MFE vs F1 (Ipopt) on the soft versions: ν in L1."""

ENVIRONMENTS = {
    "beach-bar": (4, 3, 3),
    "building-evacuation": (500, 6, 4),
    "crowd-motion": (400, 5, 4),
    "equilibrium-price": (4, 9, 5),
    "left-right": (3, 2, 2),
    "rock-paper-scissors": (4, 3, 2),
}


@pytest.mark.parametrize(("name", "shape"), ENVIRONMENTS.items())
def test_defaults_have_the_literature_sizes(name: str, shape: tuple[int, int, int]) -> None:
    """MFGLib's defaults; its horizon T counts transitions, so T + 1 reward epochs."""
    g = smfe.make_instance(name)
    t = g.types[0]
    assert (t.n_states, t.n_actions, g.horizon.steps) == shape
    assert g.tau == 0.0 and g.finite and g.horizon.gamma == 1.0


def _policy(game: smfe.Game, first: np.ndarray) -> np.ndarray:
    """Flat (T, N_SA) policy: ``first`` in state 0 at epoch 0, uniform elsewhere."""
    cg = compile_game(game)
    pi = np.zeros((cg.T, cg.n_sa))
    A = game.types[0].n_actions
    pi[:] = 1.0 / A
    pi[0, :A] = first
    return pi


def _certify(game: smfe.Game, pi: np.ndarray) -> dict[str, float]:
    cg = compile_game(game)
    nu = induced_flow(cg, np.zeros(0), pi)
    cert = certify_point(cg, np.zeros(0), nu, pi, None)
    return {**cert.residuals, **cert.extra}


def test_left_right_equilibrium_in_closed_form() -> None:
    """μ(left) = 2μ(right) equalises −μ(left) and −2μ(right): π(left | start) = 2/3."""
    g = smfe.make_instance("left-right")
    res = _certify(g, _policy(g, np.array([2 / 3, 1 / 3])))
    assert res["exploitability"] <= EXACT
    assert res["exploitability_literature"] <= EXACT
    # uniform: μ = (½, ½) costs ½ left and 1 right; the best response goes left: gain ¼
    cg = compile_game(g)
    assert literature_exploitability(cg, np.zeros(0), _policy(g, np.full(2, 0.5))) == (
        pytest.approx(0.25, abs=1e-15)
    )


def test_rock_paper_scissors_equilibrium_in_closed_form() -> None:
    """Indifference of 2s − p, 4r − 2s and 6p − 3r on the simplex."""
    M = np.array([[0.0, -1.0, 2.0], [4.0, 0.0, -2.0], [-3.0, 6.0, 0.0]])  # payoff of row vs mix
    lhs = np.vstack([M[0] - M[1], M[1] - M[2], np.ones(3)])
    mix = np.linalg.solve(lhs, np.array([0.0, 0.0, 1.0]))
    assert np.all(mix > 0)
    g = smfe.make_instance("rock-paper-scissors")
    res = _certify(g, _policy(g, mix))
    assert res["exploitability_literature"] <= EXACT
    assert res["consistency"] <= EXACT


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("beach-bar", {"tau": 0.1}),
        ("equilibrium-price", {"tau": 0.2}),
        ("crowd-motion", {"torus_l": 4, "torus_w": 3, "tau": 0.3, "c": 2.0}),
        ("building-evacuation", {"n_floor": 2, "floor_l": 3, "floor_w": 2, "tau": 0.3}),
    ],
)
def test_soft_versions_agree_between_the_iterative_solver_and_f1(
    name: str, overrides: dict[str, float]
) -> None:
    """Log, rational and time-varying rewards through both routes."""
    g = smfe.make_instance(name, **overrides)
    it = smfe.solve(g, "mfe")
    nlp = smfe.solve(g, "soft-nlp")
    assert it.status.ok and nlp.status.ok, (it.summary(), nlp.summary())
    gap = sum(float(np.abs(a - b).sum()) for a, b in zip(it.nu, nlp.nu, strict=True))
    assert gap <= AGREE
    assert it.certificate is not None
    assert it.certificate.extra["exploitability_literature"] >= 0.0


def test_crowd_motion_reward_moves_with_the_bar() -> None:
    g = smfe.make_instance("crowd-motion", torus_l=5, torus_w=5, T=4, loc_change_freq=1)
    steps = g.types[0].reward_steps
    assert steps is not None and steps.shape == (5, 25, 5)
    best = [int(np.argmax(steps[t, :, 0])) for t in range(5)]
    assert best[0] == 12  # the centre of the grid
    assert len(set(best)) > 1  # the bar moved


def test_time_varying_rewards_need_a_matching_finite_horizon() -> None:
    g = smfe.make_instance("congestion", T=3)
    t = g.types[0]
    with pytest.raises(InstanceError, match="T = 2") as exc:
        dataclasses.replace(g, types=(dataclasses.replace(t, reward_steps=np.zeros((2, 5, 3))),))
    assert exc.value.field == "types[walkers].reward_steps"


@pytest.mark.parametrize("name", ["beach-bar", "crowd-motion"])
def test_noise_probability_is_checked_by_name(name: str) -> None:
    with pytest.raises(InstanceError) as exc:
        smfe.make_instance(name, p_still=1.5)
    assert exc.value.field == "p_still"


def test_equilibrium_price_with_a_power_law_demand() -> None:
    """σ ≠ 1: the price (d/(z + e₀))^{1/σ} is a power term; the soft MFE of the iterative
    solver and of F1 agree, and the price seen at the MFE is the published formula."""
    g = smfe.make_instance("equilibrium-price", sigma=2.0, d=3.0, tau=0.2)
    assert g.prices[0].power and not g.prices[0].rational
    it = smfe.solve(g, "mfe")
    nlp = smfe.solve(g, "soft-nlp")
    assert it.status.ok and nlp.status.ok, (it.summary(), nlp.summary())
    gap = sum(float(np.abs(a - b).sum()) for a, b in zip(it.nu, nlp.nu, strict=True))
    assert gap <= AGREE
    q = np.repeat(np.arange(3), 3).astype(float)  # production of each action
    z = np.asarray(it.nu[0]) @ q  # aggregate production per step and state
    z = z.sum(axis=-1)
    price = g.prices[0].value_and_slope(z)[0]
    np.testing.assert_allclose(price, np.sqrt(3.0 / (z + 1.0)), rtol=1e-14)


@pytest.mark.parametrize("field", ["sigma", "d", "e0"])
def test_equilibrium_price_rejects_a_nonpositive_parameter(field: str) -> None:
    with pytest.raises(InstanceError) as exc:
        smfe.make_instance("equilibrium-price", **{field: 0.0})
    assert exc.value.field == field


def test_planner_toll_variant_pgd_and_f1_agree() -> None:
    """The leader variant (a toll per state against crowding): the implicit-gradient leader
    and F1 with the leader objective reach the same certified local optimum."""
    g = smfe.make_instance("beach-bar", tau=0.1, toll_max=2.0)
    assert g.n_theta == 4 and g.name == "beach-bar-toll"
    pgd = smfe.solve(g, "pgd")
    nlp = smfe.solve(g, "soft-nlp")
    assert pgd.optimality == smfe.Optimality.LOCAL and nlp.optimality == smfe.Optimality.LOCAL
    assert pgd.objective == pytest.approx(nlp.objective, abs=1e-8)
    np.testing.assert_allclose(pgd.theta, nlp.theta, atol=1e-4)


MFGLIB_UNIFORM = {
    "left-right": 0.25,
    "rock-paper-scissors": 0.3333333730697632,
    "beach-bar": 1.2212623357772827,
    "equilibrium-price": 22.215187072753906,
    "building-evacuation": 0.32126617431640625,
    "susceptible-infected": 5.46687126159668,
}
"""``mfglib.scoring.exploitability_score(env, uniform policy)`` measured with MFGLib 0.3.0 at
each environment's defaults (float32 PyTorch); ``benchmarks/mfglib_compare.py`` reruns the
comparison when the ``compare`` extra is installed."""


@pytest.mark.parametrize(("name", "expected"), MFGLIB_UNIFORM.items())
def test_encodings_match_mfglib_on_the_uniform_policy(name: str, expected: float) -> None:
    """The same game as the reference implementation: its own score of the uniform policy,
    to float32 precision."""
    g = smfe.make_instance(name)
    cg = compile_game(g)
    A = g.types[0].n_actions
    ours = literature_exploitability(cg, np.zeros(0), np.full((cg.T, cg.n_sa), 1.0 / A))
    assert ours == pytest.approx(expected, rel=5e-6)


@pytest.mark.parametrize(
    ("name", "unique"),
    [
        ("beach-bar", True),  # −log μ(x) paid in x: a price that falls with the crowd
        ("equilibrium-price", True),  # revenue p(Σqν)·q with p decreasing
        ("left-right", True),  # −μ(left), −2μ(right): a congestion charge, λ = −1, −2
        ("crowd-motion", True),
        ("rock-paper-scissors", None),  # cross-state payoffs: no monotonicity claimed
    ],
)
def test_lasry_lions_monotonicity_is_detected(name: str, unique: bool | None) -> None:
    from smfe.certification.certificate import unique_mfe

    assert unique_mfe(smfe.make_instance(name, tau=0.1))[0] is unique
    assert unique_mfe(smfe.make_instance(name))[0] is None  # τ = 0: not claimed
