"""Solver statuses on two axes (why the method stopped; what the point is), as enums.

``optimal`` is only ever set by :func:`smfe.solvers.result.finalise_status`, which demands
both a converged method *and* a passing certificate. Unknown native codes map to
``UNKNOWN`` instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TerminationCondition(StrEnum):
    """Why the method stopped."""

    CONVERGED = "converged"
    ITERATION_LIMIT = "iteration_limit"
    TIME_LIMIT = "time_limit"
    STALLED = "stalled"
    NUMERICAL_ERROR = "numerical_error"
    INFEASIBLE = "infeasible"
    ERROR = "error"
    UNKNOWN = "unknown"

    @classmethod
    def process(cls, value: object) -> TerminationCondition:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


class SolutionStatus(StrEnum):
    """What the returned point is.

    Ordered: no_solution < unknown < infeasible < feasible < optimal.
    """

    NO_SOLUTION = "no_solution"
    UNKNOWN = "unknown"
    INFEASIBLE = "infeasible"
    FEASIBLE = "feasible"
    OPTIMAL = "optimal"


class Optimality(StrEnum):
    """What the leader's decision is certified as."""

    GLOBAL = "global"  # e.g. a MILP at zero gap, or a game with no leader decision
    LOCAL = "local"  # first-order stationary (projected gradient) at a certified MFE
    NONE = "none"


@dataclass(frozen=True)
class Status:
    termination: TerminationCondition
    solution: SolutionStatus

    def __str__(self) -> str:
        return f"{self.solution.value} ({self.termination.value})"

    @property
    def ok(self) -> bool:
        return self.solution == SolutionStatus.OPTIMAL
