"""Benchmark: ``smfe.mpec.solve`` on the MacMPEC test set (tests/mpec/macmpec.py) against
plain Ipopt on the same models.

Plain Ipopt is what a Pyomo user gets without smfe.mpec: Pyomo's ``mpec.simple_nonlinear``
transformation (each pair as a product ≤ 0) solved once by ``smfe_ipopt`` from the model's
start. A problem counts as *reached* when the objective is within 1e-5 (relative, at least
absolute) of the published optimum and the complementarity residual, computed on the
user's model, is at most 1e-6. Times are per problem; the plain solve is the baseline
measured in the same run. Prints the Markdown table of docs/formulations.md. Run:

    python benchmarks/mpec_testset.py [--time-limit 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pyomo.environ as pyo

import smfe.ipopt  # noqa: F401  (registers smfe_ipopt with Pyomo)
import smfe.mpec as mp
from smfe.mpec.certify import certify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mpec"))
from macmpec import PROBLEMS, Problem

REACH, COMP = 1e-5, 1e-6


def reached(p: Problem, f: float, comp: float) -> bool:
    return abs(f - p.optimum) <= REACH * max(1.0, abs(p.optimum)) and comp <= COMP


def plain(p: Problem) -> tuple[float, float, float]:
    """(objective, complementarity on the user's model, seconds) of plain Ipopt."""
    m = p.build()
    t0 = time.perf_counter()
    pyo.TransformationFactory("mpec.simple_nonlinear").apply_to(m)
    res = pyo.SolverFactory("smfe_ipopt").solve(m, load_solutions=False)
    seconds = time.perf_counter() - t0
    if len(res.solution) == 0:
        return float("nan"), float("inf"), seconds
    m.solutions.load_from(res)
    user = p.build()
    for v in user.component_data_objects(pyo.Var):
        v.set_value(m.find_component(v.name).value, skip_validation=True)
    f = float(pyo.value(next(user.component_data_objects(pyo.Objective, active=True))))
    return f, certify(user, 1e-8).complementarity, seconds


def ours(p: Problem, strategy: str, limit: float) -> tuple[mp.MPECResult, float]:
    t0 = time.perf_counter()
    res = mp.solve(p.build(), strategy, mp.MPECOptions(time_limit=limit))
    return res, time.perf_counter() - t0


def cell(p: Problem, res: mp.MPECResult, seconds: float, base: float) -> str:
    mark = "✓" if reached(p, res.objective, res.complementarity) else "✗"
    label = res.optimality.value
    return f"{mark} {res.objective:.6g}, {label}, {seconds:.2f} s ({seconds / base:.1f}×)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    print(
        "| problem | pairs | published | plain Ipopt: objective, complementarity, time "
        "| `homotopy`: objective, label, time (× plain) | `global` | stationarity (`global`) |"
    )
    print("|---|---|---|---|---|---|---|")
    counts: dict[str, int] = {"plain": 0, "homotopy": 0, "global": 0, "proven": 0}
    totals: dict[str, float] = {"plain": 0.0, "homotopy": 0.0, "global": 0.0}
    for p in PROBLEMS:
        f, comp, t_plain = plain(p)
        hom, t_hom = ours(p, "homotopy", args.time_limit)
        glob, t_glob = ours(p, "global", args.time_limit)
        counts["plain"] += reached(p, f, comp)
        counts["homotopy"] += reached(p, hom.objective, hom.complementarity)
        counts["global"] += reached(p, glob.objective, glob.complementarity)
        counts["proven"] += glob.optimality.value == "global"
        for k, t in (("plain", t_plain), ("homotopy", t_hom), ("global", t_glob)):
            totals[k] += t
        mark = "✓" if reached(p, f, comp) else "✗"
        row: list[Any] = [
            p.name,
            glob.n_pairs,
            f"{p.optimum:g}",
            f"{mark} {f:.6g}, {comp:.1e}, {t_plain:.2f} s",
            cell(p, hom, t_hom, t_plain),
            cell(p, glob, t_glob, t_plain),
            glob.stationarity.split(" (")[0],
        ]
        print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    n = len(PROBLEMS)
    print()
    print(
        f"Reached the published optimum (objective within {REACH:g}, complementarity ≤ "
        f"{COMP:g}): plain Ipopt {counts['plain']}/{n}, `homotopy` {counts['homotopy']}/{n}, "
        f"`global` {counts['global']}/{n}, of which proven global {counts['proven']}/{n}. "
        f"Total time: plain {totals['plain']:.1f} s, `homotopy` {totals['homotopy']:.1f} s, "
        f"`global` {totals['global']:.1f} s (SCIP limit {args.time_limit:g} s)."
    )


if __name__ == "__main__":
    main()
