"""F3 (cvxpy): the finite-horizon MFE of a potential game as a concave program agrees with F1
and iteration, soft and exact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import smfe
from smfe.certification.exploitability import literature_exploitability
from smfe.formulations import convex_mfe
from smfe.game import environments
from smfe.game.compiled import compile_game
from smfe.game.price import Price

CONVEX_AGREE = smfe.AgreeTolerances(objective=1e-6, theta=0.0, nu=1e-6, policy=1e-6)
"""Interior-point accuracy on the exponential cone is about 1e-7 in ν (unpolished)."""
POLISHED_AGREE = smfe.AgreeTolerances(objective=1e-10, theta=0.0, nu=1e-10, policy=1e-10)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("congestion", {}),
        ("garnet", {"horizon": 5, "n_states": 10}),
        ("garnet", {"horizon": 4, "n_states": 8, "n_types": 3, "seed": 5}),
    ],
)
def test_convex_route_agrees_with_the_other_two(name: str, kw: dict[str, object]) -> None:
    g = smfe.make_instance(name, **kw)
    raw = smfe.solve(g, "convex-mfe", {"polish": False})
    # Clarabel's "almost solved" (optimal_inaccurate) is reported as stalled, not converged
    assert raw.status.termination in (
        smfe.TerminationCondition.CONVERGED,
        smfe.TerminationCondition.STALLED,
    )
    assert raw.status.solution in (smfe.SolutionStatus.OPTIMAL, smfe.SolutionStatus.FEASIBLE)
    assert raw.certificate.unique_mfe is True  # strict concavity
    it = smfe.solve(g, "mfe")
    nlp = smfe.solve(g, "soft-nlp", {"fix_theta": True})
    agreement = smfe.agree([raw, it, nlp], CONVEX_AGREE)
    assert agreement, str(agreement)
    # polished by Newton from the program's ν: certified, and the same MFE to round-off
    cvx = smfe.solve(g, "convex-mfe")
    assert cvx.status.ok, cvx.summary()
    assert "Newton-polished" in cvx.message
    agreement = smfe.agree([cvx, it, nlp], POLISHED_AGREE)
    assert agreement, str(agreement)


EXACT_EXPLOITABILITY = 1e-10
"""Literature exploitability of the exact (τ = 0) MFE after the support polish (measured:
1e-13 to 1e-16 on these games)."""
VALUE_AGREE = 1e-8
"""Agreement of the value functions V of two exact MFE of one game: the aggregates of a
strictly concave potential are unique, so the rewards and values are too (ν need not be)."""


def _values(r: smfe.Result) -> np.ndarray:
    return np.concatenate([np.asarray(v).ravel() for v in r.value])


def test_exact_potential_game_is_one_concave_program() -> None:
    """τ = 0: the program's maximiser is an exact MFE where fictitious play + support Newton
    alone does not finish (congestion, 6 × 6 crowd motion); the values agree with `mfe`
    where it does (building evacuation), and the literature exploitability is at round-off."""
    games = {
        "congestion": smfe.make_instance("congestion", tau=0.0),
        "crowd": environments.crowd_motion(torus_l=6, torus_w=6, T=3),
        "building": environments.building_evacuation(n_floor=2, floor_l=4, floor_w=4),
    }
    for name, g in games.items():
        cvx = smfe.solve(g, "convex-mfe")
        assert cvx.status.ok, f"{name}: {cvx.summary()}"
        assert "support-Newton-polished" in cvx.message, name
        cg = compile_game(g)
        flat = cg.from_types(list(cvx.policy), "policy")
        assert literature_exploitability(cg, g.start(), flat) <= EXACT_EXPLOITABILITY, name
    it = smfe.solve(games["building"], "mfe")
    assert it.status.ok, it.summary()
    assert np.abs(_values(it) - _values(smfe.solve(games["building"], "convex-mfe"))).max() < (
        VALUE_AGREE
    )
    unfinished = smfe.solve(games["congestion"], "mfe", {"max_iter": 200})
    assert not unfinished.status.ok
    assert "method convex-mfe computes its exact MFE" in unfinished.message


@pytest.mark.parametrize("name", ["beach-bar", "equilibrium-price"])
def test_soft_log_and_rational_potentials_agree_with_iteration(name: str) -> None:
    """Crowd aversion −log(μ + ε) and the clearing price d/(z + e₀) are concave potentials:
    the soft MFE of the program is the iterative solver's, to round-off after the polish."""
    g = smfe.make_instance(name, tau=0.2)
    cvx = smfe.solve(g, "convex-mfe")
    assert cvx.status.ok, cvx.summary()
    assert cvx.certificate.unique_mfe is True
    it = smfe.solve(g, "mfe")
    agreement = smfe.agree([cvx, it], POLISHED_AGREE)
    assert agreement, str(agreement)


def test_each_primitive_has_the_potential_of_its_price() -> None:
    """Ψ' = p for every primitive (central differences), and the conic translation of
    Σ λ_m Ψ_m(z_m) evaluates to the NumPy definition."""
    import cvxpy as cp

    prices = (
        Price(intercept=0.4, slope=-0.3, name="affine"),
        Price(log=((-1.0, 1e-3),), name="log"),
        Price(rational=((2.0, 1.0),), name="rational"),
        Price(power=((0.7, 0.5, -1.0), (1.3, 0.2, -0.5), (0.5, 1.0, -2.0)), name="power-"),
        Price(power=((-1.3, 0.2, 2.5), (-0.4, 0.1, 0.0)), name="power+"),
        Price(exp=((-0.4, 1.1), (0.2, 0.0)), name="exp"),
        Price(slope=0.5, curvature=0.2, kinks=((0.5, 1.0), (1.2, -0.4)), smoothing=0.1),
    )
    z = np.linspace(0.05, 2.0, 40)
    h = 1e-6
    for p in prices:
        fd = (p.potential(z + h) - p.potential(z - h)) / (2.0 * h)
        assert np.abs(fd - p.value_and_slope(z)[0]).max() < 1e-6, p.name
    conic = prices[:-1]  # kinks have no conic form (refused by the route)
    M = len(conic)
    coef = np.tile(np.array([1.0, 0.5]), M)  # two steps of M prices: entry i is price i % M
    var = cp.Variable(2 * M)

    def both(zz: np.ndarray) -> tuple[float, float]:
        var.value = zz
        got = float(convex_mfe._potential(cp, var, conic, coef).value)
        want = sum(coef[i] * conic[i % M].potential(zz[i : i + 1])[0] for i in range(2 * M))
        return got, want

    (g1, w1), (g2, w2) = both(np.full(2 * M, 0.3)), both(np.linspace(0.1, 1.9, 2 * M))
    # a potential is defined up to a constant: compare differences
    assert abs((g1 - g2) - (w1 - w2)) < 1e-12 * max(1.0, abs(w1 - w2))


def test_convex_route_refuses_games_it_does_not_characterise() -> None:
    with pytest.raises(smfe.FormulationError, match="finite-horizon"):
        smfe.solve(smfe.make_instance("garnet"), "convex-mfe")
    with pytest.raises(smfe.FormulationError, match="boltzmann"):
        smfe.solve(smfe.make_instance("congestion", response="boltzmann"), "convex-mfe")
    with pytest.raises(smfe.FormulationError, match="mean field"):
        smfe.solve(smfe.make_instance("susceptible-infected", T=3), "convex-mfe")
    with pytest.raises(smfe.FormulationError, match="gradient of a potential"):
        smfe.solve(smfe.make_instance("rock-paper-scissors"), "convex-mfe")
    g = smfe.make_instance("congestion")
    falling = tuple(replace(p, slope=-abs(p.slope) - 0.1) for p in g.prices)
    with pytest.raises(smfe.FormulationError, match="Lasry–Lions"):
        smfe.solve(replace(g, prices=falling), "convex-mfe")
    kinked = tuple(replace(p, kinks=((0.5, 0.2),), smoothing=0.05) for p in g.prices)
    with pytest.raises(smfe.FormulationError, match="kinks"):
        smfe.solve(replace(g, prices=kinked), "convex-mfe")


def test_scs_is_a_second_backend() -> None:
    g = smfe.make_instance("garnet", horizon=3, n_states=6)
    scs = smfe.solve(g, "convex-mfe", {"solver": "SCS"})
    it = smfe.solve(g, "mfe")
    assert smfe.agree(
        [scs, it], smfe.AgreeTolerances(objective=1e-4, theta=0.0, nu=1e-4, policy=1e-3)
    )
    with pytest.raises(smfe.InstanceError, match=r"options\.solver"):
        smfe.solve(g, "convex-mfe", {"solver": "NOSUCH"})
