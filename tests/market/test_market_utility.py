"""The utility-scale instance: deciles interpolated from the reference groups, the IGFC
programme by income, a size of at least 10⁵ state-action pairs, and its name on the CLI."""

from __future__ import annotations

import json

import numpy as np

from smfe.cli import main
from smfe.market.data import REFERENCE_GROUPS
from smfe.market.game import market_sizes
from smfe.market.utility import decile_groups, utility_instance


def test_deciles_follow_the_reference_calibration() -> None:
    d = decile_groups()
    assert len(d) == 10 and abs(sum(g.share for g in d) - 1.0) < 1e-12
    incomes = [g.income for g in d]
    assert incomes == sorted(incomes)
    lo, hi = REFERENCE_GROUPS[0], REFERENCE_GROUPS[-1]
    assert (d[0].income, d[0].daily_kwh, d[0].pv_adoption) == (
        lo.income,
        lo.daily_kwh,
        lo.pv_adoption,
    )
    assert (d[-1].income, d[-1].battery_attach) == (hi.income, hi.battery_attach)
    fixed = [g.fixed_monthly for g in d]
    assert fixed[0] == 6.00 and set(fixed) == {6.00, 12.08, 24.15}
    assert np.all(np.diff(fixed) >= 0.0)


def test_utility_instance_is_utility_scale() -> None:
    m = utility_instance()
    assert m.weather is not None and m.flexibility is not None
    assert market_sizes(m).pairs >= 100_000


def test_cli_knows_the_instance_by_name(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "u.json"
    assert main(["market", "--instance", "CA-utility-10D", "--dump-instance", str(f)]) == 0
    data = json.loads(f.read_text())
    assert data["name"] == "CA-utility-10D" and len(data["groups"]) == 10
