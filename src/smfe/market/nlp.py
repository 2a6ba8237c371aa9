r"""The tariff problem as one NLP: F1 (soft Bellman, softmax, mean field) + market objective.

.. math::  \max_{\theta\in\Theta,\,V,Q,\pi,\nu,\mu,z,y}\ \Phi(\theta, y, N)
           \quad\text{s.t. F1 equations of the market game (N = z)},\quad
           \text{revenue}(\theta,y,N) - R(N)\ \{=,\ \ge\}\ 0,

with Φ the weighted objective of :mod:`smfe.market.metrics`. The F1 part is the library's
equilibrium system (:mod:`smfe.system`), so the followers' equilibrium is the same set of
equations every other game uses; the market adds the objective and the revenue row as
symbolic terms (:func:`tariff_terms`), written once with +, −, ×, exp and log. θ may be fixed
(``fix``) to evaluate a given tariff.

:func:`build_tariff_nlp` is the readable, exportable Pyomo statement of the tariff problem;
method ``nlp`` of :func:`smfe.market.solve_tariff` solves the CasADi translation of the same
system (:func:`tariff_system`), which sets up much faster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.formulations.built import Built
from smfe.game.compiled import compile_game
from smfe.market.game import MarketGame
from smfe.market.metrics import REVENUE_BOUNDS, Weights, objective, outcomes
from smfe.market.rules import Rules
from smfe.solvers.mfe import MFESolution
from smfe.system import EquilibriumSystem, SymbolicTerms, SystemOptions, assemble, warm_start

FloatArray = NDArray[np.float64]


def tariff_terms(
    mg: MarketGame,
    weights: Weights,
    rules: Rules | None = None,
    reference: FloatArray | None = None,
) -> SymbolicTerms:
    """Φ as the objective, the revenue-adequacy row and the tariff rules' rows r ≤ 0
    (``reference``: the groups' reference bills of a bill-impact cap), on any backend."""
    d, ny = mg.game.n_theta, mg.n_y

    last: list[Any] = []  # (blocks, outcomes) of the last translation: built once, used twice

    def out(blocks: dict[str, Any], ops: Any) -> dict[str, Any]:
        if last and last[0] is blocks:
            return last[1]

        def items(v: Any, n: int) -> list[Any]:
            return [v[k] for k in range(n)]

        result = outcomes(
            mg,
            items(blocks["theta"], d),
            items(blocks["y"], ny),
            items(blocks["z"], 24),
            exp=ops.exp,
            log=ops.log,
        )
        last[:] = [blocks, result]
        return result

    rows: tuple[Any, ...] = ()
    if weights.revenue in REVENUE_BOUNDS:
        lo, up = REVENUE_BOUNDS[weights.revenue]
        rows = (("revenue", lambda b, ops: out(b, ops)["revenue_gap"], lo, up),)
    rules = rules or Rules()
    G = len(mg.market.groups)
    ref = np.zeros(G) if reference is None else np.asarray(reference, dtype=np.float64)
    bound = mg.bind(rules)
    for i, name in enumerate(bound.names):
        rows += ((name, lambda b, ops, i=i: bound.rows(out(b, ops), ref)[i], -np.inf, 0.0),)
    return SymbolicTerms(objective=lambda b, ops: objective(out(b, ops), weights), rows=rows)


def tariff_system(
    mg: MarketGame,
    weights: Weights,
    start: MFESolution | None = None,
    fix: FloatArray | None = None,
    rules: Rules | None = None,
    reference: FloatArray | None = None,
) -> EquilibriumSystem:
    """The followers' F1 system with the tariff objective, revenue row and rules."""
    cg = compile_game(mg.game)
    system = assemble(cg, SystemOptions("soft", fix, "leader"))
    if start is not None:
        warm_start(system, cg, start)
    return system.with_symbolic(tariff_terms(mg, weights, rules, reference))


def build_tariff_nlp(
    mg: MarketGame,
    weights: Weights,
    start: MFESolution | None = None,
    fix: FloatArray | None = None,
) -> Built:
    """Build the tariff NLP (module docstring) as a Pyomo model; never calls a solver."""
    from smfe.system.to_pyomo import to_pyomo

    system = tariff_system(mg, weights, start, fix)
    m = to_pyomo(system, f"tariff-nlp[{mg.market.name}]")
    return Built(model=m, cg=compile_game(mg.game), formulation="tariff-nlp", notes=[])
