r"""Method ``sqp``: the leader problem with constraints on the mean field, by SQP in θ.

.. math::  \max_{\theta\in\Theta}\ J(\theta,\nu^*(\theta))\quad\text{s.t.}\quad
           l_i \le g_i(\theta, \bar y(\nu^*(\theta))) \le u_i

(:mod:`smfe.game.constraint`), solved by SciPy's SLSQP on θ alone. Every evaluation solves
the follower MFE at θ (warm-started from the previous one). Total derivatives of J and of
every g_i come from one factorisation of the MFE system and k + 1 adjoint solves
(:func:`smfe.solvers.sensitivity.implicit_gradients`) for soft responses with τ > 0, else
from central differences of re-solved equilibria (:func:`smfe.solvers.leader.fd_jacobian`).

SLSQP's own verdict is not trusted: the run counts as converged only when the KKT residual
with freshly fitted multipliers (:mod:`smfe.certification.kkt`) is below ``tol`` and every
constraint holds to ``tol`` (relative to max(1, |bound|)).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from smfe.certification.kkt import kkt_point
from smfe.game.compiled import CompiledGame
from smfe.game.model import Response
from smfe.solvers import sensitivity
from smfe.solvers.leader import LeaderRun, fd_jacobian
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import LeaderOptions
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


class _Evaluator:
    """J, g and their total gradients at θ, through a (cached, warm-started) MFE solve."""

    def __init__(self, cg: CompiledGame, opts: LeaderOptions) -> None:
        self.cg, self.opts = cg, opts
        self.key: bytes | None = None
        self.sol: MFESolution | None = None
        self.solves = 0
        self.grads: tuple[FloatArray, FloatArray] | None = None
        g = cg.game
        self.implicit = g.tau > 0.0 and g.response == Response.SOFT

    def at(self, theta: FloatArray) -> MFESolution:
        theta = np.asarray(theta, dtype=np.float64)
        key = theta.tobytes()
        if key != self.key or self.sol is None:
            self.sol = solve_mfe(self.cg, theta, self.opts.mfe, warm=self.sol)
            self.solves += 1
            self.key, self.grads = key, None
        return self.sol

    def objective(self, theta: FloatArray) -> float:
        return self.cg.objective(theta, self.at(theta).nu)

    def values(self, theta: FloatArray) -> FloatArray:
        return self.cg.constraint_values(theta, self.at(theta).nu)

    def gradients(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(∇J (d,), ∇g (n_c, d)) at θ."""
        sol = self.at(theta)
        if self.grads is not None:
            return self.grads
        cg = self.cg
        if self.implicit:
            gth, gnu = cg.objective_gradients(sol.theta, sol.nu)
            cth, cnu = cg.constraint_partials(sol.theta, sol.nu)
            total = sensitivity.implicit_gradients(
                cg,
                sol.theta,
                sol.value,
                sol.nu,
                np.vstack([gth[None, :], cth]),
                np.concatenate([gnu[None], cnu]),
            )
        else:

            def both(th: FloatArray, nu: FloatArray) -> FloatArray:
                return np.concatenate([[cg.objective(th, nu)], cg.constraint_values(th, nu)])

            total, k = fd_jacobian(cg, sol.theta, sol, self.opts.mfe, self.opts.fd_step, both)
            self.solves += k
        self.grads = (total[0], total[1:])
        return self.grads


def _scipy_constraints(cg: CompiledGame, ev: _Evaluator) -> list[dict[str, Any]]:
    """Θ's linear rows and the mean-field rows in SLSQP's form (eq: f = 0, ineq: f ≥ 0)."""
    dec = cg.game.decision
    out: list[dict[str, Any]] = []
    if dec.A_eq is not None and dec.b_eq is not None:
        A, b = dec.A_eq, dec.b_eq
        out.append({"type": "eq", "fun": lambda x: A @ x - b, "jac": lambda x: A})
    if dec.A_ub is not None and dec.b_ub is not None:
        Au, bu = dec.A_ub, dec.b_ub
        out.append({"type": "ineq", "fun": lambda x: bu - Au @ x, "jac": lambda x: -Au})
    for i, c in enumerate(cg.game.constraints):

        def val(x: FloatArray, i: int = i) -> float:
            return float(ev.values(x)[i])

        def jac(x: FloatArray, i: int = i) -> FloatArray:
            return ev.gradients(x)[1][i]

        if c.equality:
            out.append({"type": "eq", "fun": lambda x, v=val, b=c.upper: v(x) - b, "jac": jac})
            continue
        if np.isfinite(c.upper):
            out.append(
                {
                    "type": "ineq",
                    "fun": lambda x, v=val, b=c.upper: b - v(x),
                    "jac": lambda x, j=jac: -j(x),
                }
            )
        if np.isfinite(c.lower):
            out.append({"type": "ineq", "fun": lambda x, v=val, b=c.lower: v(x) - b, "jac": jac})
    return out


def run_sqp(
    cg: CompiledGame,
    opts: LeaderOptions,
    theta0: FloatArray | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> LeaderRun:
    """SLSQP on θ (module docstring); the returned run carries ∇J at the final θ."""
    g = cg.game
    dec = g.decision
    t0 = time.perf_counter()
    ev = _Evaluator(cg, opts)
    start = g.start() if theta0 is None else theta0
    x0 = np.clip(np.array(start, dtype=np.float64), dec.lower, dec.upper)
    hist: dict[str, list[float]] = {"objective": [], "stationarity": [], "mfe_residual": []}
    cons = g.constraints
    lower = np.array([c.lower for c in cons])
    upper = np.array([c.upper for c in cons])

    def kkt(x: FloatArray) -> float:
        grad, jac = ev.gradients(x)
        return kkt_point(dec, x, grad, jac, ev.values(x), lower, upper).residual

    def callback(x: FloatArray) -> None:
        J, res = ev.objective(x), kkt(x)
        hist["objective"].append(J)
        hist["stationarity"].append(res)
        hist["mfe_residual"].append(ev.at(x).residual)
        if progress is not None:
            progress(len(hist["objective"]), J, res)
        if time.perf_counter() - t0 > opts.time_limit:
            raise _TimeUp

    bounds = [
        (None if not np.isfinite(lo) else lo, None if not np.isfinite(up) else up)
        for lo, up in zip(dec.lower, dec.upper, strict=True)
    ]
    timed_out = False
    x = x0
    try:
        res = minimize(
            lambda x: -ev.objective(x),
            x0,
            jac=lambda x: -ev.gradients(x)[0],
            method="SLSQP",
            bounds=bounds,
            constraints=_scipy_constraints(cg, ev),
            callback=callback,
            options={"maxiter": opts.max_iter, "ftol": 1e-14},
        )
        x, nit, status = np.asarray(res.x), int(res.nit), int(res.status)
    except _TimeUp:
        timed_out, nit, status = True, len(hist["objective"]), -1
        x = np.asarray(ev.sol.theta if ev.sol is not None else x0)
    x = np.clip(x, dec.lower, dec.upper)
    sol = ev.at(x)
    grad, _ = ev.gradients(x)
    station = kkt(x)
    feasible = max(dec.violation(x), cg.constraint_violation(x, sol.nu)) <= opts.tol
    if sol.termination != TerminationCondition.CONVERGED:
        term = TerminationCondition.NUMERICAL_ERROR
    elif station <= opts.tol and feasible:
        term = TerminationCondition.CONVERGED
    elif timed_out:
        term = TerminationCondition.TIME_LIMIT
    elif status == 9:
        term = TerminationCondition.ITERATION_LIMIT
    else:
        term = TerminationCondition.STALLED
    return LeaderRun(x, sol, cg.objective(x, sol.nu), grad, station, nit, term, hist, ev.solves)


class _TimeUp(Exception):
    """Raised from SLSQP's callback when the time limit is reached."""
