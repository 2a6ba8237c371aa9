"""The efficiency–equity–stability front: every point is a certified tariff study whose ε
rows hold, the anchors bound the criteria, and the report keeps uncertified points labelled
(the real front is slow: about a minute on the 4-level instance)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smfe.errors import InstanceError
from smfe.market import market_game, reference_instance
from smfe.market.pareto import ParetoFront, ParetoPoint, pareto_front
from smfe.market.pareto_report import format_pareto, pareto_numbers, write_pareto


def _point(label: str, w: float, d: float, p: float, ok: bool) -> ParetoPoint:
    eps = (d, p) if label.startswith("ε") else (None, None)
    return ParetoPoint(
        label, *eps, w, d, p, 42.0, np.zeros(2), ok, ok, {"max_dispersion": 0.1, "peak": 0.0}, 1.0
    )


def test_report_keeps_uncertified_points(tmp_path) -> None:  # type: ignore[no-untyped-def]
    front = ParetoFront(
        (
            _point("max welfare", -5.0, 3.4, 1.20, True),
            _point("min dispersion", -5.1, 3.0, 1.21, True),
            _point("min peak", -5.2, 3.3, 1.18, True),
            _point("ε_D", -5.05, 3.2, 1.19, True),
            _point("ε_D,P", -5.01, 3.1, 1.18, False),
        ),
        levels=1,
    )
    assert not front.certified
    text = format_pareto(front)
    assert text.count("\n") == 1 + 5 and "NO (rules broken)" in text
    nums = pareto_numbers(front)
    assert [p["certified"] for p in nums["points"]] == [True] * 4 + [False]
    paths = write_pareto(front, tmp_path)
    assert json.loads(paths[0].read_text())["levels"] == 1
    assert paths[1].stat().st_size > 1000
    with pytest.raises(InstanceError, match="exists"):  # never over a file without force
        write_pareto(front, tmp_path)


def test_levels_are_checked() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    with pytest.raises(InstanceError, match=r"pareto\.levels"):
        pareto_front(mg, levels=0)


@pytest.mark.slow
def test_front_points_are_certified_and_keep_their_eps() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    front = pareto_front(mg, levels=1)
    top, dmin, _, eps_d, eps_dp = front.points
    assert eps_d.certified and eps_d.label == "ε_D"
    assert dmin.dispersion <= eps_d.dispersion <= eps_d.eps_dispersion + 1e-7
    assert eps_d.tradeoff["max_dispersion"] > 0.0  # the equity level binds: a trade-off rate
    assert top.welfare >= eps_d.welfare - 1e-9 >= dmin.welfare - 2e-9
    if eps_dp.certified:  # the peak level may be out of reach: then labelled, not hidden
        assert eps_dp.peak <= eps_dp.eps_peak + 1e-7
        assert eps_dp.welfare <= eps_d.welfare + 1e-9
