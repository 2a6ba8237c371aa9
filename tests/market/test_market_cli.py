"""`smfe market` end to end on the reference instance (the README's main job)."""

from __future__ import annotations

import json

from smfe.cli import main


def test_smfe_market_writes_report_json_and_figures(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["market", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "Optimal tariff:" in captured.out and "Certified: yes" in captured.out
    assert "baseline flat" in captured.err  # progress is shown
    data = json.loads((tmp_path / "market.json").read_text())
    assert set(data["tariffs"]) == {"flat", "tou", "real-time", "optimal"}
    opt = data["tariffs"]["optimal"]
    assert abs(opt["revenue_gap"]) <= 1e-7
    assert all(opt["objective"] >= t["objective"] - 1e-9 for t in data["tariffs"].values())
    assert data["cross_check"]["agree"] and data["certified"]
    for f in ("tariff.png", "net_load.png", "wholesale_price.png", "burden.png"):
        assert (tmp_path / f).stat().st_size > 1000


def test_smfe_market_bad_instance_file_is_a_clear_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"name": "bad", "battery": {"eta_charge": 1.2}}))
    rc = main(["market", "--instance", str(p), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "battery.eta_charge" in capsys.readouterr().err
