"""Isolated tasks on Dask: a ``LocalCluster`` by default, any scheduler by address.

:func:`execute` submits one :func:`~smfe.bench.isolate.run_isolated` call per job and hands
each :class:`~smfe.bench.isolate.Outcome` to ``on_result`` as it finishes (in the calling
process, so one writer stores them), with a progress bar on a terminal and a line every 10 s
elsewhere. Dask's workers only wait on their child processes, so a solver that crashes never
takes a worker down, and a worker count of N runs N solves at a time.

Local clusters start N single-threaded worker processes without a dashboard; nothing listens
beyond the loopback interface. With ``scheduler="tcp://host:8786"`` the jobs go to an
existing cluster, whose workers need smfe installed and the suite folder at the same path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from smfe.bench.isolate import Limits, Outcome, run_isolated
from smfe.errors import InstanceError
from smfe.progress import Ticker


@contextmanager
def client(workers: int = 2, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` if given, else to a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout=30) as c:
            yield c
        return
    if workers < 1:
        raise InstanceError("--workers", f"must be >= 1, got {workers}")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            memory_limit=0,  # the limits are per task, on the child processes
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def execute(
    jobs: Sequence[tuple[str, dict[str, Any]]],
    limits: Limits,
    on_result: Callable[[str, Outcome, str], str],
    *,
    workers: int = 2,
    scheduler: str | None = None,
    desc: str = "tasks",
    quiet: bool = False,
) -> None:
    """Run ``jobs`` ((key, job) pairs) isolated on Dask; ``on_result(key, outcome, worker)``
    is called as each finishes and returns a short note for the progress line."""
    if not jobs:
        return
    from distributed import as_completed

    bar = Ticker(desc, total=len(jobs), unit="task", quiet=quiet)
    try:
        with client(workers, scheduler) as c:
            futures = {
                c.submit(_run_on_worker, job, limits, key=f"smfe-bench-{key}", pure=False): key
                for key, job in jobs
            }
            for fut in as_completed(futures):
                outcome, worker = fut.result()
                note = on_result(futures[fut], outcome, worker)
                elapsed = time.perf_counter() - bar.t0
                bar.tick(
                    note[:40], f"{desc} {bar.n + 1}/{len(jobs)} ({elapsed:.0f} s; last: {note})"
                )
    finally:
        bar.close()


def _run_on_worker(job: dict[str, Any], limits: Limits) -> tuple[Outcome, str]:
    from distributed import get_worker

    try:
        name = str(get_worker().name)
    except ValueError:
        name = "local"
    return run_isolated(job, limits), name
