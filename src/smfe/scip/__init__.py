"""SCIP 10 for Pyomo models, from ``pip install`` alone (the ``pyscipopt`` wheel bundles it):
proven global optima of LPs, MILPs, nonconvex NLPs and MINLPs, with bounds and a gap.

* :func:`solve_nl` — solve a ``.nl`` problem in process;
* the ``smfe-scip`` console script — an AMPL-protocol executable (``stub.nl`` → ``stub.sol``);
* ``SolverFactory("smfe_scip")`` — registered with Pyomo when this module is imported.
"""

from smfe.scip import pyomo_plugin
from smfe.scip.backend import ALIASES, ScipRun, available, scip_version, solve_nl
from smfe.scip.status import SCIP_STATUS, translate

__all__ = [
    "ALIASES",
    "SCIP_STATUS",
    "ScipRun",
    "available",
    "pyomo_plugin",
    "scip_version",
    "solve_nl",
    "translate",
]
