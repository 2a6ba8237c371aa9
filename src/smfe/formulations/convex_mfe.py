r"""F3: the MFE of a potential game at a fixed θ as a concave program over occupation measures.

When every price is paid in proportion to the load each type puts on it — exposure_k[m] =
λ_m·aggregate_k[m] with one λ_m per price (:mod:`smfe.game.potential`) — the price rewards are
the gradient of :math:`\sum_m\lambda_m\Psi_m(z_m)` with :math:`\Psi_m' = p_m`
(:meth:`smfe.game.price.Price.potential`), and the finite-horizon MFE maximises

.. math::
   \max_{\nu\ge0}\ \sum_t\gamma^t\Big[\sum_k w_k\langle r^0_{k,t}(\theta), \nu_{k,t}\rangle
      + \sum_m\lambda_m\Psi_m(z_{t,m})
      - \tau\sum_k w_k\sum_{x,a}\nu_{k,t}(x,a)\log\frac{\nu_{k,t}(x,a)}{\mu_{k,t}(x)}\Big]

subject to :math:`\mu_{k,0} = \mu^0_k`, :math:`\mu_{k,t+1} = P^\top\nu_{k,t}` with
:math:`\mu_{k,t}(x) = \sum_a\nu_{k,t}(x,a)` and :math:`z_t = G\nu_t`. Its optimality
conditions are the (soft) Bellman equations with the MFE rewards — the followers' occupation
measure is optimal for the rewards its own aggregates set — so every maximiser is an MFE.
The program is concave when λ_m·p_m is non-increasing (the Lasry–Lions monotone coupling):
λ_m Ψ_m is then concave, and each primitive has a conic form — αz + βz²/2 (quadratic),
c[(z + ε)log(z + ε) − z] = −c·entr(z + ε) − cz, a·log(b + z), a(z + b)^{r+1}/(r + 1) (power
cone) and (c/k)e^{kz} (exponential cone). The crowd-aversion rewards −log(μ_t(x) + ε) of the
MFG literature (beach bar, crowd motion, building evacuation) are of this kind.

* τ > 0: the conditional-entropy term (``cp.rel_entr``) is strictly concave in the policy, so
  the maximiser — and the MFE — is unique (a uniqueness certificate).
* τ = 0 (exact best responses): a linear objective plus the potential. Every maximiser is an
  exact MFE (a Nash equilibrium of the population game), found without identifying its
  support first: the interior-point method does that. π = ν/μ on the visited states.

The optional polish takes the conic solver's accuracy (about 1e-9 in ν) to round-off: Newton
on the soft equilibrium system, or for τ = 0 Newton on the support the program's Q identifies
(:mod:`smfe.system.support_newton`); kept only when it lowers the residual.

For stationary discounted games this does not hold (the stationary flow constraints and
discounted values do not come from one potential); :func:`check_convex` refuses them, as it
refuses Boltzmann responses, mean-field-dependent transitions and couplings that are not the
gradient of a concave potential.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.certification.certificate import Tolerances
from smfe.errors import FormulationError, InstanceError, SolveFailed, SolverUnavailable
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.game.potential import concave_potential
from smfe.game.price import Price
from smfe.solvers.mfe import MFESolution, evaluate_point, induced_policy, solve_mfe
from smfe.solvers.options import MFEOptions, OptionsBase
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
    "CLARABEL": {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12},
    "SCS": {"eps": 1e-9, "max_iters": 200_000},
    "ECOS": {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10},
}
SUPPORT_DELTA = 1e-8
"""Ties for the exact polish: the interior-point Q is accurate to about 1e-9, and genuine
slacks can be as small as 1e-6 (crowd motion), so actions within 1e-8 of the best are tied."""


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


def check_convex(game: Game) -> FloatArray:
    """The exposure ratios λ (one per price) if the MFE is a maximiser of the concave program
    of the module docstring; a FormulationError saying why not otherwise."""
    lam, why = concave_potential(game)
    if lam is None:
        raise FormulationError(why)
    return lam


def solve_convex(
    game: Game,
    options: ConvexOptions,
    theta: FloatArray | None,
    tolerances: Tolerances | None,
    progress: object = None,
) -> Result:
    """Method ``convex-mfe``: F3 at θ (default: the start of Θ), certified independently."""
    lam = check_convex(game)
    try:
        import cvxpy as cp
    except ImportError:
        raise SolverUnavailable("cvxpy is not installed") from None
    cg = compile_game(game)
    th = game.start() if theta is None else np.asarray(theta, dtype=np.float64)
    t0 = time.perf_counter()
    problem, x = _build(cg, th, lam)
    t_build = time.perf_counter() - t0
    solver = options.solver.upper()
    if solver not in cp.installed_solvers():
        raise SolverUnavailable(f"cvxpy solver {solver} is not installed")
    t1 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate": the status says so (stalled), and the message
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            problem.solve(solver=solver, **SOLVER_TOLERANCES.get(solver, {}))
    except cp.error.SolverError as exc:
        raise SolveFailed(f"{solver} failed: {exc}") from exc
    t_solve = time.perf_counter() - t1
    term, _ = CVXPY_STATUS.get(
        str(problem.status), (TerminationCondition.UNKNOWN, SolutionStatus.UNKNOWN)
    )
    if x.value is None:
        raise SolveFailed(f"{solver} returned no point (status {problem.status})")
    nu = np.maximum(np.asarray(x.value).reshape(cg.T, cg.n_sa), 0.0)
    resp, _, _, residual = evaluate_point(cg, th, nu)
    policy = induced_policy(cg, nu, resp.policy) if game.exact else resp.policy
    sol = MFESolution(
        theta=th,
        nu=nu,
        policy=policy,
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=residual,
        iterations=int(problem.solver_stats.num_iters or 0),
        termination=term,
    )
    polished = ""
    if options.polish:
        t2 = time.perf_counter()
        sol, polished = (_polish_exact if game.exact else _polish)(cg, th, sol)
        t_polish = time.perf_counter() - t2
    what = (
        "strictly concave program: the MFE at this θ is unique; π and V from the soft "
        "response at the program's ν"
        if not game.exact
        else "concave potential: the program's maximiser is an exact MFE; π = ν/μ"
    )
    timings = {"build": t_build, solver.lower(): t_solve}
    if options.polish:
        timings["polish"] = t_polish
    return build_result(
        cg,
        "convex-mfe",
        sol,
        termination=sol.termination,
        iterations=sol.iterations,
        leader_gradient=None,
        leader_optimised=False,
        timings=timings,
        history={},
        tolerances=tolerances,
        message=f"cvxpy/{solver}: {problem.status}; {what}{polished}",
    )


def _polish(cg: CompiledGame, theta: FloatArray, sol: MFESolution) -> tuple[MFESolution, str]:
    """Newton on the equilibrium system from the program's point (:func:`solve_mfe` warm-
    started at it: its Newton stage starts at once, the residual being far below
    ``newton_from``); the polished point if it is more consistent, and a note."""
    before = sol.residual
    try:
        new = solve_mfe(cg, theta, MFEOptions(max_iter=20, continuation=False), warm=sol)
    except SolveFailed as exc:
        return sol, f"; Newton polish failed ({exc})"
    if not new.residual < before:
        return sol, f"; Newton polish did not lower the residual {before:.1e}"
    note = f"; Newton-polished: consistency residual {before:.1e} → {new.residual:.1e}"
    return _polished(sol, new), note


def _polished(sol: MFESolution, new: MFESolution) -> MFESolution:
    """The polished point, converged if Newton converged (an "almost solved" conic point
    that Newton finishes is a converged method), else with the program's termination."""
    term = new.termination if new.termination == TerminationCondition.CONVERGED else None
    return replace(new, iterations=sol.iterations, termination=term or sol.termination)


def _polish_exact(cg: CompiledGame, theta: FloatArray, sol: MFESolution) -> tuple[MFESolution, str]:
    """Newton on the support the program's Q identifies (the ``mfe`` method's support
    polish, with its acceptance test); the polished point if it passes, and a note."""
    from smfe.solvers.run import support_polisher

    notes: list[str] = []
    attempt = support_polisher(cg, theta, MFEOptions(), notes, delta=SUPPORT_DELTA)
    new = None if attempt is None else attempt(sol)
    if new is None or not new.residual < sol.residual:
        why = notes[-1] if notes else "no support polish"
        return sol, f"; the point is kept ({why}; complementarity gap {sol.residual:.1e})"
    note = f"; support-Newton-polished: complementarity gap {sol.residual:.1e} → {new.residual:.1e}"
    return _polished(sol, new), note


def _build(cg: CompiledGame, theta: FloatArray, lam: FloatArray) -> tuple[Any, Any]:
    """The cvxpy problem of the module docstring, one variable ν_t per step (measured: on a
    soft Garnet game of 8,000 pair-steps Clarabel needs about 40 % fewer iterations than with
    one stacked variable); returns the problem and the stacked expression (ν_0, …, ν_{T−1})."""
    import cvxpy as cp_mod
    import scipy.sparse as sp

    g = cg.game
    T, gamma, tau = cg.T, cg.gamma, g.tau
    P = cg.transition(theta)
    r0 = cg.r_steps + (cg.R.T @ theta if g.n_theta else 0.0)
    w = cg.share[cg.sa_type]
    ST = sp.csr_array(cg.expand.T)
    PT = sp.csr_array(P.T)
    S_sa = sp.csr_array(cg.expand @ ST)
    G = sp.csr_array(cg.G)
    nus = [cp_mod.Variable(cg.n_sa, nonneg=True, name=f"nu{t}") for t in range(T)]
    cons = [ST @ nus[0] == cg.mu0]
    cons += [ST @ nus[t + 1] == PT @ nus[t] for t in range(T - 1)]
    obj: Any = 0
    for t in range(T):
        stage = (w * r0[t]) @ nus[t]
        if tau > 0.0:
            ent = cp_mod.rel_entr(nus[t], S_sa @ nus[t])
            stage = stage - tau * cp_mod.sum(cp_mod.multiply(w, ent))
        obj = obj + (gamma**t) * stage
    if g.n_prices and np.any(lam):
        z = cp_mod.hstack([G @ nus[t] for t in range(T)])
        disc = gamma ** np.arange(T)
        obj = obj + _potential(cp_mod, z, g.prices, (disc[:, None] * lam[None, :]).ravel())
    problem = cp_mod.Problem(cp_mod.Maximize(obj), cons)
    if not problem.is_dcp():  # check_convex admits only concave potentials: a defect here
        raise FormulationError("the potential program is not DCP (concave) as built")
    return problem, cp_mod.hstack(nus)


def _potential(cp: Any, z: Any, prices: tuple[Price, ...], coef: FloatArray) -> Any:
    """Σ_i coef_i Ψ_{m(i)}(z_i) over the stacked aggregates z = (z_0, …, z_{T−1}) (entry
    i = t·M + m, coef_i = γ^t λ_m), each primitive as its conic atom (module docstring)."""
    M = len(prices)
    n = coef.size
    m_of = np.arange(n) % M
    lin = coef * np.array([p.intercept for p in prices])[m_of]
    quad = coef * np.array([p.slope for p in prices])[m_of] / 2.0
    terms: list[Any] = []
    groups: dict[tuple[str, float], tuple[list[int], list[float], list[float]]] = {}

    def add(kind: str, key: float, i: NDArray[np.int64], c: FloatArray, b: float) -> None:
        idx, cs, bs = groups.setdefault((kind, key), ([], [], []))
        idx.extend(i.tolist())
        cs.extend(c.tolist())
        bs.extend([b] * i.size)

    for m, p in enumerate(prices):
        i = np.flatnonzero((m_of == m) & (coef != 0.0))
        if i.size == 0:
            continue
        c = coef[i]
        for cl, eps in p.log:  # c[(z + ε)log(z + ε) − z] = −c·entr(z + ε) − cz
            add("entr", 0.0, i, -cl * c, eps)
            lin[i] -= cl * c
        for a, b in p.rational:
            add("log", 0.0, i, a * c, b)
        for a, b, r in p.power:
            if r == -1.0:
                add("log", 0.0, i, a * c, b)
            elif r == 0.0:
                lin[i] += a * c
            else:
                add("power", r + 1.0, i, a * c / (r + 1.0), b)
        for ce, k in p.exp:
            if k == 0.0:
                lin[i] += ce * c
            else:
                add("exp", k, i, ce * c / k, 0.0)
    out = lin @ z
    if np.any(quad):
        out = out + cp.sum(cp.multiply(quad, cp.square(z)))
    for (kind, key), (idx, cs, bs) in groups.items():
        zi = z[np.asarray(idx)] + np.asarray(bs)
        if kind == "entr":
            atom = cp.entr(zi)
        elif kind == "log":
            atom = cp.log(zi)
        elif kind == "power":
            atom = cp.power(zi, key)
        else:
            atom = cp.exp(key * zi)
        terms.append(cp.sum(cp.multiply(np.asarray(cs), atom)))
    return out + sum(terms) if terms else out
