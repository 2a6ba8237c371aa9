"""Ipopt 3.14 through the ``casadi`` wheel, on ``.nl`` text (in process).

Sign conventions. CasADi minimises; for a maximisation (σ = −1) it negates the objective.
Ipopt's multipliers λ (constraints) and ``lam_x`` = z_U − z_L (bounds) satisfy
∇f + Jᵀλ + lam_x = 0 for the minimisation form. AMPL (and so Pyomo) reports constraint duals
y = −σλ — the derivative of the *reported* optimal objective with respect to the right-hand
side — and bound multipliers ``ipopt_zL_out`` = σ·z_L, ``ipopt_zU_out`` = −σ·z_U, as Ipopt's
own AMPL driver does. Warm-start inputs use the inverse maps.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import SolverUnavailable
from smfe.ipopt.nlfile import NLFile
from smfe.ipopt.status import translate
from smfe.solvers.status import SolutionStatus, TerminationCondition

FloatArray = NDArray[np.float64]


def available() -> bool:
    """True if CasADi (with its bundled Ipopt) imports."""
    try:
        import casadi  # noqa: F401
    except ImportError:
        return False
    return True


def ipopt_version() -> str:
    """The Ipopt version CasADi bundles (from its shared library's file name)."""
    import re

    import casadi as ca

    folder = os.path.dirname(ca.__file__)
    for name in sorted(os.listdir(folder)):
        m = re.match(r"libipopt[.-](?:so\.)?(\d+\.\d+\.\d+)", name)
        if m:
            return m.group(1)
    return "unknown"


@dataclass(frozen=True, eq=False)
class IpoptRun:
    """One Ipopt solve, values in the .nl order and AMPL sign conventions."""

    x: FloatArray
    objective: float
    duals: FloatArray  # AMPL convention y = −σλ
    z_lower: FloatArray  # ipopt_zL_out
    z_upper: FloatArray  # ipopt_zU_out
    status: str
    termination: TerminationCondition
    solution: SolutionStatus
    ampl_code: int
    iterations: int
    seconds: float
    log: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _option_value(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def casadi_options(log_path: str, options: dict[str, Any] | None, expand: bool) -> dict[str, Any]:
    """CasADi ``nlpsol`` options: quiet console, full Ipopt log to ``log_path``, never raise
    on a failed solve (the status is reported), and the user's Ipopt options on top."""
    opts: dict[str, Any] = {
        "print_time": False,
        "error_on_fail": False,
        "ipopt.print_level": 0,
        "ipopt.sb": "yes",
        "ipopt.output_file": log_path,
        "ipopt.file_print_level": 5,
        "expand": expand,
    }
    for k, v in (options or {}).items():
        opts[k if "." in k or k == "expand" else f"ipopt.{k}"] = _option_value(v)
    return opts


def solve_nl(
    nl: NLFile,
    options: dict[str, Any] | None = None,
    *,
    x0: FloatArray | None = None,
    duals0: FloatArray | None = None,
    z_lower0: FloatArray | None = None,
    z_upper0: FloatArray | None = None,
) -> IpoptRun:
    """Solve the (cleaned) .nl problem with Ipopt; warm starts in AMPL conventions.

    ``options`` are Ipopt options (``max_iter``, ``tol``, ``warm_start_init_point`` ...).
    Starting values default to those in the file (``x`` and ``d`` segments, suffixes
    ``ipopt_zL_in`` / ``ipopt_zU_in``).
    """
    if not available():
        raise SolverUnavailable("casadi (which bundles Ipopt) is not installed")
    import casadi as ca

    sigma = -1.0 if nl.maximize else 1.0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.nl")
        with open(path, "w") as fh:
            fh.write(nl.text)
        t_import = time.perf_counter()
        builder = ca.NlpBuilder()
        builder.import_nl(path, {})
        t_import = time.perf_counter() - t_import
        log_path = os.path.join(d, "ipopt.log")
        opts = casadi_options(log_path, options, expand=True)
        x = ca.vertcat(*builder.x)
        g = ca.vertcat(*builder.g) if builder.g else ca.MX(0, 1)
        t_setup = time.perf_counter()
        solver = ca.nlpsol("smfe_ipopt", "ipopt", {"x": x, "f": builder.f, "g": g}, opts)
        t_setup = time.perf_counter() - t_setup
        n, m = len(builder.x), len(builder.g)
        start_x = np.asarray(builder.x_init, dtype=float) if x0 is None else np.asarray(x0, float)
        if duals0 is None:
            y0 = np.asarray(builder.lambda_init, dtype=float) if m else np.zeros(0)
        else:
            y0 = np.asarray(duals0, float)
        zl = _suffix(nl, "ipopt_zL_in", n) if z_lower0 is None else np.asarray(z_lower0, float)
        zu = _suffix(nl, "ipopt_zU_in", n) if z_upper0 is None else np.asarray(z_upper0, float)
        lam_g0 = -sigma * y0
        lam_x0 = (-sigma * zu) - (sigma * zl)  # z_U − z_L with z_L = σ·zL_in, z_U = −σ·zU_in
        t0 = time.perf_counter()
        res = solver(
            x0=start_x,
            lam_g0=lam_g0,
            lam_x0=lam_x0,
            lbx=builder.x_lb,
            ubx=builder.x_ub,
            lbg=builder.g_lb,
            ubg=builder.g_ub,
        )
        seconds = time.perf_counter() - t0
        stats = solver.stats()
        del solver  # Ipopt closes (and flushes) its output file when the solver goes
        log = Path(log_path).read_text() if os.path.exists(log_path) else ""
    status = str(stats.get("return_status", "unknown"))
    term, sol, code = translate(status)
    lam_x = np.asarray(res["lam_x"]).ravel()
    z_l = np.maximum(-lam_x, 0.0)
    z_u = np.maximum(lam_x, 0.0)
    return IpoptRun(
        x=np.asarray(res["x"]).ravel(),
        objective=sigma * float(res["f"]),
        duals=-sigma * np.asarray(res["lam_g"]).ravel(),
        z_lower=sigma * z_l,
        z_upper=-sigma * z_u,
        status=status,
        termination=term,
        solution=sol,
        ampl_code=code,
        iterations=int(stats.get("iter_count", 0)),
        seconds=seconds,
        log=log,
        stats={k: v for k, v in stats.items() if isinstance(v, int | float | str | bool)},
        timings={"import_nl": t_import, "setup": t_setup, "ipopt": seconds},
    )


def _suffix(nl: NLFile, name: str, n: int) -> FloatArray:
    out = np.zeros(n)
    s = nl.suffixes.get(name)
    if s is not None:
        for i, v in s.values.items():
            out[i] = v
    return out
