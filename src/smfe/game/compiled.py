r"""A game flattened over (type, state, action) for vectorised numerics.

All types' allowed state-action pairs are numbered consecutively (type, then state, then
action), so every per-state reduction is a segment reduction (``np.ufunc.reduceat``) and the
transition kernel is one block-diagonal sparse matrix of shape (N_SA, N_S). Time-indexed
quantities carry a leading axis of length T (T = 1 for stationary games).

Aggregates and leader measurements include the population shares, so that
:math:`z_t = G\nu_t` and :math:`y_t = H(\theta)\nu_t` with ν the per-type distributions.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import FormulationError, InstanceError
from smfe.game.model import Game
from smfe.game.price import price_classes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _stack_rows(
    blocks: list[FloatArray | sp.csr_array | None],
    lead: int,
    sizes: list[int],
    keep: list[IntArray],
) -> sp.csr_array:
    """Stack per-type coefficient arrays (lead, S*A) — dense, or sparse (lead, S*A) —
    restricted to allowed pairs, column-wise."""
    cols = []
    for b, n, k in zip(blocks, sizes, keep, strict=True):
        if b is None:
            cols.append(sp.csr_array((lead, n)))
        elif sp.issparse(b):
            cols.append(sp.csr_array(sp.csc_array(b)[:, k]))
        else:
            cols.append(sp.csr_array(b.reshape(lead, -1)[:, k]))
    return sp.csr_array(sp.hstack(cols, format="csr")) if cols else sp.csr_array((lead, 0))


class CompiledGame:
    """Flat arrays of a :class:`~smfe.game.model.Game` (see the module docstring).

    Built once per game (:func:`compile_game` keeps recent ones); treat every attribute as
    read-only.
    """

    def __init__(self, game: Game) -> None:
        self.game = game
        g = game
        keep = [np.flatnonzero(t.mask.ravel()) for t in g.types]
        s_sizes = [t.n_states for t in g.types]
        state_off = np.concatenate([[0], np.cumsum(s_sizes)]).astype(np.int64)
        sa_sizes = [int(k.size) for k in keep]
        sa_off = np.concatenate([[0], np.cumsum(sa_sizes)]).astype(np.int64)
        sa_state = np.concatenate(
            [
                k // t.n_actions + state_off[i]
                for i, (k, t) in enumerate(zip(keep, g.types, strict=True))
            ]
        ).astype(np.int64)
        sa_action = np.concatenate(
            [k % t.n_actions for k, t in zip(keep, g.types, strict=True)]
        ).astype(np.int64)
        n_s = int(state_off[-1])
        n_sa = int(sa_off[-1])
        state_sa_ptr = np.searchsorted(sa_state, np.arange(n_s + 1)).astype(np.int64)
        share = np.array([t.share for t in g.types])
        sa_type = np.repeat(np.arange(len(g.types)), sa_sizes)
        self.keep = keep
        self.state_off = state_off
        self.sa_off = sa_off
        self.sa_state = sa_state
        self.sa_action = sa_action
        self.sa_type = sa_type
        self.state_type = np.repeat(np.arange(len(g.types)), s_sizes)
        self.state_sa_ptr = state_sa_ptr
        self.n_s = n_s
        self.n_sa = n_sa
        self.share = share
        w_sa = share[sa_type]
        self.r0 = np.concatenate([t.reward.ravel()[k] for t, k in zip(g.types, keep, strict=True)])
        T = g.horizon.steps
        steps = [
            np.zeros((T, k.size)) if t.reward_steps is None else t.reward_steps.reshape(T, -1)[:, k]
            for t, k in zip(g.types, keep, strict=True)
        ]
        self.r_steps = self.r0[None, :] + np.concatenate(steps, axis=1)
        """r⁰ at every step, shape (T, N_SA): the base reward plus ``reward_steps``."""
        P0 = sp.block_diag(
            [t.transition[k] for t, k in zip(g.types, keep, strict=True)], format="csr"
        )
        self.P0 = sp.csr_array(P0)
        d, M, ny = g.n_theta, g.n_prices, g.n_leader_aggregates
        Pj = []
        for j in range(d):
            blocks = [
                t.transition_theta[j][k]
                if t.transition_theta
                else sp.csr_array((k.size, t.n_states))
                for t, k in zip(g.types, keep, strict=True)
            ]
            Pj.append(sp.csr_array(sp.block_diag(blocks, format="csr")))
        self.Pj = tuple(Pj)
        Pz = []
        for m in range(M):
            blocks = [
                t.transition_aggregate[m]
                if t.transition_aggregate
                else sp.csr_array((k.size, t.n_states))
                for t, k in zip(g.types, keep, strict=True)
            ]
            Pz.append(sp.csr_array(sp.block_diag(blocks, format="csr")))
        self.Pz = tuple(Pz) if g.mean_field_dynamics else ()
        """P^z_m (N_SA × N_S) per aggregate, empty unless transitions depend on the mean field."""
        self.R = _stack_rows([t.reward_theta for t in g.types], d, sa_sizes, keep)
        Wd = sp.diags_array(w_sa)
        self.G = sp.csr_array(_stack_rows([t.aggregate for t in g.types], M, sa_sizes, keep) @ Wd)
        self.E0 = _stack_rows([t.exposure for t in g.types], M, sa_sizes, keep)
        self.Eth = _stack_rows([t.exposure_theta for t in g.types], M * d, sa_sizes, keep)
        self.H0 = sp.csr_array(
            _stack_rows([t.leader_weight for t in g.types], ny, sa_sizes, keep) @ Wd
        )
        self.Hth = sp.csr_array(
            _stack_rows([t.leader_weight_theta for t in g.types], ny * d, sa_sizes, keep) @ Wd
        )
        prices = g.prices
        self.nonpolynomial = [m for m, p in enumerate(prices) if not p.polynomial]
        """Prices with kinks, log, rational, power or exp terms (evaluated by
        :meth:`Price.value_and_slope`)."""
        cls, reps = price_classes([prices[m] for m in self.nonpolynomial])
        nonpoly = np.array(self.nonpolynomial, dtype=np.int64)
        self._nonpolynomial_classes = [(p, nonpoly[cls == k]) for k, p in enumerate(reps)]
        self.p_coef = np.array([[p.intercept, p.slope, p.curvature] for p in prices]).reshape(M, 3)
        mu0 = np.concatenate(
            [
                t.init if t.init is not None else np.full(t.n_states, 1.0 / t.n_states)
                for t in g.types
            ]
        )
        self.mu0 = mu0

    # -- sizes -------------------------------------------------------------------------------
    @property
    def T(self) -> int:
        return self.game.horizon.steps

    @property
    def gamma(self) -> float:
        return self.game.horizon.gamma

    @property
    def n_types(self) -> int:
        return len(self.game.types)

    @cached_property
    def expand(self) -> sp.csr_array:
        """S (N_SA × N_S): copies a state vector onto that state's state-action pairs."""
        return sp.csr_array(
            (np.ones(self.n_sa), (np.arange(self.n_sa), self.sa_state)), shape=(self.n_sa, self.n_s)
        )

    @cached_property
    def first_state(self) -> IntArray:
        return self.state_off[:-1]

    # -- segment reductions over the actions of each state -------------------------------------
    @cached_property
    def rectangular(self) -> int:
        """A if every state has exactly A allowed actions (reshape fast path), else 0."""
        counts = np.diff(self.state_sa_ptr)
        return int(counts[0]) if counts.size and np.all(counts == counts[0]) else 0

    def seg_max(self, q: FloatArray) -> FloatArray:
        return np.maximum.reduceat(q, self.state_sa_ptr[:-1], axis=-1)

    def seg_sum(self, q: FloatArray) -> FloatArray:
        return np.add.reduceat(q, self.state_sa_ptr[:-1], axis=-1)

    def type_sum_states(self, v: FloatArray) -> FloatArray:
        """Per-type sums of a state vector (last axis N_S) -> last axis K."""
        return np.add.reduceat(v, self.state_off[:-1], axis=-1)

    def type_sum_sa(self, v: FloatArray) -> FloatArray:
        return np.add.reduceat(v, self.sa_off[:-1], axis=-1)

    # -- θ-dependent data ---------------------------------------------------------------------
    @property
    def mean_field_dynamics(self) -> bool:
        return bool(self.Pz)

    def transition(self, theta: FloatArray) -> sp.csr_array:
        """P(θ) = P0 + Σ_j θ_j P_j, checked to be a stochastic kernel.

        Games whose transitions depend on the mean field have no kernel of θ alone: this
        raises :class:`~smfe.errors.FormulationError` for them (use :meth:`kernels`)."""
        if self.Pz:
            raise FormulationError(
                "this game's transitions depend on the mean field: the kernel needs the "
                "aggregates z as well as θ (CompiledGame.kernels)"
            )
        return self.kernel(theta, None)

    def kernel(self, theta: FloatArray, z: FloatArray | None) -> sp.csr_array:
        """P(θ, z) = P0 + Σ_j θ_j P_j + Σ_m z_m P^z_m, checked to be a stochastic kernel."""
        if self.Pz and z is not None:
            return self.kernels_at(theta, np.asarray(z, dtype=np.float64)[None, :])[0]
        if not self.Pj:
            return self.P0
        P = self.P0.copy()
        for th, Pj in zip(theta, self.Pj, strict=True):
            if th != 0.0:
                P = P + float(th) * Pj
        return _checked(sp.csr_array(P))

    def kernels(self, theta: FloatArray, nu: FloatArray) -> tuple[sp.csr_array, ...]:
        """P_t = P(θ, z_t) with z_t = Gν_t for every step (T kernels; one object repeated
        when transitions do not depend on the mean field)."""
        if not self.Pz:
            return (self.kernel(theta, None),) * nu.shape[0]
        return self.kernels_at(theta, self.aggregates(nu))

    def kernels_at(self, theta: FloatArray, z: FloatArray) -> tuple[sp.csr_array, ...]:
        """P(θ, z_t) for each row z_t of ``z`` (n, M): the data of P(θ) and of every P^z_m
        are laid out once on their common sparsity pattern, so each kernel is one
        matrix-vector product and one CSR constructor."""
        pattern, base, Zdata = self._kernel_layout
        data0 = base[0] + (base[1:].T @ theta if self.Pj else 0.0)
        data = data0[None, :] + np.asarray(Zdata.T @ z.T).T
        if data.size and data.min() < -1e-12:
            raise InstanceError(
                "theta",
                "P(θ, z) has a negative probability: θ or the aggregates are outside the set "
                "where transitions are valid",
            )
        return tuple(
            sp.csr_array((row, pattern.indices, pattern.indptr), shape=pattern.shape)
            for row in data
        )

    def push(self, theta: FloatArray, nu_t: FloatArray) -> FloatArray:
        """P(θ, Gν_t)ᵀ ν_t: next step's state distribution when the kernel follows the flow,
        summed on the kernels' common pattern without building the matrix."""
        pattern, base, Zdata = self._kernel_layout
        data = base[0] + (base[1:].T @ theta if self.Pj else 0.0)
        if self.Pz:
            data = data + Zdata.T @ (self.G @ nu_t)
        rows = self._pattern_rows
        out: FloatArray = np.bincount(
            pattern.indices, weights=data * nu_t[rows], minlength=self.n_s
        ).astype(np.float64)
        return out

    @cached_property
    def _pattern_rows(self) -> IntArray:
        pattern = self._kernel_layout[0]
        return np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))

    @cached_property
    def _kernel_layout(self) -> tuple[sp.csr_array, FloatArray, sp.csr_array]:
        """(pattern, data of P0 and each P_j (1 + d, nnz), data of each P^z_m (M, nnz))."""
        mats = [self.P0, *self.Pj, *self.Pz]
        pattern = sp.csr_array(sum((abs(m) for m in mats), start=sp.csr_array(self.P0.shape)))
        pattern.sort_indices()
        n_col = pattern.shape[1]
        key = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr)) * n_col
        key = key + pattern.indices

        def aligned(m: sp.csr_array) -> FloatArray:
            c = sp.coo_array(m)
            out = np.zeros(pattern.nnz)
            np.add.at(out, np.searchsorted(key, c.row.astype(np.int64) * n_col + c.col), c.data)
            return out

        base = np.array([aligned(m) for m in (self.P0, *self.Pj)])
        Z = sp.csr_array(np.array([aligned(m) for m in self.Pz]).reshape(len(self.Pz), -1))
        return pattern, base, Z

    def price(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """p(z) and p'(z), elementwise over (..., M)."""
        a, b, c = self.p_coef[:, 0], self.p_coef[:, 1], self.p_coef[:, 2]
        v, dv = a + b * z + c * z * z, b + 2.0 * c * z
        for price, ms in self._nonpolynomial_classes:
            v[..., ms], dv[..., ms] = price.value_and_slope(z[..., ms])
        return v, dv

    def aggregates(self, nu: FloatArray) -> FloatArray:
        """z_t = G ν_t; ``nu`` has shape (T, N_SA), the result (T, M)."""
        return np.asarray((self.G @ nu.T).T)

    def exposure(self, theta: FloatArray) -> sp.csr_array:
        """E(θ) = E0 + Σ_j θ_j E_j, shape (M, N_SA)."""
        d = self.game.n_theta
        M = self.game.n_prices
        if d == 0 or self.Eth.nnz == 0:
            return self.E0
        K = sp.kron(sp.eye_array(M), sp.csr_array(theta.reshape(1, d)), format="csr")
        return sp.csr_array(self.E0 + K @ self.Eth)

    def reward(self, theta: FloatArray, nu: FloatArray) -> FloatArray:
        """r_t(θ, ν_t) for every step, shape (T, N_SA)."""
        base = self.r_steps + (self.R.T @ theta if self.game.n_theta else 0.0)
        if self.game.n_prices == 0:
            return np.broadcast_to(base, (nu.shape[0], self.n_sa)).copy()
        p, _ = self.price(self.aggregates(nu))
        E = self.exposure(theta)
        return base + np.asarray((E.T @ p.T).T)

    def reward_theta_jacobian(self, theta: FloatArray, p: FloatArray) -> sp.csr_array:
        """∂r/∂θ at prices ``p`` (M,): R^T + E_θ^T (p ⊗ I_d), shape (N_SA, d)."""
        d = self.game.n_theta
        J = sp.csr_array(self.R.T)
        if self.Eth.nnz and p.size:
            J = J + sp.csr_array(
                self.Eth.T @ sp.kron(sp.csr_array(p.reshape(-1, 1)), sp.eye_array(d))
            )
        return sp.csr_array(J)

    def leader_matrix(self, theta: FloatArray) -> sp.csr_array:
        """H(θ) = H0 + Σ_j θ_j H_j, shape (n_y, N_SA)."""
        d = self.game.n_theta
        ny = self.game.n_leader_aggregates
        if d == 0 or self.Hth.nnz == 0:
            return self.H0
        K = sp.kron(sp.eye_array(ny), sp.csr_array(theta.reshape(1, d)), format="csr")
        return sp.csr_array(self.H0 + K @ self.Hth)

    def leader_aggregates(self, theta: FloatArray, nu: FloatArray) -> FloatArray:
        """y_t = H(θ) ν_t, shape (T, n_y)."""
        return np.asarray((self.leader_matrix(theta) @ nu.T).T)

    def objective(self, theta: FloatArray, nu: FloatArray) -> float:
        """The leader objective J(θ, ν) (see :mod:`smfe.game.model`)."""
        o = self.game.objective
        J = o.constant
        if o.theta_linear is not None:
            J += float(o.theta_linear @ theta)
        if o.theta_quadratic is not None:
            J += 0.5 * float(theta @ o.theta_quadratic @ theta)
        if self.game.n_leader_aggregates:
            y = self.leader_aggregates(theta, nu)
            if o.y_linear is not None:
                J += float((y @ o.y_linear).sum())
            if o.y_quadratic is not None:
                J += 0.5 * float(np.einsum("ti,ij,tj->", y, o.y_quadratic, y))
            if o.theta_y is not None:
                J += float((theta @ o.theta_y @ y.T).sum())
        return J

    def objective_gradients(
        self, theta: FloatArray, nu: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Partial derivatives (∂J/∂θ (d,), ∂J/∂ν (T, N_SA)) at fixed (θ, ν)."""
        o = self.game.objective
        d = self.game.n_theta
        gth = np.zeros(d)
        gnu = np.zeros_like(nu)
        if o.theta_linear is not None:
            gth += o.theta_linear
        if o.theta_quadratic is not None:
            gth += 0.5 * (o.theta_quadratic + o.theta_quadratic.T) @ theta
        ny = self.game.n_leader_aggregates
        if ny:
            H = self.leader_matrix(theta)
            y = np.asarray((H @ nu.T).T)
            gy = np.zeros_like(y)
            if o.y_linear is not None:
                gy += o.y_linear
            if o.y_quadratic is not None:
                gy += y @ (0.5 * (o.y_quadratic + o.y_quadratic.T))
            if o.theta_y is not None:
                gy += theta @ o.theta_y
                gth += (o.theta_y @ y.T).sum(axis=1)
            gnu = np.asarray((H.T @ gy.T).T)
            if self.Hth.nnz:
                # ∂y_{t,i}/∂θ_j = (H_{i,j} ν_t): rows i*d + j of Hth
                dy = np.asarray((self.Hth @ nu.T).T).reshape(nu.shape[0], ny, d)
                gth += np.einsum("ti,tij->j", gy, dy)
        return gth, gnu

    # -- leader constraints on the mean field (smfe.game.constraint) ---------------------------
    def leader_totals(self, theta: FloatArray, nu: FloatArray) -> FloatArray:
        """ȳ = Σ_t H(θ) ν_t, shape (n_y,)."""
        return self.leader_aggregates(theta, nu).sum(axis=0)

    def constraint_values(self, theta: FloatArray, nu: FloatArray) -> FloatArray:
        """g_i(θ, ȳ) for every leader constraint, shape (n_c,)."""
        cons = self.game.constraints
        if not cons:
            return np.zeros(0)
        ybar = self.leader_totals(theta, nu)
        return np.array([c.value(theta, ybar) for c in cons])

    def constraint_violation(self, theta: FloatArray, nu: FloatArray) -> float:
        """Largest violation of a leader constraint's bounds relative to max(1, |bound|)
        (0 when all hold)."""
        vals = self.constraint_values(theta, nu)
        worst = 0.0
        for c, v in zip(self.game.constraints, vals, strict=True):
            bound = c.upper if v > c.upper else c.lower
            worst = max(worst, c.violation(float(v)) / max(1.0, abs(bound)))
        return worst

    def constraint_partials(
        self, theta: FloatArray, nu: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Partial derivatives (∂g/∂θ (n_c, d), ∂g/∂ν (n_c, T, N_SA)) at fixed (θ, ν)."""
        cons = self.game.constraints
        d, ny, T = self.game.n_theta, self.game.n_leader_aggregates, nu.shape[0]
        gth = np.zeros((len(cons), d))
        gnu = np.zeros((len(cons), T, self.n_sa))
        if not cons:
            return gth, gnu
        H = self.leader_matrix(theta)
        ybar = self.leader_totals(theta, nu)
        dy = (
            np.asarray(self.Hth @ nu.sum(axis=0)).reshape(ny, d)
            if self.Hth.nnz
            else np.zeros((ny, d))
        )  # ∂ȳ_i/∂θ_j = Σ_t (H_j ν_t)_i
        for i, c in enumerate(cons):
            a, b = c.gradients(theta, ybar)
            gth[i] = a + b @ dy
            gnu[i] = np.asarray(H.T @ b)[None, :]
        return gth, gnu

    # -- conversions between flat and per-type arrays -----------------------------------------
    def to_types(self, flat: FloatArray) -> list[FloatArray]:
        """(..., N_SA) -> per type (..., S, A), zero on masked pairs."""
        out = []
        for i, t in enumerate(self.game.types):
            a = np.zeros((*flat.shape[:-1], t.n_states * t.n_actions))
            a[..., self.keep[i]] = flat[..., self.sa_off[i] : self.sa_off[i + 1]]
            out.append(a.reshape(*flat.shape[:-1], t.n_states, t.n_actions))
        return out

    def states_to_types(self, flat: FloatArray) -> list[FloatArray]:
        """(..., N_S) -> per type (..., S)."""
        return [
            flat[..., self.state_off[i] : self.state_off[i + 1]].copy() for i in range(self.n_types)
        ]

    def from_types(self, arrays: list[FloatArray], field: str) -> FloatArray:
        """Per type (..., S, A) -> (..., N_SA); mass on masked pairs is an error."""
        if len(arrays) != self.n_types:
            raise InstanceError(field, f"has {len(arrays)} entries, expected {self.n_types}")
        parts = []
        for i, (a, t) in enumerate(zip(arrays, self.game.types, strict=True)):
            a = np.asarray(a, dtype=np.float64)
            if a.shape[-2:] != (t.n_states, t.n_actions):
                raise InstanceError(
                    f"{field}[{i}]",
                    f"has shape {a.shape}, expected (..., {t.n_states}, {t.n_actions})",
                )
            flat = a.reshape(*a.shape[:-2], -1)
            masked = np.delete(flat, self.keep[i], axis=-1)
            if masked.size and np.abs(masked).max() > 1e-12:
                raise InstanceError(f"{field}[{i}]", "puts weight on a masked (disallowed) action")
            parts.append(flat[..., self.keep[i]])
        return np.concatenate(parts, axis=-1)

    def states_from_types(self, arrays: list[FloatArray], field: str) -> FloatArray:
        if len(arrays) != self.n_types:
            raise InstanceError(field, f"has {len(arrays)} entries, expected {self.n_types}")
        return np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays], axis=-1)


def _checked(P: sp.csr_array) -> sp.csr_array:
    if P.data.size and P.data.min() < -1e-12:
        raise InstanceError(
            "theta",
            "P(θ) has a negative probability: θ is outside the set where transitions are valid",
        )
    return P


Kernels: TypeAlias = sp.csr_array | tuple[sp.csr_array, ...]
"""One kernel for every step, or one per step (T of them; stationary games: one)."""


def at_step(P: Kernels, t: int) -> sp.csr_array:
    """The kernel of step ``t`` (the only one when ``P`` is a single matrix or 1-tuple)."""
    if isinstance(P, tuple):
        return P[t] if len(P) > 1 else P[0]
    return P


_CACHE: OrderedDict[int, CompiledGame] = OrderedDict()
CACHE_SIZE = 8
"""Compiled games of the most recently used games, by identity (the games stay untouched)."""


def compile_game(game: Game) -> CompiledGame:
    """Flatten ``game``; the last :data:`CACHE_SIZE` compilations are kept in a module-level
    cache keyed by the game's identity (the game object itself is never written to)."""
    key = id(game)
    cached = _CACHE.get(key)
    if cached is not None and cached.game is game:
        _CACHE.move_to_end(key)
        return cached
    cached = CompiledGame(game)
    _CACHE[key] = cached
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return cached
