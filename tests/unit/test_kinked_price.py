"""Prices with smoothed kinks (merit-order curves): value, slope, formulations, JSON."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe.errors import InstanceError
from smfe.game.price import Price
from smfe.game.serialize import game_from_dict, game_to_dict

KINKED = Price(0.1, 0.2, 0.0, "kinked", kinks=((0.3, 1.5), (0.6, -0.5)), smoothing=0.02)


def test_value_and_slope_match_evaluate_and_finite_differences() -> None:
    z = np.linspace(-0.5, 1.5, 41)
    v, dv = KINKED.value_and_slope(z)
    assert np.allclose(v, [KINKED.evaluate(float(x)) for x in z], rtol=0, atol=1e-12)
    h = 1e-6
    fd = (KINKED.value_and_slope(z + h)[0] - KINKED.value_and_slope(z - h)[0]) / (2 * h)
    assert np.allclose(dv, fd, atol=1e-6)
    # far from the knots it is the piecewise-linear curve
    assert KINKED.value_and_slope(np.array([2.0]))[1][0] == pytest.approx(0.2 + 1.5 - 0.5)
    assert KINKED.monotone


def test_kinks_need_smoothing_and_finite_pairs() -> None:
    with pytest.raises(InstanceError) as e:
        Price(0.0, 1.0, kinks=((0.5, 1.0),))
    assert e.value.field == "prices.smoothing"
    with pytest.raises(InstanceError) as e:
        Price(0.0, 1.0, kinks=((0.5, float("nan")),), smoothing=0.1)
    assert e.value.field == "prices.kinks" and e.value.index == 0


def _kinked_game() -> smfe.Game:
    g = smfe.make_instance("congestion")
    prices = tuple(dataclasses.replace(p, kinks=((0.2, 2.0),), smoothing=0.05) for p in g.prices)
    return dataclasses.replace(g, prices=prices)


def test_formulations_agree_with_the_iterative_solver_on_a_kinked_price_game() -> None:
    g = _kinked_game()
    it = smfe.solve(g, "mfe")
    for backend in ("pyomo", "casadi"):
        nlp = smfe.solve(g, "soft-nlp", {"fix_theta": True, "backend": backend})
        assert it.status.ok and nlp.certificate is not None
        assert nlp.certificate.residuals["consistency"] <= 1e-7
        assert smfe.agree([it, nlp], smfe.AgreeTolerances(nu=1e-6, policy=1e-6))


def test_kinked_prices_survive_json_and_are_refused_by_exact_linear_routes() -> None:
    g = _kinked_game()
    back = game_from_dict(game_to_dict(g))
    assert back.prices == g.prices
    with pytest.raises(smfe.FormulationError, match="kink"):
        smfe.solve(g, "convex-mfe")
