"""Regression tests for the malformed inputs of issue #9, each through the public entry point
(the Python API or the CLI): a typed error naming the field path, exit code 2, one line."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import smfe
from smfe.cli import main
from smfe.errors import InstanceError
from smfe.game.serialize import game_from_dict, game_from_json, game_to_dict
from smfe.market.data import reference_instance
from smfe.market.game import market_game
from smfe.market.instance_file import dump_instance, instance_from_dict, instance_from_json
from smfe.solvers.options import LeaderOptions, MFEOptions


@pytest.fixture
def doc() -> dict[str, Any]:
    return game_to_dict(smfe.make_instance("garnet", n_states=4, n_actions=2, n_zones=2))


def _field(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(InstanceError) as e:
        fn(*args, **kw)
    return e.value.field


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return rc, err[-1] if err else ""


@pytest.mark.parametrize("value", ["Soft", 5, None])
def test_response_must_be_a_known_word(doc: dict[str, Any], value: Any) -> None:
    doc["response"] = value
    assert _field(game_from_dict, doc) == "response"


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        (("prices",), [5], "prices[0]"),
        (("prices",), "p", "prices"),
        (("types", 0, "transition", "shape"), "a", "types[0].transition.shape"),
        (("types", 0, "reward", "data"), [[0.1, 0.2], [0.3]], "types[0].reward.data[0]"),
        (("tau",), True, "tau"),
        (("tau",), "0.2", "tau"),
        (("version",), True, "version"),
        (("types", 0, "name"), 7, "types[0].name"),
        (("horizon", "gamma"), "0.9", "horizon.gamma"),
    ],
)
def test_wrong_types_name_their_path(
    doc: dict[str, Any], where: tuple[Any, ...], value: Any, field: str
) -> None:
    node = doc
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = value
    assert _field(game_from_dict, doc) == field


@pytest.mark.parametrize("bad", [-1.0, 2.0, 0.5, math.nan])
def test_mask_values_other_than_0_1_are_refused(doc: dict[str, Any], bad: float) -> None:
    mask = doc["types"][1]["mask"]
    mask["data"][3] = bad
    text = json.dumps(doc)  # NaN travels as the JSON token NaN
    with pytest.raises(InstanceError, match=r"types\[1\]\.mask\[1, 1\]: must hold only") as e:
        game_from_json(text)
    assert e.value.field == "types[1].mask" and e.value.index == (1, 1)  # flat entry 3 of (4, 2)


def test_a_key_given_twice_is_refused(doc: dict[str, Any]) -> None:
    text = json.dumps(doc).replace('"tau": ', '"tau": 0.5, "tau": ', 1)
    with pytest.raises(InstanceError, match="'tau' twice"):
        game_from_json(text)
    with pytest.raises(InstanceError, match="'name' twice"):
        instance_from_json('{"name": "a", "name": "b"}')


def test_unknown_key_gets_a_suggestion(doc: dict[str, Any]) -> None:
    doc["types"][0]["rewrad"] = doc["types"][0]["reward"]
    with pytest.raises(InstanceError, match="did you mean 'reward'"):
        game_from_dict(doc)


def test_kernel_index_out_of_shape_names_the_array(doc: dict[str, Any]) -> None:
    doc["types"][1]["transition"]["index"][4] = 10**9
    assert _field(game_from_dict, doc) == "types[1].transition"


def test_types_are_named_by_index_in_file_errors(doc: dict[str, Any]) -> None:
    doc["types"][1]["transition"]["data"][0] += 0.25
    with pytest.raises(InstanceError) as e:
        game_from_dict(doc)
    assert e.value.field == "types[1].transition" and "row sums" in str(e.value)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_iter": "10"}, "options.max_iter"),
        ({"max_iter": 1.5}, "options.max_iter"),
        ({"newton": "no"}, "options.newton"),
        ({"tol": True}, "options.tol"),
        ({"tol": -1.0}, "options.tol"),
        ({"tolerance": 1e-8}, "options.tolerance"),
        ([1], "options"),
    ],
)
def test_bad_options(options: Any, field: str) -> None:
    assert _field(MFEOptions.from_dict, options) == field


def test_nested_options_name_their_path() -> None:
    assert _field(LeaderOptions.from_dict, {"mfe": {"tol": "1"}}) == "options.mfe.tol"
    opts = LeaderOptions.from_dict({"mfe": {"tol": 1e-9, "averaging": "damped"}})
    assert opts.mfe.tol == 1e-9


def test_solve_validates_theta_before_arithmetic() -> None:
    g = smfe.make_instance("two-state")
    for theta, field in (
        ([1.0, 2.0], "theta"),
        ([math.nan], "theta[0]"),
        (["1"], "theta"),
        ([True], "theta"),
        ([1e9], "theta"),
    ):
        assert _field(smfe.solve, g, "mfe", theta=theta) == field


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["solve", "two-state", "--options", "{'tol': 1e-8}"], "--options: is not valid JSON"),
        (["solve", "two-state", "--options", '{"max_iter": "10"}'], "options.max_iter"),
        (["market", "--weight", "peak=abc"], "--weight peak: must be a number"),
        (["market", "--weight", "peak=nan"], "--weight peak: must be finite"),
        (["tau-sweep", "two-state", "--taus", "abc"], "--taus[0]: must be a number"),
        (["tau-sweep", "two-state", "--taus", "0.1,-1"], "taus"),
        (["solve", "garnet", "--set", "n_states=abc"], "n_states: must be an integer"),
        (["solve", "garnet", "--set", "n_sttes=4"], "did you mean 'n_states'"),
    ],
)
def test_cli_values_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, last = _cli([*argv], capsys)
    assert rc == 2 and needle in last and last.startswith("smfe: error: ")


@pytest.mark.parametrize(
    ("theta", "needle"),
    [
        ("[1, 2]", "has 2 values, expected 3"),
        ("[NaN, 0, 0]", "--theta[0]: must be finite"),
        ("[1e9, 0, 0]", "outside the decision set"),
    ],
)
def test_export_refuses_bad_theta_and_writes_nothing(
    theta: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.gms"
    argv = ["export", "garnet", "--set", "n_zones=3", "--theta", theta, "--out", str(out)]
    rc, last = _cli(argv, capsys)
    assert rc == 2 and needle in last and not out.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"battery": None}, "battery"),
        ({"supply": "x"}, "supply"),
        ({"weather": 5}, "weather"),
        ({"flexibility": True}, "flexibility"),
        ({"soc_levels": 7.0}, "soc_levels"),
        ({"pv_derate": "1"}, "pv_derate"),
    ],
)
def test_market_instance_types(change: dict[str, Any], field: str) -> None:
    assert _field(instance_from_dict, {"name": "x", **change}) == field


def test_market_instance_values_and_names() -> None:
    groups = json.loads(dump_instance(reference_instance()))["groups"]
    groups[0]["income"] = 1e308
    assert _field(instance_from_dict, {"name": "x", "groups": groups}) == "groups[G1].income"
    groups[0]["income"] = 22_000.0
    groups[1]["name"] = None
    assert _field(instance_from_dict, {"name": "x", "groups": groups}) == "groups[1].name"


def test_empty_market_file_is_not_the_reference_in_disguise() -> None:
    assert _field(instance_from_dict, {}) == "name"


def test_market_size_is_refused_before_allocating() -> None:
    big = instance_from_dict({"name": "big", "soc_levels": 100_000})
    t0 = time.perf_counter()
    assert _field(market_game, big) == "instance"
    assert time.perf_counter() - t0 < 5.0


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("garnet", {"n_states": 100_000_000}),
        ("congestion", {"T": 10**7}),
        ("garnet", {"horizon": 10**7}),
    ],
)
def test_catalogue_sizes_are_refused_before_allocating(
    name: str, overrides: dict[str, int]
) -> None:
    t0 = time.perf_counter()
    assert _field(smfe.make_instance, name, **overrides) == name
    assert time.perf_counter() - t0 < 5.0


def test_budget_can_be_raised() -> None:
    from smfe.inputs.budget import Budget

    with pytest.raises(InstanceError):
        smfe.make_instance("congestion", T=30, budget=Budget(max_pair_steps=100))
    assert (
        smfe.make_instance("congestion", T=30, budget=Budget(max_pair_steps=1000)).horizon.T == 30
    )


def test_game_file_declaring_a_huge_array_is_refused(doc: dict[str, Any]) -> None:
    S, A = 10**6, 100  # declared with empty sparse data: a few bytes of JSON
    t = doc["types"][0]
    t["mask"] = {"shape": [S, A], "index": [], "data": []}
    t["reward"] = {"shape": [S, A], "index": [], "data": []}
    t["transition"] = {"shape": [S * A, S], "index": [], "data": []}
    for k in ("reward_theta", "aggregate", "exposure", "leader_weight", "init"):
        t[k] = None
    with pytest.raises(InstanceError, match="state-action-steps") as e:
        game_from_dict(doc)
    assert e.value.field == "types"
    doc["types"][1]["aggregate"]["shape"] = [3, 4, 2]
    assert _field(game_from_dict, doc) == "types[1].aggregate"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"format": "smfe-game"}'.encode("utf-16"), "UTF-16"),
        ('{"name": "é"}'.encode("latin-1"), "not UTF-8"),
        (bytes(range(256)), "not UTF-8"),
        (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        (b"", "not valid JSON"),
    ],
)
def test_bad_files(
    content: bytes, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "g.json"
    f.write_bytes(content)
    rc, last = _cli(["solve", str(f), "--quiet"], capsys)
    assert rc == 2 and needle in last


def test_directory_and_empty_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["solve", str(tmp_path)], capsys) == (
        2,
        f"smfe: error: path: {str(tmp_path)!r} is a directory, not a file",
    )
    rc, last = _cli(["solve", ""], capsys)
    assert rc == 2 and "empty" in last


def test_out_never_overwrites_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = tmp_path / "g.json"
    assert main(["instance", "two-state", "--out", str(g)]) == 0
    before = g.read_bytes()
    rc, last = _cli(["solve", str(g), "--quiet", "--out", str(g)], capsys)
    assert rc == 2 and "input of this command" in last and g.read_bytes() == before
    rc, last = _cli(["solve", str(g), "--quiet", "--out", str(g), "--force"], capsys)
    assert rc == 2 and g.read_bytes() == before  # even with --force
    rc, last = _cli(["instance", "two-state", "--out", str(g)], capsys)
    assert rc == 2 and "--force" in last
    assert main(["instance", "two-state", "--set", "tau=0.4", "--out", str(g), "--force"]) == 0
    assert json.loads(g.read_text())["tau"] == 0.4


def test_dump_instance_never_overwrites_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "m.json"
    f.write_text('{"name": "mine", "soc_levels": 4}')
    argv = ["market", "--instance", str(f), "--dump-instance", str(f), "--force"]
    rc, last = _cli(argv, capsys)
    assert rc == 2 and "input of this command" in last
    assert f.read_text() == '{"name": "mine", "soc_levels": 4}'


def test_export_nl_checks_its_sibling_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.row").write_text("keep me")
    rc, last = _cli(["export", "two-state", "--out", str(tmp_path / "m.nl")], capsys)
    assert rc == 2 and "m.row" in last and (tmp_path / "m.row").read_text() == "keep me"
    assert not (tmp_path / "m.nl").exists()


def test_export_into_a_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir" / "m.nl"
    assert main(["export", "two-state", "--out", str(out)]) == 0
    assert out.exists() and out.with_suffix(".row").exists()


def test_market_out_is_checked_before_the_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    t0 = time.perf_counter()
    rc, last = _cli(["market", "--out", str(f)], capsys)
    assert rc == 2 and "not a folder" in last and time.perf_counter() - t0 < 10.0
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "market.json").write_text("{}")
    rc, last = _cli(["market", "--out", str(tmp_path / "o")], capsys)
    assert rc == 2 and "--force" in last


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    from smfe.files import write_with

    f = tmp_path / "r.json"
    f.write_text("old")

    def broken(p: Path) -> None:
        p.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_with(f, broken, force=True)
    assert f.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_internal_errors_exit_3_with_a_report_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import smfe.dispatch as api

    def boom(*a: Any, **k: Any) -> None:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(api, "solve", boom)
    assert main(["solve", "two-state", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "please report" in err
    assert "Traceback" not in err
    assert main(["--debug", "solve", "two-state", "--quiet"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_certify_checks_what_the_result_claims() -> None:
    g = smfe.make_instance("two-state")
    r = smfe.solve(g, "mfe", theta=[0.3])
    assert r.success and not r.leader_optimised
    cert = smfe.certify(g, r)
    assert cert.passed and "leader_stationarity" not in cert.residuals
    lead = smfe.solve(g, "pgd")
    assert "leader_stationarity" in smfe.certify(g, lead).residuals


def test_feasible_label_needs_the_equilibrium_conditions() -> None:
    from smfe.certification.certificate import Certificate
    from smfe.solvers.result import finalise_status
    from smfe.solvers.status import SolutionStatus, TerminationCondition

    tols = {"consistency": 1e-8, "policy": 1e-8, "exploitability": 1e-7, "feasible": 1e-6}
    consistent_but_exploitable = Certificate(
        {"consistency": 0.0, "policy": 0.0, "exploitability": 9.4}, tols, False, ("exploitability",)
    )
    stop = TerminationCondition.CONVERGED
    assert finalise_status(stop, consistent_but_exploitable) == SolutionStatus.INFEASIBLE
    assert (
        finalise_status(TerminationCondition.INFEASIBLE, consistent_but_exploitable)
        == SolutionStatus.NO_SOLUTION
    )
    near = Certificate({"consistency": 1e-7, "policy": 0.0, "exploitability": 1e-7}, tols, False)
    assert finalise_status(TerminationCondition.ITERATION_LIMIT, near) == SolutionStatus.FEASIBLE


def test_cli_discoverability(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and "smfe" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    text = "".join(capsys.readouterr().out.split())  # help wraps lines at hyphens
    for m in smfe.methods():
        assert m in text
    assert main(["catalogue", "garnet"]) == 0
    assert "n_states" in capsys.readouterr().out
    f = tmp_path / "ref.json"
    assert main(["market", "--dump-instance", str(f)]) == 0
    again = instance_from_dict(json.loads(f.read_text()))
    assert again == reference_instance()


def test_progress_on_a_non_tty_is_a_few_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(
        [
            "solve",
            "garnet",
            "--set",
            "n_states=6",
            "--method",
            "fd-pgd",
            "--options",
            '{"max_iter": 30}',
        ]
    ) in (0, 1)
    err = capsys.readouterr().err
    assert len(err.splitlines()) <= 5, err


def test_mask_bool_array_error_names_the_entry() -> None:
    from smfe.game.checks import bool_array

    with pytest.raises(InstanceError) as e:
        bool_array(np.array([[1.0, -1.0]]), "mask", (1, 2))
    assert e.value.index == (0, 1)
