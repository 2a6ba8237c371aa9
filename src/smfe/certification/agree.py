"""``agree(results, tol)``: do results of different methods describe the same S-MFE?

Pairwise differences: leader objective (relative to max(1, |J|)), θ (max-norm), ν (L1 summed
over types and steps) and π (max-norm over states the mean field visits, μ > ``mass``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from smfe.solvers.result import Result


@dataclass(frozen=True)
class AgreeTolerances:
    """Named tolerances of :func:`agree`; ``objective=None`` leaves the objectives out (for
    results that answer different leader objectives, e.g. an MFE alone vs a leader solve)."""

    objective: float | None = 1e-6
    theta: float = 1e-5
    nu: float = 1e-6
    policy: float = 1e-5
    mass: float = 1e-8


@dataclass(frozen=True)
class Agreement:
    """Pairwise differences keyed by ``(method_i, method_j)`` and whether all are within tol."""

    ok: bool
    differences: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    tolerances: AgreeTolerances = AgreeTolerances()

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"agreement: {'YES' if self.ok else 'NO'}"]
        for (a, b), d in self.differences.items():
            parts = ", ".join(f"{k} {v:.2e}" for k, v in d.items())
            lines.append(f"  {a} vs {b}: {parts}")
        return "\n".join(lines)


def differences(a: Result, b: Result, mass: float = 1e-8) -> dict[str, float]:
    obj = abs(a.objective - b.objective) / max(1.0, abs(a.objective), abs(b.objective))
    th = float(np.abs(a.theta - b.theta).max(initial=0.0))
    nu = float(sum(np.abs(x - y).sum() for x, y in zip(a.nu, b.nu, strict=True)))
    pol = 0.0
    for pa, pb, mu in zip(a.policy, b.policy, a.mu, strict=True):
        visited = mu > mass
        if visited.any():
            pol = max(pol, float(np.abs(pa - pb)[visited].max()))
    return {"objective": obj, "theta": th, "nu": nu, "policy": pol}


def agree(results: Sequence[Result], tol: AgreeTolerances | float | None = None) -> Agreement:
    """Compare every pair of ``results``; a float ``tol`` applies to all four measures."""
    if isinstance(tol, int | float):
        t = AgreeTolerances(float(tol), float(tol), float(tol), float(tol))
    else:
        t = tol or AgreeTolerances()
    diffs: dict[tuple[str, str], dict[str, float]] = {}
    ok = True
    for i in range(len(results)):
        for j in range(i + 1, len(results)):
            d = differences(results[i], results[j], t.mass)
            key = (f"{i}:{results[i].method}", f"{j}:{results[j].method}")
            diffs[key] = d
            ok &= (
                (t.objective is None or d["objective"] <= t.objective)
                and d["theta"] <= t.theta
                and d["nu"] <= t.nu
                and d["policy"] <= t.policy
            )
    return Agreement(ok, diffs, t)
