r"""The leader's outer loop: max_θ∈Θ J(θ, ν*(θ)) with ν*(θ) the MFE for θ (SPEC §4, §6).

Three methods share one line search and one stopping rule:

* ``pgd`` — projected gradient ascent with the total gradient by implicit differentiation of
  the soft MFE (:func:`smfe.solvers.sensitivity.implicit_gradient`);
* ``fd-pgd`` — the black-box variant: the gradient by central finite differences of J along
  a basis of Θ's affine hull, each evaluation re-solving the MFE (only population responses
  are observed);
* ``leader-pi`` — when Θ is a product of simplices (a leader that is itself an MDP with a
  randomised stationary policy): conservative policy iteration — move towards the greedy
  policy of the leader's Q-values (the gradient components per state) with a line search.

Steps are accepted by the Armijo rule :math:`J(\theta^+) \ge J(\theta) + 10^{-4}\nabla J^\top
(\theta^+ - \theta)`. Stop when the projected-gradient norm
:math:`\|\theta - \mathrm{Proj}_\Theta(\theta + \nabla J)\|_\infty` is below ``tol``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from smfe.errors import FormulationError
from smfe.game.compiled import CompiledGame
from smfe.game.model import Response
from smfe.game.projection import project
from smfe.solvers import sensitivity
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import LeaderOptions, MFEOptions
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]
ARMIJO = 1e-4


@dataclass
class LeaderRun:
    """The outcome of an outer loop: final θ, its MFE, and the histories."""

    theta: FloatArray
    mfe: MFESolution
    objective: float
    gradient: FloatArray
    stationarity: float
    iterations: int
    termination: TerminationCondition
    history: dict[str, list[float]] = field(default_factory=dict)
    mfe_solves: int = 0


def _affine_basis(cg: CompiledGame) -> FloatArray:
    dec = cg.game.decision
    if dec.A_eq is None:
        return np.eye(dec.dim)
    return np.asarray(scipy.linalg.null_space(dec.A_eq))


def fd_jacobian(
    cg: CompiledGame,
    theta: FloatArray,
    sol: MFESolution,
    opts: MFEOptions,
    h: float,
    fn: Callable[[FloatArray, FloatArray], FloatArray],
) -> tuple[FloatArray, int]:
    """Central differences (k, d) of ``fn(θ, ν*(θ))`` (k values) along a basis of Θ's affine
    hull, each evaluation re-solving the MFE; one-sided at bounds. Returns (jacobian, solves)."""
    dec = cg.game.decision
    basis = _affine_basis(cg)
    tight = MFEOptions.from_dict({**opts.__dict__, "tol": min(opts.tol, 1e-12)})
    jac: FloatArray | None = None
    solves = 0

    def at(th: FloatArray) -> FloatArray:
        nonlocal solves
        solves += 1
        s = solve_mfe(cg, th, tight, warm=sol)
        return np.atleast_1d(np.asarray(fn(th, s.nu), dtype=np.float64))

    f0: FloatArray | None = None
    for i in range(basis.shape[1]):
        e = basis[:, i]
        up_ok = dec.violation(theta + h * e) <= 1e-12
        dn_ok = dec.violation(theta - h * e) <= 1e-12
        if up_ok and dn_ok:
            slope = (at(theta + h * e) - at(theta - h * e)) / (2 * h)
        elif up_ok or dn_ok:
            if f0 is None:
                f0 = at(theta)
            slope = (at(theta + h * e) - f0) / h if up_ok else (f0 - at(theta - h * e)) / h
        else:
            continue
        jac = np.outer(slope, e) if jac is None else jac + np.outer(slope, e)
    if jac is None:
        k = np.atleast_1d(fn(theta, sol.nu)).size
        jac = np.zeros((k, dec.dim))
    return jac, solves


def fd_gradient(
    cg: CompiledGame, theta: FloatArray, sol: MFESolution, opts: MFEOptions, h: float
) -> tuple[FloatArray, int]:
    """Central differences of J(θ, ν*(θ)) (:func:`fd_jacobian` of the objective)."""
    jac, solves = fd_jacobian(
        cg, theta, sol, opts, h, lambda th, nu: np.array([cg.objective(th, nu)])
    )
    return jac[0], solves


def _total(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    V: FloatArray | None,
    partials: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    values: Callable[[FloatArray, FloatArray], FloatArray],
    opts: MFEOptions | None,
    h: float,
) -> FloatArray:
    """Total derivatives (k, d) of k functions φ(θ, ν*(θ)) given their ``partials``
    ((k, d), (k, T, N_SA)) and ``values``: implicit differentiation for soft responses,
    else finite differences of re-solved MFEs."""
    g = cg.game
    if g.tau > 0.0 and g.response == Response.SOFT and V is not None:
        gth, gnu = partials(theta, nu)
        return sensitivity.implicit_gradients(cg, theta, V, nu, gth, gnu)
    opts = opts or MFEOptions()
    sol = solve_mfe(cg, theta, opts)
    return fd_jacobian(cg, theta, sol, opts, h, values)[0]


def total_gradient(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    V: FloatArray | None,
    opts: MFEOptions | None = None,
    h: float = 1e-5,
) -> FloatArray:
    """∇_θ J(θ, ν*(θ)) (:func:`_total` of the leader objective)."""

    def partials(th: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
        gth, gnu = cg.objective_gradients(th, n)
        return gth[None, :], gnu[None]

    def value(th: FloatArray, n: FloatArray) -> FloatArray:
        return np.array([cg.objective(th, n)])

    return _total(cg, theta, nu, V, partials, value, opts, h)[0]


def constraint_jacobian(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    V: FloatArray | None,
    opts: MFEOptions | None = None,
    h: float = 1e-5,
) -> FloatArray:
    """Total derivatives (n_c, d) of the leader constraints g(θ, ȳ(ν*(θ))) (:func:`_total`)."""
    if not cg.game.constraints:
        return np.zeros((0, cg.game.n_theta))
    return _total(cg, theta, nu, V, cg.constraint_partials, cg.constraint_values, opts, h)


def stationarity(cg: CompiledGame, theta: FloatArray, grad: FloatArray) -> float:
    return float(np.abs(theta - project(cg.game.decision, theta + grad)).max(initial=0.0))


def run_leader(
    cg: CompiledGame,
    method: str,
    opts: LeaderOptions,
    theta0: FloatArray | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> LeaderRun:
    """Run the outer loop ``method`` in {"pgd", "fd-pgd", "leader-pi"} (module docstring)."""
    g = cg.game
    dec = g.decision
    if g.constraints:
        raise FormulationError(
            f"method {method!r} moves θ by projection onto Θ and cannot keep the leader "
            "constraints on the mean field; use method 'sqp'"
        )
    if method == "pgd":
        sensitivity.require_soft(cg, "method 'pgd' (implicit gradient)")
    blocks = dec.simplex_blocks()
    if method == "leader-pi" and blocks is None:
        raise FormulationError(
            "method 'leader-pi' needs Θ to be a product of simplices (a leader MDP policy)"
        )
    t0 = time.perf_counter()
    theta = np.array(g.start() if theta0 is None else theta0, dtype=np.float64)
    mfe_opts = opts.mfe
    sol = solve_mfe(cg, theta, mfe_opts)
    solves = 1
    J = cg.objective(theta, sol.nu)

    def gradient(th: FloatArray, s: MFESolution) -> FloatArray:
        nonlocal solves
        if method == "pgd" or (method == "leader-pi" and g.response == Response.SOFT and g.tau > 0):
            return sensitivity.implicit_gradient(cg, th, s.value, s.nu)
        gr, k = fd_gradient(cg, th, s, mfe_opts, opts.fd_step)
        solves += k
        return gr

    grad = gradient(theta, sol)
    hist: dict[str, list[float]] = {
        "objective": [J],
        "stationarity": [],
        "step": [],
        "mfe_residual": [sol.residual],
    }
    step = opts.step
    term = TerminationCondition.ITERATION_LIMIT
    it = 0
    stalls = 0
    while True:
        pg = stationarity(cg, theta, grad)
        hist["stationarity"].append(pg)
        if progress is not None:
            progress(it, J, pg)
        stop = _stop(sol, pg, it, time.perf_counter() - t0, opts)
        if stop is not None:
            term = stop
            break
        it += 1
        direction = _policy_step(blocks, grad, theta) if method == "leader-pi" else None
        found = _armijo(
            cg, theta, J, grad, direction, 1.0 if direction is not None else step, sol, mfe_opts
        )
        solves += found.solves
        if found.point is None:
            term = TerminationCondition.STALLED
            break
        cand, sol_c, J_c, s = found.point
        hist["step"].append(s)
        if direction is None:
            step = min(2.0 * s, 1e6)
        # progress below floating-point resolution of J cannot be certified: count it as a stall
        flat = J_c - J <= 1e-15 * max(1.0, abs(J))
        stalls = stalls + 1 if flat else 0
        if stalls >= 5:
            term = TerminationCondition.STALLED
            break
        theta, sol, J = cand, sol_c, J_c
        hist["objective"].append(J)
        hist["mfe_residual"].append(sol.residual)
        grad = gradient(theta, sol)
    return LeaderRun(theta, sol, J, grad, hist["stationarity"][-1], it, term, hist, solves)


def _policy_step(
    blocks: list[NDArray[np.int64]] | None, grad: FloatArray, theta: FloatArray
) -> FloatArray:
    """Conservative policy iteration: towards the greedy vertex of every simplex block."""
    assert blocks is not None
    target = np.zeros_like(theta)
    for b in blocks:
        target[b[int(np.argmax(grad[b]))]] = 1.0
    return target - theta


@dataclass(frozen=True)
class _Found:
    """An Armijo search's accepted point (θ, MFE, J, step), or None, and its MFE solves."""

    point: tuple[FloatArray, MFESolution, float, float] | None
    solves: int


def _armijo(
    cg: CompiledGame,
    theta: FloatArray,
    J: float,
    grad: FloatArray,
    direction: FloatArray | None,
    s: float,
    sol: MFESolution,
    mfe_opts: MFEOptions,
) -> _Found:
    """Backtrack from step ``s`` along ``direction`` (or the projected gradient) until
    J(θ') ≥ J + ARMIJO·∇Jᵀ(θ' − θ) with a converged MFE at θ'."""
    solves = 0
    while s > 1e-12:
        cand = (
            theta + s * direction
            if direction is not None
            else project(cg.game.decision, theta + s * grad)
        )
        sol_c = solve_mfe(cg, cand, mfe_opts, warm=sol)
        solves += 1
        J_c = cg.objective(cand, sol_c.nu)
        if sol_c.termination == TerminationCondition.CONVERGED and J_c >= J + ARMIJO * float(
            grad @ (cand - theta)
        ):
            return _Found((cand, sol_c, J_c, s), solves)
        s *= 0.5
    return _Found(None, solves)


def _stop(
    sol: MFESolution, pg: float, it: int, elapsed: float, opts: LeaderOptions
) -> TerminationCondition | None:
    """Why the outer loop stops at this iterate, or None to go on."""
    if sol.termination != TerminationCondition.CONVERGED:
        return TerminationCondition.NUMERICAL_ERROR
    if pg <= opts.tol:
        return TerminationCondition.CONVERGED
    if it >= opts.max_iter:
        return TerminationCondition.ITERATION_LIMIT
    if elapsed > opts.time_limit:
        return TerminationCondition.TIME_LIMIT
    return None
