r"""Tariff rules a commission imposes, as constraints r(θ, y, N) ≤ 0 of the leader problem.

* **bill-impact cap** (``bill_cap`` = c): every income group's average daily bill may rise
  by at most the fraction c over its bill under a reference tariff,
  :math:`b_g(\theta) - (1 + c)\,b^{\rm ref}_g \le 0` (the reference bills are the
  revenue-neutral ``reference`` baseline's, computed with the same follower model);
* **peak cap** (``peak_cap`` = P kW per household): the net load stays below P in every hour,
  :math:`N_h - P \le 0` for h = 0..23 (exact and linear in N, unlike the smooth maximum of
  the objective).

Rows are written with the outcomes of :mod:`smfe.market.metrics`, so the same expressions
serve floats, CasADi (the reduced-space SQP) and the full-space NLP. Their multipliers in the
KKT conditions are the rules' shadow prices: the first-order gain of the leader objective
($/household/day) per unit relaxation ($/day of bill for the bill caps, kW for the peak).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from smfe.errors import InstanceError
from smfe.market.data import HOURS

REFERENCES = ("flat", "tou", "real-time")


@dataclass(frozen=True)
class Rules:
    """Which rules apply (module docstring); ``None`` leaves a rule out."""

    bill_cap: float | None = None
    peak_cap: float | None = None
    reference: str = "flat"

    def __post_init__(self) -> None:
        for name in ("bill_cap", "peak_cap"):
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
                raise InstanceError(f"rules.{name}", f"must be a finite number, got {v!r}")
            if name == "peak_cap" and v <= 0.0:
                raise InstanceError("rules.peak_cap", f"must be > 0 kW, got {v}")
            if name == "bill_cap" and v <= -1.0:
                raise InstanceError("rules.bill_cap", f"must exceed -1 (a fraction), got {v}")
            object.__setattr__(self, name, float(v))
        if self.reference not in REFERENCES:
            raise InstanceError(
                "rules.reference", f"must be one of {REFERENCES}, got {self.reference!r}"
            )

    @property
    def active(self) -> bool:
        return self.bill_cap is not None or self.peak_cap is not None

    def names(self, n_groups: int, group_names: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Row names, in the order of :meth:`rows`."""
        out: list[str] = []
        if self.bill_cap is not None:
            labels = group_names or tuple(str(g) for g in range(n_groups))
            out += [f"bill_cap[{g}]" for g in labels]
        if self.peak_cap is not None:
            out += [f"peak_cap[{h:02d}h]" for h in range(HOURS)]
        return tuple(out)

    def rows(self, out: dict[str, Any], reference: Any) -> list[Any]:
        """r(θ, y, N) ≤ 0 from the outcomes ``out``; ``reference`` holds the groups'
        reference bills (floats or a backend's parameters)."""
        rows: list[Any] = []
        if self.bill_cap is not None:
            bills = out["group_bill"]
            rows += [bills[g] - (1.0 + self.bill_cap) * reference[g] for g in range(len(bills))]
        if self.peak_cap is not None:
            rows += [out["net_load"][h] - self.peak_cap for h in range(HOURS)]
        return rows
