"""The ``smfe`` command line.

``smfe solve GAME`` solves a game (a JSON file or a catalogue name), prints a summary with the
certificate and writes the result as JSON with ``--out``. ``smfe catalogue`` lists the named
instances; ``smfe instance NAME --out FILE`` writes one as JSON. Exit codes: 0 certified
optimal, 1 solved but not certified optimal, 2 bad input or failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from smfe.errors import SmfeError


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pairs:
        if "=" not in p:
            raise SystemExit(f"smfe: --set expects KEY=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = _parse_value(v)
    return out


def _load(spec: str, overrides: dict[str, Any]) -> Any:
    from smfe.game.catalogue import catalogue, make_instance
    from smfe.game.serialize import load_game

    if spec in catalogue():
        return make_instance(spec, **overrides)
    if overrides:
        raise SystemExit("smfe: --set applies to catalogue instances only")
    if not Path(spec).exists():
        raise SystemExit(
            f"smfe: {spec!r} is neither a file nor a catalogue name ({', '.join(catalogue())})"
        )
    return load_game(spec)


def _cmd_solve(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from smfe.solvers.api import solve

    game = _load(args.game, _overrides(args.set))
    options = json.loads(args.options) if args.options else None
    theta = json.loads(args.theta) if args.theta else None
    print(
        f"smfe: solving {game.name!r} ({game.n_state_actions} state-action pairs, "
        f"{len(game.types)} types, {game.n_theta} leader decisions)",
        file=sys.stderr,
    )
    bar = tqdm(
        desc="leader iterations", unit="it", disable=args.quiet, file=sys.stderr, leave=False
    )

    def progress(it: int, J: float, pg: float) -> None:
        bar.update(1)
        bar.set_postfix(J=f"{J:.6g}", stationarity=f"{pg:.1e}")

    try:
        result = solve(game, args.method, options, theta=theta, progress=progress)
    finally:
        bar.close()
    print(result.summary())
    if args.out:
        result.to_json(args.out)
        print(f"result written to {args.out}")
    return 0 if result.success else 1


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from smfe.game.catalogue import catalogue, make_instance

    for name in catalogue():
        g = make_instance(name)
        print(f"{name:<12} {g.description}")
    return 0


def _cmd_instance(args: argparse.Namespace) -> int:
    from smfe.game.catalogue import make_instance
    from smfe.game.serialize import save_game

    game = make_instance(args.name, **_overrides(args.set))
    save_game(game, args.out)
    print(f"{args.name} written to {args.out}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from smfe.formulations.export import build, export

    game = _load(args.game, _overrides(args.set))
    theta = np.array(json.loads(args.theta), dtype=float) if args.theta else None
    out = export(build(game, args.formulation, theta), args.out, args.format)
    print(f"{args.formulation} model of {game.name!r} written to {out}")
    return 0


def _cmd_tau_sweep(args: argparse.Namespace) -> int:
    from smfe.analysis import plot_tau_sweep, tau_sweep

    game = _load(args.game, _overrides(args.set))
    taus = [float(t) for t in args.taus.split(",")] if args.taus else None
    sweep = tau_sweep(game, taus)
    print(sweep.table())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sweep.to_csv(out / f"{game.name}-tau-sweep.csv")
    fig = plot_tau_sweep(sweep, out / f"{game.name}-tau-sweep.png")
    print(f"table and figure written to {out / (game.name + '-tau-sweep.csv')} and {fig}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="smfe", description="Stackelberg mean-field equilibria, certified."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a game (JSON file or catalogue name)")
    s.add_argument("game", help="path to a game JSON file, or a catalogue name")
    s.add_argument(
        "--method",
        default=None,
        help="mfe | pgd | fd-pgd | leader-pi | sample-mfe (default: by game)",
    )
    s.add_argument("--options", default=None, help="method options as JSON, e.g. '{\"tol\": 1e-8}'")
    s.add_argument(
        "--theta",
        default=None,
        help="leader decision as a JSON list (fixed for mfe; start otherwise)",
    )
    s.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="catalogue override"
    )
    s.add_argument("--out", default=None, help="write the result as JSON here")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_solve)
    c = sub.add_parser("catalogue", help="list the named instances")
    c.set_defaults(func=_cmd_catalogue)
    i = sub.add_parser("instance", help="write a catalogue instance as JSON")
    i.add_argument("name")
    i.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    i.add_argument("--out", required=True)
    i.set_defaults(func=_cmd_instance)
    e = sub.add_parser("export", help="write a formulation as a model file (.nl, .gms)")
    e.add_argument("game", help="path to a game JSON file, or a catalogue name")
    e.add_argument("--formulation", default="soft-nlp", help="soft-nlp | mpec")
    e.add_argument("--format", default=None, help="nl | gms | lp | mps (default: from --out)")
    e.add_argument("--theta", default=None, help="fix θ (JSON list): the MFE alone")
    e.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    e.add_argument("--out", required=True)
    e.set_defaults(func=_cmd_export)
    mk = sub.add_parser(
        "market", help="optimal tariff vs flat / TOU / real-time on the reference market"
    )
    mk.add_argument("--instance", help="market instance JSON (default: CA-summer-weekday-4G)")
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
    mk.add_argument("--tau", type=float, default=0.02, help="follower temperature in $ (logit)")
    mk.add_argument("--method", default="sqp", choices=["sqp", "nlp"])
    mk.add_argument("--no-cross-check", action="store_true")
    mk.add_argument(
        "--merit-order",
        action="store_true",
        help="price from the Oahu-like generator stack instead of the affine supply curve",
    )
    mk.add_argument("--out", default="market-out", help="folder for market.json and figures")
    mk.set_defaults(func=_cmd_market)
    w = sub.add_parser("tau-sweep", help="softmax error vs τ against the theoretical bounds")
    w.add_argument("game", help="path to a game JSON file, or a catalogue name")
    w.add_argument("--taus", default=None, help="comma-separated temperatures")
    w.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    w.add_argument("--out", default="smfe-out", help="folder for the CSV and the figure")
    w.set_defaults(func=_cmd_tau_sweep)
    return p


def _weights(pairs: list[str], revenue: str) -> Any:
    from smfe.market.metrics import Weights

    kw: dict[str, Any] = {"revenue": revenue}
    for p in pairs:
        if "=" not in p:
            raise SystemExit(f"smfe: --weight expects NAME=VALUE, got {p!r}")
        k, v = p.split("=", 1)
        if k not in Weights.__dataclass_fields__ or k == "revenue":
            names = ", ".join(n for n in Weights.__dataclass_fields__ if n != "revenue")
            raise SystemExit(f"smfe: unknown weight {k!r} ({names})")
        kw[k] = float(v)
    return Weights(**kw)


def _cmd_market(args: argparse.Namespace) -> int:
    import time

    from smfe.market.data import load_instance, reference_instance
    from smfe.market.game import market_game
    from smfe.market.report import format_report, write_outputs
    from smfe.market.solve import solve_tariff
    from smfe.market.tariff import TariffFamily

    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    market = load_instance(args.instance) if args.instance else reference_instance()
    if args.merit_order:
        import dataclasses

        from smfe.market.data import MeritOrder

        supply = dataclasses.replace(market.supply, merit_order=MeritOrder())
        market = dataclasses.replace(market, supply=supply)
    tariff = TariffFamily(
        energy=args.energy,
        pass_through=not args.no_pass_through,
        export=args.export,
        fixed=args.fixed,
    )
    say(f"building the market game ({market.name}, tariff {args.energy}, export {args.export})")
    mg = market_game(market, tariff, tau=args.tau)
    say(
        f"{len(mg.types)} follower types, {mg.game.n_state_actions} state-action pairs, "
        f"{mg.game.n_theta} tariff decisions"
    )
    study = solve_tariff(
        mg,
        _weights(args.weight, args.revenue),
        method=args.method,
        cross_check=not args.no_cross_check,
        progress=say,
    )
    print(format_report(study))
    paths = write_outputs(study, args.out)
    say(f"wrote {', '.join(str(p) for p in paths)}")
    return 0 if study.certified else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SmfeError as exc:
        print(f"smfe: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
