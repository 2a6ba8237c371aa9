"""``smfe bench generate|run|report|validate|schema`` (the parser is in :mod:`smfe.cli_parser`).

Exit codes as for the other commands: 0 when everything asked for was done (every instance
generated; every task run — whatever its outcome, which the report tells; every instance
re-certified), 1 when some instance could not be generated or re-certified, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from smfe.bench.isolate import Limits
from smfe.errors import InstanceError

EXIT_OK, EXIT_INCOMPLETE = 0, 1


def _limits(args: argparse.Namespace) -> Limits:
    if not args.memory_limit > 0:
        raise InstanceError("--memory-limit", f"must be > 0 GiB, got {args.memory_limit}")
    return Limits(seconds=args.time_limit, memory_bytes=int(args.memory_limit * 2**30))


def _say(msg: str) -> None:
    print(f"smfe: {msg}", file=sys.stderr, flush=True)


def _generate(args: argparse.Namespace) -> int:
    from smfe.bench.run import generate_suite

    s = generate_suite(
        args.suite,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        limits=_limits(args),
        quiet=args.quiet,
    )
    _say(
        f"suite {s.suite} in {s.folder}: {len(s.generated)} generated, {len(s.kept)} kept "
        f"from before, {len(s.failed)} failed ({s.seconds:.1f} s, "
        f"{args.scheduler or f'{args.workers} local workers'})"
    )
    for name, why in s.failed.items():
        _say(f"  {name}: {why.splitlines()[0][:200]}")
    return EXIT_INCOMPLETE if s.failed else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from smfe.bench.run import parse_profiles, run_suite

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    profiles = parse_profiles(args.profile)
    s = run_suite(
        args.folder,
        methods,
        profiles,
        workers=args.workers,
        scheduler=args.scheduler,
        limits=_limits(args),
        quiet=args.quiet,
    )
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items())) or "none"
    _say(
        f"{s.tasks} tasks: {s.already} already in the store, {s.ran} run ({outcomes}) in "
        f"{s.seconds:.1f} s; `smfe bench report {args.folder}` summarises them"
    )
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from smfe.bench.report import report

    r = report(args.folder, args.out, force=args.force)
    print(r.markdown)
    _say(f"report written to {r.folder} ({', '.join(p.name for p in r.files)})")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from smfe.bench.recertify import recertify
    from smfe.bench.run import read_index

    index = read_index(args.folder)
    bad = 0
    for entry in index["instances"]:
        c = recertify(Path(args.folder) / entry["folder"])
        bad += not c.ok
        verdict = "ok" if c.ok else "FAILED: " + "; ".join(c.problems)
        print(f"{c.instance:<40} J {c.objective:.10g}  violation {c.violation:.1e}  {verdict}")
    print(f"{len(index['instances']) - bad} of {len(index['instances'])} instances re-certified")
    return EXIT_INCOMPLETE if bad else EXIT_OK


def bench(args: argparse.Namespace) -> int:
    if args.bench_command == "schema":
        from smfe.bench.sidecar import SIDECAR_SCHEMA

        print(json.dumps(SIDECAR_SCHEMA, indent=1))
        return EXIT_OK
    handlers = {"generate": _generate, "run": _run, "report": _report, "validate": _validate}
    return handlers[args.bench_command](args)
