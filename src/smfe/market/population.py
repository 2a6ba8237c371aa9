r"""The S-MFE tariff and policies tried on N real households (``smfe market --simulate``).

For each population size N, :func:`smfe.analysis.population.simulate_population` draws N
households (types by share), starts them at midnight in SoC states drawn from the
equilibrium, and lets them follow the equilibrium policies for ``days`` days with sampled
transitions (and weather, when the instance has it). Each day gives the realised net load
:math:`\hat N_h`, wholesale price :math:`\lambda_h(\hat N_h)` and the groups' bills (per
household, realised consumption at realised prices), compared with the mean-field
prediction; and the ε-Nash gain of the best single-household deviation against the others'
realised day, in $ per household per day: :math:`24\,(1-\gamma)\,\varepsilon` (the
discounted value gain spread over the hours it is earned in).

The rates are fitted by least squares on log–log scales over the sizes: the slope of the
mean daily ε-Nash gain and of the mean daily max-norm net-load deviation against N.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from smfe.analysis.population import PopulationRun, simulate_population
from smfe.errors import InstanceError
from smfe.game.compiled import CompiledGame, compile_game
from smfe.market.fields import HOURS
from smfe.market.game import MarketGame
from smfe.market.metrics import outcomes
from smfe.solvers.mfe import MFESolution, solve_mfe
from smfe.solvers.options import MFEOptions

FloatArray = NDArray[np.float64]
DEFAULT_SIZES = (100, 1_000, 10_000, 100_000)


@dataclass(frozen=True)
class PopulationRow:
    """One population size: means (and spreads) over the simulated days."""

    n: int
    days: int
    epsilon: float
    """Mean daily ε-Nash gain, $/household/day."""
    epsilon_spread: tuple[float, float]
    load_deviation: float
    """Mean over days of max_h |N̂_h − N_h| (kW per household)."""
    price_deviation: float
    """Mean over days of max_h |λ̂_h − λ_h| ($/MWh)."""
    bill_deviation: float
    """Mean over days of max_g |b̂_g − b_g| ($/household/day)."""
    price: FloatArray
    """Mean realised wholesale price by hour, $/MWh."""
    bills: FloatArray
    """Mean realised bill per group, $/household/day."""
    seconds: float


@dataclass(frozen=True)
class PopulationStudy:
    """Finite populations under one tariff, against its mean-field equilibrium."""

    theta: FloatArray
    rows: tuple[PopulationRow, ...]
    mean_field_price: FloatArray
    mean_field_bills: FloatArray
    rates: dict[str, float] = field(default_factory=dict)
    """Fitted log–log slopes against N: ``epsilon`` and ``load_deviation``."""


def _day_numbers(
    mg: MarketGame, cg: CompiledGame, theta: FloatArray, run: PopulationRun, d: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(net load, wholesale price $/MWh, group bills) of simulated day d."""
    nu = run.nu[d]
    N = cg.aggregates(nu[None, :])[0]  # realised shares are inside ν
    per_type = np.add.reduceat(nu, cg.sa_off[:-1])  # n_k / (N w_k)
    scale = np.where(per_type > 0.0, 1.0 / np.where(per_type > 0, per_type, 1.0), 0.0)
    nu_household = nu * scale[cg.sa_type]  # each type's own distribution
    y = cg.leader_aggregates(theta, nu_household[None, :])[0]
    out = outcomes(mg, theta, y, N)
    price = np.asarray(out["wholesale_price"], dtype=float) * 1000.0
    return np.asarray(N, dtype=float), price, np.asarray(out["group_bill"], dtype=float)


def _slope(x: Sequence[float], y: Sequence[float]) -> float:
    xs, ys = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    ok = np.isfinite(ys)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(xs[ok], ys[ok], 1)[0])


def population_check(
    mg: MarketGame,
    theta: FloatArray,
    mfe: MFESolution | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    *,
    days: int = 5,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> PopulationStudy:
    """Simulate each population size in ``sizes`` under tariff θ with the MFE ``mfe``'s
    policies (module docstring); ``mfe`` defaults to the certified-to-1e-10 MFE at θ."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InstanceError("simulate.days", f"must be a positive integer, got {days!r}")
    if not sizes:
        raise InstanceError("simulate", "needs at least one population size")
    say = progress or (lambda _m: None)
    cg = compile_game(mg.game)
    theta = np.asarray(theta, dtype=np.float64)
    if mfe is None:
        mfe = solve_mfe(cg, theta, MFEOptions(tol=1e-10))
    N0 = cg.aggregates(mfe.nu)[0]
    y0 = cg.leader_aggregates(theta, mfe.nu)[0]
    out0 = outcomes(mg, theta, y0, N0)
    price0 = np.asarray(out0["wholesale_price"], dtype=float) * 1000.0
    bills0 = np.asarray(out0["group_bill"], dtype=float)
    per_hour = np.array([ft.mask.shape[0] // HOURS for ft in mg.game.types])
    first = np.concatenate(
        [cg.state_off[k] + np.arange(per_hour[k]) for k in range(cg.n_types)]
    ).astype(np.int64)  # hour-0 states of every type (hour-major layout)
    factor = HOURS * (1.0 - cg.gamma)
    rows = []
    for i, n in enumerate(sizes):
        t0 = time.perf_counter()
        say(f"simulating {n:,} households for {days} days")
        run = simulate_population(
            cg,
            theta,
            mfe.policy[0],
            mfe.mu[0],
            int(n),
            periods=days,
            period_length=HOURS,
            first_states=first,
            seed=seed + i,
        )
        days_out = [_day_numbers(mg, cg, theta, run, d) for d in range(days)]
        eps = run.epsilon * factor
        rows.append(
            PopulationRow(
                n=int(n),
                days=days,
                epsilon=float(eps.mean()),
                epsilon_spread=(float(eps.min()), float(eps.max())),
                load_deviation=float(np.mean([np.abs(N - N0).max() for N, _, _ in days_out])),
                price_deviation=float(np.mean([np.abs(p - price0).max() for _, p, _ in days_out])),
                bill_deviation=float(np.mean([np.abs(b - bills0).max() for _, _, b in days_out])),
                price=np.mean([p for _, p, _ in days_out], axis=0),
                bills=np.mean([b for _, _, b in days_out], axis=0),
                seconds=time.perf_counter() - t0,
            )
        )
    ns = [r.n for r in rows]
    rates = {
        "epsilon": _slope(ns, [r.epsilon for r in rows]),
        "load_deviation": _slope(ns, [r.load_deviation for r in rows]),
    }
    return PopulationStudy(theta, tuple(rows), price0, bills0, rates)
