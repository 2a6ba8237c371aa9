"""Solve a built Pyomo formulation with Ipopt (in process) and return the common ``Result``.

Pyomo writes the model as ``.nl`` text (no presolve, so the variable order is Pyomo's),
:func:`smfe.ipopt.solve_nl` solves it, and the values are loaded back into the model. The
answer is then certified like every other method's: the status is ``optimal`` only if Ipopt
says ``Solve_Succeeded`` *and* the independent certificate passes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.errors import InstanceError, SolveFailed
from smfe.formulations.built import Built, solution_from_values
from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp, soft_system
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.ipopt import IpoptRun
from smfe.ipopt.pyomo_solve import solve_model
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import MFEOptions, OptionsBase
from smfe.solvers.result import Result, build_result
from smfe.solvers.sensitivity import implicit_gradient
from smfe.solvers.status import SolutionStatus, TerminationCondition
from smfe.system.solution import INITIAL_POINTS

FloatArray = NDArray[np.float64]

IPOPT_DEFAULTS: dict[str, Any] = {
    "tol": 1e-10,
    "constr_viol_tol": 1e-10,
    "max_iter": 3000,
    "mumps_pivot_order": 5,
}
"""``mumps_pivot_order`` 5 (METIS): MUMPS's automatic choice picked an ordering (AMF) that made
each KKT factorisation of a grid game (crowd motion, 20 × 20, 8,000 pair-steps) 13× slower
(cold F1: 22.5 s against 1.9 s; measured); AMD (0) was as fast there but stalled at
"acceptable" on a capped congestion leader problem that METIS solves; on random Garnet
kernels the orderings tie."""
WARM_START_OPTIONS: dict[str, Any] = {"bound_push": 1e-14, "bound_frac": 1e-14, "mu_init": 1e-9}
"""With a primal warm start: Ipopt's default bound_push (1e-2) moves every ν, μ, π that is
below 0.01 — at 10⁵ pairs, all of them — away from its bound, and the restoration phase then
failed (measured); a small push and barrier keep the start. With θ fixed they also serve the
computed cold starts (``response``, ``uniform``: strictly positive flows and policies): on the
186,000-pair utility market the default push put the response start at a primal
infeasibility of 15.9 and Ipopt into restoration (300 s limit, uncertified); kept, the start
is at 2.4e-2 and Ipopt converges in 4 iterations (84 s certified, measured)."""
KEEP = frozenset({"response", "uniform"})
"""The computed starting points kept with :data:`WARM_START_OPTIONS` when θ is fixed."""
BACKENDS = ("auto", "pyomo", "casadi", "callbacks")
AUTO_PYOMO_MAX = 2000


@dataclass(frozen=True)
class NLPOptions(OptionsBase):
    """Options of the NLP methods.

    ``fix_theta``: solve the MFE alone at θ (``theta=`` of :func:`smfe.solve`, else the
    start of Θ). ``warm_start``: start Ipopt from the iterative solver's MFE at the start θ;
    otherwise from ``initial``, a point computed from the game alone — the model's own
    initial point (:data:`smfe.system.solution.INITIAL_POINTS`); with ``fallback``, a solve
    that ends uncertified (a warm one too: Ipopt can stop "acceptable" next to the optimum,
    measured on a time-varying congestion game) is repeated from each such point in turn,
    then by τ-continuation (:data:`CONTINUATION`), unless an attempt hit Ipopt's time limit
    (which holds per solve); each attempt is named in the result's message, iterations and
    times are summed.
    ``ipopt``: Ipopt options, over :data:`IPOPT_DEFAULTS`. ``backend``: ``"pyomo"`` (the
    Pyomo model written as .nl and read by CasADi's Ipopt), ``"casadi"`` (the same equations
    assembled as sparse CasADi expressions, :mod:`smfe.system.to_casadi`; much faster
    derivative setup on large games), ``"callbacks"`` (Ipopt's callback interface with the
    NumPy translation's sparse derivatives, :mod:`smfe.system.numeric`; no symbolic set-up,
    needs ``cyipopt``) or
    ``"auto"`` (``pyomo`` up to :data:`AUTO_PYOMO_MAX` state-action-steps, else ``casadi``).
    """

    fix_theta: bool = False
    warm_start: bool = True
    ipopt: dict[str, Any] = field(default_factory=dict)
    backend: str = "auto"
    initial: str = "response"
    fallback: bool = True

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise InstanceError(
                "options.backend", f"must be one of {BACKENDS}, got {self.backend!r}"
            )
        if self.initial not in INITIAL_POINTS:
            raise InstanceError(
                "options.initial", f"must be one of {INITIAL_POINTS}, got {self.initial!r}"
            )


def large_backend() -> str:
    """The backend of ``auto`` above :data:`AUTO_PYOMO_MAX`: ``callbacks`` (no symbolic
    set-up) when ``cyipopt`` is installed, else ``casadi``."""
    import importlib.util

    return "callbacks" if importlib.util.find_spec("cyipopt") is not None else "casadi"


def solve_built(
    built: Built, ipopt_options: dict[str, Any] | None = None, warm: IpoptRun | None = None
) -> IpoptRun:
    """Write ``built.model`` as .nl, solve with Ipopt, load the values back; return the run.

    The current variable values are the primal start; ``warm`` (a previous run on the same
    model, so the same variable and constraint order) supplies dual starts.
    """
    run, _ = solve_model(built.model, {**IPOPT_DEFAULTS, **(ipopt_options or {})}, warm)
    return run


def solve_soft_nlp(
    game: Game,
    options: NLPOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``soft-nlp``: F1 + Ipopt, certified independently.

    Every backend solves the same :class:`~smfe.system.EquilibriumSystem`: ``pyomo`` writes
    its Pyomo translation as ``.nl``, ``casadi`` and ``callbacks`` pass its CasADi and NumPy
    translations to Ipopt directly.
    """
    cg = compile_game(game)
    t0 = time.perf_counter()
    th = game.start() if theta is None else theta
    fixed = options.fix_theta or game.n_theta == 0
    start: MFESolution | None = None
    ipopt_options = {**IPOPT_DEFAULTS, **options.ipopt}
    if options.warm_start:
        start = solve_mfe(cg, th, MFEOptions(tol=1e-8))
        if fixed:  # the start is the answer's neighbour: keep it (ν, μ, π ~ 1/size near 0)
            ipopt_options = {**WARM_START_OPTIONS, **ipopt_options}
    backend = options.backend
    if backend == "auto":
        backend = "pyomo" if cg.T * cg.n_sa <= AUTO_PYOMO_MAX else large_backend()
    tally = _Tally(build=time.perf_counter() - t0)
    failed: list[str] = []
    result: Result | None = None

    def model(stage_start: MFESolution | None, initial: str) -> SoftNLPOptions:
        objective = "none" if fixed else "leader"
        return SoftNLPOptions(th if fixed else None, objective, stage_start, initial)

    def resuming(opts: dict[str, Any]) -> dict[str, Any]:  # from a previous answer
        return {**WARM_START_OPTIONS, **opts} if fixed else opts

    plan = _plan(game, options, warm=start is not None)
    reported = 0  # entries of ``failed`` up to the reported result's own
    for label, factors, initial in plan:
        stage_start = start
        for j, factor in enumerate(factors):
            staged = game if factor == 1.0 else replace(game, tau=game.tau * factor)
            kept = j > 0 or (stage_start is None and initial in KEEP)
            opts = resuming(ipopt_options) if kept else ipopt_options
            run = tally.add(_run_stage(staged, model(stage_start, initial), opts, backend))
            if not run.finite or run.termination != TerminationCondition.CONVERGED:
                break  # nothing to continue from (the last stage is judged below)
            stage_start = run.solution()
        origin = f" from the {label}" if label else ""
        if failed:
            origin += " (before: " + "; ".join(failed) + ")"
        out_of_time = run.termination == TerminationCondition.TIME_LIMIT
        if factor != 1.0 or not run.finite:
            at = f" at {factor:g}τ" if factor != 1.0 else " (no values)"
            failed.append(f"{label or 'warm start'}: {run.status}{at}")
            if out_of_time:  # Ipopt's time limit holds per solve: do not multiply it
                break
            continue
        note = f"Ipopt ({backend} backend): {run.status}{origin}"
        result = _outcome(cg, run, tally, fixed, tolerances, note)
        if result.status.solution == SolutionStatus.FEASIBLE and "tol" not in options.ipopt:
            # converged and an equilibrium within 1e-6, short of the certificate: Ipopt's
            # 1e-10 per row adds up over many pairs — resume from its answer, tighter
            tight = resuming({**ipopt_options, **TIGHTENED})
            again = tally.add(_run_stage(game, model(run.solution(), initial), tight, backend))
            if again.finite:
                note = f"Ipopt ({backend} backend): {again.status}{origin}, resumed at tol 1e-13"
                resumed = _outcome(cg, again, tally, fixed, tolerances, note)
                if resumed.status.ok:  # else the first answer stands, as reported
                    result = resumed
        if result.status.ok:
            break
        failed.append(f"{label or 'warm start'}: {result.status}")
        reported = len(failed)
        if out_of_time:
            break
    if result is None:
        raise SolveFailed(f"Ipopt ({backend} backend) returned no solution: {'; '.join(failed)}")
    later = failed[reported:]
    if not result.status.ok and later:  # attempts after the reported one gave no point
        result = replace(result, message=f"{result.message} (after it: {'; '.join(later)})")
    return _with_log(result, "\n".join(tally.logs))


TIGHTENED: dict[str, Any] = {"tol": 1e-13, "constr_viol_tol": 1e-13}
"""Ipopt's tolerances when a converged answer is an equilibrium within 1e-6 but fails the
certificate (the reference market from the response start: consistency 1.7e-7 at tol 1e-10,
4e-12 at 1e-13)."""

CONTINUATION = (16.0, 4.0, 1.0)
"""τ-factors of the last fallback: F1 at 16τ (smoother softmax, better conditioned), then
4τ and τ, each warm-started from the previous answer."""


def _plan(game: Game, options: NLPOptions, warm: bool) -> list[tuple[str, tuple[float, ...], str]]:
    """The attempts of a solve: (label, τ-factors of its stages, initial point). Warm: the
    warm start, then with ``fallback`` the cold attempts. Cold: ``options.initial``, then with
    ``fallback`` the other starting points and last a τ-continuation :data:`CONTINUATION`
    from ``options.initial``."""
    plan: list[tuple[str, tuple[float, ...], str]] = []
    if warm:
        plan.append(("", (1.0,), options.initial))
        if not options.fallback:
            return plan
    plan.append((f"{options.initial} start", (1.0,), options.initial))
    if options.fallback:
        plan += [(f"{s} start", (1.0,), s) for s in INITIAL_POINTS if s != options.initial]
        if game.tau > 0.0:
            steps = " → ".join(f"{f:g}τ" if f != 1.0 else "τ" for f in CONTINUATION)
            plan.append((f"τ-continuation {steps}", CONTINUATION, options.initial))
    return plan


@dataclass(frozen=True)
class _Stage:
    """One Ipopt solve of F1: its values as game arrays, status and costs."""

    values: dict[str, FloatArray]
    status: str
    termination: TerminationCondition
    iterations: int
    ipopt_seconds: float
    build_seconds: float
    log: str

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.values["nu"]).all())

    def solution(self) -> MFESolution:
        return solution_from_values(self.values, float("nan"), self.iterations, self.termination)


@dataclass
class _Tally:
    """Iterations, times and logs summed over every Ipopt solve of one method call."""

    build: float = 0.0
    ipopt: float = 0.0
    iterations: int = 0
    logs: list[str] = field(default_factory=list)

    def add(self, stage: _Stage) -> _Stage:
        self.build += stage.build_seconds
        self.ipopt += stage.ipopt_seconds
        self.iterations += stage.iterations
        self.logs.append(stage.log)
        return stage


def _outcome(
    cg: CompiledGame,
    stage: _Stage,
    tally: _Tally,
    fixed: bool,
    tolerances: Tolerances | None,
    message: str,
) -> Result:
    """The certified result of a stage's answer (iterations and times: the tally's)."""
    sol = solution_from_values(stage.values, float("nan"), tally.iterations, stage.termination)
    grad = None if fixed else implicit_gradient(cg, sol.theta, sol.value, sol.nu)
    return build_result(
        cg,
        "soft-nlp",
        sol,
        termination=stage.termination,
        iterations=tally.iterations,
        leader_gradient=grad,
        leader_optimised=not fixed,
        timings={"build": tally.build, "ipopt": tally.ipopt},
        history={},
        tolerances=tolerances,
        message=message,
    )


def _run_stage(
    game: Game, sopts: SoftNLPOptions, ipopt_options: dict[str, Any], backend: str
) -> _Stage:
    """Build F1 for ``game`` and solve it once with Ipopt on ``backend``."""
    from smfe.ipopt.system_runs import solve_callbacks, solve_casadi
    from smfe.system import game_arrays

    t1 = time.perf_counter()
    if backend == "pyomo":
        built = build_soft_nlp(game, sopts)
        t_build = time.perf_counter() - t1
        run = solve_built(built, ipopt_options)
        return _Stage(
            built.values(),
            run.status,
            run.termination,
            run.iterations,
            run.seconds,
            t_build,
            run.log,
        )
    system = soft_system(game, sopts)
    t_build = time.perf_counter() - t1
    solve = solve_casadi if backend == "casadi" else solve_callbacks
    srun = solve(system, ipopt_options)
    t_build += srun.timings.get("build", 0.0) + srun.timings.get("setup", 0.0)
    return _Stage(
        game_arrays(system, srun.x),
        srun.status,
        srun.termination,
        srun.iterations,
        srun.timings["ipopt"],
        t_build,
        srun.log,
    )


def _with_log(result: Result, log: str) -> Result:
    return replace(result, log=log)
