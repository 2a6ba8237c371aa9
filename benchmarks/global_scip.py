"""Benchmark: method ``global`` (F1 by SCIP, finished by pgd) against the local methods.

Soft Garnet games of growing size (2 actions, one type, horizon 3, two toll zones) and the
subsidy trap: the time to a proven global optimum (or the gap left at the time limit), next
to ``pgd`` in the same run — its time as the baseline, and whether it found the same J. Then
exact (τ = 0) Garnet games (one type, horizon 3): pair-steps (complementarity pairs) against
the time to a proven optimum or the gap left, the default route (SOS1 pairs from a soft-pgd
incumbent) next to the big-M route without incumbent in the same run. Prints the Markdown
tables of the README. Run:

    python benchmarks/global_scip.py [--states 3,4,6,8] [--exact 5x2,12x3,20x4,40x4,60x4]
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
    ap.add_argument("--exact", default="5x2,12x3,20x4,40x4,60x4")
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
    print(
        "| exact game | pair-steps | `global` (SOS1 from the incumbent): label, gap, time "
        "| of which incumbent | big-M without incumbent (before): label, gap, time |"
    )
    print("|---|---|---|---|---|")
    for size in args.exact.split(","):
        s_, a_ = (int(v) for v in size.split("x"))
        g = smfe.make_instance(
            "garnet", tau=0.0, n_states=s_, n_actions=a_, n_types=1, horizon=3, n_zones=2
        )
        cells = [
            exact_cell(g, {"time_limit": args.time_limit}, incumbent=True),
            exact_cell(
                g,
                {"time_limit": args.time_limit, "exact_form": "bigm", "incumbent_tau": 0.0},
                incumbent=False,
            ),
        ]
        print(f"| garnet {s_}×{a_}×3 | {s_ * a_ * 3} | " + " | ".join(cells) + " |", flush=True)


def exact_cell(g: smfe.Game, options: dict[str, object], incumbent: bool) -> str:
    """'label (status), gap, time' [| incumbent time] of one exact `global` solve."""
    t0 = time.perf_counter()
    try:
        r = smfe.solve(g, "global", options)
    except smfe.SolveFailed:
        out = f"no feasible point, {time.perf_counter() - t0:.1f} s"
        return out + (" | –" if incumbent else "")
    out = (
        f"{r.optimality} ({r.status}), {r.history['gap'][0]:.1e}, {time.perf_counter() - t0:.1f} s"
    )
    return out + (f" | {r.timings.get('incumbent', 0.0):.1f} s" if incumbent else "")


if __name__ == "__main__":
    main()
