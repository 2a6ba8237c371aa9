"""Independent tasks on a few threads, each in a copy of the caller's context.

The heavy parts of a market MFE solve — SuperLU factorisations, sparse products, NumPy
kernels — release the GIL, so independent solves overlap on threads with nothing shipped
between processes (the utility market's game holds gigabytes). Two tariff points with
their gradients on the utility market: 21.8 s one after the other, 14.1 s on two threads
(2 cores, measured). Each task runs in a copy of the caller's :mod:`contextvars` context,
so settings such as :func:`smfe.solvers.linalg.direct_solves_up_to` reach it.

CasADi is the exception: its symbolic algorithms (sorting an expression graph, algorithmic
differentiation) release the GIL and mark the nodes they visit, and nodes such as the
constants are shared between graphs. Three threads each building a market evaluator's
gradient at once aborted the process (a fatal error in ``casadi.gradient``; 5 of 5 runs,
within 3–87 rounds of three at once on the reference market, measured). Every CasADi call
that may run on a worker thread therefore holds :data:`CASADI`.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from smfe.errors import InstanceError

T = TypeVar("T")

CASADI = threading.RLock()
"""Held by every CasADi graph construction and evaluation that may run on a worker thread
(module docstring)."""


def check_workers(workers: int, field: str = "workers") -> int:
    """``workers``, an integer ≥ 1 (a typed error naming ``field`` otherwise)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InstanceError(field, f"must be an integer >= 1, got {workers!r}")
    return workers


def run_tasks(tasks: Mapping[str, Callable[[], T]], workers: int) -> dict[str, T]:
    """Each task's result by name, in the given order, ``workers`` at a time (1: one after
    the other in this thread). A task's exception is raised here: the tasks not yet started
    are cancelled, the running ones finish first."""
    if workers <= 1 or len(tasks) <= 1:
        return {name: task() for name, task in tasks.items()}
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = {
            name: pool.submit(contextvars.copy_context().run, task) for name, task in tasks.items()
        }
        try:
            return {name: f.result() for name, f in futures.items()}
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
