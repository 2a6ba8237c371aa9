"""Leader constraints on the mean field: SQP, the NLP (every backend) and the MILP agree, and
the certificate's shadow prices are the sensitivities of the optimum to the bound."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import smfe
from smfe import errors, registry
from smfe.game.compiled import compile_game

OBJECTIVE = 1e-7
"""Two local methods at the same KKT point agree on J to this (absolute)."""
THETA = 1e-4
"""... and on θ to this (∞-norm; θ is determined to about √(KKT tolerance))."""
SHADOW = 2e-3
"""Relative agreement of a shadow price with a finite difference of optimal values."""


def _ybar(game: smfe.Game, result: smfe.Result) -> np.ndarray:
    cg = compile_game(game)
    nu = cg.from_types(list(result.nu), "nu")
    return cg.leader_totals(result.theta, nu if game.finite else nu[None])


@pytest.fixture(scope="module")
def congestion() -> tuple[smfe.Game, smfe.Result]:
    g = smfe.make_instance("congestion")
    return g, smfe.solve(g, method="pgd")


def _capped(game: smfe.Game, *constraints: smfe.LeaderConstraint) -> smfe.Game:
    return dataclasses.replace(game, constraints=constraints)


def test_cap_binds_and_methods_agree(congestion: tuple[smfe.Game, smfe.Result]) -> None:
    game, free = congestion
    cap = 0.9 * _ybar(game, free)[0]
    g = _capped(game, smfe.LeaderConstraint("site0", upper=cap, y=np.eye(5)[0]))
    assert smfe.default_method(g) == "sqp"
    sqp = smfe.solve(g, method="sqp")
    assert sqp.status.ok and sqp.optimality == smfe.Optimality.LOCAL, sqp.summary()
    assert sqp.objective < free.objective  # the cap costs the leader something
    assert _ybar(g, sqp)[0] == pytest.approx(cap, abs=1e-8)
    lam = sqp.shadow_prices["site0"]
    assert lam > 0.0  # relaxing an upper bound that binds raises the optimum
    for backend in ("pyomo", "casadi", "callbacks"):
        nlp = smfe.solve(g, method="soft-nlp", options={"backend": backend})
        assert nlp.status.ok, (backend, nlp.summary())
        assert nlp.objective == pytest.approx(sqp.objective, abs=OBJECTIVE)
        np.testing.assert_allclose(nlp.theta, sqp.theta, atol=THETA)
        assert nlp.shadow_prices["site0"] == pytest.approx(lam, rel=SHADOW)
    # the shadow price is dJ*/d(cap)
    h = 1e-3
    up = smfe.solve(
        _capped(game, smfe.LeaderConstraint("site0", upper=cap + h, y=np.eye(5)[0])), method="sqp"
    )
    assert (up.objective - sqp.objective) / h == pytest.approx(lam, rel=5e-2)


def test_lower_bound_has_a_nonpositive_shadow_price(
    congestion: tuple[smfe.Game, smfe.Result],
) -> None:
    game, free = congestion
    floor = 1.2 * _ybar(game, free)[4]
    g = _capped(game, smfe.LeaderConstraint("site4-floor", lower=floor, y=np.eye(5)[4]))
    sqp = smfe.solve(g, method="sqp")
    assert sqp.status.ok, sqp.summary()
    assert _ybar(g, sqp)[4] == pytest.approx(floor, abs=1e-8)
    assert sqp.shadow_prices["site4-floor"] < 0.0
    nlp = smfe.solve(g, method="soft-nlp")
    assert nlp.objective == pytest.approx(sqp.objective, abs=OBJECTIVE)


def test_convex_quadratic_constraint(congestion: tuple[smfe.Game, smfe.Result]) -> None:
    game, free = congestion
    yb = _ybar(game, free)
    Q = np.zeros((5, 5))
    Q[0, 0] = Q[1, 1] = 2.0
    bound = 0.95 * float(yb[0] ** 2 + yb[1] ** 2)
    g = _capped(game, smfe.LeaderConstraint("spread", upper=bound, y_quadratic=Q))
    sqp = smfe.solve(g, method="sqp")
    nlp = smfe.solve(g, method="soft-nlp")
    assert sqp.status.ok and nlp.status.ok, (sqp.summary(), nlp.summary())
    y = _ybar(g, sqp)
    assert y[0] ** 2 + y[1] ** 2 == pytest.approx(bound, rel=1e-8)
    assert nlp.objective == pytest.approx(sqp.objective, abs=OBJECTIVE)
    assert registry.method("milp").refuses(g) is not None


def test_projection_methods_refuse_constraints(congestion: tuple[smfe.Game, smfe.Result]) -> None:
    game, _ = congestion
    g = _capped(game, smfe.LeaderConstraint("c", upper=1.0, y=np.eye(5)[0]))
    for name in ("pgd", "fd-pgd"):
        with pytest.raises(errors.FormulationError, match="sqp"):
            smfe.solve(g, method=name)


def test_violated_constraint_is_not_feasible(congestion: tuple[smfe.Game, smfe.Result]) -> None:
    """A leader point that breaks a rule is labelled infeasible by the certificate."""
    game, free = congestion
    cap = 0.9 * _ybar(game, free)[0]
    g = _capped(game, smfe.LeaderConstraint("site0", upper=cap, y=np.eye(5)[0]))
    cert = smfe.certify(g, free, leader=True)
    assert "leader_constraints" in cert.failed
    fixed = smfe.certify(g, free, leader=False)  # an MFE at a fixed θ only reports it
    assert "leader_constraints" not in fixed.residuals
    assert fixed.extra["leader_constraints"] > 0.0


def test_milp_keeps_an_affine_constraint() -> None:
    """Over a menu, the MILP's answer is the best menu entry that satisfies the cap, as
    enumeration with the iterative solver's certified MFEs confirms."""
    game = smfe.make_instance(
        "garnet", n_states=6, n_actions=2, n_types=1, tau=0.0, balance_weight=0.0
    )
    grid = [[0.0, 1.0]] * 3
    free = smfe.solve(game, method="milp", options={"grid": grid})
    cap = float(_ybar(game, free)[0]) - 1e-3
    g = _capped(game, smfe.LeaderConstraint("zone0", upper=cap, y=np.eye(4)[0]))
    res = smfe.solve(g, method="milp", options={"grid": grid})
    assert res.status.ok and res.optimality == smfe.Optimality.GLOBAL, res.summary()
    assert _ybar(g, res)[0] <= cap + 1e-9
    best = -np.inf
    for th in itertools.product(*grid):
        try:
            one = smfe.solve(g, method="milp", options={"menu": [list(th)]})
        except errors.SolveFailed:  # the cap excludes this entry
            continue
        assert one.status.ok
        best = max(best, one.objective)
    assert res.objective == pytest.approx(best, abs=1e-9)
    assert res.objective < free.objective
