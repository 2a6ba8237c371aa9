"""Ipopt's return statuses (as CasADi reports them) -> smfe statuses and AMPL result codes.

"Solved to acceptable level" is **not** optimal: it maps to ``feasible`` here and to AMPL
code 100 ("optimal indicated, error likely"), which Pyomo reads as a warning.
"""

from __future__ import annotations

from smfe.solvers.status import SolutionStatus, TerminationCondition

T = TerminationCondition
S = SolutionStatus

# CasADi return_status -> (termination, solution, AMPL solve_result_num)
IPOPT_STATUS: dict[str, tuple[TerminationCondition, SolutionStatus, int]] = {
    "Solve_Succeeded": (T.CONVERGED, S.OPTIMAL, 0),
    "Solved_To_Acceptable_Level": (T.STALLED, S.FEASIBLE, 100),
    "Feasible_Point_Found": (T.STALLED, S.FEASIBLE, 101),
    "Infeasible_Problem_Detected": (T.INFEASIBLE, S.INFEASIBLE, 200),
    "Diverging_Iterates": (T.NUMERICAL_ERROR, S.UNKNOWN, 300),
    "Maximum_Iterations_Exceeded": (T.ITERATION_LIMIT, S.UNKNOWN, 400),
    "Maximum_CpuTime_Exceeded": (T.TIME_LIMIT, S.UNKNOWN, 401),
    "Maximum_WallTime_Exceeded": (T.TIME_LIMIT, S.UNKNOWN, 402),
    "Search_Direction_Becomes_Too_Small": (T.STALLED, S.UNKNOWN, 500),
    "User_Requested_Stop": (T.ERROR, S.UNKNOWN, 501),
    "Restoration_Failed": (T.NUMERICAL_ERROR, S.UNKNOWN, 502),
    "Error_In_Step_Computation": (T.NUMERICAL_ERROR, S.UNKNOWN, 503),
    "Not_Enough_Degrees_Of_Freedom": (T.ERROR, S.NO_SOLUTION, 504),
    "Invalid_Problem_Definition": (T.ERROR, S.NO_SOLUTION, 505),
    "Invalid_Option": (T.ERROR, S.NO_SOLUTION, 506),
    "Invalid_Number_Detected": (T.NUMERICAL_ERROR, S.UNKNOWN, 507),
    "Unrecoverable_Exception": (T.ERROR, S.NO_SOLUTION, 508),
    "NonIpopt_Exception_Thrown": (T.ERROR, S.NO_SOLUTION, 509),
    "Insufficient_Memory": (T.ERROR, S.NO_SOLUTION, 510),
    "Internal_Error": (T.ERROR, S.NO_SOLUTION, 511),
}
UNKNOWN = (T.UNKNOWN, S.UNKNOWN, 599)


def translate(status: str) -> tuple[TerminationCondition, SolutionStatus, int]:
    """Map a CasADi/Ipopt return status; anything unknown maps to ``unknown``."""
    return IPOPT_STATUS.get(status, UNKNOWN)


# Ipopt's ApplicationReturnStatus codes (IpReturnCodes.h) -> the names above (callback route)
IPOPT_CODES: dict[int, str] = {
    0: "Solve_Succeeded",
    1: "Solved_To_Acceptable_Level",
    2: "Infeasible_Problem_Detected",
    3: "Search_Direction_Becomes_Too_Small",
    4: "Diverging_Iterates",
    5: "User_Requested_Stop",
    6: "Feasible_Point_Found",
    -1: "Maximum_Iterations_Exceeded",
    -2: "Restoration_Failed",
    -3: "Error_In_Step_Computation",
    -4: "Maximum_CpuTime_Exceeded",
    -5: "Maximum_WallTime_Exceeded",
    -10: "Not_Enough_Degrees_Of_Freedom",
    -11: "Invalid_Problem_Definition",
    -12: "Invalid_Option",
    -13: "Invalid_Number_Detected",
    -100: "Unrecoverable_Exception",
    -101: "NonIpopt_Exception_Thrown",
    -102: "Insufficient_Memory",
    -199: "Internal_Error",
}
