"""Method ``mpec-scholtes``: F2 solved by a Scholtes homotopy with Ipopt, warm-started.

ε runs down ``eps_start, eps_start·factor, ...`` to ``eps_final`` (≤ 1e-9 by default); each
Ipopt solve starts from the previous primal and dual point. The result reports the final
complementarity residual max π·(V − Q) and a stationarity label. For leader problems with at
most ``max_branches_log2`` biactive pairs, B-stationarity is checked by enumeration: on every
branch (each biactive pair put on π = 0 or on V = Q) the smooth NLP is re-solved from the
point, and the point is B-stationary if no branch improves the leader objective.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.errors import InstanceError
from smfe.formulations.built import Built, solution_from_values
from smfe.formulations.exact_mpec import (
    MPECOptions,
    build_exact_mpec,
    complementarity,
    exact_version,
    fix_branch,
    split_pairs,
)
from smfe.formulations.nlp_solve import solve_built
from smfe.game.compiled import compile_game
from smfe.game.model import Game
from smfe.ipopt import IpoptRun
from smfe.mpec.branches import restore, snapshot
from smfe.mpec.scholtes import USABLE, WARM_IPOPT
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import MFEOptions, OptionsBase, require_positive
from smfe.solvers.result import Result, build_result
from smfe.solvers.status import SolutionStatus, TerminationCondition
from smfe.system.bounds import reward_bound

FloatArray = NDArray[np.float64]
COMPLEMENTARITY_TOL = 1e-8


@dataclass(frozen=True)
class MPECSolveOptions(OptionsBase):
    """Options of ``mpec-scholtes`` (module docstring). ``warm_start`` starts from the
    iterative soft MFE at a small temperature (``warm_tau`` × the reward scale)."""

    fix_theta: bool = False
    warm_start: bool = True
    warm_tau: float = 0.01
    eps_start: float = 1e-1
    eps_factor: float = 0.1
    eps_final: float = 1e-10
    max_branches_log2: int = 10
    ipopt: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("warm_tau", "eps_start", "eps_final"):
            require_positive(name, getattr(self, name))
        if not 0.0 < self.eps_factor < 1.0:
            raise InstanceError("options.eps_factor", f"must lie in (0, 1), got {self.eps_factor}")
        if not 0 <= self.max_branches_log2 <= 30:
            raise InstanceError(
                "options.max_branches_log2", f"must lie in 0..30, got {self.max_branches_log2}"
            )


def _soft_start(game: Game, theta: FloatArray, tau_rel: float) -> MFESolution:
    cg = compile_game(exact_version(game))
    tau = tau_rel * max(1.0, reward_bound(cg))
    soft = compile_game(replace(game, tau=tau))
    return solve_mfe(soft, theta, MFEOptions(tol=1e-8))


HOMOTOPY_IPOPT: dict[str, Any] = {"tol": 1e-9, "constr_viol_tol": 1e-10}
POLISH_CONSTR_VIOL = (1e-12, 1e-10)


def homotopy(
    built: Built, opts: MPECSolveOptions
) -> tuple[list[IpoptRun], list[float], list[float]]:
    """Drive ε to ``eps_final`` from warm starts; on a failed step, keep the last good point.

    Returns the runs, the complementarity after each and the ε of each.
    """
    runs: list[IpoptRun] = []
    comps: list[float] = []
    epss: list[float] = []
    eps = opts.eps_start
    prev: IpoptRun | None = None
    while True:
        built.model.eps.set_value(eps)
        good = snapshot(built.model)
        ipopt = {**HOMOTOPY_IPOPT, **(WARM_IPOPT if prev is not None else {}), **opts.ipopt}
        run = solve_built(built, ipopt, warm=prev)
        runs.append(run)
        epss.append(eps)
        if run.solution not in USABLE:
            restore(good)
            comps.append(complementarity(built))
            return runs, comps, epss
        comps.append(complementarity(built))
        if eps <= opts.eps_final:
            return runs, comps, epss
        prev = run
        eps = max(eps * opts.eps_factor, opts.eps_final)


def polish(built: Built, opts: MPECSolveOptions) -> IpoptRun | None:
    """Fix the identified branch (π = 0 where π < V − Q, else V = Q) and re-solve the smooth
    NLP from the point; keeps the result only if Ipopt solves it (complementarity then 0)."""
    m, cg = built.model, built.cg
    zero_pi: list[tuple[int, int]] = []
    zero_slack: list[tuple[int, int]] = []
    for (t, i), p in getattr(m, built.complementarity_var).items():
        slack = float(m.V[t, int(cg.sa_state[i])].value - m.Q[t, i].value)
        (zero_pi if float(p.value) < slack else zero_slack).append((t, i))
    branch = Built(fix_branch(built, zero_pi, zero_slack), cg, "branch")
    for viol in POLISH_CONSTR_VIOL:  # strict first; a looser retry if Ipopt stops 'acceptable'
        run = solve_built(branch, {**HOMOTOPY_IPOPT, "constr_viol_tol": viol, **opts.ipopt})
        if run.solution == SolutionStatus.OPTIMAL:
            break
    else:
        return None
    for v in branch.model.component_data_objects(pyo.Var, descend_into=True):
        built.model.find_component(v.name).set_value(v.value, skip_validation=True)
    return run


def b_stationarity(built: Built, opts: MPECSolveOptions, objective: float) -> str:
    """Enumerate the biactive branches (module docstring) and label the point."""
    pairs = split_pairs(built)
    both = pairs["both"]
    if len(both) > opts.max_branches_log2:
        return (
            f"C-stationary limit of the Scholtes homotopy "
            f"({len(both)} biactive pairs: not enumerated)"
        )
    tol = 1e-7 * max(1.0, abs(objective))
    for mask in itertools.product((0, 1), repeat=len(both)):
        zero_pi = pairs["policy"] + [p for p, b in zip(both, mask, strict=True) if b == 0]
        zero_slack = pairs["slack"] + [p for p, b in zip(both, mask, strict=True) if b == 1]
        branch = Built(fix_branch(built, zero_pi, zero_slack), built.cg, "branch")
        run = solve_built(branch, opts.ipopt)
        if (
            run.solution == SolutionStatus.OPTIMAL
            and pyo.value(branch.model.objective) > objective + tol
        ):
            gain = float(pyo.value(branch.model.objective)) - objective
            return f"not B-stationary: a branch improves J by {gain:.3g}"
    return f"B-stationary ({2 ** len(both)} branch NLPs enumerated, {len(both)} biactive pairs)"


def solve_mpec_scholtes(
    game: Game,
    options: MPECSolveOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: object = None,
    kind: str = "exact",
) -> Result:
    """Methods ``mpec-scholtes`` (``kind="exact"``, F2) and ``boltzmann-nlp``
    (``kind="boltzmann"``, F1-Boltzmann): build, homotopy, polish, certify."""
    from smfe.formulations.boltzmann_nlp import build_boltzmann_nlp

    target = exact_version(game) if kind == "exact" else game
    cg = compile_game(target)
    t0 = time.perf_counter()
    th = game.start() if theta is None else theta
    fixed = options.fix_theta or game.n_theta == 0
    start: MFESolution | None = None
    if options.warm_start:
        if kind == "exact":
            start = _soft_start(game, th, options.warm_tau)
        else:
            start = solve_mfe(cg, th, MFEOptions(tol=1e-8))
    mopts = MPECOptions(
        theta=th if fixed else None,
        objective="none" if fixed else "leader",
        eps=options.eps_start,
        start=start,
    )
    built = build_exact_mpec(game, mopts) if kind == "exact" else build_boltzmann_nlp(game, mopts)
    t_build = time.perf_counter() - t0
    runs, comps, epss = homotopy(built, options)
    polished = polish(built, options)
    if polished is not None:
        runs.append(polished)
        comps.append(complementarity(built))
        epss.append(0.0)
    last = runs[-1]
    comp = comps[-1]
    converged = last.solution == SolutionStatus.OPTIMAL and comp <= COMPLEMENTARITY_TOL
    term = (
        TerminationCondition.CONVERGED
        if converged
        else (
            last.termination
            if last.termination != TerminationCondition.CONVERGED
            else TerminationCondition.STALLED
        )
    )
    v = built.values()
    sol = solution_from_values(v, comp, sum(r.iterations for r in runs), term)
    label = ""
    stationary: bool | None = None
    if not fixed and converged:
        label = b_stationarity(built, options, float(pyo.value(built.model.objective)))
        stationary = label.startswith("B-stationary")
    usable = [e for e, r in zip(epss, runs, strict=True) if e > 0 and r.solution in USABLE]
    reached = min(usable) if usable else float("nan")
    notes = [
        *built.notes,
        f"Scholtes homotopy to ε = {reached:.0e}"
        + (", branch polish" if polished is not None else ""),
        f"complementarity {comp:.2e}",
    ]
    if label:
        notes.append(label)
    result = build_result(
        cg,
        "mpec-scholtes" if kind == "exact" else "boltzmann-nlp",
        sol,
        termination=term,
        iterations=sol.iterations,
        leader_gradient=None,
        leader_optimised=not fixed,
        stationary=stationary,
        timings={"build": t_build, "ipopt": sum(r.seconds for r in runs)},
        history={"eps": epss, "complementarity": comps},
        tolerances=tolerances,
        message="; ".join(notes),
    )
    return replace(result, log="\n".join(r.log for r in runs))


def solve_boltzmann_nlp(
    game: Game,
    options: MPECSolveOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``boltzmann-nlp``: :func:`solve_mpec_scholtes` on F1-Boltzmann."""
    return solve_mpec_scholtes(game, options, theta, tolerances, progress, kind="boltzmann")
