"""Invalid market inputs raise typed errors naming the field (issue #4)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from smfe.errors import InstanceError
from smfe.market import Battery, MarketInstance, TariffFamily, reference_instance
from smfe.market.data import REFERENCE_GROUPS
from smfe.market.instance_file import instance_from_dict, load_instance
from smfe.market.metrics import Weights


def test_negative_capacity_names_the_field() -> None:
    with pytest.raises(InstanceError) as e:
        Battery(capacity_kwh=-1.0)
    assert e.value.field == "battery.capacity_kwh"


def test_efficiency_above_one_names_the_field() -> None:
    with pytest.raises(InstanceError) as e:
        Battery(eta_charge=1.05)
    assert e.value.field == "battery.eta_charge"


def test_shares_must_sum_to_one() -> None:
    groups = (dataclasses.replace(REFERENCE_GROUPS[0], share=0.5), *REFERENCE_GROUPS[1:])
    with pytest.raises(InstanceError) as e:
        MarketInstance(groups=groups)
    assert e.value.field == "groups.share"


def test_negative_pv_size_names_group() -> None:
    with pytest.raises(InstanceError) as e:
        dataclasses.replace(REFERENCE_GROUPS[1], pv_kw=-2.0)
    assert e.value.field == "groups[G2].pv_kw"


def test_rate_bounds_lower_above_upper() -> None:
    with pytest.raises(InstanceError) as e:
        TariffFamily(rate_bounds=(0.5, 0.1))
    assert e.value.field == "tariff.rate_bounds"


def test_periods_must_cover_every_hour_once() -> None:
    night = (*range(0, 7), 20, 21, 22, 23)
    gap = (("day", tuple(range(8, 20))), ("night", night))
    with pytest.raises(InstanceError) as e:
        TariffFamily(periods=gap)
    assert e.value.field == "tariff.periods" and e.value.index == 7
    overlap = (("a", tuple(range(0, 13))), ("b", tuple(range(12, 24))))
    with pytest.raises(InstanceError, match="hour 12 is covered by 2 periods"):
        TariffFamily(periods=overlap)


def test_soc_grid_coarser_than_battery_power_is_refused() -> None:
    with pytest.raises(InstanceError) as e:
        reference_instance(soc_levels=2)
    assert e.value.field == "soc_levels"


def test_unknown_option_values_are_refused() -> None:
    with pytest.raises(InstanceError) as e:
        TariffFamily(export="barter")
    assert e.value.field == "tariff.export"
    with pytest.raises(InstanceError) as e:
        Weights(equity=-1.0)
    assert e.value.field == "weights.equity"


def test_instance_file_round_trip_and_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "m.json"
    p.write_text(json.dumps({"name": "x", "soc_levels": 4, "battery": {"power_kw": 6.0}}))
    m = load_instance(str(p))
    assert m.soc_levels == 4 and m.battery.power_kw == 6.0
    with pytest.raises(InstanceError, match="did you mean 'soc_levels'") as e:
        instance_from_dict({"name": "x", "sol_levels": 4})
    assert e.value.field == "sol_levels"
    with pytest.raises(InstanceError) as e:
        instance_from_dict({"name": "x", "groups": [{"name": "x"}]})
    assert e.value.field == "groups[0].share"


def test_cli_rejects_unknown_weight_names(capsys) -> None:  # type: ignore[no-untyped-def]
    from smfe.cli import main

    assert main(["market", "--weight", "fairness=1", "--out", "/nonexistent"]) == 2
    assert "--weight fairness: unknown weight" in capsys.readouterr().err
