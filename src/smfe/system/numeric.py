r"""NumPy translation of an equilibrium system: g(x), its sparse Jacobian and the Hessian of
the Lagrangian, over the free variables (fixed blocks such as a given θ are constants).

.. math::
   \nabla g = A + B\,\nabla\varphi,\qquad
   \nabla^2_{xx}\Big(\sigma J + \lambda^\top g\Big) = \sigma C + \textstyle\sum_a (B^\top\lambda)_a
   \nabla^2\varphi_a.

The sparsity structures are computed once (vectorised: every product of a B entry with an
atom derivative is located in the final pattern up front); each evaluation only fills values
with one ``bincount``. This is what Ipopt's callback interface, the implicit gradients and the
tests use.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError
from smfe.system.system import EquilibriumSystem

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _pattern(rows: IntArray, cols: IntArray, n_cols: int) -> tuple[IntArray, IntArray, IntArray]:
    """Unique (row, col) pattern of the entries and each entry's position in it."""
    key = rows.astype(np.int64) * max(n_cols, 1) + cols
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq // max(n_cols, 1), uniq % max(n_cols, 1), inv.ravel()


class NumericSystem:
    """Callbacks of ``system`` on NumPy vectors of its free variables (module docstring)."""

    def __init__(self, system: EquilibriumSystem) -> None:
        if system.symbolic.objective is not None or system.symbolic.rows:
            raise FormulationError(
                "the NumPy translation takes systems without symbolic terms "
                "(use the CasADi or Pyomo translation)"
            )
        self.system = system
        lay = system.layout
        fixed = lay.fixed_mask
        self.free = np.flatnonzero(~fixed)
        self.x_fixed = np.where(fixed, lay.vector("start"), 0.0)
        self.n = int(self.free.size)
        self.m = system.n_rows
        col = np.full(lay.size, -1, dtype=np.int64)
        col[self.free] = np.arange(self.n)
        self._col = col
        self._jacobian_structure(system)
        self._hessian_structure(system)

    # -- structure -----------------------------------------------------------------------
    def _jacobian_structure(self, system: EquilibriumSystem) -> None:
        A = system.A.tocoo()
        keepA = self._col[A.col] >= 0
        ar, ac = system.atoms.first_structure()
        self._keep_d = self._col[ac] >= 0
        ar, ac = ar[self._keep_d], self._col[ac[self._keep_d]]
        order = np.argsort(ar, kind="stable")
        counts = np.bincount(ar, minlength=system.atoms.size)
        ptr = np.concatenate([[0], np.cumsum(counts)])
        B = system.B.tocoo()
        per = counts[B.col]
        self._b_rep = np.repeat(np.arange(B.nnz), per)
        within = np.arange(self._b_rep.size) - np.repeat(np.cumsum(per) - per, per)
        self._d_idx = order[ptr[B.col[self._b_rep]] + within]
        rows = np.concatenate([A.row[keepA], B.row[self._b_rep]])
        cols = np.concatenate([self._col[A.col[keepA]], ac[self._d_idx]])
        self.jrows, self.jcols, self._jinv = _pattern(rows, cols, self.n)
        self._a_vals = A.data[keepA]
        self._b_vals = B.data
        self._bT = sp.csr_array(system.B.T)

    def _hessian_structure(self, system: EquilibriumSystem) -> None:
        hr, hc = system.atoms.second_structure()
        self._keep_h = (self._col[hr] >= 0) & (self._col[hc] >= 0)
        C = sp.tril(system.objective_quadratic, format="coo")
        keepC = (self._col[C.row] >= 0) & (self._col[C.col] >= 0)
        self._c_vals = C.data[keepC]
        rows = np.concatenate([self._col[hr[self._keep_h]], self._col[C.row[keepC]]])
        cols = np.concatenate([self._col[hc[self._keep_h]], self._col[C.col[keepC]]])
        self.hrows, self.hcols, self._hinv = _pattern(rows, cols, self.n)

    def free_column(self, full_index: IntArray) -> IntArray:
        """Positions among the free variables of full-layout indices (−1 where fixed)."""
        return self._col[np.asarray(full_index, dtype=np.int64)]

    # -- values --------------------------------------------------------------------------
    def full(self, x: FloatArray) -> FloatArray:
        out = self.x_fixed.copy()
        out[self.free] = x
        return out

    def g(self, x: FloatArray) -> FloatArray:
        return self.system.g(self.full(x))

    def objective(self, x: FloatArray) -> float:
        return self.system.objective(self.full(x))

    def objective_gradient(self, x: FloatArray) -> FloatArray:
        s = self.system
        if s.sense == "none":
            return np.zeros(self.n)
        xf = self.full(x)
        return np.asarray(s.objective_linear + s.objective_quadratic @ xf)[self.free]

    def jacobian_values(self, x: FloatArray) -> FloatArray:
        d = self.system.atoms.first(self.full(x))[self._keep_d]
        vals = np.concatenate([self._a_vals, self._b_vals[self._b_rep] * d[self._d_idx]])
        return np.bincount(self._jinv, weights=vals, minlength=self.jrows.size).astype(np.float64)

    def jacobian(self, x: FloatArray) -> sp.csr_array:
        return sp.csr_array(
            (self.jacobian_values(x), (self.jrows, self.jcols)), shape=(self.m, self.n)
        )

    def hessian_values(self, x: FloatArray, lam: FloatArray, objective_factor: float) -> FloatArray:
        """Lower triangle of ∇²(σJ + λᵀg) at :attr:`hrows`/:attr:`hcols` (σ = factor)."""
        w = self._bT @ lam
        h = self.system.atoms.second(self.full(x), w)[self._keep_h]
        sigma = 0.0 if self.system.sense == "none" else objective_factor
        vals = np.concatenate([h, sigma * self._c_vals])
        return np.bincount(self._hinv, weights=vals, minlength=self.hrows.size).astype(np.float64)

    def hessian(self, x: FloatArray, lam: FloatArray, objective_factor: float) -> sp.csr_array:
        """The full symmetric Hessian (for tests and Newton-type methods)."""
        L = sp.csr_array(
            (self.hessian_values(x, lam, objective_factor), (self.hrows, self.hcols)),
            shape=(self.n, self.n),
        )
        return sp.csr_array(L + L.T - sp.diags_array(L.diagonal()))

    def bounds(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(variable lower, upper, row lower, row upper) over the free variables."""
        lay = self.system.layout
        return (
            lay.vector("lower")[self.free],
            lay.vector("upper")[self.free],
            self.system.lower,
            self.system.row_upper(),
        )

    def start(self) -> FloatArray:
        return self.system.layout.vector("start")[self.free]
