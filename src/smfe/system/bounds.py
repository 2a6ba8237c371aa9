r"""Proven bounds on rewards and values, used as variable bounds and (later) big-M values.

For θ in the box [l, u] and ν in the product of simplices, every aggregate lies in
:math:`[\sum_k w_k\min G_{k,m}, \sum_k w_k\max G_{k,m}]`, so each price lies in an interval
computed exactly for the quadratic p_m; then :math:`|r| \le r_{\max}` by interval arithmetic
term by term, and :math:`|V| \le (r_{\max} + \tau\log|A|)/(1-\gamma)` (stationary) or
:math:`T(r_{\max} + \tau\log|A|)` (finite horizon, γ ≤ 1). Infinite θ bounds give no bound.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame

FloatArray = NDArray[np.float64]


def aggregate_ranges(cg: CompiledGame) -> FloatArray:
    """[z_min, z_max] per price (M, 2), over all distributions ν (:meth:`Game.aggregate_ranges`)."""
    return cg.game.aggregate_ranges()


def price_ranges(cg: CompiledGame) -> FloatArray:
    """[p_min, p_max] per price over the aggregate ranges (exact for quadratics; with kinks,
    the smoothed piecewise-linear part is monotone between knots, so the range is taken over
    the ends, the knots and the vertex; log, rational, power and exp terms add their monotone
    end-point ranges)."""
    z = aggregate_ranges(cg)
    out = np.zeros_like(z)
    for m, (lo, hi) in enumerate(z):
        price = cg.game.prices[m]
        t_lo, t_hi = price.term_range(float(lo), float(hi))  # log, rational, power, exp
        out[m] = (t_lo, t_hi)
        price = price.without_terms()
        if price.kinks:
            cand = [lo, hi] + [k for k, _ in price.kinks if lo < k < hi]
            if price.curvature and lo < -price.slope / (2 * price.curvature) < hi:
                cand.append(-price.slope / (2 * price.curvature))
            grid = np.unique(np.concatenate([np.linspace(lo, hi, 257), cand]))
            pv = price.value_and_slope(grid)[0]
            out[m] += (pv.min(), pv.max())
            continue
        a, b, c = cg.p_coef[m]
        pts = [lo, hi]
        if c != 0.0 and lo < -b / (2 * c) < hi:
            pts.append(-b / (2 * c))
        vals = [a + b * t + c * t * t for t in pts]
        out[m] += (min(vals), max(vals))
    return out


def _affine_range(
    base: FloatArray, coef: sp.csr_array, lower: FloatArray, upper: FloatArray, rows: int
) -> tuple[FloatArray, FloatArray]:
    """Range of base + Σ_j θ_j coef[i*d + j] over l <= θ <= u, for rows i (vectorised)."""
    d = lower.size
    if d == 0 or coef.nnz == 0:
        return base.copy(), base.copy()
    pos = sp.csr_array(coef.maximum(0.0))
    neg = sp.csr_array(coef.minimum(0.0))
    eye = sp.eye_array(rows, format="csr")
    L = sp.kron(eye, sp.csr_array(lower.reshape(1, d)), format="csr")
    U = sp.kron(eye, sp.csr_array(upper.reshape(1, d)), format="csr")
    lo = base + np.asarray((L @ pos + U @ neg).todense())
    hi = base + np.asarray((U @ pos + L @ neg).todense())
    return lo, hi


def reward_bound(cg: CompiledGame) -> float:
    """max |r(x,a; θ, ν)| over θ in the bounds of Θ and all ν (inf if θ is unbounded)."""
    g = cg.game
    dec = g.decision
    if g.n_theta and not (np.isfinite(dec.lower).all() and np.isfinite(dec.upper).all()):
        return float("inf")
    lo, hi = _affine_range(cg.r_steps, cg.R, dec.lower, dec.upper, 1)
    if g.n_prices:
        pr = price_ranges(cg)
        e_lo, e_hi = _affine_range(cg.E0.toarray(), cg.Eth, dec.lower, dec.upper, g.n_prices)
        prods = np.stack([e_lo * pr[:, :1], e_lo * pr[:, 1:], e_hi * pr[:, :1], e_hi * pr[:, 1:]])
        lo = lo + prods.min(axis=0).sum(axis=0)
        hi = hi + prods.max(axis=0).sum(axis=0)
    return float(max(np.abs(lo).max(initial=0.0), np.abs(hi).max(initial=0.0)))


def value_bound(cg: CompiledGame) -> float:
    """A proven bound on |V| and |Q| (module docstring)."""
    r = reward_bound(cg)
    n_actions = int(np.diff(cg.state_sa_ptr).max())
    ent = cg.game.tau * np.log(n_actions)
    if cg.game.finite:
        return cg.T * (r + ent)
    return (r + ent) / (1.0 - cg.gamma)
