"""The catalogue's game generators: two-state (closed form), Garnet, congestion, leader-MDP,
subsidy trap.

Every generator is deterministic given its arguments (random ones take a ``seed``);
:func:`smfe.game.catalogue.make_instance` validates overrides and sizes before calling one.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from smfe.errors import InstanceError
from smfe.game.model import (
    Decision,
    FiniteHorizon,
    FollowerType,
    Game,
    LeaderObjective,
    Price,
    Stationary,
)


def two_state(
    u0: float = 1.0,
    u1: float = 0.5,
    congestion: float = 1.0,
    target: float = 0.3,
    tau: float = 0.5,
    gamma: float = 0.9,
    bound: float = 10.0,
    response: str = "soft",
) -> Game:
    r"""A hand-solvable game: one type, states {0, 1}; action a moves the follower to state a.

    Rewards :math:`f_0 = u_0 + \theta - b\,p` for action 0 and :math:`f_1 = u_1` for action 1,
    with :math:`p = \sum_x\nu(x,0)` the share choosing 0 (a congestion price of slope b).
    Q does not depend on x, so :math:`V = \tau\log\sum_a e^{f_a/\tau}/(1-\gamma)` and the MFE
    solves :math:`p = \sigma((u_0 + \theta - b p - u_1)/\tau)`, unique since b >= 0. The leader
    steers the share to ``target`` and maximises :math:`J = -(p - p^\star)^2`, so the S-MFE is
    :math:`p = p^\star`, :math:`J = 0` and, in closed form,

    .. math:: \theta^\star = \tau\log\frac{p^\star}{1-p^\star} - u_0 + u_1 + b\,p^\star .
    """
    if not 0.0 < target < 1.0:
        raise InstanceError("target", f"must lie in (0, 1), got {target}")
    trans = np.zeros((2, 2, 2))
    trans[:, 0, 0] = 1.0
    trans[:, 1, 1] = 1.0
    reward = np.array([[u0, u1], [u0, u1]])
    reward_theta = np.zeros((1, 2, 2))
    reward_theta[0, :, 0] = 1.0
    agg = np.zeros((1, 2, 2))
    agg[0, :, 0] = 1.0
    exposure = -agg
    t = FollowerType(
        name="all",
        share=1.0,
        mask=np.ones((2, 2), bool),
        reward=reward,
        transition=trans,
        reward_theta=reward_theta,
        aggregate=agg,
        exposure=exposure,
        leader_weight=agg,
    )
    objective = LeaderObjective(
        constant=-target * target,
        y_linear=np.array([2.0 * target]),
        y_quadratic=np.array([[-2.0]]),
        y_names=("share in state 0",),
    )
    return Game(
        types=(t,),
        horizon=Stationary(gamma),
        tau=tau,
        decision=Decision(
            lower=np.array([-bound]), upper=np.array([bound]), start=np.zeros(1), names=("subsidy",)
        ),
        objective=objective,
        prices=(Price(0.0, congestion, 0.0, "congestion"),),
        response=response,  # type: ignore[arg-type]  # Game validates it
        name="two-state",
        description="closed-form S-MFE: steer the population share to a target",
    )


def two_state_solution(game_args: dict[str, float] | None = None) -> tuple[float, float]:
    """Closed-form (θ*, p*) of :func:`two_state` with the given arguments."""
    a = {"u0": 1.0, "u1": 0.5, "congestion": 1.0, "target": 0.3, "tau": 0.5}
    a.update(game_args or {})
    p = a["target"]
    theta = a["tau"] * np.log(p / (1.0 - p)) - a["u0"] + a["u1"] + a["congestion"] * p
    return float(theta), float(p)


def subsidy_trap(
    tau: float = 0.25,
    value: float = 5.0,
    cost: float = 1.0,
    upper: float = 4.0,
) -> Game:
    r"""A leader problem with a local optimum at its start: one follower, one epoch, actions
    {keep, cheap, adopt} with rewards (0, 0.5, −1 + θ). The leader pays a subsidy θ ∈ [0, upper]
    for adoption and earns ``value`` per unit adopting, at ``cost`` per unit of subsidy:
    J(θ) = value·π(adopt | θ) − cost·θ with π the softmax at temperature τ.

    At θ = 0 adoption is rare and a small subsidy only costs (J'(0) < 0): every local method
    started there stops at θ = 0, J ≈ 0.011; the global optimum is interior, θ* ≈ 2.2535,
    J* ≈ 2.4825 (τ = 0.25), where the softmax turns the subsidy into adoption. A test case for
    the ``global`` method.
    """
    for name, v in (("tau", tau), ("value", value), ("cost", cost), ("upper", upper)):
        if not (np.isfinite(v) and v > 0.0):
            raise InstanceError(name, f"must be a finite number > 0, got {v}")
    A = 3
    adopt = np.zeros((1, 1, A))
    adopt[0, 0, 2] = 1.0
    t = FollowerType(
        name="households",
        share=1.0,
        mask=np.ones((1, A), bool),
        reward=np.array([[0.0, 0.5, -1.0]]),
        transition=np.ones((1, A, 1)),
        reward_theta=adopt,
        leader_weight=adopt,
        init=np.ones(1),
    )
    return Game(
        types=(t,),
        horizon=FiniteHorizon(1, 1.0),
        tau=tau,
        decision=Decision(
            lower=np.zeros(1), upper=np.array([upper]), start=np.zeros(1), names=("subsidy",)
        ),
        objective=LeaderObjective(
            theta_linear=np.array([-cost]), y_linear=np.array([value]), y_names=("adopting",)
        ),
        name="subsidy-trap",
        description="adoption subsidy: local optimum at θ = 0, global optimum interior",
    )


def garnet(
    n_states: int = 20,
    n_actions: int = 4,
    branching: int = 3,
    n_types: int = 2,
    n_zones: int = 3,
    congestion: float = 1.0,
    gamma: float = 0.9,
    tau: float = 0.2,
    toll_max: float = 1.0,
    welfare_weight: float = 0.5,
    balance_weight: float = 2.0,
    horizon: int | None = None,
    response: str = "soft",
    seed: int = 0,
) -> Game:
    r"""A random Garnet game (Archibald et al. 1995) with zone congestion and leader tolls.

    Each (x, a) leads to ``branching`` random states with random probabilities; rewards are
    U[0, 1]. States are split into ``n_zones`` zones; the zone load :math:`z_m` (mass of all
    types in zone m) raises a price :math:`c\,z_m` paid by everyone in the zone — a monotone
    coupling, so with τ > 0 the soft MFE is unique for every toll. The leader sets a toll
    :math:`\theta_m \in [0, \bar\theta]` per zone and maximises toll revenue plus
    ``welfare_weight`` × expected follower reward minus
    ``balance_weight``/2 × Σ_m (z_m − 1/n_zones)²,
    i.e. it balances the load across zones. ``horizon=T`` makes it a finite-horizon game
    from a uniform initial distribution.
    """
    rng = np.random.default_rng(seed)
    if (
        n_states < 1
        or n_actions < 1
        or not 1 <= branching <= n_states
        or n_types < 1
        or n_zones < 1
    ):
        raise InstanceError("garnet", "sizes must be positive and branching <= n_states")
    zone = np.arange(n_states) % n_zones
    rng.shuffle(zone)
    Z = np.zeros((n_zones, n_states, n_actions))
    Z[zone, np.arange(n_states), :] = 1.0
    types = []
    shares = rng.dirichlet(np.full(n_types, 5.0))
    shares[-1] = 1.0 - shares[:-1].sum()
    for k in range(n_types):
        P = _garnet_kernel(rng, n_states, n_actions, branching)
        reward = rng.uniform(0.0, 1.0, size=(n_states, n_actions))
        lw = np.concatenate([Z, reward[None]], axis=0)  # zone loads, then follower reward
        types.append(
            FollowerType(
                name=f"type{k}",
                share=float(shares[k]),
                mask=np.ones((n_states, n_actions), bool),
                reward=reward,
                transition=P,
                reward_theta=-Z,
                aggregate=Z,
                exposure=-Z,
                leader_weight=lw,
                init=np.full(n_states, 1.0 / n_states) if horizon is not None else None,
            )
        )
    steps = 1 if horizon is None else horizon
    objective = _garnet_objective(n_zones, balance_weight, welfare_weight, steps)
    hz: Stationary | FiniteHorizon = (
        Stationary(gamma) if horizon is None else FiniteHorizon(horizon, gamma)
    )
    return Game(
        types=tuple(types),
        horizon=hz,
        tau=tau,
        decision=Decision(
            lower=np.zeros(n_zones),
            upper=np.full(n_zones, toll_max),
            start=np.full(n_zones, 0.5 * toll_max),
            names=tuple(f"toll{m}" for m in range(n_zones)),
        ),
        objective=objective,
        prices=tuple(Price(0.0, congestion, 0.0, f"zone{m}") for m in range(n_zones)),
        response=response,  # type: ignore[arg-type]  # Game validates it
        name="garnet",
        description=(
            f"Garnet S={n_states} A={n_actions} b={branching} K={n_types} zones={n_zones} "
            f"seed={seed}"
        ),
    )


def _garnet_kernel(
    rng: np.random.Generator, n_states: int, n_actions: int, branching: int
) -> sp.csr_array:
    """Each (x, a) to ``branching`` distinct random states with Dirichlet(1) probabilities."""
    rows = np.repeat(np.arange(n_states * n_actions), branching)
    cols = np.concatenate(
        [rng.choice(n_states, size=branching, replace=False) for _ in range(n_states * n_actions)]
    )
    probs = rng.dirichlet(np.ones(branching), size=n_states * n_actions).ravel()
    return sp.csr_array((probs, (rows, cols)), shape=(n_states * n_actions, n_states))


def _garnet_objective(
    n_zones: int, balance_weight: float, welfare_weight: float, steps: int
) -> LeaderObjective:
    """Toll revenue θᵀz + welfare_weight × follower reward − balance_weight/2 Σ_m (z_m − 1/M)²."""
    ny = n_zones + 1
    theta_y = np.zeros((n_zones, ny))
    theta_y[:, :n_zones] = np.eye(n_zones)
    y_lin = np.zeros(ny)
    y_lin[:n_zones] = balance_weight / n_zones
    y_lin[-1] = welfare_weight
    y_quad = np.zeros((ny, ny))
    y_quad[:n_zones, :n_zones] = -balance_weight * np.eye(n_zones)
    return LeaderObjective(
        constant=-0.5 * balance_weight * steps / n_zones,
        theta_y=theta_y,
        y_linear=y_lin,
        y_quadratic=y_quad,
        y_names=(*(f"zone {m} load" for m in range(n_zones)), "follower reward"),
    )


def congestion(
    n_sites: int = 5,
    T: int = 8,
    congestion: float = 2.0,
    tau: float = 0.3,
    toll_max: float = 2.0,
    toll_cost: float = 0.1,
    response: str = "soft",
) -> Game:
    r"""Finite-horizon crowd congestion on a ring (a standard MFG test problem).

    Sites 0..n-1 on a ring; actions left / stay / right (deterministic). A site's appeal
    falls linearly from site 0; the crowd at a site costs :math:`c\,z_{s,t}` to everyone
    there. Everyone starts at site 0. The leader levies a toll :math:`\theta_s\in[0,\bar\theta]`
    per site and minimises crowding :math:`\sum_t\sum_s z_{s,t}^2` plus ``toll_cost``/2·|θ|².
    """
    n = n_sites
    trans = np.zeros((n, 3, n))
    for s in range(n):
        for a, step in enumerate((-1, 0, 1)):
            trans[s, a, (s + step) % n] = 1.0
    site = np.zeros((n, n, 3))
    site[np.arange(n), np.arange(n), :] = 1.0
    appeal = np.repeat(np.linspace(1.0, 0.0, n)[:, None], 3, axis=1)
    move_cost = np.tile(np.array([0.1, 0.0, 0.1]), (n, 1))
    init = np.zeros(n)
    init[0] = 1.0
    t = FollowerType(
        name="walkers",
        share=1.0,
        mask=np.ones((n, 3), bool),
        reward=appeal - move_cost,
        transition=trans,
        reward_theta=-site,
        aggregate=site,
        exposure=-site,
        leader_weight=site,
        init=init,
    )
    objective = LeaderObjective(
        theta_quadratic=-toll_cost * np.eye(n),
        y_quadratic=-2.0 * np.eye(n),
        y_names=tuple(f"site {s}" for s in range(n)),
    )
    return Game(
        types=(t,),
        horizon=FiniteHorizon(T, 1.0),
        tau=tau,
        decision=Decision(
            lower=np.zeros(n),
            upper=np.full(n, toll_max),
            start=np.zeros(n),
            names=tuple(f"toll{s}" for s in range(n)),
        ),
        objective=objective,
        prices=tuple(Price(0.0, congestion, 0.0, f"site{s}") for s in range(n)),
        response=response,  # type: ignore[arg-type]  # Game validates it
        name="congestion",
        description="finite-horizon ring congestion with site tolls",
    )


def leader_mdp(
    n_states: int = 4,
    n_actions: int = 2,
    n_leader_actions: int = 2,
    gamma: float = 0.8,
    tau: float = 0.3,
    congestion: float = 0.5,
    seed: int = 1,
    response: str = "soft",
) -> Game:
    r"""A leader that is itself a small MDP: in each state x it plays b with probability θ(b|x).

    The follower's reward and kernel mix per-leader-action data,
    :math:`r(x,a) = \sum_b\theta(b|x)\,r(x,a,b) - c\,z_x`,
    :math:`P(\cdot|x,a) = \sum_b\theta(b|x)P(\cdot|x,a,b)`, with a congestion price on the
    state load :math:`z_x`. The leader's per-step reward is
    :math:`\sum_{x,a}\nu(x,a)\sum_b\theta(b|x)\,r_L(x,a,b)` (its average reward under the
    stationary mean field). Θ is a product of simplices, one per state.
    """
    rng = np.random.default_rng(seed)
    S, A, B = n_states, n_actions, n_leader_actions
    rb = rng.uniform(0.0, 1.0, size=(S, A, B))
    rl = rng.uniform(-1.0, 1.0, size=(S, A, B))
    Pb = rng.dirichlet(np.ones(S), size=(S, A, B))  # (S, A, B, S')
    d = S * B
    reward_theta = np.zeros((d, S, A))
    lwt = np.zeros((1, d, S, A))
    trans_theta = []
    for x in range(S):
        for b in range(B):
            j = x * B + b
            reward_theta[j, x, :] = rb[x, :, b]
            lwt[0, j, x, :] = rl[x, :, b]
            M = np.zeros((S, A, S))
            M[x, :, :] = Pb[x, :, b, :]
            trans_theta.append(sp.csr_array(M.reshape(S * A, S)))
    load = np.zeros((S, S, A))
    load[np.arange(S), np.arange(S), :] = 1.0
    t = FollowerType(
        name="followers",
        share=1.0,
        mask=np.ones((S, A), bool),
        reward=np.zeros((S, A)),
        transition=sp.csr_array((S * A, S)),
        transition_theta=tuple(trans_theta),
        reward_theta=reward_theta,
        aggregate=load,
        exposure=-load,
        leader_weight_theta=lwt,
    )
    A_eq = np.kron(np.eye(S), np.ones((1, B))).astype(np.float64)
    return Game(
        types=(t,),
        horizon=Stationary(gamma),
        tau=tau,
        decision=Decision(
            lower=np.zeros(d),
            upper=np.ones(d),
            A_eq=A_eq,
            b_eq=np.ones(S),
            start=np.full(d, 1.0 / B),
            names=tuple(f"θ(b{b}|x{x})" for x in range(S) for b in range(B)),
        ),
        objective=LeaderObjective(y_linear=np.ones(1), y_names=("leader reward",)),
        prices=tuple(Price(0.0, congestion, 0.0, f"load{x}") for x in range(S)),
        response=response,  # type: ignore[arg-type]  # Game validates it
        name="leader-mdp",
        description="leader is an MDP with a randomised stationary policy",
    )
