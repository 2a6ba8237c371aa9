r"""A sample-based follower learner: the MFE for fixed θ from simulated transitions only.

The learner never reads the reward or transition arrays: it queries a :class:`Simulator`
(the environment) for next states of (x, a) pairs and for the reward a follower *observes*
at the current mean field — the paper's "without full knowledge of follower objectives".
It estimates the kernel :math:`\hat P` from ``samples_per_pair`` draws per pair
(certainty equivalence), then runs the same damped mean-field iteration as the model-based
solver with the soft response and the flow computed on :math:`\hat P`. The error against the
model-based MFE shrinks like :math:`O(1/\sqrt{n})` in the number of samples n per pair.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame
from smfe.solvers.distribution import flow
from smfe.solvers.mfe import MFESolution, uniform_policy
from smfe.solvers.options import SampleOptions
from smfe.solvers.response import respond
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


class Simulator:
    """The environment: draws next states and reports observed rewards; hides the model."""

    def __init__(self, cg: CompiledGame, theta: FloatArray, seed: int) -> None:
        self._cg = cg
        self._theta = theta
        self._P = cg.transition(theta)
        self._rng = np.random.default_rng(seed)

    def next_states(self, n: int) -> NDArray[np.int64]:
        """``n`` draws of x' for every state-action pair, shape (N_SA, n)."""
        P = self._P
        out = np.empty((self._cg.n_sa, n), dtype=np.int64)
        for i in range(self._cg.n_sa):
            lo, hi = P.indptr[i], P.indptr[i + 1]
            probs = P.data[lo:hi]
            out[i] = P.indices[lo:hi][self._rng.choice(hi - lo, size=n, p=probs / probs.sum())]
        return out

    def observed_rewards(self, nu: FloatArray) -> FloatArray:
        """The reward each pair pays out when the population plays ν (T, N_SA)."""
        return self._cg.reward(self._theta, nu)


def empirical_kernel(cg: CompiledGame, draws: NDArray[np.int64]) -> sp.csr_array:
    """\\hat P(x'|x,a) = (number of draws equal to x') / n."""
    n = draws.shape[1]
    rows = np.repeat(np.arange(cg.n_sa), n)
    K = sp.csr_array((np.full(rows.size, 1.0 / n), (rows, draws.ravel())), shape=(cg.n_sa, cg.n_s))
    K.sum_duplicates()
    return K


def solve_mfe_sampled(
    cg: CompiledGame, theta: FloatArray, options: SampleOptions | None = None
) -> MFESolution:
    """The learner of the module docstring; residuals are measured on its own model \\hat P."""
    opts = options or SampleOptions()
    sim = Simulator(cg, theta, opts.seed)
    P_hat = empirical_kernel(cg, sim.next_states(opts.samples_per_pair))
    nu, _ = flow(cg, P_hat, uniform_policy(cg))
    history: list[float] = []
    alpha = 1.0
    resp = None
    res = np.inf
    for _ in range(opts.mfe_iterations):
        resp = respond(cg, sim.observed_rewards(nu), P_hat, V0=None if resp is None else resp.value)
        nu_br, _ = flow(cg, P_hat, resp.policy)
        res = float(np.abs(nu_br - nu).sum())
        if history and res > history[-1]:
            alpha = max(0.5 * alpha, 1e-3)
        history.append(res)
        nu = (1.0 - alpha) * nu + alpha * nu_br
    assert resp is not None
    resp = respond(cg, sim.observed_rewards(nu), P_hat, V0=resp.value)
    return MFESolution(
        theta=theta,
        nu=nu,
        policy=resp.policy,
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=res,
        iterations=opts.mfe_iterations,
        termination=TerminationCondition.ITERATION_LIMIT,
        history=history,
    )
