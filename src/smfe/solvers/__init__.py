"""Solvers: follower responses, the MFE fixed point, leader loops, one Result type."""

from smfe.solvers.api import default_method, methods, solve
from smfe.solvers.options import Averaging, LeaderOptions, MFEOptions, SampleOptions
from smfe.solvers.result import Result
from smfe.solvers.status import Optimality, SolutionStatus, Status, TerminationCondition

__all__ = [
    "Averaging",
    "LeaderOptions",
    "MFEOptions",
    "Optimality",
    "Result",
    "SampleOptions",
    "SolutionStatus",
    "Status",
    "TerminationCondition",
    "default_method",
    "methods",
    "solve",
]
