r"""Assemble the equilibrium system of a compiled game (the one statement of the equations).

Variables θ (d), and per step t: V_t, μ_t (N_S); Q_t, π_t, ν_t (N_SA); z_t (M); y_t (n_y).
Rows, for every step t, state x, pair i = (x, a), price m, leader measurement i:

.. math::
   \text{bellman}&:\ Q_t - R^\top\theta - E^{0\top}p(z_t) - E_\theta^\top(p(z_t)\otimes\theta)
      - \gamma P(\theta)V_{t+1} = r^0
      \quad(\text{stationary } V_{t+1}=V_0,\ \text{finite } V_T = 0)\\
   \text{softmax}&:\ \pi_t - \exp\big((Q_t - SV_t)/\tau\big) = 0,\qquad
   \text{normalise}:\ S^\top\pi_t = 1\\
   \text{policy}&:\ \nu_t - (S\mu_t)\odot\pi_t = 0\\
   \text{init/flow}&:\ \mu_0 = \mu_{k,0},\ \mu_t - P(\theta)^\top\nu_{t-1} = 0\ \ (\text{finite})
      ;\quad (\mu - P(\theta)^\top\nu)_{x\ne x^0_k} = 0,\ \textstyle\sum_{x\in k}\mu(x) = 1
      \ \ (\text{stationary})\\
   \text{aggregate}&:\ z_t - G\nu_t = 0,\qquad
   \text{measure}:\ y_t - (H^0 + \textstyle\sum_j\theta_jH_j)\nu_t = 0\\
   \text{theta\_eq/ub}&:\ A_{eq}\theta = b_{eq},\ A_{ub}\theta\le b_{ub}\\
   \text{leader\_constraint}&:\ l - c \le a^\top\theta + b^\top\bar y
      + \tfrac12\theta^\top P\theta + \tfrac12\bar y^\top Q\bar y \le u - c,
      \quad \bar y = \textstyle\sum_t y_t

with P(θ) = P⁰ + Σ_j θ_j P_j; when the dynamics depend on the mean field the kernel of step
t is P(θ, z_t) = P(θ) + Σ_m z_{t,m} P^z_m, whose terms z·V (bellman) and z·ν (flow) are
bilinear product atoms. The exact response replaces softmax by
``dominance`` V_t(x) − Q_t(x,a) ≥ 0 and the Scholtes relaxation ``scholtes``
π·(V − Q) ≤ ε; the Boltzmann response keeps the hard max on (V, Q) with a selection λ and
puts π = exp((Q − W)/τ) on a soft normaliser W. The objective is the leader's
J = c₀ + cᵀθ + ½θᵀCθ + Σ_t (dᵀy_t + ½y_tᵀDy_t + θᵀBy_t); y and the ``measure`` rows exist
only with that objective (the MFE alone leaves them out), and so do the rows of the leader
constraints on the mean field (:mod:`smfe.game.constraint`; quadratic terms are products of
y (or θ) variables, T² of them per coefficient in finite horizon).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError, InstanceError
from smfe.game.compiled import CompiledGame
from smfe.system.atoms import AtomsBuilder
from smfe.system.bounds import aggregate_ranges, reward_bound, value_bound
from smfe.system.layout import Layout
from smfe.system.system import EquilibriumSystem, RowsBuilder

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
RESPONSES = ("soft", "exact", "boltzmann", "linear")


@dataclass(frozen=True)
class SystemOptions:
    """``response``: ``soft`` (F1), ``exact`` (F2, Scholtes form), ``boltzmann``, or
    ``linear`` — only the rows that are linear for affine prices and θ-free transitions
    (bellman, dominance, marginal μ = Sᵀν, flow, aggregates), which the big-M MILP
    completes;
    ``theta``: fix θ (the MFE alone); ``objective``: ``"leader"`` or ``"none"``;
    ``eps``: the initial Scholtes relaxation (exact and Boltzmann responses);
    ``leader_rows`` (``linear`` only): add what the leader problem over all of Θ needs — Θ's
    rows, the leader measurements y (θ·ν products where H depends on θ) and the leader
    constraints — which the MILP over a menu leaves out (it writes its own linearised
    objective); the ``global`` method's exact form."""

    response: str = "soft"
    theta: FloatArray | None = None
    objective: str = "leader"
    eps: float = 1e-1
    leader_rows: bool = False


def _keys(*sizes: int) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in k) for k in np.ndindex(*sizes)]


class _Assembler:
    """Builds the rows of one system; one method per row block (module docstring)."""

    def __init__(
        self, cg: CompiledGame, theta: FloatArray | None, policy: bool, measures: bool
    ) -> None:
        self.cg = cg
        self.lay = Layout()
        self.rows = RowsBuilder()
        self.atoms = AtomsBuilder(cg.game.prices)
        self.fixed = theta is not None
        self._theta_products: dict[tuple[int, str, int], IntArray] = {}
        self._prices: dict[int, IntArray] = {}
        self._scaled: dict[tuple[int, int], IntArray] = {}
        g = cg.game
        dec = g.decision
        T, d = cg.T, g.n_theta
        if theta is None:
            self.lay.add("theta", (d,), dec.lower, dec.upper, g.start(), axes=("J",))
        else:
            self.lay.add("theta", (d,), theta, theta, theta, fixed=True, axes=("J",))
        vb = value_bound(cg)
        qb = reward_bound(cg) + cg.gamma * vb
        finite_b = bool(np.isfinite(vb))
        self.lay.add(
            "V",
            (T, cg.n_s),
            -vb if finite_b else -np.inf,
            vb if finite_b else np.inf,
            axes=("T", "S"),
        )
        self.lay.add(
            "Q",
            (T, cg.n_sa),
            -qb if finite_b else -np.inf,
            qb if finite_b else np.inf,
            axes=("T", "SA"),
        )
        if policy:
            self.lay.add("pi", (T, cg.n_sa), 0.0, 1.0, 0.5, axes=("T", "SA"))
        self.lay.add("nu", (T, cg.n_sa), 0.0, 1.0, axes=("T", "SA"))
        self.lay.add("mu", (T, cg.n_s), 0.0, 1.0, axes=("T", "S"))
        zr = aggregate_ranges(cg)
        self.lay.add(
            "z", (T, g.n_prices), np.tile(zr[:, 0], T), np.tile(zr[:, 1], T), axes=("T", "M")
        )
        if measures:
            self.lay.add("y", (T, g.n_leader_aggregates), axes=("T", "Y"))

    # -- shared atoms --------------------------------------------------------------------
    def theta_products(self, j: int, name: str, t: int) -> IntArray:
        """Atoms θ_j·x for every entry x of row t of block ``name`` (created once)."""
        key = (j, name, t)
        if key not in self._theta_products:
            cols = self.lay.step(name, t)
            th = np.full(cols.size, self.lay.index("theta", j), dtype=np.int64)
            self._theta_products[key] = self.atoms.product(th, cols)[1]
        return self._theta_products[key]

    def prices(self, t: int) -> IntArray:
        if t not in self._prices:
            M = self.cg.game.n_prices
            self._prices[t] = self.atoms.price(self.lay.step("z", t), np.arange(M))[1]
        return self._prices[t]

    def scaled(self, t: int, j: int) -> IntArray:
        if (t, j) not in self._scaled:
            M = self.cg.game.n_prices
            th = np.full(M, self.lay.index("theta", j), dtype=np.int64)
            self._scaled[(t, j)] = self.atoms.scaled(th, self.lay.step("z", t), np.arange(M))[1]
        return self._scaled[(t, j)]

    def theta_affine(
        self,
        rows: IntArray,
        M0: sp.csr_array,
        Mj: tuple[sp.csr_array, ...],
        name: str,
        t: int,
        coef: float,
    ) -> None:
        """Add coef·(M⁰ + Σ_j θ_j M_j) x_t to ``rows`` (x_t: row t of block ``name``)."""
        cols = self.lay.step(name, t)
        self.rows.matrix(rows, M0, cols, coef)
        for j, Mat in enumerate(Mj):
            c = sp.coo_array(Mat)
            if c.nnz:
                atoms = self.theta_products(j, name, t)
                self.rows.nonlinear(rows[c.row], ("product", atoms[c.col]), coef * c.data)

    def aggregate_affine(
        self, rows: IntArray, Mz: tuple[sp.csr_array, ...], name: str, t: int, zt: int, coef: float
    ) -> None:
        """Add coef·Σ_m z_{zt,m} M_m x_t to ``rows``: bilinear product atoms z·x of the
        mean-field-dependent kernel (x_t: row t of block ``name``)."""
        cols = self.lay.step(name, t)
        z = self.lay.step("z", zt)
        for m, Mat in enumerate(Mz):
            c = sp.coo_array(Mat)
            if c.nnz:
                zm = np.full(c.nnz, z[m], dtype=np.int64)
                atoms = self.atoms.product(zm, cols[c.col])
                self.rows.nonlinear(rows[c.row], atoms, coef * c.data)

    # -- row blocks ----------------------------------------------------------------------
    def decision(self) -> None:
        dec = self.cg.game.decision
        if self.fixed or dec.dim == 0:
            return
        th = self.lay.index("theta", np.arange(dec.dim))
        for name, A, b, lower in (
            ("theta_eq", dec.A_eq, dec.b_eq, True),
            ("theta_ub", dec.A_ub, dec.b_ub, False),
        ):
            if A is None or b is None:
                continue
            r0 = self.rows.block(name, _keys(A.shape[0]), b if lower else -np.inf, b)
            self.rows.matrix(r0 + np.arange(A.shape[0]), sp.csr_array(A), th)

    def bellman(self) -> None:
        cg, g = self.cg, self.cg.game
        T, finite, d, M = cg.T, g.finite, g.n_theta, g.n_prices
        r0 = cg.r_steps.ravel()
        start = self.rows.block("bellman", _keys(T, cg.n_sa), r0, r0)
        E0 = sp.coo_array(cg.E0)
        Eth = sp.coo_array(cg.Eth)
        for t in range(T):
            rows = start + t * cg.n_sa + np.arange(cg.n_sa)
            self.rows.linear(rows, self.lay.step("Q", t), 1.0)
            if d:
                self.rows.matrix(
                    rows, sp.csr_array(cg.R.T), self.lay.index("theta", np.arange(d)), -1.0
                )
            if M and E0.nnz:
                self.rows.nonlinear(rows[E0.col], ("price", self.prices(t)[E0.row]), -E0.data)
            if M and d and Eth.nnz:
                m, j = np.divmod(Eth.row, d)
                for jj in np.unique(j):
                    s = j == jj
                    atoms = self.scaled(t, int(jj))[m[s]]
                    self.rows.nonlinear(rows[Eth.col[s]], ("scaled", atoms), -Eth.data[s])
            if finite and t + 1 == T:
                continue
            nxt = t + 1 if finite else 0
            self.theta_affine(rows, cg.P0, cg.Pj, "V", nxt, -cg.gamma)
            self.aggregate_affine(rows, cg.Pz, "V", nxt, t, -cg.gamma)

    def softmax(self, policy: str = "pi", normaliser: str = "V") -> None:
        """π_t = exp((Q_t − S·normaliser_t)/τ)."""
        cg = self.cg
        start = self.rows.block("softmax", _keys(cg.T, cg.n_sa), 0.0, 0.0)
        for t in range(cg.T):
            rows = start + t * cg.n_sa + np.arange(cg.n_sa)
            self.rows.linear(rows, self.lay.step(policy, t), 1.0)
            q = self.lay.step("Q", t)
            v = self.lay.step(normaliser, t)[cg.sa_state]
            self.rows.nonlinear(rows, self.atoms.exp(q, v, 1.0 / cg.game.tau), -1.0)

    def normalise(self, name: str = "normalise", var: str = "pi") -> None:
        cg = self.cg
        start = self.rows.block(name, _keys(cg.T, cg.n_s), 1.0, 1.0)
        for t in range(cg.T):
            self.rows.linear(start + t * cg.n_s + cg.sa_state, self.lay.step(var, t), 1.0)

    def dominance(self) -> None:
        """``dominance`` V_t(x) − Q_t(x,a) ≥ 0: V is at least every action's value."""
        cg = self.cg
        dom = self.rows.block("dominance", _keys(cg.T, cg.n_sa), 0.0, np.inf)
        for t in range(cg.T):
            r = dom + np.arange(cg.n_sa) + t * cg.n_sa
            self.rows.linear(r, self.lay.step("V", t)[cg.sa_state], 1.0)
            self.rows.linear(r, self.lay.step("Q", t), -1.0)

    def complementarity(self, var: str, eps: float) -> None:
        """``dominance`` and the Scholtes relaxation ``scholtes`` var·(V − Q) ≤ ε."""
        cg = self.cg
        self.dominance()
        sch = self.rows.block("scholtes", _keys(cg.T, cg.n_sa), -np.inf, eps, upper_param="eps")
        for t in range(cg.T):
            q, v = self.lay.step("Q", t), self.lay.step("V", t)[cg.sa_state]
            p = self.lay.step(var, t)
            r = sch + np.arange(cg.n_sa) + t * cg.n_sa
            self.rows.nonlinear(r, self.atoms.product(p, v), 1.0)
            self.rows.nonlinear(r, self.atoms.product(p, q), -1.0)

    def policy(self) -> None:
        cg = self.cg
        start = self.rows.block("policy", _keys(cg.T, cg.n_sa), 0.0, 0.0)
        for t in range(cg.T):
            rows = start + t * cg.n_sa + np.arange(cg.n_sa)
            self.rows.linear(rows, self.lay.step("nu", t), 1.0)
            mu = self.lay.step("mu", t)[cg.sa_state]
            self.rows.nonlinear(rows, self.atoms.product(mu, self.lay.step("pi", t)), -1.0)

    def marginal(self) -> None:
        """μ_t(x) = Σ_a ν_t(x, a) (the state marginal, linear)."""
        cg = self.cg
        start = self.rows.block("marginal", _keys(cg.T, cg.n_s), 0.0, 0.0)
        for t in range(cg.T):
            rows = start + t * cg.n_s
            self.rows.linear(rows + np.arange(cg.n_s), self.lay.step("mu", t), 1.0)
            self.rows.linear(rows + cg.sa_state, self.lay.step("nu", t), -1.0)

    def flow(self) -> None:
        cg = self.cg
        PT0 = sp.csr_array(cg.P0.T)
        PTj = tuple(sp.csr_array(P.T) for P in cg.Pj)
        PTz = tuple(sp.csr_array(P.T) for P in cg.Pz)
        if cg.game.finite:
            init = self.rows.block("init", _keys(cg.n_s), cg.mu0, cg.mu0)
            self.rows.linear(init + np.arange(cg.n_s), self.lay.step("mu", 0), 1.0)
            start = self.rows.block(
                "flow", [(t, x) for t in range(1, cg.T) for x in range(cg.n_s)], 0.0, 0.0
            )
            for t in range(1, cg.T):
                rows = start + (t - 1) * cg.n_s + np.arange(cg.n_s)
                self.rows.linear(rows, self.lay.step("mu", t), 1.0)
                self.theta_affine(rows, PT0, PTj, "nu", t - 1, -1.0)
                self.aggregate_affine(rows, PTz, "nu", t - 1, t - 1, -1.0)
            return
        keep = np.setdiff1d(np.arange(cg.n_s), cg.first_state)
        start = self.rows.block("flow", [(0, int(x)) for x in keep], 0.0, 0.0)
        rows = np.full(cg.n_s, -1, dtype=np.int64)
        rows[keep] = start + np.arange(keep.size)
        self.rows.linear(rows[keep], self.lay.step("mu", 0)[keep], 1.0)
        sel = sp.csr_array(PT0[keep])
        self.theta_affine(rows[keep], sel, tuple(sp.csr_array(P[keep]) for P in PTj), "nu", 0, -1.0)
        self.aggregate_affine(
            rows[keep], tuple(sp.csr_array(P[keep]) for P in PTz), "nu", 0, 0, -1.0
        )
        mass = self.rows.block("mass", _keys(cg.n_types), 1.0, 1.0)
        self.rows.linear(mass + cg.state_type, self.lay.step("mu", 0), 1.0)

    def aggregates(self, measures: bool = True) -> None:
        cg, g = self.cg, self.cg.game
        M, d = g.n_prices, g.n_theta
        ny = g.n_leader_aggregates if measures else 0
        agg = self.rows.block("aggregate", _keys(cg.T, M), 0.0, 0.0)
        mea = self.rows.block("measure", _keys(cg.T, ny), 0.0, 0.0) if measures else 0
        Hj = tuple(sp.csr_array(cg.Hth[np.arange(ny) * d + j]) for j in range(d)) if ny else ()
        for t in range(cg.T):
            rows = agg + t * M + np.arange(M)
            self.rows.linear(rows, self.lay.step("z", t), 1.0)
            self.rows.matrix(rows, cg.G, self.lay.step("nu", t), -1.0)
            if not measures:
                continue
            rows = mea + t * ny + np.arange(ny)
            self.rows.linear(rows, self.lay.step("y", t), 1.0)
            self.theta_affine(rows, cg.H0, Hj if cg.Hth.nnz else (), "nu", t, -1.0)

    def leader_constraints(self) -> None:
        """One row per leader constraint: l − c ≤ g(θ, Σ_t y_t) − c ≤ u − c."""
        cons = self.cg.game.constraints
        if not cons or "y" not in self.lay:
            return
        lo = np.array([c.lower - c.constant for c in cons])
        up = np.array([c.upper - c.constant for c in cons])
        r0 = self.rows.block("leader_constraint", _keys(len(cons)), lo, up)
        d, T = self.cg.game.n_theta, self.cg.T
        th = self.lay.index("theta", np.arange(d))
        ys = [self.lay.step("y", t) for t in range(T)]
        for i, c in enumerate(cons):
            row = np.array([r0 + i])
            if c.theta is not None:
                self.rows.matrix(row, c.theta[None, :], th)
            for y in ys:
                if c.y is not None:
                    self.rows.matrix(row, c.y[None, :], y)
            pairs = [(th, th, c.theta_quadratic)] if c.theta_quadratic is not None else []
            if c.y_quadratic is not None:
                pairs += [(ya, yb, c.y_quadratic) for ya in ys for yb in ys]
            for left, right, Qm in pairs:
                q = sp.coo_array(Qm)
                atoms = self.atoms.product(left[q.row], right[q.col])
                self.rows.nonlinear(np.full(q.nnz, r0 + i), atoms, 0.5 * q.data)

    def objective(self) -> tuple[float, FloatArray, sp.csr_array]:
        """J as (c₀, linear vector, symmetric quadratic matrix) over the full layout."""
        o = self.cg.game.objective
        n = self.lay.size
        lin = np.zeros(n)
        trip: list[tuple[IntArray, IntArray, FloatArray]] = []
        d = self.cg.game.n_theta
        th = self.lay.index("theta", np.arange(d))

        def quad(rows: IntArray, cols: IntArray, C: FloatArray) -> None:
            c = sp.coo_array(C)
            trip.append((rows[c.row], cols[c.col], c.data))

        if o.theta_linear is not None:
            lin[th] += o.theta_linear
        if o.theta_quadratic is not None:
            quad(th, th, 0.5 * (o.theta_quadratic + o.theta_quadratic.T))
        for t in range(self.cg.T if "y" in self.lay else 0):
            y = self.lay.step("y", t)
            if o.y_linear is not None:
                lin[y] += o.y_linear
            if o.y_quadratic is not None:
                quad(y, y, 0.5 * (o.y_quadratic + o.y_quadratic.T))
            if o.theta_y is not None:
                quad(th, y, o.theta_y)
                quad(y, th, o.theta_y.T)
        r = np.concatenate([a for a, _, _ in trip]) if trip else np.zeros(0, dtype=np.int64)
        c = np.concatenate([b for _, b, _ in trip]) if trip else np.zeros(0, dtype=np.int64)
        v = np.concatenate([w for *_, w in trip]) if trip else np.zeros(0)
        C = sp.csr_array((v, (r, c)), shape=(n, n))
        C.sum_duplicates()
        return float(o.constant), lin, C


def assemble(cg: CompiledGame, options: SystemOptions | None = None) -> EquilibriumSystem:
    """The equilibrium system of ``cg.game`` for ``options.response`` (module docstring)."""
    opts = options or SystemOptions()
    if opts.response not in RESPONSES:
        raise InstanceError(
            "options.response", f"must be one of {RESPONSES}, got {opts.response!r}"
        )
    if opts.objective not in ("leader", "none"):
        raise InstanceError(
            "options.objective", f"must be 'leader' or 'none', got {opts.objective!r}"
        )
    if opts.response == "linear" and cg.mean_field_dynamics:
        raise FormulationError(
            "the linear rows need a kernel independent of the mean field (z·ν is bilinear)"
        )
    if opts.objective == "none" and opts.theta is None and cg.game.n_theta:
        raise InstanceError("options.objective", "'none' needs a fixed θ (options.theta)")
    theta = None if opts.theta is None else np.asarray(opts.theta, dtype=np.float64)
    # the leader measurements y exist for the leader objective: the MFE alone (objective
    # "none") and the MILP (its own linearised objective) leave y and its dense rows out
    measures = (opts.response != "linear" or opts.leader_rows) and opts.objective != "none"
    a = _Assembler(cg, theta, policy=opts.response != "linear", measures=measures)
    T, eps = cg.T, opts.eps
    if opts.response == "boltzmann":
        a.lay.add("W", (T, cg.n_s), axes=("T", "S"))
        a.lay.add("select", (T, cg.n_sa), 0.0, 1.0, 0.5, axes=("T", "SA"))
    steps: list[Callable[[], None]]
    if opts.response == "linear":
        steps = [a.bellman, a.dominance, a.marginal, a.flow, lambda: a.aggregates(measures)]
        if opts.leader_rows:
            steps = [a.decision, *steps, a.leader_constraints]
    else:
        response: dict[str, list[Callable[[], None]]] = {
            "soft": [a.softmax],
            "exact": [lambda: a.complementarity("pi", eps)],
            "boltzmann": [
                lambda: a.complementarity("select", eps),
                lambda: a.normalise("selection", "select"),
                lambda: a.softmax(normaliser="W"),
            ],
        }
        steps = [a.decision, a.bellman, *response[opts.response]]
        steps += [a.normalise, a.policy, a.flow, lambda: a.aggregates(measures=measures)]
        steps.append(a.leader_constraints)
    for step in steps:
        step()
    atoms = a.atoms.freeze()
    A, B, lower, upper, blocks = a.rows.finish(a.lay.size, atoms)
    c0, lin, C = a.objective()
    sense = "none" if opts.objective == "none" else "max"
    params = {"eps": float(opts.eps)} if opts.response in ("exact", "boltzmann") else {}
    return EquilibriumSystem(
        name=f"{opts.response}[{cg.game.name}]",
        layout=a.lay,
        blocks=blocks,
        A=A,
        B=B,
        atoms=atoms,
        lower=lower,
        upper=upper,
        objective_constant=c0,
        objective_linear=lin,
        objective_quadratic=C,
        sense=sense,
        params=params,
        finite=cg.game.finite,
    )
