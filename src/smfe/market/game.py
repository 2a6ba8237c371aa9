r"""The market compiled into a :class:`~smfe.game.Game` (SPEC §8), so every solver applies.

Follower types are income group × endowment (``none``, ``pv``, ``pv+battery``) with shares
w_g·(1−a_g), w_g·a_g·(1−b_g), w_g·a_g·b_g. A type's state is (hour h, state-of-charge level
b, weather w, flexible-load backlog f) and its action (battery step Δb, consumption shift u);
the day repeats, so the game is stationary with the per-hour discount of the instance and
the stationary mean field puts mass 1/24 on each hour (the SoC cycle closes by itself). Net
import per household, kW:

.. math::  n = \hat d_{g,h} + u\,\delta - k_{\rm pv}\,s_h\,\omega_w + c(\Delta b),\qquad
           c(\Delta b) = \begin{cases}\Delta b\,\Delta E/\eta_c & \Delta b > 0\\
           \Delta b\,\Delta E\,\eta_d & \Delta b \le 0\end{cases}

with n⁺ = max(n, 0) imported and n⁻ = max(−n, 0) exported. Actions are masked by the SoC
range, the power limit (|c| ≤ P̄ by the level spacing) and the backlog range, which must be
clearable by midnight (energy conserved within the day). The follower's reward in $ is

.. math::  r = -\big(\pi_h n^+ - \varepsilon_h n^-\big) - F_g/24
           - \kappa_{\rm deg}\,|c(\Delta b)| - \tfrac{\alpha}{2}(u\,\delta)^2

(NEM: ε = π, so the bill term is π_h·n), with π_h and ε_h of :mod:`smfe.market.tariff`:
affine in θ except the terms s·λ_h (pass-through) and λ_h (avoided-cost credit), which are
the game's prices p_h(z) = p0 + p1·B_h + p1·z_h of the aggregate z_h = N_h, the net import
per household in hour h. The leader measurements y are, per type k and hour h, the
share-weighted expected import and export w_k·E[n⁺], w_k·E[n⁻] (kW), and per type the
share-weighted private cost w_k·E[degradation + discomfort] ($/day); the leader objective
of the market lives in :mod:`smfe.market.metrics` (it is not quadratic, so the game's own
objective is left at 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.game.model import FollowerType, Game, LeaderObjective, Stationary
from smfe.inputs.budget import Budget, Sizes, check_size
from smfe.market.data import HOURS, MarketInstance, Weather
from smfe.market.rules import BoundRules, Rules, resolve
from smfe.market.tariff import TariffFamily

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ENDOWMENTS = ("none", "pv", "pv+battery")


@dataclass(frozen=True, eq=False)
class TypeInfo:
    """What a follower type of the market is: group index, endowment and share."""

    name: str
    group: int
    endowment: str
    share: float

    @property
    def adopter(self) -> bool:
        return self.endowment != "none"


@dataclass(frozen=True, eq=False)
class MarketGame:
    """The game plus the maps the market metrics need (module docstring)."""

    game: Game
    market: MarketInstance
    tariff: TariffFamily
    types: tuple[TypeInfo, ...]

    @property
    def n_y(self) -> int:
        return len(self.types) * (2 * HOURS + 1)

    def bind(self, rules: Rules) -> BoundRules:
        """``rules`` bound to this instance's groups and tariff blocks (names checked)."""
        mk = self.market
        return resolve(
            rules,
            tuple(g.name for g in mk.groups),
            tuple(g.income for g in mk.groups),
            self.tariff.blocks,
            self.tariff.periods,
            self.tariff.block_matrix(),
        )

    def y_index(self, k: int, what: str, h: int = 0) -> int:
        """Index in y of type k's ``import``/``export`` at hour h or its ``private`` cost."""
        base = k * (2 * HOURS + 1)
        if what == "import":
            return base + h
        if what == "export":
            return base + HOURS + h
        return base + 2 * HOURS


def _dims(market: MarketInstance, battery: bool) -> tuple[int, int, int, tuple[int, int], int]:
    """SoC levels, weather states, backlog levels, (discharge, charge) steps, shift actions."""
    b, step = market.battery, market.soc_step
    nb = market.soc_levels if battery else 1
    nw = 2 if market.weather is not None else 1
    flex = market.flexibility
    nf = 2 * flex.max_steps + 1 if flex is not None else 1
    kc = kd = 0
    if battery:
        kc = int(np.floor(b.power_kw * b.eta_charge / step + 1e-12))
        kd = int(np.floor(b.power_kw / (step * b.eta_discharge) + 1e-12))
    return nb, nw, nf, (kd, kc), 3 if flex is not None else 1


def market_sizes(market: MarketInstance) -> Sizes:
    """The declared size of the market game (before building it): state-action pairs, and
    dense entries — per type about (3·24 + n_y + 8) arrays of S×A (prices' aggregates and
    exposures, leader weights, the state grids)."""
    infos = market_types(market)
    pairs = entries = 0
    for info in infos:
        nb, nw, nf, (kd, kc), nu = _dims(market, info.endowment == "pv+battery")
        sa = HOURS * nb * nw * nf * (kd + kc + 1) * nu
        pairs += sa
        entries += (3 * HOURS + 8 + 4 * len(infos)) * sa
    return Sizes(pairs=pairs, entries=entries, nnz=pairs)


def _type_arrays(
    market: MarketInstance, tariff: TariffFamily, info: TypeInfo, k: int, n_types: int
) -> FollowerType:
    g = info.group
    bat = info.endowment == "pv+battery"
    has_pv = info.endowment != "none"
    b = market.battery
    step = market.soc_step
    weather = market.weather
    flex = market.flexibility
    K = flex.max_steps if flex is not None else 0
    nb, nw, nf, (kd, kc), nu = _dims(market, bat)
    dbs = np.arange(-kd, kc + 1)
    us = np.arange(-1, 2) if flex is not None else np.zeros(1, dtype=int)
    nda = dbs.size
    S, A = HOURS * nb * nw * nf, nda * nu
    # grids over (h, b, w, f, db, u)
    h, bl, w, f, ia, iu = np.indices((HOURS, nb, nw, nf, nda, nu))
    db = dbs[ia]
    u = us[iu]
    fval = f - K
    b_next = bl + db
    f_next = fval - u
    mask = (b_next >= 0) & (b_next < nb)
    load = market.load(g)[h]
    delta = flex.step_kwh if flex is not None else 0.0
    if flex is not None:
        left = HOURS - 1 - h  # actions still to come after this one, before midnight
        mask &= (np.abs(f_next) <= K) & ((np.abs(f_next) <= left) | (np.abs(f_next) < np.abs(fval)))
        mask &= load + u * delta >= 0.0
    pv = market.pv(g)[h] if has_pv else np.zeros_like(load)
    scale = np.array([1.0, weather.cloudy_scale]) if weather is not None else np.ones(1)
    pv = pv * scale[w]
    c = np.where(db > 0, db * step / b.eta_charge, db * step * b.eta_discharge)
    n = load + u * delta - pv + c
    imp, exp_ = np.maximum(n, 0.0), np.maximum(-n, 0.0)
    private = b.degradation_per_kwh * np.abs(c)
    if flex is not None:
        private = private + 0.5 * flex.alpha * (u * delta) ** 2
    nem = tariff.export == "nem"
    billed = n if nem else imp  # the quantity charged at π_h (NEM nets exports at π_h)
    lay = tariff.layout(market)
    d = lay["fixed"].stop
    shape = (S, A)

    def flat(x: FloatArray) -> FloatArray:
        return x.reshape(S, A)

    r0 = -private
    if tariff.fixed == "reference":
        r0 = r0 - market.fixed_daily[g] / HOURS
    if tariff.export == "fixed":
        r0 = r0 + tariff.export_credit * exp_
    R = _tariff_coefficients(tariff, lay, h, g, billed, exp_)
    onehot = (np.arange(HOURS)[:, None] == h.reshape(1, -1)).astype(float)  # (M, S*A)
    E0 = onehot * (exp_.ravel() if tariff.export == "avoided-cost" else 0.0)
    Eth = np.zeros((HOURS, d, S * A))
    if tariff.pass_through:
        Eth[:, lay["pass_through"].start, :] = -onehot * billed.ravel()
    G = HOURS * onehot * n.ravel()
    ny = n_types * (2 * HOURS + 1)
    base = k * (2 * HOURS + 1)  # this type's rows: imports and exports by hour, private cost
    hour = h.ravel()
    rows = np.concatenate([base + hour, base + HOURS + hour, np.full(S * A, base + 2 * HOURS)])
    weights = HOURS * np.concatenate([imp.ravel(), exp_.ravel(), private.ravel()])
    H = sp.csr_array((weights, (rows, np.tile(np.arange(S * A), 3))), shape=(ny, S * A))
    mflat = mask.reshape(S, A)
    P = _kernel(mflat, (h, b_next, w, f_next + K), (nb, nw, nf), weather, S)
    init = np.zeros(S)
    init[(0 * nb + nb // 2) * nw * nf + K] = 1.0  # hour 0, middle SoC, clear, no backlog
    return FollowerType(
        name=info.name,
        share=info.share,
        mask=mflat,
        reward=flat(r0),
        transition=P,
        reward_theta=R.reshape(d, *shape),
        aggregate=G.reshape(HOURS, *shape),
        exposure=E0.reshape(HOURS, *shape),
        exposure_theta=Eth.reshape(HOURS, d, *shape),
        leader_weight=H,
        init=init,
    )


def _tariff_coefficients(
    tariff: TariffFamily,
    lay: dict[str, slice],
    h: IntArray,
    g: int,
    billed: FloatArray,
    exp_: FloatArray,
) -> FloatArray:
    """∂r/∂θ on the (h, b, w, f, db, u) grid: −rate × billed energy, + export rate × exports,
    − fixed charge / 24 (flat, or the household's group when graduated)."""
    R = np.zeros((lay["fixed"].stop, *h.shape))
    Bm = tariff.block_matrix()
    for j in range(Bm.shape[0]):
        R[lay["rate"].start + j] = -Bm[j][h] * billed
    if tariff.export == "rate":
        R[lay["export"].start] = exp_
    if tariff.fixed == "flat":
        R[lay["fixed"].start] = -1.0 / HOURS
    elif tariff.fixed == "graduated":
        R[lay["fixed"].start + g] = -1.0 / HOURS
    return R


def _kernel(
    mask: NDArray[np.bool_],
    nxt: tuple[IntArray, IntArray, IntArray, IntArray],
    dims: tuple[int, int, int],
    weather: Weather | None,
    S: int,
) -> sp.csr_array:
    """Transitions of the allowed pairs to (h + 1 mod 24, b + db, w', f − u), w' drawn from
    the weather chain; ``nxt`` holds the grids of h, b + db, w and f − u + K."""
    nb, nw, nf = dims
    rows = np.flatnonzero(mask.ravel())
    hs, bs, ws, fs = (np.asarray(v).reshape(-1)[rows] for v in nxt)
    Pw = weather.transition() if weather is not None else np.ones((1, 1))
    cols, vals, rr = [], [], []
    for w2 in range(nw):
        p = Pw[ws, w2]
        to = (((hs + 1) % HOURS * nb + bs) * nw + w2) * nf + fs
        keep = p > 0
        rr.append(rows[keep])
        cols.append(to[keep])
        vals.append(p[keep])
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rr), np.concatenate(cols))),
        shape=(mask.size, S),
    )


def market_types(market: MarketInstance) -> tuple[TypeInfo, ...]:
    """Group × endowment types with positive share."""
    out = []
    for g, grp in enumerate(market.groups):
        a, bt = grp.pv_adoption, grp.battery_attach
        for e, s in zip(ENDOWMENTS, (1.0 - a, a * (1.0 - bt), a * bt), strict=True):
            share = grp.share * s
            if share > 0.0:
                out.append(TypeInfo(f"{grp.name}/{e}", g, e, share))
    return tuple(out)


def market_game(
    market: MarketInstance,
    tariff: TariffFamily | None = None,
    tau: float = 0.02,
    budget: Budget | None = None,
) -> MarketGame:
    """The market as a stationary soft-response game with follower temperature ``tau`` ($).

    τ is bounded rationality in logit form: an action with a $τ advantage is e ≈ 2.7 times
    more likely. τ = 0.02 $ [A] makes a battery owner indifferent only between actions whose
    values differ by a few cents. The declared size is checked against ``budget`` first.
    """
    tariff = tariff or TariffFamily()
    check_size(market_sizes(market), budget, "instance")
    infos = market_types(market)
    types = tuple(_type_arrays(market, tariff, t, k, len(infos)) for k, t in enumerate(infos))
    prices = tuple(market.supply.price(h) for h in range(HOURS))
    game = Game(
        types=types,
        horizon=Stationary(market.hour_discount),
        tau=tau,
        decision=tariff.decision(market),
        objective=LeaderObjective(),
        prices=prices,
        name=f"market[{market.name}]",
        description="tariff design with prosumers (smfe.market); the leader objective is "
        "market-specific and lives in smfe.market.metrics",
    )
    return MarketGame(game, market, tariff, infos)
