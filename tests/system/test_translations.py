"""Every translation of the one equilibrium system evaluated at the same random points.

NumPy (:mod:`smfe.system.numeric`), CasADi (:mod:`smfe.system.to_casadi`, derivatives by its
automatic differentiation) and Pyomo (:mod:`smfe.system.to_pyomo`, the model of record) must
give the same rows g(x), the same Jacobian and the same Hessian of the Lagrangian, and the
NumPy derivatives must match finite differences — on games covering both horizons, masks,
several types, θ-dependent transitions, θ × price terms, leader measurements, kinked, log,
rational, power and exp prices, and the three response models.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import smfe
from smfe.game.compiled import compile_game
from smfe.market import market_game, reference_instance
from smfe.system import EquilibriumSystem, SystemOptions, assemble
from smfe.system.numeric import NumericSystem

AGREE = 1e-10  # relative, between translations
FD_STEP = 1e-6
FD_TOL = 1e-5  # relative, central differences


def _games() -> list[tuple[str, Any, str]]:
    mk = smfe.make_instance
    market = market_game(reference_instance(soc_levels=4))
    garnet = mk("garnet", n_states=6, n_actions=3, n_zones=2)
    terms = smfe.Price(
        slope=0.5,
        log=((0.3, 0.5),),
        rational=((-1.0, 1.0),),
        power=((0.7, 0.5, -0.6),),
        exp=((0.2, 1.3),),
    )
    log_rational = dataclasses.replace(garnet, prices=(terms, terms))
    return [
        ("log, rational, power and exp prices", log_rational, "soft"),
        ("garnet-stationary", mk("garnet", n_states=6, n_actions=3, n_types=2), "soft"),
        ("garnet-finite", mk("garnet", n_states=5, n_actions=3, horizon=3), "soft"),
        ("leader-mdp (θ in P, H_θ)", mk("leader-mdp"), "soft"),
        ("congestion (finite, masks)", mk("congestion"), "soft"),
        ("two-state", mk("two-state"), "soft"),
        ("market (kinks, θ × price)", market.game, "soft"),
        ("exact", mk("garnet", n_states=5, n_actions=3), "exact"),
        ("boltzmann", mk("garnet", n_states=5, n_actions=3, horizon=2), "boltzmann"),
    ]


GAMES = _games()


def _point(system: EquilibriumSystem, num: NumericSystem, seed: int) -> np.ndarray:
    """A random point inside the variable bounds (moderate values, so exp stays finite)."""
    rng = np.random.default_rng(seed)
    lo, up, _, _ = num.bounds()
    lo = np.where(np.isfinite(lo), lo, -1.0)
    up = np.where(np.isfinite(up), up, 1.0)
    lo, up = np.maximum(lo, -1.0), np.minimum(up, 1.0)
    return lo + (up - lo) * rng.uniform(0.05, 0.95, lo.size)


def _casadi(system: EquilibriumSystem, x: np.ndarray, lam: np.ndarray) -> tuple[Any, ...]:
    import casadi as ca

    from smfe.system.to_casadi import to_casadi

    nlp = to_casadi(system)
    xs, g, f = nlp.nlp["x"], nlp.nlp["g"], nlp.nlp["f"]
    L = ca.dot(ca.DM(lam), g) - f  # the Lagrangian of J (maximised): σ = 1
    fn = ca.Function("t", [xs], [g, ca.hessian(L, xs)[0], -f])
    gv, H, obj = fn(x)
    _, J = nlp.solver_options["jac_g"](x, [])  # the blockwise Jacobian Ipopt is given
    return (
        np.asarray(gv).ravel(),
        sp.csr_array(J.sparse()),
        sp.csr_array(H.sparse()),
        float(obj),
    )


def _pyomo_rows(system: EquilibriumSystem, xf: np.ndarray) -> tuple[np.ndarray, float]:
    import pyomo.environ as pyo

    from smfe.system.to_pyomo import to_pyomo

    m = to_pyomo(system)
    lay = system.layout
    for b in lay.blocks:
        var = getattr(m, b.name)
        vals = xf[lay.slice(b.name)]
        for k, idx in enumerate(np.ndindex(*b.shape)):
            var[idx if len(idx) > 1 else idx[0]].set_value(float(vals[k]), skip_validation=True)
    g = np.full(system.n_rows, np.nan)
    for blk in system.blocks:
        con = getattr(m, blk.name, None)
        for r, k in enumerate(blk.keys):
            g[blk.start + r] = pyo.value(con[k if len(k) > 1 else k[0]].body)
    return g, float(pyo.value(m.objective))


def _rel(a: Any, b: Any) -> float:
    a = a.toarray() if sp.issparse(a) else np.asarray(a)
    b = b.toarray() if sp.issparse(b) else np.asarray(b)
    scale = max(1.0, float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    return float(np.abs(a - b).max(initial=0.0)) / scale


@pytest.mark.parametrize("fixed", [False, True], ids=["leader", "theta-fixed"])
@pytest.mark.parametrize(("name", "game", "response"), GAMES, ids=[g[0] for g in GAMES])
def test_translations_agree_at_random_points(
    name: str, game: Any, response: str, fixed: bool
) -> None:
    cg = compile_game(game)
    # θ fixed: the MFE alone (objective "none", so no y block and no measure rows)
    theta, objective = (game.start(), "none") if fixed else (None, "leader")
    system = assemble(cg, SystemOptions(response, theta, objective))
    assert ("y" in system.layout) == (not fixed)
    num = NumericSystem(system)
    for seed in (0, 1):
        x = _point(system, num, seed)
        lam = np.random.default_rng(10 + seed).normal(size=num.m)
        g = num.g(x)
        gc, Jc, Hc, objc = _casadi(system, x, lam)
        gp, objp = _pyomo_rows(system, num.full(x))
        assert _rel(g, gc) <= AGREE and _rel(g, gp) <= AGREE
        assert abs(num.objective(x) - objc) <= AGREE * max(1.0, abs(objc))
        assert abs(num.objective(x) - objp) <= AGREE * max(1.0, abs(objp))
        assert _rel(num.jacobian(x), Jc) <= AGREE
        assert _rel(num.hessian(x, lam, 1.0), Hc) <= AGREE


@pytest.mark.parametrize(
    ("name", "game", "response"), GAMES[:4] + GAMES[7:], ids=[g[0] for g in GAMES[:4] + GAMES[7:]]
)
def test_numpy_derivatives_match_finite_differences(name: str, game: Any, response: str) -> None:
    system = assemble(compile_game(game), SystemOptions(response))
    num = NumericSystem(system)
    x = _point(system, num, 3)
    lam = np.random.default_rng(4).normal(size=num.m)
    J = num.jacobian(x).toarray()
    H = num.hessian(x, lam, 1.0).toarray()

    def grad(v: np.ndarray) -> np.ndarray:
        return np.asarray(num.jacobian(v).T @ lam + num.objective_gradient(v))

    Jfd, Hfd = np.zeros_like(J), np.zeros_like(H)
    for j in range(num.n):
        e = np.zeros(num.n)
        e[j] = FD_STEP
        Jfd[:, j] = (num.g(x + e) - num.g(x - e)) / (2 * FD_STEP)
        Hfd[:, j] = (grad(x + e) - grad(x - e)) / (2 * FD_STEP)
    assert _rel(J, Jfd) <= FD_TOL
    assert _rel(H, Hfd) <= FD_TOL


def test_the_soft_mfe_is_a_zero_of_the_system() -> None:
    """The iterative solver's MFE satisfies every row of the system (the inverse map is right)."""
    from smfe.solvers.mfe import solve_mfe
    from smfe.solvers.options import MFEOptions
    from smfe.system import warm_start

    for game in (smfe.make_instance("garnet"), smfe.make_instance("congestion")):
        cg = compile_game(game)
        theta = game.start()
        system = assemble(cg, SystemOptions("soft", theta))
        warm_start(system, cg, solve_mfe(cg, theta, MFEOptions(tol=1e-12)))
        x = system.layout.vector("start")
        assert system.violation(x).max() <= 1e-9
