"""Benchmark: smfe side by side with MFGLib on the standard environments.

Needs the optional extra (``pip install -e ".[compare]"``: MFGLib and PyTorch); the default
install and the tests never import it. For every environment both libraries define, MFGLib's
algorithms run at their defaults (100 iterations, atol = rtol = 1e-3) from the uniform
policy, and the best iterate by MFGLib's own score is kept; smfe runs ``mfe`` on the exact
game (τ = 0, fictitious play) and on the entropy-regularised game at a small τ (fixed point,
Newton polish), and on the games with a concave potential also ``convex-mfe`` at τ = 0 (one
conic program, then Newton on the support it identifies). Every final policy is rescored in
float64 by smfe's independent literature-convention exploitability (the flow the policy
induces from μ₀, unregularised), next to MFGLib's own score (float32 PyTorch). Crowd motion
uses MFGLib's own bar path (drawn with PyTorch) so both libraries solve the same game. Times
are wall-clock in this process.
Run:

    python benchmarks/mfglib_compare.py [--envs beach-bar,left-right] [--tau 1e-3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
from mfglib import alg
from mfglib.env import Environment
from mfglib.scoring import exploitability_score

import smfe
from smfe.certification.exploitability import literature_exploitability
from smfe.game.compiled import compile_game
from smfe.game.potential import concave_potential

ENVS = {
    "left-right": "left_right",
    "rock-paper-scissors": "rock_paper_scissors",
    "beach-bar": "beach_bar",
    "equilibrium-price": "equilibrium_price",
    "crowd-motion": "crowd_motion",
    "building-evacuation": "building_evacuation",
    "susceptible-infected": "susceptible_infected",
}
ALGORITHMS = ("FictitiousPlay", "OnlineMirrorDescent", "PriorDescent", "MFOMO")


def smfe_game(name: str, env: Environment, tau: float) -> smfe.Game:
    """The smfe catalogue game of ``name`` (MFGLib's defaults); for crowd motion with the bar
    path of MFGLib's environment."""
    game = smfe.make_instance(name, tau=tau)
    if name == "crowd-motion":
        fn: Any = env.reward_fn
        steps = np.stack([fn.c * c.numpy().reshape(-1, c.shape[-1]) for c in fn.c1s])
        t = dataclasses.replace(game.types[0], reward_steps=steps.astype(np.float64))
        game = dataclasses.replace(game, types=(t,))
    return game


def rescore(game: smfe.Game, pi: torch.Tensor) -> float:
    """float64 literature exploitability of an MFGLib policy tensor (T+1, *S, *A)."""
    cg = compile_game(game)
    t = game.types[0]
    arr = pi.detach().numpy().astype(np.float64).reshape(cg.T, t.n_states, t.n_actions)
    arr = arr / arr.sum(axis=-1, keepdims=True)
    return literature_exploitability(cg, np.zeros(0), cg.from_types([arr], "policy"))


def smfe_policy(game: smfe.Game, result: smfe.Result) -> np.ndarray:
    return compile_game(game).from_types(list(result.policy), "policy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--envs", default=",".join(ENVS))
    ap.add_argument("--tau", type=float, default=1e-3)
    args = ap.parse_args()
    print("| environment | method | exploitability (own score) | float64 rescoring | time |")
    print("|---|---|---|---|---|")
    for name in args.envs.split(","):
        env = getattr(Environment, ENVS[name])()
        exact = smfe_game(name, env, 0.0)
        for algo in ALGORITHMS:
            t0 = time.perf_counter()
            try:
                pis, expls, _ = getattr(alg, algo)().solve(env)
            except Exception as exc:  # MFGLib's own failure is a result of the comparison
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
                print(f"| {name} | MFGLib {algo} | failed ({msg}) | – | – |", flush=True)
                continue
            wall = time.perf_counter() - t0
            best = int(np.argmin(expls))
            own = float(exploitability_score(env, pis[best]))
            print(
                f"| {name} | MFGLib {algo} | {own:.2e} | {rescore(exact, pis[best]):.2e} | "
                f"{wall:.2f} s |",
                flush=True,
            )
        runs = [(0.0, "mfe"), (args.tau, "mfe")]
        if concave_potential(exact)[0] is not None:
            runs.insert(1, (0.0, "convex-mfe"))
        for tau, method in runs:
            game = smfe_game(name, env, tau)
            t0 = time.perf_counter()
            res = smfe.solve(game, method)
            wall = time.perf_counter() - t0
            pi = smfe_policy(game, res)
            score = literature_exploitability(compile_game(exact), np.zeros(0), pi)
            label = (
                f"soft MFE, τ = {tau:g}"
                if tau
                else "exact MFE (fictitious play + support Newton), τ = 0"
                if method == "mfe"
                else "exact MFE (convex-mfe: concave potential + support Newton), τ = 0"
            )
            print(
                f"| {name} | smfe {label} ({res.status}) | {score:.2e} | {score:.2e} | "
                f"{wall:.2f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
