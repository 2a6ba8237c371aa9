"""Fuzz the input layer: every mutated document validates or raises a typed smfe error.

Valid game files, market instance files and option sets are broken by
:func:`tests.fuzz.strategies.mutated` (over 500 cases per run in total); each case must
either build its object or raise :class:`smfe.InstanceError` (or :class:`FormulationError`)
whose field names a path. No other exception type may escape.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smfe
from smfe.errors import FormulationError, InstanceError
from smfe.formulations.convex_mfe import ConvexOptions
from smfe.formulations.milp_solve import MILPOptions
from smfe.formulations.mpec_solve import MPECSolveOptions
from smfe.formulations.nlp_solve import NLPOptions
from smfe.game.serialize import game_from_dict, game_from_json, game_to_dict
from smfe.market.data import Flexibility, Weather, reference_instance
from smfe.market.game import market_game
from smfe.market.instance_file import dump_instance, instance_from_dict
from smfe.market.supply import MeritOrder
from smfe.solvers.options import LeaderOptions, MFEOptions, SampleOptions

from .strategies import mutated

EXPLORE = int(os.environ.get("SMFE_FUZZ_EXAMPLES", "0"))
"""0: the same 120 cases per test every run (CI); N > 0: N fresh random cases per test, to
explore (``SMFE_FUZZ_EXAMPLES=2000 python -m pytest tests/fuzz``)."""
FUZZ = settings(
    max_examples=EXPLORE or 120,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_IDX = r"\[(\d+(, \d+)*|[A-Za-z0-9_/+\-]+|\"([^\"\\]|\\.)*\")\]"  # [3], [0, 1], [G1], ["odd key"]
_PART = rf"(\.[A-Za-z_][\w\-]*|{_IDX})"
PATH = re.compile(rf"^([A-Za-z_][\w\-]*|{_IDX}){_PART}*$|^--[\w-]+")

GAMES = {
    "garnet": game_to_dict(smfe.make_instance("garnet", n_states=4, n_actions=2, n_zones=2)),
    "congestion": game_to_dict(smfe.make_instance("congestion", n_sites=3, T=2)),
    "leader-mdp": game_to_dict(smfe.make_instance("leader-mdp", n_states=2)),
}
MARKETS = {
    "reference": json.loads(dump_instance(reference_instance())),
    "weather+flex+merit": json.loads(
        dump_instance(
            reference_instance(
                soc_levels=4,
                weather=Weather(),
                flexibility=Flexibility(),
                supply=reference_instance().supply.__class__(merit_order=MeritOrder()),
            )
        )
    ),
}
OPTIONS: dict[str, tuple[Any, dict[str, Any]]] = {
    "mfe": (MFEOptions, {"tol": 1e-8, "max_iter": 100, "averaging": "damped", "newton": True}),
    "leader": (LeaderOptions, {"tol": 1e-6, "step": 0.5, "mfe": {"tol": 1e-9}}),
    "sample": (SampleOptions, {"samples_per_pair": 10, "seed": 1}),
    "nlp": (NLPOptions, {"fix_theta": True, "backend": "pyomo", "ipopt": {"max_iter": 5}}),
    "milp": (MILPOptions, {"grid": [[0.0, 1.0]], "time_limit": 5.0, "route": "bigm"}),
    "mpec": (MPECSolveOptions, {"eps_start": 0.1, "eps_final": 1e-8}),
    "convex": (ConvexOptions, {"solver": "CLARABEL"}),
}


def _typed(exc: BaseException) -> None:
    """The exception is a typed smfe input error naming a field path."""
    assert isinstance(exc, InstanceError | FormulationError), repr(exc)
    if isinstance(exc, InstanceError):
        assert exc.field and PATH.match(exc.field), f"not a field path: {exc.field!r} ({exc})"


@pytest.mark.parametrize("name", sorted(GAMES))
@FUZZ
@given(data=st.data())
def test_mutated_game_documents(name: str, data: st.DataObject) -> None:
    doc = data.draw(mutated(GAMES[name]))
    try:
        game_from_dict(doc)
    except Exception as exc:
        _typed(exc)


@pytest.mark.parametrize("name", sorted(MARKETS))
@FUZZ
@given(data=st.data())
def test_mutated_market_instances(name: str, data: st.DataObject) -> None:
    doc = data.draw(mutated(MARKETS[name]))
    try:
        market_game(instance_from_dict(doc))
    except Exception as exc:
        _typed(exc)


@pytest.mark.parametrize("name", sorted(OPTIONS))
@settings(FUZZ, max_examples=EXPLORE or 40)
@given(data=st.data())
def test_mutated_options(name: str, data: st.DataObject) -> None:
    cls, base = OPTIONS[name]
    doc = data.draw(mutated(base))
    try:
        cls.from_dict(doc)
    except Exception as exc:
        _typed(exc)


@FUZZ
@given(text=st.text(max_size=200), cut=st.integers(0, 4000))
def test_truncated_and_random_game_text(text: str, cut: int) -> None:
    whole = json.dumps(GAMES["garnet"])
    for candidate in (whole[:cut], text):
        try:
            game_from_json(candidate)
        except Exception as exc:
            _typed(exc)


def test_deep_nesting_is_a_typed_error() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    with pytest.raises(InstanceError):
        game_from_json(deep)
    doc = {"format": "smfe-game", "version": 1, "tau": deep}
    with pytest.raises(InstanceError):
        game_from_dict(doc)


@settings(FUZZ, max_examples=EXPLORE or 40)
@given(data=st.data())
def test_mutated_game_files_through_the_cli(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A sample through ``smfe solve``: exit 0/1, or 2 with one line naming the field."""
    import contextlib
    import io

    from smfe.cli import main

    doc = data.draw(mutated(GAMES["garnet"]))
    f = tmp_path_factory.mktemp("cli") / "g.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    err = io.StringIO()
    options = '{"max_iter": 50, "newton": false, "continuation": false}'
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["solve", str(f), "--method", "mfe", "--quiet", "--options", options])
    lines = err.getvalue().splitlines()
    assert rc in (0, 1, 2), err.getvalue()
    if rc == 2:
        assert len(lines) == 1 and lines[0].startswith("smfe: error: "), lines


@settings(FUZZ, max_examples=EXPLORE or 60)
@given(
    key=st.sampled_from(["n_states", "tau", "gamma", "horizon", "response", "seed", "nstates"]),
    value=st.one_of(st.text(max_size=8), st.sampled_from(["1e9", "-3", "null", "true", "[1]"])),
)
def test_catalogue_overrides_from_the_command_line(key: str, value: str) -> None:
    from smfe.inputs.budget import Budget
    from smfe.inputs.cli_values import key_values

    try:
        smfe.make_instance(
            "garnet", budget=Budget(max_pair_steps=10**5), **key_values([f"{key}={value}"], "--set")
        )
    except Exception as exc:
        _typed(exc)
