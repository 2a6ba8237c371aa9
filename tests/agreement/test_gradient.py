"""The implicit gradient of J(θ, ν*(θ)) matches central finite differences of re-solved MFEs."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.game.compiled import compile_game
from smfe.solvers.leader import fd_gradient
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.sensitivity import implicit_gradient

GRAD_TOL = 1e-6  # relative to max(1, |∇J|)
CASES = {
    "two-state": {},
    "garnet": {"n_states": 10, "n_actions": 3},
    "garnet-finite": {"n_states": 6, "n_actions": 3, "horizon": 5},
    "congestion": {},
    "leader-mdp": {},  # transitions depend on θ
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_implicit_gradient_matches_finite_differences(case: str) -> None:
    name = case.removesuffix("-finite")
    g = smfe.make_instance(name, **CASES[case])
    cg = compile_game(g)
    rng = np.random.default_rng(7)
    theta = g.start()
    if g.decision.simplex_blocks() is None:
        theta = np.clip(
            theta + 0.1 * rng.standard_normal(g.n_theta),
            g.decision.lower + 0.05,
            g.decision.upper - 0.05,
        )
    opts = MFEOptions(tol=1e-13)
    sol = solve_mfe(cg, theta, opts)
    implicit = implicit_gradient(cg, theta, sol.value, sol.nu)
    fd, _ = fd_gradient(cg, theta, sol, opts, 1e-5)
    if g.decision.A_eq is not None:  # compare on the affine hull of Θ
        import scipy.linalg

        N = scipy.linalg.null_space(g.decision.A_eq)
        implicit = N @ (N.T @ implicit)
    scale = max(1.0, float(np.abs(implicit).max()))
    assert np.abs(implicit - fd).max() <= GRAD_TOL * scale
    assert np.abs(implicit).max() > 1e-6  # a non-trivial gradient was compared
