"""The tiny suite, generated once per test session on a real 2-worker LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from smfe.bench.run import GenerateSummary, generate_suite

USER = Path(__file__).with_name("user_methods.py")


def user(name: str) -> str:
    """The ``python:`` method spec of a function in user_methods.py."""
    return f"python:{USER}:{name}"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    folder = tmp_path_factory.mktemp("bench") / "tiny"
    summary = generate_suite("tiny", folder, workers=2, quiet=True)
    return folder, summary
