"""The certificate of a result: residuals recomputed from the game, compared with tolerances.

``certify(game, result)`` never trusts the method: it rebuilds rewards and kernels from the
game, checks the MFE conditions, computes exploitability by its own dynamic programming and,
for the leader, feasibility and first-order stationarity (the projected-gradient norm
‖θ − Proj_Θ(θ + ∇J(θ))‖∞, with ∇J the total derivative through the follower equilibrium).
With leader constraints on the mean field (:mod:`smfe.game.constraint`) it checks their
bounds (violation relative to max(1, |bound|)) and replaces the projected gradient by the
KKT residual with multipliers fitted afresh (:mod:`smfe.certification.kkt`), which it
reports as shadow prices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from smfe.certification import residuals
from smfe.certification.exploitability import exploitability, literature_exploitability
from smfe.errors import InstanceError
from smfe.game.compiled import CompiledGame
from smfe.game.model import Game, Response
from smfe.game.potential import monotone_coupling

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Tolerances:
    """Named tolerances of the certificate (absolute unless stated)."""

    consistency: float = 1e-8
    policy: float = 1e-8
    response: float = 1e-7
    bellman: float = 1e-8  # relative to max(1, |V|)
    exploitability: float = 1e-7
    leader_feasibility: float = 1e-8
    leader_constraints: float = 1e-7  # relative to max(1, |bound|)
    leader_stationarity: float = 1e-5
    feasible: float = 1e-6  # a point failing the tolerances above is still labelled 'feasible'
    # (not 'infeasible') when its consistency, policy and Θ residuals are below this


@dataclass(frozen=True)
class Certificate:
    """Residuals (name -> value), the tolerances they were held to, and the verdict."""

    residuals: dict[str, float]
    tolerances: dict[str, float]
    passed: bool
    failed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    unique_mfe: bool | None = None
    extra: dict[str, float] = field(default_factory=dict)
    multipliers: dict[str, float] = field(default_factory=dict)
    """Shadow prices of the leader constraints (:mod:`smfe.certification.kkt`), by name."""

    def __str__(self) -> str:
        lines = [f"certificate: {'PASSED' if self.passed else 'FAILED ' + ', '.join(self.failed)}"]
        for k, v in self.residuals.items():
            tol = self.tolerances.get(k)
            mark = "" if tol is None else (" ok" if v <= tol else f" > {tol:g}")
            lines.append(f"  {k:<22} {v:.3e}{mark}")
        for k, v in self.extra.items():
            lines.append(f"  {k:<22} {v:.3e} (reported)")
        for k, v in self.multipliers.items():
            lines.append(f"  shadow price {k:<9} {v:+.6g}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def unique_mfe(game: Game) -> tuple[bool | None, str]:
    """Whether a sufficient condition for a unique MFE holds, and a note saying which.

    Finite horizon, soft response: with no coupling, or with Lasry–Lions monotone coupling,
    the entropy term makes the MFE unique. The coupling is monotone when every price m is
    paid in proportion to the load each type puts on it, exposure_k[m] = λ_m·aggregate_k[m]
    with one λ_m for all types, and the price moves against the payer: non-decreasing with
    λ_m < 0 (a congestion charge), non-increasing with λ_m > 0 (a revenue that falls with the
    crowd, −log μ, a market-clearing price). Stationary games need ergodicity as well, which
    is not checked, so the answer there is ``None``.
    """
    soft = game.tau > 0.0 and game.response == Response.SOFT
    coupled = game.n_prices > 0 and any(
        t.exposure is not None or t.exposure_theta is not None for t in game.types
    )
    monotone = not coupled or all(monotone_coupling(game, m) for m in range(game.n_prices))
    if not (soft and monotone):
        return None, "no uniqueness condition checked holds"
    if game.finite:
        return True, "soft response with monotone (or no) coupling: the MFE is unique"
    return (
        None,
        "soft response with monotone (or no) coupling: unique if the chains are ergodic "
        "(not checked)",
    )


def certify_point(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    pi: FloatArray,
    V: FloatArray | None,
    *,
    leader_gradient: FloatArray | None = None,
    tolerances: Tolerances | None = None,
    leader: bool | None = None,
) -> Certificate:
    """Certificate of flat arrays (θ, ν (T, N_SA), π (T, N_SA), V) for the compiled game.

    ``leader`` says whether the point claims to solve the leader problem (default: whether a
    leader gradient is given); only then are the leader constraints held to their tolerance
    (else their violation is reported).
    """
    if leader is None:
        leader = leader_gradient is not None
    tol = tolerances or Tolerances()
    try:
        cg.kernels(theta, nu)
    except InstanceError as exc:  # θ outside the set where the model is defined
        viol = cg.game.decision.violation(theta)
        res = {"leader_feasibility": viol, "transitions_valid": float("inf")}
        tols = {"leader_feasibility": tol.leader_feasibility, "transitions_valid": 0.0}
        return Certificate(res, tols, False, tuple(res), (str(exc),), None, {})
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _certify_point(cg, theta, nu, pi, V, leader_gradient, tol, leader)


def _certify_point(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    pi: FloatArray,
    V: FloatArray | None,
    leader_gradient: FloatArray | None,
    tol: Tolerances,
    leader: bool,
) -> Certificate:
    g = cg.game
    # the method's values as the starting guess of the stationary value iterations: their
    # contraction-bound stop holds from any start, so this saves sweeps, not independence
    v0 = None if (V is None or g.finite) else np.asarray(V, dtype=np.float64).reshape(-1)
    res: dict[str, float] = {
        "consistency": residuals.consistency(cg, theta, nu),
        "policy": residuals.policy_consistency(cg, nu, pi),
        "response": residuals.response(cg, theta, nu, pi, v0=v0),
    }
    if V is not None:
        res["bellman"] = residuals.bellman(cg, theta, nu, V)
    notes: list[str] = []
    extra: dict[str, float] = {}
    if g.finite:
        extra["exploitability_literature"] = literature_exploitability(cg, theta, pi)
    if g.response == Response.SOFT or g.tau == 0.0:
        res["exploitability"] = exploitability(cg, theta, nu, pi, g.tau, v0=v0)[0]
        if g.tau > 0:
            extra["exploitability_unregularised"] = exploitability(cg, theta, nu, pi, 0.0, v0=v0)[0]
            notes.append(
                "exploitability is measured in the entropy-regularised game "
                "(the soft response's own criterion)"
            )
    else:
        extra["exploitability_unregularised"] = exploitability(cg, theta, nu, pi, 0.0)[0]
        notes.append("Boltzmann response: exploitability is reported, not required to vanish")
    multipliers: dict[str, float] = {}
    if g.n_theta:
        res["leader_feasibility"] = g.decision.violation(theta)
    if g.constraints:
        (res if leader else extra)["leader_constraints"] = cg.constraint_violation(theta, nu)
    if g.n_theta and leader_gradient is not None:
        res["leader_stationarity"], multipliers = _stationarity(cg, theta, nu, V, leader_gradient)
    res = {k: (v if np.isfinite(v) else float("inf")) for k, v in res.items()}
    tols = {k: getattr(tol, k) for k in res}
    failed = tuple(k for k, v in res.items() if not v <= tols[k])
    tols["feasible"] = tol.feasible
    uniq, why = unique_mfe(g)
    if why:
        notes.append(why)
    return Certificate(res, tols, not failed, failed, tuple(notes), uniq, extra, multipliers)


def _stationarity(
    cg: CompiledGame,
    theta: FloatArray,
    nu: FloatArray,
    V: FloatArray | None,
    grad: FloatArray,
) -> tuple[float, dict[str, float]]:
    """The projected-gradient norm, or with leader constraints the KKT residual and the
    constraints' multipliers (total gradients recomputed here, not taken from the method)."""
    g = cg.game
    if not g.constraints:
        from smfe.game.projection import project

        return float(np.abs(theta - project(g.decision, theta + grad)).max()), {}
    from smfe.certification.kkt import kkt_point
    from smfe.solvers.leader import constraint_jacobian

    cons = g.constraints
    point = kkt_point(
        g.decision,
        theta,
        grad,
        constraint_jacobian(cg, theta, nu, V),
        cg.constraint_values(theta, nu),
        np.array([c.lower for c in cons]),
        np.array([c.upper for c in cons]),
        tuple(c.name for c in cons),
    )
    return point.residual, {c.name: float(m) for c, m in zip(cons, point.multipliers, strict=True)}
