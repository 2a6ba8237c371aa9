"""One ``Result`` type for every method (SPEC §6), values in game terms.

Arrays are per follower type: ``policy[k]`` and ``nu[k]`` have shape (S_k, A_k) for
stationary games and (T, S_k, A_k) for finite-horizon games (zero on masked pairs);
``value[k]`` is (S_k,) or (T+1, S_k); ``mu[k]`` is (S_k,) or (T, S_k).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.certification.certificate import Certificate, Tolerances, certify_point
from smfe.game.compiled import CompiledGame
from smfe.solvers.mfe import MFESolution
from smfe.solvers.status import Optimality, SolutionStatus, Status, TerminationCondition

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Result:
    """The answer of one method on one game, with its independent certificate."""

    method: str
    status: Status
    optimality: Optimality
    objective: float
    theta: FloatArray
    policy: tuple[FloatArray, ...]
    nu: tuple[FloatArray, ...]
    value: tuple[FloatArray, ...]
    mu: tuple[FloatArray, ...]
    certificate: Certificate | None
    iterations: int
    timings: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    message: str = ""
    log: str = ""
    game: str = ""
    leader_optimised: bool = False
    """Whether the method optimised θ (a leader method) rather than taking it as fixed; the
    certificate checks leader stationarity only for results that claim a leader optimum."""

    @property
    def success(self) -> bool:
        return self.status.ok

    @property
    def shadow_prices(self) -> dict[str, float]:
        """Multipliers of the leader constraints on the mean field, by name, as the
        certificate fitted them (:mod:`smfe.certification.kkt`); empty without constraints."""
        return {} if self.certificate is None else dict(self.certificate.multipliers)

    def summary(self) -> str:
        lines = [
            f"game {self.game!r} · method {self.method}",
            f"status        {self.status}   leader optimality: {self.optimality.value}",
            f"objective J   {self.objective:.10g}",
            f"theta         {np.array2string(self.theta, precision=6, max_line_width=90)}",
            f"iterations    {self.iterations}   "
            f"time {self.timings.get('total', float('nan')):.3f} s",
        ]
        if self.message:
            lines.append(f"message       {self.message}")
        if self.certificate is not None:
            lines.append(str(self.certificate))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Result(method={self.method!r}, status={self.status}, objective={self.objective:.6g})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of everything in the result."""
        cert = None
        if self.certificate is not None:
            c = self.certificate
            cert = {
                "residuals": c.residuals,
                "tolerances": c.tolerances,
                "passed": c.passed,
                "failed": list(c.failed),
                "notes": list(c.notes),
                "unique_mfe": c.unique_mfe,
                "extra": c.extra,
                "shadow_prices": c.multipliers,
            }
        return {
            "format": "smfe-result",
            "version": 1,
            "game": self.game,
            "method": self.method,
            "status": {
                "termination": self.status.termination.value,
                "solution": self.status.solution.value,
            },
            "optimality": self.optimality.value,
            "leader_optimised": self.leader_optimised,
            "objective": self.objective,
            "theta": self.theta.tolist(),
            "policy": [a.tolist() for a in self.policy],
            "nu": [a.tolist() for a in self.nu],
            "value": [a.tolist() for a in self.value],
            "mu": [a.tolist() for a in self.mu],
            "certificate": cert,
            "iterations": self.iterations,
            "timings": self.timings,
            "history": self.history,
            "message": self.message,
            "log": self.log,
        }

    def to_json(self, path: str | Path | None = None, *, force: bool = False) -> str:
        """The result as JSON text; written to ``path`` too (atomically; an existing file
        is replaced only with ``force``)."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            from smfe.files import write_text

            write_text(path, text, force=force)
        return text


FEASIBLE_KEYS = (
    "consistency",
    "policy",
    "response",
    "exploitability",
    "leader_feasibility",
    "leader_constraints",
    "transitions_valid",
)
"""``feasible`` means the point is an equilibrium within the ``feasible`` slack: consistent
flows, ν = μπ, the response condition and (where required) zero exploitability, θ ∈ Θ."""


def finalise_status(
    termination: TerminationCondition, certificate: Certificate | None
) -> SolutionStatus:
    """``optimal`` only when the method converged *and* the certificate passed; ``feasible``
    when the point passes the equilibrium conditions :data:`FEASIBLE_KEYS` within the
    ``feasible`` slack (1e-6); ``no_solution`` when a solver declared the problem infeasible
    (a local verdict: every finite game has an MFE); else ``infeasible`` (the returned point is
    not an equilibrium)."""
    if certificate is None:
        return SolutionStatus.UNKNOWN
    if termination == TerminationCondition.CONVERGED and certificate.passed:
        return SolutionStatus.OPTIMAL
    slack = max(certificate.tolerances.get("feasible", 0.0), 0.0)
    if all(
        certificate.residuals.get(k, 0.0) <= max(certificate.tolerances.get(k, 0.0), slack)
        for k in FEASIBLE_KEYS
    ):
        return SolutionStatus.FEASIBLE
    if termination == TerminationCondition.INFEASIBLE:
        # a local solver's verdict; every finite game has an MFE, so the problem is not
        # infeasible: the solver found no equilibrium (its message says why)
        return SolutionStatus.NO_SOLUTION
    return SolutionStatus.INFEASIBLE


def build_result(
    cg: CompiledGame,
    method: str,
    sol: MFESolution,
    *,
    termination: TerminationCondition,
    iterations: int,
    leader_gradient: FloatArray | None,
    leader_optimised: bool,
    timings: dict[str, float],
    history: dict[str, list[float]],
    tolerances: Tolerances | None = None,
    message: str = "",
    stationary: bool | None = None,
    global_optimum: bool = False,
) -> Result:
    """Certify the flat solution, map it to per-type arrays and set the two-axis status.

    ``stationary`` overrides the leader's local-optimality evidence for methods that prove
    it their own way (e.g. B-stationarity of an MPEC by branch enumeration);
    ``global_optimum`` marks a certified answer proven globally optimal (a MILP at zero gap).
    """
    cert = certify_point(
        cg,
        sol.theta,
        sol.nu,
        sol.policy,
        sol.value,
        leader_gradient=leader_gradient,
        tolerances=tolerances,
        leader=leader_optimised,
    )
    solution = finalise_status(termination, cert)
    g = cg.game
    if solution != SolutionStatus.OPTIMAL:
        optimality = Optimality.NONE
    elif g.n_theta == 0 or (leader_optimised and global_optimum):
        optimality = Optimality.GLOBAL
    elif leader_optimised and (
        stationary if stationary is not None else "leader_stationarity" in cert.residuals
    ):
        optimality = Optimality.LOCAL
    else:
        optimality = Optimality.NONE
    squeeze = (lambda a: a[0]) if not g.finite else (lambda a: a)
    notes = [message] if message else []
    if g.n_theta and not leader_optimised:
        notes.append("θ was fixed: the leader problem was not optimised")
    return Result(
        method=method,
        status=Status(termination, solution),
        optimality=optimality,
        objective=cg.objective(sol.theta, sol.nu),
        theta=np.array(sol.theta),
        policy=tuple(squeeze(a) for a in cg.to_types(sol.policy)),
        nu=tuple(squeeze(a) for a in cg.to_types(sol.nu)),
        value=tuple(squeeze(a) for a in cg.states_to_types(sol.value)),
        mu=tuple(squeeze(a) for a in cg.states_to_types(sol.mu)),
        certificate=cert,
        iterations=iterations,
        timings=timings,
        history=history,
        message="; ".join(notes),
        game=g.name,
        leader_optimised=leader_optimised,
    )
