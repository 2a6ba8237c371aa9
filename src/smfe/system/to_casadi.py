r"""CasADi translation of an equilibrium system: ``{"x", "f", "g"}`` for ``nlpsol``.

The free variables are one MX vector; the full vector is x = S x_free + x_fixed, the rows
g = A x + B φ(x) with φ the atoms evaluated by their one definition
(:meth:`~smfe.system.atoms.Atoms.evaluate`) on MX vectors, and f = −J (Ipopt minimises).
The linear part is a Function whose Jacobian is declared to be A, the rest a handful of
sparse gathers and products, so CasADi's derivative set-up stays near-linear in the number of
non-zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import SolverUnavailable
from smfe.system.atoms import Ops
from smfe.system.system import EquilibriumSystem

FloatArray = NDArray[np.float64]


def sparse_dm(mat: Any) -> Any:
    """A SciPy sparse matrix as a CasADi sparse DM."""
    import casadi as ca

    csc = sp.csc_matrix(mat)
    csc.sum_duplicates()
    csc.sort_indices()
    n, m = csc.shape
    if csc.nnz == 0:
        return ca.DM(n, m)
    pattern = ca.Sparsity(n, m, csc.indptr.tolist(), csc.indices.tolist())
    return ca.DM(pattern, csc.data)


@dataclass(eq=False)
class CasadiNLP:
    """The NLP and its bounds over the free variables; :meth:`full` maps a solution back."""

    system: EquilibriumSystem
    nlp: dict[str, Any]
    free: NDArray[np.int64]
    lbx: FloatArray
    ubx: FloatArray
    lbg: FloatArray
    ubg: FloatArray
    x0: FloatArray
    notes: list[str] = field(default_factory=list)

    def full(self, x_free: FloatArray) -> FloatArray:
        lay = self.system.layout
        out = np.where(lay.fixed_mask, lay.vector("start"), 0.0)
        out[self.free] = x_free
        return out


def to_casadi(system: EquilibriumSystem) -> CasadiNLP:
    """Translate ``system`` (module docstring); symbolic terms are evaluated on MX slices."""
    try:
        import casadi as ca
    except ImportError:
        raise SolverUnavailable("casadi is not installed") from None
    lay = system.layout
    fixed = lay.fixed_mask
    free = np.flatnonzero(~fixed)
    xs = ca.MX.sym("x", int(free.size))
    parts: list[Any] = []
    o = 0
    for b in lay.blocks:  # fixed blocks are constants, free blocks slices of xs
        if b.size == 0:
            continue
        if b.fixed:
            parts.append(ca.DM(b.start))
        else:
            parts.append(xs[o : o + b.size])
            o += b.size
    x = ca.vertcat(*parts) if parts else ca.MX(0, 1)
    ops = Ops(ca.exp, ca.log)

    def concat(parts: list[Any]) -> Any:
        parts = [p for p in parts if p.shape[0] > 0]
        return ca.vertcat(*parts) if parts else ca.MX(0, 1)

    xb = {b.name: x[lay.slice(b.name)] for b in lay.blocks if b.size}
    starts = np.array([lay.offset(b.name) for b in lay.blocks])

    def get(idx: Any) -> Any:
        """x[idx], gathered from the one block that holds them (or from x)."""
        if not idx.size:
            return ca.MX(0, 1)
        k = int(np.searchsorted(starts, idx.min(), side="right") - 1)
        b = lay.blocks[k]
        if idx.max() < starts[k] + b.size and b.name in xb:
            return xb[b.name][(idx - starts[k]).tolist()]
        return x[idx.tolist()]

    kinds: list[tuple[slice, Any]] = []  # φ by atom kind, with its columns of B
    if system.atoms.size:
        values = system.atoms.evaluate_by_kind(
            get,
            ops,
            concat,
            lambda v, idx: v[idx.tolist()] if idx.size else ca.MX(0, 1),
            lambda a: ca.DM(a),
        )
        off, n = system.atoms.offsets, system.atoms.sizes
        kinds = [(slice(off[k], off[k] + n[k]), v) for k, v in zip(n, values, strict=True) if n[k]]
    # one sparse product per (row block, variable block) pair: a single product of the whole
    # A with the whole x made CasADi's derivative set-up 4x slower at 10^4 pairs (measured)
    pieces = []
    for rb in system.blocks:
        if not rb.keys:
            continue
        Ar = system.A[rb.rows]
        e: Any = ca.MX.zeros(len(rb.keys), 1)
        for b in lay.blocks:
            sub = Ar[:, lay.slice(b.name)]
            if sub.nnz:
                e = e + ca.mtimes(sparse_dm(sub), xb[b.name])
        Br = system.B[rb.rows]
        for cols, v in kinds:
            sub = Br[:, cols]
            if sub.nnz:
                e = e + ca.mtimes(sparse_dm(sub), v)
        pieces.append(e)
    g = ca.vertcat(*pieces) if pieces else ca.MX(0, 1)
    blocks = {b.name: x[lay.slice(b.name)] for b in lay.blocks}
    sym = system.symbolic
    rows = [g]
    lbg, ubg = [system.lower], [system.row_upper()]
    for _, fn, lo, up in sym.rows:
        rows.append(fn(blocks, ops))
        lbg.append(np.array([lo]))
        ubg.append(np.array([up]))
    if sym.objective is not None:
        f = -sym.objective(blocks, ops)
    elif system.sense == "none":
        f = ca.MX(0)
    else:
        C = sparse_dm(system.objective_quadratic)
        f = -(
            system.objective_constant
            + ca.dot(ca.DM(system.objective_linear), x)
            + 0.5 * ca.dot(x, ca.mtimes(C, x))
        )
    return CasadiNLP(
        system=system,
        nlp={"x": xs, "f": f, "g": ca.vertcat(*rows)},
        free=free,
        lbx=lay.vector("lower")[free],
        ubx=lay.vector("upper")[free],
        lbg=np.concatenate(lbg),
        ubg=np.concatenate(ubg),
        x0=lay.vector("start")[free],
    )
