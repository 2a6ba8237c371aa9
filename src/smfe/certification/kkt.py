r"""First-order (KKT) conditions of a leader problem in θ, with multipliers fitted afresh.

For :math:`\max_\theta J(\theta)` over Θ = {l ≤ θ ≤ u, A_eq θ = b_eq, A_ub θ ≤ b_ub} and rows
:math:`g_i(\theta)` with bounds :math:`[g^{lo}_i, g^{up}_i]` (all functions total, i.e. through
the follower equilibrium), a KKT point satisfies

.. math::  \nabla J = \sum_i\lambda_i\nabla g_i + \sum_{j\in\mathcal U}\mu^{u}_j e_j
           - \sum_{j\in\mathcal L}\mu^{l}_j e_j + A_{eq}^\top\eta + A_{ub,\mathcal A}^\top\mu^{A}

with μ ≥ 0 on the active bounds and inequality rows of Θ, η free, and λ_i ≥ 0 if g_i's upper
bound binds, ≤ 0 if its lower bound binds, free for an equality, 0 when neither binds. The
multipliers are fitted by bounded least squares (:func:`scipy.optimize.lsq_linear`) given the
active set at θ; the residual is the ∞-norm of what they cannot explain. λ_i is the shadow
price of row i: the first-order change of the optimal J per unit increase of its binding bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import lsq_linear

from smfe.game.decision import Decision

FloatArray = NDArray[np.float64]
ACTIVE = 1e-6
"""A bound binds when the point lies within ACTIVE·max(1, |bound|) of it."""


@dataclass(frozen=True)
class KKTPoint:
    """The stationarity residual, the rows' multipliers λ (signed) and the binding bounds."""

    residual: float
    multipliers: FloatArray
    active: tuple[str, ...]


def _binds(value: FloatArray, bound: FloatArray) -> NDArray[np.bool_]:
    b = np.asarray(bound, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(b) & (np.abs(value - b) <= ACTIVE * np.maximum(1.0, np.abs(b)))


def kkt_point(
    decision: Decision,
    theta: FloatArray,
    grad: FloatArray,
    jac: FloatArray,
    values: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    names: tuple[str, ...] = (),
) -> KKTPoint:
    """KKT residual and multipliers of max J s.t. θ ∈ Θ, lower ≤ g(θ) ≤ upper (module doc).

    ``grad`` is ∇J (d,), ``jac`` the rows' gradients (n, d), ``values`` g(θ) (n,).
    """
    d = theta.size
    n = jac.shape[0]
    cols: list[FloatArray] = []
    lo_b: list[float] = []
    up_b: list[float] = []
    at_up = _binds(values, upper)
    at_lo = _binds(values, lower)
    active: list[str] = []
    for i in range(n):
        if at_up[i] or at_lo[i]:
            cols.append(jac[i])
            lo_b.append(-np.inf if at_lo[i] else 0.0)
            up_b.append(np.inf if at_up[i] else 0.0)
            side = "=eq" if at_up[i] and at_lo[i] else ("=up" if at_up[i] else "=lo")
            active.append((names[i] if i < len(names) else f"g{i}") + side)
    eye = np.eye(d)
    for j in np.flatnonzero(_binds(theta, decision.upper)):
        cols.append(eye[j])
        lo_b.append(0.0)
        up_b.append(np.inf)
    for j in np.flatnonzero(_binds(theta, decision.lower)):
        cols.append(-eye[j])
        lo_b.append(0.0)
        up_b.append(np.inf)
    if decision.A_eq is not None:
        for row in decision.A_eq:
            cols.append(row)
            lo_b.append(-np.inf)
            up_b.append(np.inf)
    if decision.A_ub is not None and decision.b_ub is not None:
        for row in decision.A_ub[_binds(decision.A_ub @ theta, decision.b_ub)]:
            cols.append(row)
            lo_b.append(0.0)
            up_b.append(np.inf)
    lam = np.zeros(n)
    if not cols:
        return KKTPoint(float(np.abs(grad).max(initial=0.0)), lam, tuple(active))
    G = np.column_stack(cols)
    fit = lsq_linear(G, grad, bounds=(np.array(lo_b), np.array(up_b)), method="bvls")
    coef = np.asarray(fit.x)
    residual = float(np.abs(grad - G @ coef).max(initial=0.0))
    lam[np.flatnonzero(at_up | at_lo)] = coef[: len(active)]
    return KKTPoint(residual, lam, tuple(active))
