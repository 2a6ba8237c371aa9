"""The JSON format round-trips losslessly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import smfe
from smfe.game.serialize import decode_array, encode_array, game_from_dict, game_to_dict


def test_catalogue_round_trip(catalogue_game: smfe.Game, tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    smfe.save_game(catalogue_game, path)
    again = smfe.load_game(path)
    assert game_to_dict(again) == game_to_dict(catalogue_game)
    a = smfe.solve(catalogue_game, "mfe")
    b = smfe.solve(again, "mfe")
    assert a.objective == b.objective
    assert all(np.array_equal(x, y) for x, y in zip(a.nu, b.nu, strict=True))


def test_finite_horizon_and_infinite_bounds_round_trip() -> None:
    g = smfe.make_instance("garnet", horizon=4, n_states=5, n_actions=2)
    d = game_to_dict(g)
    d["decision"]["upper"] = [None] * g.n_theta
    again = game_from_dict(json.loads(json.dumps(d)))
    assert np.isinf(again.decision.upper).all()
    assert again.horizon == g.horizon


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
    )
)
def test_array_codec_is_lossless(a: np.ndarray) -> None:
    back = decode_array(json.loads(json.dumps(encode_array(a))), "a")
    assert back.shape == a.shape
    assert np.array_equal(back, a)


def test_bad_files(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(smfe.InstanceError, match="not valid JSON"):
        smfe.load_game(p)
    p.write_text(json.dumps({"format": "other"}))
    with pytest.raises(smfe.InstanceError, match="format"):
        smfe.load_game(p)
    d = game_to_dict(smfe.make_instance("two-state"))
    d["version"] = 99
    with pytest.raises(smfe.InstanceError, match="version"):
        game_from_dict(d)
    d = game_to_dict(smfe.make_instance("two-state"))
    d["types"][0]["reward"]["data"][0] = float("nan")
    with pytest.raises(smfe.InstanceError) as err:
        game_from_dict(d)
    assert err.value.field == "types[0].reward"  # file errors name types by index
