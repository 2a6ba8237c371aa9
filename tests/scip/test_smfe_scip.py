"""smfe-scip: SCIP 10 as an AMPL solver for any Pyomo model — proven global optima with
bounds and a gap, statuses on both axes, options, and clean failures."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.opt import SolverStatus
from pyomo.opt import TerminationCondition as PTC  # noqa: N814

import smfe.ipopt
import smfe.scip
from smfe.scip.ampl import main as scip_main
from smfe.scip.pyomo_plugin import executable_path
from smfe.solvers.status import SolutionStatus, TerminationCondition

GLOBAL = -3.513905  # min x⁴ − 3x² + x on [−2, 3], at x ≈ −1.3007 (the other minimum: −1.07)
BOUND_TOL = 1e-6
"""SCIP's default feasibility tolerance: its bounds are exact to this."""


def double_well() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(-2, 3), initialize=2.0)
    m.obj = pyo.Objective(expr=m.x**4 - 3 * m.x**2 + m.x)
    return m


def solver() -> pyo.SolverFactory:
    opt = pyo.SolverFactory("smfe_scip")
    assert opt.available()
    return opt


def test_version_and_registration() -> None:
    out = subprocess.run(
        [executable_path(), "-v"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("SCIP version 10")
    assert solver().version()[0] == 10
    assert smfe.scip.available()


def test_global_optimum_where_ipopt_stops_at_a_local_one() -> None:
    m = double_well()
    pyo.SolverFactory("smfe_ipopt").solve(m)
    local = pyo.value(m.obj)
    assert local > GLOBAL + 1.0  # Ipopt from x = 2 descends into the other well
    m.x.set_value(2.0)
    res = solver().solve(m)
    assert res.solver.termination_condition == PTC.optimal
    assert abs(pyo.value(m.obj) - GLOBAL) < 1e-5
    assert res.solver.gap == 0.0
    assert res.solver.dual_bound <= res.solver.primal_bound + BOUND_TOL
    assert abs(res.solver.dual_bound - GLOBAL) < 1e-5


def test_milp_and_minlp_optima_match_enumeration() -> None:
    w = [12, 7, 11, 8, 9]
    v = [24, 13, 23, 15, 16]
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(0, 4)
    m.pick = pyo.Var(m.I, within=pyo.Binary)
    m.y = pyo.Var(bounds=(0, 4))
    m.obj = pyo.Objective(
        expr=sum(v[i] * m.pick[i] for i in m.I) - (m.y - 1.5) ** 2, sense=pyo.maximize
    )
    m.cap = pyo.Constraint(expr=sum(w[i] * m.pick[i] for i in m.I) <= 26 + m.y * m.pick[0])
    res = solver().solve(m)
    assert res.solver.termination_condition == PTC.optimal
    best = -np.inf
    for bits in itertools.product((0, 1), repeat=5):
        # for fixed picks the best y is the feasible one nearest 1.5
        slack = sum(wi * b for wi, b in zip(w, bits, strict=True)) - 26
        lo = max(0.0, slack / 1.0) if bits[0] else (0.0 if slack <= 0 else np.inf)
        if lo > 4.0:
            continue
        y = max(1.5, lo)
        best = max(best, sum(vi * b for vi, b in zip(v, bits, strict=True)) - (y - 1.5) ** 2)
    assert abs(pyo.value(m.obj) - best) < 1e-5


def test_statuses_infeasible_and_limits(tmp_path: Path) -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.Integers, bounds=(0, 10))
    m.c = pyo.Constraint(expr=2 * m.x == 7)
    m.obj = pyo.Objective(expr=m.x)
    res = solver().solve(m, load_solutions=False)
    assert res.solver.termination_condition == PTC.infeasible
    run = smfe.scip.solve_nl(_write(double_well(), tmp_path / "w.nl"), {"nodes": 1})
    assert run.status == "nodelimit"
    assert run.termination == TerminationCondition.ITERATION_LIMIT
    assert run.ampl_code == 401 and run.x is not None and run.gap > 0.0
    assert run.solution == SolutionStatus.FEASIBLE  # an incumbent, optimality not proven
    ok = smfe.scip.solve_nl(tmp_path / "w.nl", {"time": 30, "numerics/feastol": "1e-9"})
    assert ok.solution == SolutionStatus.OPTIMAL and ok.ampl_code == 0
    assert ok.x is not None and abs(ok.x[0] + 1.3007) < 1e-3


def test_values_come_back_in_nl_order(tmp_path: Path) -> None:
    """Pyomo writes nonlinear variables first; a nonlinear objective adds SCIP an auxiliary
    variable: neither may shift a value."""
    m = pyo.ConcreteModel()
    m.a = pyo.Var(bounds=(0, 1))
    m.b = pyo.Var(bounds=(-1, 2))
    m.z = pyo.Var(within=pyo.Binary)
    m.obj = pyo.Objective(expr=(m.b - 0.25) ** 2 + m.a + 2 * m.z)
    m.c = pyo.Constraint(expr=m.a + m.z >= 0.5)
    solver().solve(m)
    assert abs(m.a.value - 0.5) < 1e-6 and abs(m.b.value - 0.25) < 1e-4
    assert m.z.value == pytest.approx(0.0, abs=1e-9)


def test_bad_options_and_complementarity_are_clean_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = _write(double_well(), tmp_path / "w.nl")
    for opts, why in (
        (["foo/bar=1"], "options.foo/bar: is not a SCIP parameter"),
        (["time=abc"], "options.limits/time: must be a float"),
    ):
        assert scip_main([str(stub), "-AMPL", *opts]) == 0
        sol = stub.with_suffix(".sol").read_text()
        assert why in sol.splitlines()[0]
        assert "objno 0 500" in sol
    from pyomo.mpec import Complementarity, complements

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=1)
    m.y = pyo.Var(bounds=(0, None), initialize=1)
    m.o = pyo.Objective(expr=(m.x - 1) ** 2 + (m.y - 1) ** 2)
    m.c = Complementarity(expr=complements(m.x >= 0, m.y >= 0))
    pyo.TransformationFactory("mpec.nl").apply_to(m)
    for name in ("smfe_scip", "smfe_ipopt"):
        res = pyo.SolverFactory(name).solve(m, load_solutions=False)
        assert res.solver.status == SolverStatus.error, name
        assert res.solver.termination_condition == PTC.internalSolverError, name
        assert "complementarity constraints" in str(res.solver.message), name
    capsys.readouterr()


def _write(m: pyo.ConcreteModel, path: Path) -> Path:
    m.write(str(path), io_options={"symbolic_solver_labels": False})
    return path
