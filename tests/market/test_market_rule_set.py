"""The commission rule set and its input checks: names of groups and periods are checked
against the instance, rules that provably leave no tariff are refused before solving (naming
the rules), the physical net-load range bounds every equilibrium, and the rule rows are the
documented expressions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from smfe.cli import main
from smfe.errors import InstanceError
from smfe.game.compiled import compile_game
from smfe.game.decision import Decision
from smfe.market import market_game, reference_instance, solve_tariff
from smfe.market.rule_check import EmptyTariffSet, check_rules, net_load_range
from smfe.market.rules import COMMISSION_RULES, Rules
from smfe.market.tariff import TariffFamily
from smfe.solvers.mfe import solve_mfe

SMALL = {"soc_levels": 4}


@pytest.fixture(scope="module")
def mg():  # type: ignore[no-untyped-def]
    return market_game(reference_instance(**SMALL))


def test_reference_instance_carries_the_commission_rules() -> None:
    assert reference_instance().rules == COMMISSION_RULES
    assert COMMISSION_RULES.rate_order == ("peak", "off-peak", "super-off-peak")


def test_unknown_group_is_named() -> None:
    with pytest.raises(InstanceError) as exc:
        reference_instance(rules=Rules(group_bill_caps={"G9": 0.1}))
    assert exc.value.field == "rules.group_bill_caps" and "'G9'" in str(exc.value)
    with pytest.raises(InstanceError) as exc:
        reference_instance(rules=Rules(burden_ratio=4.0, burden_groups=("G1", "rich")))
    assert exc.value.field == "rules.burden_groups" and "'rich'" in str(exc.value)


def test_unknown_period_is_named(mg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InstanceError) as exc:
        solve_tariff(mg, rules=Rules(rate_order=("peak", "shoulder")))
    assert exc.value.field == "rules.rate_order" and "'shoulder'" in str(exc.value)


def test_rate_order_rows_per_tariff_family(mg) -> None:  # type: ignore[no-untyped-def]
    """TOU: one row per adjacent pair of periods; hourly: one per pair of hours of the two
    periods; flat: none (one block)."""
    rules = Rules(rate_order=("peak", "off-peak", "super-off-peak"))
    assert mg.bind(rules).names == (
        "rate_order[off-peak<=peak]",
        "rate_order[super-off-peak<=off-peak]",
    )
    hourly = dataclasses.replace(mg, tariff=TariffFamily(energy="hourly"))
    assert len(hourly.bind(rules).names) == 5 * 11 + 11 * 8
    flat = dataclasses.replace(mg, tariff=TariffFamily(energy="flat"))
    assert flat.bind(rules).names == ()
    rate = np.array([0.30, 0.10, 0.25])  # off-peak, super-off-peak, peak: peak < off-peak
    rows = mg.bind(rules).rows({"block_rate": rate, "group_bill": [], "net_load": []}, [])
    assert rows == pytest.approx([0.30 - 0.25, 0.10 - 0.30])


def test_rows_are_the_documented_expressions(mg) -> None:  # type: ignore[no-untyped-def]
    rules = Rules(
        bill_cap=0.05,
        low_income_bill_cap=0.0,
        group_bill_caps={"G3": 0.1},
        ramp_cap=0.2,
        burden_ratio=5.0,
        max_dispersion=3.0,
        max_volatility=40.0,
    )
    bound = mg.bind(rules)
    rng = np.random.default_rng(0)
    N = rng.uniform(0.5, 1.5, 24)
    out = {
        "block_rate": np.zeros(3),
        "group_bill": np.array([4.0, 5.0, 6.0, 7.0]),
        "net_load": N,
        "burden": np.array([6.0, 3.0, 2.0, 1.2]),
        "burden_dispersion": 3.5,
        "volatility": 1700.0,
    }
    ref = np.array([4.1, 4.9, 5.9, 7.2])
    rows = dict(zip(bound.names, bound.rows(out, ref), strict=True))
    assert rows["bill_cap[G1]"] == pytest.approx(4.0 - 4.1)  # lowest income: cap 0
    assert rows["bill_cap[G2]"] == pytest.approx(5.0 - 1.05 * 4.9)
    assert rows["bill_cap[G3]"] == pytest.approx(6.0 - 1.10 * 5.9)  # by name: most specific
    step = np.roll(N, -1) - N
    assert rows["ramp_up[05h]"] == pytest.approx(step[5] - 0.2)
    assert rows["ramp_down[23h]"] == pytest.approx(-step[23] - 0.2)
    assert rows["burden_ratio[G1/G4]"] == pytest.approx(6.0 - 5.0 * 1.2)
    assert rows["max_dispersion"] == pytest.approx(0.5)
    assert rows["max_volatility"] == pytest.approx((1700.0 - 1600.0) / 80.0)


def test_net_load_range_bounds_equilibria(mg) -> None:  # type: ignore[no-untyped-def]
    lo, hi = net_load_range(mg)
    cg = compile_game(mg.game)
    for theta in (mg.game.start(), mg.game.decision.lower, mg.game.decision.upper):
        N = cg.aggregates(solve_mfe(cg, theta).nu)[0]
        assert np.all(lo - 1e-12 <= N) and np.all(hi + 1e-12 >= N)
    assert np.all(hi - lo > 0.1)  # batteries move the load


def test_impossible_peak_and_ramp_caps_are_refused_before_solving(mg) -> None:  # type: ignore[no-untyped-def]
    lo, _ = net_load_range(mg)
    with pytest.raises(EmptyTariffSet) as exc:
        solve_tariff(mg, rules=Rules(peak_cap=float(lo.max()) - 0.01))
    assert exc.value.conflict == ("peak_cap",) and "hour 19" in str(exc.value)
    assert isinstance(exc.value, InstanceError)
    groups = tuple(dataclasses.replace(g, battery_attach=0.0) for g in mg.market.groups)
    rigid = market_game(reference_instance(groups=groups, **SMALL))  # no battery: N is fixed
    with pytest.raises(EmptyTariffSet) as exc:
        solve_tariff(rigid, rules=Rules(ramp_cap=0.01))
    assert exc.value.conflict == ("ramp_cap",) and "hour 16 to hour 17" in str(exc.value)
    check_rules(mg, Rules(peak_cap=float(lo.max()) + 0.01), "equal")  # not provably empty


def test_bill_caps_below_the_revenue_requirement_are_refused(mg) -> None:  # type: ignore[no-untyped-def]
    """Bills add up to revenue, which must cover the non-energy cost and the least energy
    cost; capping every group below that is refused, naming every cap and the revenue row."""
    ref = np.full(4, 4.0)  # 4 $/day each: the non-energy cost alone is 4.00 $/day
    with pytest.raises(EmptyTariffSet) as exc:
        check_rules(mg, Rules(bill_cap=-0.1), "equal", ref)
    assert exc.value.conflict[-1] == "revenue (equal)"
    assert "bill_cap[G1]" in exc.value.conflict
    check_rules(mg, Rules(bill_cap=-0.1), "off", ref)  # no revenue row: no conflict
    check_rules(mg, Rules(group_bill_caps={"G1": -0.1}), "equal", ref)  # others carry it


def test_rate_order_against_the_decision_set(mg) -> None:  # type: ignore[no-untyped-def]
    dec = mg.game.decision
    A = np.zeros((1, dec.lower.size))
    A[0, 2], A[0, 0] = 1.0, -1.0  # θ_peak − θ_off-peak ≤ −0.1: the peak strictly cheaper
    game = dataclasses.replace(
        mg.game,
        decision=Decision(dec.lower, dec.upper, A_ub=A, b_ub=np.array([-0.1]), names=dec.names),
    )
    bad = dataclasses.replace(mg, game=game)
    with pytest.raises(EmptyTariffSet) as exc:
        check_rules(bad, Rules(rate_order=("peak", "off-peak")), "equal")
    assert exc.value.conflict == ("rate_order", "decision set")
    check_rules(bad, Rules(rate_order=("off-peak", "peak")), "equal")


def test_cli_rule_flags(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "o")
    assert main(["market", "--group-bill-cap", "G9=0.1", "--out", out]) == 2
    assert "'G9'" in capsys.readouterr().err
    assert main(["market", "--rate-order", "peak,shoulder", "--out", out]) == 2
    assert "'shoulder'" in capsys.readouterr().err
    assert main(["market", "--peak-cap", "0.5", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "tariff set is empty (peak_cap)" in err
    assert main(["market", "--ramp-cap", "abc", "--out", out]) == 2
    assert "--ramp-cap" in capsys.readouterr().err


def test_instance_file_rules_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from smfe.market.instance_file import dump_instance, instance_from_json

    m = reference_instance(rules=Rules(peak_cap=1.3, group_bill_caps={"G2": 0.02}))
    assert instance_from_json(dump_instance(m)) == m
    data = json.loads(dump_instance(m))
    data["rules"]["ramp_kap"] = 0.2
    with pytest.raises(InstanceError) as exc:
        instance_from_json(json.dumps(data))
    assert "ramp_kap" in str(exc.value) and "ramp_cap" in str(exc.value)
