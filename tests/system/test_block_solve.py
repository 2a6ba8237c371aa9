"""Block elimination of the stationary MFE Jacobian (:mod:`smfe.solvers.block_solve`) gives
the solution of the assembled system: forward and transposed, one and many right-hand sides,
with and without prices, against SuperLU on the whole Jacobian."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import smfe
from smfe.errors import SolveFailed
from smfe.game.compiled import compile_game
from smfe.market import market_game, reference_instance
from smfe.solvers import linalg
from smfe.solvers.block_solve import BlockSolver
from smfe.solvers.mfe import evaluate_point, predicted_start, solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.sensitivity import Linearisation, linearise, state_vector

AGREE = 1e-9
"""Relative agreement of two direct solves of a well-conditioned system of ≤ 4,000 unknowns."""


def _without_prices(game: smfe.Game) -> smfe.Game:
    types = tuple(
        dataclasses.replace(t, aggregate=None, exposure=None, exposure_theta=None)
        for t in game.types
    )
    return dataclasses.replace(game, types=types, prices=())


CASES = {
    "garnet (2 types, 3 prices)": lambda: smfe.make_instance("garnet", n_states=12, n_actions=3),
    "garnet without prices": lambda: _without_prices(
        smfe.make_instance("garnet", n_states=10, n_zones=1)
    ),
    "leader-mdp (θ in P)": lambda: smfe.make_instance("leader-mdp"),
    "market reference (4 groups, 24 prices)": lambda: market_game(reference_instance()).game,
}


def _linearisation(game: smfe.Game) -> Linearisation:
    cg = compile_game(game)
    theta = game.start()
    sol = solve_mfe(cg, theta, MFEOptions(tol=1e-10))
    return linearise(cg, theta, state_vector(cg, sol.value, sol.nu), theta_jacobian=True)


@pytest.fixture(scope="module", params=list(CASES))
def lin(request: pytest.FixtureRequest) -> Linearisation:
    return _linearisation(CASES[request.param]())


def test_the_pair_block_is_identity_minus_the_low_rank_product(lin: Linearisation) -> None:
    assert lin.blocks is not None and lin.Ju is not None
    b = lin.blocks
    nf = b.n_s + b.n_sa
    J = sp.csr_array(lin.Ju)
    A_nu = sp.eye_array(b.n_sa) - b.L @ b.Rt
    assert abs(J[b.n_s : nf, b.n_s : nf] - A_nu).max() < 1e-14
    # the structural zeros the elimination relies on: V does not see ν, prices see only ν
    assert not J[: b.n_s, b.n_s : nf].toarray().any()
    assert not J[nf:, : b.n_s].toarray().any()
    assert np.array_equal(J[nf:, nf:].toarray(), np.eye(b.M))


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("columns", [0, 3])
def test_block_elimination_solves_the_assembled_system(
    lin: Linearisation, transposed: bool, columns: int
) -> None:
    assert lin.blocks is not None and lin.Ju is not None
    n = lin.Ju.shape[0]
    rng = np.random.default_rng(columns)
    b = rng.standard_normal((n, columns) if columns else n)
    A = sp.csc_array(lin.Ju.T if transposed else lin.Ju)
    reference = spla.splu(A).solve(b)
    x = BlockSolver.of_matrix(lin.Ju, lin.blocks, "test").solve(b, transposed)
    assert np.abs(x - reference).max() <= AGREE * max(1.0, np.abs(reference).max())
    via = lin.solve(b, what="test", transposed=transposed)
    assert np.abs(via - reference).max() <= AGREE * max(1.0, np.abs(reference).max())


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("columns", [0, 3])
def test_the_blockwise_product_is_the_assembled_matrix_s(
    lin: Linearisation, transposed: bool, columns: int
) -> None:
    """Linearisation.apply (the residual checks' product) against the assembled ∂F/∂u."""
    assert lin.Ju is not None
    n = lin.Ju.shape[0]
    x = np.random.default_rng(7).standard_normal((n, columns) if columns else n)
    A = lin.Ju.T if transposed else lin.Ju
    assert np.abs(lin.apply(x, transposed) - A @ x).max() <= 1e-12 * max(1.0, np.abs(x).max())


def test_finite_horizons_and_mean_field_dynamics_keep_the_whole_system() -> None:
    for game in (
        smfe.make_instance("congestion"),
        smfe.make_instance("susceptible-infected", T=4, tau=0.2),
    ):
        cg = compile_game(game)
        theta = game.start()
        sol = solve_mfe(cg, theta, MFEOptions(tol=1e-8))
        lin = linearise(cg, theta, state_vector(cg, sol.value, sol.nu))
        assert lin.blocks is None
        assert lin.Ju is not None  # and the blockwise product holds for T > 1 blocks too
        x = np.random.default_rng(1).standard_normal(lin.Ju.shape[0])
        for transposed in (False, True):
            A = lin.Ju.T if transposed else lin.Ju
            assert np.abs(lin.apply(x, transposed) - A @ x).max() <= 1e-12 * np.abs(x).max()


def test_a_singular_state_chain_is_a_solve_failure() -> None:
    with pytest.raises(SolveFailed, match="singular"):
        linalg.lu(sp.csc_array(np.array([[1.0, 1.0], [1.0, 1.0]])), "the test system")


def test_forward_sensitivities_predict_the_mfe_to_second_order() -> None:
    """predicted_start: the residual at θ + hΔ falls like h² (the plain warm start's like h)."""
    game = smfe.make_instance("garnet", n_states=12, n_actions=3)
    cg = compile_game(game)
    theta = game.start()
    sol = solve_mfe(cg, theta, MFEOptions(tol=1e-12))
    lin = linearise(cg, theta, state_vector(cg, sol.value, sol.nu), theta_jacobian=True)
    assert lin.Jtheta is not None
    du = lin.solve(-lin.Jtheta.toarray(), what="test")
    direction = np.random.default_rng(3).standard_normal(theta.size)
    plain, predicted = [], []
    for h in (1e-2, 1e-3):
        th = theta + h * direction
        plain.append(evaluate_point(cg, th, sol.nu, sol.value)[3])
        start = predicted_start(cg, sol, du, th - theta)
        predicted.append(evaluate_point(cg, th, start.nu, start.value)[3])
    assert 5.0 < plain[0] / plain[1] < 20.0  # first order
    assert predicted[0] / predicted[1] > 50.0  # second order
    assert predicted[1] < 1e-2 * plain[1]


def test_many_prices_fall_back_to_the_whole_jacobian(monkeypatch: pytest.MonkeyPatch) -> None:
    import smfe.solvers.sensitivity as sens

    monkeypatch.setattr(sens, "SCHUR_MAX_PRICES", 2)  # the garnet game has 3
    lin = _linearisation(CASES["garnet (2 types, 3 prices)"]())
    assert lin.blocks is not None and lin.Ju is not None and lin._block_solver is None
    b = np.ones(lin.Ju.shape[0])
    assert np.allclose(lin.Ju @ lin.solve(b, what="test"), b, atol=1e-9)
