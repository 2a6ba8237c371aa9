r"""Tariff rules a commission imposes, as constraints r(θ, y, N) ≤ 0 of the leader problem.

Each rule is a family of rows, written with the outcomes of :mod:`smfe.market.metrics`, so
the same expressions serve floats, CasADi (the reduced-space SQP) and the full-space NLP:

* **rate ordering** (``rate_order`` = (P₁, P₂, …), periods of the tariff family from the
  dearest down, e.g. peak ≥ off-peak ≥ super-off-peak): every energy block charged in P_i
  at least every block charged in P_{i+1}, :math:`\theta_{k'} - \theta_k \le 0` (with TOU
  blocks one row per pair; with hourly blocks one per pair of hours; none with one block);
* **bill-impact cap** (``bill_cap`` = c for every group, ``low_income_bill_cap`` for the
  lowest-income group, ``group_bill_caps`` = {g: c_g} by name, the most specific winning):
  :math:`b_g(\theta) - (1 + c_g)\,b^{\rm ref}_g \le 0`, the reference bills being
  the revenue-neutral ``reference`` baseline's, computed with the same follower model;
* **peak cap** (``peak_cap`` = P kW per household): :math:`N_h - P \le 0`, h = 0..23;
* **ramp cap** (``ramp_cap`` = R kW per household per hour, the day wrapping round):
  :math:`\pm(N_{h+1} - N_h) - R \le 0`;
* **equity floor** (``burden_ratio`` = ρ over ``burden_groups`` = (low, high), by default the
  lowest- and highest-income groups): the low group's energy burden at most ρ times the high
  group's, :math:`EB_{\rm low} - \rho\,EB_{\rm high} \le 0` — a floor 1/ρ on progressivity;
* **ε-constraints** of the Pareto front (:mod:`smfe.market.pareto`): burden dispersion
  :math:`D - \varepsilon_D \le 0` (``max_dispersion``, points²) and price volatility
  :math:`(\mathrm{Var}_h\lambda - \varepsilon_V^2)/(2\varepsilon_V) \le 0`
  (``max_volatility`` = ε_V, the standard deviation in $/MWh; scaled so its multiplier is per
  $/MWh).

The rows' multipliers in the KKT conditions are the rules' shadow prices: the first-order
gain of the leader objective ($/household/day) per unit relaxation of the row ($/day of bill,
$/kWh of rate, kW of peak or ramp, burden percentage points, points², $/MWh).

:func:`resolve` binds the names a rule uses (groups, periods) to the instance and raises an
:class:`~smfe.errors.InstanceError` naming an unknown one; :mod:`smfe.market.rule_check`
proves the tariff set empty before solving where it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smfe.errors import InstanceError
from smfe.market.fields import HOURS, SCHEMA_CONFIG

REFERENCES = ("flat", "tou", "real-time")


def _number(v: object, name: str, lo: float | None = None, strict: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise InstanceError(name, f"must be a finite number, got {v!r}")
    x = float(v)
    if lo is not None and (x <= lo if strict else x < lo):
        raise InstanceError(name, f"must be {'>' if strict else '>='} {lo}, got {x}")
    return x


def _names(v: object, name: str) -> tuple[str, ...]:
    if isinstance(v, str) or not isinstance(v, list | tuple):
        raise InstanceError(name, f"must be a list of names, got {v!r}")
    if not all(isinstance(x, str) for x in v):
        raise InstanceError(name, f"must be a list of names (strings), got {list(v)!r}")
    return tuple(v)


@dataclass(frozen=True)
class Rules:
    """Which rules apply (module docstring); ``None`` or empty leaves a rule out."""

    __pydantic_config__ = SCHEMA_CONFIG

    rate_order: tuple[str, ...] = ()
    bill_cap: float | None = None
    low_income_bill_cap: float | None = None
    group_bill_caps: dict[str, float] = field(default_factory=dict)
    reference: str = "flat"
    peak_cap: float | None = None
    ramp_cap: float | None = None
    burden_ratio: float | None = None
    burden_groups: tuple[str, ...] = ()
    max_dispersion: float | None = None
    max_volatility: float | None = None

    def __post_init__(self) -> None:
        for name in ("bill_cap", "low_income_bill_cap"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, _number(v, f"rules.{name}", -1.0, True))
        if not isinstance(self.group_bill_caps, dict):
            raise InstanceError(
                "rules.group_bill_caps",
                f"must map group names to fractions, got {self.group_bill_caps!r}",
            )
        caps = {str(g): c for g, c in self.group_bill_caps.items()}
        for g, c in caps.items():
            caps[g] = _number(c, f"rules.group_bill_caps[{g}]", -1.0, True)
        object.__setattr__(self, "group_bill_caps", caps)
        for name in ("peak_cap", "ramp_cap", "burden_ratio", "max_volatility"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, _number(v, f"rules.{name}", 0.0, True))
        if self.max_dispersion is not None:
            object.__setattr__(
                self, "max_dispersion", _number(self.max_dispersion, "rules.max_dispersion", 0.0)
            )
        order = _names(self.rate_order, "rules.rate_order")
        if len(set(order)) != len(order):
            dup = next(k for k in order if order.count(k) > 1)
            raise InstanceError("rules.rate_order", f"names period {dup!r} twice")
        if len(order) == 1:
            raise InstanceError("rules.rate_order", "needs at least two periods to order")
        object.__setattr__(self, "rate_order", order)
        bg = _names(self.burden_groups, "rules.burden_groups")
        if bg and (len(bg) != 2 or bg[0] == bg[1]):
            raise InstanceError(
                "rules.burden_groups", f"must name two different groups (low, high), got {bg}"
            )
        object.__setattr__(self, "burden_groups", bg)
        if self.reference not in REFERENCES:
            raise InstanceError(
                "rules.reference", f"must be one of {REFERENCES}, got {self.reference!r}"
            )

    @property
    def active(self) -> bool:
        return bool(self.rate_order or self.group_bill_caps) or any(
            getattr(self, n) is not None
            for n in (
                "bill_cap",
                "low_income_bill_cap",
                "peak_cap",
                "ramp_cap",
                "burden_ratio",
                "max_dispersion",
                "max_volatility",
            )
        )

    @property
    def needs_reference(self) -> bool:
        caps = (self.bill_cap, self.low_income_bill_cap)
        return any(c is not None for c in caps) or bool(self.group_bill_caps)

    def check_groups(self, groups: tuple[str, ...]) -> None:
        """Every group a rule names exists (else an error naming it and the groups)."""
        for what, names in (
            ("group_bill_caps", tuple(self.group_bill_caps)),
            ("burden_groups", self.burden_groups),
        ):
            for g in names:
                if g not in groups:
                    raise InstanceError(
                        f"rules.{what}", f"names group {g!r}; the groups are {list(groups)}", g
                    )

    def check_periods(self, periods: tuple[str, ...]) -> None:
        """Every period the rate ordering names is a period of the tariff family."""
        for k in self.rate_order:
            if k not in periods:
                raise InstanceError(
                    "rules.rate_order",
                    f"names period {k!r}; the tariff's periods are {list(periods)}",
                    k,
                )

    def describe(self) -> list[str]:
        """One short phrase per rule in force, for reports."""
        out = []
        if self.rate_order:
            out.append("rates " + " ≥ ".join(self.rate_order))
        ref = self.reference
        if self.bill_cap is not None:
            out.append(f"bills ≤ {1 + self.bill_cap:.4g} × {ref}")
        if self.low_income_bill_cap is not None:
            out.append(f"lowest-income bill ≤ {1 + self.low_income_bill_cap:.4g} × {ref}")
        out += [f"{g} bill ≤ {1 + c:.4g} × {ref}" for g, c in self.group_bill_caps.items()]
        if self.peak_cap is not None:
            out.append(f"peak ≤ {self.peak_cap:g} kW")
        if self.ramp_cap is not None:
            out.append(f"ramp ≤ {self.ramp_cap:g} kW/h")
        if self.burden_ratio is not None:
            out.append(f"burden ratio ≤ {self.burden_ratio:g}")
        if self.max_dispersion is not None:
            out.append(f"burden dispersion ≤ {self.max_dispersion:g} pt²")
        if self.max_volatility is not None:
            out.append(f"price std ≤ {self.max_volatility:g} $/MWh")
        return out


@dataclass(frozen=True)
class BoundRules:
    """:class:`Rules` bound to an instance: row names, and the indices the rows need."""

    rules: Rules
    names: tuple[str, ...]
    caps: tuple[tuple[int, float], ...]
    """(group index, cap fraction) of the bill-impact rows."""
    order: tuple[tuple[int, int], ...]
    """(dearer block, cheaper block) index pairs of the rate-ordering rows."""
    equity: tuple[int, int] | None

    def rows(self, out: dict[str, Any], reference: Any) -> list[Any]:
        """r(θ, y, N) ≤ 0 from the outcomes ``out``; ``reference`` holds the groups'
        reference bills (floats or a backend's parameters)."""
        r, rows = self.rules, []
        rate = out["block_rate"]
        rows += [rate[lo] - rate[hi] for hi, lo in self.order]
        bills = out["group_bill"]
        rows += [bills[g] - (1.0 + c) * reference[g] for g, c in self.caps]
        N = out["net_load"]
        if r.peak_cap is not None:
            rows += [N[h] - r.peak_cap for h in range(HOURS)]
        if r.ramp_cap is not None:
            steps = [N[(h + 1) % HOURS] - N[h] for h in range(HOURS)]
            rows += [s - r.ramp_cap for s in steps] + [-s - r.ramp_cap for s in steps]
        if self.equity is not None and r.burden_ratio is not None:
            lo, hi = self.equity
            rows.append(out["burden"][lo] - r.burden_ratio * out["burden"][hi])
        if r.max_dispersion is not None:
            rows.append(out["burden_dispersion"] - r.max_dispersion)
        if r.max_volatility is not None:
            e = r.max_volatility
            rows.append((out["volatility"] - e * e) * (0.5 / e))
        return rows


COMMISSION_RULES = Rules(
    rate_order=("peak", "off-peak", "super-off-peak"),  # [S] SCE TOU-D-4-9PM period order
    bill_cap=0.05,  # [S] data-sources §3.5: a bill-protection cap of ≤ 5 %
    low_income_bill_cap=0.0,  # [S] data-sources §3.5: ΔB_low-income ≤ 0 (CARE-like G1)
    reference="flat",
    peak_cap=1.225,  # [A] kW/hh: about the TOU baseline's peak (1.2226 kW measured)
    ramp_cap=0.23,  # [A] kW/hh per hour: the flat tariff's steepest ramp (0.2282 measured)
    burden_ratio=5.3,  # [A] G1's burden ≤ 5.3 × G4's (5.77 under the flat tariff, measured)
)
"""The default rule set of the reference instance (docs/market.md, "Tariff rules")."""


def resolve(
    rules: Rules,
    groups: tuple[str, ...],
    incomes: tuple[float, ...],
    blocks: tuple[str, ...],
    periods: tuple[tuple[str, tuple[int, ...]], ...],
    block_matrix: Any,
) -> BoundRules:
    """Bind ``rules`` to an instance's groups and a tariff family's periods and energy
    blocks (``block_matrix`` B[k, h] = 1 when hour h is charged at block k)."""
    rules.check_groups(groups)
    period_hours = dict(periods)
    rules.check_periods(tuple(period_hours))
    B = np.asarray(block_matrix)
    names: list[str] = []
    pairs: list[tuple[int, int]] = []
    for a, b in zip(rules.rate_order, rules.rate_order[1:], strict=False):
        dear = sorted({int(np.argmax(B[:, h])) for h in period_hours[a]})
        cheap = sorted({int(np.argmax(B[:, h])) for h in period_hours[b]})
        pairs += [(hi, lo) for hi in dear for lo in cheap if hi != lo and (hi, lo) not in pairs]
    order = tuple(pairs)
    names += [f"rate_order[{blocks[lo]}<={blocks[hi]}]" for hi, lo in order]
    low = int(np.argmin(incomes))
    caps: dict[int, float] = {}
    if rules.bill_cap is not None:
        caps = dict.fromkeys(range(len(groups)), rules.bill_cap)
    if rules.low_income_bill_cap is not None:
        caps[low] = rules.low_income_bill_cap
    caps.update({groups.index(g): c for g, c in rules.group_bill_caps.items()})
    cap_rows = tuple(sorted(caps.items()))
    names += [f"bill_cap[{groups[g]}]" for g, _ in cap_rows]
    if rules.peak_cap is not None:
        names += [f"peak_cap[{h:02d}h]" for h in range(HOURS)]
    if rules.ramp_cap is not None:
        names += [f"ramp_up[{h:02d}h]" for h in range(HOURS)]
        names += [f"ramp_down[{h:02d}h]" for h in range(HOURS)]
    equity = None
    if rules.burden_ratio is not None:
        if rules.burden_groups:
            equity = (groups.index(rules.burden_groups[0]), groups.index(rules.burden_groups[1]))
        else:
            equity = (low, int(np.argmax(incomes)))
        if equity[0] == equity[1]:
            raise InstanceError("rules.burden_ratio", "needs at least two income groups")
        names.append(f"burden_ratio[{groups[equity[0]]}/{groups[equity[1]]}]")
    if rules.max_dispersion is not None:
        names.append("max_dispersion")
    if rules.max_volatility is not None:
        names.append("max_volatility")
    return BoundRules(rules, tuple(names), cap_rows, order, equity)
