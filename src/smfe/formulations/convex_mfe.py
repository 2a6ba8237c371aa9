r"""F3: the soft MFE at a fixed θ as a concave program over occupation measures (cvxpy).

When followers interact only through prices that are gradients of a convex potential —
every type pays exactly the price of the aggregate it loads (``exposure = −aggregate``) and
:math:`p_m(z) = \alpha_m + \beta_m z` with :math:`\beta_m \ge 0`, so
:math:`\Phi_m(z) = \alpha_m z + \beta_m z^2/2` — the finite-horizon soft MFE is the unique
maximiser of

.. math::
   \max_{\nu\ge0}\ \sum_t\gamma^t\Big[\sum_k w_k\langle r^0_k(\theta), \nu_{k,t}\rangle
      - \sum_m\Phi_m(z_{t,m})
      - \tau\sum_k w_k\sum_{x,a}\nu_{k,t}(x,a)\log\frac{\nu_{k,t}(x,a)}{\mu_{k,t}(x)}\Big]

subject to :math:`\mu_{k,0} = \mu^0_k`, :math:`\mu_{k,t+1} = P^\top\nu_{k,t}` with
:math:`\mu_{k,t}(x) = \sum_a\nu_{k,t}(x,a)` and :math:`z_t = G\nu_t`: its optimality conditions
are the soft Bellman equations with the MFE rewards. The conditional-entropy term
(``cp.rel_entr``, exponential cone) is strictly concave in the policy, so the maximiser — and
the MFE — is unique: a uniqueness certificate.

For stationary discounted games this does not hold (the stationary flow constraints and
discounted values do not come from one potential); :func:`check_convex` refuses them, as it
refuses Boltzmann or exact responses and couplings that are not potential gradients.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError, SolveFailed, SolverUnavailable
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game, Response
from smfe.solvers.mfe import MFESolution, evaluate_point, solve_mfe
from smfe.solvers.options import MFEOptions, OptionsBase
from smfe.solvers.response import respond
from smfe.solvers.result import Result, build_result
from smfe.solvers.status import SolutionStatus, TerminationCondition

FloatArray = NDArray[np.float64]

# cvxpy status -> (termination, solution); "optimal_inaccurate" is not optimal
CVXPY_STATUS = {
    "optimal": (TerminationCondition.CONVERGED, SolutionStatus.OPTIMAL),
    "optimal_inaccurate": (TerminationCondition.STALLED, SolutionStatus.FEASIBLE),
    "infeasible": (TerminationCondition.INFEASIBLE, SolutionStatus.INFEASIBLE),
    "infeasible_inaccurate": (TerminationCondition.INFEASIBLE, SolutionStatus.INFEASIBLE),
    "unbounded": (TerminationCondition.ERROR, SolutionStatus.UNKNOWN),
    "unbounded_inaccurate": (TerminationCondition.ERROR, SolutionStatus.UNKNOWN),
    "user_limit": (TerminationCondition.ITERATION_LIMIT, SolutionStatus.UNKNOWN),
    "solver_error": (TerminationCondition.ERROR, SolutionStatus.NO_SOLUTION),
}
SOLVER_TOLERANCES = {
    "CLARABEL": {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11},
    "SCS": {"eps": 1e-9, "max_iters": 200_000},
    "ECOS": {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10},
}


@dataclass(frozen=True)
class ConvexOptions(OptionsBase):
    """``solver``: CLARABEL (default), SCS or ECOS (optional extra). ``polish``: Newton's
    method on the equilibrium system from the program's ν (a few steps at most), which takes
    the exponential cone's accuracy (about 1e-7 in ν) to the certificate's; kept only when it
    lowers the consistency residual, and reported in the message."""

    solver: str = "CLARABEL"
    polish: bool = True

    def __post_init__(self) -> None:
        if self.solver not in SOLVER_TOLERANCES:
            raise InstanceError(
                "options.solver", f"must be one of {sorted(SOLVER_TOLERANCES)}, got {self.solver!r}"
            )


def check_convex(game: Game) -> None:
    """Raise FormulationError unless the soft MFE is the optimum of the concave program."""
    if not game.finite:
        raise FormulationError(
            "the convex (occupation-measure) route needs a finite-horizon game: for the "
            "discounted stationary MFE the flow constraints and discounted values do not come "
            "from one potential, so no concave program characterises it"
        )
    if game.tau == 0.0 or game.response != Response.SOFT:
        raise FormulationError(
            "the convex route computes the soft (entropy-regularised) MFE: τ > 0"
        )
    if game.mean_field_dynamics:
        raise FormulationError(
            "the convex route needs transitions independent of the mean field: with "
            "P(θ, z) the flow constraints are bilinear in (z, ν), so the feasible set of "
            "occupation measures is not convex"
        )
    for t in game.types:
        aligned = t.exposure is None or (
            t.aggregate is not None and np.array_equal(t.exposure, -t.aggregate)
        )
        if t.exposure_theta is not None or not aligned:
            raise FormulationError(
                f"type {t.name!r}: its prices are not the gradient of a convex potential "
                "(each follower must pay exactly the price of the aggregate it loads)"
            )
    for p in game.prices:
        if p.slope < 0 or not (p.polynomial and p.curvature == 0.0):
            raise FormulationError(
                f"price {p.name!r}: needs p(z) = α + βz with β >= 0 and no kinks, log or "
                "rational, power or exp terms (convex quadratic potential)"
            )


def solve_convex(
    game: Game,
    options: ConvexOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``convex-mfe``: F3 at θ (default: the start of Θ), certified independently."""
    check_convex(game)
    try:
        import cvxpy as cp
    except ImportError:
        raise SolverUnavailable("cvxpy is not installed") from None
    cg = compile_game(game)
    th = game.start() if theta is None else np.asarray(theta, dtype=np.float64)
    t0 = time.perf_counter()
    problem, nu_vars = _build(cg, th)
    t_build = time.perf_counter() - t0
    solver = options.solver.upper()
    if solver not in cp.installed_solvers():
        raise SolverUnavailable(f"cvxpy solver {solver} is not installed")
    t1 = time.perf_counter()
    try:
        problem.solve(solver=solver, **SOLVER_TOLERANCES.get(solver, {}))
    except cp.error.SolverError as exc:
        raise SolveFailed(f"{solver} failed: {exc}") from exc
    t_solve = time.perf_counter() - t1
    term, _ = CVXPY_STATUS.get(
        str(problem.status), (TerminationCondition.UNKNOWN, SolutionStatus.UNKNOWN)
    )
    if nu_vars[0].value is None:
        raise SolveFailed(f"{solver} returned no point (status {problem.status})")
    nu = np.maximum(np.vstack([np.asarray(v.value).ravel() for v in nu_vars]), 0.0)
    P = cg.transition(th)
    resp = respond(cg, cg.reward(th, nu), P)
    sol = MFESolution(
        theta=th,
        nu=nu,
        policy=resp.policy,
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=float("nan"),
        iterations=int(problem.solver_stats.num_iters or 0),
        termination=term,
    )
    polished = ""
    if options.polish:
        sol, polished = _polish(cg, th, sol)
    return build_result(
        cg,
        "convex-mfe",
        sol,
        termination=term,
        iterations=sol.iterations,
        leader_gradient=None,
        leader_optimised=False,
        timings={"build": t_build, solver.lower(): t_solve},
        history={},
        tolerances=tolerances,
        message=(
            f"cvxpy/{solver}: {problem.status}; strictly concave program: the MFE at this θ is "
            f"unique; π and V from the soft response at the program's ν{polished}"
        ),
    )


def _polish(cg: CompiledGame, theta: FloatArray, sol: MFESolution) -> tuple[MFESolution, str]:
    """Newton on the equilibrium system from the program's point (:func:`solve_mfe` warm-
    started at it: its Newton stage starts at once, the residual being far below
    ``newton_from``); the polished point if it is more consistent, and a note."""
    before = evaluate_point(cg, theta, sol.nu)[3]
    try:
        new = solve_mfe(cg, theta, MFEOptions(max_iter=20, continuation=False), warm=sol)
    except SolveFailed as exc:
        return sol, f"; Newton polish failed ({exc})"
    if not new.residual < before:
        return sol, f"; Newton polish did not lower the residual {before:.1e}"
    note = f"; Newton-polished: consistency residual {before:.1e} → {new.residual:.1e}"
    return replace(new, iterations=sol.iterations, termination=sol.termination), note


def _build(cg: CompiledGame, theta: FloatArray) -> tuple[Any, list[Any]]:
    """The cvxpy problem of the module docstring (flat over types; one ν_t per step)."""
    import cvxpy as cp_mod
    import scipy.sparse as sp

    g = cg.game
    T, gamma, tau = cg.T, cg.gamma, g.tau
    P = cg.transition(theta)
    r0 = cg.r_steps + (cg.R.T @ theta if g.n_theta else 0.0)
    w = cg.share[cg.sa_type]
    ST = sp.csr_matrix(cg.expand.T)
    S = sp.csr_matrix(cg.expand)
    PT = sp.csr_matrix(P.T)
    G = sp.csr_matrix(cg.G)
    a, b = cg.p_coef[:, 0], cg.p_coef[:, 1]
    nus = [cp_mod.Variable(cg.n_sa, nonneg=True, name=f"nu{t}") for t in range(T)]
    cons = [ST @ nus[0] == cg.mu0]
    for t in range(T - 1):
        cons.append(ST @ nus[t + 1] == PT @ nus[t])
    obj = 0
    for t in range(T):
        mu_sa = S @ (ST @ nus[t])
        stage = (w * r0[t]) @ nus[t] - tau * cp_mod.sum(
            cp_mod.multiply(w, cp_mod.rel_entr(nus[t], mu_sa))
        )
        if g.n_prices:
            z = G @ nus[t]
            stage = stage - a @ z - 0.5 * cp_mod.sum(cp_mod.multiply(b, cp_mod.square(z)))
        obj = obj + (gamma**t) * stage
    return cp_mod.Problem(cp_mod.Maximize(obj), cons), nus
