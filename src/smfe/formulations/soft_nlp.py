r"""F1 soft-NLP: the soft S-MFE as one smooth NLP (SPEC §5), no complementarity.

Variables θ, Q, V, π, ν, μ (and the aggregates z, leader measurements y); the soft Bellman,
softmax, policy, flow and aggregate equations of :mod:`smfe.system.assemble` as equality
constraints, maximising the leader objective J(θ, y) — or nothing when θ is fixed and
``objective`` is ``"none"`` (the MFE alone). Bounds: π, ν, μ ∈ [0, 1] and |V|, |Q| by the proven
bound of :mod:`smfe.system.bounds`. This module only chooses the system and translates
it to Pyomo (:mod:`smfe.system.to_pyomo`), the model of record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from smfe.errors import FormulationError
from smfe.formulations.built import Built
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game, Response
from smfe.solvers.mfe import MFESolution
from smfe.system import EquilibriumSystem, SystemOptions, assemble, initial_point
from smfe.system.bounds import value_bound

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SoftNLPOptions:
    """``theta``: fix θ at this value (the MFE alone) — ``None`` optimises θ over Θ.
    ``objective``: ``"leader"`` (J) or ``"none"`` (feasibility; only with θ fixed).
    ``start``: an iterative-solver solution used as the starting point; without one the
    model starts at ``initial`` (:data:`smfe.system.solution.INITIAL_POINTS`)."""

    theta: FloatArray | None = None
    objective: str = "leader"
    start: MFESolution | None = None
    initial: str = "response"


def soft_system(game: Game, options: SoftNLPOptions | None = None) -> EquilibriumSystem:
    """The F1 equilibrium system of ``game`` (checked), started at ``options.start``."""
    opts = options or SoftNLPOptions()
    if game.tau == 0.0 or game.response != Response.SOFT:
        raise FormulationError(
            "soft-nlp needs the soft response with τ > 0 (use mpec-scholtes for τ = 0)"
        )
    cg = compile_game(game)
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    system = assemble(cg, SystemOptions("soft", theta, opts.objective))
    initial_point(system, cg, opts.start, game.tau, opts.initial)
    return system


def bound_notes(cg: CompiledGame) -> list[str]:
    vb = value_bound(cg)
    return [f"|V| <= {vb:.4g} (proven bound)"] if np.isfinite(vb) else []


def build_soft_nlp(game: Game, options: SoftNLPOptions | None = None) -> Built:
    """Build F1 (module docstring) for ``game`` as a Pyomo model; never calls a solver."""
    from smfe.system.to_pyomo import to_pyomo

    system = soft_system(game, options)
    cg = compile_game(game)
    model = to_pyomo(system, f"soft-nlp[{game.name}]")
    return Built(model=model, cg=cg, formulation="soft-nlp", notes=bound_notes(cg))
