"""The schema of the smfe game file (docs/game-format.md), as strict pydantic models.

A game file is validated against these models *before* any array is built: types (strings
are not numbers, booleans are not numbers, masks are 0/1), unknown keys (an error, with a
"did you mean"), array objects whose ``shape``, ``index`` and ``data`` agree, and the
cross-field shapes (S, A of each type from its mask; d from the decision bounds; M from the
prices; n_y from the objective and the leader weights). The declared sizes are checked
against a :class:`~smfe.inputs.budget.Budget` before any allocation. The numeric checks
(finite values, probabilities, stochastic rows, Θ) are then done by the :class:`smfe.Game`
dataclasses themselves.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from smfe.inputs.budget import Budget, Sizes, check_size
from smfe.inputs.errors import SubfieldError

NonNegInt = Annotated[int, Field(ge=0)]


class _Doc(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ArrayDoc(_Doc):
    """An array: its ``shape`` and all entries (flat, C order) as ``data``, or the flat
    C-order ``index`` of the non-zero entries with their values as ``data``."""

    shape: list[NonNegInt]
    data: list[float]
    index: list[NonNegInt] | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nnz(self) -> int:
        return len(self.data)

    @model_validator(mode="after")
    def _consistent(self) -> ArrayDoc:
        if self.index is None:
            if len(self.data) != self.size:
                raise ValueError(f"has {len(self.data)} values for shape {self.shape}")
        else:
            if len(self.index) != len(self.data):
                raise ValueError(
                    f"index has {len(self.index)} entries but data has {len(self.data)}"
                )
            for i, k in enumerate(self.index):
                if k >= self.size:
                    raise ValueError(f"index[{i}] = {k} is outside shape {self.shape}")
        return self


def _shape(a: ArrayDoc | None) -> tuple[int, ...] | None:
    return None if a is None else tuple(a.shape)


class StationaryDoc(_Doc):
    kind: Literal["stationary"]
    gamma: float


class FiniteDoc(_Doc):
    kind: Literal["finite"]
    T: Annotated[int, Field(ge=1)]
    gamma: float = 1.0


class PriceDoc(_Doc):
    """p(z) = intercept + slope·z + curvature·z² + smoothed kinks ((knot, slope change))."""

    name: str = ""
    intercept: float = 0.0
    slope: float = 0.0
    curvature: float = 0.0
    kinks: list[tuple[float, float]] = []
    smoothing: float = 0.0


class DecisionDoc(_Doc):
    lower: list[float | None]
    upper: list[float | None]
    A_eq: ArrayDoc | None = None
    b_eq: ArrayDoc | None = None
    A_ub: ArrayDoc | None = None
    b_ub: ArrayDoc | None = None
    start: ArrayDoc | None = None
    names: list[str] = []

    @model_validator(mode="after")
    def _dims(self) -> DecisionDoc:
        d = len(self.lower)
        if len(self.upper) != d:
            raise SubfieldError("upper", f"has {len(self.upper)} entries but lower has {d}")
        if self.names and len(self.names) != d:
            raise SubfieldError("names", f"has {len(self.names)} entries, expected {d}")
        for A, b in (("A_eq", "b_eq"), ("A_ub", "b_ub")):
            sa, sb = _shape(getattr(self, A)), _shape(getattr(self, b))
            if (sa is None) != (sb is None):
                raise ValueError(f"{A} and {b} must be given together")
            if sa is not None and sb is not None:
                if len(sa) != 2 or sa[1] != d:
                    raise ValueError(f"{A} has shape {list(sa)}, expected [m, {d}]")
                if sb != (sa[0],):
                    raise ValueError(f"{b} has shape {list(sb)}, expected [{sa[0]}]")
        if self.start is not None and _shape(self.start) != (d,):
            raise SubfieldError("start", f"has shape {self.start.shape}, expected [{d}]")
        return self


class ObjectiveDoc(_Doc):
    """J = constant + cᵀθ + ½θᵀCθ + Σ_t (dᵀy_t + ½y_tᵀDy_t + θᵀBy_t)."""

    constant: float = 0.0
    theta_linear: ArrayDoc | None = None
    theta_quadratic: ArrayDoc | None = None
    y_linear: ArrayDoc | None = None
    y_quadratic: ArrayDoc | None = None
    theta_y: ArrayDoc | None = None
    y_names: list[str] = []


TYPE_ARRAYS = (
    "reward_theta",
    "aggregate",
    "exposure",
    "exposure_theta",
    "leader_weight",
    "leader_weight_theta",
    "init",
)


class TypeDoc(_Doc):
    """One follower type; every (S, A)-indexed array is checked against the mask's shape."""

    name: str
    share: float
    mask: ArrayDoc
    reward: ArrayDoc
    transition: ArrayDoc
    transition_theta: list[ArrayDoc] = []
    reward_theta: ArrayDoc | None = None
    aggregate: ArrayDoc | None = None
    exposure: ArrayDoc | None = None
    exposure_theta: ArrayDoc | None = None
    leader_weight: ArrayDoc | None = None
    leader_weight_theta: ArrayDoc | None = None
    init: ArrayDoc | None = None

    @model_validator(mode="after")
    def _shapes(self) -> TypeDoc:
        if len(self.mask.shape) != 2 or 0 in self.mask.shape:
            raise SubfieldError("mask", f"has shape {self.mask.shape}, expected a non-empty [S, A]")
        for i, v in enumerate(self.mask.data):
            if v not in (0.0, 1.0):
                raise SubfieldError(f"mask.data[{i}]", f"is {v!r}; masks hold 0 or 1 only")
        S, A = self.mask.shape
        if _shape(self.reward) != (S, A):
            raise SubfieldError("reward", f"has shape {self.reward.shape}, expected [{S}, {A}]")
        for name, arr in [("transition", self.transition)] + [
            (f"transition_theta[{j}]", m) for j, m in enumerate(self.transition_theta)
        ]:
            if _shape(arr) not in ((S * A, S), (S, A, S)):
                raise SubfieldError(name, f"has shape {arr.shape}, expected [{S * A}, {S}]")
        trail = {
            "reward_theta": 3,
            "aggregate": 3,
            "exposure": 3,
            "leader_weight": 3,
            "exposure_theta": 4,
            "leader_weight_theta": 4,
        }
        for name, ndim in trail.items():
            s = _shape(getattr(self, name))
            if s is not None and (len(s) != ndim or s[-2:] != (S, A)):
                lead = "n" if ndim == 3 else "n, d"
                raise SubfieldError(name, f"has shape {list(s)}, expected [{lead}, {S}, {A}]")
        if self.init is not None and _shape(self.init) != (S,):
            raise SubfieldError("init", f"has shape {self.init.shape}, expected [{S}]")
        return self

    @property
    def arrays(self) -> list[ArrayDoc]:
        out = [self.mask, self.reward, self.transition, *self.transition_theta]
        return out + [a for a in (getattr(self, k) for k in TYPE_ARRAYS) if a is not None]


class GameDoc(_Doc):
    """A whole game file (format "smfe-game", version 1)."""

    format: Literal["smfe-game"]
    version: int
    name: str = "game"
    description: str = ""
    horizon: StationaryDoc | FiniteDoc = Field(discriminator="kind")
    tau: float
    response: Literal["soft", "boltzmann"] = "soft"
    prices: list[PriceDoc] = []
    decision: DecisionDoc
    objective: ObjectiveDoc = ObjectiveDoc()
    types: Annotated[list[TypeDoc], Field(min_length=1)]

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"unsupported version {v}; this smfe reads version 1")
        return v

    @model_validator(mode="after")
    def _cross(self, info: ValidationInfo) -> GameDoc:
        d, M = len(self.decision.lower), len(self.prices)
        for k, t in enumerate(self.types):
            if t.transition_theta and len(t.transition_theta) != d:
                raise SubfieldError(
                    f"types[{k}].transition_theta",
                    f"has {len(t.transition_theta)} matrices, expected one per decision ({d})",
                )
            lead = {
                "reward_theta": (d,),
                "aggregate": (M,),
                "exposure": (M,),
                "exposure_theta": (M, d),
            }
            for name, want in lead.items():
                s = _shape(getattr(t, name))
                if s is not None and s[: len(want)] != want:
                    raise SubfieldError(
                        f"types[{k}].{name}",
                        f"has leading dimensions {list(s[: len(want)])}, expected {list(want)}",
                    )
        budget = (info.context or {}).get("budget")
        check_size(self.sizes(), budget if isinstance(budget, Budget) else None, "types")
        return self

    def sizes(self) -> Sizes:
        """Declared sizes: pairs, steps, entries decoded densely, kernel non-zeros."""
        steps = self.horizon.T if isinstance(self.horizon, FiniteDoc) else 1
        pairs = sum(t.mask.shape[0] * t.mask.shape[1] for t in self.types)
        kernels = [a for t in self.types for a in (t.transition, *t.transition_theta)]
        dense = [a for t in self.types for a in t.arrays if all(a is not k for k in kernels)]
        entries = sum(a.size for a in dense)
        nnz = sum(a.nnz if a.index is not None else a.size for a in kernels)
        return Sizes(pairs=pairs, steps=steps, entries=entries, nnz=nnz)
