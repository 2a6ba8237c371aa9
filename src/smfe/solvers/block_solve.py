r"""Solves with the stationary soft-MFE Jacobian by block elimination.

For a stationary game whose dynamics do not depend on the mean field, the Jacobian of
:func:`smfe.solvers.sensitivity.linearise` in the unknowns (V, ν, z) has the block form

.. math::
   J = \begin{pmatrix} A_V & 0 & B_V\\ K & A_\nu & B_\nu\\ 0 & C_z & I_M \end{pmatrix},
   \qquad A_V = I - \gamma\Pi P,\qquad A_\nu = I + E\,T^\top - D_\pi S P^\top = I - L R^\top,

with :math:`L = [D_\pi S,\ -E]` and :math:`R^\top = [P^\top;\ T^\top]` (E marks the first
pair of each follower type, T maps pairs to their type: :math:`E T^\top` is the stationary
normalisation). By the Woodbury identity

.. math::  A_\nu^{-1} = I + L\,C^{-1}R^\top,\qquad C = I - R^\top L
           = \begin{pmatrix} I - P_\pi^\top & P^\top E\\ -T^\top D_\pi S & 2I\end{pmatrix},

a state-level matrix (the chain under π, bordered by one row and column per type). The
pair-level block :math:`A_\nu` fills in under LU — each clock layer's pairs couple densely:
on the 186,000-pair utility market the LU of J took 13 s and 87 M entries — while C (21,630
unknowns there) factorises in 0.6 s. :math:`(A_V, 0; K, A_\nu)` is block lower triangular,
and the M prices are eliminated by the dense M × M Schur complement
:math:`S_z = I - C_z W_\nu`, :math:`W = A_f^{-1}B_f`. Transposed solves (adjoints) reuse
the same factors: :math:`y_z = S_z^{-\top}(b_z - W^\top b_f)`,
:math:`y_f = A_f^{-\top}(b_f - (0; C_z^\top y_z))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.solvers import linalg

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class StationaryBlocks:
    """Sizes of J's blocks and the low-rank factors of its pair block, A_ν = I − L Rᵀ."""

    n_s: int
    n_sa: int
    M: int
    L: sp.csr_array
    Rt: sp.csr_array


class BlockSolver:
    """Factors of J by block elimination (module docstring) from its blocks A_V, K, C_z and
    B = (B_V, B_ν) (None: zero); ``solve`` answers J x = b or Jᵀ x = b for one or many
    right-hand sides."""

    def __init__(
        self,
        AV: sp.sparray,
        K: sp.sparray,
        Cz: sp.sparray,
        B: tuple[sp.sparray | None, sp.sparray | None],
        blocks: StationaryBlocks,
        what: str,
    ) -> None:
        n_s, n_sa, M = blocks.n_s, blocks.n_sa, blocks.M
        self.n_s, self.n_sa, self.M = n_s, n_sa, M
        self.L, self.Rt = blocks.L, blocks.Rt
        self.K = sp.csr_array(K)
        self.Cz = sp.csr_array(Cz)
        self.fV = linalg.lu(sp.csc_array(AV), what)
        r = self.L.shape[1]
        self.fC = linalg.lu(sp.csc_array(sp.eye_array(r) - self.Rt @ self.L), what)
        if M:
            Bf = np.zeros((n_s + n_sa, M))
            for rows, part in ((slice(0, n_s), B[0]), (slice(n_s, None), B[1])):
                if part is not None:
                    Bf[rows] = sp.csr_array(part).toarray()
            self.W = self._forward_f(Bf)
            Sz = np.eye(M) - self.Cz @ self.W[n_s:]
            self.fz = sla.lu_factor(Sz, check_finite=True)
            if np.min(np.abs(np.diag(self.fz[0]))) <= 1e-14 * max(1.0, np.abs(Sz).max()):
                raise linalg.singular(what, "the prices' Schur complement")

    @classmethod
    def of_matrix(cls, J: sp.sparray, blocks: StationaryBlocks, what: str) -> BlockSolver:
        """The factors from the assembled J, cut into its blocks."""
        n_s, nf = blocks.n_s, blocks.n_s + blocks.n_sa
        Jr = sp.csr_array(J)
        return cls(
            Jr[:n_s, :n_s],
            Jr[n_s:nf, :n_s],
            Jr[nf:, n_s:nf],
            (Jr[:n_s, nf:], Jr[n_s:nf, nf:]),
            blocks,
            what,
        )

    def _forward_f(self, b: FloatArray) -> FloatArray:
        """A_f⁻¹ b on the followers' unknowns (V, ν): V first, then ν."""
        n_s = self.n_s
        xv = self.fV.solve(b[:n_s])
        c = b[n_s:] - self.K @ xv
        xn = c + self.L @ self.fC.solve(self.Rt @ c)
        return np.concatenate([xv, xn])

    def _backward_f(self, b: FloatArray) -> FloatArray:
        """A_f⁻ᵀ b: ν first, then V."""
        n_s = self.n_s
        c = b[n_s:]
        yn = c + self.Rt.T @ self.fC.solve(self.L.T @ c, trans="T")
        yv = self.fV.solve(b[:n_s] - self.K.T @ yn, trans="T")
        return np.concatenate([yv, yn])

    def solve(self, b: FloatArray, transposed: bool = False) -> FloatArray:
        b = np.asarray(b, dtype=np.float64)
        nf = self.n_s + self.n_sa
        bf, bz = b[:nf], b[nf:]
        if not self.M:
            return self._backward_f(bf) if transposed else self._forward_f(bf)
        if transposed:
            yz = sla.lu_solve(self.fz, bz - self.W.T @ bf, trans=1)
            rhs = bf.copy()
            rhs[self.n_s :] -= self.Cz.T @ yz
            return np.concatenate([self._backward_f(rhs), yz])
        xf = self._forward_f(bf)
        xz = sla.lu_solve(self.fz, bz - self.Cz @ xf[self.n_s :])
        return np.concatenate([xf - self.W @ xz, xz])
