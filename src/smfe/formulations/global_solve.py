r"""Method ``global``: the S-MFE leader problem solved to a proven global optimum by SCIP 10.

**Soft and Boltzmann responses.** F1 (:mod:`smfe.formulations.soft_nlp`) — the leader's
objective over θ ∈ Θ subject to the soft equilibrium conditions, with the exp /
log-sum-exp softmax and the bilinear flow terms — or F1-Boltzmann (softmax of the exact Q*,
whose max over actions is a selection λ ⊥ V* − Q*, here as SOS1 pairs) is written as a
``.nl`` file and solved by SCIP (:mod:`smfe.scip`) by spatial branch-and-bound, started from
the certified local optimum that ``pgd`` (``sqp`` for Boltzmann or with leader constraints)
reaches from Θ's start: SCIP returns an incumbent θ_S, a dual bound U on max J and the gap.
SCIP's answer holds to its feasibility tolerance (``feastol``), not to the certificate's
(1e-8), so the method finishes locally: the same local method runs from θ_S to a certified,
first-order stationary θ*, and the better of the two certified points is reported. If SCIP
finds no point within its limit the local optimum is reported with SCIP's bound.

**Exact response (τ = 0).** The equilibrium rows that are linear for affine prices and θ-free
kernels (Bellman, V ≥ Q, flows, aggregates; :func:`smfe.formulations.milp.linear_obstacles`
says when they are not), θ free in Θ with Θ's rows, the leader's measurements and objective,
and the exact response ν ⊥ V − Q as SOS1 sets {ν, s}, s = V − Q ≥ 0 (default; SCIP branches
by fixing one member to 0), or as big-M disjunctions ν ≤ b, V − Q ≤ M(1 − b) with M from
proven bounds — a MILP, or a MIQP / MINLP where J is quadratic in y or H depends on θ, which
SCIP takes as they are (the menu MILP refuses quadratic J). SCIP starts from an incumbent —
the exact MFE at the θ that ``pgd`` finds on the game softened to τ = ``incumbent_tau`` —
and, when that MFE is certified, with J cut off below the incumbent's value (no better point
is lost; the tree shrinks). Measured on a 40 × 4 × 3 exact Garnet game (480 pair-steps): the
big-M form without incumbent left a 0.06 % gap at 60 s; SOS1 without incumbent found no
point in 60 s; SOS1 from the incumbent proved the optimum in 33 s. SCIP's rows are linear
here, so it runs at feasibility tolerance 1e-9; its point is finished by Newton on the
support it identifies and certified as an exact MFE at SCIP's θ.

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
from smfe.game.model import Game, Response
from smfe.game.projection import project
from smfe.solvers.mfe import MFESolution
from smfe.solvers.options import LeaderOptions, OptionsBase, require_positive
from smfe.solvers.result import Result, build_result

EXACT_FORMS = ("sos1", "bigm")


@dataclass(frozen=True)
class GlobalOptions(OptionsBase):
    """``time_limit`` (s) and relative ``gap`` at which SCIP stops; ``feastol``: SCIP's
    feasibility tolerance; ``bound_tol``: how far below SCIP's dual bound the certified
    objective may lie and still be called global; ``scip``: any further SCIP parameters
    (e.g. ``{"limits/nodes": 1000}``); ``leader``: options of the local ``pgd`` runs.
    Exact route: ``exact_form`` ``"sos1"`` (default) or ``"bigm"``; ``incumbent_tau`` the τ
    (relative to the reward scale) of the soft game whose ``pgd`` optimum gives SCIP its
    starting θ and cutoff (0: no incumbent)."""

    time_limit: float = 60.0
    gap: float = 1e-6
    feastol: float = 1e-7
    bound_tol: float = 1e-5
    threads: int = 1
    exact_form: str = "sos1"
    incumbent_tau: float = 0.01
    scip: dict[str, Any] = field(default_factory=dict)
    leader: LeaderOptions = field(default_factory=LeaderOptions)

    def __post_init__(self) -> None:
        require_positive("time_limit", self.time_limit)
        require_positive("feastol", self.feastol)
        require_positive("bound_tol", self.bound_tol)
        require_positive("threads", self.threads)
        if not 0.0 <= self.gap < 1.0:
            raise InstanceError("options.gap", f"must lie in [0, 1), got {self.gap}")
        if self.exact_form not in EXACT_FORMS:
            raise InstanceError(
                "options.exact_form", f"must be one of {EXACT_FORMS}, got {self.exact_form!r}"
            )
        if not self.incumbent_tau >= 0.0:
            raise InstanceError("options.incumbent_tau", f"must be ≥ 0, got {self.incumbent_tau}")
        if isinstance(self.leader, dict):
            object.__setattr__(self, "leader", LeaderOptions.from_dict(self.leader))


@dataclass(frozen=True)
class _Scip:
    """What one SCIP solve reported: bounds, gap, whether the gap closed, the log."""

    primal: float
    bound: float
    gap: float
    closed: bool
    log: str
    status: str
    seconds: float
    found: bool = True


def _run_scip(
    model: Any, options: GlobalOptions, feastol: float, start: bool = False, need: bool = True
) -> _Scip:
    """Solve ``model`` with SCIP in process and load the incumbent into it. ``start``: hand
    the model's current values to SCIP as a starting solution
    (:func:`smfe.scip.backend.solve_nl`). Without an incumbent: a typed failure if ``need``,
    else a run with ``found`` false."""
    from smfe.scip.backend import available
    from smfe.scip.pyomo_solve import solve_model

    if not available():
        raise SolverUnavailable("SCIP (pyscipopt) is not installed")
    params = {
        "limits/time": options.time_limit,
        "limits/gap": options.gap,
        "numerics/feastol": feastol,
        "parallel/maxnthreads": options.threads,
        **options.scip,
    }
    run, _ = solve_model(model, params, start)
    # closed: proven optimal, or stopped at the requested relative gap
    closed = run.status == "optimal" or (run.status == "gaplimit" and run.gap <= options.gap)
    found = run.x is not None
    if not found and need:
        raise SolveFailed(
            f"SCIP found no feasible point ({run.status}; time limit {options.time_limit} s, "
            f"dual bound {run.dual_bound:.6g}): {run.message}"
        )
    return _Scip(
        primal=run.primal_bound if found else float("nan"),
        bound=run.dual_bound,
        gap=run.gap,
        closed=closed and found,
        log=run.log,
        status=run.status,
        seconds=run.seconds,
        found=found,
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


def _local_name(game: Game) -> str:
    """The local leader method that finishes SCIP's point: ``sqp`` keeps leader constraints
    on the mean field and takes the Boltzmann response; ``pgd`` (projection onto Θ,
    implicit gradients of the soft response) otherwise."""
    return "sqp" if game.constraints or game.response == Response.BOLTZMANN else "pgd"


def _local(cg: CompiledGame, options: GlobalOptions, theta: Any) -> Any:
    """Run :func:`_local_name`'s method on ``cg`` from ``theta``; the :class:`LeaderRun`."""
    from smfe.solvers.leader import run_leader
    from smfe.solvers.sqp import run_sqp

    if _local_name(cg.game) == "sqp":
        return run_sqp(cg, options.leader, theta)
    return run_leader(cg, "pgd", options.leader, theta)


def solve_global(
    game: Game,
    options: GlobalOptions,
    theta: Any,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``global`` (module docstring)."""
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
    return _solve_smooth(game, options, tolerances)


def _solve_smooth(game: Game, options: GlobalOptions, tolerances: Tolerances | None) -> Result:
    """Soft or Boltzmann response: the local method (:func:`_local_name`) from Θ's start
    gives a certified incumbent; F1 (F1-Boltzmann with its max over actions as SOS1 pairs)
    starts from it in SCIP; the local method runs again from SCIP's θ, and the better
    certified point is reported against SCIP's dual bound."""
    from smfe.formulations.boltzmann_nlp import build_boltzmann_nlp
    from smfe.formulations.exact_mpec import MPECOptions
    from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp

    cg = compile_game(game)
    local = _local_name(game)
    t0 = time.perf_counter()
    first = _local(cg, options, game.start())
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    if game.response == Response.BOLTZMANN:
        built = build_boltzmann_nlp(game, MPECOptions(objective="leader", start=first.mfe))
        what = "F1-Boltzmann with " + _sos1_pairs(built.model, built.cg, "select")
    else:
        built = build_soft_nlp(game, SoftNLPOptions(start=first.mfe))
        what = "F1"
    t_build = time.perf_counter() - t0
    scip = _run_scip(built.model, options, options.feastol, start=True, need=False)
    t2 = time.perf_counter()
    best, how, iterations = first, f"SCIP found no point; {local} from Θ's start kept", 0
    if scip.found:
        # SCIP's θ lies in Θ to its feasibility tolerance: project it before the finish
        second = _local(cg, options, project(game.decision, built.theta()))
        how = f"{local} from SCIP's θ ({second.iterations} iterations)"
        iterations = second.iterations
        if second.objective < first.objective - 1e-9 * max(1.0, abs(first.objective)):
            how += f"; {local} from Θ's start did better and is kept"
        else:
            best = second
    t_polish = time.perf_counter() - t2
    return _result(
        cg,
        replace(best.mfe, termination=best.termination),
        scip,
        options,
        tolerances,
        {"incumbent": t_first, "build": t_build, "polish": t_polish},
        f"SCIP on {what} from {local}'s point (J = {first.objective:.10g}); {how}",
        iterations=first.iterations + iterations,
        gradient=best.gradient,
    )


EXACT_FEASTOL = 1e-9
"""SCIP's feasibility tolerance on the exact route: its rows are linear, so SCIP meets the
certificate's tolerances directly (the nonlinear F1 needs the looser ``feastol``)."""


def _incumbent(
    game: Game, cg: CompiledGame, options: GlobalOptions, notes: list[str]
) -> tuple[MFESolution | None, bool]:
    """An exact MFE at the θ that ``pgd`` (``sqp`` with leader constraints) finds on the soft
    game with τ = ``incumbent_tau`` × the reward scale, and whether it is certified
    (complementarity gap and flow residual ≤ 1e-8, leader constraints within 1e-9). ``None``
    if ``incumbent_tau`` is 0 or the local solve fails."""
    from smfe.errors import SmfeError
    from smfe.solvers.mfe import evaluate_point, solve_mfe
    from smfe.solvers.options import MFEOptions
    from smfe.solvers.run import support_polisher
    from smfe.system.bounds import reward_bound

    if options.incumbent_tau == 0.0:
        return None, False
    tau = options.incumbent_tau * max(1.0, reward_bound(cg))
    try:
        soft = compile_game(replace(game, tau=tau))
        local = _local(soft, options, game.start())
        theta = local.mfe.theta
        polisher = support_polisher(cg, theta, MFEOptions(), [])
        sol = solve_mfe(cg, theta, MFEOptions(), polisher=polisher)
        _, nu_br, _, gap = evaluate_point(cg, sol.theta, sol.nu)
    except SmfeError as exc:
        notes.append(f"no incumbent ({exc})")
        return None, False
    flow = float(np.abs(nu_br.sum(axis=-1) - sol.nu.sum(axis=-1)).max())
    certified = max(float(gap), flow) <= 1e-8 and cg.constraint_violation(sol.theta, sol.nu) <= 1e-9
    J = cg.objective(sol.theta, sol.nu)
    notes.append(
        f"incumbent J = {J:.10g} ({_local_name(game)} at τ = {tau:.3g}, exact MFE at its θ"
        + (", certified)" if certified else ", not certified: a start only)")
    )
    return sol, certified


def _add_pairs(m: Any, cg: CompiledGame, form: str) -> str:
    """The exact response on the linear rows: ``sos1`` — s = V − Q ≥ 0 and an SOS1 set
    {ν, s} per step and pair (SCIP branches by fixing one to 0: no big-M, no leak);
    ``bigm`` — the MILP's disjunctions (:func:`smfe.formulations.milp.add_support_binaries`),
    with M per row from propagated bounds (:func:`smfe.formulations.milp.row_big_m`).
    Returns the sentence that names the form."""
    from smfe.formulations.milp import add_support_binaries, row_big_m, start_support

    if form == "bigm":
        M, how = row_big_m(cg)
        add_support_binaries(m, cg, M)
        start_support(m)
        return f"big-M disjunctions ({len(m.b)} support binaries, {how})"

    start_support(m)
    return _sos1_pairs(m, cg, "nu")


def _sos1_pairs(m: Any, cg: CompiledGame, member: str) -> str:
    """s = V − Q ≥ 0 and an SOS1 set {``member``[t, i], s[t, i]} per step and pair, in place of
    the model's Scholtes rows (deactivated if present)."""
    import pyomo.environ as pyo

    state = cg.sa_state
    if hasattr(m, "scholtes"):
        m.scholtes.deactivate()

    def slack(t: int, i: int) -> Any:
        return m.V[t, int(state[i])] - m.Q[t, i]

    first = getattr(m, member)
    m.slack = pyo.Var(m.T, m.SA, bounds=(0.0, None))
    for (t, i), v in m.slack.items():
        value = pyo.value(slack(t, i), exception=False)
        v.set_value(None if value is None else max(0.0, float(value)))
    m.slack_def = pyo.Constraint(m.T, m.SA, rule=lambda _, t, i: m.slack[t, i] == slack(t, i))
    keys = [(t, i) for t in m.T for i in m.SA]
    m.pairs = pyo.SOSConstraint(keys, rule=lambda _, t, i: [first[t, i], m.slack[t, i]], sos=1)
    return f"SOS1 pairs ({len(keys)} pair-steps)"


def _solve_exact(game: Game, options: GlobalOptions, tolerances: Tolerances | None) -> Result:
    """τ = 0: the linear equilibrium rows with θ free in Θ, the leader's measurements and
    objective, and the exact response as SOS1 pairs or big-M disjunctions (``exact_form``)
    — a MILP, or a MIQP/MINLP where J is quadratic or H depends on θ — solved by SCIP from
    an incumbent (:func:`_incumbent`) with J cut off below it. SCIP's point is finished by
    Newton on the support it identifies (the ``mfe`` method's support polish) and certified
    as an exact MFE at SCIP's θ."""
    import pyomo.environ as pyo

    from smfe.formulations.built import exact_solution
    from smfe.formulations.milp import linear_obstacles
    from smfe.solvers.options import MFEOptions
    from smfe.solvers.run import support_polisher
    from smfe.solvers.status import TerminationCondition
    from smfe.system import SystemOptions, assemble
    from smfe.system.solution import initial_point
    from smfe.system.to_pyomo import to_pyomo

    why = linear_obstacles(game)
    if why:
        raise FormulationError(
            "the global method's exact route needs equilibrium rows linear in (V, Q, ν, z): "
            + "; ".join(why)
        )
    cg = compile_game(game)
    notes: list[str] = []
    t0 = time.perf_counter()
    inc, certified = _incumbent(game, cg, options, notes)
    t_inc = time.perf_counter() - t0
    t0 = time.perf_counter()
    system = assemble(cg, SystemOptions("linear", objective="leader", leader_rows=True))
    if inc is not None:
        initial_point(system, cg, inc, 0.0)
    m = to_pyomo(system, f"global[{game.name}]")
    if inc is not None:
        for j in m.J:
            m.theta[j].set_value(float(inc.theta[j]))
    form = _add_pairs(m, cg, options.exact_form)
    if inc is not None and certified:
        J = cg.objective(inc.theta, inc.nu)
        m.cutoff = pyo.Constraint(expr=m.objective.expr >= J - options.bound_tol * max(1.0, abs(J)))
    t_build = time.perf_counter() - t0
    scip = _run_scip(m, options, EXACT_FEASTOL, start=inc is not None)
    theta = project(game.decision, np.array([m.theta[j].value for j in m.J], dtype=np.float64))
    nu = np.maximum(
        np.array([[m.nu[t, i].value for i in m.SA] for t in m.T], dtype=np.float64), 0.0
    )
    t1 = time.perf_counter()
    term = TerminationCondition.CONVERGED if scip.closed else TerminationCondition.TIME_LIMIT
    sol = exact_solution(cg, theta, nu, term)
    attempt = support_polisher(cg, theta, MFEOptions(), notes, delta=1e-7)
    polished = None if attempt is None else attempt(sol)
    if polished is not None:
        sol = replace(polished, termination=term)
    t_polish = time.perf_counter() - t1
    return _result(
        cg,
        sol,
        scip,
        options,
        tolerances,
        {"incumbent": t_inc, "build": t_build, "polish": t_polish},
        f"SCIP on {form}" + ("" if not notes else "; " + "; ".join(notes)),
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
    return replace(result, log=scip.log)
