"""Benchmark: MILP (F2b, HiGHS and SCIP) size and time against menu and game size; F3 (cvxpy) against F1.

MILP: Garnet games (τ = 0, finite horizon 3, toll grid per zone), big-M per row: HiGHS
from the MIP start (the default), HiGHS without it and SCIP from it, on the same model with
the same time limit; prints a Markdown table of label, gap and time. Convex route: finite-horizon soft MFE at fixed θ, Clarabel vs
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


def milp_cell(g: smfe.Game, grid: list[list[float]], limit: float, **opts: object) -> str:
    """'label, gap, time' of one MILP solve (or why it failed)."""
    t = time.perf_counter()
    try:
        r = smfe.solve(g, "milp", {"grid": grid, "time_limit": limit, **opts})
        out = f"{r.optimality.value}, gap {r.history['gap'][0]:.1e}"
    except smfe.SolveFailed:
        out = "no feasible point"
    return f"{out}, {time.perf_counter() - t:.1f} s"


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
    cells = [
        milp_cell(g, grid, limit),
        milp_cell(g, grid, limit, start=False),
        milp_cell(g, grid, limit, solver="scip"),
    ]
    print(
        f"| {n_states} × {n_actions} | {levels**g.n_theta} | {3 * n_states * n_actions} | "
        + " | ".join(cells)
        + " |",
        flush=True,
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
    print(
        "| states × actions | menu | support binaries | HiGHS, MIP start (default) "
        "| HiGHS, no start | SCIP, MIP start |"
    )
    print("|---|---|---|---|---|---|")
    for n_states, n_actions, levels in [
        (5, 2, 2),
        (5, 2, 4),
        (8, 3, 2),
        (8, 3, 4),
        (12, 3, 3),
        (20, 4, 3),
        (40, 4, 3),
    ]:
        milp_row(n_states, n_actions, levels, limit)


if __name__ == "__main__":
    main()
