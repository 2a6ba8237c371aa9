r"""F1 with θ fixed (the soft MFE alone) for Ipopt's callback interface: hand-assembled
sparse derivatives, no symbolic set-up.

The same unknowns and equations as :mod:`smfe.formulations.soft_nlp` for a stationary game
at a fixed θ — x = (V, Q, π, ν, μ, z) and

.. math::
   c_1 = Q - r^0 - E^\top p(z) - \gamma P V,\quad c_2 = \pi - e^{(Q - SV)/\tau},\quad
   c_3 = S^\top\pi - 1,\quad c_4 = \nu - (S\mu)\odot\pi,\\
   c_5 = (\mu - P^\top\nu)_{\rm keep},\quad c_6 = N\mu - 1,\quad c_7 = z - G\nu

(one redundant flow row per type dropped, as in F1) — with the Jacobian and the Hessian of
the Lagrangian written out block by block from the game's sparse matrices. Its non-zero
structure is computed once; each callback only fills values, so set-up is linear in the
size of the game where CasADi's symbolic Jacobian construction grows with its square
(README, F1 benchmark). The only non-linear terms are e = exp((Q − SV)/τ), the product
(Sμ)∘π and the prices p(z):

.. math::
   \nabla^2_{QQ} = -\lambda_2 e/\tau^2,\ \nabla^2_{QV} = \lambda_2 e S/\tau^2,\
   \nabla^2_{VV} = -S^\top(\lambda_2 e/\tau^2)S,\ \nabla^2_{\mu\pi} = -S^\top\mathrm{diag}\,
   \lambda_4,\ \nabla^2_{zz} = -\mathrm{diag}\big(p''(z)\odot E\lambda_1\big).

Needs ``cyipopt`` (the ``cyipopt-wheels`` package bundles Ipopt 3.14).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError, SolverUnavailable
from smfe.formulations.bounds import aggregate_ranges, reward_bound, value_bound
from smfe.formulations.built import F1Run
from smfe.game.compiled import CompiledGame
from smfe.ipopt.status import IPOPT_CODES, translate
from smfe.solvers.mfe import MFESolution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class F1Callbacks:
    """Ipopt callbacks (objective 0, constraints, Jacobian, Hessian) for F1 at fixed θ."""

    def __init__(self, cg: CompiledGame, theta: FloatArray) -> None:
        g = cg.game
        if g.finite:
            raise FormulationError("the callback F1 backend takes stationary games only")
        self.cg, self.theta = cg, np.asarray(theta, dtype=np.float64)
        ns, nsa, M = cg.n_s, cg.n_sa, g.n_prices
        self.ns, self.nsa, self.M = ns, nsa, M
        self.tau, self.gamma = g.tau, cg.gamma
        self.P = sp.csr_array(cg.transition(self.theta))
        self.E = sp.csr_array(cg.exposure(self.theta))  # (M, n_sa)
        self.base = cg.r0 + (cg.R.T @ self.theta if g.n_theta else 0.0)
        self.st = cg.sa_state
        self.keep = np.setdiff1d(np.arange(ns), cg.first_state)
        self.G = sp.csr_array(cg.G)
        # offsets
        self.cV, self.cQ, self.cP = 0, ns, ns + nsa
        self.cN, self.cMu, self.cZ = ns + 2 * nsa, ns + 3 * nsa, 2 * ns + 3 * nsa
        self.n = 2 * ns + 3 * nsa + M
        r1, r2, r3 = 0, nsa, 2 * nsa
        r4, r5 = 2 * nsa + ns, 3 * nsa + ns
        r6 = r5 + self.keep.size
        r7 = r6 + cg.n_types
        self.r = (r1, r2, r3, r4, r5, r6, r7)
        self.m = r7 + M
        ar = np.arange(nsa)
        Pc = self.P.tocoo()
        Ec = self.E.tocoo()
        PTk = sp.csr_array(self.P.T)[self.keep].tocoo()
        Gc = self.G.tocoo()
        st_type = cg.state_type
        blocks = [
            (r1 + ar, self.cQ + ar),  # c1 / Q
            (r1 + Pc.row, self.cV + Pc.col),  # c1 / V
            (r1 + Ec.col, self.cZ + Ec.row),  # c1 / z
            (r2 + ar, self.cP + ar),  # c2 / π
            (r2 + ar, self.cQ + ar),  # c2 / Q
            (r2 + ar, self.cV + self.st),  # c2 / V
            (r3 + self.st, self.cP + ar),  # c3 / π
            (r4 + ar, self.cN + ar),  # c4 / ν
            (r4 + ar, self.cMu + self.st),  # c4 / μ
            (r4 + ar, self.cP + ar),  # c4 / π
            (r5 + np.arange(self.keep.size), self.cMu + self.keep),  # c5 / μ
            (r5 + PTk.row, self.cN + PTk.col),  # c5 / ν
            (r6 + st_type, self.cMu + np.arange(ns)),  # c6 / μ
            (r7 + np.arange(M), self.cZ + np.arange(M)),  # c7 / z
            (r7 + Gc.row, self.cN + Gc.col),  # c7 / ν
        ]
        self._jrows = np.concatenate([b[0] for b in blocks]).astype(np.int64)
        self._jcols = np.concatenate([b[1] for b in blocks]).astype(np.int64)
        self._Pc, self._Ec, self._PTk, self._Gc = Pc, Ec, PTk, Gc
        # Hessian (lower triangle): QQ diag, (Q_i, V_s), VV diag, (μ_s, π_i), zz diag
        self._hrows = np.concatenate(
            [
                self.cQ + ar,
                self.cQ + ar,
                self.cV + np.arange(ns),
                self.cMu + self.st,
                self.cZ + np.arange(M),
            ]
        ).astype(np.int64)
        self._hcols = np.concatenate(
            [
                self.cQ + ar,
                self.cV + self.st,
                self.cV + np.arange(ns),
                self.cP + ar,
                self.cZ + np.arange(M),
            ]
        ).astype(np.int64)

    # -- unpacking ------------------------------------------------------------------------
    def split(self, x: FloatArray) -> tuple[FloatArray, ...]:
        ns, nsa = self.ns, self.nsa
        return (
            x[:ns],
            x[ns : ns + nsa],
            x[ns + nsa : ns + 2 * nsa],
            x[ns + 2 * nsa : ns + 3 * nsa],
            x[ns + 3 * nsa : 2 * ns + 3 * nsa],
            x[2 * ns + 3 * nsa :],
        )

    def _expo(self, Q: FloatArray, V: FloatArray) -> FloatArray:
        return np.exp((Q - V[self.st]) / self.tau)

    def _prices(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.cg.price(z) if self.M else (np.zeros(0), np.zeros(0))

    # -- Ipopt callbacks ------------------------------------------------------------------
    iterations = 0

    def intermediate(self, alg_mod: int, iter_count: int, *args: Any) -> bool:
        self.iterations = int(iter_count)
        return True

    def objective(self, x: FloatArray) -> float:
        return 0.0

    def gradient(self, x: FloatArray) -> FloatArray:
        return np.zeros_like(x)

    def constraints(self, x: FloatArray) -> FloatArray:
        V, Q, pi, nu, mu, z = self.split(x)
        p, _ = self._prices(z)
        r = self.base + (self.E.T @ p if self.M else 0.0)
        c1 = Q - r - self.gamma * (self.P @ V)
        c2 = pi - self._expo(Q, V)
        c3 = np.bincount(self.st, weights=pi, minlength=self.ns) - 1.0
        c4 = nu - mu[self.st] * pi
        c5 = (mu - self.P.T @ nu)[self.keep]
        c6 = np.bincount(self.cg.state_type, weights=mu, minlength=self.cg.n_types) - 1.0
        c7 = z - self.G @ nu
        return np.concatenate([c1, c2, c3, c4, c5, c6, c7])

    def jacobianstructure(self) -> tuple[IntArray, IntArray]:
        return self._jrows, self._jcols

    def jacobian(self, x: FloatArray) -> FloatArray:
        V, Q, pi, _nu, mu, z = self.split(x)
        _, dp = self._prices(z)
        e = self._expo(Q, V) / self.tau
        nsa = self.nsa
        one = np.ones(nsa)
        return np.concatenate(
            [
                one,
                -self.gamma * self._Pc.data,
                -self._Ec.data * dp[self._Ec.row] if self.M else np.zeros(0),
                one,
                -e,
                e,
                one,
                one,
                -pi,
                -mu[self.st],
                np.ones(self.keep.size),
                -self._PTk.data,
                np.ones(self.ns),
                np.ones(self.M),
                -self._Gc.data,
            ]
        )

    def hessianstructure(self) -> tuple[IntArray, IntArray]:
        return self._hrows, self._hcols

    def hessian(self, x: FloatArray, lagrange: FloatArray, obj_factor: float) -> FloatArray:
        V, Q, _pi, _nu, _mu, z = self.split(x)
        r1, r2, _, r4, *_ = self.r
        nsa = self.nsa
        l1, l2, l4 = lagrange[r1 : r1 + nsa], lagrange[r2 : r2 + nsa], lagrange[r4 : r4 + nsa]
        w = -l2 * self._expo(Q, V) / self.tau**2
        hz = np.zeros(self.M)
        if self.M:
            hz = -self.cg_second(z) * (self.E @ l1)
        return np.concatenate([w, -w, np.bincount(self.st, weights=w, minlength=self.ns), -l4, hz])

    def cg_second(self, z: FloatArray) -> FloatArray:
        return np.array(
            [float(p.second_derivative(np.array(z[m]))) for m, p in enumerate(self.cg.game.prices)]
        )


def solve_f1_callbacks(
    cg: CompiledGame,
    theta: FloatArray,
    start: MFESolution | None,
    options: dict[str, Any] | None = None,
) -> F1Run:
    """Solve F1 at fixed θ through Ipopt's callbacks (cyipopt); values as flat game arrays."""
    try:
        import cyipopt
    except ImportError:
        raise SolverUnavailable(
            "the callback F1 backend needs cyipopt (pip install 'cyipopt-wheels>=1.7.0.dev0')"
        ) from None
    t0 = time.perf_counter()
    cb = F1Callbacks(cg, theta)
    n = cb.n
    lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
    vb = value_bound(cg)
    qb = reward_bound(cg) + cg.gamma * vb
    if np.isfinite(vb):
        lb[: cb.cQ], ub[: cb.cQ] = -vb, vb
        lb[cb.cQ : cb.cP], ub[cb.cQ : cb.cP] = -qb, qb
    lb[cb.cP : cb.cZ], ub[cb.cP : cb.cZ] = 0.0, 1.0
    if cb.M:
        zr = aggregate_ranges(cg)
        lb[cb.cZ :], ub[cb.cZ :] = zr[:, 0], zr[:, 1]
    x0 = np.zeros(n)
    x0[cb.cP : cb.cN] = 0.5
    if start is not None:
        x0 = np.concatenate(
            [
                start.value[0],
                start.q[0],
                start.policy[0],
                start.nu[0],
                start.mu[0],
                cg.aggregates(start.nu)[0],
            ]
        )
    nlp = cyipopt.Problem(
        n=n, m=cb.m, problem_obj=cb, lb=lb, ub=ub, cl=np.zeros(cb.m), cu=np.zeros(cb.m)
    )
    for k, v in {"print_level": 0, "sb": "yes", **(options or {})}.items():
        nlp.add_option(k, v)
    t_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    x, info = nlp.solve(x0)
    t_solve = time.perf_counter() - t0
    status = IPOPT_CODES.get(int(info["status"]), "unknown")
    term, sol, _ = translate(status)
    V, Q, pi, nu, mu, _ = cb.split(np.asarray(x))
    values = {
        "theta": np.array(theta, dtype=float),
        "V": V[None, :],
        "Q": Q[None, :],
        "pi": pi[None, :],
        "nu": nu[None, :],
        "mu": mu[None, :],
    }
    return F1Run(values, status, term, sol, cb.iterations, {"setup": t_setup, "ipopt": t_solve})
