r"""Method ``global``: the S-MFE leader problem solved to a proven global optimum by SCIP 10.

**Soft response.** F1 (:mod:`smfe.formulations.soft_nlp`) — the leader's objective over
θ ∈ Θ subject to the soft equilibrium conditions, with the exp / log-sum-exp softmax and the
bilinear flow terms — is written as a ``.nl`` file and solved by SCIP (:mod:`smfe.scip`) by
spatial branch-and-bound: SCIP returns an incumbent θ_S, a dual bound U on max J and the gap.
SCIP's answer holds to its feasibility tolerance (``feastol``), not to the certificate's
(1e-8), so the method finishes locally: the leader's projected gradient (``pgd``, implicit
gradients, each MFE solved by the iterative solver) runs from θ_S to a certified, first-order
stationary θ*.

**Exact response (τ = 0).** The equilibrium rows that are linear for affine prices and θ-free
kernels (Bellman, V ≥ Q, flows, aggregates; :func:`smfe.formulations.milp.linear_obstacles`
says when they are not), θ free in Θ with Θ's rows, the leader's measurements and objective,
and the exact response as big-M disjunctions ν ≤ b, V − Q ≤ M(1 − b) with M from proven
bounds — a MILP, or a MIQP / MINLP where J is quadratic in y or H depends on θ, which SCIP
takes as they are (the menu MILP refuses quadratic J). SCIP's rows are linear here, so it runs
at feasibility tolerance 1e-9; its point is finished by Newton on the support it identifies
and certified as an exact MFE at SCIP's θ.

In both cases ``optimality: global`` only if SCIP closed the gap (optimal, or stopped at the
requested relative ``gap``) **and** the certified J reaches SCIP's dual bound,
J ≥ U − ``bound_tol``·max(1, |U|): no θ ∈ Θ does better by more than those tolerances, and the
point itself is certified. Otherwise the certified point is reported with SCIP's bounds and
gap (``history``) and a message saying "not proven global"; if SCIP found no point, a typed
failure. Measured (README, "Global optima with SCIP"): soft Garnet games are proven up to 36
pair-steps within a minute; exact ones up to 108 support binaries in 11 s, with gaps of about
0.1 % left at 60 s for 240–480 binaries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError, SolveFailed, SolverUnavailable
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.game.projection import project
from smfe.solvers.mfe import MFESolution
from smfe.solvers.options import LeaderOptions, OptionsBase, require_positive
from smfe.solvers.result import Result, build_result


@dataclass(frozen=True)
class GlobalOptions(OptionsBase):
    """``time_limit`` (s) and relative ``gap`` at which SCIP stops; ``feastol``: SCIP's
    feasibility tolerance; ``bound_tol``: how far below SCIP's dual bound the certified
    objective may lie and still be called global; ``scip``: any further SCIP parameters
    (e.g. ``{"limits/nodes": 1000}``); ``leader``: options of the local ``pgd`` finish."""

    time_limit: float = 60.0
    gap: float = 1e-6
    feastol: float = 1e-7
    bound_tol: float = 1e-5
    threads: int = 1
    scip: dict[str, Any] = field(default_factory=dict)
    leader: LeaderOptions = field(default_factory=LeaderOptions)

    def __post_init__(self) -> None:
        require_positive("time_limit", self.time_limit)
        require_positive("feastol", self.feastol)
        require_positive("bound_tol", self.bound_tol)
        require_positive("threads", self.threads)
        if not 0.0 <= self.gap < 1.0:
            raise InstanceError("options.gap", f"must lie in [0, 1), got {self.gap}")
        if isinstance(self.leader, dict):
            object.__setattr__(self, "leader", LeaderOptions.from_dict(self.leader))


@dataclass(frozen=True)
class _Scip:
    """What one SCIP solve reported: bounds, gap, whether the gap closed, the message."""

    primal: float
    bound: float
    gap: float
    closed: bool
    message: str
    status: str
    seconds: float


def _run_scip(model: Any, options: GlobalOptions, feastol: float) -> _Scip:
    """Solve ``model`` with smfe-scip and load the incumbent into it (a typed failure when
    SCIP found none)."""
    from smfe.scip.pyomo_plugin import SmfeScip

    opt = SmfeScip()
    if not opt.available():
        raise SolverUnavailable("smfe-scip (pyscipopt) is not installed")
    params = {
        "limits/time": options.time_limit,
        "limits/gap": options.gap,
        "numerics/feastol": feastol,
        "parallel/maxnthreads": options.threads,
        **options.scip,
    }
    t0 = time.perf_counter()
    res = opt.solve(model, options=params, load_solutions=False)
    seconds = time.perf_counter() - t0
    info = res.solver
    bound = float(getattr(info, "dual_bound", np.nan))
    gap = float(getattr(info, "gap", np.inf)) / 100.0  # SCIP reports the gap in percent
    message = str(info.message)
    # closed: proven optimal, or stopped at the requested relative gap
    closed = "optimal solution found" in message or (
        "gap limit reached" in message and gap <= options.gap
    )
    if len(res.solution) == 0:
        raise SolveFailed(
            f"SCIP found no feasible point ({info.termination_condition}; "
            f"time limit {options.time_limit} s, dual bound {bound:.6g}): {message}"
        )
    model.solutions.load_from(res)
    return _Scip(
        primal=float(getattr(info, "primal_bound", np.nan)),
        bound=bound,
        gap=gap,
        closed=closed,
        message=message,
        status=str(info.termination_condition),
        seconds=seconds,
    )


def _verdict(run: _Scip, objective: float, options: GlobalOptions) -> tuple[bool, str]:
    """(proven, the sentence that says why or why not) for a certified objective."""
    slack = options.bound_tol * max(1.0, abs(run.bound))
    if run.closed and np.isfinite(run.bound) and objective >= run.bound - slack:
        return True, (
            f"global: certified J = {objective:.10g} reaches SCIP's dual bound within {slack:.1e}"
        )
    if not run.closed:
        return False, f"not proven global: SCIP stopped with gap {run.gap:.2e} ({run.status})"
    return False, (
        f"not proven global: certified J = {objective:.10g} is below the dual bound by more "
        f"than {slack:.1e}"
    )


def solve_global(
    game: Game,
    options: GlobalOptions,
    theta: Any,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``global`` (module docstring)."""
    from smfe.formulations.soft_nlp import build_soft_nlp
    from smfe.solvers.leader import run_leader

    if game.n_theta == 0:
        raise FormulationError(
            "method global optimises the leader's θ, and this game has none: use mfe"
        )
    if theta is not None:
        raise FormulationError(
            "method global searches all of Θ: it takes no starting θ (theta=...)"
        )
    if game.exact:
        return _solve_exact(game, options, tolerances)
    t0 = time.perf_counter()
    built = build_soft_nlp(game)
    t_build = time.perf_counter() - t0
    scip = _run_scip(built.model, options, options.feastol)
    cg = compile_game(game)
    t2 = time.perf_counter()
    # SCIP's θ lies in Θ to its feasibility tolerance: project it before the finish
    run = run_leader(cg, "pgd", options.leader, project(game.decision, built.theta()))
    t_polish = time.perf_counter() - t2
    return _result(
        cg,
        replace(run.mfe, termination=run.termination),
        scip,
        options,
        tolerances,
        {"build": t_build, "polish": t_polish},
        f"SCIP on F1; pgd from SCIP's θ ({run.iterations} iterations)",
        iterations=run.iterations,
        gradient=run.gradient,
    )


EXACT_FEASTOL = 1e-9
"""SCIP's feasibility tolerance on the exact route: its rows are linear, so SCIP meets the
certificate's tolerances directly (the nonlinear F1 needs the looser ``feastol``)."""


def _solve_exact(game: Game, options: GlobalOptions, tolerances: Tolerances | None) -> Result:
    """τ = 0: the linear equilibrium rows with θ free in Θ, the leader's measurements and
    objective, and the exact response as big-M disjunctions (ν ≤ b, V − Q ≤ M(1 − b)) — a
    MILP, or a MIQP/MINLP where J is quadratic or H depends on θ — solved by SCIP. SCIP's
    point is finished by Newton on the support it identifies (the ``mfe`` method's support
    polish) and certified as an exact MFE at SCIP's θ."""
    from smfe.formulations.built import exact_solution
    from smfe.formulations.milp import add_support_binaries, big_m, linear_obstacles
    from smfe.solvers.options import MFEOptions
    from smfe.solvers.run import support_polisher
    from smfe.solvers.status import TerminationCondition
    from smfe.system import SystemOptions, assemble
    from smfe.system.to_pyomo import to_pyomo

    why = linear_obstacles(game)
    if why:
        raise FormulationError(
            "the global method's exact route needs equilibrium rows linear in (V, Q, ν, z): "
            + "; ".join(why)
        )
    cg = compile_game(game)
    t0 = time.perf_counter()
    system = assemble(cg, SystemOptions("linear", objective="leader", leader_rows=True))
    m = to_pyomo(system, f"global[{game.name}]")
    M = big_m(cg)
    add_support_binaries(m, cg, M)
    t_build = time.perf_counter() - t0
    scip = _run_scip(m, options, EXACT_FEASTOL)
    theta = project(game.decision, np.array([m.theta[j].value for j in m.J], dtype=np.float64))
    nu = np.maximum(
        np.array([[m.nu[t, i].value for i in m.SA] for t in m.T], dtype=np.float64), 0.0
    )
    t1 = time.perf_counter()
    term = TerminationCondition.CONVERGED if scip.closed else TerminationCondition.TIME_LIMIT
    sol = exact_solution(cg, theta, nu, term)
    notes: list[str] = []
    attempt = support_polisher(cg, theta, MFEOptions(), notes, delta=1e-7)
    polished = None if attempt is None else attempt(sol)
    if polished is not None:
        sol = replace(polished, termination=term)
    t_polish = time.perf_counter() - t1
    polish = notes[-1] if notes else "no support polish"
    return _result(
        cg,
        sol,
        scip,
        options,
        tolerances,
        {"build": t_build, "polish": t_polish},
        f"SCIP on the big-M disjunctive form ({len(m.b)} support binaries, M = {M:.6g}); " + polish,
    )


def _result(
    cg: CompiledGame,
    sol: MFESolution,
    scip: _Scip,
    options: GlobalOptions,
    tolerances: Tolerances | None,
    timings: dict[str, float],
    what: str,
    iterations: int = 0,
    gradient: np.ndarray | None = None,
) -> Result:
    """The certified result of a finished point with SCIP's bounds and the verdict: local
    evidence (stationarity) only where a gradient is given (the soft route)."""
    proven, verdict = _verdict(scip, cg.objective(sol.theta, sol.nu), options)
    result = build_result(
        cg,
        "global",
        sol,
        termination=sol.termination,
        iterations=iterations,
        leader_gradient=gradient,
        leader_optimised=True,
        stationary=None if gradient is not None else False,
        global_optimum=proven,
        timings={**timings, "scip": scip.seconds},
        history={"objective": [scip.primal], "dual_bound": [scip.bound], "gap": [scip.gap]},
        tolerances=tolerances,
        message=(
            f"{what}; SCIP {scip.status}, primal bound {scip.primal:.10g}, dual bound "
            f"{scip.bound:.10g}, gap {scip.gap:.2e}; {verdict}"
        ),
    )
    return replace(result, log=scip.message)
