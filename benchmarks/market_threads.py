"""Benchmark: the tariff study's baselines and SQP starts on threads against one at a time.

``solve_tariff(mg, workers=1)`` runs the three revenue-neutral baselines and the three SQP
starts one after the other (the default); ``workers=3`` (``smfe market``'s) all three at once on threads
(:mod:`smfe.threads`). Both in the same run, on the reference instance (and, with
``--utility``, on CA-utility-10D: ~17 minutes), with the answers compared. Run:

    python benchmarks/market_threads.py [--utility]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from smfe.market import Weights, market_game, reference_instance, solve_tariff
from smfe.market.utility import utility_instance


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--utility", action="store_true", help="also CA-utility-10D (~17 min)")
    args = ap.parse_args()
    cases = [("CA-summer-weekday-4G", reference_instance)]
    if args.utility:
        cases.append(("CA-utility-10D", utility_instance))
    print("| instance | one at a time (s) | all at once (s) | ratio | same optimum |")
    print("|---|---|---|---|---|")
    for name, make in cases:
        mg = market_game(make())
        times, studies = [], []
        for workers in (1, 3):
            t0 = time.perf_counter()
            studies.append(solve_tariff(mg, Weights(), workers=workers))
            times.append(time.perf_counter() - t0)
        one, many = studies
        same = abs(one.optimal.objective - many.optimal.objective) <= 1e-9 and (
            one.certified and many.certified
        )
        print(
            f"| {name} | {times[0]:.1f} | {times[1]:.1f} | {times[0] / times[1]:.2f}× | "
            f"{'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
