r"""F2 exact-MPEC: the S-MFE with exact (τ = 0) best responses, as complementarity (SPEC §5).

Variables θ, Q, V, π, ν, μ, z, y. The exact response of SPEC §2.3 is written on the policy
of every state (so V is the optimal value everywhere, not only where ν > 0):

.. math::
   Q_t = r(\theta, z_t) + \gamma P(\theta)V_{t+1},\qquad
   0 \le \pi_t(a|x)\ \perp\ V_t(x) - Q_t(x,a) \ge 0,\qquad \textstyle\sum_a\pi_t(a|x) = 1,

which makes V = max_a Q and π greedy; ν = μπ and the flow equations are those of F1. With
ν = μπ this implies the SPEC's ν ⊥ V − Q. The complementarity is held as the Scholtes
relaxation :math:`\pi_t(a|x)\,(V_t(x) - Q_t(x,a)) \le \varepsilon` with a mutable parameter
ε (``model.eps``), so a homotopy re-solves without rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.formulations.built import Built
from smfe.game.compiled import compile_game
from smfe.game.model import Game
from smfe.solvers.mfe import MFESolution
from smfe.system import SystemOptions, assemble, initial_point

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MPECOptions:
    """``theta``: fix θ (the exact MFE alone); ``objective``: ``"leader"`` or ``"none"``;
    ``eps``: the initial Scholtes relaxation; ``start``: an iterative-solver solution used as
    the starting point."""

    theta: FloatArray | None = None
    objective: str = "leader"
    eps: float = 1e-1
    start: MFESolution | None = None


def exact_version(game: Game) -> Game:
    """The same game with the exact response (τ = 0)."""
    if game.tau == 0.0:
        return game
    from dataclasses import replace

    return replace(game, tau=0.0, name=game.name)


def build_exact_mpec(game: Game, options: MPECOptions | None = None) -> Built:
    """Build F2 for the exact-response version of ``game``; never calls a solver."""
    from smfe.system.to_pyomo import to_pyomo

    opts = options or MPECOptions()
    notes = []
    if game.tau > 0.0:
        notes.append(f"built for the exact response (τ = 0) of a game with τ = {game.tau}")
    exact = exact_version(game)
    cg = compile_game(exact)
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    system = assemble(cg, SystemOptions("exact", theta, opts.objective, float(opts.eps)))
    initial_point(system, cg, opts.start, 0.0)
    m = to_pyomo(system, f"exact-mpec[{game.name}]")
    return Built(model=m, cg=cg, formulation="exact-mpec", notes=notes)


def complementarity(built: Built) -> float:
    """max over pairs of π·(V − Q) ≥ 0 at the current values (0 at an exact MFE); for the
    Boltzmann formulation the selection variable takes π's place."""
    m, cg = built.model, built.cg
    worst = 0.0
    for (t, i), p in getattr(m, built.complementarity_var).items():
        slack = m.V[t, int(cg.sa_state[i])].value - m.Q[t, i].value
        worst = max(worst, abs(float(p.value) * float(slack)))
    return worst


def split_pairs(built: Built, tol: float = 1e-7) -> dict[str, list[tuple[int, int]]]:
    """Pairs by activity: ``policy`` (π = 0 < slack), ``slack`` (slack = 0 < π), ``both``."""
    m, cg = built.model, built.cg
    out: dict[str, list[tuple[int, int]]] = {"policy": [], "slack": [], "both": []}
    for (t, i), p in getattr(m, built.complementarity_var).items():
        slack = float(m.V[t, int(cg.sa_state[i])].value - m.Q[t, i].value)
        pz, sz = float(p.value) <= tol, slack <= tol
        out["both" if (pz and sz) else ("policy" if pz else "slack")].append((t, i))
    return out


def fix_branch(
    built: Built, zero_policy: list[tuple[int, int]], zero_slack: list[tuple[int, int]]
) -> Any:
    """A copy of the model on one branch: π = 0 on ``zero_policy``, V = Q on ``zero_slack``."""
    m = built.model.clone()
    m.scholtes.deactivate()
    state = built.cg.sa_state
    comp = getattr(m, built.complementarity_var)
    for t, i in zero_policy:
        comp[t, i].fix(0.0)
    m.branch = pyo.Constraint(
        range(len(zero_slack)),
        rule=lambda _, k: m.V[zero_slack[k][0], int(state[zero_slack[k][1]])] == m.Q[zero_slack[k]],
    )
    return m
