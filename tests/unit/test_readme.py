"""The README's example output is what a run prints (no hand-typed numbers drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smfe.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _block() -> str:
    text = README.read_text()
    m = re.search(r"```\n(game 'two-state' · method pgd\n.*?)```", text, re.S)
    assert m, "the two-state output block is missing from the README"
    return m.group(1)


def test_readme_two_state_block_matches_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "two-state", "--quiet"]) == 0
    run = capsys.readouterr().out.splitlines()
    shown = _block().splitlines()
    assert len(run) == len(shown)
    for got, want in zip(run, shown, strict=True):
        if got.startswith("objective J"):  # J* = 0; its round-off (~1e-13) varies with the BLAS
            assert abs(float(got.split()[-1]) - float(want.split()[-1])) <= 1e-9
            continue
        if got.startswith("iterations") or re.search(r"\d\.\d{3}e", got):
            # timings vary; round-off residuals vary with the BLAS
            assert got.split()[0] == want.split()[0] and got.split()[-1] == want.split()[-1]
            continue
        assert got == want
