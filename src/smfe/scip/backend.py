"""SCIP 10 (the ``pyscipopt`` wheel) on ``.nl`` files, in process.

SCIP reads the AMPL ``.nl`` format itself (LP, MILP, NLP, MINLP with the operators of
AMPL's expression graph; not complementarity constraints) and solves nonconvex problems to
global optimality by spatial branch-and-bound. Its variables keep their ``.nl`` index
(``Variable.getIndex``); a nonlinear objective adds one auxiliary variable after them, which
is dropped here, so values come back in the ``.nl`` order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError, SolverUnavailable
from smfe.scip.status import translate
from smfe.solvers.status import SolutionStatus, TerminationCondition

FloatArray = NDArray[np.float64]

ALIASES = {
    "time": "limits/time",
    "gap": "limits/gap",
    "absgap": "limits/absgap",
    "nodes": "limits/nodes",
    "memory": "limits/memory",
    "threads": "parallel/maxnthreads",
    "seed": "randomization/randomseedshift",
    "verbosity": "display/verblevel",
}
"""Short names for the options users set most (any SCIP parameter may be given by its own
name, e.g. ``numerics/feastol=1e-9``). ``threads`` > 1 runs SCIP's concurrent solver."""


def available() -> bool:
    """True if pyscipopt (with its bundled SCIP) imports."""
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


def scip_version() -> str:
    """The version of the SCIP library pyscipopt bundles, e.g. ``10.0.0``."""
    import pyscipopt

    model = pyscipopt.Model()
    major, minor, tech = model.getMajorVersion(), model.getMinorVersion(), model.getTechVersion()
    return f"{major}.{minor}.{tech}"


@dataclass(frozen=True, eq=False)
class ScipRun:
    """One SCIP solve: the incumbent in the ``.nl`` order (``None`` without one), the bounds
    and the gap as SCIP reports them, and the statuses on both axes."""

    status: str
    termination: TerminationCondition
    solution: SolutionStatus
    ampl_code: int
    message: str
    x: FloatArray | None
    objective: float
    primal_bound: float
    dual_bound: float
    gap: float
    nodes: int
    seconds: float
    n_solutions: int
    log: str


def _typed(model: Any, name: str, value: object) -> object:
    """``value`` converted to the type of SCIP parameter ``name`` (a typed error naming the
    option if there is no such parameter or the value does not convert)."""
    try:
        current = model.getParam(name)
    except (KeyError, LookupError, ValueError) as exc:
        raise InstanceError(f"options.{name}", "is not a SCIP parameter") from exc
    text = str(value).strip()
    try:
        if isinstance(current, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(current, int):
            return int(float(text)) if float(text).is_integer() else int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        kind = type(current).__name__
        raise InstanceError(f"options.{name}", f"must be a {kind}, got {text!r}") from None
    return text


def solve_nl(
    path: str | Path,
    options: dict[str, object] | None = None,
    start: FloatArray | None = None,
) -> ScipRun:
    """Read ``path`` (a ``.nl`` file), set ``options`` (SCIP parameter names or the
    :data:`ALIASES`), solve, and return the run. A file SCIP cannot read raises
    :class:`~smfe.errors.InstanceError` naming it.

    ``start`` (values in the ``.nl`` order; NaN where unknown) is handed to SCIP as a
    starting solution: checked and kept as the first incumbent if it is feasible, or, with
    unknown entries, as a partial solution SCIP tries to complete. SCIP then prunes every
    node whose bound is no better, so a good start shrinks the tree."""
    try:
        import pyscipopt
    except ImportError:
        raise SolverUnavailable("pyscipopt is not installed") from None
    import tempfile

    model = pyscipopt.Model()
    threads = 1
    for key, value in (options or {}).items():
        name = ALIASES.get(key, key)
        typed = _typed(model, name, value)
        model.setParam(name, typed)
        if name == "parallel/maxnthreads":
            threads = int(typed)  # type: ignore[call-overload]
    with tempfile.TemporaryDirectory(prefix="smfe-scip-") as folder:
        log_path = Path(folder) / "scip.log"
        model.setLogfile(str(log_path))
        model.hideOutput(True)  # the log goes to the file, and the caller prints it in order
        try:
            model.readProblem(str(path))
        except OSError:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            reason = " ".join(ln for ln in log.splitlines() if "ERROR" in ln)[:300]
            why = reason or "read error"
            raise InstanceError("stub", f"SCIP cannot read {path}: {why}") from None
        n_nl = _nl_variables(path)
        if start is not None:
            _add_start(model, np.asarray(start, dtype=np.float64), n_nl)
        if threads > 1:
            model.solveConcurrent()
        else:
            model.optimize()
        log = log_path.read_text(encoding="utf-8", errors="replace")
    status = str(model.getStatus())
    n_sols = int(model.getNSols())
    term, sol, code, message = translate(status, n_sols > 0)
    x = None
    objective = math.nan
    if n_sols:
        best = model.getBestSol()
        x = np.zeros(n_nl)
        for v in model.getVars():
            i = v.getIndex()
            if i < n_nl:
                x[i] = model.getSolVal(best, v)
        objective = float(model.getSolObjVal(best))
    return ScipRun(
        status=status,
        termination=term,
        solution=sol,
        ampl_code=code,
        message=message,
        x=x,
        objective=objective,
        primal_bound=float(model.getPrimalbound()),
        dual_bound=float(model.getDualbound()),
        gap=float(model.getGap()),
        nodes=int(model.getNTotalNodes()),
        seconds=float(model.getSolvingTime()),
        n_solutions=n_sols,
        log=log,
    )


def _add_start(model: Any, start: FloatArray, n_nl: int) -> None:
    """Give SCIP ``start`` (module docstring of :func:`solve_nl`)."""
    if start.shape != (n_nl,):
        raise InstanceError("start", f"needs {n_nl} values (the .nl variables), got {start.size}")
    variables = [v for v in model.getVars() if v.getIndex() < n_nl]
    complete = len(variables) == len(model.getVars()) and bool(np.isfinite(start).all())
    sol = model.createSol() if complete else model.createPartialSol()
    for v in variables:
        value = float(start[v.getIndex()])
        if math.isfinite(value):
            model.setSolVal(sol, v, value)
    model.addSol(sol)  # kept in the problem stage; SCIP checks it when the solve starts


def _nl_variables(path: str | Path) -> int:
    """The number of variables in the ``.nl`` header (text and binary files alike)."""
    from smfe.amplsol import nl_counts

    with open(path, "rb") as f:
        head = [f.readline().decode("ascii", errors="replace") for _ in range(3)]
    return nl_counts("".join(head))[0]
