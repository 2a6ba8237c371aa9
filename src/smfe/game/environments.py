r"""The standard mean-field-game environments, written as smfe games from their definitions.

Each generator follows the published definition and the reference implementation of
MFGLib 0.3 (Guo, Hu, Zhang et al., *MFGLib: a library for mean-field games*, 2023; the file
named in each docstring), with the same defaults, so that equilibria and exploitability
values can be compared with published tables and with that library.

**Horizon convention.** The literature's horizon T counts transitions: epochs t = 0..T all
pay a reward, so an environment with horizon T is an smfe game with ``FiniteHorizon(T + 1)``
and γ = 1. Its exploitability in the literature's convention — the best response's gain
against the flow the policy itself induces, weighted by μ₀, unregularised — is reported by
every certificate as ``exploitability_literature``
(:func:`smfe.certification.exploitability.literature_exploitability`).

**Crowd terms.** A reward that depends on the state distribution, such as the crowd aversion
−η·log(μ_t(x) + ε), is written with one *per-state aggregate* z_x = μ_t(x) = Σ_a ν_t(x, a)
per state x and a price p_x(z) = −η·log(z + ε) that the followers in state x pay
(``aggregate`` and ``exposure`` are indicators of x; :class:`~smfe.game.price.Price` with a
``log`` term). Linear crowd terms (left-right, rock-paper-scissors) use p(z) = z.

``tau`` = 0 (the default) is the unregularised game of the literature; τ > 0 its
entropy-regularised (softmax) version.

**Mean-field-dependent dynamics.** Susceptible-infected has an infection probability
proportional to the infected share: its kernel is P⁰ + z·P^z with z = μ_t(infected)
(``transition_aggregate``). Three MFGLib environments remain outside smfe's class, whose
kernels are affine in the aggregates (the class the formulations write algebraically):
linear-quadratic moves to the *rounded* position x + (k(m_t − x) + a)Δ + noise, a step
function of the mean m_t (discontinuous, so neither affine nor smooth); conservative treasure
hunting weights its kernel by c·d_s/(1 + n·c·d_s) with d_s = ‖L_t − e_s e_sᵀ‖², a rational
function of a quadratic in the joint state-action distribution; random linear draws next
states from a softmax of an affine function of L_t. None is a fixed combination of
per-aggregate kernels.
"""

from __future__ import annotations

import numpy as np

from smfe.errors import InstanceError
from smfe.game.decision import Decision
from smfe.game.model import FiniteHorizon, FollowerType, Game, LeaderObjective
from smfe.game.price import Price

FloatArray = np.ndarray


def _crowd_game(
    name: str,
    description: str,
    transition: FloatArray,
    reward: FloatArray,
    mu0: FloatArray,
    T: int,
    tau: float,
    prices: list[Price],
    states: list[int],
    exposure: FloatArray,
    reward_steps: FloatArray | None = None,
    toll_max: float = 0.0,
) -> Game:
    """A one-type game with per-state aggregates z_i = μ(states[i]) and the reward
    r(x, a) + Σ_i p_i(z_i)·exposure[i, x] (literature horizon T: T + 1 reward epochs).

    ``toll_max`` > 0 adds the planner's variant: a toll θ_x ∈ [0, toll_max] charged in every
    state (reward − θ_x), chosen to minimise crowding Σ_t Σ_x μ_t(x)² + ½·0.1·|θ|²."""
    S, A = reward.shape
    M = len(states)
    agg = np.zeros((M, S, A))
    agg[np.arange(M), states, :] = 1.0
    expo = np.repeat(np.asarray(exposure, dtype=np.float64)[:, :, None], A, axis=2)
    if not (np.isfinite(toll_max) and toll_max >= 0.0):
        raise InstanceError("toll_max", f"must be a finite number >= 0, got {toll_max}")
    d = S if toll_max > 0.0 else 0
    site = np.zeros((S, S, A))
    site[np.arange(S), np.arange(S), :] = 1.0
    t = FollowerType(
        name="agents",
        share=1.0,
        mask=np.ones((S, A), bool),
        reward=reward,
        transition=transition,
        aggregate=agg if M else None,
        exposure=expo if M else None,
        init=mu0,
        reward_steps=reward_steps,
        reward_theta=-site if d else None,
        leader_weight=site if d else None,
    )
    objective = (
        LeaderObjective(
            theta_quadratic=-0.1 * np.eye(S),
            y_quadratic=-2.0 * np.eye(S),
            y_names=tuple(f"mass[{x}]" for x in range(S)),
        )
        if d
        else LeaderObjective()
    )
    return _literature_game(
        t,
        T,
        tau,
        np.full(d, toll_max),
        tuple(f"toll[{x}]" for x in range(d)),
        objective,
        prices,
        name + ("-toll" if d else ""),
        description + (" with a planner's toll per state" if d else ""),
    )


def _literature_game(
    t: FollowerType,
    T: int,
    tau: float,
    upper: FloatArray,
    names: tuple[str, ...],
    objective: LeaderObjective,
    prices: list[Price],
    name: str,
    description: str,
) -> Game:
    """One type, the literature's horizon T (T + 1 reward epochs, γ = 1), and a leader
    decision θ ∈ [0, upper] starting at 0 (none when ``upper`` is empty)."""
    d = upper.size
    return Game(
        types=(t,),
        horizon=FiniteHorizon(T + 1, 1.0),
        tau=tau,
        decision=Decision(lower=np.zeros(d), upper=upper, start=np.zeros(d), names=names),
        objective=objective,
        prices=tuple(prices),
        name=name,
        description=description,
    )


def _log_crowd(S: int, eta: float, eps: float) -> tuple[list[Price], list[int], FloatArray]:
    """−η·log(μ(x) + ε) paid in every state x."""
    if not eps > 0.0:
        raise InstanceError("log_eps", f"must be > 0 (the log's floor), got {eps}")
    prices = [Price(log=((-eta, eps),), name=f"crowd[{x}]") for x in range(S)]
    return prices, list(range(S)), np.eye(S)


def _check_positive_int(**kw: int) -> None:
    for k, v in kw.items():
        if v < 1:
            raise InstanceError(k, f"must be a positive integer, got {v}")


def _check_probability(**kw: float) -> None:
    for k, v in kw.items():
        if not 0.0 <= v <= 1.0:
            raise InstanceError(k, f"must be a probability in [0, 1], got {v}")


def beach_bar(
    n: int = 4,
    bar_loc: int = 2,
    T: int = 2,
    log_eps: float = 1e-20,
    p_still: float = 0.5,
    tau: float = 0.0,
    toll_max: float = 0.0,
) -> Game:
    r"""Beach bar (Perrin et al., *Fictitious play for mean field games*, NeurIPS 2020;
    MFGLib 0.3.0 ``mfglib/env/examples/beach_bar.py``).

    States 0..n−1 (moves are clipped at the ends), actions left / stay / right with noise:
    the move lands one further left, on target or one further right with probabilities
    (1 − p)/2, p, (1 − p)/2. Reward
    :math:`-d(x, x_{bar}) - \tfrac1n 1[a \ne \text{stay}] - \log(\mu_t(x) + \varepsilon)`
    with d the distance on the circle of n positions (the beach is a torus for the reward,
    as in the reference implementation). μ₀ uniform. ``toll_max`` > 0: the planner's variant
    (a toll per state against crowding; :func:`_crowd_game`).
    """
    _check_positive_int(n=n, T=T)
    if not 0 <= bar_loc < n:
        raise InstanceError("bar_loc", f"must lie in 0..{n - 1}, got {bar_loc}")
    _check_probability(p_still=p_still)
    P = np.zeros((n, 3, n))
    noise = ((-1, (1 - p_still) / 2), (0, p_still), (1, (1 - p_still) / 2))
    for x in range(n):
        for a in range(3):
            for e, pr in noise:
                P[x, a, min(max(x + a - 1 + e, 0), n - 1)] += pr
    gap = np.abs(np.arange(n) - bar_loc)
    dist = np.minimum(gap, n - gap)[:, None] * np.ones((1, 3))
    move = np.tile(np.array([1.0, 0.0, 1.0]) / n, (n, 1))
    prices, states, expo = _log_crowd(n, 1.0, log_eps)
    return _crowd_game(
        "beach-bar",
        "beach bar (Perrin et al. 2020; MFGLib beach_bar)",
        P,
        -dist - move,
        np.full(n, 1.0 / n),
        T,
        tau,
        prices,
        states,
        expo,
        toll_max=toll_max,
    )


def _grid_moves(L: int, W: int, moves: list[tuple[int, int]]) -> list[list[int]]:
    """Target state of every (state, move) on an L × W grid, clipped at the borders."""
    out = []
    for s in range(L * W):
        i, j = divmod(s, W)
        out.append(
            [min(max(i + di, 0), L - 1) * W + min(max(j + dj, 0), W - 1) for di, dj in moves]
        )
    return out


def crowd_motion(
    torus_l: int = 20,
    torus_w: int = 20,
    T: int = 3,
    loc_change_freq: int = 2,
    c: float = 10.0,
    log_eps: float = 1e-10,
    p_still: float = 0.5,
    seed: int = 0,
    tau: float = 0.0,
    toll_max: float = 0.0,
) -> Game:
    r"""Crowd motion with a moving bar (Pérolat et al., *Scaling up mean field games with
    online mirror descent*, AAMAS 2022; MFGLib ``mfglib/env/examples/crowd_motion.py``).

    The beach bar on an l × w grid (moves clipped at the borders): actions (+1, 0), (−1, 0),
    (0, +1), (0, −1), stay; the move is followed by a noise step that is each of the four
    moves with probability (1 − p)/4 and no move with probability p. Reward
    :math:`c\,(1 - d_t(x)/(l + w)) - \log(\mu_t(x) + \varepsilon)` with :math:`d_t` the
    Manhattan distance to the bar at epoch t — **time-varying data**: every
    ``loc_change_freq`` epochs the bar moves diagonally by (±1, ±1) when it stays on the
    grid. The bar's moves are drawn with NumPy's generator from ``seed``, so the path is not
    MFGLib's (which draws with PyTorch's); the dynamics and rewards are the same.
    ``toll_max`` > 0: the planner's variant (a toll per cell against crowding).
    """
    _check_positive_int(torus_l=torus_l, torus_w=torus_w, T=T, loc_change_freq=loc_change_freq)
    _check_probability(p_still=p_still)
    L, W = torus_l, torus_w
    S = L * W
    acts = [(1, 0), (-1, 0), (0, 1), (0, -1), (0, 0)]
    noise = [(1 - p_still) / 4] * 4 + [p_still]
    P = np.zeros((S, 5, S))
    for a, (ai, aj) in enumerate(acts):
        for e, (di, dj) in enumerate(acts):
            for s, s2 in enumerate(_grid_moves(L, W, [(ai + di, aj + dj)])):
                P[s, a, s2[0]] += noise[e]
    rng = np.random.default_rng(seed)
    bar = (L // 2, W // 2)
    path = [bar]
    for i in range(T + 1):
        if (i + 1) % loc_change_freq == 0:
            step = rng.choice([-1, 1], size=2)
            new = (bar[0] + int(step[0]), bar[1] + int(step[1]))
            if 0 <= new[0] < L and 0 <= new[1] < W:
                bar = new
        path.append(bar)
    ii, jj = np.divmod(np.arange(S), W)
    steps = np.stack(
        [
            np.repeat(
                (c * (1.0 - (np.abs(ii - b[0]) + np.abs(jj - b[1])) / (L + W)))[:, None], 5, 1
            )
            for b in path[: T + 1]
        ]
    )
    prices, states, expo = _log_crowd(S, 1.0, log_eps)
    return _crowd_game(
        "crowd-motion",
        "crowd motion with a moving bar (Perolat et al. 2022; MFGLib crowd_motion)",
        P,
        np.zeros((S, 5)),
        np.full(S, 1.0 / S),
        T,
        tau,
        prices,
        states,
        expo,
        reward_steps=steps,
        toll_max=toll_max,
    )


def building_evacuation(
    n_floor: int = 5,
    floor_l: int = 10,
    floor_w: int = 10,
    T: int = 3,
    eta: float = 1.0,
    evac_r: float = 10.0,
    log_eps: float = 1e-20,
    tau: float = 0.0,
) -> Game:
    r"""Building evacuation (Pérolat et al. 2022; MFGLib 0.3.0
    ``mfglib/env/examples/building_evacuation.py``).

    States (floor, l, w); deterministic actions right, left, up, down (clipped), downstairs
    (floor − 1 from the corner (0, 0)) and upstairs (floor + 1 from the corner (l−1, w−1)).
    Reward :math:`-\eta\log(\mu_t(x) + \varepsilon)` plus ``evac_r`` on the ground floor
    (floor 0). The reference implementation clamps, −η·log(max(μ, ε)); the two differ by at
    most η·ε/μ (1e-10 at μ = 1e-10 with the default ε = 1e-20). μ₀ uniform.
    """
    _check_positive_int(n_floor=n_floor, floor_l=floor_l, floor_w=floor_w, T=T)
    F, L, W = n_floor, floor_l, floor_w
    S = F * L * W
    P = np.zeros((S, 6, S))
    for f in range(F):
        for i in range(L):
            for j in range(W):
                s = (f * L + i) * W + j
                targets = [
                    (f, min(i + 1, L - 1), j),
                    (f, max(i - 1, 0), j),
                    (f, i, max(j - 1, 0)),
                    (f, i, min(j + 1, W - 1)),
                    (max(f - 1, 0) if (i, j) == (0, 0) else f, i, j),
                    (min(f + 1, F - 1) if (i, j) == (L - 1, W - 1) else f, i, j),
                ]
                for a, (f2, i2, j2) in enumerate(targets):
                    P[s, a, (f2 * L + i2) * W + j2] = 1.0
    reward = np.zeros((S, 6))
    reward[: L * W, :] = evac_r
    prices, states, expo = _log_crowd(S, eta, log_eps)
    return _crowd_game(
        "building-evacuation",
        "building evacuation (Perolat et al. 2022; MFGLib building_evacuation)",
        P,
        reward,
        np.full(S, 1.0 / S),
        T,
        tau,
        prices,
        states,
        expo,
    )


def _deterministic(S: int, A: int) -> FloatArray:
    """Action a leads to state 1 + a from every state (left-right, rock-paper-scissors)."""
    P = np.zeros((S, A, S))
    for a in range(A):
        P[:, a, 1 + a] = 1.0
    return P


def left_right(tau: float = 0.0) -> Game:
    r"""Left-right (Cui & Koeppl, *Approximately solving mean field games via entropy-
    regularized deep reinforcement learning*, AISTATS 2021; MFGLib
    ``mfglib/env/examples/left_right.py``).

    From the start state 0 everyone goes left (state 1) or right (state 2); being left costs
    μ(left), being right 2·μ(right). Horizon T = 1, μ₀ = (1, 0, 0).
    """
    prices = [Price(slope=1.0, name="left"), Price(slope=1.0, name="right")]
    expo = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -2.0]])
    return _crowd_game(
        "left-right",
        "left-right (Cui & Koeppl 2021; MFGLib left_right)",
        _deterministic(3, 2),
        np.zeros((3, 2)),
        np.array([1.0, 0.0, 0.0]),
        1,
        tau,
        prices,
        [1, 2],
        expo,
    )


def rock_paper_scissors(T: int = 1, tau: float = 0.0) -> Game:
    r"""Generalised rock-paper-scissors (Shapley 1964; Cui & Koeppl 2021; MFGLib
    ``mfglib/env/examples/rock_paper_scissors.py``).

    States 0 (start), 1 rock, 2 paper, 3 scissors; action a leads to state 1 + a. Rewards
    r(rock) = 2μ(scissors) − μ(paper), r(paper) = 4μ(rock) − 2μ(scissors),
    r(scissors) = 6μ(paper) − 3μ(rock). μ₀ = (1, 0, 0, 0).
    """
    _check_positive_int(T=T)
    prices = [Price(slope=1.0, name=n) for n in ("rock", "paper", "scissors")]
    # exposure[i, x]: how much the price of state states[i] counts in state x's reward
    expo = np.array([[0.0, 0.0, 4.0, -3.0], [0.0, -1.0, 0.0, 6.0], [0.0, 2.0, -2.0, 0.0]])
    return _crowd_game(
        "rock-paper-scissors",
        "rock-paper-scissors (Shapley 1964; MFGLib rock_paper_scissors)",
        _deterministic(4, 3),
        np.zeros((4, 3)),
        np.array([1.0, 0.0, 0.0, 0.0]),
        T,
        tau,
        prices,
        [1, 2, 3],
        expo,
    )


def equilibrium_price(
    s_inv: int = 3,
    Q: int = 2,
    H: int = 2,
    T: int = 4,
    d: float = 1.0,
    e0: float = 1.0,
    sigma: float = 1.0,
    c0: float = 1.0,
    c1: float = 1.0,
    c2: float = 1.0,
    c3: float = 1.0,
    c4: float = 1.0,
    tau: float = 0.0,
) -> Game:
    r"""Equilibrium price (Guo, Hu, Xu, Zhang, *MF-OMO: an optimization formulation of
    mean-field games*, 2022; MFGLib ``mfglib/env/examples/equilibrium_price.py``).

    Firms with inventory s ∈ 0..s_inv produce q ∈ 0..Q and replenish h ∈ 0..H (action
    index q·(H+1) + h); s' = min(s − min(q, s) + h, s_inv). The price clears the market,
    :math:`p_t = (d / (\sum q\,\nu_t + e_0))^{1/\sigma}`, a rational term d/(z + e₀) for
    σ = 1 and a power term :math:`d^{1/\sigma}(z + e_0)^{-1/\sigma}` otherwise; reward
    :math:`(p_t - c_0)q - c_1q^2 - c_2h - (c_2 + c_3)(q - s)^+ - c_4 s`. μ₀ uniform.
    """
    _check_positive_int(s_inv=s_inv, Q=Q, H=H, T=T)
    if not sigma > 0.0:
        raise InstanceError("sigma", f"must be > 0, got {sigma}")
    if not d > 0.0:
        raise InstanceError("d", f"must be > 0, got {d}")
    if not e0 > 0.0:
        raise InstanceError("e0", f"must be > 0, got {e0}")
    S, A = s_inv + 1, (Q + 1) * (H + 1)
    q = np.repeat(np.arange(Q + 1), H + 1).astype(float)
    h = np.tile(np.arange(H + 1), Q + 1).astype(float)
    s = np.arange(S, dtype=float)[:, None]
    P = np.zeros((S, A, S))
    for x in range(S):
        for a in range(A):
            P[x, a, min(x - min(int(q[a]), x) + int(h[a]), s_inv)] = 1.0
    reward = -c0 * q - c1 * q**2 - c2 * h - (c2 + c3) * np.maximum(q - s, 0.0) - c4 * s
    agg = np.broadcast_to(q, (S, A))[None, :, :]
    t = FollowerType(
        name="firms",
        share=1.0,
        mask=np.ones((S, A), bool),
        reward=reward,
        transition=P,
        aggregate=agg,
        exposure=agg,
        init=np.full(S, 1.0 / S),
    )
    return _literature_game(
        t,
        T,
        tau,
        np.zeros(0),
        (),
        LeaderObjective(),
        [
            Price(rational=((d, e0),), name="price")
            if sigma == 1.0
            else Price(power=((d ** (1.0 / sigma), e0, -1.0 / sigma),), name="price")
        ],
        "equilibrium-price",
        "equilibrium price (Guo et al. 2022; MFGLib equilibrium_price)",
    )


def susceptible_infected(
    T: int = 50,
    mu0_infected: float = 0.6,
    subsidy_max: float = 0.0,
    tau: float = 0.0,
) -> Game:
    r"""Susceptible-infected (Cui & Koeppl, *Approximately solving mean field games via
    entropy-regularized deep reinforcement learning*, AISTATS 2021; MFGLib
    ``mfglib/env/examples/susceptible_infected.py``).

    States 0 susceptible, 1 infected; actions 0 go out, 1 keep distance. A susceptible agent
    who goes out is infected with probability 0.9²·μ_t(infected); one who keeps distance
    stays healthy; an infected agent recovers with probability 0.3 whatever it does. The
    kernel is therefore P⁰ + z_t·P^z with z_t = μ_t(infected), the game's one aggregate:
    mean-field-dependent dynamics. Rewards: distancing −0.5, being infected −1, both −1.5.
    Horizon T = 50, μ₀ = (0.4, 0.6).

    ``subsidy_max`` > 0 adds a planner: a subsidy θ ∈ [0, subsidy_max] paid to every
    susceptible agent who keeps distance (reward + θ), chosen to maximise
    J = −Σ_t (μ_t(infected) + θ·ν_t(susceptible, distance)) — infections plus the subsidy's cost.
    """
    _check_positive_int(T=T)
    _check_probability(mu0_infected=mu0_infected)
    if not (np.isfinite(subsidy_max) and subsidy_max >= 0.0):
        raise InstanceError("subsidy_max", f"must be a finite number >= 0, got {subsidy_max}")
    beta = 0.9**2
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0  # going out, infected with probability β·z (in P^z)
    P[0, 1, 0] = 1.0
    P[1, :, :] = [0.3, 0.7]
    Pz = np.zeros((2, 2, 2))
    Pz[0, 0] = [-beta, beta]
    reward = np.array([[0.0, -0.5], [-1.0, -1.5]])
    infected = np.zeros((1, 2, 2))
    infected[0, 1, :] = 1.0
    leader = subsidy_max > 0.0
    d = 1 if leader else 0
    distancing = np.zeros((2, 2))
    distancing[0, 1] = 1.0
    t = FollowerType(
        name="agents",
        share=1.0,
        mask=np.ones((2, 2), bool),
        reward=reward,
        transition=P,
        transition_aggregate=(Pz,),
        aggregate=infected,
        init=np.array([1.0 - mu0_infected, mu0_infected]),
        reward_theta=distancing[None] if leader else None,
        leader_weight=np.stack([infected[0], distancing]) if leader else None,
    )
    objective = (
        LeaderObjective(
            y_linear=np.array([-1.0, 0.0]),
            theta_y=np.array([[0.0, -1.0]]),
            y_names=("infected", "subsidised"),
        )
        if leader
        else LeaderObjective()
    )
    return _literature_game(
        t,
        T,
        tau,
        np.full(d, subsidy_max),
        ("subsidy",) if leader else (),
        objective,
        [Price(name="infected")],
        "susceptible-infected" + ("-subsidy" if leader else ""),
        "susceptible-infected (Cui & Koeppl 2021; MFGLib susceptible_infected)"
        + (" with a distancing subsidy" if leader else ""),
    )
