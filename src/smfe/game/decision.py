r"""The leader's decision set Θ = {l ≤ θ ≤ u, A_eq θ = b_eq, A_ub θ ≤ b_ub}."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.game import checks
from smfe.game.checks import FloatArray


@dataclass(frozen=True, eq=False)
class Decision:
    """The leader's decision set Θ = {l <= θ <= u, A_eq θ = b_eq, A_ub θ <= b_ub}.

    ``start`` is a point of Θ where iterative leader methods begin (default: the projection
    of the clipped origin onto Θ). Bounds may be infinite.
    """

    lower: FloatArray
    upper: FloatArray
    A_eq: FloatArray | None = None
    b_eq: FloatArray | None = None
    A_ub: FloatArray | None = None
    b_ub: FloatArray | None = None
    start: FloatArray | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lo = np.array(self.lower, dtype=np.float64, copy=True).ravel()
        up = np.array(self.upper, dtype=np.float64, copy=True).ravel()
        d = lo.size
        if up.shape != (d,):
            raise InstanceError("decision.upper", f"has shape {up.shape}, expected ({d},)")
        for name, v in (("lower", lo), ("upper", up)):
            if np.isnan(v).any():
                raise InstanceError(f"decision.{name}", "is NaN", checks.first_index(np.isnan(v)))
            big = np.isfinite(v) & (np.abs(v) > checks.MAX_ABS)
            if big.any():
                raise InstanceError(
                    f"decision.{name}",
                    f"finite bounds must be at most {checks.MAX_ABS:g} (use null for none)",
                    checks.first_index(big),
                )
        bad = lo > up
        if bad.any():
            i = checks.first_index(bad)
            raise InstanceError(
                "decision.lower", f"exceeds decision.upper ({lo[bad][0]} > {up[bad][0]})", i
            )
        object.__setattr__(self, "lower", checks.frozen(lo))
        object.__setattr__(self, "upper", checks.frozen(up))
        for A, b in (("A_eq", "b_eq"), ("A_ub", "b_ub")):
            Av, bv = getattr(self, A), getattr(self, b)
            if (Av is None) != (bv is None):
                raise InstanceError(f"decision.{A}", f"{A} and {b} must be given together")
            if Av is not None:
                Am = checks.float_array(
                    np.atleast_2d(np.asarray(Av, dtype=np.float64)), f"decision.{A}"
                )
                if Am.shape[1] != d:
                    raise InstanceError(f"decision.{A}", f"has {Am.shape[1]} columns, expected {d}")
                bm = checks.float_array(np.ravel(bv), f"decision.{b}", (Am.shape[0],))
                object.__setattr__(self, A, Am)
                object.__setattr__(self, b, bm)
        if self.names and len(self.names) != d:
            raise InstanceError("decision.names", f"has {len(self.names)} names, expected {d}")
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        if self.start is not None:
            s = checks.float_array(np.ravel(self.start), "decision.start", (d,))
            viol = self.violation(s)
            if viol > 1e-9:
                raise InstanceError(
                    "decision.start", f"is not in the decision set (violation {viol:.3g})"
                )
            object.__setattr__(self, "start", s)

    @property
    def dim(self) -> int:
        return int(self.lower.size)

    def violation(self, theta: FloatArray) -> float:
        """Largest violation of any constraint of Θ at ``theta`` (0 inside Θ)."""
        v = [
            0.0,
            float(np.max(self.lower - theta, initial=0.0)),
            float(np.max(theta - self.upper, initial=0.0)),
        ]
        if self.A_eq is not None and self.b_eq is not None:
            v.append(float(np.max(np.abs(self.A_eq @ theta - self.b_eq), initial=0.0)))
        if self.A_ub is not None and self.b_ub is not None:
            v.append(float(np.max(self.A_ub @ theta - self.b_ub, initial=0.0)))
        return max(v)

    @property
    def is_box(self) -> bool:
        return self.A_eq is None and self.A_ub is None

    def simplex_blocks(self) -> list[NDArray[np.int64]] | None:
        """Index groups if Θ is a product of simplices (0 <= θ, each group sums to 1)."""
        if self.A_ub is not None or self.A_eq is None or self.b_eq is None:
            return None
        if not (np.all(self.lower == 0.0) and np.all(self.upper >= 1.0)):
            return None
        A = self.A_eq
        if not (np.isin(A, (0.0, 1.0)).all() and np.allclose(self.b_eq, 1.0)):
            return None
        if not np.all(A.sum(axis=0) == 1.0):
            return None
        return [np.flatnonzero(row).astype(np.int64) for row in A]
