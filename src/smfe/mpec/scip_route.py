r"""The pairs in a form SCIP solves to global optimality.

Every side is a variable :math:`\ge 0` (:mod:`smfe.mpec.pairs`), so a pair is either

* ``"sos1"`` — a special ordered set of type 1 on :math:`(a_k, b_k)`: at most one nonzero
  (``model._mpec.sos``). SCIP branches by fixing one of them to 0, so complementarity holds
  exactly in every node and the dual bound is one of the MPEC itself; or
* ``"bilinear"`` — :math:`a_k b_k \le 0` (``model._mpec.bilinear``), for SCIP's spatial
  branch-and-bound. The product is held only to SCIP's feasibility tolerance, so its dual
  bound is one of a slightly relaxed problem: measured on the test set, up to 1.2·10⁻³
  below the optimum (qpec2, whose degenerate pairs :math:`y \perp y` allow
  :math:`y \approx \sqrt{\text{feastol}}`).

SCIP's answer satisfies the model's rows to its feasibility tolerance; :func:`smfe.mpec.solve`
then re-solves the branch NLP it identifies with Ipopt, so the reported point is exact.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from smfe.mpec.pairs import Reformulation
from smfe.scip.backend import ScipRun
from smfe.scip.pyomo_solve import solve_model


def _rows(ref: Reformulation, form: str) -> Any:
    """The pairs' rows of ``form``, made once, active."""
    b, pairs = ref.model._mpec, ref.pairs
    if form == "sos1" and not hasattr(b, "sos"):
        b.sos = pyo.SOSConstraint(
            range(len(pairs)), rule=lambda _, k: [pairs[k].a.var, pairs[k].b.var], sos=1
        )
    if form == "bilinear" and not hasattr(b, "bilinear"):
        b.bilinear = pyo.Constraint(
            range(len(pairs)), rule=lambda _, k: pairs[k].a.var * pairs[k].b.var <= 0
        )
    rows = b.sos if form == "sos1" else b.bilinear
    rows.activate()
    return rows


def solve_scip(
    ref: Reformulation, form: str, options: dict[str, Any], cutoff: float | None = None
) -> ScipRun:
    """Solve the pairs in ``form`` (module docstring) with SCIP (``options``: SCIP parameters
    or their short names) and load its incumbent, if any, into the clone.

    ``cutoff`` (of the minimised objective, e.g. a certified point's) adds the row
    f ≤ cutoff: it removes no point at least as good, and its propagation gives SCIP finite
    bounds on variables the model leaves unbounded."""
    b = ref.model._mpec
    if hasattr(b, "relax"):
        b.relax.deactivate()
    if hasattr(b, "cutoff"):
        b.del_component(b.cutoff)
    if cutoff is not None:
        b.cutoff = pyo.Constraint(expr=b.obj.expr <= cutoff)
    rows = _rows(ref, form)
    try:
        run, _ = solve_model(ref.model, options)
    finally:
        rows.deactivate()
        if cutoff is not None:
            b.cutoff.deactivate()
    return run
