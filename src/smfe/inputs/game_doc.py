"""The schema of the smfe game file (docs/game-format.md), as strict pydantic models.

A game file is validated against these models *before* any array is built: types (strings
are not numbers, booleans are not numbers), unknown keys (an error, with a "did you mean"),
array objects whose ``shape``, ``index`` and ``data`` agree, and the declared sizes against a
:class:`~smfe.inputs.budget.Budget`. The arrays are then decoded (within that budget) and the
:class:`smfe.Game` dataclasses do the cross-field and numeric checks — shapes against each
other, masks of 0/1, finite values, probabilities, stochastic rows, Θ — the same checks as for
a game built in Python, so they are written once.
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


class StationaryDoc(_Doc):
    kind: Literal["stationary"]
    gamma: float


class FiniteDoc(_Doc):
    kind: Literal["finite"]
    T: Annotated[int, Field(ge=1)]
    gamma: float = 1.0


class PriceDoc(_Doc):
    """p(z) = intercept + slope·z + curvature·z² + smoothed kinks ((knot, slope change))
    + Σ c·log(z + ε) ((c, ε)) + Σ a/(b + z) ((a, b)) + Σ a·(z + b)^r ((a, b, r))
    + Σ c·e^{kz} ((c, k))."""

    name: str = ""
    intercept: float = 0.0
    slope: float = 0.0
    curvature: float = 0.0
    kinks: list[tuple[float, float]] = []
    smoothing: float = 0.0
    log: list[tuple[float, float]] = []
    rational: list[tuple[float, float]] = []
    power: list[tuple[float, float, float]] = []
    exp: list[tuple[float, float]] = []


class DecisionDoc(_Doc):
    lower: list[float | None]
    upper: list[float | None]
    A_eq: ArrayDoc | None = None
    b_eq: ArrayDoc | None = None
    A_ub: ArrayDoc | None = None
    b_ub: ArrayDoc | None = None
    start: ArrayDoc | None = None
    names: list[str] = []


class ObjectiveDoc(_Doc):
    """J = constant + cᵀθ + ½θᵀCθ + Σ_t (dᵀy_t + ½y_tᵀDy_t + θᵀBy_t)."""

    constant: float = 0.0
    theta_linear: ArrayDoc | None = None
    theta_quadratic: ArrayDoc | None = None
    y_linear: ArrayDoc | None = None
    y_quadratic: ArrayDoc | None = None
    theta_y: ArrayDoc | None = None
    y_names: list[str] = []


class ConstraintDoc(_Doc):
    """lower ≤ constant + θᵀtheta + ȳᵀy + ½θᵀPθ + ½ȳᵀQȳ ≤ upper, ȳ = Σ_t y_t (null: no bound)."""

    name: str
    lower: float | None = None
    upper: float | None = None
    constant: float = 0.0
    theta: ArrayDoc | None = None
    y: ArrayDoc | None = None
    theta_quadratic: ArrayDoc | None = None
    y_quadratic: ArrayDoc | None = None


CONSTRAINT_ARRAYS = ("theta", "y", "theta_quadratic", "y_quadratic")

TYPE_ARRAYS = (
    "reward_theta",
    "aggregate",
    "exposure",
    "exposure_theta",
    "leader_weight",
    "leader_weight_theta",
    "init",
    "reward_steps",
)


class TypeDoc(_Doc):
    """One follower type; every (S, A)-indexed array is checked against the mask's shape."""

    name: str
    share: float
    mask: ArrayDoc
    reward: ArrayDoc
    transition: ArrayDoc
    transition_theta: list[ArrayDoc] = []
    transition_aggregate: list[ArrayDoc] = []
    reward_theta: ArrayDoc | None = None
    aggregate: ArrayDoc | None = None
    exposure: ArrayDoc | None = None
    exposure_theta: ArrayDoc | None = None
    leader_weight: ArrayDoc | None = None
    leader_weight_theta: ArrayDoc | None = None
    init: ArrayDoc | None = None
    reward_steps: ArrayDoc | None = None

    @property
    def kernels(self) -> list[ArrayDoc]:
        """The (S*A, S) transition arrays: P⁰, every P_j and every P^z_m."""
        return [self.transition, *self.transition_theta, *self.transition_aggregate]

    @property
    def arrays(self) -> list[ArrayDoc]:
        out = [self.mask, self.reward, *self.kernels]
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
    constraints: list[ConstraintDoc] = []
    types: Annotated[list[TypeDoc], Field(min_length=1)]

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"unsupported version {v}; this smfe reads version 1")
        return v

    @model_validator(mode="after")
    def _size(self, info: ValidationInfo) -> GameDoc:
        budget = (info.context or {}).get("budget")
        check_size(self.sizes(), budget if isinstance(budget, Budget) else None, "types")
        return self

    def sizes(self) -> Sizes:
        """Declared sizes: pairs, steps, entries decoded densely, kernel non-zeros."""
        steps = self.horizon.T if isinstance(self.horizon, FiniteDoc) else 1
        pairs = sum(t.mask.size for t in self.types)
        kernels = [a for t in self.types for a in t.kernels]
        dense = [a for t in self.types for a in t.arrays if all(a is not k for k in kernels)]
        dense += [a for a in (self.objective.theta_quadratic, self.decision.A_eq) if a is not None]
        dense += [
            a for c in self.constraints for a in (c.theta_quadratic, c.y_quadratic) if a is not None
        ]
        entries = sum(a.size for a in dense)
        # a sparse kernel costs its non-zeros and its index pointers; a dense one, every entry
        sparse = [a for a in kernels if a.index is not None and len(a.shape) == 2]
        nnz = sum(a.nnz for a in sparse) + sum(a.size for a in kernels if a not in sparse)
        entries += sum(sum(a.shape) for a in sparse)
        d = len(self.decision.lower)
        if any(t.transition_theta for t in self.types):
            entries += d * d  # the null space of A_eq that checks P(θ) on Θ
        return Sizes(pairs=pairs, steps=steps, entries=entries, nnz=nnz)
