r"""F1 soft-NLP: the soft S-MFE as one smooth NLP (SPEC §5), no complementarity.

Variables θ, Q, V, π, ν, μ (and the aggregates z, leader measurements y); for every step t,
state x, pair (x, a) and price m:

.. math::
   Q_t(x,a) &= r(x,a;\theta,z_t) + \gamma\sum_{x'}P(x'|x,a;\theta)\,V_{t+1}(x')
      &&\text{(soft Bellman; stationary: } V_{t+1}=V_0\text{, finite: } V_T=0)\\
   \pi_t(a|x) &= \exp\big((Q_t(x,a) - V_t(x))/\tau\big),\quad \textstyle\sum_a\pi_t(a|x) = 1
      &&\text{(softmax; together } V_t = \tau\,\mathrm{LSE}(Q_t/\tau))\\
   \nu_t(x,a) &= \mu_t(x)\,\pi_t(a|x)
      &&\text{(policy)}\\
   \mu_{t+1}(x') &= \textstyle\sum_{x,a}P(x'|x,a;\theta)\,\nu_t(x,a),\ \mu_0 = \mu_{k,0}
      &&\text{(finite-horizon flow)}\\
   \mu(x') &= \textstyle\sum_{x,a}P(x'|x,a;\theta)\,\nu(x,a)\ (x'\neq x_k^0),\ \sum_{x\in k}\mu(x)=1
      &&\text{(stationary flow; one redundant row per type dropped)}\\
   z_{t,m} &= \textstyle\sum G_m\nu_t,\quad y_{t,i} = \sum (H^0_i + \sum_j\theta_jH_{i,j})\nu_t,
      &&\theta\in\Theta,

maximising the leader objective J(θ, y) — or nothing when θ is fixed and ``objective`` is
``"none"`` (the MFE alone). Bounds: π, ν, μ ∈ [0, 1] and |V|, |Q| by the proven bound of
:mod:`smfe.formulations.bounds`. Starting values from the iterative solver when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
from numpy.typing import NDArray

from smfe.errors import FormulationError, InstanceError
from smfe.formulations.bounds import aggregate_ranges, reward_bound, value_bound
from smfe.formulations.built import Built
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game, Response
from smfe.solvers.mfe import MFESolution

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SoftNLPOptions:
    """``theta``: fix θ at this value (the MFE alone) — ``None`` optimises θ over Θ.
    ``objective``: ``"leader"`` (J) or ``"none"`` (feasibility; only with θ fixed).
    ``start``: an iterative-solver solution used as the starting point."""

    theta: FloatArray | None = None
    objective: str = "leader"
    start: MFESolution | None = None


def _rows(mat: Any) -> list[tuple[NDArray[np.int64], FloatArray]]:
    csr = mat.tocsr()
    return [
        (
            csr.indices[csr.indptr[i] : csr.indptr[i + 1]],
            csr.data[csr.indptr[i] : csr.indptr[i + 1]],
        )
        for i in range(csr.shape[0])
    ]


def theta_affine_row(
    m: Any,
    rows0: list[tuple[NDArray[np.int64], FloatArray]],
    rows_theta: list[list[tuple[NDArray[np.int64], FloatArray]]],
    r: int,
    var: Callable[[int], Any],
) -> Any:
    """Σ_c (A⁰ + Σ_j θ_j A_j)[r, c]·var(c): a sparse row of a matrix affine in θ
    (the kernel P(θ) or its transpose) applied to model variables."""
    idx, val = rows0[r]
    e: Any = sum(float(v) * var(int(c)) for c, v in zip(idx, val, strict=True))
    for j, rows in enumerate(rows_theta):
        idx, val = rows[r]
        if idx.size:
            e += m.theta[j] * sum(float(v) * var(int(c)) for c, v in zip(idx, val, strict=True))
    return e


def add_decision(m: Any, cg: CompiledGame, theta: FloatArray | None) -> None:
    """θ ∈ Θ: bounds, A_eq θ = b_eq, A_ub θ <= b_ub; fixed when ``theta`` is given."""
    dec = cg.game.decision
    m.J = pyo.Set(initialize=range(dec.dim), ordered=True)

    def bounds(_: Any, j: int) -> tuple[float | None, float | None]:
        lo, up = dec.lower[j], dec.upper[j]
        return (lo if np.isfinite(lo) else None, up if np.isfinite(up) else None)

    start = cg.game.start() if theta is None else theta
    m.theta = pyo.Var(m.J, bounds=bounds, initialize=lambda _, j: float(start[j]))
    if theta is not None:
        m.theta.fix()
        return
    if dec.A_eq is not None and dec.b_eq is not None:
        A, b = dec.A_eq, dec.b_eq
        m.theta_eq = pyo.Constraint(
            range(A.shape[0]),
            rule=lambda _, i: sum(A[i, j] * m.theta[j] for j in np.flatnonzero(A[i])) == b[i],
        )
    if dec.A_ub is not None and dec.b_ub is not None:
        A, b = dec.A_ub, dec.b_ub
        m.theta_ub = pyo.Constraint(
            range(A.shape[0]),
            rule=lambda _, i: sum(A[i, j] * m.theta[j] for j in np.flatnonzero(A[i])) <= b[i],
        )


def add_mean_field(m: Any, cg: CompiledGame) -> None:
    """ν = μπ, the flow equations, the aggregates z and the leader measurements y."""
    T, finite = cg.T, cg.game.finite
    d = cg.game.n_theta
    P0T = _rows(cg.P0.T)
    PjT = [_rows(Pj.T) for Pj in cg.Pj]
    first = set(int(x) for x in cg.first_state)

    def inflow(t: int, x: int) -> Any:
        return theta_affine_row(m, P0T, PjT, x, lambda i: m.nu[t, i])

    m.policy = pyo.Constraint(
        m.T, m.SA, rule=lambda _, t, i: m.nu[t, i] == m.mu[t, int(cg.sa_state[i])] * m.pi[t, i]
    )
    if finite:
        mu0 = cg.mu0
        m.init = pyo.Constraint(m.S, rule=lambda _, x: m.mu[0, x] == float(mu0[x]))
        m.flow = pyo.Constraint(
            range(1, T), m.S, rule=lambda _, t, x: m.mu[t, x] == inflow(t - 1, x)
        )
    else:
        m.flow = pyo.Constraint(
            m.S, rule=lambda _, x: pyo.Constraint.Skip if x in first else m.mu[0, x] == inflow(0, x)
        )
        off = cg.state_off
        m.mass = pyo.Constraint(
            range(cg.n_types),
            rule=lambda _, k: sum(m.mu[0, x] for x in range(off[k], off[k + 1])) == 1.0,
        )
    G = _rows(cg.G)
    m.aggregate = pyo.Constraint(
        m.T,
        m.M,
        rule=lambda _, t, k: (
            m.z[t, k] == sum(float(v) * m.nu[t, int(i)] for i, v in zip(*G[k], strict=True))
        ),
    )
    H0 = _rows(cg.H0)
    Hth = _rows(cg.Hth)

    def measure(_: Any, t: int, i: int) -> Any:
        e = sum(float(v) * m.nu[t, int(s)] for s, v in zip(*H0[i], strict=True))
        for j in range(d):
            idx, val = Hth[i * d + j]
            if idx.size:
                e += m.theta[j] * sum(
                    float(v) * m.nu[t, int(s)] for s, v in zip(idx, val, strict=True)
                )
        return m.y[t, i] == e

    m.measure = pyo.Constraint(m.T, m.Y, rule=measure)


def reward_expression(m: Any, cg: CompiledGame, t: int, i: int) -> Any:
    """r_t(x,a) = r⁰ + Σ_j θ_j R_j + Σ_m p_m(z_t)(E⁰_m + Σ_j θ_j E_{m,j}) at pair i."""
    d, M = cg.game.n_theta, cg.game.n_prices
    e: Any = float(cg.r0[i])
    col_R = m._cols_R[i]
    e += sum(float(v) * m.theta[int(j)] for j, v in zip(*col_R, strict=True))
    if M:
        idx, val = m._cols_E0[i]
        for k, v in zip(idx, val, strict=True):
            e += float(v) * m.price[t, int(k)]
        idx, val = m._cols_Eth[i]
        for r, v in zip(idx, val, strict=True):
            k, j = divmod(int(r), d)
            e += float(v) * m.theta[j] * m.price[t, k]
    return e


def add_bellman(m: Any, cg: CompiledGame) -> None:
    """Q_t = r(θ, z_t) + γ P(θ) V_{t+1} for every pair (stationary: V_0; finite: V_T = 0)."""
    T, finite, gamma = cg.T, cg.game.finite, cg.gamma
    P0 = _rows(cg.P0)
    Pj = [_rows(P) for P in cg.Pj]

    def continuation(t: int, i: int) -> Any:
        if finite and t + 1 == T:
            return 0.0
        nxt = t + 1 if finite else 0
        return theta_affine_row(m, P0, Pj, i, lambda x: m.V[nxt, x])

    m.bellman = pyo.Constraint(
        m.T,
        m.SA,
        rule=lambda _, t, i: (
            m.Q[t, i] == reward_expression(m, cg, t, i) + gamma * continuation(t, i)
        ),
    )


def add_soft_response(m: Any, cg: CompiledGame) -> None:
    """The soft Bellman equation and the softmax policy (module docstring)."""
    tau = cg.game.tau
    add_bellman(m, cg)
    m.softmax = pyo.Constraint(
        m.T,
        m.SA,
        rule=lambda _, t, i: m.pi[t, i] == pyo.exp((m.Q[t, i] - m.V[t, int(cg.sa_state[i])]) / tau),
    )
    ptr = cg.state_sa_ptr
    m.normalise = pyo.Constraint(
        m.T, m.S, rule=lambda _, t, x: sum(m.pi[t, i] for i in range(ptr[x], ptr[x + 1])) == 1.0
    )


def add_objective(m: Any, cg: CompiledGame, kind: str) -> None:
    """maximise J = c₀ + cᵀθ + ½θᵀCθ + Σ_t (dᵀy_t + ½y_tᵀDy_t + θᵀBy_t), or nothing."""
    if kind == "none":
        m.objective = pyo.Objective(expr=0.0)
        return
    o = cg.game.objective
    e: Any = o.constant
    d, ny = cg.game.n_theta, cg.game.n_leader_aggregates
    if o.theta_linear is not None:
        e += sum(float(o.theta_linear[j]) * m.theta[j] for j in range(d) if o.theta_linear[j])
    if o.theta_quadratic is not None:
        C = o.theta_quadratic
        e += 0.5 * sum(
            float(C[a, b]) * m.theta[a] * m.theta[b] for a, b in zip(*np.nonzero(C), strict=True)
        )
    for t in range(cg.T):
        if o.y_linear is not None:
            e += sum(float(o.y_linear[i]) * m.y[t, i] for i in range(ny) if o.y_linear[i])
        if o.y_quadratic is not None:
            D = o.y_quadratic
            e += 0.5 * sum(
                float(D[a, b]) * m.y[t, a] * m.y[t, b] for a, b in zip(*np.nonzero(D), strict=True)
            )
        if o.theta_y is not None:
            B = o.theta_y
            e += sum(
                float(B[a, b]) * m.theta[a] * m.y[t, b] for a, b in zip(*np.nonzero(B), strict=True)
            )
    m.objective = pyo.Objective(expr=e, sense=pyo.maximize)


def base_model(cg: CompiledGame, theta: FloatArray | None, name: str) -> Any:
    """Sets, θ ∈ Θ, the distribution variables, z, y and prices (shared by all formulations)."""
    m = pyo.ConcreteModel(name=name)
    T = cg.T
    m.T = pyo.Set(initialize=range(T), ordered=True)
    m.S = pyo.Set(initialize=range(cg.n_s), ordered=True)
    m.SA = pyo.Set(initialize=range(cg.n_sa), ordered=True)
    m.M = pyo.Set(initialize=range(cg.game.n_prices), ordered=True)
    m.Y = pyo.Set(initialize=range(cg.game.n_leader_aggregates), ordered=True)
    add_decision(m, cg, theta)
    m.nu = pyo.Var(m.T, m.SA, bounds=(0.0, 1.0), initialize=0.0)
    m.mu = pyo.Var(m.T, m.S, bounds=(0.0, 1.0), initialize=0.0)
    zr = aggregate_ranges(cg)
    m.z = pyo.Var(
        m.T, m.M, bounds=lambda _, t, k: (float(zr[k, 0]), float(zr[k, 1])), initialize=0.0
    )
    m.y = pyo.Var(m.T, m.Y, initialize=0.0)

    def price(_: Any, t: int, k: int) -> Any:
        return cg.game.prices[k].evaluate(m.z[t, k], exp=pyo.exp, log=pyo.log)

    m.price = pyo.Expression(
        m.T,
        m.M,
        rule=price,
    )
    # column access to θ/price coefficients of each pair
    m._cols_R = _rows(cg.R.T)
    m._cols_E0 = _rows(cg.E0.T)
    m._cols_Eth = _rows(cg.Eth.T)
    return m


def add_value_variables(m: Any, cg: CompiledGame) -> None:
    """V (T × N_S), Q and π (T × N_SA) with the proven bounds of :mod:`.bounds`."""
    vb = value_bound(cg)
    qb = reward_bound(cg) + cg.gamma * vb
    vbounds = (-vb, vb) if np.isfinite(vb) else (None, None)
    qbounds = (-qb, qb) if np.isfinite(qb) else (None, None)
    m.V = pyo.Var(m.T, m.S, bounds=vbounds, initialize=0.0)
    m.Q = pyo.Var(m.T, m.SA, bounds=qbounds, initialize=0.0)
    m.pi = pyo.Var(m.T, m.SA, bounds=(0.0, 1.0), initialize=0.5)


def warm_start(m: Any, cg: CompiledGame, sol: MFESolution) -> None:
    """Set every variable to the iterative solution's value (V, Q, π, ν, μ, z, y)."""
    T = cg.T
    z = cg.aggregates(sol.nu)
    y = cg.leader_aggregates(sol.theta, sol.nu)
    for t in range(T):
        for x in range(cg.n_s):
            m.V[t, x].set_value(float(sol.value[t, x]), skip_validation=True)
            m.mu[t, x].set_value(float(sol.mu[t, x]), skip_validation=True)
        for i in range(cg.n_sa):
            m.Q[t, i].set_value(float(sol.q[t, i]), skip_validation=True)
            m.pi[t, i].set_value(float(sol.policy[t, i]), skip_validation=True)
            m.nu[t, i].set_value(float(sol.nu[t, i]), skip_validation=True)
        for k in range(cg.game.n_prices):
            m.z[t, k].set_value(float(z[t, k]), skip_validation=True)
        for k in range(cg.game.n_leader_aggregates):
            m.y[t, k].set_value(float(y[t, k]), skip_validation=True)
    for j in range(cg.game.n_theta):
        if not m.theta[j].fixed:
            m.theta[j].set_value(float(sol.theta[j]), skip_validation=True)


def build_soft_nlp(game: Game, options: SoftNLPOptions | None = None) -> Built:
    """Build F1 (module docstring) for ``game``; never calls a solver."""
    opts = options or SoftNLPOptions()
    if game.tau == 0.0 or game.response != Response.SOFT:
        raise FormulationError(
            "soft-nlp needs the soft response with τ > 0 (use mpec-scholtes for τ = 0)"
        )
    if opts.objective not in ("leader", "none"):
        raise InstanceError(
            "options.objective", f"must be 'leader' or 'none', got {opts.objective!r}"
        )
    if opts.objective == "none" and opts.theta is None and game.n_theta:
        raise InstanceError("options.objective", "'none' needs a fixed θ (options.theta)")
    cg = compile_game(game)
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    m = base_model(cg, theta, f"soft-nlp[{game.name}]")
    add_value_variables(m, cg)
    add_soft_response(m, cg)
    add_mean_field(m, cg)
    add_objective(m, cg, opts.objective)
    if opts.start is not None:
        warm_start(m, cg, opts.start)
    vb = value_bound(cg)
    notes = [f"|V| <= {vb:.4g} (proven bound)"] if np.isfinite(vb) else []
    return Built(model=m, cg=cg, formulation="soft-nlp", notes=notes)
