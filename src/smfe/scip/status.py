"""SCIP's statuses -> smfe statuses, AMPL result codes and the messages Pyomo reads.

``optimal`` means SCIP closed the gap (to its own ``limits/gap``, 0 by default): a *proven*
global optimum. A stop at a user gap limit (``gaplimit``) keeps its incumbent as feasible,
not optimal (AMPL code 100, "solved?", which Pyomo reads as a warning). The messages are the
phrases Pyomo's SCIP interface looks for in a ``.sol`` message.
"""

from __future__ import annotations

from smfe.solvers.status import SolutionStatus, TerminationCondition

T = TerminationCondition
S = SolutionStatus

# pyscipopt Model.getStatus() -> (termination, solution with an incumbent, AMPL code, message)
SCIP_STATUS: dict[str, tuple[TerminationCondition, SolutionStatus, int, str]] = {
    "optimal": (T.CONVERGED, S.OPTIMAL, 0, "optimal solution found"),
    "gaplimit": (T.ITERATION_LIMIT, S.FEASIBLE, 100, "gap limit reached"),
    "infeasible": (T.INFEASIBLE, S.NO_SOLUTION, 200, "infeasible"),
    "unbounded": (T.ERROR, S.UNKNOWN, 300, "unbounded"),  # as cvxpy's table: no optimum
    "inforunbd": (T.INFEASIBLE, S.UNKNOWN, 299, "infeasible or unbounded"),
    "timelimit": (T.TIME_LIMIT, S.FEASIBLE, 400, "time limit reached"),
    "nodelimit": (T.ITERATION_LIMIT, S.FEASIBLE, 401, "node limit reached"),
    "totalnodelimit": (T.ITERATION_LIMIT, S.FEASIBLE, 402, "total node limit reached"),
    "stallnodelimit": (T.STALLED, S.FEASIBLE, 403, "stall node limit reached"),
    "memlimit": (T.ERROR, S.FEASIBLE, 404, "memory limit reached"),
    "sollimit": (T.ITERATION_LIMIT, S.FEASIBLE, 405, "solution limit reached"),
    "bestsollimit": (T.ITERATION_LIMIT, S.FEASIBLE, 406, "solution improvement limit reached"),
    "restartlimit": (T.ITERATION_LIMIT, S.FEASIBLE, 407, "restart limit reached"),
    "primallimit": (T.ITERATION_LIMIT, S.FEASIBLE, 408, "primal limit reached"),
    "duallimit": (T.ITERATION_LIMIT, S.FEASIBLE, 409, "dual limit reached"),
    "userinterrupt": (T.ERROR, S.FEASIBLE, 600, "user interrupt"),
    "terminate": (T.ERROR, S.FEASIBLE, 601, "user interrupt"),
}
UNKNOWN = (T.UNKNOWN, S.UNKNOWN, 599, "unknown")


def translate(
    status: str, has_solution: bool
) -> tuple[TerminationCondition, SolutionStatus, int, str]:
    """Map a SCIP status; a limit without an incumbent has no solution, and anything
    unknown maps to ``unknown``."""
    term, sol, code, message = SCIP_STATUS.get(status, UNKNOWN)
    if sol == S.FEASIBLE and not has_solution:
        sol = S.NO_SOLUTION
    return term, sol, code, message
