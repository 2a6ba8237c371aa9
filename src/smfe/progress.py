"""Progress on stderr for long runs: a tqdm bar on a terminal; elsewhere (CI logs, pipes) one
line at most every ``every`` seconds (and the last one), so a long run writes a short,
readable log."""

from __future__ import annotations

import sys
import time
from typing import Any


class Ticker:
    """Counts steps of ``desc``; ``total`` when known (a bar with an end)."""

    def __init__(
        self,
        desc: str,
        total: int | None = None,
        unit: str = "it",
        quiet: bool = False,
        every: float = 10.0,
    ) -> None:
        self.desc, self.total, self.quiet, self.every = desc, total, quiet, every
        self.n, self.t0 = 0, time.perf_counter()
        self.last = self.t0
        self.bar: Any = None
        if sys.stderr.isatty() and not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def tick(self, postfix: str, line: str) -> None:
        """One step done: ``postfix`` beside the bar, or ``line`` in the log when it is due."""
        self.n += 1
        now = time.perf_counter()
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(postfix)
        elif not self.quiet and (now - self.last >= self.every or self.n == self.total):
            self.last = now
            print(f"smfe: {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
