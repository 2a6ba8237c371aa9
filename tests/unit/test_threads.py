"""Independent tasks on threads (:mod:`smfe.threads`)."""

from __future__ import annotations

import threading

import pytest

from smfe.errors import InstanceError
from smfe.solvers import linalg
from smfe.threads import check_workers, run_tasks


def test_results_by_name_in_order_and_the_callers_context_reaches_each_task() -> None:
    with linalg.direct_solves_up_to(12_345):
        out = run_tasks(
            {k: (lambda k=k: (k, linalg._direct_max.get())) for k in "abc"},
            workers=2,
        )
    assert list(out) == ["a", "b", "c"]
    assert all(v == (k, 12_345) for k, v in out.items())


def test_two_workers_run_at_the_same_time() -> None:
    """Each task waits for the other: this finishes only if both run at once."""
    barrier = threading.Barrier(2, timeout=10)
    out = run_tasks({k: (lambda: barrier.wait() >= 0) for k in "ab"}, workers=2)
    assert out == {"a": True, "b": True}


def test_one_worker_runs_in_this_thread() -> None:
    me = threading.get_ident()
    assert run_tasks({"a": threading.get_ident}, workers=1) == {"a": me}


def test_a_failing_task_is_raised_and_later_tasks_are_not_started() -> None:
    started: list[str] = []

    def fail() -> None:
        started.append("fail")
        raise ValueError("boom")

    def later() -> None:
        started.append("later")

    with pytest.raises(ValueError, match="boom"):
        run_tasks({"fail": fail, "later": later}, workers=1)
    assert started == ["fail"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(InstanceError, match="--workers"):
        check_workers(bad, "--workers")  # type: ignore[arg-type]
