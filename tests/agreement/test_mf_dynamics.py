"""Transitions that depend on the mean field, P(θ, z) = P⁰ + Σ_j θ_j P_j + Σ_m z_m P^z_m, reach
every route that accepts them the same way: the iterative solver (fixed point + Newton), F1 on
each backend, the implicit gradient, the leader methods — and the certificate recomputes the
flow with the kernels of the candidate's own aggregates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe.game.compiled import compile_game
from smfe.solvers.leader import fd_gradient
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.sensitivity import implicit_gradient

NU = 1e-8
"""ν agreement (∞-norm) between the iterative solver and F1: both certified to 1e-10."""
LEADER = 1e-8
"""J agreement between the SQP (implicit gradients) and F1 with the leader objective."""
GRAD_TOL = 1e-6
"""Implicit gradient vs central finite differences of re-solved MFEs, relative."""


def drift_game(tau: float = 0.3, leader: bool = False) -> smfe.Game:
    """Stationary, 4 states × 2 actions: action 0 drifts towards state 0 with probability
    0.4·μ(0) (herding), and crowding state 0 costs μ(0). With ``leader``, a subsidy
    θ ∈ [0, 1] for action 1, J = −μ(0) − ½θ²."""
    S, A = 4, 2
    P = np.zeros((S, A, S))
    for x in range(S):
        P[x, :, :] = 0.125
        P[x, :, x] += 0.5
    Pz = np.zeros((S, A, S))
    for x in range(1, S):
        Pz[x, 0, 0], Pz[x, 0, x] = 0.4, -0.4
    at0 = np.zeros((1, S, A))
    at0[0, 0, :] = 1.0
    reward = np.random.default_rng(3).uniform(-0.5, 0.5, (S, A))
    t = smfe.FollowerType(
        name="herd",
        share=1.0,
        mask=np.ones((S, A), bool),
        reward=reward,
        transition=P,
        transition_aggregate=(Pz,),
        aggregate=at0,
        exposure=-at0,
        reward_theta=np.stack([np.tile([0.0, 1.0], (S, 1))]) if leader else None,
        leader_weight=at0 if leader else None,
    )
    d = 1 if leader else 0
    return smfe.Game(
        types=(t,),
        horizon=smfe.Stationary(0.9),
        tau=tau,
        decision=smfe.Decision(lower=np.zeros(d), upper=np.ones(d), start=np.full(d, 0.5)),
        objective=smfe.LeaderObjective(theta_quadratic=-np.eye(1), y_linear=np.array([-1.0]))
        if leader
        else smfe.LeaderObjective(),
        prices=(smfe.Price(slope=1.0, name="crowd"),),
        name="drift",
    )


GAMES = {
    "stationary drift": lambda: drift_game(),
    "susceptible-infected": lambda: smfe.make_instance("susceptible-infected", T=8, tau=0.2),
}


@pytest.mark.parametrize("case", sorted(GAMES))
def test_iterative_and_f1_agree_on_every_backend(case: str) -> None:
    game = GAMES[case]()
    it = smfe.solve(game, "mfe")
    assert it.status.ok and it.certificate is not None and it.certificate.passed
    for backend in ("pyomo", "casadi", "callbacks"):
        f1 = smfe.solve(game, "soft-nlp", options={"backend": backend})
        assert f1.status.ok and f1.certificate is not None and f1.certificate.passed, backend
        assert np.abs(f1.nu[0] - it.nu[0]).max() <= NU, backend
    frozen = dataclasses.replace(
        game, types=(dataclasses.replace(game.types[0], transition_aggregate=()),)
    )
    if not case.startswith("susceptible"):  # frozen SIS kernel is P⁰ (nobody is infected)
        other = smfe.solve(frozen, "mfe")
        assert np.abs(other.nu[0] - it.nu[0]).max() > 1e-3  # the dependence matters


def test_the_certificate_sees_a_flow_under_the_wrong_kernel() -> None:
    """The MFE of the game with the kernel frozen at P⁰ is no MFE of the real game."""
    game = drift_game()
    frozen = dataclasses.replace(
        game, types=(dataclasses.replace(game.types[0], transition_aggregate=()),)
    )
    wrong = smfe.solve(frozen, "mfe")
    cert = smfe.certify(game, wrong)
    assert not cert.passed and cert.residuals["consistency"] > 1e-3


def test_implicit_gradient_matches_finite_differences() -> None:
    game = drift_game(leader=True)
    cg = compile_game(game)
    theta = np.array([0.3])
    opts = MFEOptions(tol=1e-13)
    sol = solve_mfe(cg, theta, opts)
    implicit = implicit_gradient(cg, theta, sol.value, sol.nu)
    fd, _ = fd_gradient(cg, theta, sol, opts, 1e-5)
    assert np.abs(implicit - fd).max() <= GRAD_TOL * max(1.0, float(np.abs(implicit).max()))
    assert np.abs(implicit).max() > 1e-3


@pytest.mark.parametrize(
    "game",
    [
        drift_game(leader=True),
        smfe.make_instance("susceptible-infected", T=8, tau=0.2, subsidy_max=1.0),
    ],
    ids=["drift", "sis-subsidy"],
)
def test_leader_sqp_and_f1_agree(game: smfe.Game) -> None:
    sqp = smfe.solve(game, "sqp")
    nlp = smfe.solve(game, "soft-nlp")
    assert sqp.status.ok and nlp.status.ok
    assert sqp.objective == pytest.approx(nlp.objective, abs=LEADER)
    np.testing.assert_allclose(sqp.theta, nlp.theta, atol=1e-5)
    assert 0.0 < sqp.theta[0] < 1.0  # an interior optimum: the gradient had to be right


@pytest.mark.parametrize("method", ["milp", "convex-mfe", "sample-mfe"])
def test_methods_without_a_fixed_kernel_refuse_before_any_work(method: str) -> None:
    game = (
        smfe.make_instance("susceptible-infected", T=3, tau=0.2)
        if method == "convex-mfe"
        else drift_game()
    )
    with pytest.raises(smfe.FormulationError, match="depend on the mean field"):
        smfe.solve(game, method, options={"menu": [[]]} if method == "milp" else None)


@pytest.mark.parametrize(
    "game",
    [
        dataclasses.replace(drift_game(), response="boltzmann"),
        dataclasses.replace(
            smfe.make_instance("susceptible-infected", T=8, tau=0.2), response="boltzmann"
        ),
    ],
    ids=["drift", "sis"],
)
def test_boltzmann_nlp_agrees_with_the_iterative_solver(game: smfe.Game) -> None:
    it = smfe.solve(game, "mfe")
    f1b = smfe.solve(game, "boltzmann-nlp")
    assert it.status.ok and f1b.status.ok
    assert np.abs(f1b.nu[0] - it.nu[0]).max() <= NU


def test_exact_mpec_and_support_newton_certify_where_fictitious_play_stalls() -> None:
    """τ = 0 on the stationary drift game: F2 and fictitious play + support Newton reach
    exploitability ≤ 1e-10 at the same flow; fictitious play alone (O(1/n)) does not."""
    game = drift_game(tau=0.0)
    f2 = smfe.solve(game, "mpec-scholtes")
    assert f2.status.ok and f2.certificate is not None
    assert f2.certificate.residuals["exploitability"] <= 1e-10
    it = smfe.solve(game, "mfe")
    assert it.status.ok and it.certificate is not None
    assert it.certificate.residuals["exploitability"] <= 1e-10
    assert np.abs(it.nu[0] - f2.nu[0]).max() <= NU
    fp = smfe.solve(game, "mfe", options={"max_iter": 300, "support_newton": False})
    assert not fp.status.ok
    assert np.abs(fp.nu[0] - f2.nu[0]).max() <= 1e-2
