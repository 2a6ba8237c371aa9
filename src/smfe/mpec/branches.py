r"""Branch NLPs of an MPEC and the stationarity of a point.

A *branch* chooses, for each pair :math:`0 \le a_k \perp b_k \ge 0`, which side is zero
(or both). Its NLP pins the chosen sides at their bounds, :math:`a_k = 0`, by equality
constraints — the side's own bound is lifted meanwhile, so the equality's multiplier is the
MPEC multiplier :math:`\xi` of ":math:`a_k \ge 0`" — and keeps the other sides' bounds.
With the objective minimised and the AMPL dual convention (:math:`y = \partial f^*/\partial
\text{rhs}`), :math:`\xi = y`.

At a feasible point with biactive set :math:`B` (both sides zero):

* **B-stationary** — no feasible descent direction: the point solves (locally) every one of
  the :math:`2^{|B|}` branch NLPs that put each biactive pair on one side. Checked here by
  enumeration, solving each branch NLP from the point; used when :math:`|B|` is small.
* From the multipliers of the *tightened* NLP (both sides of every biactive pair pinned):
  **strongly stationary** if :math:`\xi_a, \xi_b \ge 0` on :math:`B` (equivalent to
  B-stationarity under MPEC-LICQ); **M-stationary** if on :math:`B` either
  :math:`\xi_a\xi_b = 0` or both are positive; **C-stationary** if
  :math:`\xi_a\xi_b \ge 0`; else **weakly stationary**.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from smfe.ipopt import IpoptRun
from smfe.ipopt.pyomo_solve import solve_model
from smfe.mpec.pairs import Reformulation, Side
from smfe.solvers.status import SolutionStatus

PIN_A, PIN_B, PIN_BOTH = "a", "b", "both"


@dataclass(frozen=True)
class BranchRun:
    """One branch NLP solve: the run, the objective (user's sense) and the MPEC multipliers
    of the pinned sides, by pair index and side (``"a"`` or ``"b"``)."""

    run: IpoptRun
    objective: float
    multipliers: dict[tuple[int, str], float]

    @property
    def optimal(self) -> bool:
        return self.run.solution == SolutionStatus.OPTIMAL


def snapshot(model: Any) -> list[tuple[Any, Any]]:
    """The current value of every variable of ``model``."""
    return [(v, v.value) for v in model.component_data_objects(pyo.Var, descend_into=True)]


def restore(values: list[tuple[Any, Any]]) -> None:
    for v, val in values:
        v.set_value(val, skip_validation=True)


@contextmanager
def pinned(ref: Reformulation, choice: Sequence[str]) -> Iterator[list[tuple[int, str, Any]]]:
    """Pin the sides ``choice[k]`` (``"a"``, ``"b"`` or ``"both"``) of every pair at 0: lift
    the side's bound and add ``var == 0``. Yields (pair, side, constraint) triples; on exit
    the bounds come back and the constraints go."""
    m = ref.model
    m._mpec_pin = pyo.ConstraintList()
    lifted: list[Side] = []
    pins: list[tuple[int, str, Any]] = []
    for k, (pair, which) in enumerate(zip(ref.pairs, choice, strict=True)):
        for name, side in (("a", pair.a), ("b", pair.b)):
            if which in (name, PIN_BOTH):
                lifted.append(side)
                side.var.setlb(None)
                pins.append((k, name, m._mpec_pin.add(side.var == 0)))
    try:
        yield pins
    finally:
        for side in lifted:
            side.var.setlb(0.0)
        m.del_component(m._mpec_pin)


def solve_branch(ref: Reformulation, choice: Sequence[str], ipopt: dict[str, Any]) -> BranchRun:
    """Solve the branch NLP ``choice`` from the current values (Scholtes or SOS/bilinear
    rows switched off meanwhile); the values stay at the branch's answer."""
    m = ref.model
    rows = [getattr(m._mpec, name, None) for name in ("relax", "bilinear", "sos")]
    active = [c for c in rows if c is not None and c.active]
    for c in active:
        c.deactivate()
    try:
        with pinned(ref, choice) as pins:
            run, written = solve_model(m, ipopt)
            row = {id(c): i for i, c in enumerate(written.constraints)}
            mult = {
                (k, name): float(run.duals[row[id(con)]]) for k, name, con in pins if id(con) in row
            }
    finally:
        for c in active:
            c.activate()
    return BranchRun(run, ref.objective(), mult)


def identified(ref: Reformulation) -> list[str]:
    """The branch the current point suggests: each pair pinned on its smaller side."""
    return [PIN_A if p.a.value() <= p.b.value() else PIN_B for p in ref.pairs]


def biactive(ref: Reformulation, tol: float) -> list[int]:
    """Indices of the pairs with both sides ≤ ``tol``."""
    return [k for k, p in enumerate(ref.pairs) if p.a.value() <= tol and p.b.value() <= tol]


@dataclass(frozen=True)
class Stationarity:
    """A label (``B-stationary``, ``strongly stationary``, ``M-stationary``,
    ``C-stationary``, ``weakly stationary`` or ``unknown``), the sentence that explains it,
    and whether it implies local optimality on every branch (B / strongly stationary)."""

    label: str
    detail: str
    n_biactive: int

    @property
    def local(self) -> bool:
        return self.label in ("B-stationary", "strongly stationary")


def _objective_tol(f: float) -> float:
    return 1e-7 * max(1.0, abs(f))


def descend(
    ref: Reformulation,
    ipopt: dict[str, Any],
    tol: float,
    max_enumeration: int,
    max_moves: int = 20,
) -> tuple[Stationarity, int]:
    """Enumerate the biactive branches from the point (module docstring); move to any branch
    that improves the objective and repeat. Returns the label and the number of moves.
    Needs ``len(biactive) ≤ max_enumeration``; otherwise falls back to :func:`multipliers`."""
    moves = 0
    while True:
        both = biactive(ref, tol)
        if len(both) > max_enumeration:
            return multipliers(ref, ipopt, tol), moves
        base = identified(ref)
        f0 = ref.objective() * ref.sign
        start = snapshot(ref.model)
        improved = False
        failed: list[str] = []
        for mask in itertools.product((PIN_A, PIN_B), repeat=len(both)):
            choice = list(base)
            for k, side in zip(both, mask, strict=True):
                choice[k] = side
            br = solve_branch(ref, choice, ipopt)
            if br.optimal and br.objective * ref.sign < f0 - _objective_tol(f0):
                improved = True
                break
            if not br.optimal:
                failed.append(br.run.status)
            restore(start)
        n = len(both)
        if not improved and failed:
            detail = f"{len(failed)} of {2**n} branch NLPs did not solve ({failed[0]})"
            return Stationarity("unknown", detail, n), moves
        if not improved:
            what = f"{2**n} branch NLPs from the point" if n else "no biactive pair"
            return Stationarity("B-stationary", f"B-stationary ({what})", n), moves
        moves += 1
        if moves >= max_moves:
            return (
                Stationarity("unknown", f"still descending after {moves} branch moves", -1),
                moves,
            )


def multipliers(ref: Reformulation, ipopt: dict[str, Any], tol: float) -> Stationarity:
    """Label the point from the multipliers of the tightened NLP (module docstring)."""
    both = biactive(ref, tol)
    choice = identified(ref)
    for k in both:
        choice[k] = PIN_BOTH
    start = snapshot(ref.model)
    br = solve_branch(ref, choice, ipopt)
    if not br.optimal:
        restore(start)
        return Stationarity(
            "unknown", f"the tightened NLP did not solve ({br.run.status})", len(both)
        )
    scale = max(1e-8, 1e-6 * max((abs(v) for v in br.multipliers.values()), default=1.0))
    xs = [(br.multipliers.get((k, "a"), 0.0), br.multipliers.get((k, "b"), 0.0)) for k in both]
    n = len(both)
    if all(a >= -scale and b >= -scale for a, b in xs):
        label = "strongly stationary"
    elif all(abs(a * b) <= scale**2 or (a > 0 and b > 0) for a, b in xs):
        label = "M-stationary"
    elif all(a * b >= -(scale**2) for a, b in xs):
        label = "C-stationary"
    else:
        label = "weakly stationary"
    worst = min((min(a, b) for a, b in xs), default=0.0)
    return Stationarity(label, f"{label} ({n} biactive pairs; least multiplier {worst:.3g})", n)
