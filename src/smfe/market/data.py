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

from smfe.errors import InstanceError
from smfe.market.fields import HOURS, SCHEMA_CONFIG, bounded, hourly
from smfe.market.rules import COMMISSION_RULES, Rules
from smfe.market.supply import Supply

FloatArray = NDArray[np.float64]
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
        object.__setattr__(self, "share", bounded(self.share, f"{f}.share", 0.0, 1.0))
        object.__setattr__(self, "income", bounded(self.income, f"{f}.income", 1e-9, MAX_INCOME))
        object.__setattr__(self, "daily_kwh", bounded(self.daily_kwh, f"{f}.daily_kwh", 0.0))
        for name in ("pv_adoption", "battery_attach"):
            object.__setattr__(self, name, bounded(getattr(self, name), f"{f}.{name}", 0.0, 1.0))
        object.__setattr__(self, "pv_kw", bounded(self.pv_kw, f"{f}.pv_kw", 0.0))
        object.__setattr__(
            self, "fixed_monthly", bounded(self.fixed_monthly, f"{f}.fixed_monthly", 0.0)
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
            self, "capacity_kwh", bounded(self.capacity_kwh, "battery.capacity_kwh", 1e-9)
        )
        object.__setattr__(self, "power_kw", bounded(self.power_kw, "battery.power_kw", 1e-9))
        for name in ("eta_charge", "eta_discharge"):
            object.__setattr__(
                self, name, bounded(getattr(self, name), f"battery.{name}", 1e-9, 1.0)
            )
        object.__setattr__(
            self,
            "degradation_per_kwh",
            bounded(self.degradation_per_kwh, "battery.degradation_per_kwh", 0.0),
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
                self, name, bounded(getattr(self, name), f"weather.{name}", 0.0, 1.0)
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
        object.__setattr__(self, "step_kwh", bounded(self.step_kwh, "flexibility.step_kwh", 1e-9))
        if (
            isinstance(self.max_steps, bool)
            or int(self.max_steps) != self.max_steps
            or self.max_steps < 1
        ):
            raise InstanceError(
                "flexibility.max_steps", f"must be an integer >= 1, got {self.max_steps!r}"
            )
        object.__setattr__(self, "max_steps", int(self.max_steps))
        object.__setattr__(self, "alpha", bounded(self.alpha, "flexibility.alpha", 0.0))


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
    rules: Rules = COMMISSION_RULES

    def __post_init__(self) -> None:
        groups = tuple(self.groups)
        if not groups:
            raise InstanceError("groups", "needs at least one income group")
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise InstanceError("groups.name", "group names must be unique")
        self.rules.check_groups(tuple(names))
        total = sum(g.share for g in groups)
        if abs(total - 1.0) > 1e-9:
            raise InstanceError("groups.share", f"shares sum to {total!r}, not 1")
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "load_shape", hourly(self.load_shape, "load_shape", 0.0))
        mean = float(np.mean(self.load_shape))
        if abs(mean - 1.0) > 1e-3:
            raise InstanceError(
                "load_shape", f"must have mean 1 (it scales daily kWh), got {mean:.4f}"
            )
        object.__setattr__(self, "pv_profile", hourly(self.pv_profile, "pv_profile", 0.0))
        object.__setattr__(self, "pv_derate", bounded(self.pv_derate, "pv_derate", 0.0))
        object.__setattr__(
            self, "non_energy_cost", bounded(self.non_energy_cost, "non_energy_cost", 0.0)
        )
        if (
            isinstance(self.soc_levels, bool)
            or int(self.soc_levels) != self.soc_levels
            or self.soc_levels < 2
        ):
            raise InstanceError("soc_levels", f"must be an integer >= 2, got {self.soc_levels!r}")
        object.__setattr__(self, "soc_levels", int(self.soc_levels))
        object.__setattr__(self, "hour_discount", bounded(self.hour_discount, "hour_discount", 0.0))
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
