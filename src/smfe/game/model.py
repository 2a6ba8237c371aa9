r"""The game: follower types, horizon, prices, the leader's decision set and objective.

A :class:`Game` is the *affine-aggregative* Stackelberg mean-field game of SPEC §1. With
:math:`\theta\in\mathbb R^d` the leader decision and :math:`\nu_k(x,a)` the state-action
distribution of type :math:`k` (share :math:`w_k`), the follower aggregates (one per price
:math:`m = 1..M`) and prices are

.. math::  z_m = \sum_k w_k \sum_{x,a} G_{k,m}(x,a)\,\nu_k(x,a),\qquad
           p_m(z) = \alpha_m + \beta_m z_m + \kappa_m z_m^2 ,

and the reward of a type-:math:`k` follower in state :math:`x` taking action :math:`a` is

.. math::  r_k(x,a;\theta,\nu) = r^0_k(x,a) + \sum_j \theta_j R_{k,j}(x,a)
           + \sum_m p_m(z)\,\Big(E^0_{k,m}(x,a) + \sum_j \theta_j E_{k,m,j}(x,a)\Big).

Transitions are affine in the leader decision and in the aggregates,
:math:`P_k(\cdot|x,a;\theta,z) = P^0_k + \sum_j\theta_j P_{k,j} + \sum_m z_m P^z_{k,m}`
(mean-field-dependent dynamics, e.g. an infection probability proportional to the infected
share), and must be stochastic on the whole decision set Θ and at every aggregate the
followers can reach (checked on the affine hull of Θ, at the start point, and over the box of
reachable aggregates). The leader maximises

.. math::  J = c_0 + c^\top\theta + \tfrac12\theta^\top C\theta
           + \sum_t\big(d^\top y_t + \tfrac12 y_t^\top D y_t + \theta^\top B y_t\big),\qquad
           y_{t,i} = \sum_k w_k \sum_{x,a}\nu_{k,t}(x,a)\Big(H^0_{k,i}(x,a)
           + \sum_j\theta_j H_{k,i,j}(x,a)\Big),

over Θ = {θ : l ≤ θ ≤ u, A_eq θ = b_eq, A_ub θ ≤ b_ub}; for a stationary game there is one
:math:`t`. In finite-horizon games aggregates and prices are formed per step. Optional
``constraints`` bound affine or convex quadratic functions of (θ, Σ_t y_t): rules on the mean
field (:mod:`smfe.game.constraint`).

This structure is the library's array-expression form: every term is a coefficient array, so
the same data evaluates on NumPy arrays (:mod:`smfe.game.compiled`) and, coefficient by
coefficient, on algebraic-model variables. It covers congestion games, random Garnet games,
leaders that are themselves MDPs (θ a product of simplices, P and r affine in θ) and the
energy market (prices of aggregate net demand, a pass-through share times a price).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from smfe.errors import InstanceError
from smfe.game import checks
from smfe.game.checks import BoolArray, FloatArray
from smfe.game.constraint import LeaderConstraint
from smfe.game.decision import Decision
from smfe.game.price import Price


class Response(StrEnum):
    """How followers respond (SPEC §2). With ``tau == 0`` both mean the exact best response."""

    SOFT = "soft"
    BOLTZMANN = "boltzmann"


@dataclass(frozen=True)
class Stationary:
    """Infinite horizon, discount ``gamma`` in [0, 1); the mean field is stationary."""

    gamma: float

    def __post_init__(self) -> None:
        g = checks.finite_number(self.gamma, "horizon.gamma")
        if not 0.0 <= g < 1.0:
            raise InstanceError(
                "horizon.gamma", f"must lie in [0, 1) for a stationary game, got {g}"
            )
        object.__setattr__(self, "gamma", g)

    @property
    def steps(self) -> int:
        return 1


@dataclass(frozen=True)
class FiniteHorizon:
    """``T`` decision steps t = 0..T-1, discount ``gamma`` in [0, 1], terminal value 0."""

    T: int
    gamma: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.T, bool) or not isinstance(self.T, int | np.integer) or self.T < 1:
            raise InstanceError("horizon.T", f"must be a positive integer, got {self.T!r}")
        g = checks.finite_number(self.gamma, "horizon.gamma")
        if not 0.0 <= g <= 1.0:
            raise InstanceError("horizon.gamma", f"must lie in [0, 1], got {g}")
        object.__setattr__(self, "T", int(self.T))
        object.__setattr__(self, "gamma", g)

    @property
    def steps(self) -> int:
        return self.T


Horizon = Stationary | FiniteHorizon


@dataclass(frozen=True, eq=False)
class FollowerType:
    """One follower type: states 0..S-1, actions 0..A-1, masks, rewards, transitions.

    Arrays are indexed ``[x, a]`` (and ``[j, x, a]``, ``[m, x, a]``, ``[m, j, x, a]``,
    ``[i, x, a]``, ``[i, j, x, a]`` for the θ-, price- and leader-indexed coefficients of the
    module docstring); ``leader_weight`` may also be a sparse (n_y, S*A) matrix whose column
    ``x*A + a`` holds the pair's weights — a type touches few of many leader aggregates (the
    utility market's 1,470 rows per type are 99.9 % zeros: 3.1 GB dense). ``reward_steps``
    ``[t, x, a]`` (finite horizon only) is added to the reward at step t: time-varying data,
    e.g. a target that moves. ``transition`` is a dense (S, A, S) array or a sparse (S*A, S)
    matrix whose row ``x*A + a`` is P(·|x, a). ``transition_aggregate`` holds one such matrix
    P^z_m per aggregate (price) m, whose rows sum to 0: the kernel's change per unit of z_m.
    Missing optional coefficients are zero.
    """

    name: str
    share: float
    mask: BoolArray
    reward: FloatArray
    transition: sp.csr_array
    reward_theta: FloatArray | None = None
    transition_theta: tuple[sp.csr_array, ...] = ()
    aggregate: FloatArray | None = None
    exposure: FloatArray | None = None
    exposure_theta: FloatArray | None = None
    leader_weight: FloatArray | sp.csr_array | None = None
    leader_weight_theta: FloatArray | None = None
    init: FloatArray | None = None
    reward_steps: FloatArray | None = None
    transition_aggregate: tuple[sp.csr_array, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InstanceError("types.name", f"must be a non-empty string, got {self.name!r}")
        f = f"types[{self.name}]"
        share = checks.finite_number(self.share, f"{f}.share")
        if share < 0.0:
            raise InstanceError(f"{f}.share", f"must be a finite number >= 0, got {share}")
        object.__setattr__(self, "share", share)
        mask0 = np.asarray(self.mask)
        if mask0.ndim != 2 or 0 in mask0.shape:
            raise InstanceError(f"{f}.mask", f"must be a non-empty (S, A) array, got {mask0.shape}")
        S, A = mask0.shape
        mask = checks.bool_array(mask0, f"{f}.mask", (S, A))
        empty = ~np.asarray(mask.any(axis=1))
        if empty.any():
            raise InstanceError(
                f"{f}.mask", "state has no allowed action", checks.first_index(empty)
            )
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "reward", checks.float_array(self.reward, f"{f}.reward", (S, A)))
        P = checks.transition_matrix(self.transition, f"{f}.transition", S, A)
        object.__setattr__(self, "transition", P)
        Pj = tuple(
            checks.transition_matrix(m, f"{f}.transition_theta[{j}]", S, A)
            for j, m in enumerate(self.transition_theta)
        )
        object.__setattr__(self, "transition_theta", Pj)
        Pz = tuple(
            checks.transition_matrix(m, f"{f}.transition_aggregate[{i}]", S, A)
            for i, m in enumerate(self.transition_aggregate)
        )
        for i, m in enumerate(Pz):
            checks.check_stochastic_rows(m, mask, f"{f}.transition_aggregate[{i}]", A, target=0.0)
        object.__setattr__(self, "transition_aggregate", Pz)
        if not Pj and not Pz:
            checks.check_stochastic_rows(P, mask, f"{f}.transition", A)
        if sp.issparse(self.leader_weight):
            object.__setattr__(
                self,
                "leader_weight",
                checks.sparse_rows(self.leader_weight, f"{f}.leader_weight", S * A),
            )
        for name in ("reward_theta", "aggregate", "exposure", "leader_weight", "reward_steps"):
            v = getattr(self, name)
            if v is not None and not sp.issparse(v):
                a = checks.float_array(v, f"{f}.{name}")
                if a.ndim != 3 or a.shape[1:] != (S, A):
                    raise InstanceError(
                        f"{f}.{name}", f"has shape {a.shape}, expected (n, {S}, {A})"
                    )
                object.__setattr__(self, name, a)
        for name in ("exposure_theta", "leader_weight_theta"):
            v = getattr(self, name)
            if v is not None:
                a = checks.float_array(v, f"{f}.{name}")
                if a.ndim != 4 or a.shape[2:] != (S, A):
                    raise InstanceError(
                        f"{f}.{name}", f"has shape {a.shape}, expected (n, d, {S}, {A})"
                    )
                object.__setattr__(self, name, a)
        if self.init is not None:
            object.__setattr__(self, "init", checks.distribution(self.init, f"{f}.init", S))

    @property
    def n_states(self) -> int:
        return int(self.mask.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.mask.shape[1])


@dataclass(frozen=True, eq=False)
class LeaderObjective:
    """The coefficients of J (module docstring): maximised by the leader."""

    constant: float = 0.0
    theta_linear: FloatArray | None = None
    theta_quadratic: FloatArray | None = None
    y_linear: FloatArray | None = None
    y_quadratic: FloatArray | None = None
    theta_y: FloatArray | None = None
    y_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        c = checks.finite_number(self.constant, "objective.constant")
        object.__setattr__(self, "constant", c)
        for name in ("theta_linear", "theta_quadratic", "y_linear", "y_quadratic", "theta_y"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, checks.float_array(v, f"objective.{name}"))


@dataclass(frozen=True, eq=False)
class Game:
    """A Stackelberg mean-field game (module docstring); validated on construction."""

    types: tuple[FollowerType, ...]
    horizon: Horizon
    tau: float
    decision: Decision
    objective: LeaderObjective = field(default_factory=LeaderObjective)
    prices: tuple[Price, ...] = ()
    constraints: tuple[LeaderConstraint, ...] = ()
    response: Response = Response.SOFT
    name: str = "game"
    description: str = ""

    def __post_init__(self) -> None:
        for key in ("name", "description"):
            if not isinstance(getattr(self, key), str):
                raise InstanceError(key, f"must be a string, got {getattr(self, key)!r}")
        types = tuple(self.types)
        if not types:
            raise InstanceError("types", "a game needs at least one follower type")
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "prices", tuple(self.prices))
        object.__setattr__(self, "constraints", tuple(self.constraints))
        if not isinstance(self.horizon, Stationary | FiniteHorizon):
            raise InstanceError(
                "horizon", f"must be Stationary or FiniteHorizon, got {self.horizon!r}"
            )
        tau = checks.finite_number(self.tau, "tau")
        if tau < 0.0:
            raise InstanceError("tau", f"must be a finite number >= 0, got {tau}")
        object.__setattr__(self, "tau", tau)
        try:
            object.__setattr__(self, "response", Response(self.response))
        except ValueError:
            raise InstanceError("response", f"unknown response model {self.response!r}") from None
        shares = np.array([t.share for t in types])
        if abs(shares.sum() - 1.0) > checks.PROB_TOL:
            raise InstanceError("types.share", f"shares sum to {shares.sum()!r}, not 1")
        names = [t.name for t in types]
        if len(set(names)) != len(names):
            raise InstanceError("types.name", "type names must be unique")
        self._check_dimensions()
        self._check_transitions_on_decision_set()
        self._check_price_domains()

    # -- sizes -------------------------------------------------------------------------------
    @property
    def n_theta(self) -> int:
        return self.decision.dim

    @property
    def n_prices(self) -> int:
        return len(self.prices)

    @property
    def n_leader_aggregates(self) -> int:
        for t in self.types:
            for w in (t.leader_weight, t.leader_weight_theta):
                if w is not None:
                    return int(w.shape[0])
        y = self.objective.y_linear
        return 0 if y is None else int(y.size)

    @property
    def n_state_actions(self) -> int:
        return int(sum(int(t.mask.sum()) for t in self.types))

    @property
    def mean_field_dynamics(self) -> bool:
        """Transitions depend on the aggregates (some ``transition_aggregate`` is given)."""
        return any(t.transition_aggregate for t in self.types)

    @property
    def finite(self) -> bool:
        return isinstance(self.horizon, FiniteHorizon)

    @property
    def exact(self) -> bool:
        """Followers play an exact best response (τ = 0)."""
        return self.tau == 0.0

    def start(self) -> FloatArray:
        """The leader's starting decision (``decision.start`` or the projection of 0)."""
        if self.decision.start is not None:
            return np.array(self.decision.start)
        from smfe.game.projection import project

        return project(self.decision, np.zeros(self.n_theta))

    # -- validation --------------------------------------------------------------------------
    def _check_dimensions(self) -> None:
        d, M, ny = self.n_theta, self.n_prices, self.n_leader_aggregates
        for t in self.types:
            f = f"types[{t.name}]"
            expect: dict[str, tuple[int, ...]] = {
                "reward_theta": (d,),
                "aggregate": (M,),
                "exposure": (M,),
                "exposure_theta": (M, d),
                "leader_weight": (ny,),
                "leader_weight_theta": (ny, d),
            }
            for name, lead in expect.items():
                v = getattr(t, name)
                if v is not None and v.shape[: len(lead)] != lead:
                    raise InstanceError(
                        f"{f}.{name}", f"leading dimensions {v.shape[: len(lead)]}, expected {lead}"
                    )
            if t.transition_theta and len(t.transition_theta) != d:
                raise InstanceError(
                    f"{f}.transition_theta", f"has {len(t.transition_theta)} matrices, expected {d}"
                )
            if t.transition_aggregate and len(t.transition_aggregate) != M:
                raise InstanceError(
                    f"{f}.transition_aggregate",
                    f"has {len(t.transition_aggregate)} matrices, expected one per price ({M})",
                )
            if (t.exposure is not None or t.exposure_theta is not None) and M == 0:
                raise InstanceError(f"{f}.exposure", "given but the game has no prices")
            if t.reward_steps is not None and (
                not self.finite or t.reward_steps.shape[0] != self.horizon.steps
            ):
                raise InstanceError(
                    f"{f}.reward_steps",
                    f"has {t.reward_steps.shape[0]} steps; it needs a finite horizon with "
                    f"T = {t.reward_steps.shape[0]}"
                    + ("" if self.finite else " (this game is stationary)"),
                )
            if self.finite and t.init is None:
                raise InstanceError(
                    f"{f}.init", "a finite-horizon game needs an initial distribution"
                )
        o = self.objective
        shapes = {
            "theta_linear": (d,),
            "theta_quadratic": (d, d),
            "y_linear": (ny,),
            "y_quadratic": (ny, ny),
            "theta_y": (d, ny),
        }
        for name, shape in shapes.items():
            v = getattr(o, name)
            if v is not None and v.shape != shape:
                raise InstanceError(f"objective.{name}", f"has shape {v.shape}, expected {shape}")
        seen: set[str] = set()
        for c in self.constraints:
            if not isinstance(c, LeaderConstraint):
                raise InstanceError("constraints", f"must be LeaderConstraint, got {c!r}")
            if c.name in seen:
                raise InstanceError(f"constraints[{c.name}].name", "names must be unique")
            seen.add(c.name)
            c.check_dimensions(d, ny)

    def aggregate_ranges(self) -> FloatArray:
        """[z_min, z_max] per price (M, 2) over every distribution: Σ_k w_k times the least
        and largest coefficient of an allowed pair."""
        out = np.zeros((self.n_prices, 2))
        for t in self.types:
            if t.aggregate is None:
                continue
            allowed = t.aggregate[:, t.mask]  # (M, allowed pairs)
            if allowed.size:
                out[:, 0] += t.share * allowed.min(axis=1)
                out[:, 1] += t.share * allowed.max(axis=1)
        return out

    def _check_price_domains(self) -> None:
        """Log, rational, power and exp price terms must be defined (and finite) at every
        reachable aggregate."""
        for m, (p, (lo, hi)) in enumerate(zip(self.prices, self.aggregate_ranges(), strict=True)):
            why = p.domain_violation(float(lo), float(hi))
            if why is not None:
                raise InstanceError(f"prices[{m}].{why.split(':')[0]}", why.split(": ", 1)[1])

    def _check_transitions_on_decision_set(self) -> None:
        """P(θ, z) rows sum to 1 on the affine hull of Θ, and P(start, z) >= 0 (allowed rows)
        at every aggregate z in the reachable box (:meth:`aggregate_ranges`): entrywise, the
        least value over the box is P⁰ + Σ_j θ_j P_j + Σ_m min(z_m^lo P^z_m, z_m^hi P^z_m)."""
        if not any(t.transition_theta or t.transition_aggregate for t in self.types):
            return
        dec = self.decision
        theta0 = self.start()
        box = self.aggregate_ranges()
        N = scipy.linalg.null_space(dec.A_eq) if dec.A_eq is not None else np.eye(dec.dim)
        for t in self.types:
            if not (t.transition_theta or t.transition_aggregate):
                continue
            f = f"types[{t.name}].transition"
            moves = zip(theta0, t.transition_theta, strict=True) if t.transition_theta else ()
            P = t.transition + sum(
                (float(th) * Pj for th, Pj in moves), start=sp.csr_array(t.transition.shape)
            )
            where = " at θ = decision.start"
            checks.check_stochastic_rows(sp.csr_array(P), t.mask, f, t.n_actions, where=where)
            if t.transition_aggregate:
                low = sp.csr_array(P)
                for (lo, hi), Pz in zip(box, t.transition_aggregate, strict=True):
                    low = low + (lo * Pz).minimum(hi * Pz)
                checks.check_nonnegative_rows(
                    sp.csr_array(low),
                    t.mask,
                    f"types[{t.name}].transition_aggregate",
                    t.n_actions,
                    where=" at some reachable aggregate z (θ = decision.start)",
                    tol=checks.PROB_TOL,
                )
            if not t.transition_theta:
                continue
            rows = np.flatnonzero(t.mask.ravel())
            grad = np.column_stack(
                [np.asarray(Pj[rows].sum(axis=1)).ravel() for Pj in t.transition_theta]
            )
            moving = np.abs(grad @ N) > 1e-9
            if moving.any():
                r = int(rows[np.flatnonzero(moving.any(axis=1))[0]])
                raise InstanceError(
                    f"types[{t.name}].transition_theta",
                    "row sums of P(θ) change within the decision set",
                    (r // t.n_actions, r % t.n_actions),
                )
