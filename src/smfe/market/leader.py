r"""The tariff problem in the leader's reduced space: θ ↦ MFE(θ) ↦ Φ, with exact gradients.

For each tariff θ the followers' soft MFE u(θ) = (V, ν, z) is computed by the iterative
solver (warm-started, Newton-polished) and the market quantities follow from y = Hν and
N = z. The leader problem

.. math::  \max_{l\le\theta\le u}\ \Phi(\theta, y(\theta), N(\theta))
           \quad\text{s.t.}\quad g(\theta) = \mathrm{revenue} - R\ \{=,\ \ge\}\ 0

is solved by SLSQP (SciPy) on θ alone. Total derivatives come from the implicit function
theorem on the MFE system F(u; θ) = 0 of :mod:`smfe.solvers.sensitivity`: with
:math:`(\partial_u F)^\top\lambda = \partial_u\Phi`,
:math:`\mathrm d\Phi/\mathrm d\theta = \partial_\theta\Phi - (\partial_\theta F)^\top\lambda`
(the same for g and the rules' rows; all right-hand sides share one factorisation, by block
elimination: :mod:`smfe.solvers.block_solve`). With
more rows than tariff components (a commission's 24 peak and 48 ramp rows), the forward
sensitivities :math:`\partial_u F\,\mathrm du/\mathrm d\theta = -\partial_\theta F` (one
right-hand side per component) give the same totals,
:math:`\partial_\theta\Phi + (\partial_u\Phi)^\top\mathrm du/\mathrm d\theta`, at less
cost. The partial derivatives of Φ and g in (θ, y, N) are exact (CasADi's algorithmic
differentiation of :func:`smfe.market.metrics.outcomes`).

The answer is certified by the first-order conditions, measured at a freshly solved MFE:
the multiplier of g is fitted by least squares on the free components of θ, and the KKT
residual is the largest violation of stationarity (free components) or of the sign
conditions (components at a bound).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import minimize

from smfe import threads
from smfe.certification.kkt import kkt_point
from smfe.errors import SolveFailed
from smfe.game.compiled import compile_game
from smfe.game.decision import Decision
from smfe.market.game import MarketGame
from smfe.market.metrics import REVENUE_BOUNDS, Weights, objective, outcomes
from smfe.market.rules import Rules
from smfe.solvers import linalg
from smfe.solvers.mfe import MFESolution, predicted_start, solve_mfe
from smfe.solvers.options import Averaging, MFEOptions
from smfe.solvers.sensitivity import layout, linearise, state_vector
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]
DIRECT_LIMIT = 200_000
"""Market kernels are banded by the clock in the state: the state-level systems (policy
evaluation, stationary flow, the block elimination's factors) barely fill in, so they are
factorised up to this size rather than solved by GMRES (3,864 unknowns: 0.16 s by LU against
0.49 s by GMRES, measured)."""


PREDICT_STEP = 1e-2
"""Largest tariff step (max-norm) over which the MFE is warm-started from the forward
sensitivities. On the utility market: a step of 1e-3 starts the fixed point at residual 8e-6
instead of 1.1e-2 (3 instead of 6 iterations), 1e-2 at 8e-4 instead of 0.11 (4 instead of 6);
but at the SLSQP's early steps (0.07–0.27) the linear prediction started it further out than
the last MFE did (residual 13–17 against ~4; 22 iterations once; measured)."""


AVERAGING = Averaging.ANDERSON
"""The market MFE's fixed point is Anderson-accelerated (:mod:`smfe.solvers.anderson`). On
the utility market, warm-started at the SQP's tariff steps of 0.06–0.26, it needs 7–10
instead of 10–18 iterations (4–6 s instead of 5–8 s; cold: 11 instead of 22; measured)."""


@dataclass(frozen=True, eq=False)
class MarketPoint:
    """A tariff, its certified-to-``tol`` MFE and the market numbers (floats)."""

    theta: FloatArray
    mfe: MFESolution
    outcomes: dict[str, Any]
    value: float
    gap: float
    grad_value: FloatArray | None = None
    grad_gap: FloatArray | None = None
    rules: FloatArray = field(default_factory=lambda: np.zeros(0))
    """The tariff rules' rows r(θ) ≤ 0 (:mod:`smfe.market.rules`) and their total gradients."""
    grad_rules: FloatArray | None = None


def _float_outcomes(out: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else float(v))
        for k, v in out.items()
    }


class MarketEvaluator:
    """Φ(θ), g(θ) and their gradients through the followers' MFE (module docstring)."""

    def __init__(
        self, mg: MarketGame, weights: Weights, tol: float = 1e-10, rules: Rules | None = None
    ) -> None:
        self.mg, self.weights, self.tol = mg, weights, tol
        self.rules = rules or Rules()
        self.bound = mg.bind(self.rules)
        self.cg = compile_game(mg.game)
        with threads.CASADI:
            self._fn, self.rules_count = self._function()
        self.reference = np.zeros(len(mg.market.groups))
        """The groups' reference bills ($/day) of the bill-impact cap (set by the caller)."""
        self._warm: MFESolution | None = None
        self._sensitivity: tuple[MFESolution, FloatArray] | None = None
        """The last point's MFE and its forward sensitivities du/dθ: a first-order warm
        start for the next θ (:func:`smfe.solvers.mfe.predicted_start`)."""
        self.evaluations = 0
        self.mfe_seconds = 0.0
        self._factors = linalg.Factors()
        """The last policy-evaluation LU, refined on by the next MFE solves (see
        :data:`smfe.solvers.linalg.REFINE_STEPS`)."""

    def _function(self) -> tuple[Any, int]:
        """(Φ, g, ∇Φ, ∇g, rules, ∂rules) of (θ, y, N, reference bills) as one CasADi
        function, and the number of rule rows; the caller holds :data:`smfe.threads.CASADI`."""
        import casadi as ca

        mg = self.mg
        d, ny, G = mg.game.n_theta, mg.n_y, len(mg.market.groups)
        th, y, N = ca.SX.sym("theta", d), ca.SX.sym("y", ny), ca.SX.sym("N", 24)
        ref = ca.SX.sym("reference", G)
        out = outcomes(
            mg,
            [th[j] for j in range(d)],
            [y[i] for i in range(ny)],
            [N[h] for h in range(24)],
            exp=ca.exp,
            log=ca.log,
        )
        phi, gap = objective(out, self.weights), out["revenue_gap"]
        rows = self.bound.rows(out, [ref[g] for g in range(G)])
        r = ca.vertcat(*rows) if rows else ca.SX(0, 1)
        args = ca.vertcat(th, y, N)
        fn = ca.Function(
            "phi",
            [th, y, N, ref],
            [phi, gap, ca.gradient(phi, args), ca.gradient(gap, args), r, ca.jacobian(r, args)],
        )
        return fn, len(rows)

    def fork(self) -> MarketEvaluator:
        """An evaluator of the same problem for another thread: it shares the compiled game
        and the CasADi function (built once, here), and has its own warm starts, counters
        and reference bills."""
        twin = copy.copy(self)
        twin._warm, twin._sensitivity = None, None
        twin.evaluations, twin.mfe_seconds = 0, 0.0
        twin._factors = linalg.Factors()
        twin.reference = self.reference.copy()
        return twin

    def warm_start(self, sol: MFESolution) -> None:
        """Start the next MFE solve from ``sol`` (e.g. a baseline's, at the same tariff)."""
        self._warm, self._sensitivity = sol, None

    def mfe(self, theta: FloatArray) -> MFESolution:
        t0 = time.perf_counter()
        warm = self._warm
        if (
            self._sensitivity is not None
            and self._sensitivity[0] is warm
            and warm is not None
            and np.abs(theta - warm.theta).max() <= PREDICT_STEP
        ):
            warm = predicted_start(self.cg, warm, self._sensitivity[1], theta - warm.theta)
        with linalg.direct_solves_up_to(DIRECT_LIMIT), linalg.reusing(self._factors):
            sol = solve_mfe(
                self.cg, theta, MFEOptions(tol=self.tol, averaging=AVERAGING), warm=warm
            )
        self.mfe_seconds += time.perf_counter() - t0
        if sol.termination != TerminationCondition.CONVERGED:
            raise SolveFailed(
                f"the followers' MFE did not converge at θ={np.round(theta, 6).tolist()} "
                f"(residual {sol.residual:.2e}, {sol.termination.value})"
            )
        self._warm = sol
        return sol

    def point(self, theta: FloatArray, gradients: bool = True) -> MarketPoint:
        """The MFE at θ and the market numbers; with ``gradients``, their total gradients."""
        theta = np.asarray(theta, dtype=np.float64)
        self.evaluations += 1
        sol = self.mfe(theta)
        _, _, phi, gap, rules, _ = self._partials(theta, sol)
        p = MarketPoint(theta, sol, self._outcomes(theta, sol), phi, gap, rules=rules)
        return self.differentiate(p) if gradients else p

    def _aggregates(self, theta: FloatArray, sol: MFESolution) -> tuple[FloatArray, FloatArray]:
        return self.cg.leader_aggregates(theta, sol.nu)[0], self.cg.aggregates(sol.nu)[0]

    def _outcomes(self, theta: FloatArray, sol: MFESolution) -> dict[str, Any]:
        return _float_outcomes(outcomes(self.mg, theta, *self._aggregates(theta, sol)))

    def _partials(
        self, theta: FloatArray, sol: MFESolution
    ) -> tuple[FloatArray, FloatArray, float, float, FloatArray, FloatArray]:
        """(y, N, Φ, g, rules, ∂(Φ, g, rules)/∂(θ, y, N)) at the MFE ``sol``."""
        y, N = self._aggregates(theta, sol)
        with threads.CASADI:
            values = self._fn(theta, y, N, self.reference)
        phi, gap, dphi, dgap, r, dr = (np.asarray(v, dtype=np.float64) for v in values)
        rules = r.ravel()
        partial = np.vstack([dphi.ravel(), dgap.ravel(), dr.reshape(rules.size, dphi.size)])
        return y, N, float(phi.ravel()[0]), float(gap.ravel()[0]), rules, partial

    def differentiate(self, p: MarketPoint) -> MarketPoint:
        """``p`` with the total gradients of Φ, g and the rules (module docstring)."""
        if p.grad_value is not None:
            return p
        theta, sol, cg = p.theta, p.mfe, self.cg
        y, _, _, _, _, partial = self._partials(theta, sol)
        d, ny = theta.size, y.size
        lay = layout(cg)
        with linalg.direct_solves_up_to(DIRECT_LIMIT):
            lin = linearise(
                cg, theta, state_vector(cg, sol.value, sol.nu), jacobian=True, theta_jacobian=True
            )
        assert lin.grid is not None and lin.Jtheta is not None
        if partial.shape[0] > d:  # more rows than tariff components: forward sensitivities
            du = lin.solve(
                -np.asarray(sp.csc_array(lin.Jtheta).todense()),
                what="sensitivity of the market MFE",
            )
            _, dnu, dz = (b[0] for b in lay.unpack_columns(du))
            # chain rule through y = H0 ν and N = z, without a dense row per rule
            total = partial[:, :d] + partial[:, d : d + ny] @ (cg.H0 @ dnu)
            total += partial[:, d + ny :] @ dz
            self._sensitivity = (sol, du)
        else:  # adjoint: one right-hand side per row
            rhs = np.column_stack(
                [
                    lay.pack(
                        np.zeros((1, cg.n_s)), (cg.H0.T @ g[d : d + ny])[None, :], g[d + ny :][None]
                    )
                    for g in partial
                ]
            )
            lam = lin.solve(rhs, what="adjoint of the market MFE", transposed=True)
            total = partial[:, :d] - (lin.Jtheta.T @ lam).T
        return replace(p, grad_value=total[0], grad_gap=total[1], grad_rules=total[2:])


@dataclass(frozen=True)
class KKT:
    """First-order conditions of the reduced leader problem at θ: the residual (relative to
    max(1, ‖∇Φ‖∞)), the revenue row's multiplier, the rules' shadow prices by name and the
    binding bounds and rules."""

    residual: float
    multiplier: float
    active: tuple[str, ...]
    scale: float = 1.0
    notes: list[str] = field(default_factory=list)
    shadow_prices: dict[str, float] = field(default_factory=dict)


def kkt(
    point: MarketPoint,
    decision: Decision,
    revenue: str,
    rule_names: tuple[str, ...] = (),
) -> KKT:
    """KKT residual of max Φ s.t. revenue gap {=, ≥} 0, rules ≤ 0, θ ∈ Θ, with multipliers
    fitted by :func:`smfe.certification.kkt.kkt_point` (module docstring)."""
    assert point.grad_value is not None and point.grad_gap is not None
    th, gphi = point.theta, point.grad_value
    n_rules = point.rules.size
    jac = [] if point.grad_rules is None else list(point.grad_rules)
    values, lower, upper = list(point.rules), [-np.inf] * n_rules, [0.0] * n_rules
    names = list(rule_names)
    if revenue in REVENUE_BOUNDS:
        jac.insert(0, point.grad_gap)
        values.insert(0, point.gap)
        lower.insert(0, REVENUE_BOUNDS[revenue][0])
        upper.insert(0, REVENUE_BOUNDS[revenue][1])
        names.insert(0, "revenue")
    fit = kkt_point(
        decision,
        th,
        gphi,
        np.array(jac).reshape(len(values), th.size),
        np.array(values),
        np.array(lower),
        np.array(upper),
        tuple(names),
    )
    scale = max(1.0, float(np.abs(gphi).max()))
    lam = dict(zip(names, (float(v) for v in fit.multipliers), strict=True))
    mult = lam.pop("revenue", 0.0)
    bounds = tuple(
        n + ("=lo" if lo else "=up")
        for n, lo, up in zip(
            decision.names, th <= decision.lower + 1e-7, th >= decision.upper - 1e-7, strict=True
        )
        if lo or up
    )
    active = bounds + tuple(a for a in fit.active if not a.startswith("revenue"))
    return KKT(fit.residual / scale, mult, active, scale, shadow_prices=lam)


def optimise(
    ev: MarketEvaluator,
    start: FloatArray,
    *,
    max_iter: int = 100,
    ftol: float = 1e-10,
    progress: Callable[[int, MarketPoint], None] | None = None,
) -> tuple[MarketPoint, dict[str, Any]]:
    """SLSQP on θ from ``start``; returns the final point (with gradients) and SciPy's report."""
    dec = ev.mg.game.decision
    cache: dict[bytes, MarketPoint] = {}

    def at(x: FloatArray, gradients: bool = False) -> MarketPoint:
        """The point at x; its gradients only when SLSQP asks (not at line-search trials)."""
        key = np.asarray(x, dtype=np.float64).tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = ev.point(np.clip(x, dec.lower, dec.upper), gradients=False)
        if gradients:
            cache[key] = ev.differentiate(cache[key])
        return cache[key]

    it = [0]

    def callback(x: FloatArray) -> None:
        it[0] += 1
        if progress is not None:
            progress(it[0], at(x))

    cons: list[dict[str, Any]] = []
    mode = ev.weights.revenue
    if mode != "off":
        cons.append(
            {
                "type": "eq" if mode == "equal" else "ineq",
                "fun": lambda x: at(x).gap,
                "jac": lambda x: at(x, True).grad_gap,
            }
        )
    for i in range(ev.rules_count):
        cons.append(
            {
                "type": "ineq",
                "fun": lambda x, i=i: -at(x).rules[i],
                "jac": lambda x, i=i: -np.asarray(at(x, True).grad_rules)[i],
            }
        )
    res = minimize(
        lambda x: -at(x).value,
        np.clip(start, dec.lower, dec.upper),
        jac=lambda x: -np.asarray(at(x, True).grad_value),
        method="SLSQP",
        bounds=list(zip(dec.lower, dec.upper, strict=True)),
        constraints=cons,
        callback=callback,
        options={"maxiter": max_iter, "ftol": ftol},
    )
    # the last point asked for is the answer's (same θ, same MFE): no second solve
    final = at(res.x, True)
    report = {
        "success": bool(res.success),
        "message": str(res.message),
        "iterations": int(res.nit),
        "evaluations": ev.evaluations,
    }
    return final, report
