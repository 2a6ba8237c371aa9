r"""The size guard: refuse an instance whose declared sizes exceed a budget, before allocating.

From the sizes an input declares — state-action pairs per step, decision steps, dense array
entries and transition non-zeros — the working memory of a solve is estimated as

.. math:: 8\,\mathrm{B}\times\big(\text{entries} + 2\,\text{nnz}
          + 16\times\text{pairs}\times\text{steps}\big),

(the arrays themselves, the sparse kernels with their indices, and about sixteen vectors per
state-action-step for the iterates of the solvers and the certificate), and the work by the
number of state-action-steps. Above :class:`Budget` the input is refused with a typed error
that says how to raise the budget; nothing is allocated first.
"""

from __future__ import annotations

from dataclasses import dataclass

from smfe.errors import InstanceError

GIB = 1024**3


@dataclass(frozen=True)
class Budget:
    """Limits on an instance's declared size (raise them for a bigger machine).

    ``max_bytes``: estimated working memory (default 8 GiB, a third of the 24-GiB machines
    smfe is tested on); ``max_pair_steps``: state-action pairs × decision steps, a proxy for
    the time of a solve (default 2·10⁷, about 200× the 10⁵-pair benchmark game, whose MFE
    takes about a second).
    """

    max_bytes: int = 8 * GIB
    max_pair_steps: int = 20_000_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pair_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise InstanceError(f"budget.{name}", f"must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class Sizes:
    """What an instance declares: pairs per step, steps, dense entries, kernel non-zeros."""

    pairs: int
    steps: int = 1
    entries: int = 0
    nnz: int = 0

    @property
    def pair_steps(self) -> int:
        return self.pairs * self.steps

    @property
    def bytes(self) -> int:
        return 8 * (self.entries + 2 * self.nnz + 16 * self.pair_steps)


def check_size(sizes: Sizes, budget: Budget | None, field: str) -> None:
    """Raise :class:`InstanceError` on ``field`` if ``sizes`` exceed ``budget``."""
    b = budget or Budget()
    if sizes.pair_steps > b.max_pair_steps:
        raise InstanceError(
            field,
            f"declares {sizes.pair_steps:,} state-action-steps ({sizes.pairs:,} pairs × "
            f"{sizes.steps:,} steps), above the budget of {b.max_pair_steps:,} "
            "(raise it with Budget(max_pair_steps=...) or --max-pair-steps)",
        )
    if sizes.bytes > b.max_bytes:
        raise InstanceError(
            field,
            f"needs about {sizes.bytes / GIB:.3g} GiB of memory, above the budget of "
            f"{b.max_bytes / GIB:.3g} GiB (raise it with Budget(max_bytes=...) or "
            "--max-memory GIB)",
        )
