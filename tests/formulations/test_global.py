"""Method ``global``: SCIP proves the S-MFE leader optimum on small games — soft through F1,
exact through big-M disjunctions — agrees with the local methods and the menu MILP where they
find it, and beats the local methods where they stop at a worse point."""

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


EXACT_GARNET = {
    "tau": 0.0,
    "n_states": 5,
    "n_actions": 2,
    "n_types": 1,
    "horizon": 3,
    "n_zones": 2,
}


def test_exact_route_agrees_with_the_menu_milp_and_goes_beyond_it() -> None:
    """τ = 0: θ free in Θ with big-M disjunctions. On a grid that holds the optimum the
    menu MILP finds the same J; with a leader objective quadratic in y (which the MILP
    refuses) the route still proves its optimum; the point is an exact MFE, certified."""
    g = smfe.make_instance("garnet", balance_weight=0.0, **EXACT_GARNET)
    glob = smfe.solve(g, "global")
    assert glob.status.ok and glob.optimality == smfe.Optimality.GLOBAL, glob.summary()
    grid = [[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]] * g.n_theta
    milp = smfe.solve(g, "milp", {"grid": grid})
    assert milp.optimality == smfe.Optimality.GLOBAL
    assert abs(milp.objective - glob.objective) < AGREE
    assert glob.objective >= milp.objective - AGREE  # Θ contains the grid
    quadratic = smfe.make_instance("garnet", **EXACT_GARNET)
    with pytest.raises(smfe.FormulationError, match="quadratic"):
        smfe.solve(quadratic, "milp", {"grid": grid})
    proven = smfe.solve(quadratic, "global")
    assert proven.optimality == smfe.Optimality.GLOBAL, proven.summary()
    assert "support binaries" in proven.message


def test_global_refuses_what_it_cannot_prove() -> None:
    sis = smfe.make_instance("susceptible-infected", T=3, subsidy_max=1.0)
    with pytest.raises(smfe.FormulationError, match="linear in"):
        smfe.solve(sis, "global")
    with pytest.raises(smfe.FormulationError, match="boltzmann"):
        smfe.solve(smfe.make_instance("congestion", response="boltzmann"), "global")
    with pytest.raises(smfe.FormulationError, match="no starting θ"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", theta=[1.0])
    with pytest.raises(smfe.InstanceError, match=r"options\.gap"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", {"gap": 2.0})
