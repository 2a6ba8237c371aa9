r"""Optimal and baseline tariffs, each with the followers' certified equilibrium.

* Baselines (data-sources §4.6), computed with the same follower model and made
  revenue-neutral by a scalar level c, the root of revenue(c) − R(c) (secant steps, Brent's
  method as a fallback):
  ``flat`` (every hour c), ``tou`` (peak 16–21 h at 1.25·c, [S] E-TOU-C-like) and
  ``real-time`` (pass-through share 1 plus a flat adder c); fixed charges and export credits
  are the family's reference values. Each is a point of the tariff family, so it is feasible
  for the leader's problem and the optimum must do at least as well.
* The optimum: method ``sqp`` (reduced space, :mod:`smfe.market.leader`; the default) or
  ``nlp`` (the full-space algebraic NLP — F1's equations plus the market objective and
  revenue constraint — in CasADi with Ipopt), started from the best feasible baseline; ``sqp``
  starts from every feasible baseline and keeps the best local optimum (the problem is
  non-convex: different starts can end at different KKT points).
* Cross-check: the followers' MFE at the optimal tariff is solved again by the F1 soft-NLP
  with θ fixed (Ipopt) and compared with the iterative solver (:func:`smfe.agree`); both
  results carry the independent certificate.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from smfe.certification.agree import Agreement, AgreeTolerances, agree
from smfe.dispatch import solve
from smfe.errors import InstanceError, SolveFailed
from smfe.market.data import HOURS
from smfe.market.game import MarketGame
from smfe.market.leader import DIRECT_LIMIT, KKT, MarketEvaluator, MarketPoint, kkt, optimise
from smfe.market.metrics import REVENUE_BOUNDS, Weights
from smfe.market.rule_check import check_rules
from smfe.market.rules import Rules
from smfe.market.tariff import PEAK_HOURS, TOU_RATIO
from smfe.solvers import linalg
from smfe.solvers.result import Result, build_result
from smfe.solvers.status import TerminationCondition
from smfe.threads import check_workers, run_tasks

FloatArray = NDArray[np.float64]
METHODS = ("sqp", "nlp")
BASELINES = ("flat", "tou", "real-time")
KKT_TOL = 1e-5
RULE_TOL = 1e-7
"""A tariff rule holds when its row r(θ) ≤ 0 is violated by at most this ($/day or kW)."""
CROSS_CHECK = AgreeTolerances(objective=None, theta=1e-12, nu=1e-5, policy=1e-5)
"""Iterative MFE vs F1 with θ fixed: ν to 1e-5 (L1), π to 1e-5 on visited states (the
objectives differ by design: the tariff objective vs the MFE alone)."""

CROSS_CHECK_IPOPT = {"mumps_pivot_order": 6, "mumps_permuting_scaling": 0}
"""MUMPS options of the cross-check's F1 solve (a square system at fixed θ, started next to
its solution): the QAMD ordering without the matching-based permutation. On the utility
market's 601,224 unknowns MUMPS's analysis took 14.6 s by Ipopt's default and 2.4 s so, its
factorisation and solves 24 s against 13 s (same point, one run each)."""

Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class TariffOutcome:
    """One tariff: θ, the market numbers and the certified followers' equilibrium."""

    name: str
    theta: FloatArray
    objective: float
    outcomes: dict[str, Any]
    result: Result


@dataclass(frozen=True, eq=False)
class TariffStudy:
    """Baselines, the optimum, its KKT certificate and the cross-check (module docstring)."""

    market: MarketGame
    weights: Weights
    method: str
    baselines: dict[str, TariffOutcome]
    optimal: TariffOutcome
    kkt: KKT
    cross_check: Agreement | None
    solver_report: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    reference_bills: FloatArray | None = None
    """The groups' bills under the rules' reference baseline (with a bill-impact cap)."""
    rule_names: tuple[str, ...] = ()
    """The rules' row names, in the order of ``optimal_point_rules``."""

    @property
    def rules_hold(self) -> bool:
        """Every tariff rule holds at the optimum (to 1e-7 in its own unit)."""
        return bool(np.all(self.optimal_point_rules <= RULE_TOL))

    @property
    def optimal_point_rules(self) -> FloatArray:
        return np.asarray(self.solver_report.get("rules", []), dtype=np.float64)

    @property
    def certified(self) -> bool:
        ok = self.optimal.result.status.ok and self.kkt.residual <= KKT_TOL and self.rules_hold
        return ok and (self.cross_check is None or self.cross_check.ok)


def _outcome(
    ev: MarketEvaluator,
    name: str,
    p: MarketPoint,
    method: str,
    leader: bool,
    stationary: bool | None = None,
    message: str = "",
) -> TariffOutcome:
    res = build_result(
        ev.cg,
        method,
        p.mfe,
        termination=p.mfe.termination,
        iterations=p.mfe.iterations,
        leader_gradient=None,
        leader_optimised=leader,
        timings={},
        history={},
        message=message,
        stationary=stationary,
    )
    return TariffOutcome(name, p.theta, p.value, p.outcomes, replace(res, objective=p.value))


def baseline_theta(mg: MarketGame, kind: str, level: float) -> FloatArray:
    """θ of baseline ``kind`` at rate level ``level`` (module docstring)."""
    tf, mk = mg.tariff, mg.market
    if kind == "flat":
        return tf.point(mk, level)
    if kind == "tou":
        fac = np.ones(HOURS)
        fac[list(PEAK_HOURS)] = TOU_RATIO
        return tf.point(mk, level, hourly_factor=fac)
    if kind == "real-time":
        if not tf.pass_through:
            raise InstanceError("tariff.pass_through", "the real-time baseline needs pass-through")
        return tf.point(mk, level, share=1.0)
    raise InstanceError("baseline", f"must be one of {BASELINES}, got {kind!r}")


def revenue_neutral(
    ev: MarketEvaluator, kind: str, bracket: tuple[float, float] = (0.0, 1.0)
) -> MarketPoint:
    """The baseline whose level c makes revenue = R: the secant method on gap(c) (gap is
    nearly affine in c; each step is one warm MFE solve, no gradients), Brent's method on
    ``bracket`` if the secant leaves it; |gap| ≤ 1e-10 $/day."""
    mg = ev.mg

    def at(c: float) -> MarketPoint:
        return ev.point(baseline_theta(mg, kind, c), gradients=False)

    c0, c1 = 0.3, 0.31
    p0, p1 = at(c0), at(c1)
    for _ in range(20):
        if abs(p1.gap) <= 1e-10:
            return p1
        slope = (p1.gap - p0.gap) / (c1 - c0)
        if not slope > 0.0:
            break
        c2 = c1 - p1.gap / slope
        if not bracket[0] <= c2 <= bracket[1] or c2 == c1:
            break
        c0, p0, c1, p1 = c1, p1, c2, at(c2)

    def gap(c: float) -> float:
        return at(c).gap

    try:
        c = brentq(gap, *bracket, xtol=1e-12, rtol=1e-12)
    except ValueError:
        raise SolveFailed(
            f"no revenue-neutral {kind} tariff with a level in {bracket} $/kWh"
        ) from None
    return at(c)


def _violation(p: MarketPoint, revenue: str) -> float:
    """How far a point breaks the revenue row and the rules ($/day or kW)."""
    lo, up = REVENUE_BOUNDS.get(revenue, (-np.inf, np.inf))
    gap = max(0.0, lo - p.gap, p.gap - up)
    return max(gap, float(np.max(p.rules, initial=0.0)))


def _rank(p: MarketPoint, revenue: str) -> tuple[bool, float]:
    """Multi-start order: points that keep the constraints first, then by objective (an
    infeasible point's objective is no evidence), else the least violation."""
    v = _violation(p, revenue)
    feasible = v <= RULE_TOL
    return feasible, (p.value if feasible else -v)


def _inside(mg: MarketGame, theta: FloatArray) -> bool:
    return mg.game.decision.violation(theta) <= 1e-9


def solve_tariff(
    mg: MarketGame,
    weights: Weights | None = None,
    *,
    method: str = "sqp",
    cross_check: bool = True,
    progress: Progress | None = None,
    start: FloatArray | None = None,
    rules: Rules | None = None,
    multistart: bool = True,
    workers: int = 1,
) -> TariffStudy:
    """Baselines, the optimal tariff by ``method`` and the cross-check (module docstring).

    ``start``: where the leader method starts (default: ``sqp`` from every feasible baseline
    with ``multistart``, else from the best one);
    ``rules``: tariff rules kept as constraints (:mod:`smfe.market.rules`; default: the
    instance's own, ``mg.market.rules``). Rules that provably leave no feasible tariff raise
    :class:`~smfe.market.rule_check.EmptyTariffSet` before the optimisation starts;
    ``workers``: how many baselines and SQP starts run at a time, on threads
    (:mod:`smfe.threads`; default 1: one after the other, as SciPy's ``workers``; ``smfe
    market`` runs all three). Each has its own evaluator, forked from one whose CasADi
    function is built once, so the answer does not depend on the count."""
    if method not in METHODS:
        raise InstanceError("method", f"must be one of {METHODS}, got {method!r}")
    n = check_workers(workers)
    with linalg.direct_solves_up_to(DIRECT_LIMIT):  # certificates and F1's warm start too
        return _solve_tariff(
            mg,
            weights or Weights(),
            method,
            cross_check,
            _serialised(progress),
            start,
            mg.market.rules if rules is None else rules,
            multistart,
            n,
        )


def _serialised(progress: Progress | None) -> Progress:
    """``progress`` callable from several threads, one message at a time."""
    if progress is None:
        return lambda _msg: None
    lock = threading.Lock()

    def say(msg: str) -> None:
        with lock:
            progress(msg)

    return say


def _solve_tariff(
    mg: MarketGame,
    weights: Weights,
    method: str,
    cross_check: bool,
    say: Progress,
    start: FloatArray | None,
    rules: Rules,
    multistart: bool,
    workers: int,
) -> TariffStudy:
    t0 = time.perf_counter()
    bound = mg.bind(rules)  # unknown groups and blocks are named before any work
    check_rules(mg, rules, weights.revenue)
    ev = MarketEvaluator(mg, weights, rules=rules)
    evaluators = [ev]

    def evaluator() -> MarketEvaluator:
        """A fresh evaluator (its own warm starts) for one thread's task."""
        e = ev.fork()
        evaluators.append(e)
        return e

    def baseline(kind: str) -> tuple[MarketPoint, TariffOutcome] | None:
        say(f"baseline {kind}: revenue-neutral level")
        e = evaluator()
        try:
            p = revenue_neutral(e, kind)
        except InstanceError as exc:  # the family cannot express this baseline
            say(f"baseline {kind} skipped: {exc}")
            return None
        return p, _outcome(e, kind, p, "baseline", leader=False)  # certified on the thread

    timings: dict[str, float] = {}
    kinds = [k for k in BASELINES if k != "real-time" or mg.tariff.pass_through]
    tasks = run_tasks({k: functools.partial(baseline, k) for k in kinds}, workers)
    found = {k: v[0] for k, v in tasks.items() if v is not None}
    baselines = {k: v[1] for k, v in tasks.items() if v is not None}
    timings["baselines"] = time.perf_counter() - t0
    reference = None
    if rules.needs_reference:
        if rules.reference not in baselines:
            raise InstanceError(
                "rules.reference",
                f"the {rules.reference!r} baseline is not available for this tariff family",
            )
        reference = np.asarray(baselines[rules.reference].outcomes["group_bill"], dtype=float)
        ev.reference = reference
        check_rules(mg, rules, weights.revenue, reference)
    feasible = [b for b in baselines.values() if _inside(mg, b.theta)]
    if start is not None:
        starts = {"given": np.asarray(start, dtype=np.float64)}
    elif feasible and method == "sqp" and multistart:
        starts = {b.name: b.theta for b in feasible}  # multi-start: the problem is non-convex
    elif feasible:
        best = max(feasible, key=lambda b: b.objective)
        starts = {best.name: best.theta}
    else:
        starts = {"decision.start": mg.game.start()}
    t1 = time.perf_counter()

    def run(name: str, th0: FloatArray) -> tuple[MarketPoint, dict[str, Any]]:
        say(f"optimal tariff ({method}) from {name}")
        e = evaluator() if len(starts) > 1 else ev
        known = found.get(name)
        if known is not None:  # the start is a baseline: its MFE is known
            e.warm_start(known.mfe)
        if method == "sqp":
            tag = f"  [{name}] " if len(starts) > 1 else "  "
            return optimise(
                e,
                th0,
                progress=lambda i, p: say(
                    f"{tag}SQP iteration {i}: objective {p.value:.8f}, revenue gap {p.gap:.2e}"
                ),
            )
        return _full_space(e, mg, weights, th0, rules)

    runs = run_tasks({n: functools.partial(run, n, th) for n, th in starts.items()}, workers)
    best_name = max(runs, key=lambda n: _rank(runs[n][0], weights.revenue))
    final, report = runs[best_name]
    report = {
        **report,
        "evaluations": sum(e.evaluations for e in evaluators),
        "start": best_name,
        "local_optima": {n: r[0].value for n, r in runs.items()},
    }
    timings["optimise"] = time.perf_counter() - t1
    dec = mg.game.decision
    cert = kkt(final, dec, weights.revenue, bound.names)
    report["rules"] = final.rules.tolist()
    gap_ok = weights.revenue == "off" or (
        abs(final.gap) <= 1e-7 if weights.revenue == "equal" else final.gap >= -1e-7
    )
    gap_ok = gap_ok and bool(np.all(final.rules <= RULE_TOL))

    def certified_optimum() -> TariffOutcome:
        return _outcome(
            ev,
            "optimal",
            final,
            f"market-{method}",
            leader=True,
            stationary=cert.residual <= KKT_TOL and gap_ok,
            message=f"KKT residual {cert.residual:.2e}, revenue gap {final.gap:.2e} $/day",
        )

    def f1() -> tuple[Result, float]:
        t2 = time.perf_counter()
        say("cross-check: followers' MFE at the optimal tariff by F1 (Ipopt) vs iterative")
        opts = {"fix_theta": True, "backend": "casadi", "ipopt": CROSS_CHECK_IPOPT}
        return solve(mg.game, "soft-nlp", opts, theta=final.theta), time.perf_counter() - t2

    # the optimum's certificate and the cross-check are independent: on threads, at once
    tail: dict[str, Callable[[], Any]] = {"certificate": certified_optimum}
    if cross_check:
        tail["cross_check"] = f1
    done = run_tasks(tail, workers)
    optimal: TariffOutcome = done["certificate"]
    check = None
    if cross_check:
        nlp, timings["cross_check"] = done["cross_check"]
        check = agree([replace(optimal.result, method="iterative"), nlp], CROSS_CHECK)
    timings["total"] = time.perf_counter() - t0
    report["mfe_seconds"] = sum(e.mfe_seconds for e in evaluators)
    report["workers"] = workers
    return TariffStudy(
        mg,
        weights,
        method,
        baselines,
        optimal,
        cert,
        check,
        report,
        timings,
        rules,
        reference,
        bound.names,
    )


def _full_space(
    ev: MarketEvaluator, mg: MarketGame, weights: Weights, start: FloatArray, rules: Rules
) -> tuple[MarketPoint, dict[str, Any]]:
    """The full-space NLP: F1 + Φ, the revenue row and the rules (:func:`tariff_system`),
    by Ipopt."""
    from smfe.formulations.nlp_solve import IPOPT_DEFAULTS
    from smfe.ipopt.system_runs import solve_casadi
    from smfe.market.nlp import tariff_system

    sol0 = ev.mfe(start)
    system = tariff_system(
        mg, weights, start=replace(sol0, theta=start), rules=rules, reference=ev.reference
    )
    run = solve_casadi(system, {**IPOPT_DEFAULTS, "tol": 1e-9, "constr_viol_tol": 1e-9})
    if run.termination != TerminationCondition.CONVERGED:
        raise SolveFailed(f"full-space tariff NLP: Ipopt says {run.status}")
    final = ev.point(system.layout.values(run.x)["theta"].copy())
    return final, {
        "success": True,
        "message": f"Ipopt: {run.status}",
        "iterations": run.iterations,
        "evaluations": ev.evaluations,
        **{f"ipopt_{k}": v for k, v in run.timings.items()},
    }
