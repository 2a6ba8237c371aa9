"""``python -m smfe.bench.child JOB.json OUT.json``: one isolated benchmark task.

``JOB`` says ``kind`` (``generate``: one instance of a suite; ``run``: one method on one
instance) and its arguments. ``OUT`` is written only when the task ends in Python, with an
``outcome``: ``ok``, ``error`` (the exception named) or ``out_of_memory``. A process that
dies otherwise writes nothing, and :mod:`smfe.bench.isolate` reads how it died.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def _run(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "generate":
        from smfe.bench.generate import generate_instance
        from smfe.bench.suites import InstanceSpec

        spec = InstanceSpec.from_dict(job["spec"])
        return generate_instance(spec, job["suite"], job["folder"])
    if job["kind"] == "run":
        from smfe.bench.methods import run_task

        return run_task(job)
    raise ValueError(f"unknown job kind {job['kind']!r}")


def main(argv: list[str]) -> int:
    job_path, out_path = Path(argv[0]), Path(argv[1])
    job = json.loads(job_path.read_text())
    try:
        payload = {"outcome": "ok", **_run(job)}
    except MemoryError:
        payload = {"outcome": "out_of_memory", "detail": "MemoryError under the memory limit"}
    except Exception as exc:  # reported to the parent, which records it as the task's error
        tb = traceback.format_exc(limit=-3)
        payload = {"outcome": "error", "detail": f"{type(exc).__name__}: {exc}\n{tb}"[-3000:]}
    tmp = out_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
