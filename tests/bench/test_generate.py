"""``smfe bench generate``: the tiny suite end to end, its sidecars and their re-certification."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from smfe.bench.generate import build_game, generate_instance
from smfe.bench.recertify import recertify
from smfe.bench.run import GenerateSummary, generate_suite, read_index
from smfe.bench.sidecar import read_sidecar
from smfe.bench.suites import SUITES, InstanceSpec, suite
from smfe.errors import InstanceError
from smfe.game.serialize import game_to_dict


def test_suites_are_deterministic_and_named_uniquely() -> None:
    for name in SUITES:
        specs = suite(name)
        assert specs == suite(name)
        assert len({s.name for s in specs}) == len(specs)
        for s in specs:
            assert InstanceSpec.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    spec = suite("standard")[0]
    assert json.dumps(game_to_dict(build_game(spec))) == json.dumps(game_to_dict(build_game(spec)))


def test_unknown_suite_is_a_typed_error() -> None:
    with pytest.raises(InstanceError, match="unknown suite 'huge'"):
        suite("huge")


def test_tiny_suite_generated_with_an_index(tiny: tuple[Path, GenerateSummary]) -> None:
    folder, summary = tiny
    assert summary.failed == {}
    index = read_index(folder)
    names = [s.name for s in suite("tiny")]
    assert [e["instance"] for e in index["instances"]] == names
    kinds = {e["instance"]: e["certification"] for e in index["instances"]}
    assert kinds["garnet-exact-S4A2K1b2-T2-s2"] == "global"  # SCIP closed the gap
    assert all(k in ("global", "local") for k in kinds.values())
    for e in index["instances"]:
        files = {p.name for p in (folder / e["folder"]).iterdir()}
        assert {"game.json", "model.nl", "model.col", "model.row", "model.gms", "model.sol",
                "solution.json"} <= files  # fmt: skip


def test_sidecars_validate_against_the_written_schema(tiny: tuple[Path, GenerateSummary]) -> None:
    folder, _ = tiny
    schema = json.loads((folder / "sidecar.schema.json").read_text())
    for e in read_index(folder)["instances"]:
        doc = json.loads((folder / e["folder"] / "solution.json").read_text())
        jsonschema.validate(doc, schema)  # an independent validator of the published schema
        bad = dict(doc, certification=dict(doc["certification"], kind="proven"))
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_sidecars_recertify_from_the_files(tiny: tuple[Path, GenerateSummary]) -> None:
    folder, _ = tiny
    for e in read_index(folder)["instances"]:
        check = recertify(folder / e["folder"])
        assert check.ok, (e["instance"], check.problems)
        sc = read_sidecar(folder / e["folder"] / "solution.json")
        assert check.objective == pytest.approx(sc.objective, rel=1e-9, abs=1e-9)


def test_recertify_catches_a_tampered_sidecar(
    tiny: tuple[Path, GenerateSummary], tmp_path: Path
) -> None:
    folder, _ = tiny
    src = folder / "instances" / "garnet-unique-S5A2K1b2-s0"
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    doc = json.loads((tmp_path / "solution.json").read_text())
    doc["objective"] += 1e-3
    (tmp_path / "solution.json").write_text(json.dumps(doc))
    problems = recertify(tmp_path).problems
    assert any("objective" in p for p in problems) and any("J at the point" in p for p in problems)
    doc["certification"]["kind"] = "proven"
    (tmp_path / "solution.json").write_text(json.dumps(doc))
    assert any("certification.kind" in p for p in recertify(tmp_path).problems)


def test_generation_resumes_and_refuses_foreign_folders(
    tiny: tuple[Path, GenerateSummary], tmp_path: Path
) -> None:
    folder, _ = tiny
    again = generate_suite("tiny", folder, workers=1, quiet=True)  # nothing to do: no cluster
    assert again.generated == [] and len(again.kept) == len(suite("tiny"))
    with pytest.raises(InstanceError, match="holds suite 'tiny', not 'standard'"):
        generate_suite("standard", folder, quiet=True)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InstanceError, match="not empty"):
        generate_suite("tiny", tmp_path, quiet=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_one_instance_in_process_matches_the_cluster_one(
    tiny: tuple[Path, GenerateSummary], tmp_path: Path
) -> None:
    folder, _ = tiny
    spec = suite("tiny")[0]
    entry = generate_instance(spec, "tiny", tmp_path / spec.name)
    assert (
        entry["game_sha256"]
        == read_sidecar(folder / "instances" / spec.name / "solution.json").game_sha256
    )
