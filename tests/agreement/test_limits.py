"""Soft → exact as τ → 0 on random games, against the theoretical bounds (SPEC §7)."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.certification.exploitability import exploitability, values
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


@pytest.mark.parametrize("horizon", [None, 4])
def test_boltzmann_response_mfe_is_certified(horizon: int | None) -> None:
    g = smfe.make_instance(
        "garnet", n_states=8, n_actions=3, response="boltzmann", tau=0.1, horizon=horizon
    )
    r = smfe.solve(g, "mfe")
    assert r.status.ok, r.summary()
    assert "exploitability" not in r.certificate.residuals  # reported only, for Boltzmann
    assert r.certificate.extra["exploitability_unregularised"] >= -1e-12


def test_boltzmann_tends_to_the_exact_response() -> None:
    """Per state, |π_Boltzmann − greedy| ≤ 2|A| exp(−δ/τ) with δ the action gap, at fixed ν."""
    g = smfe.make_instance("garnet", n_states=8, n_actions=3, congestion=0.0, seed=5)
    cg = compile_game(g)
    theta = g.start()
    from smfe.solvers.response import greedy, respond

    nu = np.zeros((1, cg.n_sa))  # no coupling: ν does not matter
    for tau in (0.1, 0.01):
        gb = smfe.make_instance(
            "garnet", n_states=8, n_actions=3, congestion=0.0, seed=5, response="boltzmann", tau=tau
        )
        cb = compile_game(gb)
        resp = respond(cb, cb.reward(theta, nu), cb.transition(theta))
        _, pi_greedy = greedy(cg, resp.q[0])
        q = resp.q[0].reshape(cg.n_s, 3)
        srt = np.sort(q, axis=1)
        delta = srt[:, -1] - srt[:, -2]
        err = np.abs(resp.policy[0] - pi_greedy).reshape(cg.n_s, 3).max(axis=1)
        assert np.all(err <= 2 * 3 * np.exp(-delta / tau) + 1e-12)


def test_exact_response_finite_horizon_by_fictitious_play() -> None:
    g = smfe.make_instance("congestion", tau=0.0, congestion=1.0)
    r = smfe.solve(g, "mfe", {"max_iter": 3000, "tol": 1e-4}, theta=np.zeros(5))
    cert = r.certificate
    assert cert.residuals["consistency"] < 1e-10  # averaged flows stay consistent
    assert cert.residuals["exploitability"] < 1e-2  # O(1/n) convergence of fictitious play
    assert r.status.ok == cert.passed
