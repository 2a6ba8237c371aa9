"""Property tests of the pure numerical kernels (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import smfe
from smfe.game.compiled import compile_game
from smfe.game.projection import project, project_simplex
from smfe.solvers.response import greedy, soft_max

CG = compile_game(smfe.make_instance("garnet", n_states=6, n_actions=3, n_types=2))
q_values = hnp.arrays(np.float64, CG.n_sa, elements=st.floats(-1e3, 1e3))


@given(q_values, st.floats(1e-6, 10.0))
def test_softmax_is_a_distribution_and_logsumexp_bounds(q: np.ndarray, tau: float) -> None:
    V, pi = soft_max(CG, q, tau)
    assert np.all(pi >= 0) and np.allclose(CG.seg_sum(pi), 1.0)
    m = CG.seg_max(q)
    n_actions = np.diff(CG.state_sa_ptr)
    assert np.all(m - 1e-9 <= V) and np.all(m + tau * np.log(n_actions) + 1e-9 >= V)


@given(q_values)
def test_greedy_is_one_hot_on_a_maximiser(q: np.ndarray) -> None:
    V, pi = greedy(CG, q)
    assert np.array_equal(CG.seg_sum(pi), np.ones(CG.n_s))
    assert np.allclose(CG.seg_sum(pi * q), V)


def test_greedy_breaks_ties_to_the_lowest_action() -> None:
    q = np.zeros(CG.n_sa)
    _, pi = greedy(CG, q)
    assert np.array_equal(pi[CG.state_sa_ptr[:-1]], np.ones(CG.n_s))


@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-100, 100)))
def test_simplex_projection_is_feasible_and_optimal(v: np.ndarray) -> None:
    x = project_simplex(v)
    assert np.all(x >= 0) and abs(x.sum() - 1) < 1e-9
    # optimality: (v - x)·(y - x) <= 0 for the vertices y of the simplex
    for i in range(v.size):
        y = np.zeros_like(v)
        y[i] = 1.0
        assert (v - x) @ (y - x) <= 1e-7 * (1 + np.abs(v).max())


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, 3, elements=st.floats(-5, 5)))
def test_qp_projection_matches_box_and_simplex_projections(v: np.ndarray) -> None:
    # general route (HiGHS QP) on a set with an inequality: {0 <= θ <= 1, θ0 + θ1 + θ2 <= 1}
    dec = smfe.Decision(lower=np.zeros(3), upper=np.ones(3), A_ub=np.ones((1, 3)), b_ub=[1.0])
    x = project(dec, v)
    assert dec.violation(x) <= 1e-7
    box = np.clip(v, 0, 1)
    expected = box if box.sum() <= 1 else project_simplex(v)
    assert np.allclose(x, expected, atol=1e-6)
