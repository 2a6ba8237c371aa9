"""The method registry: every entry resolves, refusals come before any work, the capability
table is complete (the layering is tested in test_import_graph.py)."""

from __future__ import annotations

import dataclasses

import pytest

import smfe
from smfe.cli import main
from smfe.registry import METHODS, Method


@pytest.mark.parametrize("m", METHODS, ids=[m.name for m in METHODS])
def test_every_registered_method_resolves(m: Method) -> None:
    option_class, run = m.load()
    assert dataclasses.is_dataclass(option_class) and hasattr(option_class, "from_dict")
    assert callable(run) and run.__doc__


def test_capability_table_lists_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    rows = smfe.capabilities()
    assert [r["method"] for r in rows] == smfe.methods() == [m.name for m in METHODS]
    assert all(r["installed"] is True for r in rows)  # the test environment installs them all
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in smfe.methods())


@pytest.mark.parametrize(
    ("method", "game", "why"),
    [
        ("convex-mfe", smfe.make_instance("garnet"), "finite-horizon"),
        ("sample-mfe", smfe.make_instance("congestion"), "stationary"),
        ("pgd", smfe.make_instance("two-state", response="boltzmann"), "boltzmann"),
        ("boltzmann-nlp", smfe.make_instance("two-state"), "soft"),
    ],
)
def test_a_method_refuses_a_game_before_any_work(
    method: str, game: smfe.Game, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(self: Method) -> None:
        raise AssertionError("the method was loaded although it refuses the game")

    monkeypatch.setattr(Method, "load", never)
    with pytest.raises(smfe.FormulationError, match=why):
        smfe.solve(game, method)


def test_compile_game_leaves_the_game_untouched() -> None:
    from smfe.game.compiled import compile_game

    game = smfe.make_instance("two-state")
    before = dict(vars(game))
    assert compile_game(game) is compile_game(game)
    assert vars(game) == before
