"""F2b big-M MILP (HiGHS): the global optimum over a menu, confirmed by enumeration."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest

import smfe
from smfe.formulations.milp import Menu, build_milp, check_milp

ENUM_TOL = 1e-7  # MILP optimum vs the best enumerated exact MFE value


def _linear_two_state() -> smfe.Game:
    g = smfe.make_instance("two-state", tau=0.0)
    return replace(
        g, objective=smfe.LeaderObjective(theta_linear=np.array([-0.3]), y_linear=np.array([1.0]))
    )


def _garnet5() -> smfe.Game:
    """An exact 5 × 2 horizon-3 Garnet game with linear leader objective (one type)."""
    return smfe.make_instance(
        "garnet",
        tau=0.0,
        balance_weight=0.0,
        n_states=5,
        n_actions=2,
        n_types=1,
        n_zones=2,
        horizon=3,
        seed=2,
    )


def test_two_state_menu_optimum_in_closed_form() -> None:
    grid = list(np.linspace(-1.0, 1.0, 11))
    r = smfe.solve(_linear_two_state(), "milp", {"grid": [grid]})
    assert r.status.ok and r.optimality == smfe.Optimality.GLOBAL
    # exact MFE: p = clip(u0 + θ − u1, 0, 1)/b, J = p − 0.3 θ
    values = [min(max(0.5 + th, 0.0), 1.0) - 0.3 * th for th in grid]
    assert abs(r.objective - max(values)) < ENUM_TOL
    assert r.theta[0] == pytest.approx(grid[int(np.argmax(values))])
    assert "gap 0.00e+00" in r.message


@pytest.mark.parametrize("horizon", [None, 3])
def test_milp_matches_enumeration_of_certified_exact_mfes(horizon: int | None) -> None:
    g = smfe.make_instance(
        "garnet",
        tau=0.0,
        balance_weight=0.0,
        n_states=5,
        n_actions=2,
        n_zones=2,
        horizon=horizon,
        seed=2,
    )
    grid = [[0.0, 0.4, 1.0]] * g.n_theta
    r = smfe.solve(g, "milp", {"grid": grid})
    assert r.status.ok and r.optimality == smfe.Optimality.GLOBAL
    values = []
    for th in itertools.product(*grid):
        e = smfe.solve(g, "mpec-scholtes", {"fix_theta": True}, theta=list(th))
        assert e.status.ok
        values.append(e.objective)
    assert abs(r.objective - max(values)) < ENUM_TOL


def test_menu_entries_are_validated() -> None:
    with pytest.raises(smfe.InstanceError, match="menu"):
        smfe.solve(_linear_two_state(), "milp", {"menu": [[100.0]]})
    with pytest.raises(smfe.InstanceError, match="exactly one"):
        smfe.solve(_linear_two_state(), "milp", {})


def test_games_outside_the_class_are_rejected_before_any_solve() -> None:
    with pytest.raises(smfe.FormulationError, match="quadratic in the mean-field"):
        check_milp(smfe.make_instance("two-state", tau=0.0))
    with pytest.raises(smfe.FormulationError, match="transitions depend on"):
        check_milp(smfe.make_instance("leader-mdp", tau=0.0))


def test_big_m_is_derived_not_typed() -> None:
    built = build_milp(_linear_two_state(), Menu(np.array([[0.0], [0.5]])))
    assert "big-M" in built.notes[0]
    assert all(c.body.polynomial_degree() == 1 for c in built.model.bigm.values())
    M = np.array([pyo.value(p) for p in built.model.big_m.values()])
    assert (M > 0).all() and np.isfinite(M).all()


@pytest.mark.parametrize("horizon", [3, None])
def test_row_big_m_bounds_every_slack_and_beats_the_global_bound(horizon: int | None) -> None:
    """M_t(x,a) ≥ V_t(x) − Q_t(x,a) at the exact MFE of every menu entry (the rows' M are
    proven bounds, so the MILP cuts off no equilibrium), and below the global M."""
    from smfe.formulations.milp import big_m
    from smfe.game.compiled import compile_game
    from smfe.solvers.mfe import solve_mfe
    from smfe.solvers.options import MFEOptions
    from smfe.solvers.run import support_polisher

    extra = {} if horizon is None else {"horizon": horizon}
    g = smfe.make_instance(
        "garnet",
        tau=0.0,
        balance_weight=0.0,
        n_states=8,
        n_actions=3,
        n_types=1,
        n_zones=2,
        seed=4,
        **extra,
    )
    entries = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 1.0], [1.0, 1.0]])
    built = build_milp(g, Menu(entries))
    assert "per row" in built.notes[0]
    cg = compile_game(g)
    rows = built.model.big_m
    M = np.array([[pyo.value(rows[t, i]) for i in range(cg.n_sa)] for t in range(cg.T)])
    assert M.max() < big_m(cg)
    for theta in entries:
        sol = solve_mfe(
            cg, theta, MFEOptions(), polisher=support_polisher(cg, theta, MFEOptions(), [])
        )
        slack = sol.value[: cg.T][:, cg.sa_state] - sol.q
        assert (slack <= M).all()


@pytest.mark.parametrize("game", ["two-state", "garnet"])
def test_gdp_route_agrees_with_the_big_m_route(game: str) -> None:
    if game == "two-state":
        g, grid = _linear_two_state(), [list(np.linspace(-1.0, 1.0, 11))]
    else:
        g, grid = _garnet5(), [[0.0, 0.4, 1.0]] * 2
    a = smfe.solve(g, "milp", {"grid": grid, "route": "bigm"})
    b = smfe.solve(g, "milp", {"grid": grid, "route": "gdp"})
    assert a.status.ok and b.status.ok and "gdp route" in b.message
    assert abs(a.objective - b.objective) < ENUM_TOL
    assert np.array_equal(a.theta, b.theta)


def test_time_limit_without_a_feasible_point_is_a_typed_failure_and_a_start_is_kept() -> None:
    g = smfe.make_instance(
        "garnet", tau=0.0, balance_weight=0.0, n_states=12, n_actions=3, n_zones=2, horizon=3
    )
    grid = [[0.0, 0.5, 1.0]] * 2
    with pytest.raises(smfe.SolveFailed, match="time limit"):
        smfe.solve(g, "milp", {"grid": grid, "time_limit": 0.5, "start": False})
    # from the MIP start the solver has a point at once: reported with its gap, not global
    r = smfe.solve(g, "milp", {"grid": grid, "time_limit": 0.5})
    assert r.optimality != smfe.Optimality.GLOBAL and r.history["gap"][0] > 0.0
    assert r.certificate is not None and r.certificate.passed


def test_highs_and_scip_agree_from_the_same_model_with_and_without_a_mip_start() -> None:
    """The same MILP by HiGHS and by SCIP (written as .nl), from the MIP start and without:
    one optimum, labelled global each time; the start is the best certified menu entry."""
    g, grid = _garnet5(), [[0.0, 0.5, 1.0]] * 2
    runs = {
        "highs": smfe.solve(g, "milp", {"grid": grid}),
        "highs-cold": smfe.solve(g, "milp", {"grid": grid, "start": False}),
        "scip": smfe.solve(g, "milp", {"grid": grid, "solver": "scip"}),
    }
    for name, r in runs.items():
        assert r.status.ok and r.optimality == smfe.Optimality.GLOBAL, (name, r.summary())
        assert abs(r.objective - runs["highs"].objective) < ENUM_TOL, name
    assert "MIP start: menu entry" in runs["highs"].message
    assert "no MIP start" in runs["highs-cold"].message
    assert "SCIP optimal" in runs["scip"].message
    start_j = float(
        runs["highs"].message.split("MIP start: menu entry")[1].split("J = ")[1].split()[0]
    )
    assert start_j <= runs["highs"].objective + ENUM_TOL


def test_milp_options_are_checked() -> None:
    with pytest.raises(smfe.InstanceError, match=r"options\.solver"):
        smfe.solve(_linear_two_state(), "milp", {"grid": [[0.0]], "solver": "gurobi"})
    with pytest.raises(smfe.InstanceError, match=r"options\.start_entries"):
        smfe.solve(_linear_two_state(), "milp", {"grid": [[0.0]], "start_entries": 0})
