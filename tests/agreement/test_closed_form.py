"""The two-state game has closed-form answers; the solvers must reproduce them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq

import smfe
from smfe.game.catalogue import two_state_solution

MFE_TOL = 1e-9  # closed-form share and value vs computed
THETA_TOL = 1e-6  # leader decision vs closed form (J is flat: |Δθ| ≈ stationarity tol / |J''|)


def _share(result: smfe.Result) -> float:
    return float(result.nu[0][:, 0].sum())


@pytest.mark.parametrize("theta", [-1.0, 0.0, 0.7])
@pytest.mark.parametrize("tau", [0.05, 0.5, 2.0])
def test_mfe_share_and_value_match_the_closed_form(theta: float, tau: float) -> None:
    g = smfe.make_instance("two-state", tau=tau, gamma=0.8)
    r = smfe.solve(g, "mfe", theta=[theta])
    assert r.status.ok
    u0, u1, b = 1.0, 0.5, 1.0
    p = brentq(
        lambda p: p - 1 / (1 + np.exp(-(u0 + theta - b * p - u1) / tau)), 0.0, 1.0, xtol=1e-15
    )
    assert abs(_share(r) - p) < MFE_TOL
    f = np.array([u0 + theta - b * p, u1])
    V = tau * np.log(np.exp(f / tau).sum()) / (1 - 0.8)
    assert np.allclose(r.value[0], V, atol=MFE_TOL * max(1.0, abs(V)))


def test_leader_reaches_the_closed_form_s_mfe() -> None:
    g = smfe.make_instance("two-state")
    r = smfe.solve(g, "pgd", {"tol": 1e-8})
    theta_star, p_star = two_state_solution()
    assert r.status.ok and r.optimality == smfe.Optimality.LOCAL
    assert abs(r.theta[0] - theta_star) < THETA_TOL
    assert abs(_share(r) - p_star) < THETA_TOL
    assert abs(r.objective) < 1e-12


def test_soft_mfe_tends_to_the_exact_mfe_as_tau_vanishes() -> None:
    # exact MFE (interior): u0 + θ − b p = u1  =>  p = (u0 + θ − u1)/b = 0.7 at θ = 0.2
    p_exact = 0.7
    errors = []
    for tau in (1e-1, 1e-2, 1e-3, 1e-4):
        r = smfe.solve(smfe.make_instance("two-state", tau=tau), "mfe", theta=[0.2])
        assert r.status.ok
        errors.append(abs(_share(r) - p_exact))
    assert all(b < a for a, b in itertools.pairwise(errors))
    assert errors[-1] < 1e-3
    exact = smfe.solve(
        smfe.make_instance("two-state", tau=0.0),
        "mfe",
        {"max_iter": 20000, "tol": 1e-6},
        theta=[0.2],
    )
    assert abs(_share(exact) - p_exact) < 1e-3
