r"""A finite population playing the mean-field policies: sampled agents, realised aggregates.

N agents are drawn with types by share (multinomial counts n_k), start in states drawn from
the stationary mean field (restricted to the first step of the period, so every agent's clock
agrees), and then each step every agent samples its action from π_k(·|x) and its next state
from P_k(·|x, a) — the game's own kernel, so idiosyncratic shocks (weather) are sampled too.
Over each period of L steps (a day for the market) the population's empirical state-action
frequencies give the realised mean field

.. math::  \hat\nu_{k,d}(x, a) = \frac{1}{L\,n_k}\sum_{t\in d}\#\{i\in k: (x_i^t, a_i^t) = (x, a)\},

a distribution per type with the stationary mean field's 1/L mass per step of the period;
weighted by the realised shares n_k/N it gives the realised aggregates
:math:`\hat z_d = \sum_k (n_k/N)\,G_k \hat\nu_{k,d}` (the market's net load by hour).

The **ε-Nash gain** of day d is the gain of the best single-agent deviation against the
others' realised mean field, in the game's own (entropy-regularised) criterion and weighted by
the realised population: :math:`\varepsilon_d = \sum_k (n_k/N)\,\langle\hat\rho_k,
V^*_k - V^{\pi}_k\rangle` at the mean field :math:`\hat\nu_d`, evaluated by the independent
value iteration of :mod:`smfe.certification.exploitability`. The deviating agent is a price
taker (its own weight 1/N in the aggregate is left out). Since π is the exact soft best
response to the limit mean field, ε is second order in the deviation of the realised mean
field: O(1/N) when that deviation is O(1/√N) — the rate is measured, not assumed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.certification.exploitability import exploitability
from smfe.errors import InstanceError
from smfe.game.compiled import CompiledGame

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class PopulationRun:
    """The daily realised mean fields of one simulated population (module docstring)."""

    n: int
    counts: IntArray
    """Agents per type."""
    nu: FloatArray
    """Realised mean field per period, weighted by the realised shares (periods, N_SA):
    its per-type sums are n_k / (N w_k), so the game's share-weighted sums are realised."""
    epsilon: FloatArray
    """ε-Nash gain per period, in the game's reward unit per step, times 1/(1 − γ)."""
    seconds: float


def _draw(cum: FloatArray, start: IntArray, stop: IntArray, rng: np.random.Generator) -> IntArray:
    """One index per row of a segmented distribution: row i owns entries start[i]:stop[i] of
    the global cumulative sum ``cum`` (``cum[j]`` = sum of entries ≤ j)."""
    base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    total = cum[stop - 1] - base
    target = base + rng.random(start.size) * total
    idx = np.searchsorted(cum, target, side="right")
    return np.minimum(np.maximum(idx, start), stop - 1)


def simulate_population(
    cg: CompiledGame,
    theta: FloatArray,
    policy: FloatArray,
    mu: FloatArray,
    n: int,
    *,
    periods: int,
    period_length: int,
    first_states: IntArray,
    seed: int = 0,
    tol: float = 1e-12,
) -> PopulationRun:
    """Simulate ``n`` agents for ``periods`` periods of ``period_length`` steps.

    ``policy`` (N_SA,) and ``mu`` (N_S,) are the stationary policy and state marginal;
    ``first_states`` are the states where a period starts (the agents' initial states are
    drawn from ``mu`` restricted to them, per type). A stationary game only."""
    if cg.game.finite:
        raise InstanceError("game.horizon", "the population simulation needs a stationary game")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InstanceError("simulate.n", f"must be a positive number of agents, got {n!r}")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    K = cg.n_types
    counts = rng.multinomial(n, cg.share / cg.share.sum()).astype(np.int64)
    start_mass = np.zeros(cg.n_s)
    start_mass[first_states] = mu[first_states]
    x = np.empty(n, dtype=np.int64)
    types = np.repeat(np.arange(K), counts)
    pos = 0
    for k in range(K):
        lo, hi = cg.state_off[k], cg.state_off[k + 1]
        p = start_mass[lo:hi]
        if counts[k] == 0:
            continue
        if p.sum() <= 0.0:
            raise InstanceError("simulate.first_states", f"type {k} has no mass on them", k)
        x[pos : pos + counts[k]] = lo + rng.choice(hi - lo, size=counts[k], p=p / p.sum())
        pos += counts[k]
    pi_cum = np.cumsum(policy)
    P = sp.csr_array(cg.transition(theta))
    p_cum = np.cumsum(P.data)
    weight = np.zeros(n)
    for k in range(K):
        if counts[k]:
            weight[types == k] = 1.0 / (period_length * n * cg.share[k])
    nu = np.zeros((periods, cg.n_sa))
    for d in range(periods):
        for _ in range(period_length):
            a = _draw(pi_cum, cg.state_sa_ptr[x], cg.state_sa_ptr[x + 1], rng)
            nu[d] += np.bincount(a, weights=weight, minlength=cg.n_sa)
            x = P.indices[_draw(p_cum, P.indptr[a], P.indptr[a + 1], rng)]
    eps = np.array(
        [
            exploitability(cg, theta, nu[d][None, :], policy[None, :], cg.game.tau, tol)[0]
            for d in range(periods)
        ]
    )
    return PopulationRun(n, counts, nu, eps, time.perf_counter() - t0)
