"""Between a system and the game's arrays: starting values (an iterative solution, or by
default the uniform policy's flow and values, :mod:`smfe.solvers.start`), and the inverse
map from a solution vector back to θ, V, Q, π, ν, μ."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame
from smfe.solvers.mfe import MFESolution
from smfe.solvers.response import greedy, soft_max
from smfe.solvers.start import response_start, uniform_start
from smfe.system.system import EquilibriumSystem

FloatArray = NDArray[np.float64]


def warm_start(system: EquilibriumSystem, cg: CompiledGame, sol: MFESolution) -> None:
    """Start every variable at the iterative solution ``sol`` (V, Q, π — where the system
    has one —, ν, μ, z, y, and θ if free; for the Boltzmann response also W = τ·LSE(Q/τ) and
    the greedy selection)."""
    lay = system.layout
    T = cg.T
    lay.set_start("V", sol.value[:T])
    for name, arr in (("Q", sol.q), ("pi", sol.policy), ("nu", sol.nu), ("mu", sol.mu)):
        if name in lay:
            lay.set_start(name, arr)
    lay.set_start("z", cg.aggregates(sol.nu))
    if "y" in lay:
        lay.set_start("y", cg.leader_aggregates(sol.theta, sol.nu))
    if not lay.block("theta").fixed:
        lay.set_start("theta", sol.theta)
    if "W" in lay:
        lay.set_start("W", soft_max(cg, sol.q, cg.game.tau)[0])
        lay.set_start("select", greedy(cg, sol.q)[1])


INITIAL_POINTS = ("response", "uniform", "bounds")
"""Starting points computed from the game alone (:mod:`smfe.solvers.start`): ``response``
(the response to the uniform policy's flow, and the flow it induces), ``uniform`` (the
uniform policy's flow and values), ``bounds`` (each variable's layout default: 0 or its
lower bound, π = 1/2 — kept to measure what the others buy)."""


def initial_point(
    system: EquilibriumSystem,
    cg: CompiledGame,
    start: MFESolution | None,
    tau: float,
    initial: str = "response",
) -> None:
    """Start at ``start`` (e.g. the iterative solver's MFE) or, without one, at ``initial``
    (:data:`INITIAL_POINTS`) at the system's starting θ (``tau``: the entropy weight of the
    uniform policy's values — the game's τ for the soft system, 0 for the exact and
    Boltzmann ones). A point computed from the game alone, which a written model (``.nl``)
    carries as its own initial point. ``cg`` is compiled from the game the system encodes."""
    if start is None:
        theta = system.layout.block("theta").start
        if initial == "bounds":
            return
        if initial == "uniform":
            start = uniform_start(cg, theta, tau)
        else:
            start = response_start(cg, theta)
    warm_start(system, cg, start)


def game_arrays(system: EquilibriumSystem, x: FloatArray) -> dict[str, FloatArray]:
    """The inverse map: θ, V (T+1 rows for finite horizons, terminal 0), Q, π, ν, μ of a
    full vector ``x``, as the flat game arrays of :mod:`smfe.game.compiled`."""
    v = system.layout.values(x)
    V = v["V"]
    if system.finite:
        V = np.vstack([V, np.zeros((1, V.shape[1]))])
    return {
        "theta": v["theta"].copy(),
        "V": V,
        "Q": v["Q"],
        "pi": v["pi"],
        "nu": v["nu"],
        "mu": v["mu"],
    }
