"""Benchmark: method ``global`` (F1 by SCIP, finished by pgd) against the local methods.

Soft Garnet games of growing size (2 actions, one type, horizon 3, two toll zones) and the
subsidy trap: the time to a proven global optimum (or the gap left at the time limit), next
to ``pgd`` in the same run — its time as the baseline, and whether it found the same J. Then
exact (τ = 0) Garnet games (one type, horizon 3): support binaries against the time to a
proven optimum or the gap left. Prints the Markdown tables of the README. Run:

    python benchmarks/global_scip.py [--states 3,4,6,8] [--exact 5x2,12x3,20x4,40x4]
                                     [--time-limit 60]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import smfe


def timed(game: smfe.Game, method: str, options: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = smfe.solve(game, method, options)
    return result, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--states", default="3,4,6,8")
    ap.add_argument("--exact", default="5x2,12x3,20x4,40x4")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    games = [("subsidy-trap", smfe.make_instance("subsidy-trap"))]
    for s in (int(v) for v in args.states.split(",")):
        g = smfe.make_instance("garnet", n_states=s, n_actions=2, n_types=1, horizon=3, n_zones=2)
        games.append((f"garnet {s}×2×3", g))
    print(
        "| game | pair-steps | `global`: label, gap, time | `pgd`: J vs global, time "
        "| global / pgd time |"
    )
    print("|---|---|---|---|---|")
    for name, g in games:
        pairs = sum(int(t.mask.sum()) for t in g.types) * (g.horizon.T if g.finite else 1)
        glob, t_glob = timed(g, "global", {"time_limit": args.time_limit})
        loc, t_loc = timed(g, "pgd")
        gap = glob.history["gap"][0]
        diff = loc.objective - glob.objective
        print(
            f"| {name} | {pairs} | {glob.optimality}, {gap:.1e}, {t_glob:.1f} s | "
            f"{diff:+.1e}, {t_loc:.2f} s | {t_glob / t_loc:.0f}× |",
            flush=True,
        )
    print()
    print("| exact game | support binaries | `global`: label, gap, time |")
    print("|---|---|---|")
    for size in args.exact.split(","):
        s_, a_ = (int(v) for v in size.split("x"))
        g = smfe.make_instance(
            "garnet", tau=0.0, n_states=s_, n_actions=a_, n_types=1, horizon=3, n_zones=2
        )
        glob, t_glob = timed(g, "global", {"time_limit": args.time_limit})
        print(
            f"| garnet {s_}×{a_}×3 | {s_ * a_ * 3} | {glob.optimality} ({glob.status}), "
            f"{glob.history['gap'][0]:.1e}, {t_glob:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
