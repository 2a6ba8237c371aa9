r"""The soft MFE as a system of equations, its Jacobian, Newton steps and implicit gradients.

Unknowns per step t: :math:`V_t` (N_S), :math:`\nu_t` (N_SA), :math:`z_t` (M). With
:math:`P_t = P(\theta, z_t)` (mean-field-dependent dynamics; otherwise P(θ)),
:math:`Q_t = r(\theta, z_t) + \gamma P_t V_{t+1}` (stationary: :math:`V_{t+1} = V_0`;
finite: :math:`V_T = 0`) and :math:`\pi_t = \mathrm{softmax}(Q_t/\tau)`:

.. math::
   F_{V,t} = V_t - \tau\log\textstyle\sum_a e^{Q_t/\tau},\qquad
   F_{z,t} = z_t - G\nu_t,\\
   F_{\nu,t} = \nu_t - \pi_t\odot S m_t + [\text{stationary}]\;\textstyle\sum_k
   e_{k}(\mathbf 1_k^\top\nu - 1),

with :math:`m_t = P_{t-1}^\top\nu_{t-1}` (:math:`m_0 = \mu_0` for finite horizons; stationary:
:math:`m = P_0^\top\nu`) and :math:`S` the state-to-pair copy. Its zeros are exactly the soft
MFE. Derivatives use :math:`\partial\,\tau\mathrm{LSE}/\partial Q = \Pi` and
:math:`\partial\pi/\partial Q = \tau^{-1}D_\pi(I - S\Pi)`.

This is the equilibrium system of :mod:`smfe.system` with Q, π and μ eliminated (the full
system's LU fills in badly: 127 s against 0.19 s at 10⁴ pairs, measured); the tests hold both
to the same implicit gradient (``tests/system/test_reduced_system.py``).

The implicit function theorem gives the leader's total gradient with one adjoint solve,
:math:`\nabla_\theta J = \partial_\theta J - (\partial_\theta F)^\top\lambda`,
:math:`(\partial_u F)^\top\lambda = \partial_u J^\top`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError
from smfe.game.compiled import CompiledGame
from smfe.game.model import Response
from smfe.solvers import linalg
from smfe.solvers.block_solve import BlockSolver, StationaryBlocks
from smfe.solvers.response import policy_matrix, soft_max

FloatArray = NDArray[np.float64]


def require_soft(cg: CompiledGame, what: str) -> None:
    g = cg.game
    if g.tau == 0.0 or g.response != Response.SOFT:
        raise FormulationError(
            f"{what} needs the soft response with τ > 0 (this game: response={g.response.value}, "
            f"τ={g.tau}); use a derivative-free method instead"
        )


@dataclass(frozen=True, eq=False)
class Layout:
    """Offsets of the unknowns (V_t, ν_t, z_t) in the stacked vector."""

    T: int
    n_s: int
    n_sa: int
    M: int

    @property
    def block(self) -> int:
        return self.n_s + self.n_sa + self.M

    @property
    def size(self) -> int:
        return self.T * self.block

    def pack(self, V: FloatArray, nu: FloatArray, z: FloatArray) -> FloatArray:
        return np.concatenate([np.concatenate([V[t], nu[t], z[t]]) for t in range(self.T)])

    def unpack(self, u: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        b = u.reshape(self.T, self.block)
        return b[:, : self.n_s], b[:, self.n_s : self.n_s + self.n_sa], b[:, self.n_s + self.n_sa :]

    def unpack_columns(self, U: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """:meth:`unpack` of each column of ``U`` (size × k): blocks of shape (T, ·, k)."""
        b = U.reshape(self.T, self.block, U.shape[1])
        s, sa = self.n_s, self.n_s + self.n_sa
        return b[:, :s], b[:, s:sa], b[:, sa:]


def layout(cg: CompiledGame) -> Layout:
    return Layout(cg.T, cg.n_s, cg.n_sa, cg.game.n_prices)


def _type_factors(cg: CompiledGame) -> tuple[sp.csr_array, sp.csr_array]:
    """E (N_SA × types: each type's first pair) and Tᵀ (types × N_SA: the pairs of each
    type); the stationary normalisation of the ν rows is E Tᵀ."""
    K = cg.sa_off.size - 1
    E = sp.csr_array((np.ones(K), (cg.sa_off[:-1], np.arange(K))), shape=(cg.n_sa, K))
    Tt = sp.csr_array((np.ones(cg.n_sa), (cg.sa_type, np.arange(cg.n_sa))), shape=(K, cg.n_sa))
    return E, Tt


def _sa_normaliser(cg: CompiledGame) -> sp.csr_array:
    E, Tt = _type_factors(cg)
    return sp.csr_array(E @ Tt)


SCHUR_MAX_PRICES = 1000
"""Block elimination keeps A_f⁻¹B_f dense (followers' unknowns × prices): up to this many
prices; with more, the whole Jacobian is solved by :func:`smfe.solvers.linalg.solve`."""


Grid = list[list[sp.sparray | None]]


@dataclass(frozen=True, eq=False)
class Linearisation:
    """F(u; θ) and, on request, ∂F/∂u and ∂F/∂θ at one point. ∂F/∂u is kept as its grid of
    blocks (rows and columns (V_t, ν_t, z_t)) and assembled only when asked for (``Ju``):
    the block elimination and the residual checks work on the blocks (assembling the utility
    market's took 0.9 s of a 4.1 s gradient; measured). ``blocks``: the structure of ∂F/∂u
    for stationary games with mean-field-free dynamics (:mod:`smfe.solvers.block_solve`),
    which :meth:`solve` exploits."""

    F: FloatArray
    grid: Grid | None
    Jtheta: sp.csr_array | None
    blocks: StationaryBlocks | None = None

    @cached_property
    def Ju(self) -> sp.csc_array | None:
        """∂F/∂u assembled (None when the Jacobian was not asked for)."""
        if self.grid is None:
            return None
        return sp.csc_array(sp.block_array(self.grid, format="csc"))

    def _sizes(self) -> list[int]:
        assert self.grid is not None
        sizes = [0] * len(self.grid)
        for i, row in enumerate(self.grid):  # every block row has its diagonal block
            diag = row[i]
            assert diag is not None
            sizes[i] = diag.shape[0]
        return sizes

    def apply(self, x: FloatArray, transposed: bool = False) -> FloatArray:
        """∂F/∂u x (``transposed``: (∂F/∂u)ᵀ x) block by block, for one or many columns."""
        assert self.grid is not None
        off = np.concatenate([[0], np.cumsum(self._sizes())])
        out = np.zeros_like(np.asarray(x, dtype=np.float64))
        for i, row in enumerate(self.grid):
            for j, block in enumerate(row):
                if block is None:
                    continue
                if transposed:
                    out[off[j] : off[j + 1]] += block.T @ x[off[i] : off[i + 1]]
                else:
                    out[off[i] : off[i + 1]] += block @ x[off[j] : off[j + 1]]
        return out

    @cached_property
    def _block_solver(self) -> BlockSolver | None:
        if self.blocks is None or self.grid is None:
            return None
        if self.blocks.M > SCHUR_MAX_PRICES:  # W = A_f⁻¹B_f is dense, one column per price
            return None
        (AV, _, BV), (K, _, Bnu), (_, Cz, _) = self.grid
        assert AV is not None and K is not None and Cz is not None
        if not linalg.factorisable(AV):  # the state chain: LU or Krylov
            return None
        return BlockSolver(AV, K, Cz, (BV, Bnu), self.blocks, "the MFE Jacobian")

    def solve(
        self, b: FloatArray, *, what: str, transposed: bool = False, check: float = 1e-6
    ) -> FloatArray:
        """x with ∂F/∂u x = b (``transposed``: (∂F/∂u)ᵀ x = b), checked to ``check``
        (relative residual; SolveFailed otherwise). Stationary mean-field-free games are
        solved by block elimination, the others by :func:`smfe.solvers.linalg.solve`."""
        assert self.grid is not None
        solver = self._block_solver
        if solver is None:
            assert self.Ju is not None
            A = sp.csc_array(self.Ju.T) if transposed else self.Ju
            return linalg.solve(A, b, what=what, check=check)
        x = solver.solve(b, transposed)
        r = self.apply(x, transposed) - b
        if float(np.abs(r).max(initial=0.0)) > 1e-2 * check * max(1.0, np.abs(b).max()):
            x = x - solver.solve(r, transposed)  # one step of iterative refinement
            r = self.apply(x, transposed) - b
        return linalg.verify_residual(r, b, check, what, x)


def linearise(
    cg: CompiledGame,
    theta: FloatArray,
    u: FloatArray,
    *,
    jacobian: bool = True,
    theta_jacobian: bool = False,
) -> Linearisation:
    """Residual and derivatives of the soft-MFE system at (θ, u) (module docstring)."""
    require_soft(cg, "the MFE Jacobian")
    lay = layout(cg)
    V, nu, z = lay.unpack(u)
    T, tau, gamma = cg.T, cg.game.tau, cg.gamma
    finite = cg.game.finite
    if cg.mean_field_dynamics:  # P_t = P(θ, z_t) at the unknowns z_t
        Ps = tuple(cg.kernel(theta, z[t]) for t in range(T))
        PTs = tuple(sp.csr_array(P.T) for P in Ps)
    else:
        Ps = (cg.transition(theta),) * T
        PTs = (sp.csr_array(Ps[0].T),) * T
    E = cg.exposure(theta)
    base_t = cg.r_steps + (cg.R.T @ theta if cg.game.n_theta else 0.0)
    S = cg.expand
    I_s = sp.eye_array(cg.n_s, format="csr")
    I_sa = sp.eye_array(cg.n_sa, format="csr")
    I_m = sp.eye_array(lay.M, format="csr")
    Nsa = None if finite else _sa_normaliser(cg)
    F_parts = []
    blocks: list[list[sp.sparray | None]] = [[None] * (3 * T) for _ in range(3 * T)]
    jt_rows: list[sp.sparray] = []
    d = cg.game.n_theta
    for t in range(T):
        nxt = t + 1 if finite else 0
        Vn = V[nxt] if (not finite or t + 1 < T) else np.zeros(cg.n_s)
        p, dp = cg.price(z[t]) if lay.M else (np.zeros(0), np.zeros(0))
        r = base_t[t] + (E.T @ p if lay.M else 0.0)
        P = Ps[t]
        q = r + gamma * (P @ Vn)
        Vs, pi = soft_max(cg, q, tau)
        src = t - 1 if finite else 0  # the step whose flow feeds m_t
        if finite:
            m = cg.mu0 if t == 0 else PTs[src] @ nu[src]
        else:
            m = PTs[0] @ nu[0]
        Sm = m[cg.sa_state]
        Fnu = nu[t] - pi * Sm
        if Nsa is not None:
            Fnu = Fnu + Nsa @ nu[t]
            Fnu[cg.sa_off[:-1]] -= 1.0
        F_parts.append(np.concatenate([V[t] - Vs, Fnu, z[t] - cg.G @ nu[t]]))
        if not (jacobian or theta_jacobian):
            continue
        Pi = policy_matrix(cg, pi)
        Dpi = sp.diags_array(pi)
        Jpi = (Dpi - Dpi @ (S @ Pi)) / tau
        DSmJpi = sp.diags_array(Sm) @ Jpi
        Er = sp.csr_array(E.T @ sp.diags_array(dp)) if lay.M else None
        iV, inu, iz = 3 * t, 3 * t + 1, 3 * t + 2
        if jacobian:
            blocks[iV][iV] = I_s
            blocks[inu][inu] = I_sa
            blocks[iz][iz] = I_m
            blocks[iz][inu] = -cg.G
            if lay.M and Er is not None:
                blocks[iV][iz] = -(Pi @ Er)
                blocks[inu][iz] = -(DSmJpi @ Er)
            if not finite or t + 1 < T:
                jn = 3 * nxt
                add_v = -gamma * (Pi @ P)
                add_nu = -gamma * (DSmJpi @ P)
                blocks[iV][jn] = add_v if blocks[iV][jn] is None else blocks[iV][jn] + add_v
                blocks[inu][jn] = add_nu
            if finite and t > 0:
                blocks[inu][3 * (t - 1) + 1] = -(Dpi @ S @ PTs[src])
            if not finite:
                blocks[inu][inu] = I_sa + Nsa - Dpi @ S @ PTs[0]
            if cg.mean_field_dynamics:
                # ∂Q_t/∂z_t = γ [P^z_m V_{t+1}]_m and ∂m_t/∂z_src = [P^z_mᵀ ν_src]_m
                Cq = sp.csr_array(gamma * np.column_stack([Pz @ Vn for Pz in cg.Pz]))
                for row, add in ((iV, -(Pi @ Cq)), (inu, -(DSmJpi @ Cq))):
                    old = blocks[row][iz]
                    blocks[row][iz] = add if old is None else old + add
                if not finite or t > 0:
                    Cm = sp.csr_array(np.column_stack([Pz.T @ nu[src] for Pz in cg.Pz]))
                    jz = 3 * src + 2
                    add = -(Dpi @ S @ Cm)
                    blocks[inu][jz] = add if blocks[inu][jz] is None else blocks[inu][jz] + add
        if theta_jacobian and d:
            dq = cg.reward_theta_jacobian(theta, p)
            if cg.Pj:
                dq = sp.csr_array(
                    dq + gamma * sp.csr_array(np.column_stack([Pj @ Vn for Pj in cg.Pj]))
                )
            rowV = -(Pi @ dq)
            rownu = -(DSmJpi @ dq)
            if cg.Pj and (not finite or t > 0):
                prev = nu[t - 1] if finite else nu[0]
                rownu = rownu - Dpi @ S @ sp.csr_array(
                    np.column_stack([Pj.T @ prev for Pj in cg.Pj])
                )
            jt_rows += [sp.csr_array(rowV), sp.csr_array(rownu), sp.csr_array((lay.M, d))]
    Jt = sp.csr_array(sp.vstack(jt_rows, format="csr")) if (theta_jacobian and d) else None
    structure = None
    if jacobian and T == 1 and not finite and not cg.mean_field_dynamics:
        structure = _stationary_blocks(cg, pi, PTs[0], lay.M)
    return Linearisation(np.concatenate(F_parts), blocks if jacobian else None, Jt, structure)


def _stationary_blocks(
    cg: CompiledGame, pi: FloatArray, PT: sp.csr_array, M: int
) -> StationaryBlocks:
    """A_ν = I + E Tᵀ − D_π S Pᵀ = I − L Rᵀ with L = [D_π S, −E], Rᵀ = [Pᵀ; Tᵀ]
    (:mod:`smfe.solvers.block_solve`)."""
    E, Tt = _type_factors(cg)
    L = sp.hstack([sp.diags_array(pi) @ cg.expand, -E], format="csr")
    return StationaryBlocks(cg.n_s, cg.n_sa, M, sp.csr_array(L), sp.vstack([PT, Tt], format="csr"))


def state_vector(cg: CompiledGame, V: FloatArray, nu: FloatArray) -> FloatArray:
    """Stack (V_t, ν_t, Gν_t) into the unknown vector (V has T or T+1 rows)."""
    return layout(cg).pack(V[: cg.T], nu, cg.aggregates(nu))


def newton(
    cg: CompiledGame, theta: FloatArray, u: FloatArray, *, tol: float, max_iter: int = 20
) -> tuple[FloatArray, float, int]:
    """Damped Newton on F(u; θ) = 0 from ``u``; returns (u, ‖F‖∞, iterations)."""
    lin = linearise(cg, theta, u)
    res = float(np.abs(lin.F).max())
    it = 0
    while res > tol and it < max_iter:
        it += 1
        step = lin.solve(-lin.F, what="Newton step of the MFE system")
        alpha = 1.0
        while alpha > 1e-4:
            cand = u + alpha * step
            _, nu_c, _ = layout(cg).unpack(cand)
            if nu_c.min() >= -1e-12:
                lin_c = linearise(cg, theta, cand)
                res_c = float(np.abs(lin_c.F).max())
                if res_c < (1.0 - 1e-4 * alpha) * res:
                    u, lin, res = cand, lin_c, res_c
                    break
            alpha *= 0.5
        else:
            break
    return u, res, it


def implicit_gradient(
    cg: CompiledGame, theta: FloatArray, V: FloatArray, nu: FloatArray
) -> FloatArray:
    """dJ/dθ at a soft MFE (V, ν) for θ, by the implicit function theorem (one adjoint solve)."""
    gth, gnu = cg.objective_gradients(theta, nu)
    return implicit_gradients(cg, theta, V, nu, gth[None, :], gnu[None])[0]


def implicit_gradients(
    cg: CompiledGame,
    theta: FloatArray,
    V: FloatArray,
    nu: FloatArray,
    gth: FloatArray,
    gnu: FloatArray,
) -> FloatArray:
    """Total derivatives dφ_i/dθ (k, d) of k functions φ_i(θ, ν) at a soft MFE, from their
    partials ∂φ/∂θ (k, d) and ∂φ/∂ν (k, T, N_SA): one factorisation, k adjoint solves."""
    k = gth.shape[0]
    if cg.game.n_theta == 0 or k == 0:
        return np.array(gth, dtype=np.float64).reshape(k, cg.game.n_theta)
    u = state_vector(cg, V, nu)
    lin = linearise(cg, theta, u, jacobian=True, theta_jacobian=True)
    lay = layout(cg)
    zeros_v, zeros_z = np.zeros((cg.T, cg.n_s)), np.zeros((cg.T, lay.M))
    gu = np.column_stack([lay.pack(zeros_v, gnu[i], zeros_z) for i in range(k)])
    assert lin.grid is not None and lin.Jtheta is not None
    lam = lin.solve(gu, what="adjoint of the MFE system", transposed=True)
    return np.asarray(gth - (lin.Jtheta.T @ lam).T)
