"""``smfe bench generate`` and ``smfe bench run``: suites in, instance folders and results out.

:func:`generate_suite` writes a suite (``DIR/index.json``, ``DIR/instances/NAME/…``,
``DIR/sidecar.schema.json``); an instance whose sidecar is already there for the same spec is
kept, so an interrupted generation resumes. :func:`run_suite` runs instances × methods ×
option profiles as isolated tasks on Dask into the results store ``DIR/results/``; a task
whose key is in the store is never run again, so a rerun computes only what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smfe.bench.cluster import execute
from smfe.bench.generate import GAME, SIDECAR
from smfe.bench.isolate import Limits, Outcome
from smfe.bench.methods import check_method, menu_task, refusal
from smfe.bench.sidecar import SIDECAR_SCHEMA, Sidecar, read_sidecar
from smfe.bench.store import Store, options_hash, task_key
from smfe.bench.suites import InstanceSpec, suite
from smfe.errors import InstanceError
from smfe.game.serialize import load_game

INDEX, SCHEMA_FILE, RESULTS = "index.json", "sidecar.schema.json", "results"
INDEX_FORMAT = "smfe-bench-suite"
PROFILES: dict[str, dict[str, dict[str, Any]]] = {"default": {}}
"""Built-in option profiles: name → {method: options}; ``"*"`` applies to every method."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _version() -> str:
    from smfe.bench.generate import versions

    return versions()["smfe"]


def read_index(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / INDEX
    if not path.exists():
        raise InstanceError(str(folder), f"has no {INDEX}; run `smfe bench generate` first")
    index = json.loads(path.read_text())
    if index.get("format") != INDEX_FORMAT:
        raise InstanceError(str(path), f"is not an {INDEX_FORMAT} index")
    return index


@dataclass
class GenerateSummary:
    suite: str
    folder: Path
    generated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _kept(folder: Path, spec: InstanceSpec, old: dict[str, Any]) -> dict[str, Any] | None:
    entry = old.get(spec.name)
    if entry is None or entry["spec"] != spec.to_dict():
        return None
    return entry if (folder / entry["folder"] / SIDECAR).exists() else None


def generate_suite(
    name: str,
    out: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    limits: Limits | None = None,
    quiet: bool = False,
) -> GenerateSummary:
    """Generate suite ``name`` into ``out`` (module docstring)."""
    specs = suite(name)
    out = Path(out).resolve()
    old: dict[str, Any] = {}
    if (out / INDEX).exists():
        index = read_index(out)
        if index["suite"] != name:
            why = f"{out} holds suite {index['suite']!r}, not {name!r}; choose another folder"
            raise InstanceError("--out", why)
        old = {e["instance"]: e for e in index["instances"]}
    elif out.exists() and any(out.iterdir()):
        why = f"{out} is not empty and holds no suite; choose another folder"
        raise InstanceError("--out", why)
    summary = GenerateSummary(name, out)
    entries: dict[str, dict[str, Any]] = {}
    jobs: list[tuple[str, dict[str, Any]]] = []
    for spec in specs:
        entry = _kept(out, spec, old)
        if entry is not None:
            entries[spec.name] = entry
            summary.kept.append(spec.name)
            continue
        folder = out / "instances" / spec.name
        jobs.append(
            (
                spec.name,
                {"kind": "generate", "spec": spec.to_dict(), "suite": name, "folder": str(folder)},
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / SCHEMA_FILE).write_text(json.dumps(SIDECAR_SCHEMA, indent=1))
    t0 = time.perf_counter()

    def done(key: str, outcome: Outcome, worker: str) -> str:
        if outcome.kind == "ok" and outcome.payload is not None:
            entries[key] = outcome.payload
            summary.generated.append(key)
            _write_index(out, name, specs, entries, summary.failed)  # after every instance
            return f"{key}: {outcome.payload['certification']}"
        summary.failed[key] = f"{outcome.kind}: {outcome.detail}"[:2000]
        return f"{key}: {outcome.kind}"

    execute(
        jobs,
        limits or Limits(seconds=1800.0),
        done,
        workers=workers,
        scheduler=scheduler,
        desc=f"generate {name}",
        quiet=quiet,
    )
    summary.seconds = time.perf_counter() - t0
    _write_index(out, name, specs, entries, summary.failed)
    return summary


def _write_index(
    out: Path,
    name: str,
    specs: tuple[InstanceSpec, ...],
    entries: dict[str, dict[str, Any]],
    failed: dict[str, str],
) -> None:
    from smfe.files import write_text

    index = {
        "format": INDEX_FORMAT,
        "version": 1,
        "suite": name,
        "smfe_version": _version(),
        "updated": _now(),
        "sidecar_schema": SCHEMA_FILE,
        "instances": [entries[s.name] for s in specs if s.name in entries],
        "failed": [{"instance": k, "why": v} for k, v in sorted(failed.items())],
    }
    write_text(out / INDEX, json.dumps(index, indent=1), force=True)


def parse_profiles(
    names: list[str], defined: dict[str, dict[str, dict[str, Any]]] | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """The profiles to run: built-in names (:data:`PROFILES`) and ``NAME=JSON`` definitions
    (JSON: ``{"METHOD": {options}, "*": {options for every method}}``)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    known = {**PROFILES, **(defined or {})}
    for item in names or ["default"]:
        name, sep, text = item.partition("=")
        if sep:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InstanceError(f"--profile {name}", f"is not JSON: {exc.msg}") from None
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise InstanceError(f"--profile {name}", 'expects {"METHOD": {options}, ...}')
            out[name] = value
        elif name in known:
            out[name] = known[name]
        else:
            raise InstanceError("--profile", f"unknown profile {name!r}; known: {sorted(known)}")
    return out


def resolve_options(profile: dict[str, dict[str, Any]], method: str) -> dict[str, Any]:
    return {**profile.get("*", {}), **profile.get(method, {})}


@dataclass
class RunSummary:
    tasks: int
    already: int
    ran: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str = ""


def plan(
    folder: Path, methods: list[str], profiles: dict[str, dict[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every task of the run: (key, child job, row metadata), deduplicated by key."""
    for m in methods:
        check_method(m)
    index = read_index(folder)
    version = _version()
    tasks: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for entry in index["instances"]:
        inst = folder / entry["folder"]
        sc = read_sidecar(inst / SIDECAR)
        game = load_game(inst / GAME)
        for m in methods:
            for pname, profile in profiles.items():
                options = resolve_options(profile, m)
                key = task_key(sc.game_sha256, m, options, version)
                if key in tasks:
                    continue
                solver = m if not options else f"{m}[{pname}]"
                job = {"kind": "run", "folder": str(inst), "method": m, "options": options}
                why = refusal(game, sc, m)
                if why:  # known before any process starts
                    job = {"kind": "refused", "detail": why}
                meta = _meta(sc, m, pname, solver, options, version)
                if menu_task(m) and sc.menu is not None:  # the menu sub-problem
                    meta.update(instance=f"{sc.instance}#menu", problem="menu",
                                reference_objective=sc.menu.objective,
                                reference_kind=sc.menu.certification.kind)  # fmt: skip
                tasks[key] = (key, job, meta)
    return list(tasks.values())


def _meta(
    sc: Sidecar, m: str, profile: str, solver: str, options: dict[str, Any], version: str
) -> dict[str, Any]:
    return {
        "instance": sc.instance,
        "instance_sha256": sc.game_sha256,
        "family": sc.family,
        "problem": sc.problem,
        "tags": ",".join(sc.tags),
        "n_state_actions": sc.n_state_actions,
        "n_theta": len(sc.theta),
        "reference_objective": sc.objective,
        "reference_kind": sc.certification.kind,
        "mfe_seconds": sc.mfe_seconds,
        "method": m,
        "profile": profile,
        "solver": solver,
        "options": json.dumps(options, sort_keys=True),
        "options_sha256": options_hash(options),
        "smfe_version": version,
    }


def run_suite(
    folder: str | Path,
    methods: list[str],
    profiles: dict[str, dict[str, dict[str, Any]]] | None = None,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    limits: Limits | None = None,
    quiet: bool = False,
) -> RunSummary:
    """Run every missing task (module docstring); rows go to ``folder/results``."""
    folder = Path(folder).resolve()
    if not methods:
        raise InstanceError("--methods", "name at least one method")
    tasks = plan(folder, methods, profiles or {"default": {}})
    store = Store(folder / RESULTS)
    done = store.done()
    todo = [t for t in tasks if t[0] not in done]
    summary = RunSummary(len(tasks), len(tasks) - len(todo), run_id=uuid.uuid4().hex[:12])
    meta = {k: m for k, _, m in todo}
    t0 = time.perf_counter()
    for key, job, m in todo:
        if job["kind"] == "refused":
            refused = Outcome("refused", None, 0.0, 0.0, job["detail"])
            store.put(_row(key, m, refused, "", summary.run_id))
            summary.outcomes["refused"] = summary.outcomes.get("refused", 0) + 1
    todo = [t for t in todo if t[1]["kind"] != "refused"]

    def on_result(key: str, outcome: Outcome, worker: str) -> str:
        row = _row(key, meta[key], outcome, worker, summary.run_id)
        store.put(row)
        summary.ran += 1
        summary.outcomes[outcome.kind] = summary.outcomes.get(outcome.kind, 0) + 1
        return f"{row['solver']} on {row['instance']}: {outcome.kind} {row['status']}"

    execute(
        [(k, j) for k, j, _ in todo],
        limits or Limits(),
        on_result,
        workers=workers,
        scheduler=scheduler,
        desc="bench run",
        quiet=quiet,
    )
    summary.seconds = time.perf_counter() - t0
    return summary


_SCIENCE_DEFAULTS: dict[str, Any] = {
    "status": "no_solution",
    "termination": "error",
    "optimality": "none",
    "certified": False,
    "theta": [],
    "nu": [],
    "message": "",
}


def _row(key: str, meta: dict[str, Any], o: Outcome, worker: str, run_id: str) -> dict[str, Any]:
    finished = dt.datetime.now(dt.UTC)
    started = finished - dt.timedelta(seconds=o.wall_seconds)
    science = dict(o.payload or {})
    if o.kind != "ok":
        science = {**_SCIENCE_DEFAULTS, "status": o.kind}  # no answer: the outcome says why
    return {
        **_SCIENCE_DEFAULTS,
        **science,
        **meta,
        "key": key,
        "run_id": run_id,
        "outcome": o.kind,
        "wall_seconds": o.wall_seconds,
        "peak_rss_mb": o.peak_rss_mb,
        "detail": o.detail[:2000],
        "worker": worker,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
    }
