"""Tariff rules (bill-impact cap per group, peak cap) as constraints of the tariff problem:
the optimum keeps them, its KKT certificate holds with multipliers, and the multipliers are
the sensitivities of the optimum to the caps. Small instance: 4 state-of-charge levels."""

from __future__ import annotations

import numpy as np
import pytest

from smfe.errors import InstanceError
from smfe.market import Weights, market_game, reference_instance, solve_tariff
from smfe.market.rules import Rules

BILL_CAP, PEAK_CAP = 0.02, 1.185
"""Measured on this instance without rules: G2's bill rises 7 % over the flat tariff's and
the peak is 1.190 kW, so both caps bind. (A peak cap of 1.18 kW is out of the tariff
family's reach here: SLSQP stops with the rule broken by 3e-3 kW and the study says so —
``Certified: NO``, rules VIOLATED.)"""


@pytest.fixture(scope="module")
def capped():  # type: ignore[no-untyped-def]
    mg = market_game(reference_instance(soc_levels=4))
    return solve_tariff(
        mg, Weights(), cross_check=False, rules=Rules(bill_cap=BILL_CAP, peak_cap=PEAK_CAP)
    )


def test_rules_hold_bind_and_are_certified(capped) -> None:  # type: ignore[no-untyped-def]
    st = capped
    assert st.certified and st.rules_hold
    assert st.kkt.residual <= 1e-5
    ref = st.reference_bills
    bills = np.asarray(st.optimal.outcomes["group_bill"])
    assert np.all(bills <= (1 + BILL_CAP) * ref + 1e-7)
    assert st.optimal.outcomes["net_load"].max() <= PEAK_CAP + 1e-7
    binding = {k for k, v in st.kkt.shadow_prices.items() if v != 0.0}
    assert "bill_cap[G2]" in binding
    assert any(k.startswith("peak_cap") for k in binding)
    assert all(v >= 0.0 for v in st.kkt.shadow_prices.values())  # upper bounds: λ ≥ 0
    assert abs(st.optimal.outcomes["revenue_gap"]) <= 1e-7


def test_shadow_prices_are_sensitivities(capped) -> None:  # type: ignore[no-untyped-def]
    """Relax both caps a little: Φ* rises by Σ λ_i · (relaxation of row i) to first order."""
    st = capped
    h_bill, h_peak = 2e-3, 2e-4  # the peak's λ changes fast: a small step keeps it first-order
    relaxed = solve_tariff(
        st.market,
        Weights(),
        cross_check=False,
        rules=Rules(bill_cap=BILL_CAP + h_bill, peak_cap=PEAK_CAP + h_peak),
    )
    lam = st.kkt.shadow_prices
    ref = dict(zip([g.name for g in st.market.market.groups], st.reference_bills, strict=True))
    predicted = sum(
        v * (ref[k[9:-1]] * h_bill if k.startswith("bill_cap") else h_peak) for k, v in lam.items()
    )
    gain = relaxed.optimal.objective - st.optimal.objective
    assert gain > 0.0
    assert gain == pytest.approx(predicted, rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bill_cap": -1.5}, "rules.bill_cap"),
        ({"peak_cap": 0.0}, "rules.peak_cap"),
        ({"peak_cap": float("nan")}, "rules.peak_cap"),
        ({"reference": "hourly"}, "rules.reference"),
        ({"ramp_cap": -0.1}, "rules.ramp_cap"),
        ({"burden_ratio": 0.0}, "rules.burden_ratio"),
        ({"max_volatility": 0.0}, "rules.max_volatility"),
        ({"group_bill_caps": {"G1": "x"}}, "rules.group_bill_caps[G1]"),
        ({"rate_order": ("peak", "peak")}, "rules.rate_order"),
        ({"rate_order": ("peak",)}, "rules.rate_order"),
        ({"burden_groups": ("G1",)}, "rules.burden_groups"),
        ({"rate_order": 0.02}, "rules.rate_order"),
        ({"rate_order": "peak"}, "rules.rate_order"),
        ({"group_bill_caps": 0.1}, "rules.group_bill_caps"),
    ],
)
def test_bad_rules_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InstanceError) as exc:
        Rules(**kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_rate_order_binds_and_is_certified() -> None:
    """Without ordering, this instance's optimum prices the peak block below off-peak (see
    docs/market.md); ordered, the two blocks meet, the row binds with a positive shadow
    price, and the equity floor and ramp cap (slack here) hold."""
    mg = market_game(reference_instance(soc_levels=4))
    rules = Rules(
        rate_order=("peak", "off-peak", "super-off-peak"), burden_ratio=5.2, ramp_cap=0.23
    )
    st = solve_tariff(mg, Weights(), cross_check=False, rules=rules)
    assert st.certified and st.rules_hold
    rate = dict(zip(mg.tariff.blocks, st.optimal.outcomes["block_rate"], strict=True))
    assert rate["peak"] == pytest.approx(rate["off-peak"], abs=1e-7)
    lam = st.kkt.shadow_prices
    assert lam["rate_order[off-peak<=peak]"] > 0.01
    assert {k for k, v in lam.items() if v != 0.0} == {"rate_order[off-peak<=peak]"}
    out = st.optimal.outcomes
    assert out["burden"][0] <= 5.2 * out["burden"][-1]
