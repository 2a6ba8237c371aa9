"""Formulations solve from their own starting point (:mod:`smfe.solvers.start`), computed
from the game alone and carried by a written model."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp, soft_system
from smfe.game.compiled import compile_game
from smfe.solvers.start import uniform_start
from smfe.system.numeric import NumericSystem

EQUALITY = 1e-12  # rows the uniform start satisfies by construction
AGREE = smfe.AgreeTolerances(nu=1e-6, policy=1e-6)

GAMES = {
    "garnet-stationary": ("garnet", {"n_states": 8, "n_actions": 3, "gamma": 0.99}),
    "garnet-finite": ("garnet", {"n_states": 6, "n_actions": 3, "horizon": 4}),
    "congestion (masks)": ("congestion", {}),
    "susceptible-infected (MF dynamics)": ("susceptible-infected", {"T": 6, "tau": 0.2}),
    "leader-mdp (θ in P)": ("leader-mdp", {}),
}


@pytest.mark.parametrize("key", GAMES)
@pytest.mark.parametrize(("initial", "unmet"), [("uniform", "softmax"), ("response", "bellman")])
def test_a_start_from_the_game_alone_meets_every_row_but_one(
    key: str, initial: str, unmet: str
) -> None:
    """The uniform policy and its values miss only the softmax rows; the response to the
    uniform flow misses only Bellman's, through the prices of its own flow."""
    name, kw = GAMES[key]
    game = smfe.make_instance(name, **kw)
    opts = SoftNLPOptions(theta=game.start(), objective="none", initial=initial)
    system = soft_system(game, opts)
    num = NumericSystem(system)
    g = num.g(num.start())
    viol = np.maximum(system.lower - g, g - system.upper)
    for block in system.blocks:
        worst = float(viol[block.start : block.start + len(block.keys)].max(initial=0.0))
        if block.name != unmet:
            assert worst <= EQUALITY, block.name


def test_the_uniform_start_is_the_uniform_policy_and_its_values() -> None:
    game = smfe.make_instance("garnet", n_states=6, n_actions=3, n_types=1, horizon=3)
    cg = compile_game(game)
    s = uniform_start(cg, game.start(), game.tau)
    np.testing.assert_allclose(s.policy, 1.0 / 3.0)
    # V_t(x) = mean over a of Q_t(x, a) + τ log 3 (the entropy of the uniform policy)
    mean_q = np.add.reduceat(s.q, cg.state_sa_ptr[:-1], axis=1) / 3.0
    np.testing.assert_allclose(s.value[:3], mean_q + game.tau * np.log(3.0), atol=1e-14)
    np.testing.assert_allclose(s.value[3], 0.0)


def test_a_written_model_carries_the_uniform_start() -> None:
    game = smfe.make_instance("garnet", n_states=6, n_actions=3, n_types=1)
    opts = SoftNLPOptions(theta=game.start(), objective="none", initial="uniform")
    built = build_soft_nlp(game, opts)
    pi = np.array([v.value for v in built.model.component("pi").values()])
    np.testing.assert_allclose(pi, 1.0 / 3.0)


@pytest.mark.parametrize("backend", ["pyomo", "casadi", "callbacks"])
def test_cold_f1_certifies_and_agrees_with_the_iterative_solver(backend: str) -> None:
    game = smfe.make_instance("garnet", n_states=10, n_actions=3, n_types=2, congestion=5.0)
    it = smfe.solve(game, "mfe")
    opts = {"fix_theta": True, "warm_start": False, "backend": backend}
    cold = smfe.solve(game, "soft-nlp", opts)
    assert cold.status.ok, cold.summary()
    assert smfe.agree([it, cold], AGREE)


def test_an_unknown_initial_point_is_refused_by_name() -> None:
    game = smfe.make_instance("two-state")
    with pytest.raises(smfe.InstanceError) as exc:
        smfe.solve(game, "soft-nlp", {"initial": "random"})
    assert exc.value.field == "options.initial"


HARD = {
    "n_states": 20,
    "n_actions": 2,
    "n_types": 3,
    "n_zones": 4,
    "congestion": -8.455,
    "gamma": 0.9,
    "tau": 0.3293,
    "seed": 46,
}
"""Game 46 of benchmarks/cold_start.py: Ipopt reports local infeasibility from every starting
point computed from the game alone, though the game has an MFE (the iterative solver's)."""


def test_tau_continuation_solves_what_no_start_does() -> None:
    game = smfe.make_instance("garnet", **HARD)
    it = smfe.solve(game, "mfe")
    one = smfe.solve(game, "soft-nlp", {"fix_theta": True, "warm_start": False, "fallback": False})
    assert one.status.solution == smfe.SolutionStatus.NO_SOLUTION  # a local verdict, labelled so
    cold = smfe.solve(game, "soft-nlp", {"fix_theta": True, "warm_start": False})
    assert cold.status.ok, cold.summary()
    assert "τ-continuation" in cold.message and "response start: no_solution" in cold.message
    assert smfe.agree([it, cold], AGREE)


def test_a_time_limit_stops_the_fallbacks() -> None:
    """Ipopt's wall-time limit holds per solve; the fallbacks must not multiply it."""
    game = smfe.make_instance("garnet", **HARD)
    opts = {"fix_theta": True, "warm_start": False, "ipopt": {"max_wall_time": 1e-6}}
    r = smfe.solve(game, "soft-nlp", opts)
    assert r.status.termination == smfe.TerminationCondition.TIME_LIMIT, r.summary()
    assert "uniform start" not in r.message  # no second attempt
