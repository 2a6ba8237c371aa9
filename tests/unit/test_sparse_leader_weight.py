"""A follower type's leader weights as a sparse (n_y, S*A) matrix: the same game as the
dense (n_y, S, A) array — compiled, written to a file and read back — and bad entries named."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

import smfe
from smfe.game.compiled import compile_game
from smfe.game.serialize import game_from_dict, game_to_dict
from smfe.market import market_game, reference_instance


def _densified(game: smfe.Game) -> smfe.Game:
    types = tuple(
        dataclasses.replace(
            t,
            leader_weight=np.asarray(t.leader_weight.toarray()).reshape(
                -1, t.n_states, t.n_actions
            ),
        )
        for t in game.types
    )
    return dataclasses.replace(game, types=types)


@pytest.fixture(scope="module")
def game() -> smfe.Game:
    g = market_game(reference_instance(soc_levels=4)).game
    assert all(sp.issparse(t.leader_weight) for t in g.types)
    return g


def test_sparse_and_dense_leader_weights_compile_alike(game: smfe.Game) -> None:
    sparse, dense = compile_game(game), compile_game(_densified(game))
    assert sparse.H0.shape == dense.H0.shape
    assert abs(sparse.H0 - dense.H0).max() == 0.0


def test_a_game_file_keeps_the_sparse_weights_as_the_dense_layout(game: smfe.Game) -> None:
    doc = game_to_dict(game)
    t0 = game.types[0]
    assert doc["types"][0]["leader_weight"]["shape"] == [
        t0.leader_weight.shape[0],
        t0.n_states,
        t0.n_actions,
    ]
    assert doc == game_to_dict(_densified(game))
    back = compile_game(game_from_dict(doc))
    assert abs(back.H0 - compile_game(game).H0).max() == 0.0


def test_bad_sparse_weights_are_named(game: smfe.Game) -> None:
    t = game.types[1]
    bad = sp.csr_array(t.leader_weight, copy=True)
    bad.data[0] = np.nan
    with pytest.raises(smfe.InstanceError, match=rf"types\[{t.name}\]\.leader_weight.*row"):
        dataclasses.replace(t, leader_weight=bad)
    narrow = sp.csr_array((t.leader_weight.shape[0], 3))
    with pytest.raises(smfe.InstanceError, match=r"leader_weight.*S\*A columns"):
        dataclasses.replace(t, leader_weight=narrow)
