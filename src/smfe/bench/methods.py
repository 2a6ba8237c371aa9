"""What ``smfe bench run`` can run on an instance, and how each answer is certified.

A method is one of:

* a registered smfe method (``pgd``, ``sqp``, ``soft-nlp``, ``global``, ``mfe`` …, see
  ``smfe methods``), run through :func:`smfe.solve` on ``game.json``; for a
  ``problem="mfe"`` instance at the instance's θ (``soft-nlp`` with ``fix_theta``), and a
  method that solves only the MFE is refused on a leader problem (and vice versa);
* ``ampl:SOLVER`` — any AMPL-protocol solver executable (``smfe-ipopt`` and ``smfe-scip``
  come with smfe; ``ipopt``, ``scip``, ``bonmin``, ``couenne`` … when on PATH) run on the
  exported ``model.nl`` from its own starting point, with the options as ``key=value``
  arguments. Its ``.sol`` is read back by column name into θ, ν, π, V and certified in game
  terms by smfe's certificate, independently of the solver; the point's largest violation on
  the ``.nl`` is recorded too;
* ``milp`` and ``mps:highs`` — the menu sub-problem of an exact instance (``menu.mps``):
  smfe's MILP route, or HiGHS on the exported file with the point read back by column name
  and certified as an exact MFE;
* ``python:MODULE:FUNCTION`` or ``python:/path/to/file.py:FUNCTION`` — your own method,
  ``FUNCTION(game, options, theta) -> smfe.Result`` (``theta`` is the fixed θ of an MFE
  instance, else ``None``); its result is certified again here.

:func:`run_task` returns the science half of a results row (:mod:`smfe.bench.store`); the
parent adds how the process ended and what it cost.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.bench.generate import GAME, SIDECAR
from smfe.bench.isolate import die_with_parent
from smfe.bench.sidecar import Sidecar, read_sidecar
from smfe.certification.certificate import Certificate, certify_point
from smfe.errors import FormulationError, InstanceError
from smfe.game.model import Game
from smfe.solvers.result import Result, finalise_status
from smfe.solvers.status import Optimality, SolutionStatus, TerminationCondition

FloatArray = NDArray[np.float64]
AMPL, PYTHON = "ampl:", "python:"
MFE_KEYS = ("consistency", "policy", "response", "bellman")


def check_method(name: str) -> None:
    """A typed error for a method name that can never run (before any task is queued)."""
    from smfe.registry import methods

    if name.startswith(AMPL):
        if not name[len(AMPL) :]:
            raise InstanceError("--methods", "ampl: needs a solver, e.g. ampl:smfe-ipopt")
        return
    if name.startswith(MPS):
        if name != "mps:highs":
            raise InstanceError("--methods", f"{name!r}: the .mps solver here is mps:highs")
        return
    if name.startswith(PYTHON):
        if name.count(":") < 2:
            raise InstanceError("--methods", f"{name!r}: expected python:MODULE:FUNCTION")
        return
    if name not in methods():
        from smfe.inputs.errors import suggest

        raise InstanceError(
            "--methods",
            f"unknown method {name!r}{suggest(name, methods())}; or ampl:SOLVER, "
            "python:MODULE:FUNCTION",
        )


def _base_row() -> dict[str, Any]:
    return {
        "status": SolutionStatus.UNKNOWN.value,
        "termination": TerminationCondition.UNKNOWN.value,
        "optimality": Optimality.NONE.value,
        "certified": False,
        "objective": float("nan"),
        "theta": [],
        "nu": [],
        "residual_mfe": float("nan"),
        "exploitability": float("nan"),
        "leader_stationarity": float("nan"),
        "max_violation": float("nan"),
        "seconds": float("nan"),
        "iterations": -1,
        "message": "",
    }


def _cert_fields(cert: Certificate | None) -> dict[str, Any]:
    if cert is None:
        return {}
    r = cert.residuals
    return {
        "residual_mfe": max((r[k] for k in MFE_KEYS if k in r), default=float("nan")),
        "exploitability": r.get("exploitability", float("nan")),
        "leader_stationarity": r.get("leader_stationarity", float("nan")),
    }


def row_of_result(game: Game, sc: Sidecar, r: Result, seconds: float) -> dict[str, Any]:
    """The science fields of a row from an smfe Result (its own certificate)."""
    from smfe.game.compiled import compile_game

    cg = compile_game(game)
    nu = cg.from_types(list(r.nu), "nu")
    row = _base_row()
    row.update(
        status=r.status.solution.value,
        termination=r.status.termination.value,
        optimality=r.optimality.value,
        certified=bool(r.success),
        objective=float(r.objective),
        theta=[float(v) for v in r.theta],
        nu=[float(v) for v in np.ravel(nu)],
        seconds=seconds,
        iterations=int(r.iterations),
        message=r.message[:500],
        **_cert_fields(r.certificate),
    )
    return row


def _fixed_theta(sc: Sidecar) -> FloatArray | None:
    return np.asarray(sc.theta, dtype=np.float64) if sc.problem == "mfe" else None


def refusal(game: Game, sc: Sidecar, name: str) -> str | None:
    """Why registered method ``name`` cannot take this instance (``None``: it can, or it is
    not a registered method)."""
    from smfe.registry import method, methods

    if menu_task(name):
        return None if sc.menu is not None else f"{name} needs a menu sub-problem (exact games)"
    if name not in methods():
        return None
    m = method(name)
    why = m.refuses(game)
    if why:
        return why
    if m.exact_limit and game.tau > 0.0:
        return f"{name} solves the exact-response (τ = 0) game, not this soft one"
    if sc.problem == "leader" and m.leader == "fixed":
        return f"{name} solves the MFE at a fixed θ, not the leader problem"
    if sc.problem == "mfe" and m.leader not in ("fixed", "optional"):
        return f"{name} solves the leader problem, not the MFE at a fixed θ"
    return None


def _registered(game: Game, sc: Sidecar, name: str, options: dict[str, Any]) -> dict[str, Any]:
    from smfe.dispatch import solve
    from smfe.registry import method

    why = refusal(game, sc, name)
    if why:
        return {"outcome": "refused", "detail": why}
    if sc.problem == "mfe" and method(name).leader == "optional":
        options = {**options, "fix_theta": True}
    t0 = time.perf_counter()
    try:
        r = solve(game, name, options or None, theta=_fixed_theta(sc))
    except FormulationError as exc:  # the formulation found it cannot take this game
        return {"outcome": "refused", "detail": str(exc)}
    return row_of_result(game, sc, r, time.perf_counter() - t0)


def _user_function(spec: str) -> Any:
    target, _, func = spec[len(PYTHON) :].rpartition(":")
    if target.endswith(".py"):
        loader = importlib.util.spec_from_file_location("smfe_bench_user", target)
        if loader is None or loader.loader is None:
            raise InstanceError("--methods", f"cannot load {target}")
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    return getattr(module, func)


def _python(game: Game, sc: Sidecar, spec: str, options: dict[str, Any]) -> dict[str, Any]:
    from smfe.certification.of_result import certify

    fn = _user_function(spec)
    t0 = time.perf_counter()
    r = fn(game, options, _fixed_theta(sc))
    seconds = time.perf_counter() - t0
    if not isinstance(r, Result):
        raise FormulationError(f"{spec} returned {type(r).__name__}, not an smfe Result")
    cert = certify(game, r)  # its own claim is not taken on trust
    row = row_of_result(game, sc, r, seconds)
    status = finalise_status(r.status.termination, cert)
    ok = status == SolutionStatus.OPTIMAL
    row.update(status=status.value, certified=ok, **_cert_fields(cert))
    return row


def point_from_names(
    game: Game, sc: Sidecar, names: tuple[str, ...], x: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """θ, ν (T, N_SA), π (T, N_SA), V (T or T+1, N_S) of a model point, by column name."""
    from smfe.bench.nlmodel import dense, named_values
    from smfe.game.compiled import compile_game

    cg = compile_game(game)
    v = named_values(names, x)
    T = cg.T
    if "theta" in v:
        theta = dense(v["theta"], (game.n_theta,))
        theta = theta.ravel()
    else:
        theta = np.asarray(sc.theta, dtype=np.float64)
    nu = dense(v.get("nu", {}), (T, cg.n_sa))
    pi = dense(v.get("pi", {}), (T, cg.n_sa))
    V = dense(v.get("V", {}), (T, cg.n_s))
    if game.finite:
        V = np.vstack([V, np.zeros((1, cg.n_s))])
    return theta, nu, pi, V


def certify_model_point(
    game: Game, sc: Sidecar, names: tuple[str, ...], x: FloatArray
) -> tuple[FloatArray, FloatArray, Certificate]:
    """θ, flat ν and smfe's certificate of a point of the exported model: the MFE conditions,
    and for the leader problem of a soft game first-order stationarity of θ. With the exact
    response J(θ) is only piecewise smooth and a stationary point proves nothing, so there
    the certificate is the MFE's, and optimality rests on the objective (global: the gap)."""
    from smfe.game.compiled import compile_game
    from smfe.solvers.leader import total_gradient

    cg = compile_game(game)
    theta, nu, pi, V = point_from_names(game, sc, names, x)
    leader = sc.problem == "leader" and game.tau > 0.0
    grad = total_gradient(cg, theta, nu, V) if leader and game.n_theta else None
    cert = certify_point(cg, theta, nu, pi, V, leader_gradient=grad, leader=leader)
    return theta, nu, cert


AMPL_SOLVED = range(0, 100)


def _ampl(
    game: Game, sc: Sidecar, folder: Path, solver: str, options: dict[str, Any]
) -> dict[str, Any]:
    from smfe.amplsol import executable_path, read_sol
    from smfe.bench.nlmodel import load_nl

    exe = executable_path(solver)
    if exe is None:
        return {"outcome": "unavailable", "detail": f"no AMPL solver {solver!r} on PATH"}
    model = load_nl(folder / sc.model.nl)
    with tempfile.TemporaryDirectory(prefix="smfe-ampl-") as tmp:
        stub = Path(tmp) / "model"
        for suffix in (".nl", ".col", ".row"):
            shutil.copy(folder / f"model{suffix}", stub.with_suffix(suffix))
        args = [exe, str(stub), "-AMPL", *(f"{k}={v}" for k, v in options.items())]
        t0 = time.perf_counter()
        done = subprocess.run(
            args, cwd=tmp, capture_output=True, text=True, check=False, preexec_fn=die_with_parent
        )
        seconds = time.perf_counter() - t0
        sol_path = stub.with_suffix(".sol")
        if not sol_path.exists():
            tail = (done.stdout + done.stderr)[-800:]
            why = f"{solver} wrote no .sol (exit {done.returncode}): {tail}"
            return {"outcome": "error", "detail": why}
        sol = read_sol(sol_path.read_text())
    row = _base_row()
    row.update(seconds=seconds, message=f"solve_result_num {sol.code}: {sol.message[:300]}")
    if sol.x.size != model.n_variables:
        row.update(status=SolutionStatus.NO_SOLUTION.value, termination="error")
        return row
    objective, violation = model.check(sol.x)
    theta, nu, cert = certify_model_point(game, sc, model.names, sol.x)
    termination = (
        TerminationCondition.CONVERGED if sol.code in AMPL_SOLVED else TerminationCondition.ERROR
    )
    status = finalise_status(termination, cert)
    ok = status == SolutionStatus.OPTIMAL
    row.update(
        status=status.value,
        termination=termination.value,
        optimality=(Optimality.LOCAL if ok and game.tau > 0 else Optimality.NONE).value,
        certified=ok,
        objective=objective,
        theta=[float(v) for v in theta],
        nu=[float(v) for v in np.ravel(nu)],
        max_violation=violation,
        **_cert_fields(cert),
    )
    return row


MENU_METHODS = ("milp",)
MPS = "mps:"


def menu_task(name: str) -> bool:
    """Whether method ``name`` solves an instance's menu sub-problem (``milp``, ``mps:*``)."""
    return name in MENU_METHODS or name.startswith(MPS)


def _milp(game: Game, sc: Sidecar, options: dict[str, Any]) -> dict[str, Any]:
    from smfe.dispatch import solve

    assert sc.menu is not None
    t0 = time.perf_counter()
    r = solve(game, "milp", {**options, "grid": sc.menu.grid})
    return row_of_result(game, sc, r, time.perf_counter() - t0)


def mps_highs(game: Game, sc: Sidecar, folder: Path, options: dict[str, Any]) -> dict[str, Any]:
    """HiGHS on ``menu.mps`` (options by HiGHS's names); the point read back by column name
    and certified as an exact MFE; a zero gap from HiGHS makes it a global menu optimum."""
    import highspy

    from smfe.bench.nlmodel import dense, named_values
    from smfe.game.compiled import compile_game

    assert sc.menu is not None
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in options.items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.readModel(str(folder / sc.menu.mps))
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    row = _base_row()
    row.update(seconds=seconds, message=f"HiGHS: {status}, gap {info.mip_gap:.2e}")
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    names = tuple(h.getLp().col_names_)
    if x.size != len(names) or x.size == 0:
        return row
    cg = compile_game(game)
    v = named_values(names, x)
    theta = dense(v["theta"], (game.n_theta,))
    nu = np.maximum(dense(v["nu"], (cg.T, cg.n_sa)), 0.0)
    from smfe.formulations.built import exact_solution

    sol = exact_solution(cg, theta, nu, TerminationCondition.CONVERGED)
    cert = certify_point(cg, theta, nu, sol.policy, sol.value, leader=False)
    proven = status == "Optimal" and info.mip_gap <= 1e-9
    term = TerminationCondition.CONVERGED if proven else TerminationCondition.UNKNOWN
    sstatus = finalise_status(term, cert)
    ok = sstatus == SolutionStatus.OPTIMAL
    row.update(
        status=sstatus.value,
        termination=term.value,
        optimality=(Optimality.GLOBAL if ok else Optimality.NONE).value,
        certified=ok,
        objective=float(info.objective_function_value),
        theta=[float(t) for t in theta],
        nu=[float(t) for t in nu.ravel()],
        **_cert_fields(cert),
    )
    return row


def run_task(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job["method"]`` with ``job["options"]`` on the instance in ``job["folder"]``."""
    from smfe.game.serialize import load_game

    folder = Path(job["folder"])
    sc = read_sidecar(folder / SIDECAR)
    game = load_game(folder / GAME)
    name, options = str(job["method"]), dict(job.get("options") or {})
    if name.startswith(AMPL):
        return _ampl(game, sc, folder, name[len(AMPL) :], options)
    if name == "mps:highs":
        return mps_highs(game, sc, folder, options)
    if name == "milp":
        return _milp(game, sc, options)
    if name.startswith(PYTHON):
        return _python(game, sc, name, options)
    return _registered(game, sc, name, options)
