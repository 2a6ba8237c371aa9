"""Benchmark: the utility-scale market instance against the reference, in the same run.

For "CA-utility-10D" (10 income deciles × 3 endowments, weather, flexible load; 186,000
follower state-action pairs) and the reference "CA-summer-weekday-4G" (3,552 pairs), at the
start tariff of the default family, it measures

* building the game;
* the followers' MFE, certified (method ``mfe``: iterative solver + the independent
  certificate);
* F1 cold: the soft-NLP with θ fixed from its own starting point (``warm_start`` off,
  CasADi backend, an Ipopt wall-time limit), certified by the same certificate;
* one reduced-space tariff point with exact gradients (the unit of the SQP's work) and,
  with ``--study``, the whole tariff study (baselines + SQP + cross-check), from the three
  baselines at once (the default) and from the best one (``multistart=False``);

and prints a Markdown table with the ratios utility / reference. Run:

    python benchmarks/market_scale.py [--study] [--max-time 600]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import smfe
from smfe.market import Weights, market_game, reference_instance, solve_tariff
from smfe.market.leader import DIRECT_LIMIT, MarketEvaluator
from smfe.market.utility import utility_instance
from smfe.solvers import linalg


def measure(name: str, market: object, max_time: float, study: bool) -> dict[str, object]:
    out: dict[str, object] = {"instance": name}
    t0 = time.perf_counter()
    mg = market_game(market)  # type: ignore[arg-type]
    out["build"] = time.perf_counter() - t0
    out["pairs"] = mg.game.n_state_actions
    theta = mg.game.start()
    t0 = time.perf_counter()
    it = smfe.solve(mg.game, "mfe", theta=theta)
    out["mfe"] = time.perf_counter() - t0
    out["mfe_status"] = str(it.status)
    t0 = time.perf_counter()
    f1 = smfe.solve(
        mg.game,
        "soft-nlp",
        {
            "fix_theta": True,
            "backend": "casadi",
            "warm_start": False,
            "ipopt": {"max_wall_time": max_time},
        },
        theta=theta,
    )
    out["f1_cold"] = time.perf_counter() - t0
    out["f1_status"] = f"{f1.status}, {f1.iterations} Ipopt iterations"
    out["f1_agrees"] = bool(f1.status.ok and smfe.agree([it, f1]))
    ev = MarketEvaluator(mg, Weights(), rules=mg.market.rules)
    ev.point(theta, gradients=False)  # warm the evaluator: the SQP's points are warm too
    t0 = time.perf_counter()
    with linalg.direct_solves_up_to(DIRECT_LIMIT):
        ev.point(theta * 1.001)
    out["point"] = time.perf_counter() - t0
    if study:
        for key, multistart in (("study", True), ("study_single", False)):
            t0 = time.perf_counter()
            st = solve_tariff(mg, Weights(), multistart=multistart, workers=3)
            out[key] = time.perf_counter() - t0
            out[f"{key}_status"] = "certified" if st.certified else "NOT certified"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--study", action="store_true", help="also the whole tariff study")
    ap.add_argument("--max-time", type=float, default=600.0, help="Ipopt wall time of F1, s")
    args = ap.parse_args()
    rows = [
        measure("CA-summer-weekday-4G", reference_instance(), args.max_time, args.study),
        measure("CA-utility-10D", utility_instance(), args.max_time, args.study),
    ]
    ref, big = rows
    keys = [
        ("pairs", "state-action pairs", "{:,}"),
        ("build", "build the game (s)", "{:.1f}"),
        ("mfe", "MFE, certified (s)", "{:.1f}"),
        ("f1_cold", "F1 cold, θ fixed (s)", "{:.1f}"),
        ("point", "one tariff point with exact gradients (s)", "{:.1f}"),
    ]
    if args.study:
        keys.append(("study", "tariff study: baselines + 3 SQP starts + cross-check (s)", "{:.0f}"))
        keys.append(("study_single", "tariff study, `--single-start` (s)", "{:.0f}"))
    print("| | CA-summer-weekday-4G | CA-utility-10D | ratio |")
    print("|---|---|---|---|")
    for k, label, fmt in keys:
        a, b = ref[k], big[k]
        print(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.1f}× |")  # type: ignore[operator]
    for r in rows:
        print(
            f"{r['instance']}: MFE {r['mfe_status']}; F1 {r['f1_status']}, same MFE: "
            f"{r['f1_agrees']}"
            + (
                f"; study {r['study_status']}, single start {r['study_single_status']}"
                if "study" in r
                else ""
            )
        )


if __name__ == "__main__":
    main()
