"""Methods for ``smfe bench run`` as ``python:/path/to/user_methods.py:NAME`` in the tests:
one that behaves, and ones that crash, hang, exhaust memory or raise."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def slow_pgd(game: Any, options: dict[str, Any], theta: Any) -> Any:
    """pgd after a pause, so a run can be interrupted while tasks are in flight."""
    from smfe import solve

    time.sleep(float(options.get("sleep", 1.0)))
    return solve(game, "pgd")


def abort_now(game: Any, options: dict[str, Any], theta: Any) -> Any:
    os.abort()  # SIGABRT, as a solver's failed assertion in C would


def hang(game: Any, options: dict[str, Any], theta: Any) -> Any:
    time.sleep(600)


def allocate(game: Any, options: dict[str, Any], theta: Any) -> Any:
    block = np.ones(int(float(options["gib"]) * 2**30 / 8))
    return float(block.sum())


def raise_error(game: Any, options: dict[str, Any], theta: Any) -> Any:
    raise ValueError("a deliberate failure")


def not_a_result(game: Any, options: dict[str, Any], theta: Any) -> Any:
    return 42
