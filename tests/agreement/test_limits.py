"""Soft → exact as τ → 0 on random games, against the theoretical bounds (SPEC §7)."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.certify.exploitability import exploitability, values
from smfe.game.compiled import compile_game
from smfe.solvers.mfe import solve_mfe

SLACK = 1e-9  # numerical slack on the inequalities below


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regularised_value_gap_is_within_tau_log_a_over_one_minus_gamma(seed: int) -> None:
    """For fixed rewards: 0 <= V_τ* − V* <= τ log|A|/(1−γ) and V* − V^{π_τ} <= the same bound."""
    g = smfe.make_instance("garnet", seed=seed, tau=0.3, gamma=0.9, n_actions=4)
    cg = compile_game(g)
    theta = g.start()
    sol = solve_mfe(cg, theta)
    r = cg.reward(theta, sol.nu)
    P = cg.transition(theta)
    bound = g.tau * np.log(4) / (1 - 0.9)
    v_soft = values(cg, r, P, None, g.tau)[0]
    v_star = values(cg, r, P, None, 0.0)[0]
    v_pi = values(cg, r, P, sol.policy, 0.0)[0]
    assert np.all(v_soft - v_star >= -SLACK) and np.all(v_soft - v_star <= bound + SLACK)
    assert np.all(v_star - v_pi <= bound + SLACK)


@pytest.mark.parametrize("seed", [0, 3])
def test_exploitability_of_the_soft_mfe_vanishes_with_tau(seed: int) -> None:
    gaps = []
    for tau in (0.3, 0.1, 0.03, 0.01, 1e-3, 1e-4):
        g = smfe.make_instance("garnet", seed=seed, tau=tau, gamma=0.9, n_actions=3)
        r = smfe.solve(g, "mfe")
        assert r.status.ok, r.summary()
        cg = compile_game(g)
        nu = cg.from_types(list(r.nu), "nu")[None]
        pi = cg.from_types(list(r.policy), "pi")[None]
        expl, _ = exploitability(cg, r.theta, nu, pi, 0.0)
        assert expl <= tau * np.log(3) / (1 - 0.9) + SLACK
        gaps.append(expl)
    assert gaps[-1] < 1e-3 * gaps[0]


def test_tiny_temperature_finite_horizon_is_stable() -> None:
    g = smfe.make_instance("congestion", tau=1e-4)
    r = smfe.solve(g, "mfe", theta=np.zeros(5))
    assert r.status.ok
    for p in r.policy:
        assert np.all(np.isfinite(p))
