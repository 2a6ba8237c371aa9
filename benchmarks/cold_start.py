"""Benchmark: F1 (soft-nlp, the MFE alone) from its own starting point vs warm-started.

Seeded random Garnet games with weak (|c| ≤ 1), medium (|c| ≤ 10) and strong (20 ≤ |c| ≤ 50)
zone coupling of either sign, γ ∈ {0.9, 0.99}, 10–60 states, 1–3 types, τ ∈ [0.05, 1]
(log-uniform), and the reference market's follower MFE. Per backend and starting point —
``bounds`` (every variable at its layout default), ``uniform`` (the uniform policy's flow and
values), ``response`` (the response to the uniform flow and its flow — what a written model
carries), ``default`` (``response``, then the others if Ipopt ends uncertified: the method's
default) and ``warm`` (the iterative solver's MFE) — it reports the certified rate (overall
and by coupling strength), how often the certified MFE is the iterative solver's (games with
c < 0 may have several), the median Ipopt iterations, the median time and the median ratio
to the iterative solver's time measured on the same game in the same run. ``--grid L,W``
runs one structured game instead (soft crowd motion on an L × W grid). Run:

    python benchmarks/cold_start.py [--games 100] [--backends pyomo,casadi,callbacks]
        [--starts bounds,uniform,response,default,warm] [--market] [--max-time 60]
    python benchmarks/cold_start.py --grid 100,50 --backends callbacks --max-time 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import smfe

STRENGTHS = ("weak", "medium", "strong")


def random_game(seed: int) -> tuple[smfe.Game, str]:
    """Game ``seed``: its coupling strength cycles weak, medium, strong."""
    rng = np.random.default_rng(seed)
    strength = STRENGTHS[seed % 3]
    c = {
        "weak": rng.uniform(-1.0, 1.0),
        "medium": rng.uniform(-10.0, 10.0),
        "strong": rng.choice([-1.0, 1.0]) * rng.uniform(20.0, 50.0),
    }[strength]
    game = smfe.make_instance(
        "garnet",
        n_states=int(rng.choice([10, 20, 40, 60])),
        n_actions=int(rng.integers(2, 5)),
        n_types=int(rng.integers(1, 4)),
        n_zones=int(rng.integers(2, 5)),
        congestion=float(c),
        gamma=float(rng.choice([0.9, 0.99])),
        tau=float(10 ** rng.uniform(np.log10(0.05), 0.0)),
        seed=seed,
    )
    return game, f"{strength} (c = {c:+.1f})"


def timed(game: smfe.Game, method: str, options: dict[str, object]) -> tuple[smfe.Result, float]:
    t0 = time.perf_counter()
    result = smfe.solve(game, method, options)
    return result, time.perf_counter() - t0


def grid(length: int, width: int, backends: list[str], max_time: float) -> None:
    """Cold F1 on a structured kernel: soft crowd motion (τ = 0.5, c = 2, ε = 1e-3, T = 3)
    on a ``length`` × ``width`` grid, 20·L·W state-action-steps."""
    game = smfe.make_instance(
        "crowd-motion", torus_l=length, torus_w=width, T=3, tau=0.5, c=2.0, log_eps=1e-3
    )
    pairs = sum(t.n_states * t.n_actions for t in game.types) * 4
    it, t_it = timed(game, "mfe", {})
    print(f"crowd motion {length} × {width}: {pairs:,} state-action-steps")
    print(f"iterative: {it.status}, {t_it:.1f} s")
    for backend in backends:
        opts = {"backend": backend, "warm_start": False, "ipopt": {"max_wall_time": max_time}}
        res, t = timed(game, "soft-nlp", opts)
        same = bool(smfe.agree([it, res]))
        print(
            f"cold F1 ({backend}): {res.status}, {res.iterations} Ipopt iterations, {t:.1f} s "
            f"({t / t_it:.1f}× iterative), same MFE: {same}; {res.message}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--backends", default="pyomo,casadi,callbacks")
    ap.add_argument("--starts", default="bounds,uniform,response,default,warm")
    ap.add_argument("--market", action="store_true", help="add the reference market's MFE")
    ap.add_argument("--max-time", type=float, default=60.0, help="Ipopt wall-time limit, s")
    ap.add_argument("--verbose", action="store_true", help="one line per solve")
    ap.add_argument(
        "--grid",
        default="",
        help="L,W: instead, one structured game — crowd motion (soft) on an L × W grid",
    )
    args = ap.parse_args()
    if args.grid:
        length, width = (int(n) for n in args.grid.split(","))
        grid(length, width, args.backends.split(","), args.max_time)
        return
    backends = args.backends.split(",")
    starts = args.starts.split(",")
    games = [random_game(s) for s in range(args.games)]
    if args.market:
        from smfe.market import market_game, reference_instance

        games.append((market_game(reference_instance()).game, "market"))
    Row = tuple[bool, bool, int, float, float, str]
    rows: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for k, (game, label) in enumerate(games):
        it, t_it = timed(game, "mfe", {})
        for backend in backends:
            for start in starts:
                opts: dict[str, object] = {
                    "fix_theta": True,
                    "backend": backend,
                    "warm_start": start == "warm",
                    "ipopt": {"max_wall_time": args.max_time},
                }
                if start not in ("warm", "default"):
                    opts["initial"], opts["fallback"] = start, False
                res, t = timed(game, "soft-nlp", opts)
                same = res.status.ok and it.status.ok and bool(smfe.agree([it, res]))
                group = label.split(" ")[0]
                rows[(backend, start)].append(
                    (res.status.ok, same, res.iterations, t, t / t_it, group)
                )
                if args.verbose:
                    print(
                        f"game {k} {label} {backend} {start}: {res.status}, "
                        f"{res.iterations} it, {t:.2f} s (iterative {t_it:.3f} s)",
                        flush=True,
                    )
    print(
        "| backend | start | certified | weak | medium | strong | market | same MFE as "
        "iterative | median Ipopt iterations | median time | median time / iterative |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (backend, start), rs in rows.items():

        def rate(group: str | None, col: int = 0, rs: list[Row] = rs) -> str:
            sel = [r for r in rs if group is None or r[5] == group]
            return f"{sum(bool(r[col]) for r in sel)}/{len(sel)}" if sel else "—"

        print(
            f"| {backend} | {start} | {rate(None)} | {rate('weak')} | {rate('medium')} | "
            f"{rate('strong')} | {rate('market')} | {rate(None, 1)} | "
            f"{statistics.median(r[2] for r in rs):.0f} | "
            f"{statistics.median(r[3] for r in rs):.2f} s | "
            f"{statistics.median(r[4] for r in rs):.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
