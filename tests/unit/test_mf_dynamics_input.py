"""Mean-field-dependent transitions (``transition_aggregate``): validated at construction over
every aggregate the followers can reach, kept by the game file, evaluated per step."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import smfe
from smfe.game.compiled import compile_game
from smfe.game.serialize import game_from_json, game_to_dict


def _sis(**kw: object) -> smfe.Game:
    return smfe.make_instance("susceptible-infected", T=4, tau=0.2, **kw)


def _with_kernel(g: smfe.Game, Pz: np.ndarray) -> smfe.Game:
    return dataclasses.replace(
        g, types=(dataclasses.replace(g.types[0], transition_aggregate=(Pz,)),)
    )


def test_the_kernel_follows_the_infected_share() -> None:
    g = _sis()
    cg = compile_game(g)
    assert cg.mean_field_dynamics
    nu = np.array([[0.3, 0.2, 0.4, 0.1]])  # μ(infected) = 0.5
    (P,) = cg.kernels(np.zeros(0), nu)
    np.testing.assert_allclose(P.toarray()[0], [1.0 - 0.81 * 0.5, 0.81 * 0.5])
    np.testing.assert_allclose(P.toarray()[1], [1.0, 0.0])
    np.testing.assert_allclose(cg.push(np.zeros(0), nu[0]), P.T @ nu[0])
    with pytest.raises(smfe.FormulationError, match="depend on the mean field"):
        cg.transition(np.zeros(0))  # no kernel of θ alone: unported code fails loudly


def test_rows_of_a_kernel_change_must_sum_to_zero() -> None:
    Pz = np.zeros((2, 2, 2))
    Pz[0, 0] = [-0.5, 0.6]
    with pytest.raises(smfe.InstanceError, match="transition_aggregate\\[0\\]") as exc:
        _with_kernel(_sis(), Pz)
    assert exc.value.index == (0, 0)


def test_a_kernel_negative_at_some_reachable_aggregate_is_refused() -> None:
    Pz = np.zeros((2, 2, 2))
    Pz[0, 0] = [-1.5, 1.5]  # at μ(infected) = 1: P(S|S, out) = −0.5
    with pytest.raises(smfe.InstanceError, match="reachable aggregate") as exc:
        _with_kernel(_sis(), Pz)
    assert exc.value.field == "types[agents].transition_aggregate"
    assert exc.value.index == (0, 0, 0)


def test_one_kernel_change_per_price() -> None:
    g = _sis()
    t = g.types[0]
    with pytest.raises(smfe.InstanceError, match="one per price"):
        dataclasses.replace(
            g, types=(dataclasses.replace(t, transition_aggregate=t.transition_aggregate * 2),)
        )


def test_game_file_round_trip_keeps_the_dynamics() -> None:
    g = _sis(subsidy_max=0.5)
    back = game_from_json(json.dumps(game_to_dict(g)))
    np.testing.assert_array_equal(
        back.types[0].transition_aggregate[0].toarray(),
        g.types[0].transition_aggregate[0].toarray(),
    )
    a, b = smfe.solve(g, "mfe"), smfe.solve(back, "mfe")
    np.testing.assert_array_equal(a.nu[0], b.nu[0])


def test_methods_table_lists_which_take_the_dynamics() -> None:
    from smfe.registry import capabilities

    rows = {r["method"]: r["mf_dynamics"] for r in capabilities()}
    assert rows["mfe"] == "yes" and rows["soft-nlp"] == "yes" and rows["milp"] == "no"
