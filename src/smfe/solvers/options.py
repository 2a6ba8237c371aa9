"""Typed option sets of the iterative methods (frozen, validated; never module globals)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from pydantic import ConfigDict, TypeAdapter, ValidationError

from smfe.errors import InstanceError
from smfe.inputs.errors import translate
from smfe.inputs.jsondoc import to_json_text


class Averaging(StrEnum):
    """How the mean-field iterate moves towards the induced flow."""

    ADAPTIVE = "adaptive"  # damping halves whenever the residual grows
    DAMPED = "damped"  # fixed damping
    FICTITIOUS = "fictitious"  # fictitious play: step 1/(n+1)
    ANDERSON = "anderson"  # Anderson mixing of the last iterates, adaptive damping


class OptionsBase:
    """Shared constructor from a dict (e.g. JSON), validated by the dataclass's annotations
    in strict mode — strings are not numbers, booleans are not numbers, ``1.5`` is not an
    integer, unknown keys are refused with a "did you mean" — then by its own range checks."""

    __pydantic_config__ = ConfigDict(strict=True, extra="forbid")

    @classmethod
    def from_dict(cls, values: object, field: str = "options") -> Self:
        if values is None:
            return cls()
        if not isinstance(values, dict):
            raise InstanceError(field, f"must be an object of options, got {values!r:.40}")
        text = to_json_text(values, field)
        try:
            return TypeAdapter(cls).validate_json(text)
        except ValidationError as exc:
            raise translate(exc, field, cls) from None


def require_positive(name: str, value: float) -> None:
    if not value > 0:
        raise InstanceError(f"options.{name}", f"must be > 0, got {value}")


@dataclass(frozen=True)
class MFEOptions(OptionsBase):
    """Options of the mean-field fixed point for a fixed leader decision.

    ``tol`` bounds the consistency residual ‖ν − flow(response(ν))‖₁ (summed over types and
    steps). ``newton`` polishes a soft MFE with Newton's method on the equilibrium system once
    the residual is below ``newton_from`` (systems up to ``newton_max_size`` unknowns). With
    ``continuation``, a soft MFE not found in ``continuation_after`` iterations is traced
    from a larger τ down to the game's τ. For the exact response (τ = 0) ``support_newton``
    solves the equilibrium on the support fictitious play has identified, by Newton's method
    (:mod:`smfe.system.support_newton`), after ``support_after`` iterations and then at
    doubling counts, until it yields a point within ``tol``. ``averaging``: how the iterate
    moves towards the induced flow (:class:`Averaging`); ``anderson`` mixes the last
    ``anderson_depth`` + 1 iterates (soft and Boltzmann responses; the exact response uses
    fictitious play).
    """

    tol: float = 1e-10
    max_iter: int = 10_000
    time_limit: float = 600.0
    averaging: Averaging = Averaging.ADAPTIVE
    damping: float = 0.5
    newton: bool = True
    newton_from: float = 0.1
    newton_max_size: int = 20_000
    continuation: bool = True
    continuation_after: int = 300
    support_newton: bool = True
    support_after: int = 50
    anderson_depth: int = 5

    def __post_init__(self) -> None:
        require_positive("tol", self.tol)
        require_positive("anderson_depth", self.anderson_depth)
        require_positive("support_after", self.support_after)
        require_positive("max_iter", self.max_iter)
        require_positive("time_limit", self.time_limit)
        if not 0.0 < self.damping <= 1.0:
            raise InstanceError("options.damping", f"must lie in (0, 1], got {self.damping}")
        object.__setattr__(self, "averaging", Averaging(self.averaging))


@dataclass(frozen=True)
class LeaderOptions(OptionsBase):
    """Options of the leader's outer loop (all leader methods).

    ``tol`` bounds the projected-gradient norm ‖θ − Proj_Θ(θ + ∇J)‖∞ at which the leader
    stops (first-order stationarity); ``fd_step`` is the finite-difference step of the
    black-box variant.
    """

    tol: float = 1e-6
    max_iter: int = 200
    time_limit: float = 1800.0
    step: float = 1.0
    fd_step: float = 1e-5
    mfe: MFEOptions = MFEOptions()
    progress: bool = False

    def __post_init__(self) -> None:
        require_positive("tol", self.tol)
        require_positive("max_iter", self.max_iter)
        require_positive("step", self.step)
        require_positive("fd_step", self.fd_step)
        if isinstance(self.mfe, dict):
            object.__setattr__(self, "mfe", MFEOptions.from_dict(self.mfe))


@dataclass(frozen=True)
class SampleOptions(OptionsBase):
    """Options of the sample-based follower learner (soft Q-learning from simulated moves)."""

    samples_per_pair: int = 2000
    seed: int = 0
    mfe_iterations: int = 60

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise InstanceError("options.seed", f"must be >= 0, got {self.seed}")
        require_positive("samples_per_pair", self.samples_per_pair)
        require_positive("mfe_iterations", self.mfe_iterations)
