r"""Leader constraints on the mean field: bounds on an affine or convex quadratic g(θ, ȳ).

A regulator writes rules, not only weights: a bill-impact cap per customer class, a peak-load
cap, an equity floor. Each is a row

.. math::  l \;\le\; g(\theta,\bar y) = c + a^\top\theta + b^\top\bar y
           + \tfrac12\theta^\top P\theta + \tfrac12\bar y^\top Q\bar y \;\le\; u ,

with :math:`\bar y = \sum_t y_t` the leader aggregates of :mod:`smfe.game.model` summed over
the steps (the objective's own convention; stationary games have one step) and
:math:`y_t = H(\theta)\nu_t` linear in the mean field. P and Q must be positive
semi-definite and then only the upper bound may be finite (a convex feasible set); an
equality (l = u) must be affine. The leader's problem becomes
:math:`\max_{\theta\in\Theta} J(\theta,\nu^*(\theta))` subject to
:math:`l \le g(\theta, \bar y(\theta)) \le u`.

The **shadow price** of a binding row is the multiplier λ of the first-order conditions
:math:`\nabla J = \sum_i\lambda_i\nabla g_i + (\text{terms of }\Theta)`: λ ≥ 0 when the
upper bound binds, λ ≤ 0 when the lower bound binds, 0 when neither does. In both cases it
is the first-order change of the optimal J per unit increase of the binding bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smfe.errors import InstanceError
from smfe.game import checks
from smfe.game.checks import FloatArray

PSD_TOL = 1e-10
"""Least eigenvalue accepted for a 'positive semi-definite' matrix, relative to its norm."""


@dataclass(frozen=True, eq=False)
class LeaderConstraint:
    """One row l ≤ g(θ, ȳ) ≤ u (module docstring). Missing coefficients are zero."""

    name: str
    lower: float = -np.inf
    upper: float = np.inf
    constant: float = 0.0
    theta: FloatArray | None = None
    y: FloatArray | None = None
    theta_quadratic: FloatArray | None = None
    y_quadratic: FloatArray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InstanceError(
                "constraints.name", f"must be a non-empty string, got {self.name!r}"
            )
        f = f"constraints[{self.name}]"
        object.__setattr__(self, "constant", checks.finite_number(self.constant, f"{f}.constant"))
        lo, up = (_bound(getattr(self, k), f"{f}.{k}") for k in ("lower", "upper"))
        if lo > up:
            raise InstanceError(f"{f}.lower", f"exceeds the upper bound ({lo} > {up})")
        if lo == -np.inf and up == np.inf:
            raise InstanceError(f"{f}.upper", "a constraint needs a finite lower or upper bound")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", up)
        for name in ("theta", "y"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, checks.float_array(np.ravel(v), f"{f}.{name}"))
        for name in ("theta_quadratic", "y_quadratic"):
            v = getattr(self, name)
            if v is None:
                continue
            Q = checks.float_array(v, f"{f}.{name}")
            if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
                raise InstanceError(f"{f}.{name}", f"must be a square matrix, got shape {Q.shape}")
            Q = 0.5 * (Q + Q.T)
            scale = max(1.0, float(np.abs(Q).max(initial=0.0)))
            least = float(np.linalg.eigvalsh(Q).min(initial=0.0))
            if least < -PSD_TOL * scale:
                raise InstanceError(
                    f"{f}.{name}",
                    f"must be positive semi-definite (least eigenvalue {least:.3g}): only convex "
                    "quadratic constraints are accepted",
                )
            if lo > -np.inf:
                raise InstanceError(
                    f"{f}.lower",
                    "a quadratic constraint may only have an upper bound (g convex, g <= upper)",
                )
            object.__setattr__(self, name, checks.frozen(Q))

    @property
    def quadratic(self) -> bool:
        return self.theta_quadratic is not None or self.y_quadratic is not None

    @property
    def equality(self) -> bool:
        return self.lower == self.upper

    def check_dimensions(self, d: int, ny: int) -> None:
        """Coefficient shapes against the game's θ dimension d and number of aggregates ny."""
        f = f"constraints[{self.name}]"
        expect = {"theta": (d,), "y": (ny,), "theta_quadratic": (d, d), "y_quadratic": (ny, ny)}
        for name, shape in expect.items():
            v = getattr(self, name)
            if v is not None and v.shape != shape:
                raise InstanceError(f"{f}.{name}", f"has shape {v.shape}, expected {shape}")

    def value(self, theta: FloatArray, ybar: FloatArray) -> float:
        """g(θ, ȳ)."""
        v = self.constant
        if self.theta is not None:
            v += float(self.theta @ theta)
        if self.y is not None:
            v += float(self.y @ ybar)
        if self.theta_quadratic is not None:
            v += 0.5 * float(theta @ self.theta_quadratic @ theta)
        if self.y_quadratic is not None:
            v += 0.5 * float(ybar @ self.y_quadratic @ ybar)
        return v

    def gradients(self, theta: FloatArray, ybar: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(∂g/∂θ, ∂g/∂ȳ) at fixed (θ, ȳ)."""
        gth = np.zeros(theta.size) if self.theta is None else np.array(self.theta)
        gy = np.zeros(ybar.size) if self.y is None else np.array(self.y)
        if self.theta_quadratic is not None:
            gth += self.theta_quadratic @ theta
        if self.y_quadratic is not None:
            gy += self.y_quadratic @ ybar
        return gth, gy

    def violation(self, value: float) -> float:
        """How far ``value`` lies outside [lower, upper] (0 inside)."""
        return max(0.0, self.lower - value, value - self.upper)


def _bound(value: object, field: str) -> float:
    """A bound: a number (±inf allowed), not a boolean or a string (as checks.finite_number)."""
    if isinstance(value, bool | str | bytes):
        raise InstanceError(field, f"must be a number, got {value!r}")
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InstanceError(field, f"must be a number, got {value!r}") from None
    if np.isnan(v):
        raise InstanceError(field, "is NaN")
    if np.isfinite(v) and abs(v) > checks.MAX_ABS:
        raise InstanceError(field, f"finite bounds must be at most {checks.MAX_ABS:g}")
    return v
