r"""F2b: the exact S-MFE over a finite menu of leader decisions as a big-M MILP (HiGHS).

Applies when the followers play an exact best response (τ = 0), rewards are affine in θ and
in the aggregates (affine prices, no θ·price terms), transitions do not depend on θ, the
leader picks θ from a finite menu {θ⁽¹⁾, …, θ⁽ᴷ⁾} and the leader objective has no quadratic
term in y (θ-only quadratics are fine: they are constants per menu entry). Otherwise
:func:`check_milp` raises a :class:`~smfe.errors.FormulationError` saying which condition
fails — nothing is dropped silently.

Model (every step t; stationary: t = 0 and V_{t+1} = V_0; finite: V_T = 0):

.. math::
   \textstyle\sum_k\delta_k = 1,\ \delta\in\{0,1\}^K,\quad \theta = \sum_k\delta_k\theta^{(k)},\\
   Q_t = r^0 + R^\top\theta + E^{0\top}(\alpha + \beta\odot z_t) + \gamma P V_{t+1},\quad
   z_t = G\nu_t,\quad V_t(x)\ \ge\ Q_t(x,a),\\
   \nu_t(x,a) \le b_t(x,a),\quad V_t(x) - Q_t(x,a) \le M\,(1 - b_t(x,a)),\quad b\in\{0,1\},

with the flow equations on ν (linear). The big-M is derived from proven bounds, never typed
in: per row, :math:`M_t(x,a) = V^{hi}_t(x) - Q^{lo}_t(x,a)` from rewards bounded over the
menu's box of θ and propagated through the (θ- and mean-field-free) kernel
(:func:`smfe.system.bounds.gap_bounds`) — measured 2–6 against the global 13 on a 12 × 3
horizon-3 Garnet game —, else the global :math:`M = \bar V + \bar Q` with
:math:`|V|\le\bar V`, :math:`|Q|\le\bar Q` (:mod:`smfe.system.bounds`); after the solve
no ``V − Q ≤ M(1 − b)`` may be tight at its M (checked, a typed error otherwise). The leader
measurements that multiply θ with ν are linearised exactly with :math:`w_{k} = \delta_k\nu`
(binary × [0, 1]): :math:`w_k\le\nu,\ w_k\le\delta_k,\ w_k\ge\nu-(1-\delta_k),\ w_k\ge0`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError, InstanceError
from smfe.formulations.built import Built
from smfe.game.compiled import CompiledGame, compile_game
from smfe.game.model import Game
from smfe.system import SystemOptions, assemble
from smfe.system.bounds import gap_bounds, reward_bound, value_bound

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Menu:
    """A finite list of leader decisions (rows), each inside Θ."""

    entries: FloatArray

    @classmethod
    def grid(cls, values: Sequence[Sequence[float]]) -> Menu:
        """The Cartesian product of per-component value lists."""
        return cls(np.array(list(itertools.product(*values)), dtype=np.float64))

    def validated(self, game: Game) -> FloatArray:
        e = np.atleast_2d(np.asarray(self.entries, dtype=np.float64))
        if e.shape[1] != game.n_theta or e.shape[0] == 0:
            raise InstanceError("menu", f"has shape {e.shape}, expected (K >= 1, {game.n_theta})")
        for k, row in enumerate(e):
            if game.decision.violation(row) > 1e-9:
                raise InstanceError("menu", "entry is outside the decision set", k)
        return e


def check_milp(game: Game) -> None:
    """Raise FormulationError unless the game fits F2b (module docstring)."""
    why = linear_obstacles(game)
    quadratic = [c.name for c in game.constraints if c.quadratic]
    if quadratic:
        why.append(f"leader constraints {quadratic} are quadratic (affine ones are taken)")
    D = game.objective.y_quadratic
    if D is not None and np.any(D):
        why.append(
            "the leader objective is quadratic in the mean-field measurements y "
            "(piecewise linearisation not implemented)"
        )
    if why:
        raise FormulationError("the big-M MILP cannot take this game: " + "; ".join(why))


def linear_obstacles(game: Game) -> list[str]:
    """Why the exact equilibrium rows are not linear in (V, Q, ν, z) for fixed binaries —
    the conditions of the big-M forms (this MILP, the ``global`` method's exact route)."""
    why = []
    if any(t.transition_theta for t in game.types):
        why.append("transitions depend on θ")
    if game.mean_field_dynamics:
        why.append(
            "transitions depend on the mean field (bilinear flow constraints z·ν are not linear)"
        )
    if any(p.curvature != 0.0 for p in game.prices):
        why.append(
            "a price is quadratic in its aggregate (piecewise linearisation not implemented)"
        )
    if any(p.kinks for p in game.prices):
        why.append("a price has (smoothed) kinks — a merit-order curve")
    if any(p.transcendental for p in game.prices):
        why.append("a price has log, rational, power or exp terms (nonlinear in its aggregate)")
    if any(t.exposure_theta is not None and np.any(t.exposure_theta) for t in game.types):
        why.append("rewards contain θ × price products")
    return why


def big_m(cg: CompiledGame) -> float:
    """M = bound on V + bound on Q: V − Q can never exceed it."""
    vb = value_bound(cg)
    qb = reward_bound(cg) + cg.gamma * vb
    if not np.isfinite(vb + qb):
        raise FormulationError("the big-M MILP needs bounded rewards (finite bounds on θ)")
    return float(vb + qb)


def build_milp(game: Game, menu: Menu, route: str = "bigm") -> Built:
    """Build F2b for the exact-response version of ``game`` over ``menu``.

    ``route="bigm"`` writes the binaries and big-M rows above; ``route="gdp"`` states the
    complementarity with ``pyomo.mpec`` and lets Pyomo's ``mpec.simple_disjunction`` and
    ``gdp.bigm`` transformations produce the MILP, with the same derived M.
    """
    if route not in ("bigm", "gdp"):
        raise InstanceError("options.route", f"must be 'bigm' or 'gdp', got {route!r}")
    check_milp(game)
    from dataclasses import replace

    exact = game if game.tau == 0.0 else replace(game, tau=0.0)
    cg = compile_game(exact)
    entries = menu.validated(exact)
    K = entries.shape[0]
    M = big_m(cg)
    vb = value_bound(cg)
    rows, how = row_big_m(cg, entries.min(axis=0), entries.max(axis=0))
    from smfe.system.to_pyomo import to_pyomo

    # the linear rows of the equilibrium system: bellman, dominance, marginal, flow, aggregates
    system = assemble(cg, SystemOptions("linear"))
    m = to_pyomo(system, f"milp[{game.name}]", objective=False)
    m.K = pyo.Set(initialize=range(K), ordered=True)
    m.delta = pyo.Var(m.K, within=pyo.Binary)
    m.choose = pyo.Constraint(expr=sum(m.delta[k] for k in m.K) == 1)
    m.theta_menu = pyo.Constraint(
        m.J, rule=lambda _, j: m.theta[j] == sum(float(entries[k, j]) * m.delta[k] for k in m.K)
    )
    state = cg.sa_state
    if route == "bigm":  # V ≥ Q is the system's ``dominance`` block
        add_support_binaries(m, cg, rows)
    else:
        from pyomo.mpec import Complementarity, complements

        m.exact = Complementarity(
            m.T,
            m.SA,
            rule=lambda _, t, i: complements(
                m.nu[t, i] >= 0, m.V[t, int(state[i])] - m.Q[t, i] >= 0
            ),
        )
    _add_leader_objective(m, cg, entries)
    _add_leader_constraints(m, cg, entries)
    if route == "gdp":
        pyo.TransformationFactory("mpec.simple_disjunction").apply_to(m)
        pyo.TransformationFactory("gdp.bigm").apply_to(m, bigM=M)
    return Built(
        model=m,
        cg=cg,
        formulation=f"milp/{route}",
        notes=[how if route == "bigm" else f"big-M = {M:.6g} (|V| <= {vb:.6g})"],
    )


def add_support_binaries(m: Any, cg: CompiledGame, M: float | FloatArray) -> None:
    """The exact response as big-M disjunctions: b ∈ {0,1} per step and pair,
    ν ≤ b and V − Q ≤ M(1 − b) (ν > 0 only where the action is optimal). ``M``: one bound
    for every row, or one per step and pair (shape (T, N_SA), :func:`row_big_m`), kept as
    the parameter ``m.big_m``."""
    state = cg.sa_state
    Mt = np.broadcast_to(np.asarray(M, dtype=np.float64), (cg.T, cg.n_sa))
    m.big_m = pyo.Param(m.T, m.SA, initialize=lambda _, t, i: float(Mt[t, i]))
    m.b = pyo.Var(m.T, m.SA, within=pyo.Binary)
    m.support = pyo.Constraint(m.T, m.SA, rule=lambda _, t, i: m.nu[t, i] <= m.b[t, i])
    m.bigm = pyo.Constraint(
        m.T,
        m.SA,
        rule=lambda _, t, i: m.V[t, int(state[i])] - m.Q[t, i] <= m.big_m[t, i] * (1 - m.b[t, i]),
    )


SUPPORT_NOISE = 1e-12
"""An iterative exact MFE leaves ν ≈ 1e-20 on some actions off its support (round-off of the
flow): a start that kept them would put both members of a pair above zero (measured: HiGHS
and SCIP then reject the start)."""


def start_support(m: Any) -> None:
    """Clean a start taken from an iterative MFE: ν ≤ :data:`SUPPORT_NOISE` becomes 0 and,
    where the model has support binaries, b = [ν > 0]."""
    for index, var in m.nu.items():
        if var.value is not None and var.value <= SUPPORT_NOISE:
            var.set_value(0.0, skip_validation=True)
        if hasattr(m, "b"):
            m.b[index].set_value(1.0 if (var.value or 0.0) > 0.0 else 0.0)


def row_big_m(
    cg: CompiledGame, lower: FloatArray | None = None, upper: FloatArray | None = None
) -> tuple[float | FloatArray, str]:
    """The big-M of each row: :func:`smfe.system.bounds.gap_bounds` over θ in [lower, upper]
    where it applies (θ- and mean-field-free transitions), else the global :func:`big_m`;
    with the sentence that says which."""
    rows = gap_bounds(cg, lower, upper)
    if rows is None:
        M = big_m(cg)
        return M, f"big-M = {M:.6g} for every row"
    return rows, (
        f"big-M per row from propagated bounds, {rows.min():.4g} to {rows.max():.4g} "
        f"(global bound {big_m(cg):.6g})"
    )


def _row(mat: sp.csr_array, i: int) -> tuple[NDArray[np.int64], FloatArray]:
    """Column indices and values of row ``i`` of a CSR matrix."""
    a, b = mat.indptr[i], mat.indptr[i + 1]
    return mat.indices[a:b], mat.data[a:b]


def _leader_measures(
    m: Any, cg: CompiledGame, entries: FloatArray, per_entry: bool
) -> Callable[..., Any]:
    """y as linear expressions: ``y(k, t, i)`` = δ_k·y_{t,i} through w_k = δ_k ν (exact for
    binary δ) when ``per_entry`` (needed when H depends on θ), else ``y(None, t, i)`` =
    (H⁰ν_t)_i."""
    if not per_entry:
        H = sp.csr_array(cg.H0)

        def y0(k: int | None, t: int, i: int) -> Any:
            idx, val = _row(H, i)
            return sum(float(v) * m.nu[t, int(s)] for s, v in zip(idx, val, strict=True))

        return y0
    if not hasattr(m, "w"):
        m.w = pyo.Var(m.K, m.T, m.SA, bounds=(0.0, 1.0))
        m.w_nu = pyo.Constraint(m.K, m.T, m.SA, rule=lambda _, k, t, i: m.w[k, t, i] <= m.nu[t, i])
        m.w_delta = pyo.Constraint(
            m.K, m.T, m.SA, rule=lambda _, k, t, i: m.w[k, t, i] <= m.delta[k]
        )
        m.w_low = pyo.Constraint(
            m.K, m.T, m.SA, rule=lambda _, k, t, i: m.w[k, t, i] >= m.nu[t, i] - (1 - m.delta[k])
        )
    rows_k = [sp.csr_array(cg.leader_matrix(entries[k])) for k in range(entries.shape[0])]

    def y_k(k: int | None, t: int, i: int) -> Any:
        assert k is not None
        idx, val = _row(rows_k[k], i)
        return sum(float(v) * m.w[k, t, int(s)] for s, v in zip(idx, val, strict=True))

    return y_k


def _theta_terms(
    entries: FloatArray, lin: FloatArray | None, quad: FloatArray | None
) -> FloatArray:
    """aᵀθ_k + ½θ_kᵀPθ_k for every menu entry k (constants per entry)."""
    c = np.zeros(entries.shape[0])
    if lin is not None:
        c += entries @ lin
    if quad is not None:
        c += 0.5 * np.einsum("kj,jl,kl->k", entries, quad, entries)
    return c


def _add_leader_objective(m: Any, cg: CompiledGame, entries: FloatArray) -> None:
    """J with every θ·ν product linearised (:func:`_leader_measures`)."""
    g = cg.game
    o = g.objective
    K = entries.shape[0]
    ny = g.n_leader_aggregates
    J: Any = o.constant
    for j, c in enumerate(_theta_terms(entries, o.theta_linear, o.theta_quadratic)):
        if c:
            J += float(c) * m.delta[j]
    if ny:
        # θ-dependent H, and θᵀB y, need δ_k·y: linearised through w
        per_entry = bool(cg.Hth.nnz) or (o.theta_y is not None and bool(np.any(o.theta_y)))
        y = _leader_measures(m, cg, entries, per_entry)
        ks: tuple[int | None, ...] = tuple(range(K)) if per_entry else (None,)
        for t in range(cg.T):
            for k in ks:
                weights = np.zeros(ny) if o.y_linear is None else np.array(o.y_linear)
                if k is not None and o.theta_y is not None:
                    weights += entries[k] @ o.theta_y
                J += sum(float(weights[i]) * y(k, t, i) for i in range(ny) if weights[i])
    m.objective = pyo.Objective(expr=J, sense=pyo.maximize)


def _add_leader_constraints(m: Any, cg: CompiledGame, entries: FloatArray) -> None:
    """l ≤ c + aᵀθ + bᵀȳ ≤ u (affine leader constraints), ȳ = Σ_t y_t linearised."""
    cons = cg.game.constraints
    if not cons:
        return
    K = entries.shape[0]
    y = _leader_measures(m, cg, entries, bool(cg.Hth.nnz))
    ks: tuple[int | None, ...] = tuple(range(K)) if cg.Hth.nnz else (None,)
    ny = cg.game.n_leader_aggregates
    ybar = [sum(y(k, t, i) for k in ks for t in range(cg.T)) for i in range(ny)]
    m.leader_constraint = pyo.ConstraintList()
    for c in cons:
        th = _theta_terms(entries, c.theta, None)
        expr = c.constant + sum(float(th[k]) * m.delta[k] for k in range(K) if th[k])
        if c.y is not None:
            expr += sum(float(c.y[i]) * ybar[i] for i in range(ny) if c.y[i])
        if c.equality:
            m.leader_constraint.add(expr == c.upper)
        else:
            lo = c.lower if np.isfinite(c.lower) else None
            up = c.upper if np.isfinite(c.upper) else None
            m.leader_constraint.add(pyo.inequality(lo, expr, up))


def tight_big_m(built: Built, rel: float = 1e-6) -> list[tuple[int, int]]:
    """Pairs whose slack V − Q reaches M(1 − rel) (their row's M, or the global one on the
    ``gdp`` route): the big-M may be cutting them off."""
    m, cg = built.model, built.cg
    M = big_m(cg)
    out = []
    for (t, i), q in m.Q.items():
        slack = m.V[t, int(cg.sa_state[i])].value - q.value
        row = float(pyo.value(m.big_m[t, i])) if hasattr(m, "big_m") else M
        if slack >= row * (1.0 - rel):
            out.append((t, i))
    return out
