"""The iterative solver's Newton system (:mod:`smfe.solvers.sensitivity`) is the equilibrium
system with Q, π and μ eliminated analytically — kept because the full system's sparse LU
fills in badly (implicit gradient at 10⁴ Garnet pairs: 0.19 s reduced, 127 s on the full
system with SuperLU's COLAMD; 142 s with MMD on AᵀA, measured). These tests hold the two to
the same answer: the implicit (adjoint) leader gradient of the reduced system equals the
adjoint gradient computed from the full system's NumPy Jacobian."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg import null_space

import smfe
from smfe.game.compiled import compile_game
from smfe.game.projection import project
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.sensitivity import implicit_gradient
from smfe.system import SystemOptions, assemble, warm_start
from smfe.system.numeric import NumericSystem

AGREE = 1e-8  # relative; both are exact up to the MFE residual 1e-12 and two LU solves

CASES = {
    "garnet (2 types)": lambda: smfe.make_instance("garnet", n_states=8, n_actions=3),
    "garnet finite": lambda: smfe.make_instance("garnet", n_states=6, n_actions=3, horizon=3),
    "leader-mdp (θ in P, H_θ)": lambda: smfe.make_instance("leader-mdp"),
    "congestion (finite, masks)": lambda: smfe.make_instance("congestion"),
}


def _full_system_gradient(game: smfe.Game, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reduced-system gradient, full-system adjoint gradient) at the MFE for θ."""
    cg = compile_game(game)
    sol = solve_mfe(cg, theta, MFEOptions(tol=1e-12))
    reduced = implicit_gradient(cg, theta, sol.value, sol.nu)
    system = assemble(cg, SystemOptions("soft"))
    warm_start(system, cg, sol)
    system.layout.set_start("theta", theta)
    num = NumericSystem(system)
    x = num.start()
    equilibrium = np.concatenate(
        [np.arange(b.start, b.start + len(b.keys)) for b in system.blocks if "theta" not in b.name]
    )
    J = num.jacobian(x)[equilibrium]
    th = np.arange(system.layout.slice("theta").start, system.layout.slice("theta").stop)
    rest = np.setdiff1d(np.arange(num.n), th)  # θ is free here, so full and free indices agree
    grad = num.objective_gradient(x)
    lam = spla.splu(sp.csc_matrix(J[:, rest].T)).solve(grad[rest])
    return reduced, grad[th] - J[:, th].T @ lam


@pytest.mark.parametrize("name", list(CASES))
def test_reduced_and_full_system_give_the_same_implicit_gradient(name: str) -> None:
    game = CASES[name]()
    rng = np.random.default_rng(0)
    lo, up = game.decision.lower, game.decision.upper
    # Off an equality-constrained Θ (leader-mdp: θ on simplices, so P(θ) is stochastic only
    # there) the two systems extend the MFE map differently, so only the components along Θ
    # (the null space of A_eq) must agree — the only ones a projected gradient step uses.
    A_eq = game.decision.A_eq
    tangent = null_space(A_eq) if A_eq is not None else np.eye(game.n_theta)
    for theta in (game.start(), lo + (up - lo) * rng.uniform(0.2, 0.8, lo.size)):
        theta = project(game.decision, theta)
        reduced, full = _full_system_gradient(game, theta)
        diff, scale = tangent.T @ (reduced - full), np.abs(tangent.T @ full).max()
        assert scale > 0.0  # a gradient that is zero along Θ would test nothing
        assert np.abs(diff).max() <= AGREE * max(1.0, scale)
