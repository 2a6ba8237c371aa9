"""The results store of ``smfe bench run``: one Parquet file per finished task.

Why Parquet files rather than a DuckDB database: results are written by one process (the
run's client) as tasks finish, and a run may be killed at any moment. A file per task,
written under a temporary name and renamed into place, is never half-written, needs no
lock or recovery, and the folder is a Parquet dataset any tool reads (pandas, polars,
DuckDB, Spark). :meth:`Store.done` is the set of keys on disk, so a rerun computes only what
is missing and never touches what is there.

The key of a task is the SHA-256 of (instance hash, method, options hash, smfe version):
the same method with the same options on the same game by the same smfe is computed once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("run_id", pa.string()),
        ("instance", pa.string()),
        ("instance_sha256", pa.string()),
        ("family", pa.string()),
        ("problem", pa.string()),
        ("tags", pa.string()),
        ("n_state_actions", pa.int64()),
        ("n_theta", pa.int64()),
        ("reference_objective", pa.float64()),
        ("reference_kind", pa.string()),
        ("mfe_seconds", pa.float64()),
        ("method", pa.string()),
        ("profile", pa.string()),
        ("solver", pa.string()),
        ("options", pa.string()),
        ("options_sha256", pa.string()),
        ("smfe_version", pa.string()),
        ("outcome", pa.string()),
        ("status", pa.string()),
        ("termination", pa.string()),
        ("optimality", pa.string()),
        ("certified", pa.bool_()),
        ("objective", pa.float64()),
        ("theta", pa.list_(pa.float64())),
        ("nu", pa.list_(pa.float64())),
        ("residual_mfe", pa.float64()),
        ("exploitability", pa.float64()),
        ("leader_stationarity", pa.float64()),
        ("max_violation", pa.float64()),
        ("seconds", pa.float64()),
        ("wall_seconds", pa.float64()),
        ("peak_rss_mb", pa.float64()),
        ("iterations", pa.int64()),
        ("message", pa.string()),
        ("detail", pa.string()),
        ("worker", pa.string()),
        ("started", pa.string()),
        ("finished", pa.string()),
    ]
)
"""One row per task (docs/bench.md describes every column)."""


def options_hash(options: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()


def task_key(instance_sha256: str, method: str, options: dict[str, Any], version: str) -> str:
    """The store key (module docstring)."""
    text = json.dumps([instance_sha256, method, options_hash(options), version])
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """A folder of one-row Parquet files named by task key (module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def done(self) -> set[str]:
        if not self.folder.exists():
            return set()
        return {p.stem for p in self.folder.glob("*.parquet")}

    def put(self, row: dict[str, Any]) -> Path:
        """Write one row atomically (missing columns null, unknown ones an error)."""
        unknown = set(row) - set(SCHEMA.names)
        if unknown:
            raise ValueError(f"columns not in the results schema: {sorted(unknown)}")
        self.folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([row], schema=SCHEMA)
        path = self.folder / f"{row['key']}.parquet"
        tmp = self.folder / f".{row['key']}.{os.getpid()}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        return path

    def table(self, keys: Iterable[str] | None = None) -> pa.Table:
        """All rows (or those of ``keys``) as one Arrow table with :data:`SCHEMA`."""
        wanted = None if keys is None else set(keys)
        files = sorted(self.folder.glob("*.parquet")) if self.folder.exists() else []
        parts = [
            pq.read_table(p, schema=SCHEMA) for p in files if wanted is None or p.stem in wanted
        ]
        return pa.concat_tables(parts) if parts else SCHEMA.empty_table()
