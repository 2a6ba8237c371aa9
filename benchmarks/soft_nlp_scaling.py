"""Benchmark: F1 soft-NLP with Ipopt against the iterative solver, by stage and backend.

For Garnet games of 10^3 and 10^4 (``--large``: also 3·10^4 and 10^5) state-action pairs at
a fixed θ (the MFE alone, warm-started from the iterative solution unless ``--cold``):

* ``pyomo`` backend: Pyomo build, .nl write, .nl import into CasADi, NLP setup, Ipopt;
* ``casadi`` backend: the CasADi translation of the same equilibrium system (sparse
  expressions), NLP setup, Ipopt;
* ``callbacks`` backend: Ipopt's callback interface (cyipopt) on the NumPy translation
  (sparse derivatives filled by ``bincount``) — no symbolic set-up;

each as a ratio to the iterative solver's time to a certified MFE, measured in the same run.
The pyomo backend is skipped above 10^4 pairs (its setup alone takes minutes there).

    python benchmarks/soft_nlp_scaling.py [--large] [--start warm|rough|cold]
                                          [--backends pyomo,casadi,callbacks]

``rough``: start from the iterative solver stopped at residual 1e-2 (Ipopt must iterate).
"""

from __future__ import annotations

import argparse
import io
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pyomo.repn.plugins.nl_writer import NLWriter

import smfe
from smfe.certification.certificate import certify_point
from smfe.formulations.nlp_solve import WARM_START_OPTIONS
from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp, soft_system
from smfe.game.compiled import compile_game
from smfe.ipopt import prepare, solve_nl
from smfe.ipopt.system_runs import solve_callbacks, solve_casadi
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions
from smfe.system import game_arrays

SIZES = {1_000: 100, 10_000: 1_000, 30_000: 3_000, 100_000: 10_000}
IPOPT = {"tol": 1e-10, "constr_viol_tol": 1e-10, "max_iter": 3000}


def line(name: str, sec: float, base: float, extra: str = "") -> None:
    print(f"  {name:<28} {sec:8.2f} s  {sec / base:7.1f}x  {extra}")


def run(n_sa: int, start_kind: str, backends: set[str]) -> None:
    game = smfe.make_instance(
        "garnet", n_states=SIZES[n_sa], n_actions=10, branching=5, n_types=1, n_zones=10
    )
    cg = compile_game(game)
    theta = game.start()
    t = time.perf_counter()
    sol = solve_mfe(cg, theta, MFEOptions(tol=1e-8))
    base = time.perf_counter() - t
    print(f"\n== {n_sa} state-action pairs, {start_kind} start")
    line("iterative MFE (baseline)", base, base, f"residual {sol.residual:.1e}")
    start = None
    ipopt = dict(IPOPT)
    if start_kind != "cold":
        start = sol if start_kind == "warm" else solve_mfe(cg, theta, MFEOptions(tol=1e-2))
        ipopt = {**WARM_START_OPTIONS, **IPOPT}
    sopts = SoftNLPOptions(theta=theta, objective="none", start=start)
    if "pyomo" in backends and n_sa <= 10_000:
        t = time.perf_counter()
        built = build_soft_nlp(game, sopts)
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        buf = io.StringIO()
        info = NLWriter().write(
            built.model, buf, linear_presolve=False, symbolic_solver_labels=False
        )
        nl = prepare(buf.getvalue())
        t_write = time.perf_counter() - t
        out = solve_nl(nl, ipopt)
        for var, val in zip(info.variables, out.x, strict=True):
            var.set_value(float(val), skip_validation=True)
        v = built.values()
        ok = certify_point(cg, theta, v["nu"], v["pi"], v["V"]).passed
        total = t_build + t_write + sum(out.timings.values())
        print(
            f"  pyomo backend: {len(info.variables)} variables, {len(info.constraints)} constraints"
        )
        line("Pyomo build", t_build, base)
        line(".nl write + clean", t_write, base)
        line(".nl import (CasADi)", out.timings["import_nl"], base)
        line("NLP setup (derivatives)", out.timings["setup"], base)
        line("Ipopt", out.timings["ipopt"], base, f"{out.status}, {out.iterations} it")
        line("pyomo backend end to end", total, base, f"certificate passed={ok}")
    if "casadi" in backends:
        t = time.perf_counter()
        system = soft_system(game, sopts)
        t_build = time.perf_counter() - t
        crun = solve_casadi(system, ipopt)
        v = game_arrays(system, crun.x)
        ok = certify_point(cg, theta, v["nu"], v["pi"], v["V"]).passed
        total = t_build + sum(crun.timings.values())
        print("  casadi backend:")
        line("system assembly", t_build, base)
        line("CasADi translation", crun.timings["build"], base)
        line("NLP setup (derivatives)", crun.timings["setup"], base)
        line("Ipopt", crun.timings["ipopt"], base, f"{crun.status}, {crun.iterations} it")
        line("casadi backend end to end", total, base, f"certificate passed={ok}")
    if "callbacks" in backends:
        t = time.perf_counter()
        system = soft_system(game, sopts)
        t_build = time.perf_counter() - t
        brun = solve_callbacks(system, ipopt)
        v = game_arrays(system, brun.x)
        ok = certify_point(cg, theta, v["nu"], v["pi"], v["V"]).passed
        total = t_build + sum(brun.timings.values())
        print("  callbacks backend:")
        line("system assembly", t_build, base)
        line("structure set-up", brun.timings["setup"], base)
        line("Ipopt", brun.timings["ipopt"], base, f"{brun.status}, {brun.iterations} it")
        line("callbacks backend end to end", total, base, f"certificate passed={ok}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true", help="also 3·10^4 and 10^5 pairs")
    ap.add_argument("--start", default="warm", choices=["warm", "rough", "cold"])
    ap.add_argument("--backends", default="pyomo,casadi,callbacks")
    args = ap.parse_args()
    backends = set(args.backends.split(","))
    for n in [1_000, 10_000] + ([30_000, 100_000] if args.large else []):
        run(n, args.start, backends)


if __name__ == "__main__":
    main()
