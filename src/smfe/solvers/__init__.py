"""Solvers: follower responses, the MFE fixed point, leader loops, one Result type.

Names are imported on first use (PEP 562): importing :mod:`smfe.solvers.status` alone (as the
``smfe-ipopt`` executable does) does not load every method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smfe.lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(
        ("Averaging", "LeaderOptions", "MFEOptions", "SampleOptions"), "smfe.solvers.options"
    ),
    "Result": "smfe.solvers.result",
    **dict.fromkeys(
        ("Optimality", "SolutionStatus", "Status", "TerminationCondition"), "smfe.solvers.status"
    ),
}

if TYPE_CHECKING:
    from smfe.solvers.options import Averaging, LeaderOptions, MFEOptions, SampleOptions
    from smfe.solvers.result import Result
    from smfe.solvers.status import Optimality, SolutionStatus, Status, TerminationCondition


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


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
]
