r"""The tariff problem as one NLP: F1 (soft Bellman, softmax, mean field) + market objective.

.. math::  \max_{\theta\in\Theta,\,V,Q,\pi,\nu,\mu,z,y}\ \Phi(\theta, y, N)
           \quad\text{s.t. F1 equations of the market game (N = z)},\quad
           \text{revenue}(\theta,y,N) - R(N)\ \{=,\ \ge\}\ 0,

with Φ the weighted objective of :mod:`smfe.market.metrics`. The F1 part is the library's
soft-NLP builder (:mod:`smfe.formulations.soft_nlp`), so the followers' equilibrium is the
same set of equations every other game uses; the market adds the objective and the revenue
constraint on top. θ may be fixed (``fix``) to evaluate a given tariff.

This Pyomo model is the readable, exportable statement of the tariff problem (write it with
Pyomo's writers, e.g. ``.nl``/``.gms``); method ``nlp`` of :func:`smfe.market.solve_tariff`
solves the same equations assembled in CasADi (:mod:`smfe.formulations.casadi_f1` plus the
market terms), which sets up much faster. The tests evaluate both on the same point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.formulations.built import Built
from smfe.formulations.soft_nlp import (
    add_mean_field,
    add_soft_response,
    add_value_variables,
    base_model,
    warm_start,
)
from smfe.game.compiled import compile_game
from smfe.market.game import MarketGame
from smfe.market.metrics import Weights, objective, outcomes
from smfe.solvers.mfe import MFESolution

FloatArray = NDArray[np.float64]


def build_tariff_nlp(
    mg: MarketGame,
    weights: Weights,
    start: MFESolution | None = None,
    fix: FloatArray | None = None,
) -> Built:
    """Build the tariff NLP (module docstring); never calls a solver."""
    cg = compile_game(mg.game)
    m = base_model(cg, fix, f"tariff-nlp[{mg.market.name}]")
    add_value_variables(m, cg)
    add_soft_response(m, cg)
    add_mean_field(m, cg)
    theta = [m.theta[j] for j in m.J]
    y = [m.y[0, i] for i in m.Y]
    N = [m.z[0, h] for h in m.M]
    out = outcomes(mg, theta, y, N, exp=pyo.exp, log=pyo.log)
    gap: Any = out["revenue_gap"]
    if weights.revenue == "equal":
        m.revenue = pyo.Constraint(expr=gap == 0.0)
    elif weights.revenue == "at-least":
        m.revenue = pyo.Constraint(expr=gap >= 0.0)
    m.objective = pyo.Objective(expr=objective(out, weights), sense=pyo.maximize)
    if start is not None:
        warm_start(m, cg, start)
    return Built(model=m, cg=cg, formulation="tariff-nlp", notes=[])
