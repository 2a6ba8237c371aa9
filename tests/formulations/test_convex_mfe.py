"""F3 (cvxpy): the finite-horizon soft MFE as a concave program agrees with F1 and iteration."""

from __future__ import annotations

import pytest

import smfe

CONVEX_AGREE = smfe.AgreeTolerances(objective=1e-6, theta=0.0, nu=1e-6, policy=1e-6)
"""Interior-point accuracy on the exponential cone is about 1e-7 in ν (unpolished)."""
POLISHED_AGREE = smfe.AgreeTolerances(objective=1e-10, theta=0.0, nu=1e-10, policy=1e-10)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("congestion", {}),
        ("garnet", {"horizon": 5, "n_states": 10}),
        ("garnet", {"horizon": 4, "n_states": 8, "n_types": 3, "seed": 5}),
    ],
)
def test_convex_route_agrees_with_the_other_two(name: str, kw: dict[str, object]) -> None:
    g = smfe.make_instance(name, **kw)
    raw = smfe.solve(g, "convex-mfe", {"polish": False})
    assert raw.status.termination == smfe.TerminationCondition.CONVERGED
    assert raw.status.solution in (smfe.SolutionStatus.OPTIMAL, smfe.SolutionStatus.FEASIBLE)
    assert raw.certificate.unique_mfe is True  # strict concavity
    it = smfe.solve(g, "mfe")
    nlp = smfe.solve(g, "soft-nlp", {"fix_theta": True})
    agreement = smfe.agree([raw, it, nlp], CONVEX_AGREE)
    assert agreement, str(agreement)
    # polished by Newton from the program's ν: certified, and the same MFE to round-off
    cvx = smfe.solve(g, "convex-mfe")
    assert cvx.status.ok, cvx.summary()
    assert "Newton-polished" in cvx.message
    agreement = smfe.agree([cvx, it, nlp], POLISHED_AGREE)
    assert agreement, str(agreement)


def test_convex_route_refuses_games_it_does_not_characterise() -> None:
    with pytest.raises(smfe.FormulationError, match="finite-horizon"):
        smfe.solve(smfe.make_instance("garnet"), "convex-mfe")
    with pytest.raises(smfe.FormulationError, match="soft"):
        smfe.solve(smfe.make_instance("congestion", tau=0.0), "convex-mfe")
    with pytest.raises(smfe.FormulationError, match="soft"):
        smfe.solve(smfe.make_instance("congestion", response="boltzmann"), "convex-mfe")


def test_scs_is_a_second_backend() -> None:
    g = smfe.make_instance("garnet", horizon=3, n_states=6)
    scs = smfe.solve(g, "convex-mfe", {"solver": "SCS"})
    it = smfe.solve(g, "mfe")
    assert smfe.agree(
        [scs, it], smfe.AgreeTolerances(objective=1e-4, theta=0.0, nu=1e-4, policy=1e-3)
    )
    with pytest.raises(smfe.InstanceError, match=r"options\.solver"):
        smfe.solve(g, "convex-mfe", {"solver": "NOSUCH"})
