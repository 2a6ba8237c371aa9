"""The iterative methods behind :func:`smfe.solve` (registered in :mod:`smfe.registry`).

* ``mfe`` — the follower MFE at a fixed θ (``theta=`` or the decision set's start);
* ``sample-mfe`` — the same, learned from simulated transitions only;
* ``pgd`` / ``fd-pgd`` / ``leader-pi`` — leader loops around the MFE (:mod:`.leader`);
* ``sqp`` — the leader problem with constraints on the mean field (:mod:`.sqp`).

Each function has the registry's common signature and returns a certified ``Result``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.game.potential import concave_potential
from smfe.solvers.leader import run_leader
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import LeaderOptions, MFEOptions, SampleOptions
from smfe.solvers.result import Result, build_result
from smfe.solvers.sample_based import solve_mfe_sampled
from smfe.solvers.sqp import run_sqp
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]
Progress = Callable[[int, float, float], None] | None


def solve_mfe_method(
    game: Game,
    options: MFEOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: Progress = None,
) -> Result:
    """Method ``mfe``."""
    cg = compile_game(game)
    th = game.start() if theta is None else theta
    t0 = time.perf_counter()
    notes: list[str] = []
    polisher = support_polisher(cg, np.asarray(th, dtype=np.float64), options, notes)
    sol = solve_mfe(cg, th, options, polisher=polisher)
    msg = f"{sol.newton_steps} Newton steps" if sol.newton_steps else ""
    msg = "; ".join([m for m in (msg, *notes[-1:]) if m])
    if len(notes) > 1:
        msg += f" ({len(notes)} support attempts)"
    if sol.newton_failures:
        msg += f"; {sol.newton_failures} Newton systems were singular (fixed point used)"
    unfinished = game.exact and sol.termination != TerminationCondition.CONVERGED
    if unfinished and concave_potential(game)[0] is not None:
        msg += (
            "; this is a potential game with a concave potential: method convex-mfe "
            "computes its exact MFE as one concave program"
        )
    return _certified(cg, "mfe", sol, sol.termination, t0, tolerances, msg)


def support_polisher(
    cg: CompiledGame,
    theta: FloatArray,
    options: MFEOptions,
    notes: list[str],
    delta: float = 1e-4,
) -> Callable[[MFESolution], MFESolution | None] | None:
    """For the exact response: Newton on the support identified at an iterate — the actions
    within ``delta`` of the best (:mod:`smfe.system.support_newton`) — accepted when the
    point's own complementarity gap and flow residual are within ``options.tol``; each
    attempt leaves a note."""
    if not (cg.game.exact and options.support_newton):
        return None
    from smfe.errors import InstanceError, SolveFailed
    from smfe.solvers.mfe import evaluate_point
    from smfe.system.support_newton import polish

    gave_up: list[bool] = []

    def attempt(snap: MFESolution) -> MFESolution | None:
        if gave_up:  # an attempt ran out of time: later ones would too
            return None
        try:
            out, rep = polish(cg, theta, snap, delta=delta, tol=min(1e-12, options.tol))
            _, nu_br, _, gap = evaluate_point(cg, theta, out.nu)
        except (SolveFailed, InstanceError) as exc:
            # a singular support system, or Newton left the region where the model is defined
            notes.append(f"support Newton after {snap.iterations} iterations failed: {exc}")
            return None
        flow_gap = float(np.abs(nu_br.sum(axis=-1) - out.nu.sum(axis=-1)).max())
        if rep.timed_out:
            gave_up.append(True)
        notes.append(
            f"support Newton after {snap.iterations} iterations: {rep.rounds} support "
            f"rounds, {rep.newton_steps} steps, gap {gap:.1e}"
            + (" (out of time; no further attempts)" if rep.timed_out else "")
        )
        if gap <= options.tol and rep.residual <= max(options.tol, 1e-12) and flow_gap < 1e-9:
            return dataclasses.replace(
                out, residual=gap, termination=TerminationCondition.CONVERGED
            )
        return None

    return attempt


def solve_sample_method(
    game: Game,
    options: SampleOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: Progress = None,
) -> Result:
    """Method ``sample-mfe``."""
    cg = compile_game(game)
    th = game.start() if theta is None else theta
    t0 = time.perf_counter()
    sol = solve_mfe_sampled(cg, th, options)
    term = TerminationCondition.CONVERGED if sol.residual <= 1e-8 else sol.termination
    msg = f"learned from {options.samples_per_pair} simulated transitions per state-action pair"
    return _certified(cg, "sample-mfe", sol, term, t0, tolerances, msg)


def _leader_method(method: str) -> Callable[..., Result]:
    """The registry's solve function of the leader method ``method``."""

    def solve(
        game: Game,
        options: LeaderOptions,
        theta: FloatArray | None,
        tolerances: Tolerances | None,
        progress: Progress = None,
    ) -> Result:
        return _leader(game, method, options, theta, tolerances, progress)

    where = "smfe.solvers.sqp.run_sqp" if method == "sqp" else "smfe.solvers.leader.run_leader"
    solve.__doc__ = f"Method ``{method}`` (:func:`{where}`)."
    return solve


solve_pgd = _leader_method("pgd")
solve_fd_pgd = _leader_method("fd-pgd")
solve_leader_pi = _leader_method("leader-pi")
solve_sqp = _leader_method("sqp")


def _leader(
    game: Game,
    method: str,
    options: LeaderOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: Progress,
) -> Result:
    """The leader loops of :mod:`.leader`, certified."""
    cg = compile_game(game)
    t0 = time.perf_counter()
    if method == "sqp":
        run = run_sqp(cg, options, theta, progress)
    else:
        run = run_leader(cg, method, options, theta, progress)
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
    return result


def _certified(
    cg: CompiledGame,
    method: str,
    sol: MFESolution,
    term: TerminationCondition,
    t0: float,
    tolerances: Tolerances | None,
    msg: str,
) -> Result:
    """Certify an MFE found at a fixed θ (the leader was not optimised)."""
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
    result.timings["certify"] = time.perf_counter() - t0 - solve_time
    return result
