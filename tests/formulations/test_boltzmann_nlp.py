"""F1-Boltzmann (softmax of the exact Q*) agrees with the iterative Boltzmann solver."""

from __future__ import annotations

import pytest

import smfe
from smfe.formulations.boltzmann_nlp import build_boltzmann_nlp

MFE_AGREE = smfe.AgreeTolerances(objective=1e-8, theta=0.0, nu=1e-7, policy=1e-7)
LEADER_AGREE = smfe.AgreeTolerances(objective=1e-7, theta=1e-4, nu=1e-4, policy=1e-4)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("two-state", {}),
        ("garnet", {}),
        ("garnet", {"horizon": 4, "n_states": 8}),
        ("leader-mdp", {}),
    ],
)
def test_fixed_theta_matches_the_iterative_boltzmann_mfe(name: str, kw: dict[str, object]) -> None:
    g = smfe.make_instance(name, response="boltzmann", **kw)
    nlp = smfe.solve(g, "boltzmann-nlp", {"fix_theta": True})
    it = smfe.solve(g, "mfe")
    assert nlp.status.ok and it.status.ok, nlp.summary()
    assert smfe.agree([nlp, it], MFE_AGREE), str(smfe.agree([nlp, it], MFE_AGREE))


def test_leader_problem_matches_black_box_gradient_ascent() -> None:
    g = smfe.make_instance("garnet", response="boltzmann", n_states=10, n_actions=3)
    nlp = smfe.solve(g, "boltzmann-nlp")
    bb = smfe.solve(g, "fd-pgd", {"tol": 1e-7})
    assert nlp.status.ok and nlp.optimality == smfe.Optimality.LOCAL
    assert smfe.agree([nlp, bb], LEADER_AGREE), str(smfe.agree([nlp, bb], LEADER_AGREE))


def test_rejects_soft_games() -> None:
    with pytest.raises(smfe.FormulationError, match="Boltzmann"):
        build_boltzmann_nlp(smfe.make_instance("garnet"))
