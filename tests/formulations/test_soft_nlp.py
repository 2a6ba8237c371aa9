"""F1 soft-NLP + Ipopt agrees with the iterative solver (SPEC §7), with named tolerances."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.formulations import SoftNLPOptions, build_soft_nlp

MFE_AGREE = smfe.AgreeTolerances(objective=1e-9, theta=0.0, nu=1e-8, policy=1e-8)
LEADER_AGREE = smfe.AgreeTolerances(objective=1e-8, theta=1e-6, nu=1e-6, policy=1e-6)
GAMES = {
    "two-state": {},
    "garnet": {},
    "garnet-finite": {"horizon": 6, "n_states": 10},
    "garnet-3types": {"n_types": 3, "n_states": 12, "seed": 4},
    "congestion": {},
    "leader-mdp": {},
}


def _game(case: str) -> smfe.Game:
    name = case if case in smfe.catalogue() else case.split("-")[0]
    return smfe.make_instance(name, **GAMES[case])


@pytest.mark.parametrize("case", sorted(GAMES))
def test_fixed_theta_reproduces_the_iterative_mfe(case: str) -> None:
    g = _game(case)
    nlp = smfe.solve(g, "soft-nlp", {"fix_theta": True})
    it = smfe.solve(g, "mfe")
    assert nlp.status.ok, nlp.summary()
    agreement = smfe.agree([nlp, it], MFE_AGREE)
    assert agreement, str(agreement)


@pytest.mark.parametrize("case", ["two-state", "garnet", "leader-mdp", "garnet-finite"])
def test_leader_problem_agrees_with_implicit_gradient_ascent(case: str) -> None:
    g = _game(case)
    nlp = smfe.solve(g, "soft-nlp")
    it = smfe.solve(g, "pgd", {"tol": 1e-8})
    assert nlp.status.ok and nlp.optimality == smfe.Optimality.LOCAL, nlp.summary()
    agreement = smfe.agree([nlp, it], LEADER_AGREE)
    assert agreement, str(agreement)


def test_cold_start_also_solves() -> None:
    g = smfe.make_instance("garnet", n_states=10)
    r = smfe.solve(g, "soft-nlp", {"warm_start": False})
    assert r.status.ok


def test_ipopt_iteration_limit_is_reported_not_optimal() -> None:
    g = smfe.make_instance("garnet", n_states=10)
    r = smfe.solve(g, "soft-nlp", {"warm_start": False, "ipopt": {"max_iter": 1}})
    assert r.status.termination == smfe.TerminationCondition.ITERATION_LIMIT
    assert not r.status.ok
    assert "Maximum_Iterations_Exceeded" in r.message


def test_builder_structure_stationary() -> None:
    g = smfe.make_instance("garnet", n_states=7, n_actions=3, n_types=2)
    m = build_soft_nlp(g).model
    n_s, n_sa, K = 14, 42, 2
    assert len(m.bellman) == n_sa and len(m.softmax) == n_sa and len(m.policy) == n_sa
    assert len(m.normalise) == n_s
    assert len(m.flow) == n_s - K and len(m.mass) == K  # one redundant row per type dropped
    assert all(m.V[0, x].bounds[1] < np.inf for x in range(n_s))


def test_builder_structure_finite_and_fixed_theta() -> None:
    g = smfe.make_instance("congestion", T=4, n_sites=3)
    m = build_soft_nlp(g, SoftNLPOptions(theta=np.zeros(3), objective="none")).model
    assert all(m.theta[j].fixed for j in m.J)
    assert len(m.init) == 3 and len(m.flow) == 3 * 3


def test_formulation_rejects_games_it_cannot_take() -> None:
    with pytest.raises(smfe.FormulationError, match="soft"):
        build_soft_nlp(smfe.make_instance("two-state", tau=0.0))
    with pytest.raises(smfe.FormulationError, match="soft"):
        build_soft_nlp(smfe.make_instance("garnet", response="boltzmann"))
    with pytest.raises(smfe.InstanceError, match="objective"):
        build_soft_nlp(smfe.make_instance("garnet"), SoftNLPOptions(objective="none"))


@pytest.mark.parametrize("case", ["garnet", "garnet-finite", "leader-mdp", "two-state"])
def test_casadi_backend_solves_the_same_formulation(case: str) -> None:
    g = _game(case)
    fast = smfe.solve(g, "soft-nlp", {"backend": "casadi"})
    ref = smfe.solve(g, "soft-nlp", {"backend": "pyomo"})
    assert fast.status.ok and ref.status.ok, fast.summary()
    assert "casadi backend" in fast.message and "pyomo backend" in ref.message
    assert smfe.agree([fast, ref], LEADER_AGREE), str(smfe.agree([fast, ref], LEADER_AGREE))
    mfe = smfe.solve(g, "soft-nlp", {"backend": "casadi", "fix_theta": True})
    assert smfe.agree([mfe, smfe.solve(g, "mfe")], MFE_AGREE)


def test_unknown_backend_is_named() -> None:
    with pytest.raises(smfe.InstanceError, match="backend"):
        smfe.solve(smfe.make_instance("two-state"), "soft-nlp", {"backend": "gurobi"})
