"""Shared fixtures: catalogue instances and small random games."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Pyomo writes ~/.pyomo unless told otherwise
os.environ.setdefault("PYOMO_CONFIG_DIR", os.path.join(os.path.dirname(__file__), "..", ".pyomo"))

import smfe

SMALL = {
    "crowd-motion": {"torus_l": 5, "torus_w": 4, "tau": 0.1},
    "building-evacuation": {"n_floor": 2, "floor_l": 3, "floor_w": 3, "tau": 0.1},
    "susceptible-infected": {"T": 10, "tau": 0.1},
    **{
        name: {"tau": 0.1}
        for name in ("beach-bar", "equilibrium-price", "left-right", "rock-paper-scissors")
    },
}
"""Soft, smaller versions of the standard environments: their exact defaults take fictitious
play 5–100 s (the defaults themselves are checked in tests/unit/test_environments.py)."""


@pytest.fixture(params=smfe.catalogue())
def catalogue_game(request: pytest.FixtureRequest) -> smfe.Game:
    return smfe.make_instance(request.param, **SMALL.get(request.param, {}))


@pytest.fixture
def small_garnet() -> smfe.Game:
    return smfe.make_instance("garnet", n_states=8, n_actions=3, branching=2, n_types=2, n_zones=2)
