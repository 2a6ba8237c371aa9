"""``smfe bench validate``: re-certify a suite from its files alone.

For every instance of ``index.json``: the sidecar validates against its schema; ``game.json``
has the hash the sidecar names; the reference point in ``model.sol`` satisfies ``model.nl``
(rows and bounds, evaluated by CasADi's AMPL reader) within ``violation`` and gives the
sidecar's objective there within ``objective`` (relative); and read back by column name
into θ, ν, π, V, the point passes smfe's certificate on ``game.json`` (for ``global`` and
``local`` answers of soft games, leader stationarity included) with the game's J equal to the
objective. A menu sub-problem is solved again from ``menu.mps`` by HiGHS: a proven optimum
equal to the sidecar's, whose point is a certified exact MFE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smfe.bench.generate import GAME, SIDECAR, sha256
from smfe.errors import SmfeError

VIOLATION, OBJECTIVE = 1e-6, 1e-6


@dataclass
class Check:
    instance: str
    problems: list[str] = field(default_factory=list)
    objective: float = float("nan")
    violation: float = float("nan")

    @property
    def ok(self) -> bool:
        return not self.problems


def recertify(folder: str | Path) -> Check:
    """Re-certify the instance in ``folder`` (module docstring)."""
    from smfe.amplsol import read_sol
    from smfe.bench.methods import certify_model_point
    from smfe.bench.nlmodel import load_nl
    from smfe.bench.sidecar import read_sidecar
    from smfe.game.compiled import compile_game
    from smfe.game.serialize import load_game

    folder = Path(folder)
    check = Check(folder.name)
    try:
        sc = read_sidecar(folder / SIDECAR)
    except SmfeError as exc:
        check.problems.append(f"sidecar: {exc}")
        return check
    if sha256(folder / sc.game_file) != sc.game_sha256:
        check.problems.append(f"{GAME} does not have the hash the sidecar names")
    model = load_nl(folder / sc.model.nl)
    sol = read_sol((folder / sc.model.solution).read_text())
    objective, violation = model.check(sol.x)
    check.objective, check.violation = objective, violation
    scale = max(1.0, abs(sc.objective))
    if violation > VIOLATION:
        check.problems.append(f"the point violates model.nl by {violation:.2e}")
    if abs(objective - sc.objective) > OBJECTIVE * scale:
        check.problems.append(f"model.nl's objective there is {objective!r}, not {sc.objective!r}")
    game = load_game(folder / sc.game_file)
    theta, nu, cert = certify_model_point(game, sc, model.names, sol.x)
    if sc.certification.kind != "best_known" and not cert.passed:
        check.problems.append(f"smfe's certificate fails: {', '.join(cert.failed)}")
    J = compile_game(game).objective(theta, nu.reshape(-1, nu.shape[-1]))
    if abs(J - sc.objective) > OBJECTIVE * scale:
        check.problems.append(f"the game's J at the point is {J!r}, not {sc.objective!r}")
    if sc.menu is not None:
        from smfe.bench.methods import mps_highs

        row = mps_highs(game, sc, folder, {})
        menu_scale = max(1.0, abs(sc.menu.objective))
        if (
            not row["certified"]
            or abs(row["objective"] - sc.menu.objective) > OBJECTIVE * menu_scale
        ):
            check.problems.append(
                f"HiGHS on {sc.menu.mps} gives {row['objective']!r} ({row['status']}), "
                f"not the menu optimum {sc.menu.objective!r}"
            )
    return check
