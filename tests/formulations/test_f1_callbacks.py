"""F1 through Ipopt's callbacks: hand-assembled derivatives, agreement, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.game.compiled import compile_game
from smfe.market import market_game, reference_instance
from smfe.system import SystemOptions, assemble
from smfe.system.numeric import NumericSystem

FD_STEP = 1e-6
FD_TOL = 1e-6  # central differences of smooth callbacks at step 1e-6


@pytest.mark.parametrize("name", ["two-state", "garnet"])
@pytest.mark.parametrize("fixed", [True, False])
def test_jacobian_and_hessian_match_finite_differences(name: str, fixed: bool) -> None:
    game = smfe.make_instance(name)
    system = assemble(compile_game(game), SystemOptions(theta=game.start() if fixed else None))
    num = NumericSystem(system)
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.9, num.n)
    lam = rng.normal(size=num.m)
    J = num.jacobian(x).toarray()
    L = np.zeros((num.n, num.n))
    np.add.at(L, (num.hrows, num.hcols), num.hessian_values(x, lam, 1.0))
    assert np.all(np.triu(L, 1) == 0.0)  # Ipopt takes the lower triangle
    H = num.hessian(x, lam, 1.0).toarray()
    assert np.array_equal(H, L + np.tril(L, -1).T)
    Jfd = np.zeros_like(J)
    Hfd = np.zeros_like(H)
    for j in range(num.n):
        e = np.zeros(num.n)
        e[j] = FD_STEP
        Jfd[:, j] = (num.g(x + e) - num.g(x - e)) / (2 * FD_STEP)

        def grad(v: np.ndarray) -> np.ndarray:
            return num.jacobian(v).T @ lam + num.objective_gradient(v)

        Hfd[:, j] = (grad(x + e) - grad(x - e)) / (2 * FD_STEP)
    assert np.abs(J - Jfd).max() <= FD_TOL
    assert np.abs(H - Hfd).max() <= FD_TOL * max(1.0, np.abs(H).max())


@pytest.mark.parametrize("name", ["two-state", "garnet"])
def test_callbacks_backend_agrees_with_iterative_solver(name: str) -> None:
    game = smfe.make_instance(name)
    it = smfe.solve(game, "mfe")
    for warm in (True, False):
        cb = smfe.solve(
            game, "soft-nlp", {"fix_theta": True, "backend": "callbacks", "warm_start": warm}
        )
        assert cb.certificate is not None and cb.certificate.residuals["consistency"] <= 1e-7
        assert smfe.agree([it, cb], smfe.AgreeTolerances(nu=1e-6, policy=1e-6))


def test_callbacks_backend_on_the_market_game() -> None:
    mg = market_game(reference_instance(soc_levels=4))
    theta = mg.game.start()
    it = smfe.solve(mg.game, "mfe", theta=theta)
    cb = smfe.solve(mg.game, "soft-nlp", {"fix_theta": True, "backend": "callbacks"}, theta=theta)
    assert cb.status.ok
    assert smfe.agree([it, cb], smfe.AgreeTolerances(nu=1e-6, policy=1e-6))


def test_callbacks_backend_takes_finite_horizons_and_the_leader_problem() -> None:
    """The NumPy translation covers the whole system: finite horizons and a free θ."""
    game = smfe.make_instance("congestion")
    it = smfe.solve(game, "mfe")
    cb = smfe.solve(game, "soft-nlp", {"fix_theta": True, "backend": "callbacks"})
    assert cb.status.ok
    assert smfe.agree([it, cb], smfe.AgreeTolerances(nu=1e-6, policy=1e-6))
    two = smfe.make_instance("two-state")
    ref = smfe.solve(two, "soft-nlp", {"backend": "casadi"})
    lead = smfe.solve(two, "soft-nlp", {"backend": "callbacks"})
    assert lead.status.ok and ref.status.ok
    assert abs(lead.objective - ref.objective) <= 1e-7
