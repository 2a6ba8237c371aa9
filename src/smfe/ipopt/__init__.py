"""Ipopt 3.14 for Pyomo models, from ``pip install`` alone (the ``casadi`` wheel bundles it).

* :func:`solve_nl` — solve a ``.nl`` problem in process (warm starts in AMPL conventions);
* the ``smfe-ipopt`` console script — an AMPL-protocol executable (``stub.nl`` → ``stub.sol``);
* ``SolverFactory("smfe_ipopt")`` — registered with Pyomo when this module is imported.
"""

from smfe.ipopt import pyomo_plugin
from smfe.ipopt.backend import IpoptRun, available, ipopt_version, solve_nl
from smfe.ipopt.nlfile import NLFile, prepare
from smfe.ipopt.status import IPOPT_STATUS, translate

__all__ = [
    "IPOPT_STATUS",
    "IpoptRun",
    "NLFile",
    "available",
    "ipopt_version",
    "prepare",
    "pyomo_plugin",
    "solve_nl",
    "translate",
]
