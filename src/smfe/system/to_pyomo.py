r"""Pyomo translation of an equilibrium system: the model of record (export, any Pyomo solver).

Every variable block becomes an indexed ``Var`` over named sets (``theta[j]``, ``V[t, x]``,
``Q[t, i]``, ...; a fixed block is fixed), every row block an indexed ``Constraint`` with the
block's name and keys (``bellman[t, i]``, ``softmax[t, i]``, ``flow[t, x]``, ...), the atoms
come from their one definition (:meth:`~smfe.system.atoms.Atoms.evaluate_by_kind`) on arrays of
Pyomo variables, and the prices and θ × price terms, shared by many rows, are named
``Expression`` components (``price[k]``, ``price_exposure[k]``, in atom order). A mutable
right-hand side (the Scholtes ε) is a mutable ``Param``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.system.atoms import Ops
from smfe.system.system import EquilibriumSystem

ObjArray = NDArray[np.object_]


def _vectorised(fn: Any) -> Any:
    def apply(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            out = np.empty(v.shape, dtype=object)
            for k, e in enumerate(v.ravel()):
                out.flat[k] = fn(e)
            return out
        return fn(v)

    return apply


PYOMO_OPS = Ops(_vectorised(pyo.exp), _vectorised(pyo.log))


def _variables(m: Any, system: EquilibriumSystem) -> ObjArray:
    """Declare the sets and variables; return all variables in layout order."""
    lay = system.layout
    sizes: dict[str, int] = {}
    for b in lay.blocks:
        for ax, n in zip(b.axes, b.shape, strict=True):
            sizes.setdefault(ax, n)
    for ax, n in sizes.items():
        m.add_component(ax, pyo.Set(initialize=range(n), ordered=True))
    flat: list[Any] = []
    for b in lay.blocks:
        keys = [k if len(k) > 1 else k[0] for k in np.ndindex(*b.shape)]
        lo = [None if not np.isfinite(v) else float(v) for v in b.lower]
        up = [None if not np.isfinite(v) else float(v) for v in b.upper]
        bounds = dict(zip(keys, zip(lo, up, strict=True), strict=True))
        var = pyo.Var(
            *[getattr(m, ax) for ax in b.axes],
            bounds=lambda _, *k, bounds=bounds: bounds[k if len(k) > 1 else k[0]],
            initialize=dict(zip(keys, b.start.tolist(), strict=True)),
        )
        m.add_component(b.name, var)
        if b.fixed:
            var.fix()
        flat.extend(var[k] for k in keys)
    return np.array(flat, dtype=object)


def _atoms(m: Any, system: EquilibriumSystem, x: ObjArray) -> ObjArray:
    def concat(parts: list[Any]) -> Any:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=object)

    parts = system.atoms.evaluate_by_kind(
        lambda idx: x[idx], PYOMO_OPS, concat, lambda v, idx: v[idx]
    )
    phi = np.asarray(concat(parts), dtype=object)
    off, n = system.atoms.offsets, system.atoms.sizes
    for kind, label in (("price", "price"), ("scaled", "price_exposure")):
        sl = slice(off[kind], off[kind] + n[kind])
        if n[kind]:
            vals = phi[sl]
            m.add_component(label, pyo.Expression(range(n[kind]), rule=lambda _, k, v=vals: v[k]))
            comp = getattr(m, label)
            phi[sl] = [comp[k] for k in range(n[kind])]
    return phi


def _rows(m: Any, system: EquilibriumSystem, x: ObjArray, phi: ObjArray) -> None:
    A, B = system.A, system.B
    upper = system.row_upper()
    for blk in system.blocks:
        if not blk.keys:
            continue
        param = None
        if blk.upper_param is not None:
            name = blk.upper_param
            if not hasattr(m, name):
                m.add_component(
                    name,
                    pyo.Param(
                        initialize=float(system.params[name]),
                        mutable=True,
                        within=pyo.NonNegativeReals,
                    ),
                )
            param = getattr(m, name)
        pos = {k: blk.start + r for r, k in enumerate(blk.keys)}

        def rule(_: Any, *k: int, pos: dict[tuple[int, ...], int] = pos, param: Any = param) -> Any:
            r = pos[k]
            a0, a1 = A.indptr[r], A.indptr[r + 1]
            b0, b1 = B.indptr[r], B.indptr[r + 1]
            ac, aj = A.data[a0:a1].tolist(), A.indices[a0:a1]
            bc, bj = B.data[b0:b1].tolist(), B.indices[b0:b1]
            terms = [c * x[j] for c, j in zip(ac, aj, strict=True)]
            terms += [c * phi[j] for c, j in zip(bc, bj, strict=True)]
            body = pyo.quicksum(terms)
            lo, up = system.lower[r], upper[r]
            if param is not None:
                return body <= param
            if lo == up:
                return body == float(lo)
            return (
                float(lo) if np.isfinite(lo) else None,
                body,
                float(up) if np.isfinite(up) else None,
            )

        m.add_component(blk.name, pyo.Constraint(blk.keys, rule=rule))


def _objective(m: Any, system: EquilibriumSystem, x: ObjArray, blocks: dict[str, Any]) -> None:
    sym = system.symbolic
    if sym.objective is not None:
        m.objective = pyo.Objective(expr=sym.objective(blocks, PYOMO_OPS), sense=pyo.maximize)
        return
    if system.sense == "none":
        m.objective = pyo.Objective(expr=0.0)
        return
    c = system.objective_linear
    C = system.objective_quadratic.tocoo()
    e = (
        system.objective_constant
        + pyo.quicksum(float(c[j]) * x[j] for j in np.flatnonzero(c))
        + 0.5
        * pyo.quicksum(float(v) * x[i] * x[j] for i, j, v in zip(C.row, C.col, C.data, strict=True))
    )
    m.objective = pyo.Objective(expr=e, sense=pyo.maximize)


def to_pyomo(system: EquilibriumSystem, name: str | None = None, objective: bool = True) -> Any:
    """A ``pyo.ConcreteModel`` of ``system`` (module docstring); ``objective=False`` leaves
    the objective to the caller (the MILP writes its own, linearised)."""
    m = pyo.ConcreteModel(name=name or system.name)
    x = _variables(m, system)
    phi = _atoms(m, system, x)
    _rows(m, system, x, phi)
    lay = system.layout
    blocks = {b.name: list(x[lay.slice(b.name)]) for b in lay.blocks}
    for rname, fn, lo, up in system.symbolic.rows:
        body = fn(blocks, PYOMO_OPS)
        bounds = (None if not np.isfinite(lo) else lo, body, None if not np.isfinite(up) else up)
        m.add_component(rname, pyo.Constraint(expr=body == lo if lo == up else bounds))
    if objective:
        _objective(m, system, x, blocks)
    return m
