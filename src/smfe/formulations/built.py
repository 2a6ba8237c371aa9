"""``Built``: a Pyomo model plus the map from its variables back to game quantities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.game.compiled import CompiledGame
from smfe.solvers.mfe import MFESolution
from smfe.solvers.status import TerminationCondition

FloatArray = NDArray[np.float64]


@dataclass(eq=False)
class Built:
    """A formulation of ``cg.game`` as the Pyomo model ``model``.

    Variables (flat game indexing, see :mod:`smfe.game.compiled`): ``theta[j]``,
    ``V[t, x]``, ``Q[t, sa]``, ``pi[t, sa]``, ``nu[t, sa]``, ``mu[t, x]``, ``z[t, m]``,
    ``y[t, i]``. Builders never call a solver; users may edit ``model`` before solving.
    """

    model: Any
    cg: CompiledGame
    formulation: str
    notes: list[str] = field(default_factory=list)
    complementarity_var: str = "pi"
    """For MPEC formulations: the variable complementary to the slack V − Q."""

    def _read(self, var: Any, shape: tuple[int, int]) -> FloatArray:
        out = np.zeros(shape)
        for (t, i), v in var.items():
            out[t, i] = np.nan if v.value is None else v.value
        return out

    def theta(self) -> FloatArray:
        m = self.model
        return np.array([m.theta[j].value for j in m.J], dtype=np.float64)

    def values(self) -> dict[str, FloatArray]:
        """θ, V (T+1 rows for finite horizons, terminal 0), Q, π, ν, μ as flat arrays."""
        cg, m = self.cg, self.model
        T = cg.T
        V = self._read(m.V, (T, cg.n_s))
        if cg.game.finite:
            V = np.vstack([V, np.zeros((1, cg.n_s))])
        return {
            "theta": self.theta(),
            "V": V,
            "Q": self._read(m.Q, (T, cg.n_sa)),
            "pi": self._read(m.pi, (T, cg.n_sa)),
            "nu": self._read(m.nu, (T, cg.n_sa)),
            "mu": self._read(m.mu, (T, cg.n_s)),
        }


def solution_from_values(
    v: dict[str, FloatArray], residual: float, iterations: int, termination: TerminationCondition
) -> MFESolution:
    """The flat arrays of :meth:`Built.values` as the solvers' :class:`MFESolution`."""
    return MFESolution(
        theta=v["theta"],
        nu=v["nu"],
        policy=v["pi"],
        value=v["V"],
        q=v["Q"],
        mu=v["mu"],
        residual=residual,
        iterations=iterations,
        termination=termination,
    )


def exact_solution(
    cg: CompiledGame, theta: FloatArray, nu: FloatArray, termination: TerminationCondition
) -> MFESolution:
    """An exact-response candidate from a flow ν (a MILP's or SCIP's): V and Q by dynamic
    programming against the rewards ν's aggregates set, π = ν/μ where the state is visited and
    the greedy response elsewhere — so the certificate judges the flow itself."""
    from smfe.solvers.mfe import induced_policy
    from smfe.solvers.response import respond

    resp = respond(cg, cg.reward(theta, nu), cg.transition(theta))
    return MFESolution(
        theta=theta,
        nu=nu,
        policy=induced_policy(cg, nu, resp.policy),
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=float("nan"),
        iterations=0,
        termination=termination,
    )
