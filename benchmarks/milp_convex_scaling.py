"""Benchmark: MILP (F2b, HiGHS) size and time against menu and game size; F3 (cvxpy) against F1.

MILP: Garnet games (τ = 0, finite horizon 3, toll grid per zone), HiGHS with a time limit;
prints binaries, time, gap. Convex route: finite-horizon soft MFE at fixed θ, Clarabel vs
F1 (casadi backend) vs the iterative solver, as ratios measured in the same run.

    python benchmarks/milp_convex_scaling.py [--time-limit 60] [--part all|milp|convex]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import smfe


def milp_row(n_states: int, n_actions: int, levels: int, limit: float) -> None:
    g = smfe.make_instance(
        "garnet",
        tau=0.0,
        balance_weight=0.0,
        n_states=n_states,
        n_actions=n_actions,
        n_zones=2,
        horizon=3,
        seed=1,
    )
    grid = [list(np.linspace(0.0, 1.0, levels))] * g.n_theta
    t = time.perf_counter()
    try:
        r = smfe.solve(g, "milp", {"grid": grid, "time_limit": limit})
        gap = r.history["gap"][0]
        status = str(r.status)
    except smfe.SolveFailed as exc:
        gap, status = float("nan"), f"failed: {exc}"
    sec = time.perf_counter() - t
    pairs = 3 * n_states * n_actions
    print(
        f"  states {n_states:3d} actions {n_actions} menu {levels**g.n_theta:3d}  "
        f"support binaries {pairs:5d}  {sec:8.2f} s  gap {gap:.1e}  {status}"
    )


def convex_row(n_states: int, horizon: int) -> None:
    g = smfe.make_instance("garnet", n_states=n_states, horizon=horizon, n_actions=4, seed=1)
    out = {}
    for name, run in [
        ("iterative", lambda: smfe.solve(g, "mfe")),
        (
            "F1 (casadi)",
            lambda: smfe.solve(g, "soft-nlp", {"fix_theta": True, "backend": "casadi"}),
        ),
        ("F3 (Clarabel)", lambda: smfe.solve(g, "convex-mfe")),
    ]:
        t = time.perf_counter()
        r = run()
        out[name] = (time.perf_counter() - t, r)
    base = out["F1 (casadi)"][0]
    cells = "  ".join(f"{k} {v[0]:.2f} s ({v[0] / base:.2f}x F1)" for k, v in out.items())
    agree = smfe.agree([v[1] for v in out.values()], smfe.AgreeTolerances(1e-6, 0.0, 1e-6, 1e-6)).ok
    print(
        f"  states {n_states:4d} T {horizon:2d} ({n_states * 4 * horizon} pair-steps): {cells}  agree={agree}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--part", choices=("all", "milp", "convex"), default="all")
    args = ap.parse_args()
    if args.part in ("all", "milp"):
        milp_rows(args.time_limit)
    if args.part in ("all", "convex"):
        print("Convex route (F3) against F1 at fixed θ:")
        for n_states, horizon in [(10, 5), (50, 10), (200, 10)]:
            convex_row(n_states, horizon)


def milp_rows(limit: float) -> None:
    print("MILP (F2b) over a toll grid, finite horizon 3:")
    for n_states, n_actions, levels in [
        (5, 2, 2),
        (5, 2, 4),
        (8, 3, 2),
        (8, 3, 4),
        (12, 3, 3),
        (20, 4, 3),
    ]:
        milp_row(n_states, n_actions, levels, limit)


if __name__ == "__main__":
    main()
