"""Method ``milp``: F2b solved by HiGHS (through Pyomo's ``appsi_highs``), certified.

A zero-gap answer whose certificate passes is labelled a **global optimum over the menu**
(``Optimality.GLOBAL``); the result carries HiGHS's primal value, dual bound and relative
gap. Afterwards no big-M constraint may be tight at M (else FormulationError).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError, SolveFailed, SolverUnavailable
from smfe.formulations.built import exact_solution
from smfe.formulations.milp import Menu, build_milp, tight_big_m
from smfe.game.model import Game
from smfe.solvers.options import OptionsBase, require_positive
from smfe.solvers.result import Result, build_result
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]
GLOBAL_GAP = 1e-9


MAX_MENU = 100_000
"""A menu (or grid) may hold at most this many decisions: each is a block of binaries."""


@dataclass(frozen=True)
class MILPOptions(OptionsBase):
    """``menu``: explicit decisions (list of θ vectors) or ``grid``: values per component.
    HiGHS options: ``time_limit`` (s), ``mip_gap`` (relative), ``threads``. ``route``:
    ``bigm`` (our big-M rows) or ``gdp`` (``pyomo.mpec`` + ``gdp.bigm`` with the same M)."""

    menu: list[list[float]] | None = None
    grid: list[list[float]] | None = None
    time_limit: float = 600.0
    mip_gap: float = 0.0
    threads: int = 1
    route: str = "bigm"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_positive("time_limit", self.time_limit)
        require_positive("threads", self.threads)
        if not 0.0 <= self.mip_gap < 1.0:
            raise InstanceError("options.mip_gap", f"must lie in [0, 1), got {self.mip_gap}")
        if self.route not in ("bigm", "gdp"):
            raise InstanceError("options.route", f"must be 'bigm' or 'gdp', got {self.route!r}")
        for name in ("menu", "grid"):
            rows = getattr(self, name)
            if rows is None:
                continue
            if not rows or any(not r for r in rows):
                raise InstanceError(f"options.{name}", "must be a non-empty list of lists")
            if name == "menu" and len({len(r) for r in rows}) > 1:
                raise InstanceError("options.menu", "every decision must have the same length")
            for i, r in enumerate(rows):
                if not all(np.isfinite(r)):
                    raise InstanceError(f"options.{name}[{i}]", "must hold finite numbers")
        if self.grid is not None and math.prod(len(r) for r in self.grid) > MAX_MENU:
            raise InstanceError(
                "options.grid",
                f"spans {math.prod(len(r) for r in self.grid):,} decisions, above {MAX_MENU:,}",
            )

    def to_menu(self) -> Menu:
        if (self.menu is None) == (self.grid is None):
            raise InstanceError("options.menu", "give exactly one of 'menu' and 'grid'")
        if self.menu is not None:
            return Menu(np.array(self.menu, dtype=np.float64))
        assert self.grid is not None
        return Menu.grid(self.grid)


_TERMINATION = {
    "optimal": TerminationCondition.CONVERGED,
    "maxTimeLimit": TerminationCondition.TIME_LIMIT,
    "maxIterations": TerminationCondition.ITERATION_LIMIT,
    "infeasible": TerminationCondition.INFEASIBLE,
}


def solve_milp(
    game: Game,
    options: MILPOptions,
    start: object = None,
    tolerances: Tolerances | None = None,
    progress: object = None,
) -> Result:
    """Method ``milp``: θ comes from the menu of ``options`` (``start`` is not used)."""
    from pyomo.contrib.appsi.solvers import Highs

    menu = options.to_menu()
    t0 = time.perf_counter()
    built = build_milp(game, menu, options.route)
    t_build = time.perf_counter() - t0
    opt = Highs()
    if not opt.available():
        raise SolverUnavailable("HiGHS (highspy) is not available to Pyomo's appsi_highs")
    opt.config.time_limit = options.time_limit
    opt.config.mip_gap = options.mip_gap
    opt.config.load_solution = False
    opt.highs_options = {"threads": options.threads, **options.extra}
    # HiGHS keeps one thread scheduler per process, sized by the first solve (the Θ-projection
    # QP, say); a later solve asking for another thread count then stops with status
    # "unknown". Resetting it lets this solve use its own count (measured: test order).
    import highspy

    highspy.Highs.resetGlobalScheduler(True)
    t1 = time.perf_counter()
    res = opt.solve(built.model)
    t_solve = time.perf_counter() - t1
    tc_name = getattr(res.termination_condition, "name", str(res.termination_condition))
    term = _TERMINATION.get(tc_name, TerminationCondition.UNKNOWN)
    primal = res.best_feasible_objective
    bound = res.best_objective_bound
    if primal is None or not np.isfinite(primal):
        raise SolveFailed(
            f"HiGHS stopped without a feasible point (termination: {tc_name}, "
            f"time limit {options.time_limit} s)"
        )
    res.solution_loader.load_vars()
    gap = abs(bound - primal) / max(1.0, abs(primal)) if bound is not None else float("inf")
    tight = tight_big_m(built)
    if tight:
        raise FormulationError(
            f"{len(tight)} big-M constraints are tight at M after the solve (first: step, pair "
            f"{tight[0]}): the derived bound may cut off solutions"
        )
    cg = built.cg
    m = built.model
    chosen = int(np.argmax([pyo.value(m.delta[k]) for k in m.K]))
    theta = menu.validated(cg.game)[chosen]  # exact menu entry (no round-off)
    nu = np.maximum(
        np.array([[m.nu[t, i].value for i in m.SA] for t in m.T], dtype=np.float64), 0.0
    )
    sol = exact_solution(cg, theta, nu, term)
    result = build_result(
        cg,
        "milp",
        sol,
        termination=term,
        iterations=0,
        leader_gradient=None,
        leader_optimised=True,
        stationary=False,
        global_optimum=gap <= GLOBAL_GAP,
        timings={"build": t_build, "highs": t_solve},
        history={"objective": [float(primal)], "dual_bound": [float(bound)], "gap": [gap]},
        tolerances=tolerances,
        message=(
            f"{options.route} route, HiGHS {tc_name}: objective {primal:.10g}, "
            f"dual bound {bound:.10g}, gap {gap:.2e}; "
            f"menu entry {chosen} of {len(menu.validated(cg.game))}; {built.notes[0]}; "
            "V reported from exact dynamic programming at (θ, ν)"
        ),
    )
    return replace(result, log=f"menu size {len(menu.validated(cg.game))}")
