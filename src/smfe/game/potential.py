r"""Which prices make the game a potential game, and with what sign.

A price m is paid in proportion to the load each type puts on it when

.. math::  \text{exposure}_k[m] = \lambda_m\,\text{aggregate}_k[m]\quad\text{for every type } k

with one λ_m for all types (and no θ in the exposure). Then the price rewards are the gradient
of λ_m Ψ_m(z_m) with Ψ_m' = p_m (:meth:`smfe.game.price.Price.potential`), and the game is a
potential game; the potential is concave — the coupling monotone in the sense of Lasry–Lions —
when λ_m p_m is non-increasing: p_m non-decreasing with λ_m < 0 (a congestion charge),
non-increasing with λ_m > 0 (a revenue that falls with the crowd, −log μ, a clearing price).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from smfe.game.model import Game, Response

FloatArray = NDArray[np.float64]

RATIO_RTOL = 1e-12
"""Relative tolerance of exposure = λ·aggregate (the data are compared, not solved for)."""


def exposure_ratio(game: Game, m: int) -> float | None:
    """λ_m of the module docstring; 0.0 when no type pays price m, ``None`` when the exposure
    is not one multiple of the aggregate for all types (or depends on θ)."""
    ratio: float | None = None
    for t in game.types:
        if t.exposure_theta is not None and np.any(t.exposure_theta[m]):
            return None
        e = np.zeros(t.mask.shape) if t.exposure is None else t.exposure[m]
        g = np.zeros(t.mask.shape) if t.aggregate is None else t.aggregate[m]
        if not np.any(e):
            continue
        nz = np.flatnonzero(g)
        if nz.size == 0:
            return None
        lam = float(e.ravel()[nz[0]] / g.ravel()[nz[0]])
        if not np.allclose(e, lam * g, rtol=RATIO_RTOL, atol=0.0):
            return None
        if ratio is not None and not np.isclose(lam, ratio, rtol=RATIO_RTOL, atol=0.0):
            return None
        ratio = lam
    return 0.0 if ratio is None else ratio


def monotone_coupling(game: Game, m: int) -> bool:
    """Price m couples monotonically: proportional exposure and λ_m·p_m non-increasing."""
    lam = exposure_ratio(game, m)
    if lam is None:
        return False
    p = game.prices[m]
    return lam == 0.0 or (p.monotone if lam < 0.0 else p.antitone)


def concave_potential(game: Game) -> tuple[FloatArray | None, str]:
    """(λ, "") when the game's MFE maximises a concave program over occupation measures
    (:mod:`smfe.formulations.convex_mfe`): finite horizon, soft or exact response, kernels
    free of the mean field, every price paid in proportion λ_m to its load, λ_m·p_m
    non-increasing term by term, and no kinks or quadratic term (no conic potential);
    otherwise (None, why not)."""
    if not game.finite:
        return None, (
            "the convex (occupation-measure) route needs a finite-horizon game: for the "
            "discounted stationary MFE the flow constraints and discounted values do not come "
            "from one potential, so no concave program characterises it"
        )
    if game.tau > 0.0 and game.response != Response.SOFT:
        return None, (
            "the convex route takes the soft (entropy-regularised) or the exact (τ = 0) "
            "response, not the Boltzmann one (its fixed point is no optimum of one potential)"
        )
    if game.mean_field_dynamics:
        return None, (
            "the convex route needs transitions independent of the mean field: with "
            "P(θ, z) the flow constraints are bilinear in (z, ν), so the feasible set of "
            "occupation measures is not convex"
        )
    lam = np.zeros(game.n_prices)
    for m, p in enumerate(game.prices):
        ratio = exposure_ratio(game, m)
        label = repr(p.name or m)
        if ratio is None:
            return None, (
                f"price {label}: not the gradient of a potential (every type must pay it in "
                "one proportion λ to the load it puts on it, with no θ in the exposure)"
            )
        lam[m] = ratio
        if ratio == 0.0:
            continue
        if p.kinks or p.curvature != 0.0:
            return None, (
                f"price {label}: kinks and a quadratic term have no conic potential here "
                "(affine, log, rational, power and exp terms do)"
            )
        if not monotone_coupling(game, m):
            return None, (
                f"price {label}: λ·p must be non-increasing in every term (λ = {ratio:g}) for "
                "the potential to be concave (Lasry–Lions monotone coupling)"
            )
    return lam, ""
