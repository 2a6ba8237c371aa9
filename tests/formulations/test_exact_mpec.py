"""F2 exact-MPEC by the Scholtes homotopy: closed forms, the τ → 0 limit of F1, statuses."""

from __future__ import annotations

import numpy as np
import pytest

import smfe
from smfe.formulations.exact_mpec import MPECOptions, build_exact_mpec

COMPLEMENTARITY = 1e-8  # final max π·(V − Q)


def _share(r: smfe.Result) -> float:
    return float(r.nu[0][:, 0].sum())


def test_exact_mfe_of_the_two_state_game_in_closed_form() -> None:
    # exact MFE at θ = 0.2: u0 + θ − b p = u1  =>  p = 0.7 (interior, mixed)
    g = smfe.make_instance("two-state", tau=0.0)
    r = smfe.solve(g, "mpec-scholtes", {"fix_theta": True}, theta=[0.2])
    assert r.status.ok, r.summary()
    assert abs(_share(r) - 0.7) < 1e-8
    assert r.history["complementarity"][-1] <= COMPLEMENTARITY


def test_exact_s_mfe_closed_form_and_the_tau_limit_of_f1() -> None:
    exact = smfe.solve(smfe.make_instance("two-state", tau=0.0), "mpec-scholtes")
    assert exact.status.ok and exact.optimality == smfe.Optimality.LOCAL
    assert abs(exact.theta[0] - (-0.2)) < 1e-7  # θ* = u1 − u0 + b p*
    assert "B-stationary" in exact.message
    gaps = []
    for tau in (1e-1, 1e-2, 1e-3):
        soft = smfe.solve(smfe.make_instance("two-state", tau=tau), "soft-nlp")
        assert soft.status.ok
        gaps.append(abs(soft.theta[0] - exact.theta[0]))
        # closed form: θ*(τ) − θ*(0) = τ·log(p*/(1 − p*))
        assert abs(gaps[-1] - tau * abs(np.log(0.3 / 0.7))) < 1e-6
    assert gaps[0] > gaps[1] > gaps[2]


@pytest.mark.parametrize("horizon", [None, 4])
def test_exact_mfe_zone_loads_are_the_small_tau_limit(horizon: int | None) -> None:
    kw = {"n_states": 8, "n_actions": 3, "horizon": horizon}
    exact = smfe.solve(
        smfe.make_instance("garnet", tau=0.0, **kw), "mpec-scholtes", {"fix_theta": True}
    )
    assert exact.status.ok, exact.summary()
    soft = smfe.solve(smfe.make_instance("garnet", tau=1e-4, **kw), "mfe")
    assert soft.status.ok
    from smfe.game.compiled import compile_game

    g = smfe.make_instance("garnet", tau=0.0, **kw)
    cg = compile_game(g)
    z_exact = cg.aggregates(np.atleast_2d(cg.from_types(list(exact.nu), "nu")))
    z_soft = cg.aggregates(np.atleast_2d(cg.from_types(list(soft.nu), "nu")))
    assert np.abs(z_exact - z_soft).max() < 1e-2  # monotone coupling: unique zone loads


def test_leader_mdp_exact_is_b_stationary() -> None:
    r = smfe.solve(smfe.make_instance("leader-mdp", tau=0.0), "mpec-scholtes")
    assert r.status.ok and r.optimality == smfe.Optimality.LOCAL
    assert "B-stationary" in r.message
    assert r.certificate.residuals["exploitability"] < 1e-7


def test_soft_game_is_solved_in_its_exact_version() -> None:
    r = smfe.solve(
        smfe.make_instance("two-state"), "mpec-scholtes", {"fix_theta": True}, theta=[0.2]
    )
    assert "exact response" in r.message and abs(_share(r) - 0.7) < 1e-8


def test_failed_homotopy_is_not_optimal() -> None:
    g = smfe.make_instance("garnet", tau=0.0, n_states=8)
    r = smfe.solve(
        g, "mpec-scholtes", {"fix_theta": True, "warm_start": False, "ipopt": {"max_iter": 2}}
    )
    assert not r.status.ok


def test_scholtes_parameter_is_mutable() -> None:
    built = build_exact_mpec(smfe.make_instance("two-state", tau=0.0), MPECOptions(eps=0.5))
    assert built.model.eps.value == 0.5
    built.model.eps.set_value(1e-3)
    assert built.model.eps.value == 1e-3
    assert len(built.model.scholtes) == 4 and len(built.model.dominance) == 4
