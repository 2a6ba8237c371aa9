"""Run one benchmark task in its own process, under a time and a memory limit.

A solver that segfaults, aborts or exhausts memory takes down only this child process
(``python -m smfe.bench.child``), never the Dask worker or the run: :func:`run_isolated`
turns every way a child can end into an :class:`Outcome`:

* ``ok`` — the child wrote its answer (which may itself report a solver's failure);
* ``error`` — a Python exception the child reported (message kept), or a nonzero exit;
* ``out_of_memory`` — a ``MemoryError`` under the address-space limit (``RLIMIT_AS``);
* ``timeout`` — still running at the time limit: its process group is killed;
* ``crashed`` — killed by a signal (SIGSEGV, SIGABRT, SIGKILL from the kernel's OOM killer).

Peak resident memory comes from the kernel's accounting of the child (``wait4``'s rusage).
Children run with one BLAS/OpenMP thread, no core dumps, and in a scratch folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smfe.errors import InstanceError

OUTCOMES = ("ok", "error", "out_of_memory", "timeout", "crashed")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    """Per-task limits: wall-clock ``seconds`` and address space ``memory_bytes`` (None: no
    memory limit)."""

    seconds: float = 600.0
    memory_bytes: int | None = 8 * 2**30

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise InstanceError("--time-limit", f"must be > 0 s, got {self.seconds}")
        if self.memory_bytes is not None and self.memory_bytes <= 0:
            raise InstanceError("--memory-limit", f"must be > 0, got {self.memory_bytes}")


@dataclass(frozen=True)
class Outcome:
    kind: str
    payload: dict[str, Any] | None
    wall_seconds: float
    peak_rss_mb: float
    detail: str = ""
    """The signal's name, the exception, or the tail of the child's output."""


def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC, _PR_SET_PDEATHSIG = _libc(), 1


def die_with_parent() -> None:
    """``preexec_fn`` for a process a task starts (an AMPL solver): it is killed when the
    task's process dies, so a timeout or an interrupted run leaves no solver behind."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit(memory_bytes: int | None) -> Any:
    def preexec() -> None:  # runs in the child between fork and exec
        os.setsid()  # its own process group, so a timeout kills solver helpers too
        die_with_parent()  # with the worker that started it (Linux prctl)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return preexec


def _tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def run_isolated(job: dict[str, Any], limits: Limits) -> Outcome:
    """Run ``job`` (a JSON-ready dict for :mod:`smfe.bench.child`) in a child process."""
    with tempfile.TemporaryDirectory(prefix="smfe-task-") as tmp:
        d = Path(tmp)
        (d / "job.json").write_text(json.dumps(job))
        out, log = d / "out.json", d / "log.txt"
        env = dict(os.environ)
        env.update({v: "1" for v in THREAD_VARS})
        env.setdefault("PYOMO_CONFIG_DIR", str(d / ".pyomo"))
        cmd = [sys.executable, "-m", "smfe.bench.child", str(d / "job.json"), str(out)]
        t0 = time.perf_counter()
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=d,
                env=env,
                preexec_fn=_limit(limits.memory_bytes),
            )
            timed_out = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > limits.seconds:
                    timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.05)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        rss = usage.ru_maxrss / 1024.0  # kB on Linux
        if timed_out:
            return Outcome("timeout", None, wall, rss, f"killed after {limits.seconds:g} s")
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
            return Outcome("crashed", None, wall, rss, f"{sig}: {_tail(log, 500)}")
        if out.exists():
            payload = json.loads(out.read_text())
            kind = payload.pop("outcome", "ok")
            return Outcome(kind, payload, wall, rss, payload.pop("detail", ""))
        code = os.WEXITSTATUS(status)
        return Outcome("error", None, wall, rss, f"exit code {code}: {_tail(log)}")
