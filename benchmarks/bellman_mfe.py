"""Benchmark: one soft Bellman sweep and a certified MFE on a Garnet game of 10^5 pairs.

Figures are ratios against a baseline measured in the same run: a bare ``scipy.sparse``
mat-vec ``P @ V`` over the same kernel. Run:

    python benchmarks/bellman_mfe.py [--states 10000 --actions 10 --branching 5]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import smfe
from smfe.certification.certificate import certify_point
from smfe.game.compiled import compile_game
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.solvers.response import soft_max, soft_value


def best_of(fn, repeat: int = 30) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--states", type=int, default=10_000)
    ap.add_argument("--actions", type=int, default=10)
    ap.add_argument("--branching", type=int, default=5)
    ap.add_argument("--tau", type=float, default=0.2)
    ap.add_argument("--gamma", type=float, default=0.9)
    args = ap.parse_args()
    t = time.perf_counter()
    game = smfe.make_instance(
        "garnet",
        n_states=args.states,
        n_actions=args.actions,
        branching=args.branching,
        n_types=1,
        n_zones=10,
        tau=args.tau,
        gamma=args.gamma,
    )
    cg = compile_game(game)
    build = time.perf_counter() - t
    theta = game.start()
    P = cg.transition(theta)
    rng = np.random.default_rng(0)
    V = rng.standard_normal(cg.n_s)
    nu = np.full((1, cg.n_sa), 1.0 / cg.n_sa)
    r = cg.reward(theta, nu)[0]
    matvec = best_of(lambda: P @ V)
    sweep = best_of(lambda: soft_value(cg, r + cg.gamma * (P @ V), game.tau))
    sweep_pi = best_of(lambda: soft_max(cg, r + cg.gamma * (P @ V), game.tau))
    print(
        f"game: {cg.n_sa} state-action pairs, {cg.n_s} states, nnz(P) = {P.nnz}, built in {build:.2f} s"
    )
    print(f"bare P @ V mat-vec        {matvec * 1e3:8.3f} ms   (baseline 1.00x)")
    print(f"soft Bellman sweep (V)    {sweep * 1e3:8.3f} ms   ({sweep / matvec:.2f}x the mat-vec)")
    print(
        f"sweep with policy (V, π)  {sweep_pi * 1e3:8.3f} ms   ({sweep_pi / matvec:.2f}x the mat-vec)"
    )
    t = time.perf_counter()
    sol = solve_mfe(cg, theta, MFEOptions(tol=1e-8))
    solve_time = time.perf_counter() - t
    t = time.perf_counter()
    cert = certify_point(cg, theta, sol.nu, sol.policy, sol.value)
    cert_time = time.perf_counter() - t
    print(
        f"MFE to residual 1e-8     {solve_time:8.2f} s    ({solve_time / matvec:.0f} mat-vecs; "
        f"{sol.iterations} fixed-point iterations, residual {sol.residual:.1e}, {sol.termination.value})"
    )
    print(
        f"certificate              {cert_time:8.2f} s    passed={cert.passed} {dict(cert.residuals)}"
    )


if __name__ == "__main__":
    main()
