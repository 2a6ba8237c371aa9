r"""Starting points computed from the game alone: the uniform policy, its flow and values
(:func:`uniform_start`), or one response to the uniform flow (:func:`response_start`).

.. math::  \pi_t(a|x) = 1/|\mathcal A(x)|,\qquad \nu = \text{the flow } \pi \text{ induces},
           \qquad Q_t = r_t(\theta, \nu_t) + \gamma P_t V_{t+1},\qquad
           V_t(x) = \sum_a \pi_t(a|x)\,\big(Q_t(x,a) - \tau\log\pi_t(a|x)\big)

(stationary: V = Π(r − τ log π) + γΠPV, one linear solve; finite horizon: backward from
V_T = 0; P_t = P(θ, Gν_t) when the dynamics follow the mean field). The point satisfies
every equality of the equilibrium system — flows, marginals, aggregates, Bellman — except
the response rows (softmax or greedy), and no iterative MFE solve is involved: it is the
initial point an algebraic model carries when it is written to ``.nl`` or handed to a
solver without a warm start (SPEC: formulations solve from their own starting point).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame, at_step
from smfe.solvers.distribution import induced_flow
from smfe.solvers.mfe import MFESolution, uniform_policy
from smfe.solvers.response import entropy_term, evaluate, respond
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


def uniform_start(cg: CompiledGame, theta: FloatArray, tau: float) -> MFESolution:
    """The uniform policy's flow and values at θ as an (unconverged) MFE iterate; ``tau``
    is the entropy weight in the values: the game's τ for the soft response's system, 0 for
    the exact and Boltzmann systems (their Bellman equation is unregularised)."""
    theta = np.asarray(theta, dtype=np.float64)
    pi = uniform_policy(cg)
    nu, mu = induced_flow(cg, theta, pi)
    r = cg.reward(theta, nu)
    ent = entropy_term(pi, tau)  # −τ log π, the entropy bonus of π
    P = cg.kernels(theta, nu)
    T, gamma = cg.T, cg.gamma
    if cg.game.finite:
        V = np.zeros((T + 1, cg.n_s))
        Q = np.zeros((T, cg.n_sa))
        for t in range(T - 1, -1, -1):
            Q[t] = r[t] + gamma * (at_step(P, t) @ V[t + 1])
            V[t] = np.add.reduceat(pi[t] * (Q[t] + ent[t]), cg.state_sa_ptr[:-1])
    else:
        P0 = at_step(P, 0)
        V = evaluate(cg, P0, pi[0], r[0] + ent[0])[None, :]
        Q = (r[0] + gamma * (P0 @ V[0]))[None, :]
    return _unconverged(theta, nu, mu, pi, V, Q)


def response_start(cg: CompiledGame, theta: FloatArray) -> MFESolution:
    r"""One step of the fixed point from the uniform flow: the followers' response
    (V, Q, π) to the mean field ν_u of the uniform policy, and the flow ν₁ that response
    induces. Every row holds except Bellman's through the prices (r is evaluated at ν_u, the
    aggregates at ν₁); unlike :func:`uniform_start`, the softmax row holds, so
    exp((Q − V)/τ) = π ≤ 1 cannot overflow at the start, however small τ is."""
    theta = np.asarray(theta, dtype=np.float64)
    nu_u, _ = induced_flow(cg, theta, uniform_policy(cg))
    resp = respond(cg, cg.reward(theta, nu_u), cg.kernels(theta, nu_u))
    nu, mu = induced_flow(cg, theta, resp.policy)
    return _unconverged(theta, nu, mu, resp.policy, resp.value, resp.q)


def _unconverged(
    theta: FloatArray,
    nu: FloatArray,
    mu: FloatArray,
    pi: FloatArray,
    V: FloatArray,
    Q: FloatArray,
) -> MFESolution:
    """A starting point as an MFE iterate that claims nothing (no residual, no iterations)."""
    return MFESolution(
        theta=theta,
        nu=nu,
        policy=pi,
        value=V,
        q=Q,
        mu=mu,
        residual=float("nan"),
        iterations=0,
        termination=TerminationCondition.UNKNOWN,
        history=[],
    )
