"""Ipopt on an equilibrium system, through CasADi (symbolic derivatives) or through Ipopt's
callback interface (``cyipopt``, the NumPy translation's hand-derived derivatives).

Both return an :class:`SystemRun`: the full variable vector (fixed blocks included), Ipopt's
status name and its smfe translation, iterations, stage timings and the log.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe import threads
from smfe.errors import SolverUnavailable
from smfe.ipopt.backend import casadi_options
from smfe.ipopt.status import IPOPT_CODES, translate
from smfe.solvers.status import SolutionStatus, TerminationCondition
from smfe.system.system import EquilibriumSystem

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SystemRun:
    """One Ipopt solve of a system: ``x`` is the full layout vector."""

    x: FloatArray
    status: str
    termination: TerminationCondition
    solution: SolutionStatus
    iterations: int
    timings: dict[str, float]
    log: str = ""


def solve_casadi(system: EquilibriumSystem, options: dict[str, Any] | None = None) -> SystemRun:
    """Translate ``system`` to CasADi and solve with its bundled Ipopt (holding
    :data:`smfe.threads.CASADI`: CasADi's graph algorithms are not safe on two threads)."""
    with threads.CASADI:
        return _solve_casadi(system, options)


def _solve_casadi(system: EquilibriumSystem, options: dict[str, Any] | None) -> SystemRun:
    import casadi as ca

    from smfe.system.to_casadi import to_casadi

    t0 = time.perf_counter()
    model = to_casadi(system)
    t_build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "ipopt.log")
        # expand=False: expanding the sparse MX graph to SX made set-up superlinear (measured)
        opts = {**casadi_options(log_path, options, expand=False), **model.solver_options}
        t0 = time.perf_counter()
        solver = ca.nlpsol("smfe_system", "ipopt", model.nlp, opts)
        t_setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = solver(x0=model.x0, lbx=model.lbx, ubx=model.ubx, lbg=model.lbg, ubg=model.ubg)
        t_solve = time.perf_counter() - t0
        stats = solver.stats()
        del solver
        log = Path(log_path).read_text() if os.path.exists(log_path) else ""
    status = str(stats.get("return_status", "unknown"))
    term, sol, _ = translate(status)
    x = model.full(np.asarray(res["x"]).ravel())
    timings = {"build": t_build, "setup": t_setup, "ipopt": t_solve}
    return SystemRun(x, status, term, sol, int(stats.get("iter_count", 0)), timings, log)


class _Callbacks:
    """The ``problem_obj`` of ``cyipopt.Problem``: Ipopt minimises f = −J."""

    def __init__(self, system: EquilibriumSystem) -> None:
        from smfe.system.numeric import NumericSystem

        self.num = NumericSystem(system)
        self.iterations = 0

    def objective(self, x: FloatArray) -> float:
        return -self.num.objective(x)

    def gradient(self, x: FloatArray) -> FloatArray:
        return -self.num.objective_gradient(x)

    def constraints(self, x: FloatArray) -> FloatArray:
        return self.num.g(x)

    def jacobianstructure(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        return self.num.jrows, self.num.jcols

    def jacobian(self, x: FloatArray) -> FloatArray:
        return self.num.jacobian_values(x)

    def hessianstructure(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        return self.num.hrows, self.num.hcols

    def hessian(self, x: FloatArray, lagrange: FloatArray, obj_factor: float) -> FloatArray:
        return self.num.hessian_values(x, lagrange, -obj_factor)

    def intermediate(self, alg_mod: int, iter_count: int, *args: Any) -> bool:
        self.iterations = int(iter_count)
        return True


def solve_callbacks(system: EquilibriumSystem, options: dict[str, Any] | None = None) -> SystemRun:
    """Solve ``system`` through Ipopt's callback interface (needs ``cyipopt``)."""
    try:
        import cyipopt
    except ImportError:
        raise SolverUnavailable(
            "the callbacks backend needs cyipopt (pip install 'cyipopt-wheels>=1.7.0.dev0')"
        ) from None
    t0 = time.perf_counter()
    cb = _Callbacks(system)
    num = cb.num
    lb, ub, cl, cu = num.bounds()
    nlp = cyipopt.Problem(n=num.n, m=num.m, problem_obj=cb, lb=lb, ub=ub, cl=cl, cu=cu)
    for k, v in {"print_level": 0, "sb": "yes", **(options or {})}.items():
        nlp.add_option(k, v)
    t_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    x, info = nlp.solve(num.start())
    t_solve = time.perf_counter() - t0
    status = IPOPT_CODES.get(int(info["status"]), "unknown")
    term, sol, _ = translate(status)
    timings = {"setup": t_setup, "ipopt": t_solve}
    return SystemRun(num.full(np.asarray(x)), status, term, sol, cb.iterations, timings)
