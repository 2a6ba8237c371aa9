"""Shared fixtures: catalogue instances and small random games."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Pyomo writes ~/.pyomo unless told otherwise
os.environ.setdefault("PYOMO_CONFIG_DIR", os.path.join(os.path.dirname(__file__), "..", ".pyomo"))

import smfe


@pytest.fixture(params=smfe.catalogue())
def catalogue_game(request: pytest.FixtureRequest) -> smfe.Game:
    return smfe.make_instance(request.param)


@pytest.fixture
def small_garnet() -> smfe.Game:
    return smfe.make_instance("garnet", n_states=8, n_actions=3, branching=2, n_types=2, n_zones=2)
