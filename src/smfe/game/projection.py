r"""Euclidean projection onto the leader's decision set Θ.

:math:`\mathrm{Proj}_\Theta(v) = \arg\min_{\theta\in\Theta}\tfrac12\|\theta - v\|^2`: a clip for
boxes, the sort-based exact projection (Held, Wolfe & Crowder 1974) for products of
simplices, and a convex QP solved by HiGHS for general polyhedra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError, SolveFailed

if TYPE_CHECKING:  # Decision (game.model) calls project(); the type is only an annotation
    from smfe.game.decision import Decision

FloatArray = NDArray[np.float64]


def project_simplex(v: FloatArray) -> FloatArray:
    """Projection of ``v`` onto the probability simplex {x >= 0, Σx = 1}."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = int(np.nonzero(u - css / k > 0)[0][-1])
    return np.maximum(v - css[rho] / (rho + 1.0), 0.0)


def project(decision: Decision, v: FloatArray) -> FloatArray:
    """Proj_Θ(v) (module docstring); raises InstanceError if Θ is empty."""
    v = np.asarray(v, dtype=np.float64)
    if decision.is_box:
        return np.clip(v, decision.lower, decision.upper)
    blocks = decision.simplex_blocks()
    if blocks is not None:
        out = np.empty_like(v)
        for b in blocks:
            out[b] = project_simplex(v[b])
        return out
    return _project_qp(decision, v)


def _project_qp(decision: Decision, v: FloatArray) -> FloatArray:
    import highspy

    d = v.size
    rows_A = []
    lo = []
    up = []
    if decision.A_eq is not None and decision.b_eq is not None:
        rows_A.append(decision.A_eq)
        lo.append(decision.b_eq)
        up.append(decision.b_eq)
    if decision.A_ub is not None and decision.b_ub is not None:
        rows_A.append(decision.A_ub)
        lo.append(np.full(decision.b_ub.size, -np.inf))
        up.append(decision.b_ub)
    A = np.vstack(rows_A)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = d
    lp.num_row_ = A.shape[0]
    lp.col_cost_ = -v
    lp.col_lower_ = np.where(np.isfinite(decision.lower), decision.lower, -highspy.kHighsInf)
    lp.col_upper_ = np.where(np.isfinite(decision.upper), decision.upper, highspy.kHighsInf)
    lp.row_lower_ = np.where(
        np.isfinite(np.concatenate(lo)), np.concatenate(lo), -highspy.kHighsInf
    )
    lp.row_upper_ = np.concatenate(up)
    Acsc = A.T.copy()  # column-wise storage of A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, A.size + 1, A.shape[0])
    lp.a_matrix_.index_ = np.tile(np.arange(A.shape[0]), d)
    lp.a_matrix_.value_ = Acsc.ravel()
    hess = highspy.HighsHessian()
    hess.dim_ = d
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.arange(d + 1)
    hess.index_ = np.arange(d)
    hess.value_ = np.ones(d)
    model = highspy.HighsModel()
    model.lp_ = lp
    model.hessian_ = hess
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InstanceError("decision", "the decision set is empty")
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolveFailed(f"projection onto Θ: HiGHS stopped with {h.modelStatusToString(status)}")
    return np.asarray(h.getSolution().col_value, dtype=np.float64)
