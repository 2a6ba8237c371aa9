"""The file-format docs are tested against the one schema they document."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from smfe.inputs.game_doc import (
    ArrayDoc,
    ConstraintDoc,
    DecisionDoc,
    FiniteDoc,
    GameDoc,
    ObjectiveDoc,
    PriceDoc,
    StationaryDoc,
    TypeDoc,
)
from smfe.market import data, rules, supply

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _tables(text: str, heading: re.Pattern[str]) -> dict[str, set[str]]:
    """Keys (backticked words of a table row's first cell) under each matching heading."""
    out: dict[str, set[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = heading.match(line)
        if m:
            current = m.group(1)
            out.setdefault(current, set())
        elif line.startswith("#"):
            current = None
        elif current is not None and line.startswith("| `"):
            cell = line.split("|")[1]
            out[current] |= set(re.findall(r"`([A-Za-z_0-9]+)`", cell))
    return out


def test_game_format_doc_matches_the_schema() -> None:
    tables = _tables((DOCS / "game-format.md").read_text(), re.compile(r"^## (.+)$"))
    expect = {
        "Arrays": set(ArrayDoc.model_fields),
        "Top level": set(GameDoc.model_fields),
        "`horizon`": set(StationaryDoc.model_fields) | set(FiniteDoc.model_fields),
        "`prices[m]`": set(PriceDoc.model_fields),
        "`decision`": set(DecisionDoc.model_fields),
        "`objective`": set(ObjectiveDoc.model_fields),
        "`constraints[i]`": set(ConstraintDoc.model_fields),
        "`types[k]`": set(TypeDoc.model_fields),
    }
    for section, keys in expect.items():
        assert tables.get(section) == keys, section


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(
    ("section", "cls"),
    [
        ("The instance file (`smfe market --instance FILE`)", data.MarketInstance),
        ("`groups[g]`:", data.IncomeGroup),
        ("`battery`:", data.Battery),
        ("`supply`:", supply.Supply),
        ("`supply.merit_order`:", supply.MeritOrder),
        ("`supply.merit_order.units[i]`:", supply.Generator),
        ("`weather`:", data.Weather),
        ("`flexibility`:", data.Flexibility),
        ("`rules`:", rules.Rules),
    ],
)
def test_market_instance_doc_matches_the_dataclasses(section: str, cls: type) -> None:
    text = (DOCS / "market.md").read_text()
    tables = _tables(text, re.compile(r"^(?:## )?(`[^`]+`:|The instance file .*)$"))
    assert tables.get(section) == _fields(cls)
