"""``smfe bench run`` and ``report``: a real 2-worker LocalCluster, crashes recorded as such,
an interrupted run resumed without recomputing anything, and the report's profiles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from smfe.bench.isolate import Limits, run_isolated
from smfe.bench.report import (
    ReportTolerances,
    add_solved,
    agreement,
    data_profile,
    performance_profile,
    report,
    tidy,
)
from smfe.bench.run import GenerateSummary, parse_profiles, run_suite
from smfe.bench.store import Store, task_key
from smfe.bench.suites import suite
from smfe.errors import InstanceError

from .conftest import user

N = len(suite("tiny"))
SOFT = N - 1  # one tiny instance has the exact response, which pgd refuses


def test_run_on_two_workers_records_a_crash_and_finishes_the_rest(
    tiny: tuple[Path, GenerateSummary],
) -> None:
    folder, _ = tiny
    methods = ["pgd", "ampl:smfe-ipopt", user("abort_now"), "mps:highs"]
    s = run_suite(folder, methods, workers=2, quiet=True)
    assert s.tasks == 4 * N and s.already == 0 and s.ran == 2 * N + SOFT + 1
    assert s.outcomes == {"ok": N + SOFT + 1, "crashed": N, "refused": 2 * N - SOFT - 1}
    df = Store(folder / "results").table().to_pandas()
    crashed = df[df["outcome"] == "crashed"]
    assert len(crashed) == N and crashed["detail"].str.startswith("SIGABRT").all()
    ok = df[df["outcome"] == "ok"]
    assert ok["certified"].all(), ok[["instance", "solver", "status"]]
    assert set(ok["worker"]) <= {"0", "1"} and len(set(ok["worker"])) == 2  # both workers ran
    for inst, rows in ok.groupby("instance"):
        ref = rows["reference_objective"].iloc[0]
        assert np.allclose(rows["objective"], ref, rtol=1e-6, atol=1e-6), inst
    menu = ok[ok["solver"] == "mps:highs"]  # HiGHS on menu.mps: the proven menu optimum
    assert list(menu["instance"]) == ["garnet-exact-S4A2K1b2-T2-s2#menu"]
    assert menu["optimality"].iloc[0] == "global"
    again = run_suite(folder, methods, workers=2, quiet=True)
    assert again.ran == 0 and again.already == 4 * N  # nothing recomputed, no cluster started

    r = report(folder)
    assert {p.name for p in r.files} >= {
        "results.csv",
        "results.parquet",
        "report.md",
        "report.html",
        "agreement.png",
        "performance-leader-soft.png",
        "data-leader-soft.png",
    }
    soft = {row["solver"]: row for row in r.summary if row["class"] == "leader · soft"}
    assert soft["pgd"]["solved"] == SOFT and soft["ampl:smfe-ipopt"]["solved"] == SOFT
    assert soft[user("abort_now")]["solved"] == 0
    tol = ReportTolerances()
    solvers, agree, n = agreement(add_solved(tidy(folder), tol), tol)
    i, j = solvers.index("pgd"), solvers.index("ampl:smfe-ipopt")
    assert agree[i, j] == n[i, j] == SOFT  # pgd and Ipopt on model.nl agree on J, θ and ν
    assert "crashed" in r.markdown
    mine = folder.parent / "mine"
    mine.mkdir()
    (mine / "report.md").write_text("my notes")
    with pytest.raises(InstanceError, match="not empty; use --force"):
        report(folder, mine)
    assert (mine / "report.md").read_text() == "my notes"
    assert report(folder, mine, force=True).folder == mine


def test_an_interrupted_run_resumes_without_recomputing(
    tiny: tuple[Path, GenerateSummary],
) -> None:
    folder, _ = tiny
    method = user("slow_pgd")
    profile = {"slow": {method: {"sleep": 2.0}}}
    cmd = [
        sys.executable,
        "-m",
        "smfe.cli",
        "bench",
        "run",
        str(folder),
        "--methods",
        method,
        "--profile",
        'slow={"' + method + '": {"sleep": 2.0}}',
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.DEVNULL)
    store = Store(folder / "results")
    keys = {task_key(k, method, {"sleep": 2.0}, version) for k, version in _instance_hashes(folder)}
    deadline = time.monotonic() + 120
    while len(store.done() & keys) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the client, the cluster and the tasks in flight
    proc.wait()
    first = {k: (store.folder / f"{k}.parquet").read_bytes() for k in store.done() & keys}
    assert 2 <= len(first) < N
    s = run_suite(folder, [method], profile, workers=2, quiet=True)
    assert s.already == len(first) and s.ran == N - len(first)
    assert store.done() & keys == keys
    for k, data in first.items():  # what the killed run stored is untouched
        assert (store.folder / f"{k}.parquet").read_bytes() == data
    rows = store.table(keys).to_pandas()
    assert rows["run_id"].nunique() == 2 and rows["certified"].sum() == SOFT


def _instance_hashes(folder: Path) -> list[tuple[str, str]]:
    from smfe.bench.generate import versions
    from smfe.bench.run import read_index
    from smfe.bench.sidecar import read_sidecar

    v = versions()["smfe"]
    return [
        (read_sidecar(folder / e["folder"] / "solution.json").game_sha256, v)
        for e in read_index(folder)["instances"]
    ]


def _job(folder: Path, name: str, **options: object) -> dict[str, object]:
    inst = folder / "instances" / suite("tiny")[0].name
    return {"kind": "run", "folder": str(inst), "method": user(name), "options": options}


def test_isolated_task_outcomes(tiny: tuple[Path, GenerateSummary]) -> None:
    folder, _ = tiny
    hang = run_isolated(_job(folder, "hang"), Limits(seconds=4.0))
    assert hang.kind == "timeout" and 4.0 <= hang.wall_seconds < 15.0
    oom = run_isolated(_job(folder, "allocate", gib=6), Limits(memory_bytes=3 * 2**30))
    assert oom.kind == "out_of_memory", oom.detail
    err = run_isolated(_job(folder, "raise_error"), Limits())
    assert err.kind == "error" and "ValueError: a deliberate failure" in err.detail
    wrong = run_isolated(_job(folder, "not_a_result"), Limits())
    assert wrong.kind == "error" and "returned int, not an smfe Result" in wrong.detail


def test_bad_run_input_is_a_typed_error(tiny: tuple[Path, GenerateSummary]) -> None:
    folder, _ = tiny
    with pytest.raises(InstanceError, match=r"unknown method 'pdg'.*pgd"):
        run_suite(folder, ["pdg"], quiet=True)
    with pytest.raises(InstanceError, match="unknown profile 'fast'"):
        parse_profiles(["fast"])
    with pytest.raises(InstanceError, match=r"--profile x.*JSON"):
        parse_profiles(["x={oops"])
    with pytest.raises(InstanceError, match=r"has no index\.json"):
        run_suite(folder / "instances", ["pgd"], quiet=True)
    with pytest.raises(InstanceError, match="--time-limit"):
        Limits(seconds=0)


def test_profiles_by_hand() -> None:
    inf = np.inf
    t = np.array([[1.0, 2.0], [3.0, 1.5], [inf, 4.0], [inf, inf]])
    rho = performance_profile(t, np.array([1.0, 2.0, 10.0]))
    assert rho.tolist() == [[0.25, 0.5, 0.5], [0.5, 0.75, 0.75]]
    d = data_profile(t, np.array([1.0, 1.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    assert d.tolist() == [[0.25, 0.25, 0.5], [0.0, 0.75, 0.75]]


def test_bench_command_line(
    tiny: tuple[Path, GenerateSummary], capsys: pytest.CaptureFixture[str]
) -> None:
    from smfe.cli import main

    folder, _ = tiny
    assert main(["bench", "validate", str(folder)]) == 0
    assert f"{N} of {N} instances re-certified" in capsys.readouterr().out
    assert main(["bench", "schema"]) == 0
    assert '"smfe-bench-solution"' in capsys.readouterr().out
    assert main(["bench", "run", str(folder), "--methods", "nope"]) == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    assert main(["bench", "run", str(folder), "--methods", "pgd", "--memory-limit", "0"]) == 2
    assert main(["bench", "generate", "--suite", "huge", "--out", str(folder)]) == 2


def test_an_existing_scheduler_by_address(tiny: tuple[Path, GenerateSummary]) -> None:
    from distributed import LocalCluster

    folder, _ = tiny
    method = user("slow_pgd")
    with LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None,
                      host="127.0.0.1") as cluster:  # fmt: skip
        s = run_suite(folder, [method], {"now": {method: {"sleep": 0.0}}},
                      scheduler=cluster.scheduler_address, quiet=True)  # fmt: skip
    assert s.ran == N and s.outcomes == {"ok": SOFT, "error": 1}  # pgd refuses the exact game
    rows = Store(folder / "results").table().to_pandas()
    rows = rows[rows["options"] == '{"sleep": 0.0}']
    assert rows["certified"].sum() == SOFT
