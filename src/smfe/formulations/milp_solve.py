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
from smfe.formulations.built import Built, exact_solution
from smfe.formulations.milp import Menu, build_milp, start_support, tight_big_m
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
    Solver (``solver``: ``highs`` or ``scip``, the same model) options: ``time_limit`` (s),
    ``mip_gap`` (relative), ``threads``, ``extra`` (further options by the solver's names).
    ``route``: ``bigm`` (our big-M rows, M per row) or ``gdp`` (``pyomo.mpec`` + ``gdp.bigm``
    with the global M). ``start``: hand the solver a MIP start — the best certified exact MFE
    over the menu entries, each solved by the iterative solver (all entries up to
    ``start_entries``, else that many spread over the menu)."""

    menu: list[list[float]] | None = None
    grid: list[list[float]] | None = None
    time_limit: float = 600.0
    mip_gap: float = 0.0
    threads: int = 1
    route: str = "bigm"
    solver: str = "highs"
    start: bool = True
    start_entries: int = 64
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_positive("time_limit", self.time_limit)
        require_positive("threads", self.threads)
        if not 0.0 <= self.mip_gap < 1.0:
            raise InstanceError("options.mip_gap", f"must lie in [0, 1), got {self.mip_gap}")
        if self.route not in ("bigm", "gdp"):
            raise InstanceError("options.route", f"must be 'bigm' or 'gdp', got {self.route!r}")
        if self.solver not in ("highs", "scip"):
            raise InstanceError("options.solver", f"must be 'highs' or 'scip', got {self.solver!r}")
        require_positive("start_entries", self.start_entries)
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


def _mip_start(built: Built, entries: FloatArray, options: MILPOptions) -> tuple[int, str]:
    """Set the model's values to the best certified exact MFE over (a spread of) the menu
    entries; returns the entry (−1 if none certified) and a sentence for the message."""
    from smfe.solvers.mfe import evaluate_point, solve_mfe
    from smfe.solvers.options import MFEOptions
    from smfe.solvers.run import support_polisher

    cg, m = built.cg, built.model
    K = entries.shape[0]
    picks = np.unique(np.linspace(0, K - 1, min(K, options.start_entries)).round().astype(int))
    best: tuple[float, int, Any] | None = None
    for k in picks:
        theta = entries[k]
        sol = solve_mfe(
            cg, theta, MFEOptions(), polisher=support_polisher(cg, theta, MFEOptions(), [])
        )
        _, nu_br, _, gap = evaluate_point(cg, theta, sol.nu)
        flow = float(np.abs(nu_br.sum(axis=-1) - sol.nu.sum(axis=-1)).max())
        if max(float(gap), flow) > 1e-8:
            continue
        J = cg.objective(theta, sol.nu)
        if best is None or best[0] < J:
            best = (J, int(k), sol)
    if best is None:
        return -1, f"no MIP start: none of {len(picks)} menu entries gave a certified exact MFE"
    J, k, sol = best
    nu = sol.nu.reshape(cg.T, cg.n_sa)
    values = {
        "theta": entries[k],
        "V": sol.value[: cg.T],
        "Q": sol.q.reshape(cg.T, cg.n_sa),
        "nu": nu,
        "mu": sol.mu.reshape(cg.T, cg.n_s),
        "z": cg.aggregates(sol.nu).reshape(cg.T, -1),
    }
    for name, arr in values.items():
        if not hasattr(m, name):  # the gdp route has its own binaries: a partial start
            continue
        for index, var in getattr(m, name).items():
            var.set_value(float(np.asarray(arr)[index]), skip_validation=True)
    for kk, var in m.delta.items():
        var.set_value(1.0 if kk == k else 0.0)
    start_support(m)
    if hasattr(m, "w"):
        for (kk, t, i), var in m.w.items():
            var.set_value(float(m.nu[t, i].value) if kk == k else 0.0)
    return k, f"MIP start: menu entry {k}, J = {J:.10g} (best of {len(picks)} exact MFEs)"


def _highs(built: Built, options: MILPOptions) -> tuple[str, float | None, float | None, float]:
    """HiGHS through Pyomo's appsi_highs; (termination, primal, bound, seconds)."""
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    if not opt.available():
        raise SolverUnavailable("HiGHS (highspy) is not available to Pyomo's appsi_highs")
    opt.config.time_limit = options.time_limit
    opt.config.mip_gap = options.mip_gap
    opt.config.load_solution = False
    opt.config.warmstart = options.start
    opt.highs_options = {"threads": options.threads, **options.extra}
    # HiGHS keeps one thread scheduler per process, sized by the first solve (the Θ-projection
    # QP, say); a later solve asking for another thread count then stops with status
    # "unknown". Resetting it lets this solve use its own count (measured: test order).
    import highspy

    highspy.Highs.resetGlobalScheduler(True)
    t1 = time.perf_counter()
    res = opt.solve(built.model)
    seconds = time.perf_counter() - t1
    tc_name = getattr(res.termination_condition, "name", str(res.termination_condition))
    primal = res.best_feasible_objective
    if primal is not None and np.isfinite(primal):
        res.solution_loader.load_vars()
    return tc_name, primal, res.best_objective_bound, seconds


_SCIP_NAMES = {
    "optimal": "optimal",
    "gaplimit": "optimal",  # stopped at the requested mip_gap, as HiGHS reports it
    "timelimit": "maxTimeLimit",
    "infeasible": "infeasible",
}


def _scip(built: Built, options: MILPOptions) -> tuple[str, float | None, float | None, float]:
    """SCIP in process on the same model (written as ``.nl``); same tuple as :func:`_highs`."""
    from smfe.scip.backend import available
    from smfe.scip.pyomo_solve import solve_model

    if not available():
        raise SolverUnavailable("SCIP (pyscipopt) is not installed")
    params = {
        "limits/time": options.time_limit,
        "limits/gap": options.mip_gap,
        "parallel/maxnthreads": options.threads,
        "numerics/feastol": 1e-9,
        **options.extra,
    }
    run, _ = solve_model(built.model, params, start=options.start)
    primal = None if run.x is None else run.primal_bound
    return _SCIP_NAMES.get(run.status, run.status), primal, run.dual_bound, run.seconds


def solve_milp(
    game: Game,
    options: MILPOptions,
    start: object = None,
    tolerances: Tolerances | None = None,
    progress: object = None,
) -> Result:
    """Method ``milp``: θ comes from the menu of ``options`` (``start`` is not used)."""
    menu = options.to_menu()
    t0 = time.perf_counter()
    built = build_milp(game, menu, options.route)
    t_build = time.perf_counter() - t0
    entries = menu.validated(built.cg.game)
    t0 = time.perf_counter()
    how = "no MIP start"
    if options.start:
        _, how = _mip_start(built, entries, options)
    t_start = time.perf_counter() - t0
    solve = _highs if options.solver == "highs" else _scip
    tc_name, primal, bound, t_solve = solve(built, options)
    term = _TERMINATION.get(tc_name, TerminationCondition.UNKNOWN)
    name = "HiGHS" if options.solver == "highs" else "SCIP"
    if primal is None or not np.isfinite(primal):
        raise SolveFailed(
            f"{name} stopped without a feasible point (termination: {tc_name}, "
            f"time limit {options.time_limit} s; {how})"
        )
    if bound is None:
        bound = float("nan")
    gap = abs(bound - primal) / max(1.0, abs(primal)) if np.isfinite(bound) else float("inf")
    tight = tight_big_m(built)
    if tight:
        raise FormulationError(
            f"{len(tight)} big-M constraints are tight at M after the solve (first: step, pair "
            f"{tight[0]}): the derived bound may cut off solutions"
        )
    cg = built.cg
    m = built.model
    chosen = int(np.argmax([pyo.value(m.delta[k]) for k in m.K]))
    theta = entries[chosen]  # exact menu entry (no round-off)
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
        timings={"build": t_build, "start": t_start, options.solver: t_solve},
        history={"objective": [float(primal)], "dual_bound": [float(bound)], "gap": [gap]},
        tolerances=tolerances,
        message=(
            f"{options.route} route, {name} {tc_name}: objective {primal:.10g}, "
            f"dual bound {bound:.10g}, gap {gap:.2e}; "
            f"menu entry {chosen} of {len(entries)}; {built.notes[0]}; {how}; "
            "V reported from exact dynamic programming at (θ, ν)"
        ),
    )
    return replace(result, log=f"menu size {len(entries)}")
