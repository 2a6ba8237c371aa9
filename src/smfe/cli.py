"""The ``smfe`` command line.

``smfe solve GAME`` solves a game (a JSON file or a catalogue name), prints a summary with the
certificate and writes the result as JSON with ``--out``. ``smfe catalogue [NAME]`` lists the
named instances (with a name: the ``--set`` keys); ``smfe instance NAME --out FILE`` writes
one as JSON; ``smfe market`` solves the reference tariff problem; ``smfe schema`` prints the
JSON Schema of the input files.

Exit codes (the contract scripts rely on):

* 0 — success (for ``solve``/``market``: the answer is certified optimal);
* 1 — solved, but the answer is not certified (or the solver stopped without a point);
* 2 — bad input: a one-line message naming the field, no traceback;
* 3 — internal error (a bug in smfe or a missing backend): please report it.

``--debug`` (before or after the command) shows the traceback of any error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smfe.errors import (
    FormulationError,
    InstanceError,
    NotCertified,
    SmfeError,
    SolveFailed,
)

if TYPE_CHECKING:
    from smfe.market.rules import Rules

EXIT_OK, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _version() -> str:
    try:
        return version("smfe")
    except PackageNotFoundError:
        return "unknown"


class Progress:
    """Leader iterations on stderr (:class:`smfe.progress.Ticker`)."""

    def __init__(self, desc: str, quiet: bool = False, every: float = 10.0) -> None:
        from smfe.progress import Ticker

        self.desc = desc
        self.ticker = Ticker(desc, quiet=quiet, every=every)

    def __call__(self, it: int, J: float, pg: float) -> None:
        what = f"J {J:.6g}, stationarity {pg:.1e}"
        self.ticker.tick(what, f"{self.desc} {self.ticker.n + 1}: {what}")

    def close(self) -> None:
        self.ticker.close()


def _budget(args: argparse.Namespace) -> Any:
    from smfe.inputs.budget import GIB, Budget

    kw: dict[str, int] = {}
    if getattr(args, "max_memory", None) is not None:
        if not args.max_memory > 0:
            raise InstanceError("--max-memory", f"must be > 0 GiB, got {args.max_memory}")
        kw["max_bytes"] = int(args.max_memory * GIB)
    if getattr(args, "max_pair_steps", None) is not None:
        kw["max_pair_steps"] = args.max_pair_steps
    return Budget(**kw)


def _load(args: argparse.Namespace) -> Any:
    """The game named by ``args.game``: a catalogue name (with ``--set``) or a JSON file."""
    from smfe.game.catalogue import catalogue, make_instance
    from smfe.game.serialize import load_game
    from smfe.inputs.cli_values import key_values

    overrides = key_values(args.set, "--set")
    if args.game in catalogue():
        return make_instance(args.game, budget=_budget(args), **overrides)
    if overrides:
        raise InstanceError("--set", "applies to catalogue instances only")
    if not Path(args.game).exists():
        raise InstanceError(
            "GAME",
            f"{args.game!r} is neither a file nor a catalogue name ({', '.join(catalogue())})",
        )
    return load_game(args.game, _budget(args))


def _inputs(args: argparse.Namespace) -> list[str]:
    game = getattr(args, "game", None)
    inputs = [game] if game and Path(game).exists() else []
    if getattr(args, "instance", None):
        inputs.append(args.instance)
    return inputs


def _cmd_solve(args: argparse.Namespace) -> int:
    from smfe.dispatch import solve
    from smfe.files import check_outputs
    from smfe.inputs.cli_values import json_arg

    if args.out:  # before the solve: a bad path must not cost the run
        check_outputs([args.out], force=args.force, inputs=_inputs(args))
    game = _load(args)
    options = json_arg(args.options, "--options") if args.options else None
    theta = json_arg(args.theta, "--theta") if args.theta else None
    print(
        f"smfe: solving {game.name!r} ({game.n_state_actions} state-action pairs, "
        f"{len(game.types)} types, {game.n_theta} leader decisions)",
        file=sys.stderr,
    )
    progress = Progress("leader iteration", quiet=args.quiet)
    try:
        result = solve(game, args.method, options, theta=theta, progress=progress)
    finally:
        progress.close()
    print(result.summary())
    if args.out:
        result.to_json(args.out, force=args.force)
        print(f"result written to {args.out}")
    return EXIT_OK if result.success else EXIT_NOT_CERTIFIED


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from smfe.game.catalogue import catalogue, make_instance, parameters

    if args.name is None:
        width = max(len(n) for n in catalogue())
        for name in catalogue():
            g = make_instance(name)
            print(f"{name:<{width}}  {g.description}")
        print("\n`smfe catalogue NAME` lists the --set keys of an instance.")
        return EXIT_OK
    print(f"--set keys of {args.name!r} (KEY=VALUE; VALUE is JSON or a plain string):")
    for key, tp, default in parameters(args.name):
        print(f"  {key:<16} {tp:<12} default {default!r}")
    return EXIT_OK


def _cmd_methods(args: argparse.Namespace) -> int:
    from smfe.registry import capabilities

    rows = capabilities()
    cols = [
        "method",
        "family",
        "responses",
        "horizons",
        "leader",
        "constraints",
        "mf_dynamics",
        "requires",
        "installed",
    ]
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(width[c]) for c in cols))
    print()
    for r in rows:
        print(f"{r['method']:<14} {r['summary']}")
    return EXIT_OK


def _cmd_instance(args: argparse.Namespace) -> int:
    from smfe.files import check_outputs
    from smfe.game.catalogue import make_instance
    from smfe.game.serialize import save_game
    from smfe.inputs.cli_values import key_values

    check_outputs([args.out], force=args.force)
    game = make_instance(args.name, budget=_budget(args), **key_values(args.set, "--set"))
    save_game(game, args.out, force=args.force)
    print(f"{args.name} written to {args.out}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from smfe.formulations.export import build, export
    from smfe.inputs.cli_values import json_arg
    from smfe.inputs.theta import as_theta

    game = _load(args)
    theta = as_theta(game, json_arg(args.theta, "--theta"), "--theta") if args.theta else None
    out = export(
        build(game, args.formulation, theta),
        args.out,
        args.format,
        force=args.force,
        inputs=_inputs(args),
    )
    print(f"{args.formulation} model of {game.name!r} written to {out}")
    return EXIT_OK


def _cmd_tau_sweep(args: argparse.Namespace) -> int:
    from smfe.analysis import plot_tau_sweep, tau_sweep
    from smfe.files import check_folder, check_outputs
    from smfe.inputs.cli_values import numbers_csv

    taus = numbers_csv(args.taus, "--taus") if args.taus else None
    game = _load(args)
    out = check_folder(args.out)
    csv_path = out / f"{game.name}-tau-sweep.csv"
    png_path = out / f"{game.name}-tau-sweep.png"
    check_outputs([csv_path, png_path], force=args.force, inputs=_inputs(args))
    sweep = tau_sweep(game, taus)
    print(sweep.table())
    out.mkdir(parents=True, exist_ok=True)
    sweep.to_csv(csv_path, force=args.force)
    fig = plot_tau_sweep(sweep, png_path, force=args.force)
    print(f"table and figure written to {csv_path} and {fig}")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    import json

    if args.kind == "game":
        from smfe.inputs.game_doc import GameDoc

        schema = GameDoc.model_json_schema()
    else:
        from smfe.market.instance_file import instance_schema

        schema = instance_schema()
    print(json.dumps(schema, indent=1))
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    from smfe.bench.command import bench

    return bench(args)


def _weights(pairs: list[str], revenue: str) -> Any:
    from smfe.inputs.cli_values import number
    from smfe.market.metrics import Weights

    names = [n for n in Weights.__dataclass_fields__ if n != "revenue"]
    kw: dict[str, Any] = {"revenue": revenue}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep:
            raise InstanceError("--weight", f"expects NAME=VALUE, got {p!r}")
        if k not in names:
            from smfe.inputs.errors import suggest

            raise InstanceError(f"--weight {k}", f"unknown weight{suggest(k, names)}")
        kw[k] = number(v, f"--weight {k}")
    return Weights(**kw)


def _sizes(text: str) -> tuple[int, ...]:
    """Population sizes of ``--simulate``: positive integers, comma-separated."""
    out = []
    for part in text.split(","):
        try:
            n = int(part.strip().replace("_", ""))
        except ValueError:
            raise InstanceError(
                "--simulate", f"expects N1,N2,.. (integers), got {part!r}"
            ) from None
        if not 1 <= n <= 10_000_000:
            raise InstanceError("--simulate", f"population sizes must be in 1..10^7, got {n}")
        out.append(n)
    return tuple(out)


def _rules(args: argparse.Namespace, base: Rules) -> Rules:
    """The instance's rules with the rule flags of the command line applied."""
    import dataclasses

    from smfe.inputs.cli_values import number
    from smfe.market.rules import Rules

    if args.no_rules:
        return Rules()

    def value(text: str | None, flag: str) -> float | None:
        return None if text is None or text.strip().lower() == "none" else number(text, flag)

    given: dict[str, Any] = {}
    for name in ("bill_cap", "low_income_bill_cap", "peak_cap", "ramp_cap", "burden_ratio"):
        text = getattr(args, name)
        if text is not None:
            given[name] = value(text, "--" + name.replace("_", "-"))
    if args.rate_order is not None:
        order = args.rate_order.strip()
        given["rate_order"] = () if order.lower() == "none" else tuple(order.split(","))
    if args.bill_reference is not None:
        given["reference"] = args.bill_reference
    if args.group_bill_cap:
        caps = dict(base.group_bill_caps)
        for item in args.group_bill_cap:
            g, sep, v = item.partition("=")
            if not sep:
                raise InstanceError("--group-bill-cap", f"expects GROUP=FRACTION, got {item!r}")
            caps[g.strip()] = number(v, f"--group-bill-cap {g.strip()}")
        given["group_bill_caps"] = caps
    return dataclasses.replace(base, **given)


def _cmd_market(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from smfe.files import check_folder, check_outputs, write_text
    from smfe.inputs.jsondoc import read_text
    from smfe.market.data import reference_instance
    from smfe.market.game import market_game
    from smfe.market.instance_file import defaulted_fields, dump_instance, instance_from_json
    from smfe.market.learn import compare, comparison_numbers, format_comparison, learn_tariff
    from smfe.market.pareto import pareto_front
    from smfe.market.pareto_report import PARETO_FILES, format_pareto, write_pareto
    from smfe.market.population import population_check
    from smfe.market.population_report import (
        POPULATION_FILES,
        format_population,
        write_population,
    )
    from smfe.market.report import OUTPUT_FILES, format_report, write_outputs
    from smfe.market.solve import BASELINES, solve_tariff
    from smfe.market.supply import MeritOrder
    from smfe.market.tariff import TariffFamily
    from smfe.market.utility import BUILT_IN
    from smfe.threads import check_workers

    t0 = time.perf_counter()
    tty, last = sys.stderr.isatty(), [-1e9]

    def say(msg: str) -> None:
        """A progress line; sub-steps (indented) at most every 10 s when not on a terminal."""
        now = time.perf_counter()
        if msg.startswith("  ") and not tty and now - last[0] < 10.0:
            return
        last[0] = now
        print(f"[{now - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    if args.instance in BUILT_IN:
        market = BUILT_IN[args.instance]()
    elif args.instance:
        text = read_text(args.instance, "--instance")
        market = instance_from_json(text)
        left = defaulted_fields(text)
        if left:
            say(f"{args.instance}: reference values for {', '.join(left)}")
    else:
        market = reference_instance()
    if args.merit_order:
        supply = dataclasses.replace(market.supply, merit_order=MeritOrder())
        market = dataclasses.replace(market, supply=supply)
    if args.dump_instance:  # never over the --instance file it read, even with --force
        check_outputs([args.dump_instance], force=args.force, inputs=_inputs(args))
        write_text(args.dump_instance, dump_instance(market), force=args.force)
        say(f"instance {market.name!r} written to {args.dump_instance}")
        return EXIT_OK
    weights = _weights(args.weight, args.revenue)
    rules = _rules(args, market.rules)
    if not 0.0 < args.tau < float("inf"):
        raise InstanceError("--tau", f"must be a finite temperature > 0, got {args.tau}")
    folder = check_folder(args.out)  # before the solve: a bad path must not cost the run
    sizes = _sizes(args.simulate) if args.simulate else ()
    if args.simulate_days < 1:
        raise InstanceError("--simulate-days", f"must be >= 1, got {args.simulate_days}")
    extra = (POPULATION_FILES if sizes else ()) + (PARETO_FILES if args.pareto else ())
    extra += ("learn.json",) if args.method == "learn" else ()
    if args.seed < 0:
        raise InstanceError("--seed", f"must be >= 0, got {args.seed}")
    workers = len(BASELINES) if args.workers is None else check_workers(args.workers, "--workers")
    if args.learn_samples < 1:
        raise InstanceError("--learn-samples", f"must be >= 1, got {args.learn_samples}")
    if args.pareto and not 1 <= args.pareto_levels <= 10:
        raise InstanceError("--pareto-levels", f"must be in 1..10, got {args.pareto_levels}")
    check_outputs(
        [folder / f for f in (*OUTPUT_FILES, *extra)], force=args.force, inputs=_inputs(args)
    )
    tariff = TariffFamily(
        energy=args.energy,
        pass_through=not args.no_pass_through,
        export=args.export,
        fixed=args.fixed,
    )
    say(f"building the market game ({market.name}, tariff {args.energy}, export {args.export})")
    mg = market_game(market, tariff, tau=args.tau, budget=_budget(args))
    say(
        f"{len(mg.types)} follower types, {mg.game.n_state_actions} state-action pairs, "
        f"{mg.game.n_theta} tariff decisions"
    )
    study = solve_tariff(
        mg,
        weights,
        method="sqp" if args.method == "learn" else args.method,
        cross_check=not args.no_cross_check,
        progress=say,
        rules=rules,
        multistart=not args.single_start,
        workers=workers,
    )
    print(format_report(study))
    paths = write_outputs(study, folder, force=args.force)
    if sizes:
        groups = [g.name for g in market.groups]
        pop = population_check(
            mg,
            study.optimal.theta,
            sizes=sizes,
            days=args.simulate_days,
            seed=args.seed,
            progress=say,
        )
        print()
        print(format_population(pop, groups))
        paths += write_population(pop, groups, folder, force=args.force)
    if args.method == "learn":
        run = learn_tariff(
            mg, weights, rules, samples_per_pair=args.learn_samples, seed=args.seed, progress=say
        )
        comparison = compare(study, run)
        print()
        print(format_comparison(comparison))
        text = json.dumps(comparison_numbers(comparison), indent=2)
        paths.append(write_text(folder / "learn.json", text, force=args.force))
    if args.pareto:
        front = pareto_front(
            mg, levels=args.pareto_levels, rules=rules, revenue=weights.revenue, progress=say
        )
        print()
        print(format_pareto(front))
        paths += write_pareto(front, folder, force=args.force)
    say(f"wrote {', '.join(str(p) for p in paths)}")
    return EXIT_OK if study.certified else EXIT_NOT_CERTIFIED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, each command bound to its ``_cmd_*`` function."""
    from smfe.cli_parser import build_parser as build

    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "solve": _cmd_solve,
        "catalogue": _cmd_catalogue,
        "methods": _cmd_methods,
        "instance": _cmd_instance,
        "export": _cmd_export,
        "market": _cmd_market,
        "tau-sweep": _cmd_tau_sweep,
        "schema": _cmd_schema,
        "bench": _cmd_bench,
    }
    return build(handlers, _version())


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit code of the contract in the module docstring."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # inside the try: a closed pipe is met here, not at exit
        return code
    except (InstanceError, FormulationError) as exc:
        if debug:
            traceback.print_exc()
        print(f"smfe: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SolveFailed, NotCertified) as exc:
        if debug:
            traceback.print_exc()
        print(f"smfe: not solved: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_NOT_CERTIFIED
    except KeyboardInterrupt:
        print("smfe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`smfe methods | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (SmfeError, Exception) as exc:  # anything else is a bug or a broken install
        if debug:
            traceback.print_exc()
        print(
            f"smfe: internal error: {type(exc).__name__}: {_one_line(str(exc))[:300]}\n"
            f"smfe: please report it, with the command line and `smfe --version` "
            f"({_version()}); rerun with --debug for the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
