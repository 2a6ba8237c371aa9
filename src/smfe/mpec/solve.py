"""``smfe.mpec.solve``: any Pyomo model with ``Complementarity`` components, three ways.

* ``"global"`` — the homotopy's point as an incumbent, then SCIP on the pairs as SOS1 sets
  (or bilinear rows) with the objective cut off above the incumbent
  (:mod:`smfe.mpec.scip_route`), then the branch NLP SCIP's point identifies, by Ipopt; the
  better certified point is kept. Labelled ``global`` only if SCIP closed its gap and the
  certified objective lies within ``bound_tol`` of SCIP's dual bound; otherwise the bound
  and the gap are reported.
* ``"homotopy"`` — the Scholtes relaxation driven to ``eps_final`` (:mod:`smfe.mpec.scholtes`)
  from each starting point, then the branch NLP the point identifies.
* ``"auto"`` — ``global`` up to ``auto_global_pairs`` pairs when SCIP is installed, else
  ``homotopy``.

Every answer is then labelled by :mod:`smfe.mpec.branches` (B-stationarity by enumeration,
moving to any branch that improves the objective; else from multipliers) and certified on
the user's own model (:mod:`smfe.mpec.certify`). The user's variables receive the answer's
values; nothing else in the user's model changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from smfe.errors import InstanceError
from smfe.mpec.branches import (
    Stationarity,
    descend,
    identified,
    restore,
    snapshot,
    solve_branch,
)
from smfe.mpec.certify import certify
from smfe.mpec.pairs import Reformulation, reformulate
from smfe.mpec.result import STRATEGIES, MPECCertificate, MPECOptions, MPECResult
from smfe.mpec.scholtes import HOMOTOPY_IPOPT, homotopy
from smfe.scip.backend import ScipRun
from smfe.scip.backend import available as scip_available
from smfe.solvers.status import Optimality, SolutionStatus, Status, TerminationCondition


@dataclass
class _Attempt:
    """One finished point: its certificate, label and bookkeeping (``polished``: the branch
    NLP at the point solved, so complementarity holds exactly)."""

    values: list[tuple[Any, Any]]
    objective: float
    certificate: MPECCertificate
    stationarity: Stationarity
    polished: bool
    iterations: int
    notes: list[str]

    def key(self, sign: float) -> tuple[int, float]:
        """Sort key: certified points first, then the better objective."""
        return (0 if self.certificate.passed else 1, sign * self.objective)


def _finish(
    ref: Reformulation, model: Any, opts: MPECOptions, ipopt: dict[str, Any], notes: list[str]
) -> _Attempt:
    """Polish on the identified branch, descend/label, certify on the user's model."""
    start = snapshot(ref.model)
    br = solve_branch(ref, identified(ref), ipopt)
    iterations = br.run.iterations
    polished = br.optimal
    if not polished:
        restore(start)
        notes.append(f"branch polish did not solve ({br.run.status}); point kept")
    label, moves = descend(ref, ipopt, opts.active_tol, opts.max_enumeration)
    if moves:
        notes.append(f"{moves} branch move(s) improved the objective")
    ref.to_user()
    cert = certify(model, opts.tol)
    return _Attempt(
        snapshot(ref.model),
        ref.objective(),
        cert,
        label,
        polished,
        iterations,
        notes,
    )


def _starts(ref: Reformulation, opts: MPECOptions) -> list[list[tuple[Any, Any]]]:
    """The user's point, then ``starts − 1`` points drawn in the variables' boxes."""
    ref.from_user()
    first = snapshot(ref.model)
    out = [first]
    rng = np.random.default_rng(opts.seed)
    for _ in range(opts.starts - 1):
        pts = []
        for v, val in first:
            x0 = 0.0 if val is None else float(val)
            half = opts.spread * max(1.0, abs(x0))
            lo = v.lb if v.lb is not None else x0 - half
            hi = v.ub if v.ub is not None else x0 + half
            pts.append((v, float(rng.uniform(lo, hi)) if hi > lo else lo))
        out.append(pts)
    return out


def _homotopy(ref: Reformulation, model: Any, opts: MPECOptions) -> tuple[_Attempt, dict]:
    ipopt = {**HOMOTOPY_IPOPT, **opts.ipopt}
    best: _Attempt | None = None
    info: dict[str, Any] = {"eps": [], "complementarity": []}
    for k, start in enumerate(_starts(ref, opts)):
        restore(start)
        h = homotopy(ref, opts.eps_start, opts.eps_factor, opts.eps_final, ipopt)
        notes = [f"start {k}: Scholtes homotopy to ε = {h.reached:.0e}"]
        att = _finish(ref, model, opts, ipopt, notes)
        att.iterations += sum(r.iterations for r in h.runs)
        if best is None or att.key(ref.sign) < best.key(ref.sign):
            best = att
            info["eps"], info["complementarity"] = h.eps, h.complementarity
    assert best is not None  # starts ≥ 1
    return best, info


def _global(
    ref: Reformulation, model: Any, opts: MPECOptions
) -> tuple[_Attempt, ScipRun, dict[str, Any]]:
    """Homotopy for an incumbent, then SCIP below it (``scip_route.solve_scip``'s cutoff);
    the better certified point of the two."""
    from smfe.mpec.scip_route import solve_scip

    incumbent, info = _homotopy(ref, model, opts)
    cutoff = None
    if incumbent.certificate.passed:
        f = ref.sign * incumbent.objective
        cutoff = f + opts.bound_tol * max(1.0, abs(f))
    restore(incumbent.values)
    params = {"limits/time": opts.time_limit, "numerics/feastol": opts.feastol, **opts.scip}
    run = solve_scip(ref, opts.scip_form, params, cutoff)
    scip_note = (
        f"SCIP {run.status}: primal bound {ref.sign * run.primal_bound:.10g}, dual bound "
        f"{ref.sign * run.dual_bound:.10g}, gap {run.gap:.2e}, {run.nodes} nodes"
        + ("" if cutoff is None else " (cut off above the homotopy's point)")
    )
    if run.x is None:
        restore(incumbent.values)
        incumbent.notes.append(scip_note + "; SCIP's search found no point")
        return incumbent, run, info
    ipopt = {**HOMOTOPY_IPOPT, **opts.ipopt}
    found = _finish(ref, model, opts, ipopt, [scip_note])
    if found.key(ref.sign) <= incumbent.key(ref.sign):
        found.notes = [*incumbent.notes[:1], *found.notes]
        return found, run, info
    restore(incumbent.values)
    incumbent.notes.append(scip_note + "; the homotopy's point is kept")
    return incumbent, run, info


def _proven(att: _Attempt, run: ScipRun, sign: float, opts: MPECOptions) -> tuple[bool, str]:
    """Whether SCIP's bound proves the certified point global, and why (not)."""
    if run.solution != SolutionStatus.OPTIMAL:
        return False, f"not proven global: SCIP stopped with gap {run.gap:.2e} ({run.status})"
    if not att.certificate.passed:
        return False, "not proven global: the point does not pass the certificate"
    bound = run.dual_bound  # of the minimised objective sign·f
    slack = opts.bound_tol * max(1.0, abs(bound))
    f = sign * att.objective
    if f <= bound + slack and f >= bound - slack:
        return True, f"global: certified objective within {slack:.1e} of SCIP's dual bound"
    return False, (
        f"not proven global: certified objective {att.objective:.10g} differs from SCIP's "
        f"dual bound {sign * bound:.10g} by more than {slack:.1e}"
    )


def solve(model: Any, strategy: str = "auto", options: MPECOptions | None = None) -> MPECResult:
    """Solve the MPEC ``model`` (a Pyomo model with ``pyomo.mpec.Complementarity``) by
    ``strategy`` (module docstring). The model's variables receive the answer; its
    starting values are those the user set. Raises
    :class:`~smfe.errors.FormulationError` for a complementarity that is not one, and
    :class:`~smfe.errors.InstanceError` for an unknown strategy."""
    opts = options or MPECOptions()
    if strategy not in STRATEGIES:
        raise InstanceError("strategy", f"must be one of {STRATEGIES}, got {strategy!r}")
    t0 = time.perf_counter()
    ref = reformulate(model)
    n = len(ref.pairs)
    chosen = strategy
    if strategy == "auto":
        chosen = "global" if scip_available() and n <= opts.auto_global_pairs else "homotopy"
    run: ScipRun | None = None
    proven, verdict = False, ""
    if chosen == "global":
        att, run, info = _global(ref, model, opts)
        proven, verdict = _proven(att, run, ref.sign, opts)
    else:
        att, info = _homotopy(ref, model, opts)
    history = {"eps": info["eps"], "complementarity": info["complementarity"]}
    restore(att.values)
    ref.to_user()
    solved = att.polished
    cert = att.certificate
    if solved and cert.passed:
        term, sol = TerminationCondition.CONVERGED, SolutionStatus.OPTIMAL
    elif cert.passed:
        term, sol = TerminationCondition.STALLED, SolutionStatus.FEASIBLE
    elif run is not None and run.status == "infeasible":
        # no certified incumbent, so SCIP ran without a cutoff: its verdict is the model's
        term, sol = TerminationCondition.INFEASIBLE, SolutionStatus.INFEASIBLE
        verdict = "SCIP proved the MPEC infeasible (no cutoff: the homotopy's point failed)"
    else:
        term, sol = TerminationCondition.STALLED, SolutionStatus.UNKNOWN
    if proven and sol == SolutionStatus.OPTIMAL:
        optimality, label = Optimality.GLOBAL, "global optimum (" + att.stationarity.detail + ")"
    else:
        optimality = Optimality.LOCAL if att.stationarity.local and cert.passed else Optimality.NONE
        label = att.stationarity.detail
    message = "; ".join([*att.notes, *([verdict] if verdict else [])])
    return MPECResult(
        strategy=chosen if strategy != "auto" else f"auto→{chosen}",
        status=Status(term, sol),
        optimality=optimality,
        objective=att.objective,
        stationarity=label,
        certificate=cert,
        n_pairs=n,
        n_biactive=max(att.stationarity.n_biactive, 0),
        dual_bound=float("nan") if run is None else ref.sign * run.dual_bound,
        gap=float("nan") if run is None else run.gap,
        iterations=att.iterations,
        timings={"total": time.perf_counter() - t0, **({"scip": run.seconds} if run else {})},
        history=history,
        message=message,
        log="" if run is None else run.log,
    )
