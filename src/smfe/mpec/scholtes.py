r"""The Scholtes relaxation of the pairs, driven to zero with warm-started Ipopt.

Each pair :math:`0 \le a_k \perp b_k \ge 0` is relaxed to :math:`a_k, b_k \ge 0,\ a_k b_k
\le \varepsilon` (``model._mpec.relax``, ε the mutable ``model._mpec.eps``), solved for
ε = ``eps_start``, ``eps_start·eps_factor``, … down to ``eps_final``, each solve started from
the previous primal-dual point. Ipopt runs with ``bound_relax_factor = 0``, so the sides'
bounds hold exactly. Limits of this sequence are C-stationary in general (Scholtes 2001);
:mod:`smfe.mpec.branches` then polishes the point on its branch and labels it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from smfe.ipopt import IpoptRun
from smfe.ipopt.pyomo_solve import solve_model
from smfe.mpec.branches import restore, snapshot
from smfe.mpec.pairs import Reformulation
from smfe.solvers.status import SolutionStatus

HOMOTOPY_IPOPT: dict[str, Any] = {
    "tol": 1e-9,
    "constr_viol_tol": 1e-10,
    "bound_relax_factor": 0.0,
    "max_iter": 3000,
}
WARM_IPOPT: dict[str, Any] = {
    "mu_init": 1e-7,
    "warm_start_bound_push": 1e-9,
    "warm_start_mult_bound_push": 1e-9,
}
"""Ipopt from the previous ε's primal-dual point: a small barrier and bound push keep it."""
USABLE = (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE)
"""Homotopy steps only supply starting points, so an 'acceptable' step may be continued
from; the final status needs an optimal last solve and a passing certificate."""


@dataclass
class Homotopy:
    """The runs of one homotopy, with ε and the complementarity after each."""

    runs: list[IpoptRun] = field(default_factory=list)
    eps: list[float] = field(default_factory=list)
    complementarity: list[float] = field(default_factory=list)

    @property
    def reached(self) -> float:
        ok = [e for e, r in zip(self.eps, self.runs, strict=True) if r.solution in USABLE]
        return min(ok) if ok else float("nan")


def relax(ref: Reformulation, eps: float) -> None:
    """Add (once) the Scholtes rows and set ε."""
    b = ref.model._mpec
    if not hasattr(b, "relax"):
        b.eps = pyo.Param(mutable=True, initialize=eps)
        pairs = ref.pairs
        b.relax = pyo.Constraint(
            range(len(pairs)), rule=lambda _, k: pairs[k].a.var * pairs[k].b.var <= b.eps
        )
    b.relax.activate()
    b.eps.set_value(eps)


def homotopy(
    ref: Reformulation,
    eps_start: float,
    eps_factor: float,
    eps_final: float,
    ipopt: dict[str, Any],
) -> Homotopy:
    """Drive ε to ``eps_final`` (module docstring); a failed step ends the homotopy at the
    last good point."""
    out = Homotopy()
    eps = eps_start
    prev: IpoptRun | None = None
    while True:
        relax(ref, eps)
        good = snapshot(ref.model)
        opts = {**HOMOTOPY_IPOPT, **(WARM_IPOPT if prev is not None else {}), **ipopt}
        run, _ = solve_model(ref.model, opts, warm=prev)
        out.runs.append(run)
        out.eps.append(eps)
        if run.solution not in USABLE:
            restore(good)
            out.complementarity.append(ref.complementarity())
            break
        out.complementarity.append(ref.complementarity())
        if eps <= eps_final:
            break
        prev = run
        eps = max(eps * eps_factor, eps_final)
    ref.model._mpec.relax.deactivate()
    return out
