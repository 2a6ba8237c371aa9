"""The exact MFE (τ = 0) by Newton's method on the support fictitious play identifies
(:mod:`smfe.system.support_newton`): certified to round-off where fictitious play alone stops
near 1e-4, and the same equilibrium as the closed forms and as F2."""

from __future__ import annotations

import numpy as np
import pytest

import smfe

EXACT = 1e-12
"""Exploitability of the polished exact MFE (both conventions); round-off is ~1e-16."""


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("left-right", {}),  # ties at the last epoch change nothing: a singular support system
        ("rock-paper-scissors", {}),  # a mixed equilibrium
        ("beach-bar", {}),
        ("equilibrium-price", {}),
        ("susceptible-infected", {"T": 10}),  # transitions depend on the mean field
    ],
)
def test_exact_environments_are_certified(name: str, overrides: dict[str, int]) -> None:
    r = smfe.solve(smfe.make_instance(name, **overrides), "mfe")
    assert r.status.ok and r.certificate is not None and r.certificate.passed, r.message
    assert r.certificate.residuals["exploitability"] <= EXACT
    assert r.certificate.extra["exploitability_literature"] <= EXACT
    assert "support Newton" in r.message


def test_closed_forms_are_reached() -> None:
    lr = smfe.solve(smfe.make_instance("left-right"), "mfe")
    assert lr.policy[0][0, 0, 0] == pytest.approx(2.0 / 3.0, abs=1e-12)  # π(left) = 2/3
    rps = smfe.solve(smfe.make_instance("rock-paper-scissors"), "mfe")
    M = np.array([[0.0, -1.0, 2.0], [4.0, 0.0, -2.0], [-3.0, 6.0, 0.0]])
    lhs = np.vstack([M[0] - M[1], M[1] - M[2], np.ones(3)])
    mix = np.linalg.solve(lhs, np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(rps.policy[0][0, 0, :], mix, atol=1e-12)


def test_without_support_newton_fictitious_play_stays_uncertified() -> None:
    g = smfe.make_instance("left-right")
    r = smfe.solve(g, "mfe", {"support_newton": False, "max_iter": 500})
    assert not r.status.ok
    assert r.certificate is not None and r.certificate.residuals["exploitability"] > 1e-6
