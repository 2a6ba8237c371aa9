"""Time-varying rewards (``reward_steps``) reach every route the same way: the iterative
solver, F1 (Ipopt), the convex program, and the leader's implicit gradient."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe

NU = 1e-6
"""ν agreement (∞-norm); the convex route (Clarabel) is the loosest of the three."""
LEADER = 1e-8
"""pgd vs F1 with the leader objective: J agreement."""


@pytest.fixture(scope="module")
def game() -> smfe.Game:
    g = smfe.make_instance("congestion", T=4)
    t = g.types[0]
    steps = np.random.default_rng(0).normal(size=(4, *t.reward.shape))
    return dataclasses.replace(g, types=(dataclasses.replace(t, reward_steps=steps),))


def test_fixed_theta_routes_agree(game: smfe.Game) -> None:
    th = np.full(5, 0.3)
    runs = [
        smfe.solve(game, "mfe", theta=th),
        smfe.solve(game, "soft-nlp", theta=th, options={"fix_theta": True}),
        smfe.solve(game, "convex-mfe", theta=th),
    ]
    for r in runs:
        assert r.certificate is not None and r.certificate.residuals["exploitability"] <= 1e-9
    for r in runs[1:]:
        assert np.abs(r.nu[0] - runs[0].nu[0]).max() <= NU
    plain = smfe.solve(
        dataclasses.replace(game, types=(dataclasses.replace(game.types[0], reward_steps=None),)),
        "mfe",
        theta=th,
    )
    assert np.abs(plain.nu[0] - runs[0].nu[0]).max() > 0.1  # the steps matter


def test_leader_routes_agree(game: smfe.Game) -> None:
    pgd = smfe.solve(game, "pgd")
    nlp = smfe.solve(game, "soft-nlp")
    assert pgd.status.ok and nlp.status.ok
    assert pgd.objective == pytest.approx(nlp.objective, abs=LEADER)
