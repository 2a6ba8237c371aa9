r"""The exact MFE (τ = 0) on an identified support, by Newton's method on the equilibrium system.

Fictitious play converges as O(1/n) but identifies early *which* actions are optimal where:
the near-greedy set :math:`\mathcal A_t(x) = \{a : Q_t(x,a) \ge \max_b Q_t(x,b) - \delta\}`.
On a support :math:`\mathcal A` the exact equilibrium conditions are a square system of
equations — the equality rows of the exact equilibrium system (:mod:`smfe.system.assemble`:
bellman, normalise, policy, init/flow/mass, aggregate) plus, for every pair,

.. math::  V_t(x) - Q_t(x,a) = 0\quad (a \in \mathcal A_t(x)),\qquad
           \pi_t(a|x) = 0\quad (a \notin \mathcal A_t(x)),

which Newton's method solves to round-off (the least-norm Gauss–Newton step where ties make
it singular). States the flow does not reach (μ_t(x) below
``unvisited``) keep one greedy action, so their mixing weights are not left undetermined. The
point is an exact MFE iff π ≥ 0 on the support and V − Q ≥ 0 off it; otherwise the support is
corrected (an action whose weight went negative leaves, an action that beats V joins) and
Newton runs again, a few rounds at most. Nothing here certifies: the caller's independent
certificate decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame
from smfe.solvers.mfe import MFESolution
from smfe.system.assemble import SystemOptions, assemble
from smfe.system.numeric import NumericSystem
from smfe.system.solution import game_arrays, warm_start

FloatArray = NDArray[np.float64]
ROUNDOFF = 1e-10
"""‖F‖∞ below which Newton stops once a step fails to halve it (values of size 10–100 leave
round-off of about 1e-12 in the Bellman rows, which no step removes)."""
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SupportNewtonReport:
    """What the polish did: rounds of support correction, Newton steps, the final ‖F‖∞ and
    the worst sign violation (negative weight or an action beating V)."""

    rounds: int
    newton_steps: int
    residual: float
    sign_violation: float
    timed_out: bool = False


def initial_support(
    cg: CompiledGame, sol: MFESolution, delta: float, unvisited: float
) -> BoolArray:
    """Near-greedy pairs (T, N_SA) of the iterate: ties within ``delta`` (relative to
    max(1, |Q|)) where the state is visited, the lowest-index greedy action elsewhere."""
    q = sol.q
    qmax = cg.seg_max(q)[:, cg.sa_state]
    near = q >= qmax - delta * np.maximum(1.0, np.abs(qmax))
    mu = cg.seg_sum(sol.nu)[:, cg.sa_state]
    first = near & (np.cumsum(near, axis=1) - _before(cg, np.cumsum(near, axis=1)) == 1)
    return np.where(mu > unvisited, near, first)


def _before(cg: CompiledGame, c: NDArray[np.int64]) -> NDArray[np.int64]:
    """The running count at the end of the previous state (segment offsets of a cumsum)."""
    starts = cg.state_sa_ptr[:-1]
    prev = np.concatenate([np.zeros((c.shape[0], 1), dtype=c.dtype), c[:, starts[1:] - 1]], axis=1)
    return prev[:, cg.sa_state]


def polish(
    cg: CompiledGame,
    theta: FloatArray,
    sol: MFESolution,
    *,
    delta: float = 1e-4,
    unvisited: float = 1e-9,
    tol: float = 1e-12,
    rounds: int = 8,
    max_steps: int = 30,
    time_limit: float = 10.0,
) -> tuple[MFESolution, SupportNewtonReport]:
    """Solve the exact MFE on the support identified at ``sol`` (module docstring).

    Returns the polished solution (termination left to the caller's residual test) and a
    report, ``timed_out`` when ``time_limit`` seconds ran out; a Newton that fails leaves its
    last point for the caller to reject."""
    system = assemble(cg, SystemOptions("exact", theta=theta, objective="none"))
    num = NumericSystem(system)
    warm_start(system, cg, sol)
    T = cg.T
    pi_cols = num.free_column(np.concatenate([system.layout.step("pi", t) for t in range(T)]))
    support = initial_support(cg, sol, delta, unvisited)
    x = num.start()
    deadline = time.perf_counter() + time_limit
    steps = 0
    report = SupportNewtonReport(0, 0, np.inf, np.inf)
    for k in range(1, rounds + 1):
        square = _OnSupport(num, system.block("dominance").start, pi_cols, support.ravel())
        x, res, n = _newton(square, x, tol, max_steps, deadline)
        steps += n
        arr = game_arrays(system, num.full(x))
        slack = arr["V"][:T][:, cg.sa_state] - arr["Q"]  # V − Q ≥ 0 everywhere at an MFE
        negative = support & (arr["pi"] < -tol)
        beating = ~support & (slack < -tol * np.maximum(1.0, np.abs(arr["Q"])))
        worst = max(
            float(np.maximum(-arr["pi"][support], 0.0).max(initial=0.0)),
            float(np.maximum(-slack[~support], 0.0).max(initial=0.0)),
        )
        late = time.perf_counter() > deadline
        report = SupportNewtonReport(k, steps, res, worst, late)
        if late or not (negative.any() or beating.any()):
            break  # an MFE if Newton converged; else Newton stalled with nothing to correct
        support = (support & ~negative) | beating
    arr = game_arrays(system, num.full(x))
    pi = np.maximum(arr["pi"], 0.0)
    nu = np.maximum(arr["nu"], 0.0)
    out = MFESolution(
        theta=np.asarray(theta, dtype=np.float64),
        nu=nu,
        policy=pi,
        value=arr["V"],
        q=arr["Q"],
        mu=cg.seg_sum(nu),
        residual=report.residual,
        iterations=sol.iterations,
        termination=sol.termination,
        history=sol.history,
        newton_steps=sol.newton_steps + steps,
        newton_failures=sol.newton_failures,
    )
    return out, report


def _least_norm_step(
    J: sp.csc_array, f: FloatArray, delta: float = 1e-12, sweeps: int = 30
) -> FloatArray | None:
    r"""The least-norm solution of a consistent singular system J s = −f (free weights of tied
    actions, redundant indifference rows), by the regularised augmented system

    .. math::  \begin{pmatrix} I & J^\top \\ J & -\delta I \end{pmatrix}
               \begin{pmatrix} s \\ y \end{pmatrix} = \begin{pmatrix} 0 \\ r \end{pmatrix},

    quasi-definite for every δ > 0 (so it factors although J does not), whose solution is
    s = Jᵀ(JJᵀ + δI)⁻¹r; iterative refinement on r = −f − Js removes the δ bias. Unlike the
    normal equations (JᵀJ + λI) it does not square J's condition number: on crowd motion
    (28,800 unknowns) it reaches ‖Js + f‖ ≈ 1e-14 in 0.4 s where Levenberg–Marquardt stalled
    at 1e-3. ``None`` when it cannot (the system is inconsistent or the factor fails)."""
    m, n = J.shape
    if not (np.all(np.isfinite(J.data)) and np.all(np.isfinite(f))):
        return None
    K = sp.block_array([[sp.eye_array(n), J.T], [J, -delta * sp.eye_array(m)]], format="csc")
    try:
        lu = spla.splu(
            K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
        )
    except RuntimeError:
        return None
    s = np.zeros(n)
    target = 1e-15 * max(1.0, float(np.abs(f).max(initial=0.0)))
    for _ in range(sweeps):
        r = -f - J @ s
        if float(np.abs(r).max(initial=0.0)) <= target:
            break
        s = s + lu.solve(np.concatenate([np.zeros(n), r]))[:n]
    return s if np.all(np.isfinite(s)) else None


class _OnSupport:
    """The square system of the module docstring for one support (flattened (T, N_SA))."""

    def __init__(
        self, num: NumericSystem, dominance: int, pi_cols: NDArray[np.int64], on: BoolArray
    ) -> None:
        system = num.system
        self.num = num
        self.eq = np.flatnonzero(system.lower == system.upper)
        self.target = system.lower[self.eq]
        self.dom_rows = dominance + np.flatnonzero(on)
        off = pi_cols[~on]
        self.select = sp.csr_array(
            (np.ones(off.size), (np.arange(off.size), off)), shape=(off.size, num.n)
        )
        self.off = off

    def residual(self, x: FloatArray) -> FloatArray:
        g = self.num.g(x)
        return np.concatenate([g[self.eq] - self.target, g[self.dom_rows], x[self.off]])

    def jacobian(self, x: FloatArray) -> sp.csc_array:
        J = self.num.jacobian(x)
        return sp.csc_array(sp.vstack([J[self.eq], J[self.dom_rows], self.select], format="csc"))


def _newton(
    F: _OnSupport, x: FloatArray, tol: float, max_steps: int, deadline: float
) -> tuple[FloatArray, float, int]:
    """Damped Newton on F(x) = 0 (backtracking on ‖F‖∞), stopped at ``tol`` or when a full
    step below :data:`ROUNDOFF` no longer halves ‖F‖∞ (the floor set by the data's size)."""
    f = F.residual(x)
    res = float(np.abs(f).max(initial=0.0))
    n = 0
    while res > tol and n < max_steps and time.perf_counter() < deadline:
        n += 1
        J = F.jacobian(x)
        # ties make J singular (an action's weight is free, its indifference row repeats
        # another): the least-norm step is Newton's where J is regular and Gauss–Newton's
        # where it is not (a plain LU of a singular J also makes SuperLU's BLAS complain)
        step = _least_norm_step(J, f)
        if step is None:
            break
        alpha = 1.0
        while alpha > 1e-6:
            cand = x + alpha * step
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                fc = F.residual(cand)  # outside a log's domain: NaN, and the step shrinks
            rc = float(np.abs(fc).max(initial=0.0))
            if rc < (1.0 - 1e-4 * alpha) * res:
                stalled = rc > 0.5 * res and rc <= ROUNDOFF
                x, f, res = cand, fc, rc
                break
            alpha *= 0.5
        else:
            break
        if stalled:  # at the round-off floor of the data: further steps only shave it
            break
    return x, res, n
