"""``smfe bench``: benchmark suites with certified reference solutions, and solver comparisons
on Dask (docs/bench.md).

``generate_suite(name, folder)`` writes a suite; ``run_suite(folder, methods, profiles)``
runs methods on it into a resumable Parquet store; ``report(folder)`` writes the tidy table,
performance and data profiles, the agreement matrix and a failure taxonomy;
``recertify(instance_folder)`` checks one instance from its files alone.
"""

from smfe.bench.recertify import recertify
from smfe.bench.report import report
from smfe.bench.run import generate_suite, run_suite
from smfe.bench.suites import SUITES, suite

__all__ = ["SUITES", "generate_suite", "recertify", "report", "run_suite", "suite"]
