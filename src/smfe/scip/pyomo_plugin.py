"""Register ``smfe_scip`` with Pyomo's ``SolverFactory`` (done on ``import smfe.scip``).

It is Pyomo's own SCIP ASL interface pointed at the ``smfe-scip`` executable: options (SCIP
parameter names, written to a ``scip.set`` file), ``timelimit=``, the solve status, and the
primal bound, dual bound, gap and node count read from the log into ``results.solver``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyomo.opt.base.solvers import SolverFactory
from pyomo.solvers.plugins.solvers.SCIPAMPL import SCIPAMPL

from smfe.amplsol import executable_path as find_executable

EXECUTABLE = "smfe-scip"


def executable_path() -> str | None:
    """The installed ``smfe-scip`` script: on PATH, or next to this Python."""
    return find_executable(EXECUTABLE)


@SolverFactory.register("smfe_scip", doc="SCIP 10 (bundled by pyscipopt) via smfe-scip")
class SmfeScip(SCIPAMPL):
    def __init__(self, **kwds: object) -> None:
        super().__init__(**kwds)
        self.options.solver = "smfe_scip"

    def _default_executable(self) -> str | None:
        path = executable_path()
        if path is None:
            self.enable = False
            return None
        if path not in self._known_versions:
            self._known_versions[path] = self._get_version(path)
        return path

    def _postsolve(self) -> Any:
        """A failure (``.sol`` code 5xx: a model or option SCIP cannot take) is read by the
        plain ASL interface — solver error, with smfe-scip's message — instead of SCIP's
        message table, which knows no failures."""
        sol = Path(self._soln_file) if self._soln_file else None
        if sol is not None and sol.exists() and _failure(sol.read_text(errors="replace")):
            return super(SCIPAMPL, self)._postsolve()
        return super()._postsolve()


def _failure(sol_text: str) -> bool:
    for line in sol_text.splitlines():
        if line.startswith("objno "):
            return 500 <= int(line.split()[2]) < 600
    return False
