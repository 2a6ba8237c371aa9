"""The market evaluator's total gradients: forward sensitivities (more rows than tariff
components: the rules' rows) and the adjoint (Φ and the revenue gap only) agree with each
other and with central differences of fresh MFE solves."""

from __future__ import annotations

import numpy as np
import pytest

from smfe.market import Weights, market_game, reference_instance
from smfe.market.leader import MarketEvaluator
from smfe.market.solve import baseline_theta

BRANCHES = 1e-8
"""Forward and adjoint gradients of Φ and g: the same linear algebra, two orders of solves."""
CENTRAL = 1e-5
"""Central differences with step 1e-5 on MFEs solved to 1e-10 (relative to the largest entry)."""


@pytest.fixture(scope="module")
def points():  # type: ignore[no-untyped-def]
    mg = market_game(reference_instance(soc_levels=4))
    theta = baseline_theta(mg, "real-time", 0.25)
    ruled = MarketEvaluator(mg, Weights(), rules=mg.market.rules)
    ruled.reference = np.full(len(mg.market.groups), 2.0)
    plain = MarketEvaluator(mg, Weights())
    assert ruled.rules_count > mg.game.n_theta  # the forward branch
    return mg, theta, ruled, ruled.point(theta), plain.point(theta)


def test_forward_and_adjoint_gradients_agree(points) -> None:  # type: ignore[no-untyped-def]
    _, _, _, fwd, adj = points
    assert fwd.value == pytest.approx(adj.value, abs=1e-12)
    np.testing.assert_allclose(fwd.grad_value, adj.grad_value, atol=BRANCHES, rtol=0)
    np.testing.assert_allclose(fwd.grad_gap, adj.grad_gap, atol=BRANCHES, rtol=0)


def test_rule_gradients_match_central_differences(points) -> None:  # type: ignore[no-untyped-def]
    mg, theta, ruled, fwd, _ = points
    h = 1e-5
    dec = mg.game.decision
    free = np.flatnonzero((theta > dec.lower + h) & (theta < dec.upper - h))
    for j in free[:4]:
        e = np.zeros_like(theta)
        e[j] = h
        up, down = ruled.point(theta + e, False), ruled.point(theta - e, False)
        fd_rules = (up.rules - down.rules) / (2 * h)
        fd_value = (up.value - down.value) / (2 * h)
        scale = max(1.0, float(np.abs(fwd.grad_rules[:, j]).max()))
        np.testing.assert_allclose(fwd.grad_rules[:, j], fd_rules, atol=CENTRAL * scale, rtol=0)
        assert fwd.grad_value[j] == pytest.approx(fd_value, abs=CENTRAL * scale)
