"""The command line: solve, catalogue, instance; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smfe.cli import main


def test_solve_catalogue_instance_writes_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert main(["solve", "two-state", "--quiet", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["status"]["solution"] == "optimal"
    assert data["certificate"]["passed"] is True
    assert "certificate: PASSED" in capsys.readouterr().out


def test_instance_then_solve_file(tmp_path: Path) -> None:
    f = tmp_path / "g.json"
    assert main(["instance", "garnet", "--set", "n_states=5", "--out", str(f)]) == 0
    assert main(["solve", str(f), "--method", "mfe", "--quiet"]) == 0


def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "garnet", "--set", "tau=-1", "--quiet"]) == 2
    assert "tau" in capsys.readouterr().err
    assert main(["solve", "no-such-thing.json"]) == 2
    assert "neither a file nor a catalogue name" in capsys.readouterr().err


def test_not_certified_exits_1() -> None:
    assert main(["solve", "two-state", "--options", '{"max_iter": 1}', "--quiet"]) == 1


def test_catalogue_lists_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue"]) == 0
    out = capsys.readouterr().out
    for name in ("two-state", "garnet", "congestion", "leader-mdp"):
        assert name in out


def test_a_reader_that_stops_early_is_not_an_internal_error() -> None:
    """`smfe catalogue | head -1`: the closed pipe ends the command quietly."""
    import subprocess
    import sys

    code = "import sys; from smfe.cli import main; sys.exit(main(['catalogue']))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes anything
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "internal error" not in err and "Broken pipe" not in err
