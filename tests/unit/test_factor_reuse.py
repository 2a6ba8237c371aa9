"""Policy evaluation refined on the last LU (:class:`smfe.solvers.linalg.Factors`)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import smfe
from smfe.game.compiled import compile_game
from smfe.solvers import linalg
from smfe.solvers.mfe import solve_mfe

EXACT = 1e-11
"""Agreement of a refined solve with a fresh LU's, relative to the largest entry (both reach
‖b − Ax‖∞ ≤ 1e-13·max(1, ‖b‖∞); the error is that times the condition number)."""


def _chain(n: int, seed: int) -> sp.csc_array:
    """I − γP for a random stochastic P with a cycle through all states (no empty row)."""
    rng = np.random.default_rng(seed)
    cycle = sp.eye_array(n, k=1) + sp.eye_array(n, k=1 - n)
    P = sp.csr_array(sp.random_array((n, n), density=0.05, rng=rng, format="csr") + cycle)
    P = sp.csr_array(P.multiply(1.0 / P.sum(axis=1)[:, None]))
    return sp.csc_array(sp.eye_array(n) - 0.95 * P)


def test_refinement_on_a_nearby_matrix_matches_a_fresh_lu() -> None:
    A = _chain(300, 0)
    B = sp.csc_array(A + 1e-3 * sp.random_array(A.shape, density=0.02, rng=3))
    b = np.random.default_rng(1).normal(size=300)
    x = linalg.refine(B, b, spla.splu(A), rtol=1e-13)
    assert x is not None
    np.testing.assert_allclose(x, spla.spsolve(B, b), atol=EXACT * np.abs(x).max(), rtol=0)


def test_refinement_gives_up_when_the_old_factors_are_far_off() -> None:
    A, B = _chain(300, 0), _chain(300, 7)
    b = np.random.default_rng(1).normal(size=300)
    assert linalg.refine(B, b, spla.splu(A), rtol=1e-13) is None


def test_a_store_factorises_once_then_refines_then_factorises_afresh() -> None:
    A = _chain(300, 0)
    near = sp.csc_array(A + 1e-4 * sp.random_array(A.shape, density=0.02, rng=5))
    far = _chain(300, 9)
    b = np.arange(300, dtype=float)
    with linalg.reusing(linalg.Factors()) as store:
        xs = [linalg.solve(M, b, what="policy evaluation", reuse=True) for M in (A, near, far)]
        assert (store.factorisations, store.refinements) == (2, 1)
        linalg.solve(A, b, what="policy evaluation")  # not asked to reuse: untouched
        assert (store.factorisations, store.refinements) == (2, 1)
    for M, x in zip((A, near, far), xs, strict=True):
        np.testing.assert_allclose(x, spla.spsolve(M, b), atol=EXACT * np.abs(x).max(), rtol=0)


def test_outside_a_store_every_solve_is_a_fresh_lu() -> None:
    A = _chain(50, 0)
    store = linalg.Factors()
    with linalg.reusing(store):
        pass
    linalg.solve(A, np.ones(50), what="policy evaluation", reuse=True)
    assert store.factorisations == 0


def test_a_store_used_from_another_thread_starts_afresh() -> None:
    A = _chain(50, 0)
    store = linalg.Factors()
    with linalg.reusing(store):
        linalg.solve(A, np.ones(50), what="policy evaluation", reuse=True)
    assert store.get("policy evaluation", 50) is not None
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(store.get("policy evaluation", 50)))
    worker.start()
    worker.join()
    assert seen == [None]


@pytest.mark.parametrize("case", ["garnet", "leader-mdp"])
def test_the_mfe_is_the_same_with_fresh_factors(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refinement changes the cost, not the answer: the same iterates to round-off."""
    g = smfe.make_instance(case, seed=2)
    cg = compile_game(g)
    theta = g.start()
    with linalg.direct_solves_up_to(10_000), linalg.reusing(linalg.Factors()) as store:
        reused = solve_mfe(cg, theta)
    assert store.refinements > 0
    monkeypatch.setattr(linalg, "REFINE_STEPS", 0)  # every refinement gives up at once
    with linalg.direct_solves_up_to(10_000), linalg.reusing(linalg.Factors()) as fresh:
        again = solve_mfe(cg, theta)
    assert fresh.refinements == 0 and fresh.factorisations > store.factorisations
    assert reused.iterations == again.iterations
    np.testing.assert_allclose(reused.nu, again.nu, atol=1e-10, rtol=0)
    np.testing.assert_allclose(reused.value, again.value, atol=1e-8, rtol=0)
