r"""A price of an aggregate: p(z) = α + βz + κz², smoothed kinks (a merit-order stack),
logarithms c·log(z + ε), rational terms a/(b + z), powers a·(z + b)^r and exponentials
c·e^{kz} — a closed set of smooth primitives, summed.

One definition, evaluated on numbers, NumPy arrays and model expressions
(:meth:`Price.evaluate`), with its first and second derivatives on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.game import checks
from smfe.game.checks import FloatArray


@dataclass(frozen=True)
class Price:
    r"""p(z) = intercept + slope·z + curvature·z² + Σ_j Δ_j·β·log(1 + e^{(z − k_j)/β})
    + Σ_i c_i·log(z + ε_i) + Σ_l a_l/(b_l + z) + Σ_n a_n·(z + b_n)^{r_n} + Σ_e c_e·e^{k_e z}.

    The optional ``kinks`` ((k_j, Δ_j), ...) add slope Δ_j beyond z = k_j, smoothed over a
    width β = ``smoothing`` (softplus): a piecewise-linear supply curve such as a merit-order
    stack, kept differentiable for Newton and Ipopt. ``log`` ((c_i, ε_i), ...) with ε_i > 0
    — with a per-state aggregate z = μ(x) the crowd-aversion reward −c·log(μ(x) + ε) of the
    MFG literature; ``rational`` ((a_l, b_l), ...) — e.g. a price 1/(1 + z); ``power``
    ((a_n, b_n, r_n), ...) — e.g. the inverse demand (d/(z + e₀))^{1/σ} = d^{1/σ}(z + e₀)^{−1/σ};
    ``exp`` ((c_e, k_e), ...). The game checks that z + ε_i > 0, b_l + z > 0 and b_n + z > 0
    over every aggregate it can reach, and that c_e·e^{k_e z} stays finite there. Monotone
    (non-decreasing, Lasry–Lions) when the slopes, the curvature, every partial slope sum,
    every c_i, a_n·r_n and c_e·k_e are ≥ 0 and every a_l ≤ 0.
    """

    intercept: float = 0.0
    slope: float = 0.0
    curvature: float = 0.0
    name: str = ""
    kinks: tuple[tuple[float, float], ...] = ()
    smoothing: float = 0.0
    log: tuple[tuple[float, float], ...] = ()
    rational: tuple[tuple[float, float], ...] = ()
    power: tuple[tuple[float, float, float], ...] = ()
    exp: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        for f in ("intercept", "slope", "curvature", "smoothing"):
            object.__setattr__(self, f, checks.finite_number(getattr(self, f), f"prices.{f}"))
        kinks = []
        for j, kink in enumerate(self.kinks):
            try:
                k, d = (float(x) for x in kink)
            except (TypeError, ValueError):
                raise InstanceError(
                    "prices.kinks", "must be (knot, slope change) pairs", j
                ) from None
            if not (np.isfinite(k) and np.isfinite(d)) or max(abs(k), abs(d)) > checks.MAX_ABS:
                raise InstanceError(
                    "prices.kinks", f"must be finite, at most {checks.MAX_ABS:g}", j
                )
            kinks.append((k, d))
        object.__setattr__(self, "kinks", tuple(sorted(kinks)))
        if kinks and not self.smoothing > 0.0:
            raise InstanceError("prices.smoothing", "kinks need a smoothing width > 0")
        object.__setattr__(self, "log", _pairs(self.log, "prices.log", "(coefficient, ε) pairs"))
        for i, (_, eps) in enumerate(self.log):
            if not eps > 0.0:
                raise InstanceError("prices.log", f"needs ε > 0 (the floor), got {eps}", i)
        object.__setattr__(
            self, "rational", _pairs(self.rational, "prices.rational", "(a, b) pairs")
        )
        object.__setattr__(
            self, "power", _tuples(self.power, 3, "prices.power", "(a, b, r) triples")
        )
        object.__setattr__(self, "exp", _pairs(self.exp, "prices.exp", "(c, k) pairs"))

    @property
    def polynomial(self) -> bool:
        """α + βz + κz² only (the fast path of the iterative solver, the MILP's form)."""
        return not (self.kinks or self.transcendental)

    @property
    def transcendental(self) -> bool:
        """Has log, rational, power or exponential terms (nonlinear beyond a quadratic)."""
        return bool(self.log or self.rational or self.power or self.exp)

    def without_terms(self) -> Price:
        """The polynomial-and-kinks part (log, rational, power and exp terms dropped)."""
        return replace(self, log=(), rational=(), power=(), exp=())

    def domain_violation(self, lo: float, hi: float) -> str | None:
        """Why p is undefined somewhere on z ∈ [lo, hi] (``None`` if it is defined)."""
        for i, (_, eps) in enumerate(self.log):
            if lo + eps <= 0.0:
                return f"log[{i}]: z + ε must stay > 0, but z reaches {lo:g} (ε = {eps:g})"
        for i, (_, b) in enumerate(self.rational):
            if lo + b <= 0.0:
                return f"rational[{i}]: b + z must stay > 0, but z reaches {lo:g} (b = {b:g})"
        for i, (_, b, _) in enumerate(self.power):
            if lo + b <= 0.0:
                return f"power[{i}]: b + z must stay > 0, but z reaches {lo:g} (b = {b:g})"
        for i, (c, k) in enumerate(self.exp):
            top = abs(c) * np.exp(min(max(k * lo, k * hi), 800.0))
            if not top <= checks.MAX_ABS:
                return (
                    f"exp[{i}]: c·e^(kz) must stay within {checks.MAX_ABS:g}, but reaches "
                    f"{top:g} on z in [{lo:g}, {hi:g}]"
                )
        return None

    def term_range(self, lo: float, hi: float) -> tuple[float, float]:
        """[min, max] of the log, rational, power and exp terms on [lo, hi] (each term is
        monotone, so the sum of their end-point ranges bounds their sum)."""
        low = high = 0.0
        for c, eps in self.log:
            ends = (c * np.log(lo + eps), c * np.log(hi + eps))
            low, high = low + min(ends), high + max(ends)
        for a, b in self.rational:
            ends = (a / (b + lo), a / (b + hi))
            low, high = low + min(ends), high + max(ends)
        for a, b, r in self.power:
            ends = (a * (b + lo) ** r, a * (b + hi) ** r)
            low, high = low + min(ends), high + max(ends)
        for c, k in self.exp:
            ends = (c * np.exp(k * lo), c * np.exp(k * hi))
            low, high = low + min(ends), high + max(ends)
        return float(low), float(high)

    @property
    def monotone(self) -> bool:
        """Non-decreasing on z >= 0, so the aggregate game is monotone (Lasry–Lions)."""
        slopes = self.slope + np.cumsum([0.0] + [d for _, d in self.kinks])
        terms = (
            all(c >= 0.0 for c, _ in self.log)
            and all(a <= 0.0 for a, _ in self.rational)
            and all(a * r >= 0.0 for a, _, r in self.power)
            and all(c * k >= 0.0 for c, k in self.exp)
        )
        return bool(slopes.min() >= 0.0) and self.curvature >= 0.0 and terms

    @property
    def antitone(self) -> bool:
        """Non-increasing on z >= 0 (e.g. −log(z + ε), d/(z + e₀))."""
        slopes = self.slope + np.cumsum([0.0] + [d for _, d in self.kinks])
        terms = (
            all(c <= 0.0 for c, _ in self.log)
            and all(a >= 0.0 for a, _ in self.rational)
            and all(a * r <= 0.0 for a, _, r in self.power)
            and all(c * k <= 0.0 for c, k in self.exp)
        )
        return bool(slopes.max() <= 0.0) and self.curvature <= 0.0 and terms

    def evaluate(self, z: Any, exp: Any = np.exp, log: Any = np.log) -> Any:
        """p(z) for a number or a model expression (pass the modelling layer's exp/log)."""
        e: Any = self.intercept
        if self.slope:
            e = e + self.slope * z
        if self.curvature:
            e = e + self.curvature * z * z
        beta = self.smoothing
        for k, d in self.kinks:
            e = e + (d * beta) * log(1.0 + exp((z - k) * (1.0 / beta)))
        for c, eps in self.log:
            e = e + c * log(z + eps)
        for a, b in self.rational:
            e = e + a / (z + b)
        for a, b, r in self.power:
            e = e + a * exp(r * log(z + b))
        for c, k in self.exp:
            e = e + c * exp(k * z)
        return e

    def potential(self, z: FloatArray) -> FloatArray:
        r"""Ψ(z) = ∫₀^z p (up to a constant) on arrays: the potential whose gradient is the
        price — αz + βz²/2 + κz³/3, −Δβ²·Li₂(−e^{(z−k)/β}) per kink, c[(z + ε)log(z + ε) − z],
        a·log(b + z), a(z + b)^{r+1}/(r + 1) (a·log(z + b) at r = −1) and (c/k)e^{kz} (cz at
        k = 0). A potential game's MFE maximises Σ_t Σ_m s_m Ψ_m(z_{t,m}) plus the linear
        rewards (:mod:`smfe.formulations.convex_mfe`)."""
        from scipy.special import spence

        z = np.asarray(z, dtype=np.float64)
        out = z * (self.intercept + z * (self.slope / 2.0 + z * self.curvature / 3.0))
        beta = self.smoothing
        for k, d in self.kinks:
            # −Li₂(−e^u), with Li₂(−e^u) = −π²/6 − u²/2 − Li₂(−e^{−u}) for u > 0 (no overflow)
            u = (z - k) / beta
            e = np.exp(-np.abs(u))
            neg_li2 = np.where(
                u > 0.0, np.pi**2 / 6.0 + 0.5 * u * u + spence(1.0 + e), -spence(1.0 + e)
            )
            out = out + d * beta * beta * neg_li2
        for c, eps in self.log:
            out = out + c * ((z + eps) * np.log(z + eps) - z)
        for a, b in self.rational:
            out = out + a * np.log(z + b)
        for a, b, r in self.power:
            out = out + (a * np.log(z + b) if r == -1.0 else a * (z + b) ** (r + 1.0) / (r + 1.0))
        for c, k in self.exp:
            out = out + (c * z if k == 0.0 else c / k * np.exp(k * z))
        return out

    def second_derivative(self, z: FloatArray) -> FloatArray:
        """p''(z) on arrays."""
        z = np.asarray(z, dtype=np.float64)
        out = np.full_like(z, 2.0 * self.curvature)
        beta = self.smoothing
        for k, d in self.kinks:
            x = (z - k) / beta
            out = out + d / beta * 0.25 / np.cosh(0.5 * x) ** 2
        for c, eps in self.log:
            out = out - c / (z + eps) ** 2
        for a, b in self.rational:
            out = out + 2.0 * a / (z + b) ** 3
        for a, b, r in self.power:
            out = out + a * r * (r - 1.0) * (z + b) ** (r - 2.0)
        for c, k in self.exp:
            out = out + c * k * k * np.exp(k * z)
        return out

    def value_and_slope(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """p(z) and p'(z) on arrays (overflow-safe)."""
        z = np.asarray(z, dtype=np.float64)
        v = self.intercept + self.slope * z + self.curvature * z * z
        dv = self.slope + 2.0 * self.curvature * z
        beta = self.smoothing
        for k, d in self.kinks:
            x = (z - k) / beta
            v = v + d * beta * np.logaddexp(0.0, x)
            dv = dv + d * 0.5 * (1.0 + np.tanh(0.5 * x))
        for c, eps in self.log:
            v = v + c * np.log(z + eps)
            dv = dv + c / (z + eps)
        for a, b in self.rational:
            v = v + a / (z + b)
            dv = dv - a / (z + b) ** 2
        for a, b, r in self.power:
            v = v + a * (z + b) ** r
            dv = dv + a * r * (z + b) ** (r - 1.0)
        for c, k in self.exp:
            e = np.exp(k * z)
            v = v + c * e
            dv = dv + c * k * e
        return v, dv


def price_classes(prices: Sequence[Price]) -> tuple[NDArray[np.int64], list[Price]]:
    """Prices that differ only by name share one definition: the class of each price and one
    representative per class, so a game with a price per state (z = μ(x)) evaluates its
    hundreds of identical terms in one vectorised call."""
    reps: dict[Price, int] = {}
    cls = np.array(
        [reps.setdefault(replace(p, name=""), len(reps)) for p in prices], dtype=np.int64
    )
    return cls, list(reps)


def _pairs(value: object, field: str, what: str) -> tuple[tuple[float, float], ...]:
    """A tuple of finite number pairs, bounded like every game number."""
    return _tuples(value, 2, field, what)  # type: ignore[return-value]


def _tuples(value: object, n: int, field: str, what: str) -> tuple[tuple[float, ...], ...]:
    """A tuple of finite number n-tuples, bounded like every game number."""
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise InstanceError(field, f"must be a list of {what}") from None
    out = []
    for j, pair in enumerate(items):
        try:
            row = tuple(checks.finite_number(x, f"{field}[{j}]") for x in pair)
        except InstanceError:
            raise
        except TypeError:
            raise InstanceError(field, f"must be {what}", j) from None
        if len(row) != n:
            raise InstanceError(field, f"must be {what}", j)
        out.append(row)
    return tuple(out)
