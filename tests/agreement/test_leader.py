"""Leader methods agree with each other on the catalogue (named tolerances)."""

from __future__ import annotations

import numpy as np
import pytest

import smfe

LEADER = {"tol": 1e-7, "max_iter": 500}
"""1e-7: on leader-mdp pgd's projected gradient stalls at ~3e-8 (measured, NumPy 2.4)."""
AGREE = smfe.AgreeTolerances(objective=1e-7, theta=1e-4, nu=1e-4, policy=1e-4)


def test_pgd_and_black_box_agree_on_garnet() -> None:
    g = smfe.make_instance("garnet", n_states=10, n_actions=3, toll_max=0.3)
    a = smfe.solve(g, "pgd", LEADER)
    b = smfe.solve(g, "fd-pgd", LEADER)
    assert a.status.ok and b.status.ok
    agreement = smfe.agree([a, b], AGREE)
    assert agreement, str(agreement)


def test_leader_policy_iteration_agrees_with_pgd_on_a_leader_mdp() -> None:
    g = smfe.make_instance("leader-mdp")
    a = smfe.solve(g, "leader-pi", LEADER)
    b = smfe.solve(g, "pgd", LEADER)
    assert a.status.ok and b.status.ok
    assert a.optimality == smfe.Optimality.LOCAL
    assert smfe.agree([a, b], AGREE), str(smfe.agree([a, b], AGREE))
    # the leader's policy is a distribution in every state
    for block in g.decision.simplex_blocks() or []:
        assert abs(a.theta[block].sum() - 1) < 1e-12


def test_optimum_beats_the_start() -> None:
    g = smfe.make_instance("congestion")
    start = smfe.solve(g, "mfe")
    best = smfe.solve(g, "pgd")
    assert best.status.ok
    assert best.objective >= start.objective


def test_iteration_limit_is_not_reported_optimal() -> None:
    g = smfe.make_instance("two-state")
    r = smfe.solve(g, "pgd", {"max_iter": 2})
    assert r.status.termination == smfe.TerminationCondition.ITERATION_LIMIT
    assert r.status.solution != smfe.SolutionStatus.OPTIMAL
    assert r.optimality == smfe.Optimality.NONE
    assert "leader_stationarity" in r.certificate.failed


def test_mfe_iteration_limit_is_reported() -> None:
    g = smfe.make_instance("garnet", congestion=5.0)
    r = smfe.solve(g, "mfe", {"max_iter": 1, "newton": False})
    assert r.status.termination == smfe.TerminationCondition.ITERATION_LIMIT
    assert not r.status.ok


def test_certify_rejects_a_perturbed_answer() -> None:
    g = smfe.make_instance("garnet", n_states=6, n_actions=3)
    r = smfe.solve(g, "mfe")
    assert smfe.certify(g, r, leader=False).passed
    bad_policy = tuple(p.copy() for p in r.policy)
    bad_policy[0][0] = np.roll(bad_policy[0][0], 1)
    from dataclasses import replace

    bad = replace(r, policy=bad_policy)
    cert = smfe.certify(g, bad, leader=False)
    assert not cert.passed
    assert "response" in cert.failed and "policy" in cert.failed


@pytest.mark.parametrize("name", ["two-state", "garnet", "leader-mdp", "congestion"])
def test_default_method_certifies_the_catalogue(name: str) -> None:
    g = smfe.make_instance(name)
    r = smfe.solve(g)
    assert r.status.ok, r.summary()
    again = smfe.certify(g, r)
    assert again.passed
