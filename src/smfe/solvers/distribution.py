r"""Mean-field flows induced by a policy (SPEC §3).

Stationary: the state marginal solves :math:`\mu_k = (\Pi P)^\top\mu_k`, :math:`\sum\mu_k = 1`
for every type, computed from the nonsingular bordered system
:math:`(I - (\Pi P)^\top + v\mathbf 1_k^\top)\mu = v` with :math:`v` a unit vector of the type
(nonsingular exactly when the stationary distribution is unique). When it is not unique the
chain is averaged from the initial distribution (Cesàro limit) instead. Then
:math:`\nu(x,a) = \mu(x)\pi(a|x)`.

Finite horizon: :math:`\mu_0` given, :math:`\nu_t = \mu_t\pi_t`, :math:`\mu_{t+1} = P^\top\nu_t`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import SolveFailed
from smfe.game.compiled import CompiledGame, Kernels, at_step
from smfe.solvers import linalg
from smfe.solvers.response import policy_matrix

FloatArray = NDArray[np.float64]


def normaliser(cg: CompiledGame) -> sp.csr_array:
    """N (N_S × N_S): row ``first state of type k`` holds ones on type k's states."""
    rows = cg.first_state[cg.state_type]
    return sp.csr_array((np.ones(cg.n_s), (rows, np.arange(cg.n_s))), shape=(cg.n_s, cg.n_s))


def stationary_states(
    cg: CompiledGame, P: sp.csr_array, pi: FloatArray, mu_start: FloatArray | None = None
) -> FloatArray:
    """The stationary state distribution μ (N_S,) of every type under policy π (N_SA,)."""
    M = policy_matrix(cg, pi) @ P
    v = np.zeros(cg.n_s)
    v[cg.first_state] = 1.0
    A = sp.eye_array(cg.n_s, format="csr") - M.T + normaliser(cg)
    try:
        mu: FloatArray | None = linalg.solve(A, v, mu_start, what="stationary distribution")
    except SolveFailed:
        mu = None  # singular: the stationary distribution is not unique
    if mu is not None and mu.min() >= -1e-10:
        mu = np.maximum(mu, 0.0)
        return mu / cg.type_sum_states(mu)[cg.state_type]
    # not unique (or not found): the Cesàro limit from the initial distribution
    return _cesaro(cg, sp.csr_array(M), cg.mu0 if mu_start is None else mu_start)


def _cesaro(
    cg: CompiledGame, M: sp.csr_array, mu: FloatArray, tol: float = 1e-13, max_iter: int = 200_000
) -> FloatArray:
    """Average of μ M^n over n (the Cesàro limit), until it stops changing."""
    MT = sp.csr_array(M.T)
    avg = mu.copy()
    cur = mu.copy()
    for n in range(1, max_iter + 1):
        cur = MT @ cur
        new = avg + (cur - avg) / (n + 1)
        if n > 10 and float(np.abs(MT @ new - new).sum()) <= tol * cg.n_types:
            return new
        avg = new
    raise SolveFailed("stationary distribution: the averaged chain did not settle")


def flow(
    cg: CompiledGame, P: Kernels, pi: FloatArray, mu_start: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """(ν (T, N_SA), μ (T, N_S)): the mean field induced by policy π (T, N_SA) under the
    kernel ``P`` (or one kernel per step, held fixed)."""
    if not cg.game.finite:
        mu = stationary_states(cg, at_step(P, 0), pi[0], mu_start)
        return (mu[cg.sa_state] * pi[0])[None, :], mu[None, :]
    T = cg.T
    nu = np.zeros((T, cg.n_sa))
    mus = np.zeros((T, cg.n_s))
    mu = cg.mu0
    for t in range(T):
        mus[t] = mu
        nu[t] = mu[cg.sa_state] * pi[t]
        if t + 1 < T:
            mu = at_step(P, t).T @ nu[t]
    return nu, mus


def induced_flow(
    cg: CompiledGame,
    theta: FloatArray,
    pi: FloatArray,
    passes: int = 100,
    start: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """(ν, μ) that policy π induces when the kernel follows the flow itself,
    P_t = P(θ, Gν_t): forward in time for a finite horizon (exact); stationary games iterate
    ν ← flow(P(θ, Gν), π) from ``start`` (default: the flow under P(θ, 0)) at most
    ``passes`` times (a starting point, not a certificate).
    Without mean-field-dependent dynamics this is :func:`flow` under P(θ)."""
    if not cg.mean_field_dynamics:
        return flow(cg, cg.transition(theta), pi)
    if cg.game.finite:
        nu = np.zeros((cg.T, cg.n_sa))
        mus = np.zeros((cg.T, cg.n_s))
        mu = cg.mu0
        for t in range(cg.T):
            mus[t] = mu
            nu[t] = mu[cg.sa_state] * pi[t]
            mu = cg.push(theta, nu[t])
        return nu, mus
    if start is None:
        nu, mus = flow(cg, cg.kernel(theta, None), pi)
    else:
        nu, mus = start, cg.seg_sum(start)
    for _ in range(passes):
        new, mus = flow(cg, cg.kernels(theta, nu), pi, mus[0])
        done = float(np.abs(new - nu).sum()) <= 1e-14
        nu = new
        if done:
            break
    return nu, mus
