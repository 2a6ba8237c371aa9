"""``smfe.solve``: one entry point for every method, returning one ``Result`` type.

Methods (``smfe.methods()``):

* ``mfe`` — the follower MFE at a fixed θ (``theta=`` or the decision set's start);
* ``pgd`` — leader projected gradient with the implicit gradient (soft response, τ > 0);
* ``fd-pgd`` — leader projected gradient with finite differences of observed responses;
* ``leader-pi`` — leader (conservative) policy iteration when Θ is a product of simplices;
* ``sample-mfe`` — the follower MFE at a fixed θ learned from simulated transitions only;
* ``soft-nlp`` — formulation F1 (Pyomo) solved by Ipopt: the leader problem, or the MFE
  alone with ``{"fix_theta": True}``;
* ``mpec-scholtes`` — formulation F2 (exact response, complementarity) by a Scholtes homotopy
  with Ipopt; for a game with τ > 0 it solves the game's exact-response (τ = 0) version;
* ``boltzmann-nlp`` — formulation F1-Boltzmann (π = softmax(Q*/τ), the hard max as
  complementarity) by the same homotopy;
* ``milp`` — formulation F2b (exact response, θ from a finite menu: ``{"menu": [...]}`` or
  ``{"grid": [...]}``) as a big-M MILP solved by HiGHS: a global optimum over the menu;
* ``convex-mfe`` — formulation F3 (cvxpy): the finite-horizon soft MFE at a fixed θ as a
  strictly concave program over occupation measures (a uniqueness certificate).

The default (``method=None``) is ``mfe`` for a game without leader decision, ``pgd`` for a
soft response with τ > 0, ``leader-pi`` when Θ is a product of simplices, else ``fd-pgd``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from numpy.typing import ArrayLike

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError
from smfe.game.compiled import compile_game
from smfe.game.model import Game, Response
from smfe.inputs.theta import as_theta
from smfe.solvers.leader import run_leader
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import LeaderOptions, MFEOptions, SampleOptions
from smfe.solvers.result import Result, build_result
from smfe.solvers.sample_based import solve_mfe_sampled
from smfe.solvers.status import TerminationCondition

METHODS = (
    "mfe",
    "pgd",
    "fd-pgd",
    "leader-pi",
    "sample-mfe",
    "soft-nlp",
    "mpec-scholtes",
    "boltzmann-nlp",
    "milp",
    "convex-mfe",
)


def methods() -> list[str]:
    return list(METHODS)


def default_method(game: Game) -> str:
    if game.n_theta == 0:
        return "mfe"
    if game.tau > 0.0 and game.response == Response.SOFT:
        return "pgd"
    if game.decision.simplex_blocks() is not None:
        return "leader-pi"
    return "fd-pgd"


def solve(
    game: Game,
    method: str | None = None,
    options: dict[str, Any] | MFEOptions | LeaderOptions | SampleOptions | None = None,
    *,
    theta: ArrayLike | None = None,
    tolerances: Tolerances | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> Result:
    """Solve ``game`` with ``method`` (module docstring) and certify the answer.

    ``options`` is the method's option dataclass or a dict of its fields
    (:class:`MFEOptions` for ``mfe``, :class:`LeaderOptions` for leader methods,
    :class:`SampleOptions` for ``sample-mfe``). ``theta`` fixes the leader decision for the
    MFE methods and is the starting point of the leader methods. ``progress(it, J, pg)``
    is called once per leader iteration.
    """
    if not isinstance(game, Game):
        raise InstanceError("game", f"expected an smfe.Game, got {type(game).__name__}")
    method = default_method(game) if method is None else method
    if method not in METHODS:
        raise FormulationError(f"unknown method {method!r}; known: {list(METHODS)}")
    cg = compile_game(game)
    th = None if theta is None else as_theta(game, theta)
    t0 = time.perf_counter()
    if method == "soft-nlp":
        from smfe.formulations.nlp_solve import NLPOptions, solve_soft_nlp

        result = solve_soft_nlp(game, _options(NLPOptions, options), th, tolerances)
        solve_time = time.perf_counter() - t0
    elif method == "convex-mfe":
        from smfe.formulations.convex_mfe import ConvexOptions, solve_convex

        result = solve_convex(game, _options(ConvexOptions, options), th, tolerances)
        solve_time = time.perf_counter() - t0
    elif method == "milp":
        from smfe.formulations.milp_solve import MILPOptions, solve_milp

        result = solve_milp(game, _options(MILPOptions, options), tolerances)
        solve_time = time.perf_counter() - t0
    elif method in ("mpec-scholtes", "boltzmann-nlp"):
        from smfe.formulations.mpec_solve import MPECSolveOptions, solve_mpec_scholtes

        kind = "exact" if method == "mpec-scholtes" else "boltzmann"
        result = solve_mpec_scholtes(
            game, _options(MPECSolveOptions, options), th, tolerances, kind
        )
        solve_time = time.perf_counter() - t0
    elif method in ("mfe", "sample-mfe"):
        th = game.start() if th is None else th
        if method == "mfe":
            mopts = _options(MFEOptions, options)
            sol = solve_mfe(cg, th, mopts)
            term = sol.termination
            msg = f"{sol.newton_steps} Newton steps" if sol.newton_steps else ""
            if sol.newton_failures:
                msg += f"; {sol.newton_failures} Newton systems were singular (fixed point used)"
        else:
            if game.tau == 0.0 or game.response != Response.SOFT or game.finite:
                raise FormulationError("sample-mfe learns a stationary soft response (τ > 0)")
            sopts = _options(SampleOptions, options)
            sol = solve_mfe_sampled(cg, th, sopts)
            term = TerminationCondition.CONVERGED if sol.residual <= 1e-8 else sol.termination
            msg = (
                f"learned from {sopts.samples_per_pair} simulated transitions per state-action pair"
            )
        solve_time = time.perf_counter() - t0
        result = build_result(
            cg,
            method,
            sol,
            termination=term,
            iterations=sol.iterations,
            leader_gradient=None,
            leader_optimised=False,
            timings={"solve": solve_time},
            history={"mfe_residual": sol.history},
            tolerances=tolerances,
            message=msg,
        )
    else:
        lopts = _options(LeaderOptions, options)
        run = run_leader(cg, method, lopts, th, progress)
        solve_time = time.perf_counter() - t0
        result = build_result(
            cg,
            method,
            run.mfe,
            termination=run.termination,
            iterations=run.iterations,
            leader_gradient=run.gradient,
            leader_optimised=True,
            timings={"solve": solve_time},
            history=run.history,
            tolerances=tolerances,
            message=f"{run.mfe_solves} MFE solves",
        )
    result.timings["certify"] = time.perf_counter() - t0 - solve_time
    result.timings["total"] = time.perf_counter() - t0
    return result


def _options(cls: Any, options: Any) -> Any:
    if options is None:
        return cls()
    if isinstance(options, cls):
        return options
    if isinstance(options, dict):
        return cls.from_dict(options)
    raise InstanceError(
        "options", f"expected {cls.__name__} or a dict, got {type(options).__name__}"
    )
