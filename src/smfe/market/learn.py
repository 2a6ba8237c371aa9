r"""Learning mode: a leader that improves the tariff from observed population responses only.

The paper's setting: the leader does not know the followers' objectives, and the followers
do not know their dynamics. Here

* **the followers learn** their model from simulated transitions — the sample-based learner
  of :mod:`smfe.solvers.sample_based`: ``samples_per_pair`` draws of x' for every allowed
  (x, a) give the empirical kernel :math:`\hat P` (certainty equivalence); the transitions
  of the market do not depend on the tariff, so the draws are made once. Under a tariff θ
  the population settles in the soft MFE of the game with :math:`\hat P` (each household
  knows its own bill, i.e. its reward at the prices it meets);
* **the leader observes** only what a utility meters: per follower class and hour the
  imports and exports, and the wholesale prices they cause (the aggregates y and N), from
  which it computes its objective Φ, the revenue gap and the rules' rows with the same
  functions as the model-based leader (:mod:`smfe.market.metrics`, :mod:`smfe.market.rules`).
  It never reads a reward array, a kernel or a policy. Its update is SLSQP on θ with
  **black-box gradients**: forward differences of the observed Φ, gap and rows, one population
  response per tariff component (backward at an upper bound); the reference bills of a
  bill cap come from its own observed revenue-neutral flat tariff (Brent's method on the
  observed revenue gap).

Every population response is counted. The learned tariff is then judged by the model:
:func:`compare` evaluates it with the exact followers (:class:`MarketEvaluator`) and reports
its objective against the certified optimum of the same run, the rule rows and the cost
(responses, time) next to SQP's (MFE solves, time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize

from smfe.errors import FormulationError, SolveFailed
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.market.game import MarketGame
from smfe.market.leader import MarketEvaluator
from smfe.market.metrics import REVENUE_BOUNDS, Weights, objective, outcomes
from smfe.market.rules import Rules
from smfe.market.solve import TariffStudy, baseline_theta
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.sample_based import Simulator, empirical_kernel
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


def learned_game(game: Game, samples_per_pair: int, seed: int) -> Game:
    """The followers' game with each type's kernel replaced by its empirical estimate
    :math:`\\hat P` from ``samples_per_pair`` simulated draws per allowed pair."""
    cg = compile_game(game)
    if any(P.nnz for P in cg.Pj) or cg.mean_field_dynamics:
        raise FormulationError(
            "learning mode samples the transitions once: it needs transitions that depend "
            "on neither the tariff nor the mean field"
        )
    draws = Simulator(cg, game.start(), seed).next_states(samples_per_pair)
    P_hat = sp.csr_array(empirical_kernel(cg, draws))
    types = []
    for k, ft in enumerate(game.types):
        rows = P_hat[cg.sa_off[k] : cg.sa_off[k + 1], cg.state_off[k] : cg.state_off[k + 1]]
        full = sp.lil_array((ft.mask.size, ft.n_states))
        full[cg.keep[k], :] = rows
        types.append(replace(ft, transition=sp.csr_array(full)))
    return replace(game, types=tuple(types))


class PopulationOracle:
    """A tariff in, the learning population's metered response out (module docstring)."""

    def __init__(self, mg: MarketGame, samples_per_pair: int, seed: int, tol: float) -> None:
        self.mg = mg
        self.cg: CompiledGame = compile_game(learned_game(mg.game, samples_per_pair, seed))
        self.tol = tol
        self.responses = 0
        self._warm: MFESolution | None = None

    def respond(self, theta: FloatArray) -> dict[str, Any]:
        """The market outcomes the leader computes from the metered y and N under θ."""
        self.responses += 1
        sol = solve_mfe(self.cg, theta, MFEOptions(tol=self.tol), warm=self._warm)
        if sol.termination != TerminationCondition.CONVERGED:
            raise SolveFailed(
                f"the learning population did not settle (residual {sol.residual:.1e})"
            )
        self._warm = sol
        y = self.cg.leader_aggregates(theta, sol.nu)[0]
        N = self.cg.aggregates(sol.nu)[0]
        return outcomes(self.mg, theta, y, N)


@dataclass(frozen=True)
class LearnRun:
    """The learned tariff and what it cost."""

    theta: FloatArray
    observed_objective: float
    responses: int
    iterations: int
    seconds: float
    message: str
    history: list[float]


def learn_tariff(
    mg: MarketGame,
    weights: Weights,
    rules: Rules | None = None,
    *,
    samples_per_pair: int = 200,
    seed: int = 0,
    fd_step: float = 1e-5,
    max_iter: int = 100,
    tol: float = 1e-10,
    progress: Callable[[str], None] | None = None,
) -> LearnRun:
    """The learning leader of the module docstring, from the flat revenue-neutral tariff."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    rules = mg.market.rules if rules is None else rules
    oracle = PopulationOracle(mg, samples_per_pair, seed, tol)
    bound = mg.bind(rules)
    dec = mg.game.decision

    def flat(c: float) -> FloatArray:
        return baseline_theta(mg, "flat", c)

    say("learning: the observed revenue-neutral flat tariff")
    level = brentq(lambda c: float(oracle.respond(flat(c))["revenue_gap"]), 0.0, 1.0, xtol=1e-12)
    start = flat(level)
    reference = np.asarray(oracle.respond(start)["group_bill"], dtype=float)
    cache: dict[bytes, tuple[float, float, FloatArray]] = {}

    def observe(x: FloatArray) -> tuple[float, float, FloatArray]:
        x = np.clip(x, dec.lower, dec.upper)
        key = x.tobytes()
        if key not in cache:
            out = oracle.respond(x)
            rows = np.asarray(bound.rows(out, reference), dtype=float)
            cache[key] = (float(objective(out, weights)), float(out["revenue_gap"]), rows)
        return cache[key]

    gcache: dict[bytes, tuple[FloatArray, FloatArray, FloatArray]] = {}

    def grads(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        x = np.clip(x, dec.lower, dec.upper)
        key = x.tobytes()
        if key not in gcache:
            f0, g0, r0 = observe(x)
            d = x.size
            gf, gg, gr = np.zeros(d), np.zeros(d), np.zeros((r0.size, d))
            for j in range(d):
                h = fd_step if x[j] + fd_step <= dec.upper[j] else -fd_step
                e = x.copy()
                e[j] += h
                f1, g1, r1 = observe(e)
                gf[j], gg[j], gr[:, j] = (f1 - f0) / h, (g1 - g0) / h, (r1 - r0) / h
            gcache.clear()
            gcache[key] = (gf, gg, gr)
        return gcache[key]

    history: list[float] = []
    cons: list[dict[str, Any]] = []
    if weights.revenue in REVENUE_BOUNDS:
        cons.append(
            {
                "type": "eq" if weights.revenue == "equal" else "ineq",
                "fun": lambda x: observe(x)[1],
                "jac": lambda x: grads(x)[1],
            }
        )
    if bound.names:
        cons.append(
            {"type": "ineq", "fun": lambda x: -observe(x)[2], "jac": lambda x: -grads(x)[2]}
        )

    def callback(x: FloatArray) -> None:
        history.append(observe(x)[0])
        say(
            f"  learning iteration {len(history)}: observed objective {history[-1]:.6f}, "
            f"{oracle.responses} population responses"
        )

    say("learning: SLSQP on observed responses (black-box gradients)")
    res = minimize(
        lambda x: -observe(x)[0],
        start,
        jac=lambda x: -grads(x)[0],
        method="SLSQP",
        bounds=list(zip(dec.lower, dec.upper, strict=True)),
        constraints=cons,
        callback=callback,
        options={"maxiter": max_iter, "ftol": 1e-10},
    )
    theta = np.clip(res.x, dec.lower, dec.upper)
    return LearnRun(
        theta,
        observe(theta)[0],
        oracle.responses,
        int(res.nit),
        time.perf_counter() - t0,
        str(res.message),
        history,
    )


@dataclass(frozen=True)
class LearnComparison:
    """The learned tariff judged by the model, next to the certified optimum."""

    learned: LearnRun
    true_objective: float
    """Φ of the learned tariff with the exact followers' MFE."""
    optimum: float
    relative_gap: float
    """(Φ* − Φ(θ_learn)) / |Φ*|."""
    rule_violation: float
    revenue_gap: float
    sqp_evaluations: int
    sqp_seconds: float


def compare(study: TariffStudy, run: LearnRun) -> LearnComparison:
    """Evaluate ``run``'s tariff with the exact followers under ``study``'s weights, rules
    and reference bills."""
    ev = MarketEvaluator(study.market, study.weights, rules=study.rules)
    if study.reference_bills is not None:
        ev.reference = study.reference_bills
    p = ev.point(run.theta, gradients=False)
    opt = study.optimal.objective
    return LearnComparison(
        run,
        p.value,
        opt,
        (opt - p.value) / abs(opt),
        float(np.max(p.rules, initial=0.0)),
        p.gap,
        int(study.solver_report.get("evaluations", 0)),
        float(study.timings.get("optimise", 0.0)),
    )


def format_comparison(c: LearnComparison) -> str:
    run = c.learned
    return "\n".join(
        [
            "Learning mode (leader sees metered responses only; followers learn their "
            "dynamics from simulated transitions) vs SQP (model-based, certified):",
            f"  learned objective {c.true_objective:.6f} (exact followers; the leader observed "
            f"{run.observed_objective:.6f}) vs certified optimum {c.optimum:.6f}: "
            f"gap {100 * c.relative_gap:.3f} %",
            f"  learned tariff: revenue gap {c.revenue_gap:.1e} $/day, largest rule "
            f"violation {c.rule_violation:.1e}",
            f"  cost: learning {run.responses} population responses, {run.iterations} "
            f"iterations, {run.seconds:.1f} s; SQP {c.sqp_evaluations} MFE solves (with "
            f"gradients), {c.sqp_seconds:.1f} s",
        ]
    )


def comparison_numbers(c: LearnComparison) -> dict[str, Any]:
    """Plain JSON-able numbers of a comparison."""
    run = c.learned
    return {
        "theta": run.theta.tolist(),
        "observed_objective": run.observed_objective,
        "true_objective": c.true_objective,
        "certified_optimum": c.optimum,
        "relative_gap": c.relative_gap,
        "revenue_gap": c.revenue_gap,
        "rule_violation": c.rule_violation,
        "population_responses": run.responses,
        "iterations": run.iterations,
        "seconds": run.seconds,
        "history": run.history,
        "message": run.message,
        "sqp": {"mfe_solves": c.sqp_evaluations, "seconds": c.sqp_seconds},
    }
