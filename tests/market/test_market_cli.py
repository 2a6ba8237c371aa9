"""`smfe market` end to end on the reference instance (the README's main job)."""

from __future__ import annotations

import json
from pathlib import Path

from smfe.cli import main
from smfe.market.report import headline_table


def test_smfe_market_writes_report_json_and_figures(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["market", "--out", str(tmp_path), "--simulate", "100,1000", "--simulate-days", "2"])
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
    assert data["rules"]["hold"] and "Binding rules and shadow prices" in captured.out
    binding = {n for n, r in data["rules"]["rows"].items() if r["shadow_price"] > 0.0}
    assert binding == {"bill_cap[G2]", "peak_cap[19h]"}  # as the README says
    pop = json.loads((tmp_path / "population.json").read_text())
    assert [s["n"] for s in pop["sizes"]] == [100, 1000] and "ε-Nash" in captured.out
    for f in (
        "tariff.png",
        "net_load.png",
        "wholesale_price.png",
        "burden.png",
        "epsilon_nash.png",
    ):
        assert (tmp_path / f).stat().st_size > 1000
    _readme_table_matches(data)


def _cells(table: str) -> list[list[str]]:
    return [[c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:]]


def _readme_table_matches(data: dict) -> None:  # type: ignore[type-arg]
    """The README's headline table is this run's, to within one unit of its last digit."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("| | flat | TOU | real-time | optimal |")
    shown = _cells(readme[start : readme.index("\n\n", start)])
    fresh = _cells(headline_table(data))
    assert [r[0] for r in shown] == [r[0] for r in fresh]
    for got, want in zip(fresh, shown, strict=True):
        for g, w in zip(got[1:], want[1:], strict=True):
            for gv, wv in zip(g.split(" / "), w.split(" / "), strict=True):
                a, b = (float(v.replace("−", "-")) for v in (gv, wv))
                digits = len(wv.split(".")[1]) if "." in wv and "e" not in wv else 0
                unit = 10.0**-digits if digits else max(abs(b), 1e-7)
                assert abs(a - b) <= 1.01 * unit, f"README {got[0]}: shows {wv}, the run gives {gv}"


def test_smfe_market_bad_instance_file_is_a_clear_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"name": "bad", "battery": {"eta_charge": 1.2}}))
    rc = main(["market", "--instance", str(p), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "battery.eta_charge" in capsys.readouterr().err
