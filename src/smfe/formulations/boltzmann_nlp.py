r"""F1-Boltzmann: followers play π = softmax(Q*/τ) with Q* from the *exact* Bellman equation.

.. math::
   Q^*_t = r(\theta, z_t) + \gamma P(\theta)V^*_{t+1},\qquad
   0 \le \lambda_t(a|x)\ \perp\ V^*_t(x) - Q^*_t(x,a) \ge 0,\quad \textstyle\sum_a\lambda_t(a|x) = 1
   \quad(\Rightarrow V^* = \max_a Q^*),\\
   \pi_t(a|x) = \exp\big((Q^*_t(x,a) - W_t(x))/\tau\big),\quad \textstyle\sum_a\pi_t(a|x) = 1,

then ν = μπ and the flow equations of F1 (:mod:`smfe.system.assemble`, response
``boltzmann``). The hard max is complementarity between a selection λ (``select``) and the
slack, held as the Scholtes relaxation λ·(V* − Q*) ≤ ε (``model.eps``) and solved by the same
homotopy as F2.
"""

from __future__ import annotations

import numpy as np

from smfe.errors import FormulationError
from smfe.formulations.built import Built
from smfe.formulations.exact_mpec import MPECOptions
from smfe.game.compiled import compile_game
from smfe.game.model import Game, Response
from smfe.system import SystemOptions, assemble, initial_point


def build_boltzmann_nlp(game: Game, options: MPECOptions | None = None) -> Built:
    """Build F1-Boltzmann (module docstring); never calls a solver."""
    from smfe.system.to_pyomo import to_pyomo

    opts = options or MPECOptions()
    if game.response != Response.BOLTZMANN or game.tau == 0.0:
        raise FormulationError("boltzmann-nlp needs a game with the Boltzmann response and τ > 0")
    cg = compile_game(game)
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    system = assemble(cg, SystemOptions("boltzmann", theta, opts.objective, float(opts.eps)))
    initial_point(system, cg, opts.start, 0.0)
    m = to_pyomo(system, f"boltzmann-nlp[{game.name}]")
    return Built(model=m, cg=cg, formulation="boltzmann-nlp", complementarity_var="select")
