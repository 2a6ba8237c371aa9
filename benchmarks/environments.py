"""Benchmark: the standard MFG environments at their MFGLib defaults, exact and soft.

For each environment: the exact game (τ = 0) by ``mfe`` (fictitious play + support Newton)
and, where the game has a concave potential, by ``convex-mfe`` (one conic program + support
Newton) — the literature's exploitability each reaches and the time — and the soft game at
τ = 0.05 (fixed point + Newton) — whether it is certified and the time; the ratio is against
the exact ``mfe`` run's time in the same process. Prints the Markdown table of the README.
Run:

    python benchmarks/environments.py [--tau 0.05] [--names a,b,...]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import smfe
from smfe.game.potential import concave_potential

NAMES = (
    "left-right",
    "rock-paper-scissors",
    "beach-bar",
    "equilibrium-price",
    "crowd-motion",
    "building-evacuation",
    "susceptible-infected",
)


def run(name: str, tau: float, method: str = "mfe") -> tuple[smfe.Result, float]:
    game = smfe.make_instance(name, tau=tau)
    t0 = time.perf_counter()
    result = smfe.solve(game, method)
    return result, time.perf_counter() - t0


def literature(result: smfe.Result) -> float:
    assert result.certificate is not None
    return float(result.certificate.extra["exploitability_literature"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--names", default=",".join(NAMES), help="comma-separated environments")
    args = ap.parse_args()
    print(
        "| environment | τ = 0 `mfe`: literature exploitability, time | τ = 0 `convex-mfe` "
        f"(potential games): exploitability, time | τ = {args.tau}: certified, time "
        "| soft / exact `mfe` time |"
    )
    print("|---|---|---|---|---|")
    for name in args.names.split(","):
        exact, t_exact = run(name, 0.0)
        potential = concave_potential(smfe.make_instance(name, tau=0.0))[0] is not None
        if potential:
            cvx, t_cvx = run(name, 0.0, "convex-mfe")
            conic = f"{literature(cvx):.1e}, {t_cvx:.1f} s ({cvx.status})"
        else:
            conic = "– (no concave potential)"
        soft, t_soft = run(name, args.tau)
        ok = "yes" if soft.status.ok else f"no ({soft.status})"
        print(
            f"| {name} | {literature(exact):.1e}, {t_exact:.1f} s | {conic} | {ok}, "
            f"{t_soft:.2f} s | {t_soft / t_exact:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
