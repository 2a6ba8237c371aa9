r"""The wholesale side: thermal units, the merit order and the hourly inverse supply curve.

The hourly price is the affine inverse supply :math:`\lambda_h = p_0 + p_1\,(B_h + N_h)`, or
a smoothed merit-order stack (data-sources §3.4, §6), as a :class:`~smfe.game.price.Price`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.game.price import Price
from smfe.market.fields import HOURS, SCHEMA_CONFIG, bounded, hourly

FloatArray = NDArray[np.float64]

# [A] duck-shaped background (non-residential) net load, kW per household (data-sources §4.2)
BACKGROUND = (
    2.0, 1.9, 1.85, 1.8, 1.85, 2.0, 2.1, 1.9, 1.5, 1.1, 0.9, 0.8,
    0.8, 0.8, 0.9, 1.1, 1.5, 2.1, 2.6, 2.8, 2.7, 2.5, 2.3, 2.1,
)  # fmt: skip


@dataclass(frozen=True)
class Generator:
    """A thermal unit with cost a·p² + b·p ($/h, p in MW) up to ``pmax_mw``."""

    __pydantic_config__ = SCHEMA_CONFIG

    name: str
    pmax_mw: float
    a: float
    b: float

    def __post_init__(self) -> None:
        f = f"merit_order.units[{self.name}]"
        object.__setattr__(self, "pmax_mw", bounded(self.pmax_mw, f"{f}.pmax_mw", 1e-9))
        object.__setattr__(self, "a", bounded(self.a, f"{f}.a", 1e-12))
        object.__setattr__(self, "b", bounded(self.b, f"{f}.b"))


# [S, secondary] Oahu-like thermal stack, data-sources §6 (ECE570-Project test case)
OAHU_UNITS = (
    Generator("kahe", 650.0, 0.0342, 150.0),
    Generator("kalaeloa", 208.0, 0.015, 205.3),
    Generator("waiau", 500.0, 0.0059, 233.0),
    Generator("kapolei", 130.0, 0.025, 177.7),
    Generator("schofield", 50.0, 0.001, 49.08),
    Generator("kapolei-waste", 68.5, 0.002, 32.7),
)
# [S, secondary] solar 291.3 MW and wind 123 MW times the 2-hour capacity factors of §6
_SOLAR_CF = (0, 0, 0, 0.12, 0.53, 0.88, 0.97, 0.76, 0.33, 0.03, 0, 0)
_WIND_CF = (0.38, 0.36, 0.35, 0.35, 0.36, 0.38, 0.38, 0.38, 0.38, 0.37, 0.37, 0.38)
OAHU_RENEWABLES_MW = tuple(
    291.3 * _SOLAR_CF[h // 2] + 123.0 * _WIND_CF[h // 2] for h in range(HOURS)
)


@dataclass(frozen=True)
class MeritOrder:
    r"""A merit-order generator stack instead of the affine supply curve.

    The system load in hour h is L_h = ``households``·(B_h + N_h)/1000 MW minus the
    renewable output R_h (zero marginal cost); economic dispatch of the thermal units gives
    the price λ_h(L) = the marginal cost of the marginal unit, the inverse of
    S(λ) = Σ_i clip((λ − b_i)/(2a_i), 0, P̄_i): continuous and piecewise linear in L, with
    a price of 0 when renewables cover the load and a scarcity slope beyond the capacity.
    Its kinks are smoothed over ``smoothing`` kW per household (softplus), so the followers'
    equilibrium and the leader problem stay smooth. Defaults: the Oahu-like stack of
    data-sources §6 [S, secondary]; ``households`` = 300,000 [A] places the reference
    instance's total net load (1.2–4 kW per household) inside the stack's range.
    """

    __pydantic_config__ = SCHEMA_CONFIG

    units: tuple[Generator, ...] = OAHU_UNITS
    households: float = 300_000.0
    renewables_mw: tuple[float, ...] = OAHU_RENEWABLES_MW
    smoothing: float = 0.02
    scarcity_slope: float = 1.0  # [A] $/MWh per MW beyond the thermal capacity

    def __post_init__(self) -> None:
        units = list(self.units)
        for i, u in enumerate(units):
            if not isinstance(u, Generator):
                raise InstanceError("merit_order.units", "must be generators", i)
        if not units:
            raise InstanceError("merit_order.units", "needs at least one unit")
        object.__setattr__(self, "units", tuple(units))
        object.__setattr__(
            self, "households", bounded(self.households, "merit_order.households", 1.0, 1e9)
        )
        object.__setattr__(
            self, "renewables_mw", hourly(self.renewables_mw, "merit_order.renewables_mw", 0.0)
        )
        object.__setattr__(
            self, "smoothing", bounded(self.smoothing, "merit_order.smoothing", 1e-9)
        )
        object.__setattr__(
            self, "scarcity_slope", bounded(self.scarcity_slope, "merit_order.scarcity_slope", 1e-9)
        )

    def supply_mw(self, lam: FloatArray) -> FloatArray:
        """Thermal output S(λ) in MW at price λ ($/MWh)."""
        lam = np.asarray(lam, dtype=np.float64)[..., None]
        a = np.array([u.a for u in self.units])
        b = np.array([u.b for u in self.units])
        cap = np.array([u.pmax_mw for u in self.units])
        return np.clip((lam - b) / (2 * a), 0.0, cap).sum(axis=-1)

    def curve_mw(self) -> tuple[FloatArray, FloatArray]:
        """Breakpoints (L_j in MW, λ_j in $/MWh) of the piecewise-linear inverse supply."""
        lam = sorted({u.b for u in self.units} | {u.b + 2 * u.a * u.pmax_mw for u in self.units})
        lam_a = np.array(lam)
        L = self.supply_mw(lam_a)
        eps = 1.0  # MW: a flat stretch of S (a price jump) becomes a 1-MW steep segment
        for j in range(1, L.size):
            L[j] = max(L[j], L[j - 1] + eps)
        # price 0 when renewables cover the load (a steep segment just below L = 0)
        return np.concatenate([[-eps], L]), np.concatenate([[0.0], lam_a])


@dataclass(frozen=True)
class Supply:
    """The hourly wholesale price λ_h($/kWh) of the net load: the affine inverse supply
    λ_h = p0 + p1·(B_h + N_h) (data-sources §4.5), or a :class:`MeritOrder` stack."""

    __pydantic_config__ = SCHEMA_CONFIG

    p0: float = -0.030  # [A] -30 $/MWh
    p1: float = 0.050  # [A] 50 $/MWh per kW/household
    background: tuple[float, ...] = BACKGROUND  # [A]
    merit_order: MeritOrder | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", bounded(self.p0, "supply.p0"))
        object.__setattr__(self, "p1", bounded(self.p1, "supply.p1", 0.0))
        object.__setattr__(self, "background", hourly(self.background, "supply.background"))
        if self.merit_order is not None and not isinstance(self.merit_order, MeritOrder):
            raise InstanceError("supply.merit_order", "must be a MeritOrder or null")

    def price(self, hour: int) -> Price:
        """λ_h as a function of the residential net load N_h (kW per household), $/kWh."""
        B = self.background[hour]
        mo = self.merit_order
        if mo is None:
            return Price(intercept=self.p0 + self.p1 * B, slope=self.p1, name=f"lmp[{hour}]")
        L, lam = mo.curve_mw()
        # z = (L + R_h)·1000/H − B_h; λ in $/kWh
        z = (L + mo.renewables_mw[hour]) * 1000.0 / mo.households - B
        p = lam / 1000.0
        dz = np.diff(z)
        if not (dz > 0.0).all():
            raise InstanceError(
                "supply.merit_order", "the stack's breakpoints collapse at this scale (households)"
            )
        slopes = np.diff(p) / dz
        slopes = np.concatenate([[0.0], slopes, [mo.scarcity_slope * mo.households / 1e6]])
        kinks = tuple((float(z[j]), float(slopes[j + 1] - slopes[j])) for j in range(z.size))
        return Price(
            intercept=float(p[0]),
            slope=0.0,
            name=f"lmp[{hour}]",
            kinks=kinks,
            smoothing=mo.smoothing,
        )


# [A] incomes, shares, kWh, adoption and attach rates, PV sizes; [S] IGFC fixed charges
# (CPUC decision of 9 May 2024: $6.00 CARE, $12.08 FERA, $24.15 others) — data-sources §4.1
