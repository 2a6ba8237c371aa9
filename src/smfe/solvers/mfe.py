r"""The mean-field equilibrium for a fixed leader decision θ (SPEC §3), by fixed-point iteration.

Iterate :math:`\nu \leftarrow (1-\alpha_n)\nu + \alpha_n\,\Phi(\nu)`, where :math:`\Phi(\nu)`
is the flow of the followers' response to the rewards at ν (both horizons). The step is
adaptive (halved whenever the residual grows), fixed, or fictitious play
(:math:`\alpha_n = 1/(n+2)`); ``anderson`` mixes the last few iterates and images
(:mod:`smfe.solvers.anderson`) with the adaptive step as its damping, restarting whenever
the residual grows, and projects the mixture on nonnegative, normalised flows. Stationary
flows form a polytope, so every averaged iterate is a valid (consistent) flow and the
iteration converges to the response condition (a mixed one is affine, so it keeps the flow
equations, but may leave the polytope before the projection). When the kernel
depends on the mean field a mixture of flows is no flow: the mixture's policy then induces
the next iterate's flow (:func:`~smfe.solvers.distribution.induced_flow`).

Residual (the stopping rule and the certificate's measure): soft / Boltzmann,
:math:`\|\nu - \Phi(\nu)\|_1`; exact response, the complementarity gap
:math:`\sum\nu(x,a)(V^*(x) - Q^*(x,a))`. A soft MFE is polished by Newton's method on the
equilibrium system (:mod:`smfe.solvers.sensitivity`) once the residual is small.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from dataclasses import replace as replace_game

import numpy as np
from numpy.typing import NDArray

from smfe.errors import SolveFailed
from smfe.game.compiled import CompiledGame
from smfe.game.model import Response
from smfe.solvers import linalg, sensitivity
from smfe.solvers.anderson import Anderson
from smfe.solvers.distribution import flow, induced_flow
from smfe.solvers.options import Averaging, MFEOptions
from smfe.solvers.response import FollowerResponse, respond
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class MFESolution:
    """An MFE iterate in flat arrays: policy/ν (T, N_SA), V (T or T+1, N_S), μ (T, N_S)."""

    theta: FloatArray
    nu: FloatArray
    policy: FloatArray
    value: FloatArray
    q: FloatArray
    mu: FloatArray
    residual: float
    iterations: int
    termination: TerminationCondition
    history: list[float] = field(default_factory=list)
    newton_steps: int = 0
    newton_failures: int = 0


def uniform_policy(cg: CompiledGame) -> FloatArray:
    counts = np.diff(cg.state_sa_ptr)[cg.sa_state]
    return np.broadcast_to(1.0 / counts, (cg.T, cg.n_sa)).copy()


def induced_policy(cg: CompiledGame, nu: FloatArray, fallback: FloatArray) -> FloatArray:
    """π(a|x) = ν(x,a)/μ(x) where μ(x) > 0, else ``fallback``."""
    mu = cg.seg_sum(nu)[..., cg.sa_state]
    return np.where(mu > 1e-300, nu / np.where(mu > 1e-300, mu, 1.0), fallback)


def complementarity_gap(cg: CompiledGame, nu: FloatArray, resp: FollowerResponse) -> float:
    """Σ_t Σ ν_t(x,a)(V_t(x) − Q_t(x,a)) ≥ 0: zero iff ν puts mass only on greedy actions."""
    V = resp.value[: cg.T]
    return float((nu * (V[:, cg.sa_state] - resp.q)).sum())


def evaluate_point(
    cg: CompiledGame, theta: FloatArray, nu: FloatArray, V0: FloatArray | None = None
) -> tuple[FollowerResponse, FloatArray, FloatArray, float]:
    """Response to ν, its flow Φ(ν) (ν, μ) and the residual of ν. With mean-field-dependent
    dynamics both use the kernels P(θ, Gν_t) of the given ν."""
    P = cg.kernels(theta, nu)
    resp = respond(cg, cg.reward(theta, nu), P, V0=V0)
    nu_br, mu_br = flow(cg, P, resp.policy)
    if cg.game.exact:
        res = complementarity_gap(cg, nu, resp)
    else:
        res = float(np.abs(nu_br - nu).sum())
    return resp, nu_br, mu_br, res


Polisher = Callable[["MFESolution"], "MFESolution | None"]
"""Turns an exact-response iterate into an exact MFE (``None`` if it cannot); injected by
the method layer (:mod:`smfe.system.support_newton` builds on the equilibrium system)."""


def solve_mfe(
    cg: CompiledGame,
    theta: FloatArray,
    options: MFEOptions | None = None,
    warm: MFESolution | None = None,
    polisher: Polisher | None = None,
) -> MFESolution:
    """Find the MFE for ``theta`` to ``options.tol`` (see the module docstring).

    Soft responses that the plain iteration does not settle within ``continuation_after``
    iterations (stiff, small-τ games) are solved by continuation in τ: a sequence
    τ_0 > τ_1 > ... > τ, each stage Newton-polished and warm-starting the next, the ratio
    between stages shrinking whenever a stage fails.
    """
    with linalg.reusing():  # policy evaluations refine on the last LU (smfe.solvers.linalg)
        return _solve_mfe(cg, theta, options, warm, polisher)


def _solve_mfe(
    cg: CompiledGame,
    theta: FloatArray,
    options: MFEOptions | None,
    warm: MFESolution | None,
    polisher: Polisher | None,
) -> MFESolution:
    opts = options or MFEOptions()
    t0 = time.perf_counter()
    theta = np.asarray(theta, dtype=np.float64)
    soft = not cg.game.exact and cg.game.response == Response.SOFT
    if not soft or not opts.continuation or opts.max_iter <= opts.continuation_after:
        return _iterate(cg, theta, opts, warm, t0, polisher)
    first = _iterate(cg, theta, replace(opts, max_iter=opts.continuation_after), warm, t0)
    if first.termination == TerminationCondition.CONVERGED:
        return first
    cont = _continuation(cg, theta, opts, t0)
    best = cont if cont.residual < first.residual else first
    return replace(best, iterations=first.iterations + cont.iterations)


def _continuation(cg: CompiledGame, theta: FloatArray, opts: MFEOptions, t0: float) -> MFESolution:
    target = cg.game.tau
    nu0, _ = induced_flow(cg, theta, uniform_policy(cg))
    spread = float(np.ptp(cg.reward(theta, nu0)))  # reward scale: where the softmax is smooth
    tau = max(target, min(1e3 * target, max(spread, 1.0)))
    ratio = 0.3
    warm: MFESolution | None = None
    done_tau = tau
    iterations = 0
    stage_opts = replace(
        opts, tol=max(opts.tol, 1e-8), newton_from=np.inf, max_iter=opts.continuation_after
    )
    while True:
        stage = copy.copy(cg)
        stage.game = replace_game(cg.game, tau=tau)
        sol = _iterate(
            stage,
            theta,
            stage_opts if tau > target else replace(stage_opts, tol=opts.tol),
            warm,
            t0,
        )
        iterations += sol.iterations
        if time.perf_counter() - t0 > opts.time_limit:
            return replace(sol, iterations=iterations, termination=TerminationCondition.TIME_LIMIT)
        if sol.termination == TerminationCondition.CONVERGED:
            if tau == target:
                return replace(sol, iterations=iterations)
            warm, done_tau = sol, tau
            tau = max(target, tau * ratio)
        else:
            if warm is None or ratio > 0.97:
                return replace(sol, iterations=iterations, termination=TerminationCondition.STALLED)
            ratio = float(np.sqrt(ratio))
            tau = max(target, done_tau * ratio)


def _iterate(
    cg: CompiledGame,
    theta: FloatArray,
    opts: MFEOptions,
    warm: MFESolution | None,
    t0: float,
    polisher: Polisher | None = None,
) -> MFESolution:
    exact = cg.game.exact
    soft = not exact and cg.game.response == Response.SOFT
    averaging = opts.averaging
    if exact and averaging in (Averaging.ADAPTIVE, Averaging.ANDERSON):
        averaging = Averaging.FICTITIOUS  # a best response jumps: nothing to extrapolate
    mixer = Anderson(opts.anderson_depth) if averaging == Averaging.ANDERSON else None
    if warm is not None:
        nu, V = warm.nu.copy(), warm.value
    else:
        nu, _ = induced_flow(cg, theta, uniform_policy(cg))
        V = None
    adaptive = averaging in (Averaging.ADAPTIVE, Averaging.ANDERSON)
    alpha = 1.0 if adaptive else opts.damping
    history: list[float] = []
    newton_gate = opts.newton_from
    newton_failures = 0
    newton_steps = 0
    term = TerminationCondition.ITERATION_LIMIT
    n = 0
    size = sensitivity.layout(cg).size
    next_polish = opts.support_after if (exact and polisher and opts.support_newton) else -1
    while True:
        resp, nu_br, _, res = evaluate_point(cg, theta, nu, V)
        V = resp.value
        history.append(res)
        if res <= opts.tol:
            term = TerminationCondition.CONVERGED
            break
        if n == next_polish and polisher is not None:
            next_polish *= 2
            snap = _solution(cg, theta, nu, resp, res, n, term, history, 0, 0)
            done = polisher(snap)
            if done is not None:
                return done
        if n >= opts.max_iter:
            break
        if time.perf_counter() - t0 > opts.time_limit:
            term = TerminationCondition.TIME_LIMIT
            break
        n += 1
        if soft and opts.newton and res <= newton_gate and size <= opts.newton_max_size:
            newton_gate = 0.1 * res  # next attempt only after the fixed point gained a digit
            u = sensitivity.state_vector(cg, V, nu)
            try:
                u, _, k = sensitivity.newton(cg, theta, u, tol=0.1 * opts.tol)
            except SolveFailed:
                # a singular Newton system: keep iterating the fixed point, and say so
                k = 0
                newton_failures += 1
            if k:
                newton_steps += k
                _, nu_new, _ = sensitivity.layout(cg).unpack(u)
                nu = _project_flow(cg, nu_new)
                if mixer is not None:
                    mixer.restart()  # Newton's point is not an image of the mixed ones
                continue
        grew = len(history) > 1 and res > history[-2]
        if averaging == Averaging.FICTITIOUS:
            alpha = 1.0 / (n + 1)
        elif adaptive and len(history) > 1:
            alpha = max(alpha * 0.5, 1e-6) if grew else min(1.0, alpha * 1.1)
        if mixer is None:
            nu = (1.0 - alpha) * nu + alpha * nu_br
        else:
            if grew:
                mixer.restart()  # the safeguard: a damped plain step, then mix afresh
            nu = _project_flow(cg, mixer.step(nu, nu_br, alpha))
        if cg.mean_field_dynamics:
            # a mixture of flows under different kernels is no flow: keep the mixture's
            # policy and let it induce its own flow (fictitious play on policies)
            nu, _ = induced_flow(cg, theta, induced_policy(cg, nu, resp.policy), start=nu)
    return _solution(cg, theta, nu, resp, res, n, term, history, newton_steps, newton_failures)


def _solution(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    resp: FollowerResponse,
    res: float,
    n: int,
    term: TerminationCondition,
    history: list[float],
    newton_steps: int,
    newton_failures: int,
) -> MFESolution:
    """The iterate as a solution: for the exact response the policy ν induces (its greedy
    response where a state is unvisited), else the response itself."""
    pi = induced_policy(cg, nu, resp.policy) if cg.game.exact else resp.policy
    return MFESolution(
        theta=theta,
        nu=nu,
        policy=pi,
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=res,
        iterations=n,
        termination=term,
        history=list(history),
        newton_steps=newton_steps,
        newton_failures=newton_failures,
    )


def predicted_start(
    cg: CompiledGame, sol: MFESolution, du: FloatArray, dtheta: FloatArray
) -> MFESolution:
    r"""A warm start for θ + Δθ from the MFE ``sol`` at θ and its forward sensitivities
    ``du`` = du/dθ (the stacked (V, ν, z) of :mod:`smfe.solvers.sensitivity`, one column per
    component of θ): :math:`V + V_\theta\Delta\theta`, :math:`\nu + \nu_\theta\Delta\theta`
    projected on the flows' nonnegativity and mass. Its residual is O(‖Δθ‖²) where sol's
    was 0, so the fixed-point iteration from it needs fewer steps."""
    V, nu, _ = sensitivity.layout(cg).unpack(np.asarray(du @ dtheta, dtype=np.float64))
    T = cg.T
    value = sol.value.copy()
    value[:T] += V
    return replace(sol, value=value, nu=_project_flow(cg, sol.nu + nu))


def _project_flow(cg: CompiledGame, nu: FloatArray) -> FloatArray:
    """Clip round-off negatives of a Newton iterate and renormalise each type (stationary)."""
    nu = np.maximum(nu, 0.0)
    if not cg.game.finite:
        nu = nu / cg.type_sum_sa(nu)[..., cg.sa_type]
    return nu
