r"""F1-Boltzmann: followers play π = softmax(Q*/τ) with Q* from the *exact* Bellman equation.

.. math::
   Q^*_t = r(\theta, z_t) + \gamma P(\theta)V^*_{t+1},\qquad
   0 \le \lambda_t(a|x)\ \perp\ V^*_t(x) - Q^*_t(x,a) \ge 0,\quad \textstyle\sum_a\lambda_t(a|x) = 1
   \quad(\Rightarrow V^* = \max_a Q^*),\\
   \pi_t(a|x) = \exp\big((Q^*_t(x,a) - W_t(x))/\tau\big),\quad \textstyle\sum_a\pi_t(a|x) = 1,

then ν = μπ and the flow equations of F1. The hard max is complementarity between a
selection λ and the slack, held as the Scholtes relaxation λ·(V* − Q*) ≤ ε (``model.eps``)
and solved by the same homotopy as F2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from smfe.errors import FormulationError
from smfe.formulations.built import Built
from smfe.formulations.exact_mpec import MPECOptions
from smfe.formulations.soft_nlp import (
    add_bellman,
    add_mean_field,
    add_objective,
    add_value_variables,
    base_model,
)
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game, Response
from smfe.solvers.mfe import MFESolution
from smfe.solvers.response import greedy, soft_max


def build_boltzmann_nlp(game: Game, options: MPECOptions | None = None) -> Built:
    """Build F1-Boltzmann (module docstring); never calls a solver."""
    opts = options or MPECOptions()
    if game.response != Response.BOLTZMANN or game.tau == 0.0:
        raise FormulationError("boltzmann-nlp needs a game with the Boltzmann response and τ > 0")
    cg = compile_game(game)
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    m = base_model(cg, theta, f"boltzmann-nlp[{game.name}]")
    add_value_variables(m, cg)
    m.W = pyo.Var(m.T, m.S, initialize=0.0)
    m.select = pyo.Var(m.T, m.SA, bounds=(0.0, 1.0), initialize=0.5)
    m.eps = pyo.Param(initialize=float(opts.eps), mutable=True, within=pyo.NonNegativeReals)
    add_bellman(m, cg)
    state, ptr, tau = cg.sa_state, cg.state_sa_ptr, game.tau
    m.dominance = pyo.Constraint(m.T, m.SA, rule=lambda _, t, i: m.V[t, int(state[i])] >= m.Q[t, i])
    m.scholtes = pyo.Constraint(
        m.T,
        m.SA,
        rule=lambda _, t, i: m.select[t, i] * (m.V[t, int(state[i])] - m.Q[t, i]) <= m.eps,
    )
    m.selection = pyo.Constraint(
        m.T, m.S, rule=lambda _, t, x: sum(m.select[t, i] for i in range(ptr[x], ptr[x + 1])) == 1.0
    )
    m.softmax = pyo.Constraint(
        m.T,
        m.SA,
        rule=lambda _, t, i: m.pi[t, i] == pyo.exp((m.Q[t, i] - m.W[t, int(state[i])]) / tau),
    )
    m.normalise = pyo.Constraint(
        m.T, m.S, rule=lambda _, t, x: sum(m.pi[t, i] for i in range(ptr[x], ptr[x + 1])) == 1.0
    )
    add_mean_field(m, cg)
    objective = "none" if (theta is not None and opts.objective == "none") else opts.objective
    add_objective(m, cg, objective)
    return Built(model=m, cg=cg, formulation="boltzmann-nlp", complementarity_var="select")


def warm_start_boltzmann(m: Any, cg: CompiledGame, sol: MFESolution) -> None:
    """Set the soft normaliser W = τ·LSE(Q*/τ) and the selection λ = greedy(Q*)."""
    W, _ = soft_max(cg, sol.q, cg.game.tau)
    _, sel = greedy(cg, sol.q)
    for t in range(cg.T):
        for x in range(cg.n_s):
            m.W[t, x].set_value(float(W[t, x]), skip_validation=True)
        for i in range(cg.n_sa):
            m.select[t, i].set_value(float(sel[t, i]), skip_validation=True)
