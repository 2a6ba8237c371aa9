r"""Tariff families: what the leader chooses, as a vector θ with bounds (SPEC §8).

A tariff sets, per hour h, the retail import rate and the export credit,

.. math::  \pi_h = \sum_k \theta^{\rm rate}_k\,\mathbb 1[h\in\text{block }k] + s\,\lambda_h,
           \qquad \varepsilon_h = \begin{cases}\pi_h & \text{net metering (NEM)}\\
           \lambda_h & \text{net billing at avoided cost}\\ \theta^{\rm exp} & \text{own rate}\\
           \bar\varepsilon & \text{fixed}\end{cases}

plus a daily fixed charge per income group. The block rates are ``flat`` (one block),
``tou`` (named periods that must cover each hour once) or ``hourly`` (24 blocks);
``s ∈ [0, 1]`` is the real-time pass-through share of the wholesale price λ_h (a decision
when ``pass_through``); fixed charges are the reference income-graduated values
(``reference``, not decisions), one flat decision (``flat``) or one decision per group
(``graduated``). Every decision has bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.game.decision import Decision
from smfe.market.data import HOURS, MarketInstance

FloatArray = NDArray[np.float64]

ENERGY = ("flat", "tou", "hourly")
EXPORT = ("nem", "avoided-cost", "rate", "fixed")
FIXED = ("reference", "flat", "graduated")

# [S] SCE TOU-D-4-9PM period windows (data-sources §1.6): on-peak 16–21 h; in winter also
# super-off-peak 08–16 h and off-peak 21–08 h — three blocks a leader can price separately.
SCE_PERIODS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("off-peak", (0, 1, 2, 3, 4, 5, 6, 7, 21, 22, 23)),
    ("super-off-peak", (8, 9, 10, 11, 12, 13, 14, 15)),
    ("peak", (16, 17, 18, 19, 20)),
)
PEAK_HOURS = (16, 17, 18, 19, 20)  # [S] PG&E E-TOU-C / SCE 4–9 pm peak
TOU_RATIO = 1.25  # [S] E-TOU-C peak/off-peak ≈ 1.15–1.25; the baseline uses 1.25 (§1.6)
FLAT_EXPORT_CREDIT = 0.05  # [A] data-sources §4.6, flat export credit $/kWh


def _bounds(v: tuple[float, float], name: str) -> tuple[float, float]:
    lo, up = float(v[0]), float(v[1])
    if not (np.isfinite(lo) and np.isfinite(up)):
        raise InstanceError(f"tariff.{name}", f"bounds must be finite, got {v!r}")
    if lo > up:
        raise InstanceError(f"tariff.{name}", f"lower bound {lo} exceeds upper bound {up}")
    return lo, up


@dataclass(frozen=True)
class TariffFamily:
    """A family of tariffs (module docstring); rates in $/kWh, fixed charges in $/day."""

    energy: str = "tou"
    periods: tuple[tuple[str, tuple[int, ...]], ...] = SCE_PERIODS
    pass_through: bool = True
    export: str = "avoided-cost"
    export_credit: float = FLAT_EXPORT_CREDIT
    fixed: str = "graduated"
    rate_bounds: tuple[float, float] = (0.0, 1.0)
    pass_through_bounds: tuple[float, float] = (0.0, 1.0)
    export_bounds: tuple[float, float] = (0.0, 0.5)
    fixed_bounds: tuple[float, float] = (0.0, 1.0)  # [A] $/day; IGFC tops out at 0.79
    blocks: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        for name, allowed in (("energy", ENERGY), ("export", EXPORT), ("fixed", FIXED)):
            if getattr(self, name) not in allowed:
                raise InstanceError(
                    f"tariff.{name}", f"must be one of {allowed}, got {getattr(self, name)!r}"
                )
        for name in ("rate_bounds", "pass_through_bounds", "export_bounds", "fixed_bounds"):
            object.__setattr__(self, name, _bounds(getattr(self, name), name))
        lo, up = self.pass_through_bounds
        if lo < 0.0 or up > 1.0:
            raise InstanceError("tariff.pass_through_bounds", f"must lie in [0, 1], got {(lo, up)}")
        ec = float(self.export_credit)
        if not np.isfinite(ec):
            raise InstanceError("tariff.export_credit", f"must be finite, got {ec}")
        object.__setattr__(self, "export_credit", ec)
        periods = tuple((str(n), tuple(int(h) for h in hs)) for n, hs in self.periods)
        covered = np.zeros(HOURS, dtype=int)
        for k, (name, hours) in enumerate(periods):
            for h in hours:
                if not 0 <= h < HOURS:
                    raise InstanceError(
                        "tariff.periods", f"period {name!r} names hour {h}, not in 0..23", k
                    )
                covered[h] += 1
        if (covered != 1).any():
            h = int(np.flatnonzero(covered != 1)[0])
            what = "no period" if covered[h] == 0 else f"{covered[h]} periods"
            raise InstanceError(
                "tariff.periods",
                f"hour {h} is covered by {what}; periods must cover "
                "each of the 24 hours exactly once",
                h,
            )
        object.__setattr__(self, "periods", periods)
        if self.energy == "tou":
            blocks = tuple(n for n, _ in periods)
        elif self.energy == "flat":
            blocks = ("flat",)
        else:
            blocks = tuple(f"h{h:02d}" for h in range(HOURS))
        object.__setattr__(self, "blocks", blocks)

    # -- layout of θ -------------------------------------------------------------------------
    def block_matrix(self) -> FloatArray:
        """B (K × 24): B[k, h] = 1 when hour h is in block k."""
        K = len(self.blocks)
        B = np.zeros((K, HOURS))
        if self.energy == "flat":
            B[0] = 1.0
        elif self.energy == "hourly":
            B = np.eye(HOURS)
        else:
            for k, (_, hours) in enumerate(self.periods):
                B[k, list(hours)] = 1.0
        return B

    def layout(self, market: MarketInstance) -> dict[str, slice]:
        """Slices of θ: ``rate``, ``pass_through``, ``export``, ``fixed`` (possibly empty)."""
        n_rate = len(self.blocks)
        n_s = 1 if self.pass_through else 0
        n_x = 1 if self.export == "rate" else 0
        n_f = {"reference": 0, "flat": 1, "graduated": len(market.groups)}[self.fixed]
        out, off = {}, 0
        for name, n in (("rate", n_rate), ("pass_through", n_s), ("export", n_x), ("fixed", n_f)):
            out[name] = slice(off, off + n)
            off += n
        return out

    def names(self, market: MarketInstance) -> tuple[str, ...]:
        lay = self.layout(market)
        names = [f"rate[{b}]" for b in self.blocks]
        names += ["pass_through"] * (lay["pass_through"].stop - lay["pass_through"].start)
        names += ["export_rate"] * (lay["export"].stop - lay["export"].start)
        if self.fixed == "flat":
            names.append("fixed")
        elif self.fixed == "graduated":
            names += [f"fixed[{g.name}]" for g in market.groups]
        return tuple(names)

    def decision(self, market: MarketInstance) -> Decision:
        """Θ: a box from the bounds; starts at the revenue-blind reference point."""
        lay = self.layout(market)
        d = lay["fixed"].stop
        lo, up = np.zeros(d), np.zeros(d)
        for name, b in (
            ("rate", self.rate_bounds),
            ("pass_through", self.pass_through_bounds),
            ("export", self.export_bounds),
            ("fixed", self.fixed_bounds),
        ):
            lo[lay[name]], up[lay[name]] = b
        start = np.clip(self.point(market, level=0.33, share=0.0), lo, up)
        return Decision(lower=lo, upper=up, start=start, names=self.names(market))

    def point(
        self,
        market: MarketInstance,
        level: float,
        share: float = 0.0,
        hourly_factor: FloatArray | None = None,
    ) -> FloatArray:
        """θ with hourly rate ``level``·factor_h (must be constant on each block), pass-through
        ``share``, the flat export credit and the reference fixed charges."""
        lay = self.layout(market)
        theta = np.zeros(lay["fixed"].stop)
        fac = np.ones(HOURS) if hourly_factor is None else np.asarray(hourly_factor, float)
        B = self.block_matrix()
        for k in range(B.shape[0]):
            vals = fac[B[k] > 0]
            if np.ptp(vals) > 1e-12:
                raise InstanceError(
                    "tariff.periods",
                    f"block {self.blocks[k]!r} mixes hours with different baseline rates",
                    k,
                )
            theta[lay["rate"].start + k] = level * vals[0]
        if self.pass_through:
            theta[lay["pass_through"]] = share
        elif share != 0.0:
            raise InstanceError("tariff.pass_through", "this family has no pass-through share")
        if self.export == "rate":
            theta[lay["export"]] = self.export_credit
        fixed = market.fixed_daily
        if self.fixed == "flat":
            theta[lay["fixed"]] = float(market.shares @ fixed)
        elif self.fixed == "graduated":
            theta[lay["fixed"]] = fixed
        return theta
