"""``smfe bench generate``: one benchmark instance — game, models, reference answer, sidecar.

For an :class:`~smfe.bench.suites.InstanceSpec`, :func:`generate_instance` writes into a
folder (the benchmark library format, docs/bench.md):

* ``game.json`` — the game (``smfe schema game``), which smfe loads with ``load_game``;
* ``model.nl`` (+ ``.row``/``.col``) and ``model.gms`` — F1 (soft response) or F2 with the
  exact complementarity π ⊥ V − Q written as π·(V − Q) ≤ 0 (exact response); θ free for the
  leader problem, a constant for ``problem="mfe"``; each model starts from its own point,
  computed from the game alone;
* ``model.sol`` — the reference point in the ``.nl``'s column order (AMPL ``.sol``);
* ``menu.mps`` / ``menu.lp`` — for exact games whose objective is linear in the mean field:
  the exact S-MFE over a finite menu of θ as a MILP (per-row big-M from proven bounds);
* ``solution.json`` — the sidecar (:mod:`smfe.bench.sidecar`).

The reference answer is the best of the spec's ``reference`` attempts: a globally certified
answer first (``global``), else the best answer whose certificate passed (``local``), else
the best equilibrium found (``best_known``). Everything is written into a staging folder and
renamed into place, so an interrupted generation leaves no half instance behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.bench.nlmodel import load_nl
from smfe.bench.sidecar import (
    Attempt,
    Certification,
    MenuAnswer,
    ModelFiles,
    NuSummary,
    Sidecar,
    TypeSummary,
)
from smfe.bench.suites import InstanceSpec
from smfe.errors import FormulationError, SmfeError, SolveFailed
from smfe.formulations.built import Built
from smfe.game.model import Game
from smfe.solvers.mfe import MFESolution
from smfe.solvers.result import Result
from smfe.solvers.status import Optimality, SolutionStatus, TerminationCondition

FloatArray = NDArray[np.float64]
GAME, NL, GMS, SOL, SIDECAR = "game.json", "model.nl", "model.gms", "model.sol", "solution.json"
MPS, LP = "menu.mps", "menu.lp"


def build_game(spec: InstanceSpec) -> Game:
    """The game of ``spec``: a catalogue generator, or a market variant (its first
    ``groups`` income groups, shares renormalised; ``soc_levels``; tariff family ``energy``)."""
    if spec.family == "market":
        from smfe.market.data import REFERENCE_GROUPS, reference_instance
        from smfe.market.game import market_game
        from smfe.market.tariff import TariffFamily

        a = spec.kwargs
        groups = REFERENCE_GROUPS[: int(a["groups"])]
        total = sum(g.share for g in groups)
        groups = tuple(replace(g, share=g.share / total) for g in groups)
        market = reference_instance(soc_levels=int(a["soc_levels"]), groups=groups)
        mg = market_game(market, TariffFamily(energy=str(a["energy"])), tau=float(a["tau"]))
        return mg.game
    from smfe.game.catalogue import make_instance

    return make_instance(spec.family, **spec.kwargs)


def fixed_theta(spec: InstanceSpec, game: Game) -> FloatArray | None:
    """θ of a ``problem="mfe"`` instance (the game's starting θ); ``None`` for the leader."""
    return np.asarray(game.decision.start, dtype=np.float64) if spec.problem == "mfe" else None


def formulation_of(game: Game) -> str:
    """The formulation an instance's model files hold: F1 for a soft response, else F2."""
    from smfe.game.model import Response

    return "soft-nlp" if game.tau > 0.0 and game.response == Response.SOFT else "mpec"


def versions() -> dict[str, str]:
    """Versions of smfe and of the solvers and modelling layers it drives."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for pkg in ("smfe", "pyomo", "casadi", "highspy", "pyscipopt", "cvxpy", "numpy", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    try:
        from smfe.ipopt import ipopt_version

        out["ipopt"] = ipopt_version()
    except SmfeError:
        out["ipopt"] = "absent"
    try:
        from smfe.scip import scip_version

        out["scip"] = scip_version()
    except SmfeError:
        out["scip"] = "absent"
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _attempt(game: Game, spec: InstanceSpec, method: str, options: dict[str, Any]) -> Result:
    from smfe.dispatch import solve

    return solve(game, method, options or None, theta=fixed_theta(spec, game))


def _rank(r: Result) -> tuple[int, int, float]:
    ok = r.status.solution == SolutionStatus.OPTIMAL
    proven = ok and r.optimality == Optimality.GLOBAL
    feasible = r.status.solution in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE)
    return (2 if proven else 1 if ok else 0, int(feasible), r.objective)


def reference_answer(
    game: Game, spec: InstanceSpec
) -> tuple[Result, str, dict[str, Any], list[Attempt]]:
    """The best of the spec's attempts (module docstring): (result, method, options, log)."""
    best: tuple[tuple[int, int, float], Result, str, dict[str, Any]] | None = None
    log: list[Attempt] = []
    for method, text in spec.reference:
        options = json.loads(text)
        t0 = time.perf_counter()
        try:
            r = _attempt(game, spec, method, options)
        except (SolveFailed, FormulationError) as exc:
            log.append(
                Attempt(
                    method=method,
                    options=options,
                    status="failed",
                    optimality="none",
                    objective=None,
                    seconds=time.perf_counter() - t0,
                    message=str(exc),
                )
            )
            continue
        log.append(
            Attempt(
                method=method,
                options=options,
                status=str(r.status),
                optimality=r.optimality.value,
                objective=float(r.objective),
                seconds=time.perf_counter() - t0,
                message=r.message[:500],
            )
        )
        key = _rank(r)
        if key[1] and (best is None or key > best[0]):
            best = (key, r, method, options)
    if best is None:
        raise SolveFailed(f"{spec.name}: no attempt found an equilibrium ({log})")
    return best[1], best[2], best[3], log


def certification_of(r: Result) -> Certification:
    """``global`` / ``local`` / ``best_known`` (module docstring) with the certificate."""
    cert = r.certificate
    assert cert is not None
    ok = r.status.solution == SolutionStatus.OPTIMAL
    if ok and r.optimality == Optimality.GLOBAL:
        kind, gap = "global", float(r.history.get("gap", [0.0])[-1])
    elif ok:
        kind, gap = "local", None
    else:
        kind, gap = "best_known", None
    return Certification(
        kind=kind,  # type: ignore[arg-type]
        gap=gap,
        passed=cert.passed,
        residuals={k: float(v) for k, v in cert.residuals.items()},
        tolerances={k: float(v) for k, v in cert.tolerances.items()},
    )


def reference_point(game: Game, r: Result) -> MFESolution:
    """The result's equilibrium as flat arrays, with V and Q of the response to its flow (the
    exact response's values for τ = 0), to start a model at it."""
    from smfe.formulations.built import exact_solution
    from smfe.game.compiled import compile_game
    from smfe.solvers.response import respond

    cg = compile_game(game)
    theta = np.asarray(r.theta, dtype=np.float64)
    nu = cg.from_types(list(r.nu), "nu").reshape(cg.T, cg.n_sa)
    if game.tau == 0.0:
        return exact_solution(cg, theta, nu, TerminationCondition.CONVERGED)
    P = cg.kernels(theta, nu) if cg.mean_field_dynamics else cg.transition(theta)
    resp = respond(cg, cg.reward(theta, nu), P)
    return MFESolution(
        theta=theta,
        nu=nu,
        policy=cg.from_types(list(r.policy), "policy").reshape(cg.T, cg.n_sa),
        value=resp.value,
        q=resp.q,
        mu=cg.seg_sum(nu),
        residual=float("nan"),
        iterations=0,
        termination=TerminationCondition.CONVERGED,
    )


def nu_summary(game: Game, r: Result) -> NuSummary:
    from smfe.game.compiled import compile_game

    cg = compile_game(game)
    nu = cg.from_types(list(r.nu), "nu").reshape(cg.T, cg.n_sa)
    z = np.atleast_2d(cg.aggregates(nu))
    types = [
        TypeSummary(
            name=t.name,
            mass=float(np.sum(a)) / cg.T,
            support=int(np.count_nonzero(np.asarray(a) > 1e-9)),
            max=float(np.max(a)) if np.size(a) else 0.0,
        )
        for t, a in zip(game.types, r.nu, strict=True)
    ]
    return NuSummary(types=types, aggregates=z.tolist())


def _build(
    game: Game, formulation: str, theta: FloatArray | None, start: MFESolution | None
) -> Built:
    if formulation == "soft-nlp":
        from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp

        return build_soft_nlp(game, SoftNLPOptions(theta=theta, objective="leader", start=start))
    from smfe.formulations.exact_mpec import MPECOptions, build_exact_mpec

    return build_exact_mpec(game, MPECOptions(theta=theta, eps=0.0, start=start))


def _write(built: Any, path: Path) -> None:
    built.model.write(
        str(path),
        format=path.suffix.lstrip(".").replace("gms", "gams"),
        io_options={"symbolic_solver_labels": True},
    )


def export_models(game: Game, spec: InstanceSpec, point: MFESolution, folder: Path) -> ModelFiles:
    """Write the model files and the reference point's ``.sol`` (module docstring)."""
    from smfe.amplsol import sol_text

    formulation = formulation_of(game)
    theta = fixed_theta(spec, game)
    _write(_build(game, formulation, theta, None), folder / NL)
    _write(_build(game, formulation, theta, None), folder / GMS)
    at = folder / "at-solution"
    at.mkdir()
    _write(_build(game, formulation, theta, point), at / NL)
    model, started = load_nl(folder / NL), load_nl(at / NL)
    if model.names != started.names:
        raise SolveFailed("the model started at the reference point has other columns")
    shutil.rmtree(at)
    x = started.x_init
    objective, violation = model.check(x)
    (folder / SOL).write_text(
        sol_text(
            f"smfe {versions()['smfe']}: reference point of {spec.name}",
            model.n_constraints,
            model.n_variables,
            0,
            x=x,
        )
    )
    return ModelFiles(
        formulation=formulation,  # type: ignore[arg-type]
        theta_fixed=theta is not None,
        nl=NL,
        row="model.row",
        col="model.col",
        gms=GMS,
        solution=SOL,
        n_variables=model.n_variables,
        n_constraints=model.n_constraints,
        objective_at_solution=objective,
        max_violation_at_solution=violation,
    )


def menu_answer(game: Game, spec: InstanceSpec, folder: Path) -> MenuAnswer | None:
    """The menu sub-problem (:class:`~smfe.bench.sidecar.MenuAnswer`): solved by ``milp``,
    written as ``menu.mps`` and ``menu.lp``; ``None`` without a menu."""
    if spec.menu is None:
        return None
    from smfe.dispatch import solve
    from smfe.formulations.milp import Menu, build_milp

    grid = [list(v) for v in spec.menu]
    t0 = time.perf_counter()
    r = solve(game, "milp", {"grid": grid})
    seconds = time.perf_counter() - t0
    built = build_milp(game, Menu.grid(grid))
    for name in (MPS, LP):
        built.model.write(str(folder / name), io_options={"symbolic_solver_labels": True})
    return MenuAnswer(
        grid=grid,
        entries=int(np.prod([len(v) for v in grid])),
        objective=float(r.objective),
        theta=[float(v) for v in r.theta],
        certification=certification_of(r),
        seconds=seconds,
        mps=MPS,
        lp=LP,
    )


def mfe_seconds(game: Game, spec: InstanceSpec) -> float:
    """Time of one MFE solve at the starting θ: the data profiles' unit of work."""
    from smfe.game.compiled import compile_game
    from smfe.solvers.mfe import solve_mfe

    cg = compile_game(game)
    t0 = time.perf_counter()
    solve_mfe(cg, np.asarray(game.decision.start, dtype=np.float64))
    return time.perf_counter() - t0


def generate_instance(spec: InstanceSpec, suite: str, folder: str | Path) -> dict[str, Any]:
    """Generate ``spec`` into ``folder`` (module docstring); returns its index entry."""
    folder = Path(folder)
    stage = folder.with_name(f".{folder.name}.staging-{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    t0 = time.perf_counter()
    game = build_game(spec)
    from smfe.game.serialize import save_game

    save_game(game, stage / GAME)
    unit = mfe_seconds(game, spec)
    result, method, options, attempts = reference_answer(game, spec)
    model = export_models(game, spec, reference_point(game, result), stage)
    menu = menu_answer(game, spec, stage)
    seconds = time.perf_counter() - t0
    sidecar = Sidecar(
        instance=spec.name,
        suite=suite,
        family=spec.family,
        problem=spec.problem,  # type: ignore[arg-type]
        args=spec.kwargs,
        tags=list(spec.tags),
        game_file=GAME,
        game_sha256=sha256(stage / GAME),
        objective=float(result.objective),
        theta=[float(v) for v in result.theta],
        theta_names=list(game.decision.names),
        n_state_actions=game.n_state_actions,
        n_steps=game.horizon.T if game.finite else 1,  # type: ignore[union-attr]
        n_types=len(game.types),
        nu=nu_summary(game, result),
        certification=certification_of(result),
        method=method,
        options=options,
        attempts=attempts,
        mfe_seconds=unit,
        seconds=seconds,
        versions=versions(),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        model=model,
        menu=menu,
    )
    (stage / SIDECAR).write_text(sidecar.model_dump_json(indent=1))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(stage, folder)
    return index_entry(spec, sidecar)


def index_entry(spec: InstanceSpec, sc: Sidecar) -> dict[str, Any]:
    """The instance's line in the suite's ``index.json``."""
    return {
        "instance": spec.name,
        "spec": spec.to_dict(),
        "folder": f"instances/{spec.name}",
        "game_sha256": sc.game_sha256,
        "objective": sc.objective,
        "certification": sc.certification.kind,
        "method": sc.method,
        "n_state_actions": sc.n_state_actions,
        "n_theta": len(sc.theta),
        "seconds": sc.seconds,
    }
