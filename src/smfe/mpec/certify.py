"""The certificate of an MPEC answer, computed on the user's model (not the reformulation).

Each active ``Complementarity`` datum is read again from the user's expressions
(:func:`smfe.mpec.pairs.canonical`) and its residual evaluated at the variables' values; each
active constraint and each variable bound is checked. Residuals are scaled by
max(1, |bound|) of their row, so a constraint ``x ≤ 1e6`` is held to a relative tolerance.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo
from pyomo.mpec import Complementarity

from smfe.mpec.pairs import EQUALITY, canonical
from smfe.mpec.result import MPECCertificate

INF = float("inf")


def _val(e: Any) -> float:
    v = pyo.value(e, exception=False)
    return float("nan") if v is None else float(v)


def _side(t: tuple[Any, Any, Any]) -> float:
    lo, body, up = t
    b = _val(body)
    return b - lo if lo is not None else up - b


def _pair_residual(t1: Any, t2: Any) -> tuple[float, float]:
    """(residual, scale) of one datum (module docstring of :mod:`smfe.mpec.result`)."""
    if t1[0] == EQUALITY or t2[0] == EQUALITY:
        e = t1[1] if t1[0] == EQUALITY else t2[1]
        return abs(_val(e)), 1.0
    f1 = (t1[0] is not None) + (t1[2] is not None)
    if f1 == 1:
        a, b = _side(t1), _side(t2)
        return abs(min(a, b)), 1.0
    box, free = (t1, t2) if f1 == 2 else (t2, t1)
    lo, body, up = box
    v, f = _val(body), _val(free[1])
    proj = min(max(v - f, lo), up)
    return abs(v - proj), max(1.0, abs(lo), abs(up))


def certify(model: Any, tol: float) -> MPECCertificate:
    """Residuals of the user's ``model`` at its current values (NaN counts as infinite)."""
    comp, comp_at = 0.0, ""
    for c in model.component_objects(Complementarity, active=True, descend_into=True):
        for cd in c.values():
            if not cd.active:
                continue
            r, scale = _pair_residual(canonical(cd._args[0]), canonical(cd._args[1]))
            r = INF if r != r else r / scale
            if not comp_at or r > comp:
                comp, comp_at = r, cd.name
    infeas, infeas_at = 0.0, ""
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        body = _val(con.body)
        lo, up = con.lb, con.ub
        r = 0.0 if body == body else INF
        if lo is not None:
            r = max(r, (lo - body) / max(1.0, abs(lo)))
        if up is not None:
            r = max(r, (body - up) / max(1.0, abs(up)))
        if r > infeas:
            infeas, infeas_at = r, con.name
    for v in model.component_data_objects(pyo.Var, descend_into=True):
        if v.fixed or v.value is None:
            continue
        x = float(v.value)
        r = 0.0
        if v.lb is not None:
            r = max(r, (v.lb - x) / max(1.0, abs(v.lb)))
        if v.ub is not None:
            r = max(r, (x - v.ub) / max(1.0, abs(v.ub)))
        if r > infeas:
            infeas, infeas_at = r, v.name
    return MPECCertificate(comp, comp_at, infeas, infeas_at, tol)
