r"""The market instance: household groups, DER, time series, wholesale supply, revenue need.

Every default is the reference instance "CA-summer-weekday-4G" of ``docs/data-sources.md``
§4, with its provenance tag next to it: **[S]** sourced (citation given), **[C]** computed
offline with the recipe of data-sources §4.7, **[A]** an assumption or calibration choice (a
parameter users are meant to change). Units: kW, kWh, $ (not cents), hours; per household.

Wholesale side (data-sources §3.4): the hourly price is the affine inverse supply
:math:`\lambda_h = p_0 + p_1\,(B_h + N_h)` with :math:`N_h` the residential net load per
household (the mean-field aggregate) and :math:`B_h` the background load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pydantic import ConfigDict

from smfe.errors import InstanceError
from smfe.game.checks import finite_number
from smfe.game.model import Price

FloatArray = NDArray[np.float64]
HOURS = 24
SCHEMA_CONFIG = ConfigDict(strict=True, extra="forbid")
"""How pydantic validates these dataclasses from JSON (:mod:`smfe.market.instance_file`):
strict types, unknown keys refused; the dataclasses' own checks then run as usual."""
MAX_INCOME = 1e8
"""[A] an annual household income above $10⁸ is refused as a data error."""

# [A] stylised US summer weekday load shape, mean 1, hour-beginning 0..23 (data-sources §4.2)
LOAD_SHAPE = (
    0.696, 0.616, 0.576, 0.557, 0.557, 0.616, 0.745, 0.845, 0.845, 0.845, 0.875, 0.914,
    0.964, 1.024, 1.093, 1.193, 1.342, 1.491, 1.610, 1.640, 1.540, 1.371, 1.143, 0.904,
)  # fmt: skip
# [C] pvlib clear-sky July profile, Sacramento, PDT, kW per kWdc (data-sources §1.2; 5.75 kWh/day)
PV_PROFILE = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.008, 0.111, 0.274, 0.431, 0.560, 0.652,
    0.702, 0.710, 0.676, 0.601, 0.486, 0.338, 0.173, 0.032, 0.0, 0.0, 0.0, 0.0,
)  # fmt: skip
# [A] duck-shaped background (non-residential) net load, kW per household (data-sources §4.2)
BACKGROUND = (
    2.0, 1.9, 1.85, 1.8, 1.85, 2.0, 2.1, 1.9, 1.5, 1.1, 0.9, 0.8,
    0.8, 0.8, 0.9, 1.1, 1.5, 2.1, 2.6, 2.8, 2.7, 2.5, 2.3, 2.1,
)  # fmt: skip


def _finite(v: float, field_: str, lo: float | None = None, hi: float | None = None) -> float:
    x = finite_number(v, field_)
    if lo is not None and x < lo:
        raise InstanceError(field_, f"must be >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise InstanceError(field_, f"must be <= {hi}, got {x}")
    return x


def _series(v: object, field_: str, lo: float | None = None) -> tuple[float, ...]:
    a = np.asarray(v, dtype=np.float64).ravel()
    if a.size != HOURS:
        raise InstanceError(field_, f"needs {HOURS} hourly values, got {a.size}")
    bad = ~np.isfinite(a) | (a < lo if lo is not None else np.zeros(HOURS, bool))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InstanceError(field_, f"must be finite{'' if lo is None else f' and >= {lo}'}", i)
    return tuple(float(x) for x in a)


@dataclass(frozen=True)
class IncomeGroup:
    """One income group (data-sources §4.1): share of households, annual income, daily load,
    PV adoption rate, battery attach rate among PV owners, PV size and the monthly fixed
    charge it pays under the reference (IGFC) tariff."""

    __pydantic_config__ = SCHEMA_CONFIG

    name: str
    share: float
    income: float
    daily_kwh: float
    pv_adoption: float
    battery_attach: float
    pv_kw: float
    fixed_monthly: float

    def __post_init__(self) -> None:
        f = f"groups[{self.name}]"
        object.__setattr__(self, "share", _finite(self.share, f"{f}.share", 0.0, 1.0))
        object.__setattr__(self, "income", _finite(self.income, f"{f}.income", 1e-9, MAX_INCOME))
        object.__setattr__(self, "daily_kwh", _finite(self.daily_kwh, f"{f}.daily_kwh", 0.0))
        for name in ("pv_adoption", "battery_attach"):
            object.__setattr__(self, name, _finite(getattr(self, name), f"{f}.{name}", 0.0, 1.0))
        object.__setattr__(self, "pv_kw", _finite(self.pv_kw, f"{f}.pv_kw", 0.0))
        object.__setattr__(
            self, "fixed_monthly", _finite(self.fixed_monthly, f"{f}.fixed_monthly", 0.0)
        )


@dataclass(frozen=True)
class Battery:
    """A residential battery (data-sources §1.3, §4.3): usable energy, power limit, one-way
    efficiencies (η_c·η_d = round trip) and a degradation cost per kWh of throughput."""

    __pydantic_config__ = SCHEMA_CONFIG

    capacity_kwh: float = 13.5  # [S] Tesla Powerwall 2 datasheet
    power_kw: float = 5.0  # [S] Powerwall 2, continuous
    eta_charge: float = 0.949  # [S] 90 % round trip -> sqrt(0.90)
    eta_discharge: float = 0.949  # [S] as above
    degradation_per_kwh: float = 0.02  # [A] data-sources §4.3

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "capacity_kwh", _finite(self.capacity_kwh, "battery.capacity_kwh", 1e-9)
        )
        object.__setattr__(self, "power_kw", _finite(self.power_kw, "battery.power_kw", 1e-9))
        for name in ("eta_charge", "eta_discharge"):
            object.__setattr__(
                self, name, _finite(getattr(self, name), f"battery.{name}", 1e-9, 1.0)
            )
        object.__setattr__(
            self,
            "degradation_per_kwh",
            _finite(self.degradation_per_kwh, "battery.degradation_per_kwh", 0.0),
        )


@dataclass(frozen=True)
class Weather:
    """Optional clear/cloudy Markov chain scaling PV output (the uncertain environment).

    ``stay_clear``/``stay_cloudy``: hourly probabilities of keeping the state; ``cloudy_scale``
    multiplies PV output when cloudy. All [A]."""

    __pydantic_config__ = SCHEMA_CONFIG

    stay_clear: float = 0.95
    stay_cloudy: float = 0.85
    cloudy_scale: float = 0.4

    def __post_init__(self) -> None:
        for name in ("stay_clear", "stay_cloudy", "cloudy_scale"):
            object.__setattr__(
                self, name, _finite(getattr(self, name), f"weather.{name}", 0.0, 1.0)
            )

    def transition(self) -> FloatArray:
        """P[w, w'] over (clear, cloudy)."""
        a, b = self.stay_clear, self.stay_cloudy
        return np.array([[a, 1.0 - a], [1.0 - b, b]])


@dataclass(frozen=True)
class Flexibility:
    """Optional shiftable load (data-sources §4.4): each hour a household may defer or catch up
    ``step_kwh`` of consumption, holding a backlog of at most ``max_steps`` steps that must be
    cleared by midnight (energy is conserved within the day); each shifted step costs the
    quadratic discomfort α/2·step² ($). α = 1.5 $/kWh² [A]; step and range [A]."""

    __pydantic_config__ = SCHEMA_CONFIG

    step_kwh: float = 0.25
    max_steps: int = 2
    alpha: float = 1.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_kwh", _finite(self.step_kwh, "flexibility.step_kwh", 1e-9))
        if (
            isinstance(self.max_steps, bool)
            or int(self.max_steps) != self.max_steps
            or self.max_steps < 1
        ):
            raise InstanceError(
                "flexibility.max_steps", f"must be an integer >= 1, got {self.max_steps!r}"
            )
        object.__setattr__(self, "max_steps", int(self.max_steps))
        object.__setattr__(self, "alpha", _finite(self.alpha, "flexibility.alpha", 0.0))


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
        object.__setattr__(self, "pmax_mw", _finite(self.pmax_mw, f"{f}.pmax_mw", 1e-9))
        object.__setattr__(self, "a", _finite(self.a, f"{f}.a", 1e-12))
        object.__setattr__(self, "b", _finite(self.b, f"{f}.b"))


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
            self, "households", _finite(self.households, "merit_order.households", 1.0, 1e9)
        )
        object.__setattr__(
            self, "renewables_mw", _series(self.renewables_mw, "merit_order.renewables_mw", 0.0)
        )
        object.__setattr__(
            self, "smoothing", _finite(self.smoothing, "merit_order.smoothing", 1e-9)
        )
        object.__setattr__(
            self, "scarcity_slope", _finite(self.scarcity_slope, "merit_order.scarcity_slope", 1e-9)
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
        object.__setattr__(self, "p0", _finite(self.p0, "supply.p0"))
        object.__setattr__(self, "p1", _finite(self.p1, "supply.p1", 0.0))
        object.__setattr__(self, "background", _series(self.background, "supply.background"))
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
REFERENCE_GROUPS = (
    IncomeGroup("G1", 0.20, 22_000.0, 14.0, 0.06, 0.10, 4.0, 6.00),
    IncomeGroup("G2", 0.25, 55_000.0, 17.0, 0.12, 0.15, 4.5, 12.08),
    IncomeGroup("G3", 0.30, 110_000.0, 20.0, 0.16, 0.20, 5.0, 24.15),
    IncomeGroup("G4", 0.25, 225_000.0, 26.0, 0.20, 0.30, 6.0, 24.15),
)


@dataclass(frozen=True)
class MarketInstance:
    """A tariff-design instance (defaults: "CA-summer-weekday-4G", data-sources §4).

    ``soc_levels``: battery state-of-charge grid points (0 .. capacity, evenly spaced);
    ``pv_derate``: multiplies the clear-sky PV profile (1 = clear sky, [A]);
    ``non_energy_cost``: $/household/day of T&D, policy and capacity cost the tariff must
    also recover ([A] data-sources §4.6); ``hour_discount``: the followers' per-hour discount
    (the day repeats; [A] 0.999, i.e. almost undiscounted within the day).
    """

    __pydantic_config__ = SCHEMA_CONFIG

    name: str = "CA-summer-weekday-4G"
    groups: tuple[IncomeGroup, ...] = REFERENCE_GROUPS
    load_shape: tuple[float, ...] = LOAD_SHAPE
    pv_profile: tuple[float, ...] = PV_PROFILE
    pv_derate: float = 1.0
    battery: Battery = field(default_factory=Battery)
    supply: Supply = field(default_factory=Supply)
    non_energy_cost: float = 4.00
    soc_levels: int = 7
    hour_discount: float = 0.99
    weather: Weather | None = None
    flexibility: Flexibility | None = None

    def __post_init__(self) -> None:
        groups = tuple(self.groups)
        if not groups:
            raise InstanceError("groups", "needs at least one income group")
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise InstanceError("groups.name", "group names must be unique")
        total = sum(g.share for g in groups)
        if abs(total - 1.0) > 1e-9:
            raise InstanceError("groups.share", f"shares sum to {total!r}, not 1")
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "load_shape", _series(self.load_shape, "load_shape", 0.0))
        mean = float(np.mean(self.load_shape))
        if abs(mean - 1.0) > 1e-3:
            raise InstanceError(
                "load_shape", f"must have mean 1 (it scales daily kWh), got {mean:.4f}"
            )
        object.__setattr__(self, "pv_profile", _series(self.pv_profile, "pv_profile", 0.0))
        object.__setattr__(self, "pv_derate", _finite(self.pv_derate, "pv_derate", 0.0))
        object.__setattr__(
            self, "non_energy_cost", _finite(self.non_energy_cost, "non_energy_cost", 0.0)
        )
        if (
            isinstance(self.soc_levels, bool)
            or int(self.soc_levels) != self.soc_levels
            or self.soc_levels < 2
        ):
            raise InstanceError("soc_levels", f"must be an integer >= 2, got {self.soc_levels!r}")
        object.__setattr__(self, "soc_levels", int(self.soc_levels))
        object.__setattr__(self, "hour_discount", _finite(self.hour_discount, "hour_discount", 0.0))
        if not self.hour_discount < 1.0:
            raise InstanceError("hour_discount", f"must be < 1, got {self.hour_discount}")
        b = self.battery
        if (
            b.power_kw * b.eta_charge < self.soc_step
            or b.power_kw < self.soc_step * b.eta_discharge
        ):
            raise InstanceError(
                "soc_levels",
                f"a state-of-charge step of {self.soc_step:.3g} kWh exceeds what the battery can "
                "move in one hour; use more levels",
            )

    @property
    def soc_step(self) -> float:
        """Energy between two state-of-charge levels, kWh."""
        return self.battery.capacity_kwh / (self.soc_levels - 1)

    def load(self, group: int) -> FloatArray:
        """Baseline hourly load of a group, kW: daily kWh / 24 × shape."""
        return self.groups[group].daily_kwh / HOURS * np.asarray(self.load_shape)

    def pv(self, group: int) -> FloatArray:
        """Hourly PV output of an adopter of the group (clear weather), kW."""
        return self.groups[group].pv_kw * self.pv_derate * np.asarray(self.pv_profile)

    @property
    def shares(self) -> FloatArray:
        return np.array([g.share for g in self.groups])

    @property
    def fixed_daily(self) -> FloatArray:
        """The reference fixed charges per day ($/month × 12 / 365)."""
        return np.array([g.fixed_monthly * 12.0 / 365.0 for g in self.groups])


def reference_instance(**overrides: object) -> MarketInstance:
    """The reference instance "CA-summer-weekday-4G", with fields replaced by ``overrides``."""
    return MarketInstance(**overrides)  # type: ignore[arg-type]
