"""Method ``global``: SCIP proves the S-MFE leader optimum on small games — soft through F1,
exact through big-M disjunctions — agrees with the local methods and the menu MILP where they
find it, and beats the local methods where they stop at a worse point."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe.game.compiled import compile_game

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
    assert "SOS1 pairs" in proven.message and "certified)" in proven.message
    bigm = smfe.solve(quadratic, "global", {"exact_form": "bigm", "incumbent_tau": 0.0})
    assert bigm.optimality == smfe.Optimality.GLOBAL and "support binaries" in bigm.message
    assert abs(bigm.objective - proven.objective) < AGREE


def test_global_refuses_what_it_cannot_prove() -> None:
    sis = smfe.make_instance("susceptible-infected", T=3, subsidy_max=1.0)
    with pytest.raises(smfe.FormulationError, match="linear in"):
        smfe.solve(sis, "global")
    with pytest.raises(smfe.FormulationError, match="no starting θ"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", theta=[1.0])
    with pytest.raises(smfe.InstanceError, match=r"options\.gap"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", {"gap": 2.0})
    with pytest.raises(smfe.InstanceError, match=r"options\.exact_form"):
        smfe.solve(smfe.make_instance("subsidy-trap"), "global", {"exact_form": "sos2"})


def _capped_garnet(tau: float, cap: float) -> smfe.Game:
    g = smfe.make_instance(
        "garnet",
        tau=tau,
        balance_weight=0.0,
        n_states=3,
        n_actions=2,
        n_types=1,
        horizon=3,
        n_zones=2,
    )
    e = np.eye(g.n_leader_aggregates)[0]
    return dataclasses.replace(g, constraints=(smfe.LeaderConstraint("cap0", upper=cap, y=e),))


def _ybar0(game: smfe.Game, result: smfe.Result) -> float:
    cg = compile_game(game)
    return float(cg.leader_totals(result.theta, cg.from_types(list(result.nu), "nu"))[0])


def test_exact_route_keeps_leader_constraints() -> None:
    """A cap on the first leader measurement that binds (the free optimum has ȳ₀ ≈ 1.96 on
    this game; over a 21 × 21 grid of θ the exact MFE's ȳ₀ is never below 1.923): the
    proven optimum respects it and is at least the menu MILP's over a grid."""
    g = _capped_garnet(0.0, 1.95)
    glob = smfe.solve(g, "global")
    assert glob.status.ok and glob.optimality == smfe.Optimality.GLOBAL, glob.summary()
    assert _ybar0(g, glob) <= 1.95 + 1e-8
    grid = [list(np.linspace(0.0, 1.0, 6))] * g.n_theta
    milp = smfe.solve(g, "milp", {"grid": grid})
    assert glob.objective >= milp.objective - AGREE
    with pytest.raises(smfe.SolveFailed, match="infeasible"):
        smfe.solve(_capped_garnet(0.0, 1.9), "global")  # below every exact MFE's ȳ₀


@pytest.mark.slow
def test_soft_route_keeps_leader_constraints_and_finishes_with_sqp() -> None:
    """Soft (τ = 0.1), the same cap at 1.9 (binding): proven global in about 25 s, equal to
    sqp's local optimum."""
    g = _capped_garnet(0.1, 1.9)
    glob = smfe.solve(g, "global", {"time_limit": 60.0})
    assert glob.optimality == smfe.Optimality.GLOBAL and "sqp from SCIP" in glob.message
    assert _ybar0(g, glob) <= 1.9 + 1e-8
    assert abs(glob.objective - smfe.solve(g, "sqp").objective) < AGREE


def test_boltzmann_response_proven_and_agreeing_with_the_local_methods() -> None:
    """Boltzmann (π = softmax of the exact Q*): SCIP on F1-Boltzmann with SOS1 selection
    pairs proves the optimum (about 4 s); sqp, boltzmann-nlp and fd-pgd reach it too."""
    g = smfe.make_instance(
        "garnet",
        n_states=3,
        n_actions=2,
        n_types=1,
        horizon=3,
        n_zones=2,
        response="boltzmann",
        tau=0.1,
    )
    glob = smfe.solve(g, "global")
    assert glob.status.ok and glob.optimality == smfe.Optimality.GLOBAL, glob.summary()
    assert "F1-Boltzmann with SOS1 pairs" in glob.message
    for method in ("sqp", "boltzmann-nlp"):
        assert abs(smfe.solve(g, method).objective - glob.objective) < AGREE, method
