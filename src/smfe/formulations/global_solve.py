r"""Method ``global``: the soft S-MFE leader problem solved to a proven global optimum by SCIP.

F1 (:mod:`smfe.formulations.soft_nlp`) — the leader's objective over θ ∈ Θ subject to the
soft equilibrium conditions, with the exp / log-sum-exp softmax and the bilinear flow terms —
is written as a ``.nl`` file and solved by SCIP 10 (:mod:`smfe.scip`) by spatial
branch-and-bound: SCIP returns an incumbent θ_S, a dual bound U on max J and the gap.

SCIP's answer holds to its feasibility tolerance (1e-6 by default), not to the certificate's
(1e-8), so it is not certified as it stands. The method therefore finishes locally: the leader's
projected gradient (``pgd``, implicit gradients, each MFE solved by the iterative solver) runs
from θ_S to a certified, first-order stationary θ*. Then

* ``optimality: global`` only if SCIP closed the gap (status optimal at ``gap``) **and** the
  certified J(θ*) reaches SCIP's dual bound, J(θ*) ≥ U − ``bound_tol``·max(1, |U|): no θ ∈ Θ
  does better than J(θ*) by more than the tolerances, and the point itself is certified;
* otherwise the certified local optimum is reported with SCIP's bounds and gap (``local``),
  or, if SCIP found no point, a typed failure.

The history carries SCIP's primal bound, dual bound and gap. Spatial branch-and-bound grows
quickly with the size: measured, a Garnet game of 24 pair-steps is proven in about 17 s, one of
48 pair-steps stops at its 120 s limit with a 0.5 % gap (README).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError, SolveFailed, SolverUnavailable
from smfe.game.compiled import compile_game
from smfe.game.model import Game
from smfe.game.projection import project
from smfe.solvers.options import LeaderOptions, OptionsBase, require_positive
from smfe.solvers.result import Result, build_result


@dataclass(frozen=True)
class GlobalOptions(OptionsBase):
    """``time_limit`` (s) and relative ``gap`` at which SCIP stops; ``feastol``: SCIP's
    feasibility tolerance; ``bound_tol``: how far below SCIP's dual bound the certified
    objective may lie and still be called global; ``scip``: any further SCIP parameters
    (e.g. ``{"limits/nodes": 1000}``); ``leader``: options of the local ``pgd`` finish."""

    time_limit: float = 60.0
    gap: float = 1e-6
    feastol: float = 1e-7
    bound_tol: float = 1e-5
    threads: int = 1
    scip: dict[str, Any] = field(default_factory=dict)
    leader: LeaderOptions = field(default_factory=LeaderOptions)

    def __post_init__(self) -> None:
        require_positive("time_limit", self.time_limit)
        require_positive("feastol", self.feastol)
        require_positive("bound_tol", self.bound_tol)
        require_positive("threads", self.threads)
        if not 0.0 <= self.gap < 1.0:
            raise InstanceError("options.gap", f"must lie in [0, 1), got {self.gap}")
        if isinstance(self.leader, dict):
            object.__setattr__(self, "leader", LeaderOptions.from_dict(self.leader))


def solve_global(
    game: Game,
    options: GlobalOptions,
    theta: Any,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``global`` (module docstring)."""
    from smfe.formulations.soft_nlp import build_soft_nlp
    from smfe.scip.pyomo_plugin import SmfeScip
    from smfe.solvers.leader import run_leader

    if game.n_theta == 0:
        raise FormulationError(
            "method global optimises the leader's θ, and this game has none: use mfe"
        )
    if theta is not None:
        raise FormulationError(
            "method global searches all of Θ: it takes no starting θ (theta=...)"
        )
    t0 = time.perf_counter()
    built = build_soft_nlp(game)
    t_build = time.perf_counter() - t0
    opt = SmfeScip()
    if not opt.available():
        raise SolverUnavailable("smfe-scip (pyscipopt) is not installed")
    params = {
        "limits/time": options.time_limit,
        "limits/gap": options.gap,
        "numerics/feastol": options.feastol,
        "parallel/maxnthreads": options.threads,
        **options.scip,
    }
    t1 = time.perf_counter()
    res = opt.solve(built.model, options=params, load_solutions=False)
    t_scip = time.perf_counter() - t1
    info = res.solver
    primal = float(getattr(info, "primal_bound", np.nan))
    bound = float(getattr(info, "dual_bound", np.nan))
    gap = float(getattr(info, "gap", np.inf)) / 100.0  # SCIP reports the gap in percent
    # closed: proven optimal, or stopped at the requested relative gap
    message = str(info.message)
    closed = "optimal solution found" in message or (
        "gap limit reached" in message and gap <= options.gap
    )
    if len(res.solution) == 0:
        raise SolveFailed(
            f"SCIP found no feasible point ({info.termination_condition}; "
            f"time limit {options.time_limit} s, dual bound {bound:.6g}): {info.message}"
        )
    built.model.solutions.load_from(res)
    theta_s = built.theta()
    cg = compile_game(game)
    t2 = time.perf_counter()
    # SCIP's θ lies in Θ to its feasibility tolerance: project it before the finish
    run = run_leader(cg, "pgd", options.leader, project(game.decision, theta_s))
    t_polish = time.perf_counter() - t2
    slack = options.bound_tol * max(1.0, abs(bound))
    proven = closed and np.isfinite(bound) and run.objective >= bound - slack
    verdict = (
        f"global: certified J = {run.objective:.10g} reaches SCIP's dual bound within {slack:.1e}"
        if proven
        else (
            "not proven global: "
            + (
                f"SCIP stopped with gap {gap:.2e} ({info.termination_condition})"
                if not closed
                else f"certified J = {run.objective:.10g} is below the dual bound by more "
                f"than {slack:.1e}"
            )
        )
    )
    result = build_result(
        cg,
        "global",
        run.mfe,
        termination=run.termination,
        iterations=run.iterations,
        leader_gradient=run.gradient,
        leader_optimised=True,
        global_optimum=bool(proven),
        timings={"build": t_build, "scip": t_scip, "polish": t_polish},
        history={"objective": [primal], "dual_bound": [bound], "gap": [gap]},
        tolerances=tolerances,
        message=(
            f"SCIP on F1: {info.termination_condition}, primal bound {primal:.10g}, dual "
            f"bound {bound:.10g}, gap {gap:.2e}; pgd from SCIP's θ ({run.iterations} "
            f"iterations); {verdict}"
        ),
    )
    return replace(result, log=message)
