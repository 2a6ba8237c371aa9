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


def reward_ranges(
    cg: CompiledGame, lower: FloatArray | None = None, upper: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """[r_lo, r_hi] per step and pair, shape (T, N_SA), over θ in the box [lower, upper]
    (default: Θ's bounds) and all ν, by interval arithmetic term by term (module
    docstring); ±inf where θ is unbounded."""
    g = cg.game
    dec = g.decision
    lo_th = dec.lower if lower is None else np.asarray(lower, dtype=np.float64)
    hi_th = dec.upper if upper is None else np.asarray(upper, dtype=np.float64)
    if g.n_theta and not (np.isfinite(lo_th).all() and np.isfinite(hi_th).all()):
        inf = np.full_like(cg.r_steps, np.inf)
        return -inf, inf
    lo, hi = _affine_range(cg.r_steps, cg.R, lo_th, hi_th, 1)
    if g.n_prices:
        pr = price_ranges(cg)
        e_lo, e_hi = _affine_range(cg.E0.toarray(), cg.Eth, lo_th, hi_th, g.n_prices)
        prods = np.stack([e_lo * pr[:, :1], e_lo * pr[:, 1:], e_hi * pr[:, :1], e_hi * pr[:, 1:]])
        lo = lo + prods.min(axis=0).sum(axis=0)
        hi = hi + prods.max(axis=0).sum(axis=0)
    return lo, hi


def reward_bound(cg: CompiledGame) -> float:
    """max |r(x,a; θ, ν)| over θ in the bounds of Θ and all ν (inf if θ is unbounded)."""
    lo, hi = reward_ranges(cg)
    return float(max(np.abs(lo).max(initial=0.0), np.abs(hi).max(initial=0.0)))


def gap_bounds(
    cg: CompiledGame, lower: FloatArray | None = None, upper: FloatArray | None = None
) -> FloatArray | None:
    r"""Per-row bounds M_t(x,a) ≥ V_t(x) − Q_t(x,a) at every exact MFE (τ = 0) with θ in the
    box [lower, upper] (default Θ's), shape (T, N_SA); ``None`` when transitions depend on
    θ or on the mean field, or rewards are unbounded.

    With :math:`P \ge 0` fixed, :math:`Q^{lo}_t = r^{lo}_t + \gamma P V^{lo}_{t+1}`,
    :math:`Q^{hi}_t = r^{hi}_t + \gamma P V^{hi}_{t+1}` and :math:`V^{\cdot}_t(x) = \max_a
    Q^{\cdot}_t(x,a)` bound Q and V = max_a Q from both sides (backwards from
    :math:`V_T = 0`; for a stationary game, Bellman iterations from ∓ the global value bound,
    each of which stays a bound because the operator is monotone). Then
    :math:`M = V^{hi}_t(x) - Q^{lo}_t(x,a)`, widened by 1e-9 relative for round-off."""
    if any(p.nnz for p in (*cg.Pj, *cg.Pz)):
        return None
    lo, hi = reward_ranges(cg, lower, upper)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return None
    P, gamma, state = cg.P0, cg.gamma, cg.sa_state
    starts = cg.state_sa_ptr[:-1]

    def vmax(q: FloatArray) -> FloatArray:
        return np.maximum.reduceat(q, starts)

    if cg.game.finite:
        out = np.zeros_like(lo)
        v_lo = v_hi = np.zeros(cg.n_s)
        for t in reversed(range(cg.T)):
            q_lo, q_hi = lo[t] + gamma * (P @ v_lo), hi[t] + gamma * (P @ v_hi)
            v_lo, v_hi = vmax(q_lo), vmax(q_hi)
            out[t] = v_hi[state] - q_lo
    else:
        bound = value_bound(cg)
        v_lo, v_hi = np.full(cg.n_s, -bound), np.full(cg.n_s, bound)
        for _ in range(100_000):
            new_lo, new_hi = vmax(lo[0] + gamma * (P @ v_lo)), vmax(hi[0] + gamma * (P @ v_hi))
            step = max(np.abs(new_lo - v_lo).max(), np.abs(new_hi - v_hi).max())
            v_lo, v_hi = new_lo, new_hi
            if step <= 1e-13 * max(1.0, bound):
                break
        out = (v_hi[state] - (lo[0] + gamma * (P @ v_lo)))[None, :]
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    return np.maximum(out, 0.0) + 1e-9 * scale


def value_bound(cg: CompiledGame) -> float:
    """A proven bound on |V| and |Q| (module docstring)."""
    r = reward_bound(cg)
    n_actions = int(np.diff(cg.state_sa_ptr).max())
    ent = cg.game.tau * np.log(n_actions)
    if cg.game.finite:
        return cg.T * (r + ent)
    return (r + ent) / (1.0 - cg.gamma)
