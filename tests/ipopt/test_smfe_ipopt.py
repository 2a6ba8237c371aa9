"""smfe-ipopt works for any Pyomo NLP: textbook optima, statuses, options, duals, warm starts."""

from __future__ import annotations

import subprocess

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.opt import TerminationCondition as PTC  # noqa: N814

import smfe.ipopt
from smfe.ipopt.pyomo_plugin import executable_path
from smfe.solvers.status import SolutionStatus, TerminationCondition

HS071 = 17.014017145  # Hock & Schittkowski problem 71, optimal objective
KKT_TOL = 1e-6


def hs071() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(0, 3)
    m.x = pyo.Var(m.I, bounds=(1, 5), initialize={0: 1, 1: 5, 2: 5, 3: 1})
    m.obj = pyo.Objective(expr=m.x[0] * m.x[3] * (m.x[0] + m.x[1] + m.x[2]) + m.x[2])
    m.c1 = pyo.Constraint(expr=m.x[0] * m.x[1] * m.x[2] * m.x[3] >= 25)
    m.c2 = pyo.Constraint(expr=sum(m.x[i] ** 2 for i in m.I) == 40)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT_EXPORT)
    m.ipopt_zL_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.ipopt_zU_out = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m


def solver() -> pyo.SolverFactory:
    opt = pyo.SolverFactory("smfe_ipopt")
    assert opt.available()
    return opt


def test_version_and_registration() -> None:
    out = subprocess.run(
        [executable_path(), "-v"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("Ipopt 3.14")
    assert solver().version()[:2] == (3, 14)


def test_hs071_optimum_and_hand_kkt_check() -> None:
    m = hs071()
    res = solver().solve(m)
    assert res.solver.termination_condition == PTC.optimal
    assert abs(pyo.value(m.obj) - HS071) < 1e-6
    x = np.array([pyo.value(m.x[i]) for i in m.I])
    # gradients by hand
    grad_f = np.array(
        [
            x[3] * (2 * x[0] + x[1] + x[2]),
            x[0] * x[3],
            x[0] * x[3] + 1,
            x[0] * (x[0] + x[1] + x[2]),
        ]
    )
    grad_c1 = np.array(
        [x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3], x[0] * x[1] * x[2]]
    )
    grad_c2 = 2 * x
    y1, y2 = m.dual[m.c1], m.dual[m.c2]
    zl = np.array([m.ipopt_zL_out.get(m.x[i], 0.0) for i in m.I])
    zu = np.array([m.ipopt_zU_out.get(m.x[i], 0.0) for i in m.I])
    # AMPL convention: ∇f − Σ y ∇c − zL_out − zU_out = 0, y >= 0 for an active '>=' in a min
    stationarity = grad_f - y1 * grad_c1 - y2 * grad_c2 - zl - zu
    assert np.abs(stationarity).max() < KKT_TOL
    assert y1 > 0 and np.all(zl >= -1e-9) and np.all(zu <= 1e-9)


def test_dual_is_the_derivative_of_the_optimal_value_also_when_maximising() -> None:
    def build(b: float) -> pyo.ConcreteModel:
        m = pyo.ConcreteModel()
        m.x = pyo.Var(bounds=(0, 10), initialize=1.0)
        m.y = pyo.Var(initialize=2.0)
        m.obj = pyo.Objective(expr=-((m.x - 3) ** 2) - m.y**2, sense=pyo.maximize)
        m.c = pyo.Constraint(expr=m.x + m.y >= b)
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        return m

    m = build(5.0)
    solver().solve(m)
    h = 1e-4
    up, dn = build(5.0 + h), build(5.0 - h)
    solver().solve(up)
    solver().solve(dn)
    slope = (pyo.value(up.obj) - pyo.value(dn.obj)) / (2 * h)
    assert abs(m.dual[m.c] - slope) < 1e-5
    assert abs(pyo.value(m.obj) - (-2.0)) < 1e-7


def test_infeasible_unbounded_and_iteration_limit() -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.5)
    m.obj = pyo.Objective(expr=m.x**2)
    m.c1 = pyo.Constraint(expr=m.x**2 <= -1)
    res = solver().solve(m, load_solutions=False)
    assert res.solver.termination_condition == PTC.infeasible

    u = pyo.ConcreteModel()
    u.x = pyo.Var(bounds=(0, None), initialize=1.0)
    u.obj = pyo.Objective(expr=-u.x)
    res = solver().solve(u, load_solutions=False)
    assert res.solver.termination_condition == PTC.unbounded

    res = solver().solve(hs071(), options={"max_iter": 2}, load_solutions=False)
    assert res.solver.termination_condition == PTC.maxIterations


def test_options_file_route() -> None:
    res = solver().solve(hs071(), options={"OF_max_iter": 1}, load_solutions=False)
    assert res.solver.termination_condition == PTC.maxIterations


def test_in_process_status_and_warm_start() -> None:
    import io

    from pyomo.repn.plugins.nl_writer import NLWriter

    buf = io.StringIO()
    NLWriter().write(hs071(), buf, linear_presolve=False)
    nl = smfe.ipopt.prepare(buf.getvalue())
    cold = smfe.ipopt.solve_nl(nl)
    assert (
        cold.termination == TerminationCondition.CONVERGED
        and cold.solution == SolutionStatus.OPTIMAL
    )
    assert abs(cold.objective - HS071) < 1e-6
    warm = smfe.ipopt.solve_nl(
        nl,
        {
            "warm_start_init_point": "yes",
            "mu_init": 1e-9,
            "warm_start_bound_push": 1e-9,
            "warm_start_mult_bound_push": 1e-9,
        },
        x0=cold.x,
        duals0=cold.duals,
        z_lower0=cold.z_lower,
        z_upper0=cold.z_upper,
    )
    assert warm.solution == SolutionStatus.OPTIMAL
    assert warm.iterations <= 3 < cold.iterations
    limited = smfe.ipopt.solve_nl(nl, {"max_iter": 1})
    assert limited.termination == TerminationCondition.ITERATION_LIMIT
    assert limited.solution != SolutionStatus.OPTIMAL


def test_acceptable_is_not_optimal() -> None:
    _, sol, code = smfe.ipopt.translate("Solved_To_Acceptable_Level")
    assert sol != SolutionStatus.OPTIMAL and 100 <= code < 200
    assert smfe.ipopt.translate("something new")[1] == SolutionStatus.UNKNOWN


def test_new_pyomo_solver_interface() -> None:
    contrib = pytest.importorskip("pyomo.contrib.solver.solvers.ipopt")
    s = contrib.Ipopt(executable=executable_path())
    assert s.available()
    m = hs071()
    res = s.solve(m)
    assert abs(res.incumbent_objective - HS071) < 1e-6


def test_mpec_nlp_meta_solver_uses_smfe_ipopt() -> None:
    from pyomo.mpec import Complementarity, complements

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=1.0)
    m.y = pyo.Var(bounds=(0, None), initialize=1.0)
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + (m.y - 1) ** 2)
    m.cc = Complementarity(expr=complements(m.x >= 0, m.y >= 0))
    opt = pyo.SolverFactory("mpec_nlp")
    opt.options.solver = "smfe_ipopt"
    opt.solve(m)
    assert abs(pyo.value(m.x) * pyo.value(m.y)) < 1e-5
    assert abs(pyo.value(m.obj) - 1.0) < 1e-4
