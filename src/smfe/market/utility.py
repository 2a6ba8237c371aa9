r"""The utility-scale instance "CA-utility-10D": income deciles, weather and flexible load.

The reference instance's four income groups become ten deciles (share 0.10 each), with the
groups' calibration interpolated along the income distribution: each reference group sits
at the midpoint of its cumulative share (G1 at 0.10, G2 at 0.325, G3 at 0.60, G4 at 0.875)
and decile d at (d − ½)/10; income is interpolated in logarithm, daily load, PV adoption,
battery attach and PV size linearly, and held at the end groups' values beyond them ([A],
from the reference's calibration to RECS and LBNL, docs/data-sources.md §4.1). The fixed
charge follows the CPUC income-graduated fixed charge by programme ([S] §1.8): $6.00 for
deciles at the CARE-like G1 income or below, $12.08 up to G2's (FERA-like), $24.15 above.
Every household also meets the clear/cloudy weather chain (PV × 0.4 when cloudy) and may
shift 0.25 kWh steps of load (backlog ≤ 2 steps, discomfort α = 1.5 $/kWh², data-sources
§4.4), on the reference's 7-level state-of-charge grid. Every other number (load shape, PV
profile, battery, supply curve, non-energy cost, rules) is the reference's.

Size: 30 follower types, 186,000 allowed state-action pairs (266,400 declared with the masked
ones), 14 tariff decisions (3 TOU rates, the pass-through share, 10 graduated fixed charges).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from smfe.market.data import (
    REFERENCE_GROUPS,
    Flexibility,
    IncomeGroup,
    MarketInstance,
    Weather,
    reference_instance,
)

DECILES = 10
_MID = np.array([0.10, 0.325, 0.60, 0.875])
"""Cumulative-share midpoints of the reference groups (shares 0.20/0.25/0.30/0.25)."""


def decile_groups() -> tuple[IncomeGroup, ...]:
    """Ten income deciles interpolated from the reference groups (module docstring)."""
    ref = REFERENCE_GROUPS
    at = (np.arange(DECILES) + 0.5) / DECILES

    def lin(values: list[float]) -> np.ndarray:
        return np.interp(at, _MID, values)

    income = np.exp(lin([np.log(g.income) for g in ref]))
    kwh = lin([g.daily_kwh for g in ref])
    adoption = lin([g.pv_adoption for g in ref])
    attach = lin([g.battery_attach for g in ref])
    pv = lin([g.pv_kw for g in ref])
    out = []
    for d in range(DECILES):
        if income[d] <= ref[0].income * (1 + 1e-9):
            fixed = ref[0].fixed_monthly
        elif income[d] <= ref[1].income * (1 + 1e-9):
            fixed = ref[1].fixed_monthly
        else:
            fixed = ref[3].fixed_monthly
        out.append(
            IncomeGroup(
                f"D{d + 1}",
                1.0 / DECILES,
                round(float(income[d]), 2),
                round(float(kwh[d]), 4),
                round(float(adoption[d]), 6),
                round(float(attach[d]), 6),
                round(float(pv[d]), 4),
                fixed,
            )
        )
    return tuple(out)


def utility_instance(**overrides: object) -> MarketInstance:
    """ "CA-utility-10D" (module docstring), with fields replaced by ``overrides``."""
    fields: dict[str, object] = {
        "name": "CA-utility-10D",
        "groups": decile_groups(),
        "weather": Weather(),
        "flexibility": Flexibility(),
    }
    fields.update(overrides)
    return MarketInstance(**fields)  # type: ignore[arg-type]


BUILT_IN: dict[str, Callable[[], MarketInstance]] = {
    "CA-summer-weekday-4G": reference_instance,
    "CA-utility-10D": utility_instance,
}
"""Instances ``smfe market --instance NAME`` knows by name."""
