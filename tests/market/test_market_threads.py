"""Market evaluators on worker threads: CasADi work holds :data:`smfe.threads.CASADI`.

Without the lock, three threads each building an evaluator aborted the process inside
``casadi.gradient`` (5 of 5 runs, within 3–87 rounds of three at once on the reference
market): CasADi's graph algorithms release the GIL and mark shared nodes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from smfe import threads
from smfe.market import Weights, market_game, reference_instance
from smfe.market.leader import MarketEvaluator
from smfe.market.solve import baseline_theta

HELD = 1.5
"""Seconds a thread is given to get past the held lock (building an evaluator takes ~0.2 s,
one warm point ~0.01 s on the reference market, a two-state soft-nlp solve ~0.1 s)."""


@pytest.fixture(scope="module")
def mg() -> Any:
    return market_game(reference_instance())


def _waits_for_the_lock(work: Callable[[], object]) -> None:
    """``work`` on a thread does not finish while this thread holds the lock, and does
    once it is released."""
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(work()))
    with threads.CASADI:
        worker.start()
        worker.join(HELD)
        assert worker.is_alive() and not done
    worker.join(60)
    assert not worker.is_alive() and len(done) == 1


def test_building_an_evaluator_holds_the_casadi_lock(mg: Any) -> None:
    _waits_for_the_lock(lambda: MarketEvaluator(mg, Weights()))


def test_evaluating_the_market_function_holds_the_casadi_lock(mg: Any) -> None:
    ev = MarketEvaluator(mg, Weights())
    theta = baseline_theta(mg, "flat", 0.3)
    ev.point(theta, gradients=False)  # the next solve at θ starts at its MFE: no iterations
    _waits_for_the_lock(lambda: ev.point(theta, gradients=False))


def test_a_fork_shares_the_function_and_keeps_its_own_state(mg: Any) -> None:
    ev = MarketEvaluator(mg, Weights())
    ev.reference = np.arange(len(mg.market.groups), dtype=float)
    theta = baseline_theta(mg, "tou", 0.3)
    p = ev.point(theta)
    twin = ev.fork()
    assert twin._fn is ev._fn and twin.cg is ev.cg
    assert twin._warm is None and twin.evaluations == 0 and twin.mfe_seconds == 0.0
    assert np.array_equal(twin.reference, ev.reference) and twin.reference is not ev.reference
    q = twin.point(theta)
    assert ev.evaluations == 1 and twin.evaluations == 1
    assert q.value == pytest.approx(p.value, abs=1e-9)
    assert q.grad_value is not None and p.grad_value is not None
    np.testing.assert_allclose(q.grad_value, p.grad_value, atol=1e-7)


@pytest.mark.slow
def test_three_threads_build_and_evaluate_again_and_again(mg: Any) -> None:
    """The stress that aborted the process without the lock (module docstring)."""
    dec = mg.game.decision
    rng = np.random.default_rng(0)
    thetas = dec.lower + (dec.upper - dec.lower) * rng.uniform(0.3, 0.7, (3, dec.lower.size))

    def task(k: int) -> float:
        return MarketEvaluator(mg, Weights()).point(thetas[k], gradients=True).value

    for _ in range(100):
        out = threads.run_tasks({str(k): (lambda k=k: task(k)) for k in range(3)}, workers=3)
        assert all(np.isfinite(v) for v in out.values())


def test_a_casadi_ipopt_solve_holds_the_casadi_lock() -> None:
    import smfe

    g = smfe.make_instance("two-state")
    _waits_for_the_lock(lambda: smfe.solve(g, "soft-nlp", {"backend": "casadi"}))
