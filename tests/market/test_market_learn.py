"""Learning mode: the followers' model is estimated from simulated transitions (exact when
the dynamics are deterministic, O(1/√n) off with weather), a dynamics that moves with the
tariff is refused, and the learning leader — metered responses only — reaches the certified
SQP optimum (slow: about 25 s)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from smfe.errors import FormulationError
from smfe.game.compiled import compile_game
from smfe.market import Weights, market_game, reference_instance, solve_tariff
from smfe.market.data import Weather
from smfe.market.learn import compare, learn_tariff, learned_game
from smfe.market.rules import Rules


def _kernel_error(game, learned) -> float:  # type: ignore[no-untyped-def]
    a, b = compile_game(game).P0, compile_game(learned).P0
    return float(abs(a - b).max())


def test_deterministic_dynamics_are_learned_exactly() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    assert _kernel_error(mg.game, learned_game(mg.game, 5, seed=0)) == 0.0


def test_weather_is_learned_to_sampling_accuracy() -> None:
    mg = market_game(reference_instance(soc_levels=4, weather=Weather()))
    err = {n: _kernel_error(mg.game, learned_game(mg.game, n, seed=1)) for n in (50, 5000)}
    assert 0.0 < err[5000] < 0.3 * err[50]  # ~ 1/√n: a factor 10 expected
    assert err[5000] < 0.05


def test_tariff_dependent_dynamics_are_refused() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    ft = mg.game.types[0]
    D = (ft.transition * 0.0).tolil()  # a kernel direction with rows of zero sum
    D[0, 0], D[0, 1] = 1e-3, -1e-3
    moved = dataclasses.replace(ft, transition_theta=(D.tocsr(),) * mg.game.n_theta)
    game = dataclasses.replace(mg.game, types=(moved, *mg.game.types[1:]))
    with pytest.raises(FormulationError):
        learned_game(game, 5, seed=0)


@pytest.mark.slow
def test_learning_leader_reaches_the_certified_optimum() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    rules = Rules(bill_cap=0.05, rate_order=("peak", "off-peak", "super-off-peak"))
    st = solve_tariff(mg, Weights(), cross_check=False, rules=rules)
    assert st.certified
    run = learn_tariff(mg, Weights(), rules)
    c = compare(st, run)
    assert abs(c.relative_gap) <= 1e-4  # the issue asks for 1 %
    assert c.rule_violation <= 1e-7 and abs(c.revenue_gap) <= 1e-7
    assert run.responses > mg.game.n_theta  # every gradient costs responses
    assert np.allclose(run.theta, st.optimal.theta, atol=1e-3)
