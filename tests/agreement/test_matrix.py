"""Cross-validation matrix: every method that accepts an instance, on the catalogue and on
seeded random games, must describe the same equilibrium (SPEC §7).

Named tolerances live here, in one place. A method that cannot take a game says so with a
FormulationError before any solve; such pairs are left out, and nothing is skipped for any
other reason (every backend is a dependency of the package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import smfe

TOL = {
    # soft MFE at a fixed θ: iterative vs F1 (Ipopt, 3 backends) vs F3 (conic, ~1e-7 accurate)
    "soft-mfe": smfe.AgreeTolerances(objective=1e-6, theta=0.0, nu=1e-6, policy=1e-6),
    # soft S-MFE: implicit-gradient ascent vs F1 with the leader
    "soft-leader": smfe.AgreeTolerances(objective=1e-7, theta=1e-5, nu=1e-5, policy=1e-5),
    # exact MFE at a fixed θ: F2 homotopy vs the MILP over a one-entry menu (objective values)
    "exact-mfe": smfe.AgreeTolerances(objective=1e-7, theta=0.0, nu=np.inf, policy=np.inf),
}

SOFT_MFE: dict[str, Callable[[smfe.Game], smfe.Result]] = {
    "mfe": lambda g: smfe.solve(g, "mfe"),
    "soft-nlp/pyomo": lambda g: smfe.solve(g, "soft-nlp", {"fix_theta": True, "backend": "pyomo"}),
    "soft-nlp/casadi": lambda g: smfe.solve(
        g, "soft-nlp", {"fix_theta": True, "backend": "casadi"}
    ),
    "soft-nlp/callbacks": lambda g: smfe.solve(
        g, "soft-nlp", {"fix_theta": True, "backend": "callbacks"}
    ),
    "convex-mfe": lambda g: smfe.solve(g, "convex-mfe"),
    **{
        f"soft-nlp/{backend}/cold": lambda g, b=backend: smfe.solve(
            g, "soft-nlp", {"fix_theta": True, "backend": b, "warm_start": False}
        )
        for backend in ("pyomo", "casadi", "callbacks")
    },
}
INSTANCES: dict[str, dict[str, Any]] = {
    "two-state": {},
    "congestion": {},
    "leader-mdp": {},
    "garnet": {},
    "garnet-seed1-finite": {"seed": 1, "horizon": 5, "n_states": 9},
    "garnet-seed2-3types": {"seed": 2, "n_types": 3, "n_states": 12},
    "garnet-seed3-finite-2types": {"seed": 3, "horizon": 4, "n_states": 7, "n_types": 2},
}


def _game(case: str, **extra: Any) -> smfe.Game:
    name = case if case in smfe.catalogue() else case.split("-seed")[0]
    return smfe.make_instance(name, **{**INSTANCES[case], **extra})


def _accepting(
    methods: dict[str, Callable[[smfe.Game], smfe.Result]], g: smfe.Game
) -> list[smfe.Result]:
    out = []
    for run in methods.values():
        try:
            out.append(run(g))
        except smfe.FormulationError:
            continue  # the method does not take this game (checked before any solve)
    return out


@pytest.mark.parametrize("case", sorted(INSTANCES))
def test_soft_mfe_matrix(case: str) -> None:
    g = _game(case)
    results = _accepting(SOFT_MFE, g)
    assert len(results) >= 7  # the iterative solver and F1 cold and warm take every soft game
    for r in results:
        assert r.status.termination == smfe.TerminationCondition.CONVERGED, r.summary()
        _label_survives_a_fresh_certificate(g, r)
    agreement = smfe.agree(results, TOL["soft-mfe"])
    assert agreement, str(agreement)


def _label_survives_a_fresh_certificate(g: smfe.Game, r: smfe.Result) -> None:
    """No result is labelled ``optimal`` or ``feasible`` unless a certificate computed from
    scratch agrees: ``optimal`` needs it to pass, ``feasible`` the equilibrium conditions."""
    from smfe.solvers.result import FEASIBLE_KEYS

    fresh = smfe.certify(g, r)
    if r.status.solution == smfe.SolutionStatus.OPTIMAL:
        assert fresh.passed, (r.method, str(fresh))
    if r.status.solution == smfe.SolutionStatus.FEASIBLE:
        slack = fresh.tolerances["feasible"]
        for k in FEASIBLE_KEYS:
            assert fresh.residuals.get(k, 0.0) <= max(fresh.tolerances.get(k, 0.0), slack), k


LEADER_TOL = {"leader-mdp": 1e-7}
"""pgd's stationarity target: on leader-mdp the projected gradient stalls at ~3e-8 (implicit
gradients at MFE residual 1e-10; measured with NumPy 2.4), so 1e-8 is out of reach there."""


@pytest.mark.parametrize("case", ["two-state", "garnet", "garnet-seed1-finite", "leader-mdp"])
def test_soft_leader_matrix(case: str) -> None:
    g = _game(case)
    results = [smfe.solve(g, "pgd", {"tol": LEADER_TOL.get(case, 1e-8)}), smfe.solve(g, "soft-nlp")]
    for r in results:
        assert r.status.ok, r.summary()
    agreement = smfe.agree(results, TOL["soft-leader"])
    assert agreement, str(agreement)


EXACT_SMALL = {"n_states": 5, "n_actions": 2, "n_zones": 2}
"""The MILP's big-M relaxation is weak: keep its instances small
(see benchmarks/milp_convex_scaling.py)."""


@pytest.mark.parametrize("case", ["garnet", "garnet-seed1-finite", "garnet-seed3-finite-2types"])
def test_exact_mfe_matrix(case: str) -> None:
    g = _game(case, tau=0.0, balance_weight=0.0, **EXACT_SMALL)
    theta = g.start()
    mpec = smfe.solve(g, "mpec-scholtes", {"fix_theta": True}, theta=theta)
    milp = smfe.solve(g, "milp", {"menu": [list(theta)]})
    assert mpec.status.ok and milp.status.ok
    # the MILP maximises J over the exact MFEs at θ (optimistic): never below the homotopy's
    assert milp.objective >= mpec.objective - 1e-9
    agreement = smfe.agree([mpec, milp], TOL["exact-mfe"])
    assert agreement, str(agreement)
