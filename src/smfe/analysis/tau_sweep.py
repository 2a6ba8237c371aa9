r"""The softmax approximation error against τ, next to the theoretical bounds (SPEC §7).

For each τ the soft S-MFE (method ``soft-nlp``, or the soft MFE at the exact solution's θ if
the game has no leader decision) is compared with the exact S-MFE (``mpec-scholtes``):

* leader value gap :math:`|J_\tau - J_0|`;
* follower value gap :math:`\max_x|V_\tau(x) - V_0(x)|`, next to the bound for the
  regularised response :math:`\tau\log|A|/(1-\gamma)` (finite horizon: :math:`T\tau\log|A|`),
  which bounds the gap at a *fixed* mean field (the S-MFE gap also moves ν and θ);
* policy error :math:`\max|\pi_\tau - \pi_0|` on the states the exact mean field visits;
* the Boltzmann response at the exact solution, :math:`\mathrm{softmax}(Q^*/\tau)`, against the
  greedy policy, per state next to :math:`2|A|e^{-\delta_x/\tau}` with δ_x the action gap
  (maximum over states with a strict gap; tied states are counted, not compared).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.files import write_text, write_with
from smfe.game.compiled import compile_game
from smfe.game.model import Game, Response
from smfe.solvers.result import Result

FloatArray = NDArray[np.float64]
COLUMNS = (
    "tau",
    "leader_gap",
    "value_gap",
    "value_bound",
    "policy_error",
    "boltzmann_error",
    "boltzmann_bound",
    "tied_states",
    "soft_status",
)
TIE = 1e-9
"""States whose two best exact Q-values are closer than this are ties (excluded from the
Boltzmann comparison: there the greedy policy is a tie-break, not a limit)."""


@dataclass
class TauSweep:
    """Rows of the sweep (``COLUMNS``), the exact reference and the soft results."""

    game: str
    exact: Result
    rows: list[dict[str, Any]] = field(default_factory=list)
    soft: list[Result] = field(default_factory=list)

    def table(self) -> str:
        head = (
            f"{'tau':>9} {'|J_t-J_0|':>11} {'max|V_t-V_0|':>13} {'value bound':>15} "
            f"{'max|pi_t-pi_0|':>15} {'Boltzmann err':>14} {'2|A|e^(-d/t)':>13} {'ties':>5}  status"
        )
        lines = [f"softmax error on {self.game!r} (exact S-MFE: {self.exact.status})", head]
        for r in self.rows:
            cells = [
                f"{r['tau']:9.2e}",
                f"{r['leader_gap']:11.3e}",
                f"{r['value_gap']:13.3e}",
                f"{r['value_bound']:15.3e}",
                f"{r['policy_error']:15.3e}",
                f"{r['boltzmann_error']:14.3e}",
                f"{r['boltzmann_bound']:13.3e}",
                f"{r['tied_states']:5d}",
                f" {r['soft_status']}",
            ]
            lines.append(" ".join(cells))
        return "\n".join(lines)

    def to_csv(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the table as CSV (atomically; an existing file only with ``force``)."""
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(self.rows)
        return write_text(path, buf.getvalue(), force=force)


def _flat(game: Game, r: Result) -> tuple[FloatArray, FloatArray, FloatArray]:
    cg = compile_game(game)
    nu = np.atleast_2d(cg.from_types(list(r.nu), "nu"))
    pi = np.atleast_2d(cg.from_types(list(r.policy), "policy"))
    V = np.atleast_2d(cg.states_from_types(list(r.value), "value"))
    return nu, pi, V


def tau_sweep(
    game: Game, taus: list[float] | None = None, options: dict[str, Any] | None = None
) -> TauSweep:
    """Run the sweep of the module docstring on ``game`` (its own τ is ignored)."""
    from smfe.dispatch import solve
    from smfe.solvers.response import greedy, respond, soft_max

    given = list(taus) if taus else [0.3, 0.1, 0.03, 0.01, 0.003]
    for i, t in enumerate(given):
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0.0 < t < np.inf:
            raise InstanceError(f"taus[{i}]", f"must be a finite temperature > 0, got {t!r}")
    taus = sorted(given, reverse=True)
    exact_game = replace(game, tau=0.0)
    exact = solve(exact_game, "mpec-scholtes", options)
    cg0 = compile_game(exact_game)
    nu0, pi0, V0 = _flat(exact_game, exact)
    mu0 = cg0.seg_sum(nu0)[:, cg0.sa_state]
    visited = mu0 > 1e-9
    n_actions = int(np.diff(cg0.state_sa_ptr).max())
    resp = respond(cg0, cg0.reward(exact.theta, nu0), cg0.kernels(exact.theta, nu0))
    q = resp.q
    _, greedy_pi = greedy(cg0, q)
    second = np.where(greedy_pi > 0, -np.inf, q)
    delta = cg0.seg_max(q) - cg0.seg_max(second)  # action gap per state (inf if one action)
    sweep = TauSweep(game.name, exact)
    for tau in taus:
        g = replace(game, tau=tau, response=Response.SOFT)
        soft = solve(
            g,
            "soft-nlp",
            {"fix_theta": True} if game.n_theta == 0 else None,
            theta=exact.theta if game.n_theta == 0 else None,
        )
        sweep.soft.append(soft)
        _, pi, V = _flat(g, soft)
        horizon = cg0.T if game.finite else 1.0 / (1.0 - cg0.gamma)
        _, boltz = soft_max(cg0, q, tau)
        untied = delta > TIE  # states with a strict action gap: the greedy choice is unique
        err_state = cg0.seg_max(np.abs(boltz - greedy_pi))[untied]
        bound_state = 2 * n_actions * np.exp(-delta[untied] / tau)
        sweep.rows.append(
            {
                "tau": tau,
                "leader_gap": abs(soft.objective - exact.objective),
                "value_gap": float(np.abs(V[: cg0.T] - V0[: cg0.T]).max()),
                "value_bound": tau * np.log(n_actions) * horizon,
                "policy_error": float(np.abs(pi - pi0)[visited].max(initial=0.0)),
                "boltzmann_error": float(err_state.max(initial=0.0)),
                "boltzmann_bound": float(bound_state.max(initial=0.0)),
                "tied_states": int((~untied).sum()),
                "soft_status": str(soft.status),
            }
        )
    return sweep


def plot_tau_sweep(sweep: TauSweep, path: str | Path, *, force: bool = False) -> Path:
    """A log-log figure of the measured errors and the bounds against τ (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tau = np.array([r["tau"] for r in sweep.rows])
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    floor = 1e-13  # below this a measured error is round-off: it is left out, not drawn

    def measured(key: str, marker: str, label: str) -> None:
        v = np.array([r[key] for r in sweep.rows], dtype=np.float64)
        keep = v > floor
        if not keep.any():
            label = f"{label}: all < {floor:g}"
        ax.loglog(tau[keep], v[keep], marker, label=label)

    measured("value_gap", "o-", "follower value gap (measured)")
    ax.loglog(tau, [r["value_bound"] for r in sweep.rows], "k--", label=r"$\tau\log|A|/(1-\gamma)$")
    measured("leader_gap", "s-", "leader value gap")
    measured("policy_error", "^-", "policy error (S-MFE)")
    measured("boltzmann_error", "v-", "Boltzmann error")
    measured("boltzmann_bound", "k:", r"$2|A|e^{-\delta/\tau}$")
    ax.set_xlabel(r"temperature $\tau$")
    ax.set_ylabel(f"error (values below {floor:g} not drawn)")
    ax.set_title(f"softmax error vs τ — {sweep.game}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = write_with(path, lambda p: fig.savefig(p, dpi=120, format="png"), force=force)
    plt.close(fig)
    return out
