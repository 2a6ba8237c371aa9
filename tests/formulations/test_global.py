"""Method ``global``: SCIP proves the soft S-MFE leader optimum on small games, agrees with the
local methods where they find it, and beats them where they stop at a worse point."""

from __future__ import annotations

import pytest

import smfe

BOUND_TOL = 1e-5
"""GlobalOptions.bound_tol: how far below SCIP's dual bound a global answer may lie."""
AGREE = 1e-6
"""Objective agreement with the local methods (SCIP's feasibility tolerance is 1e-7; the
global answer is re-certified by pgd from SCIP's θ)."""


def test_global_escapes_the_local_optimum_local_methods_stop_at() -> None:
    g = smfe.make_instance("subsidy-trap")
    glob = smfe.solve(g, "global")
    assert glob.status.ok, glob.summary()
    assert glob.optimality == smfe.Optimality.GLOBAL
    bound = glob.history["dual_bound"][0]
    assert glob.objective >= bound - BOUND_TOL * max(1.0, abs(bound))
    assert abs(glob.theta[0] - 2.2535) < 1e-3
    for method in ("pgd", "soft-nlp"):
        local = smfe.solve(g, method)
        assert local.status.ok and local.optimality == smfe.Optimality.LOCAL
        assert local.objective < glob.objective - 2.0, method  # stuck at θ = 0, J ≈ 0.011


def test_global_agrees_with_local_methods_where_they_find_the_optimum() -> None:
    g = smfe.make_instance("garnet", n_states=3, n_actions=2, n_types=1, horizon=2, n_zones=2)
    glob = smfe.solve(g, "global")
    assert glob.optimality == smfe.Optimality.GLOBAL, glob.summary()
    for method in ("pgd", "soft-nlp"):
        local = smfe.solve(g, method)
        assert local.status.ok
        assert local.objective <= glob.objective + AGREE, method
        assert abs(local.objective - glob.objective) < AGREE, method


def test_an_open_gap_is_reported_not_labelled_global() -> None:
    g = smfe.make_instance("garnet", n_states=8, n_actions=2, n_types=1, horizon=3, n_zones=2)
    res = smfe.solve(g, "global", {"time_limit": 2.0})
    assert res.optimality != smfe.Optimality.GLOBAL
    assert res.history["gap"][0] > 0.0
    assert "not proven global" in res.message


def test_global_refuses_what_it_cannot_prove() -> None:
    with pytest.raises(smfe.FormulationError, match="exact"):
        smfe.solve(smfe.make_instance("congestion", tau=0.0), "global")
    with pytest.raises(smfe.FormulationError, match="no starting θ"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", theta=[1.0])
    with pytest.raises(smfe.InstanceError, match=r"options\.gap"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", {"gap": 2.0})
