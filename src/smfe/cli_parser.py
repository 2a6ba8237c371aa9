"""The argument parser of the ``smfe`` command line (the commands are in :mod:`smfe.cli`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def _common(debug_only: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of any error",
    )
    if debug_only:
        return p
    p.add_argument(
        "--max-memory",
        type=float,
        default=None,
        metavar="GIB",
        help="refuse inputs estimated to need more memory (default 8 GiB)",
    )
    p.add_argument(
        "--max-pair-steps",
        type=int,
        default=None,
        metavar="N",
        help="refuse inputs with more state-action-steps (default 2e7)",
    )
    return p


def _set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a catalogue instance's parameter (keys: smfe catalogue NAME)",
    )


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force", action="store_true", help="replace output files that exist (never an input)"
    )


def build_parser(handlers: dict[str, Handler], version: str) -> argparse.ArgumentParser:
    """The ``smfe`` parser; ``handlers`` maps each command to its function."""
    p = argparse.ArgumentParser(
        prog="smfe",
        description="Stackelberg mean-field equilibria, certified. Exit codes: 0 success, "
        "1 solved but not certified, 2 bad input, 3 internal error.",
        parents=[_common(debug_only=True)],
    )
    p.add_argument("--version", action="version", version=f"smfe {version}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _solve(sub, handlers)
    _catalogue(sub, handlers)
    _methods(sub, handlers)
    _instance(sub, handlers)
    _export(sub, handlers)
    _market(sub, handlers)
    _tau_sweep(sub, handlers)
    _schema(sub, handlers)
    _bench(sub, handlers)
    return p


def _solve(sub: Any, handlers: dict[str, Handler]) -> None:
    from smfe.registry import methods as registered

    s = sub.add_parser(
        "solve",
        parents=[_common()],
        help="solve a game (JSON file or catalogue name)",
        description="Solve a game and print its certificate.",
    )
    s.add_argument("game", help="path to a game JSON file, or a catalogue name")
    s.add_argument(
        "--method",
        default=None,
        choices=registered(),
        metavar="METHOD",
        help=f"one of {', '.join(registered())} (default: by game)",
    )
    s.add_argument("--options", default=None, help="method options as JSON, e.g. '{\"tol\": 1e-8}'")
    s.add_argument(
        "--theta",
        default=None,
        help="leader decision as a JSON list (fixed for mfe; start otherwise)",
    )
    _set(s)
    s.add_argument("--out", default=None, help="write the result as JSON here")
    _force(s)
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(func=handlers["solve"])


def _catalogue(sub: Any, handlers: dict[str, Handler]) -> None:
    c = sub.add_parser(
        "catalogue",
        parents=[_common(debug_only=True)],
        help="list the named instances, or the --set keys of one",
    )
    c.add_argument("name", nargs="?", default=None, help="an instance: list its --set keys")
    c.set_defaults(func=handlers["catalogue"])


def _methods(sub: Any, handlers: dict[str, Handler]) -> None:
    ms = sub.add_parser(
        "methods",
        parents=[_common(debug_only=True)],
        help="the solution methods and what each accepts (capability table)",
    )
    ms.set_defaults(func=handlers["methods"])


def _instance(sub: Any, handlers: dict[str, Handler]) -> None:
    i = sub.add_parser(
        "instance",
        parents=[_common()],
        help="write a catalogue instance as a game JSON file",
        description="Write a catalogue instance (with --set overrides) as a game JSON file.",
    )
    i.add_argument("name", help="catalogue name (see `smfe catalogue`)")
    _set(i)
    i.add_argument("--out", required=True, help="the game file to write")
    _force(i)
    i.set_defaults(func=handlers["instance"])


def _export(sub: Any, handlers: dict[str, Handler]) -> None:
    e = sub.add_parser(
        "export", parents=[_common()], help="write a formulation as a model file (.nl, .gms)"
    )
    e.add_argument("game", help="path to a game JSON file, or a catalogue name")
    e.add_argument("--formulation", default="soft-nlp", choices=["soft-nlp", "mpec"])
    e.add_argument("--format", default=None, help="nl | gms (default: from --out)")
    e.add_argument("--theta", default=None, help="fix θ (JSON list, inside Θ): the MFE alone")
    _set(e)
    e.add_argument("--out", required=True, help="model file (.nl also writes .row/.col)")
    _force(e)
    e.set_defaults(func=handlers["export"])


def _rules(mk: argparse.ArgumentParser) -> None:
    """Tariff-rule flags: each replaces that rule of the instance's set ("none" drops it)."""
    r = mk.add_argument_group(
        "tariff rules",
        "the instance's rule set (the reference: the commission set of docs/market.md), "
        "rule by rule replaced by these flags; VALUE 'none' drops a rule",
    )
    r.add_argument("--no-rules", action="store_true", help="solve without any tariff rule")
    r.add_argument(
        "--rate-order", metavar="P1,P2,..", help="rates ordered by period, dearest first"
    )
    r.add_argument(
        "--bill-cap", metavar="FRACTION", help="every group's bill ≤ (1 + F) × reference bill"
    )
    r.add_argument(
        "--low-income-bill-cap", metavar="FRACTION", help="the lowest-income group's bill cap"
    )
    r.add_argument(
        "--group-bill-cap",
        action="append",
        default=[],
        metavar="GROUP=FRACTION",
        help="one group's bill cap (repeatable)",
    )
    r.add_argument(
        "--bill-reference",
        choices=["flat", "tou", "real-time"],
        help="the revenue-neutral baseline the bill caps refer to",
    )
    r.add_argument("--peak-cap", metavar="KW", help="net load per household ≤ KW every hour")
    r.add_argument("--ramp-cap", metavar="KW", help="|hour-to-hour change of net load| ≤ KW")
    r.add_argument(
        "--burden-ratio",
        metavar="R",
        help="equity floor: lowest-income burden ≤ R × highest-income burden",
    )


def _market(sub: Any, handlers: dict[str, Handler]) -> None:
    mk = sub.add_parser(
        "market",
        parents=[_common()],
        help="optimal tariff vs flat / TOU / real-time on the reference market",
    )
    mk.add_argument(
        "--instance",
        help="a built-in instance (CA-summer-weekday-4G, the default; CA-utility-10D) or a "
        "market instance JSON file (docs/market.md)",
    )
    mk.add_argument(
        "--dump-instance",
        metavar="FILE",
        help="write the instance (reference or --instance) as a complete JSON template and stop",
    )
    mk.add_argument("--energy", default="tou", choices=["flat", "tou", "hourly"])
    mk.add_argument(
        "--export", default="avoided-cost", choices=["nem", "avoided-cost", "rate", "fixed"]
    )
    mk.add_argument("--fixed", default="graduated", choices=["reference", "flat", "graduated"])
    mk.add_argument(
        "--no-pass-through", action="store_true", help="no real-time pass-through share"
    )
    mk.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="objective weight (repeatable): welfare, volatility, peak, equity, cost_shift, "
        "wholesale_cost",
    )
    mk.add_argument("--revenue", default="equal", choices=["equal", "at-least", "off"])
    _rules(mk)
    mk.add_argument("--tau", type=float, default=0.02, help="follower temperature in $ (logit)")
    mk.add_argument(
        "--method",
        default="sqp",
        choices=["sqp", "nlp", "learn"],
        help="sqp (default), nlp (full space), or learn: sqp plus a leader that learns from "
        "observed population responses only, side by side (learn.json)",
    )
    mk.add_argument(
        "--learn-samples",
        type=int,
        default=200,
        metavar="N",
        help="simulated transitions per state-action pair the learning followers draw (200)",
    )
    mk.add_argument("--no-cross-check", action="store_true")
    mk.add_argument(
        "--single-start",
        action="store_true",
        help="sqp from the best revenue-neutral baseline only (default: from each baseline; "
        "the problem is non-convex)",
    )
    mk.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="baselines and sqp starts solved N at a time, on threads (default: all three "
        "at once); the answer does not depend on N",
    )
    mk.add_argument(
        "--merit-order",
        action="store_true",
        help="price from the Oahu-like generator stack instead of the affine supply curve",
    )
    mk.add_argument(
        "--simulate",
        metavar="N1,N2,..",
        help="after the solve, N households follow the S-MFE policies under the optimal "
        "tariff (e.g. 100,1000,10000,100000): realised prices, bills, ε-Nash gain vs N",
    )
    mk.add_argument(
        "--simulate-days", type=int, default=5, metavar="D", help="days per size (default 5)"
    )
    mk.add_argument("--seed", type=int, default=0, help="random seed of --simulate (default 0)")
    mk.add_argument(
        "--pareto",
        action="store_true",
        help="after the solve, the efficiency–equity–stability front by ε-constraints "
        "(3 anchors + K×K certified tariff problems; pareto.json, pareto.png)",
    )
    mk.add_argument(
        "--pareto-levels", type=int, default=2, metavar="K", help="ε levels per criterion (2)"
    )
    mk.add_argument("--out", default="market-out", help="folder for market.json and figures")
    _force(mk)
    mk.set_defaults(func=handlers["market"])


def _tau_sweep(sub: Any, handlers: dict[str, Handler]) -> None:
    w = sub.add_parser(
        "tau-sweep", parents=[_common()], help="softmax error vs τ against the theoretical bounds"
    )
    w.add_argument("game", help="path to a game JSON file, or a catalogue name")
    w.add_argument("--taus", default=None, help="comma-separated temperatures > 0")
    _set(w)
    w.add_argument("--out", default="smfe-out", help="folder for the CSV and the figure")
    _force(w)
    w.set_defaults(func=handlers["tau-sweep"])


def _schema(sub: Any, handlers: dict[str, Handler]) -> None:
    sc = sub.add_parser(
        "schema",
        parents=[_common(debug_only=True)],
        help="print the JSON Schema of a game file or a market instance file",
    )
    sc.add_argument("kind", choices=["game", "market"])
    sc.set_defaults(func=handlers["schema"])


def _cluster(p: argparse.ArgumentParser, time_limit: float) -> None:
    p.add_argument("--workers", type=int, default=2, help="local Dask workers (default 2)")
    p.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="use this Dask scheduler instead"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=time_limit,
        metavar="S",
        help=f"per task, wall clock (default {time_limit:g} s)",
    )
    p.add_argument(
        "--memory-limit", type=float, default=8.0, metavar="GIB", help="per task (default 8)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _bench(sub: Any, handlers: dict[str, Handler]) -> None:
    b = sub.add_parser(
        "bench", help="benchmark suites: generate, run on Dask, report, validate (docs/bench.md)"
    )
    bs = b.add_subparsers(dest="bench_command", required=True, metavar="SUBCOMMAND")
    g = bs.add_parser(
        "generate",
        parents=[_common(debug_only=True)],
        help="write a suite: games, models (.nl/.gms), reference solutions and sidecars",
    )
    g.add_argument("--suite", required=True, help="tiny | standard | large")
    g.add_argument("--out", required=True, help="the suite folder (resumed if it holds the suite)")
    _cluster(g, 1800.0)
    r = bs.add_parser(
        "run",
        parents=[_common(debug_only=True)],
        help="run methods × option profiles on a suite into its resumable results store",
    )
    r.add_argument("folder", help="a folder written by `smfe bench generate`")
    r.add_argument(
        "--methods",
        required=True,
        help="comma-separated: smfe methods (smfe methods), ampl:SOLVER, python:MODULE:FUNCTION",
    )
    r.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME[=JSON]",
        help='option profile: "default", or NAME={"METHOD": {options}, "*": {...}}; repeatable',
    )
    _cluster(r, 600.0)
    rp = bs.add_parser(
        "report",
        parents=[_common(debug_only=True)],
        help="tidy table, performance and data profiles, agreement, failures (Markdown, HTML)",
    )
    rp.add_argument("folder")
    rp.add_argument("--out", default=None, help="report folder (default FOLDER/report)")
    _force(rp)
    v = bs.add_parser(
        "validate",
        parents=[_common(debug_only=True)],
        help="re-certify every instance of a suite from its files alone",
    )
    v.add_argument("folder")
    bs.add_parser(
        "schema", parents=[_common(debug_only=True)], help="print the sidecar's JSON Schema"
    )
    b.set_defaults(func=handlers["bench"])
