r"""A price of an aggregate: p(z) = α + βz + κz² plus smoothed kinks (a merit-order stack).

One definition, evaluated on numbers, NumPy arrays and model expressions
(:meth:`Price.evaluate`), with its first and second derivatives on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from smfe.errors import InstanceError
from smfe.game import checks
from smfe.game.checks import FloatArray


@dataclass(frozen=True)
class Price:
    r"""p(z) = intercept + slope·z + curvature·z² + Σ_j Δ_j·β·log(1 + e^{(z − k_j)/β}).

    The optional ``kinks`` ((k_j, Δ_j), ...) add slope Δ_j beyond z = k_j, smoothed over a
    width β = ``smoothing`` (softplus): a piecewise-linear supply curve such as a merit-order
    stack, kept differentiable for Newton and Ipopt. ``slope >= 0, curvature >= 0`` and
    every partial slope sum non-negative is monotone.
    """

    intercept: float = 0.0
    slope: float = 0.0
    curvature: float = 0.0
    name: str = ""
    kinks: tuple[tuple[float, float], ...] = ()
    smoothing: float = 0.0

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

    @property
    def monotone(self) -> bool:
        """Non-decreasing on z >= 0, so the aggregate game is monotone (Lasry–Lions)."""
        slopes = self.slope + np.cumsum([0.0] + [d for _, d in self.kinks])
        return bool(slopes.min() >= 0.0) and self.curvature >= 0.0

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
        return e

    def second_derivative(self, z: FloatArray) -> FloatArray:
        """p''(z) on arrays."""
        z = np.asarray(z, dtype=np.float64)
        out = np.full_like(z, 2.0 * self.curvature)
        beta = self.smoothing
        for k, d in self.kinks:
            x = (z - k) / beta
            out = out + d / beta * 0.25 / np.cosh(0.5 * x) ** 2
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
        return v, dv
