"""Register ``smfe_ipopt`` with Pyomo's ``SolverFactory`` (done on ``import smfe.ipopt``).

It is Pyomo's own Ipopt ASL interface pointed at the ``smfe-ipopt`` executable, so every
Pyomo feature of that interface works: options, ``dual`` / ``ipopt_zL_out`` suffixes, warm
starts via ``ipopt_zL_in`` / ``ipopt_zU_in``, and meta-solvers such as ``mpec_nlp`` with
``solver="smfe_ipopt"``.
"""

from __future__ import annotations

from pyomo.opt.base.solvers import SolverFactory
from pyomo.solvers.plugins.solvers.IPOPT import IPOPT

from smfe.amplsol import executable_path as find_executable

EXECUTABLE = "smfe-ipopt"


def executable_path() -> str | None:
    """The installed ``smfe-ipopt`` script: on PATH, or next to this Python."""
    return find_executable(EXECUTABLE)


@SolverFactory.register("smfe_ipopt", doc="Ipopt 3.14 (bundled by CasADi) via smfe-ipopt")
class SmfeIpopt(IPOPT):
    def __init__(self, **kwds: object) -> None:
        super().__init__(**kwds)
        self.options.solver = "smfe_ipopt"

    def _default_executable(self) -> str | None:
        path = executable_path()
        if path is None:
            self.enable = False
        return path
