r"""MFE residuals of a candidate (θ, π, ν, V), recomputed from the game data alone.

Transitions are the kernels P_t = P(θ, Gν_t) of the candidate flow (mean-field-dependent
dynamics; otherwise P(θ)).

* ``consistency`` — flow equations (SPEC §3): stationary
  :math:`\sum_k\big(\|\sum_a\nu_k(\cdot,a) - P^\top\nu_k\|_1 + |\sum\nu_k - 1|\big)`; finite
  horizon :math:`\|\mu_0 - \sum_a\nu_0\|_1 + \sum_t\|\sum_a\nu_{t+1} - P^\top\nu_t\|_1`; plus
  the magnitude of any negative entry.
* ``policy`` — :math:`\|\nu - \mu\pi\|_1` with :math:`\mu = \sum_a\nu`.
* ``response`` — soft / Boltzmann: :math:`\max|\pi - \pi^{resp}(\theta,\nu)|` over all states;
  exact: :math:`\max_{x:\mu(x)>0}\sum_a\pi(a|x)(V^*(x) - Q^*(x,a))` (greedy support).
* ``bellman`` — :math:`\|V - \mathcal T V\|_\infty/\max(1,\|V\|_\infty)` for the returned V,
  with the game's (soft or hard) Bellman operator at the rewards r(θ, ν).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from smfe.certification.exploitability import _backup, values
from smfe.game.compiled import CompiledGame, at_step
from smfe.game.model import Response

FloatArray = NDArray[np.float64]


def consistency(cg: CompiledGame, theta: FloatArray, nu: FloatArray) -> float:
    P = cg.kernels(theta, nu)
    mu = np.add.reduceat(nu, cg.state_sa_ptr[:-1], axis=-1)
    neg = float(np.maximum(-nu, 0.0).sum())
    if cg.game.finite:
        res = float(np.abs(cg.mu0 - mu[0]).sum())
        for t in range(cg.T - 1):
            res += float(np.abs(mu[t + 1] - at_step(P, t).T @ nu[t]).sum())
        return res + neg
    flow_gap = float(np.abs(mu[0] - at_step(P, 0).T @ nu[0]).sum())
    mass_gap = float(np.abs(np.add.reduceat(nu[0], cg.sa_off[:-1]) - 1.0).sum())
    return flow_gap + mass_gap + neg


def policy_consistency(cg: CompiledGame, nu: FloatArray, pi: FloatArray) -> float:
    mu = np.add.reduceat(nu, cg.state_sa_ptr[:-1], axis=-1)
    return float(np.abs(nu - mu[..., cg.sa_state] * pi).sum())


def _softmax(cg: CompiledGame, q: FloatArray, tau: float) -> FloatArray:
    v = _backup(cg, q, tau)
    return np.exp((q - v[..., cg.sa_state]) / tau)


def response(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    pi: FloatArray,
    v0: FloatArray | None = None,
) -> float:
    """Distance of π from the response its own mean field calls for, by value iteration
    (``v0``: a starting guess of a stationary sweep; it only saves sweeps)."""
    g = cg.game
    r = cg.reward(theta, nu)
    P = cg.kernels(theta, nu)
    hard = g.tau == 0.0 or g.response == Response.BOLTZMANN
    v = values(cg, r, P, None, 0.0 if hard else g.tau, v0=v0)
    q = np.stack(
        [r[t] + cg.gamma * (at_step(P, t) @ v[t + 1 if g.finite else 0]) for t in range(cg.T)]
    )
    if g.tau == 0.0:
        mu = np.add.reduceat(nu, cg.state_sa_ptr[:-1], axis=-1)
        slack = np.add.reduceat(pi * (v[: cg.T][:, cg.sa_state] - q), cg.state_sa_ptr[:-1], axis=-1)
        return float(np.where(mu > 1e-14, slack, 0.0).max(initial=0.0))
    return float(np.abs(pi - _softmax(cg, q, g.tau)).max())


def bellman(cg: CompiledGame, theta: FloatArray, nu: FloatArray, V: FloatArray) -> float:
    g = cg.game
    tau = 0.0 if (g.tau == 0.0 or g.response == Response.BOLTZMANN) else g.tau
    r = cg.reward(theta, nu)
    P = cg.kernels(theta, nu)
    res = 0.0
    for t in range(cg.T):
        nxt = V[t + 1] if g.finite else V[0]
        tv = _backup(cg, r[t] + cg.gamma * (at_step(P, t) @ nxt), tau)
        res = max(res, float(np.abs(V[t] - tv).max()))
    return res / max(1.0, float(np.abs(V).max()))
