"""F1 through Ipopt's callbacks: hand-assembled derivatives, agreement, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.formulations.f1_callbacks import F1Callbacks
from smfe.game.compiled import compile_game
from smfe.market import market_game, reference_instance

FD_STEP = 1e-6
FD_TOL = 1e-6  # central differences of smooth callbacks at step 1e-6


def _dense(
    n_rows: int, n_cols: int, rc: tuple[np.ndarray, np.ndarray], v: np.ndarray
) -> np.ndarray:
    out = np.zeros((n_rows, n_cols))
    np.add.at(out, rc, v)
    return out


@pytest.mark.parametrize("name", ["two-state", "garnet"])
def test_jacobian_and_hessian_match_finite_differences(name: str) -> None:
    game = smfe.make_instance(name)
    cg = compile_game(game)
    cb = F1Callbacks(cg, game.start())
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.9, cb.n)
    lam = rng.normal(size=cb.m)
    J = _dense(cb.m, cb.n, cb.jacobianstructure(), cb.jacobian(x))
    H = _dense(cb.n, cb.n, cb.hessianstructure(), cb.hessian(x, lam, 1.0))
    assert np.all(np.triu(H, 1) == 0.0)  # Ipopt takes the lower triangle
    H = H + np.tril(H, -1).T
    Jfd = np.zeros_like(J)
    Hfd = np.zeros_like(H)
    for j in range(cb.n):
        e = np.zeros(cb.n)
        e[j] = FD_STEP
        Jfd[:, j] = (cb.constraints(x + e) - cb.constraints(x - e)) / (2 * FD_STEP)
        Jp = _dense(cb.m, cb.n, cb.jacobianstructure(), cb.jacobian(x + e))
        Jm = _dense(cb.m, cb.n, cb.jacobianstructure(), cb.jacobian(x - e))
        Hfd[:, j] = (Jp - Jm).T @ lam / (2 * FD_STEP)
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


def test_callbacks_backend_refuses_what_it_cannot_do_before_solving() -> None:
    with pytest.raises(smfe.FormulationError, match="stationary"):
        smfe.solve(
            smfe.make_instance("congestion"),
            "soft-nlp",
            {"fix_theta": True, "backend": "callbacks"},
        )
    with pytest.raises(smfe.FormulationError, match="fix_theta"):
        smfe.solve(smfe.make_instance("two-state"), "soft-nlp", {"backend": "callbacks"})
