r"""CasADi translation of an equilibrium system: ``{"x", "f", "g"}`` for ``nlpsol``.

The free variables are one MX vector; the full vector is x = S x_free + x_fixed, the rows
g = A x + B φ(x) with φ the atoms evaluated by their one definition
(:meth:`~smfe.system.atoms.Atoms.evaluate_by_kind`) on MX vectors, and f = −J (Ipopt minimises).
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
    solver_options: dict[str, Any] = field(default_factory=dict)
    """``nlpsol`` options that belong to the translation (the blockwise ``jac_g``)."""
    notes: list[str] = field(default_factory=list)

    def full(self, x_free: FloatArray) -> FloatArray:
        lay = self.system.layout
        out = np.where(lay.fixed_mask, lay.vector("start"), 0.0)
        out[self.free] = x_free
        return out


def _times(M: Any, v: Any) -> Any:
    """M v; a diagonal M (the identity on Q in ``bellman``, −I on the softmax atoms, ...) as
    v itself or an elementwise product, which CasADi differentiates faster than a sparse
    product (set-up at 10⁴ pairs 8.2 → 6.7 s, measured)."""
    import casadi as ca

    M = sp.csr_array(M)
    M.sort_indices()
    n = M.shape[0]
    diagonal = M.shape[1] == n and np.array_equal(M.indptr, np.arange(n + 1))
    if diagonal and np.array_equal(M.indices, np.arange(n)):
        return v if np.all(M.data == 1.0) else ca.DM(M.data) * v
    return ca.mtimes(sparse_dm(M), v)


def _blocks(system: EquilibriumSystem, xs: Any) -> dict[str, Any]:
    """Each variable block as a CasADi vector: fixed blocks constants, free ones slices."""
    import casadi as ca

    xb: dict[str, Any] = {}
    o = 0
    for b in system.layout.blocks:
        if b.fixed:
            xb[b.name] = ca.DM(b.start)
        else:
            xb[b.name] = xs[o : o + b.size]
            o += b.size
    return xb


def _atoms(system: EquilibriumSystem, xb: dict[str, Any], x: Any) -> list[tuple[slice, Any]]:
    """φ evaluated by kind (the one definition, on MX vectors), with its columns of B."""
    import casadi as ca

    if not system.atoms.size:
        return []
    lay = system.layout
    starts = np.array([lay.offset(b.name) for b in lay.blocks])

    def concat(parts: list[Any]) -> Any:
        parts = [p for p in parts if p.shape[0] > 0]
        return ca.vertcat(*parts) if parts else ca.MX(0, 1)

    def get(idx: Any) -> Any:
        """x[idx], gathered from the one block that holds them (or from x)."""
        if not idx.size:
            return ca.MX(0, 1)
        k = int(np.searchsorted(starts, idx.min(), side="right") - 1)
        b = lay.blocks[k]
        if idx.max() < starts[k] + b.size:
            local = idx - starts[k]
            if local.size == b.size and np.array_equal(local, np.arange(b.size)):
                return xb[b.name]  # the whole block, in order: no gather node
            return xb[b.name][local.tolist()]
        return x[idx.tolist()]

    values = system.atoms.evaluate_by_kind(
        get,
        Ops(ca.exp, ca.log),
        concat,
        lambda v, idx: v[idx.tolist()] if idx.size else ca.MX(0, 1),
        lambda a: ca.DM(a),
    )
    off, n = system.atoms.offsets, system.atoms.sizes
    return [(slice(off[k], off[k] + n[k]), v) for k, v in zip(n, values, strict=True) if n[k]]


def _rows(
    system: EquilibriumSystem, xb: dict[str, Any], kinds: list[tuple[slice, Any]]
) -> list[Any]:
    """g = A x + B φ by row block, one sparse product per (row block, variable block or atom
    kind): a single product of the whole A with the whole x made CasADi's derivative set-up
    4x slower at 10⁴ pairs (measured)."""
    import casadi as ca

    lay = system.layout
    pieces = []
    for rb in system.blocks:
        if not rb.keys:
            continue
        Ar, Br = system.A[rb.rows], system.B[rb.rows]
        terms = [
            _times(Ar[:, lay.slice(b.name)], xb[b.name])
            for b in lay.blocks
            if Ar[:, lay.slice(b.name)].nnz
        ]
        terms += [_times(Br[:, cols], v) for cols, v in kinds if Br[:, cols].nnz]
        e = terms[0] if terms else ca.MX(len(rb.keys), 1)
        for t in terms[1:]:
            e = e + t
        pieces.append(e)
    return pieces


def to_casadi(system: EquilibriumSystem) -> CasadiNLP:
    """Translate ``system`` (module docstring); symbolic terms are evaluated on MX blocks."""
    try:
        import casadi as ca
    except ImportError:
        raise SolverUnavailable("casadi is not installed") from None
    lay = system.layout
    free = np.flatnonzero(~lay.fixed_mask)
    xs = ca.MX.sym("x", int(free.size))
    xb = _blocks(system, xs)
    x = ca.vertcat(*[xb[b.name] for b in lay.blocks if b.size]) if lay.size else ca.MX(0, 1)
    ops = Ops(ca.exp, ca.log)
    sym = system.symbolic
    rows = _rows(system, xb, _atoms(system, xb, x))
    lbg, ubg = [system.lower], [system.row_upper()]
    for _, fn, lo, up in sym.rows:
        rows.append(fn(xb, ops))
        lbg.append(np.array([lo]))
        ubg.append(np.array([up]))
    if sym.objective is not None:
        f = -sym.objective(xb, ops)
    elif system.sense == "none":
        f = ca.MX(0)
    else:
        C = sparse_dm(system.objective_quadratic)
        f = -(
            system.objective_constant
            + ca.dot(ca.DM(system.objective_linear), x)
            + 0.5 * ca.dot(x, ca.mtimes(C, x))
        )
    g = ca.vertcat(*rows) if rows else ca.MX(0, 1)
    # the constraint Jacobian by row block: CasADi colours the whole Jacobian at once, and
    # a few dense rows (aggregates) and columns (prices) cost it 7.5 s at 10⁴ pairs; block
    # by block it is 0.7 s (measured), handed to nlpsol as its ``jac_g``
    jac = ca.vertcat(*[ca.jacobian(r, xs) for r in rows]) if rows else ca.MX(0, xs.shape[0])
    jac_g = ca.Function(
        "nlp_jac_g", [xs, ca.MX.sym("p", 0)], [g, jac], ["x", "p"], ["g", "jac_g_x"]
    )
    return CasadiNLP(
        system=system,
        nlp={"x": xs, "f": f, "g": g},
        solver_options={"jac_g": jac_g},
        free=free,
        lbx=lay.vector("lower")[free],
        ubx=lay.vector("upper")[free],
        lbg=np.concatenate(lbg),
        ubg=np.concatenate(ubg),
        x0=lay.vector("start")[free],
    )
