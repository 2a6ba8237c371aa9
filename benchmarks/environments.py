"""Benchmark: the standard MFG environments at their MFGLib defaults, exact and soft.

For each environment: the exact game (τ = 0, fictitious play) — the literature's
exploitability it reaches and the time — and the soft game at τ = 0.05 (fixed point + Newton)
— whether it is certified and the time; the ratio is against the exact run's time in the
same process. Prints the Markdown table of the README. Run:

    python benchmarks/environments.py [--tau 0.05] [--names a,b,...]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import smfe

NAMES = (
    "left-right",
    "rock-paper-scissors",
    "beach-bar",
    "equilibrium-price",
    "crowd-motion",
    "building-evacuation",
    "susceptible-infected",
)


def run(name: str, tau: float) -> tuple[smfe.Result, float]:
    game = smfe.make_instance(name, tau=tau)
    t0 = time.perf_counter()
    result = smfe.solve(game, "mfe")
    return result, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--names", default=",".join(NAMES), help="comma-separated environments")
    args = ap.parse_args()
    print(
        f"| environment | τ = 0: literature exploitability, time | τ = {args.tau}: certified, "
        "time | soft / exact time |"
    )
    print("|---|---|---|---|")
    for name in args.names.split(","):
        exact, t_exact = run(name, 0.0)
        soft, t_soft = run(name, args.tau)
        assert exact.certificate is not None
        expl = exact.certificate.extra["exploitability_literature"]
        ok = "yes" if soft.status.ok else f"no ({soft.status})"
        print(
            f"| {name} | {expl:.1e}, {t_exact:.1f} s | {ok}, {t_soft:.2f} s | "
            f"{t_soft / t_exact:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
