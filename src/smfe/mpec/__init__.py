"""MPECs for any Pyomo model with ``pyomo.mpec.Complementarity``: :func:`solve`
(strategies ``auto``, ``global`` by SCIP, ``homotopy`` by Scholtes relaxation with Ipopt),
each answer with its complementarity residual, a stationarity label and a certificate
computed on the user's model (docs/formulations.md § MPECs for any Pyomo model)."""

from smfe.mpec.pairs import Pair, Reformulation, reformulate
from smfe.mpec.result import MPECCertificate, MPECOptions, MPECResult
from smfe.mpec.solve import solve

__all__ = [
    "MPECCertificate",
    "MPECOptions",
    "MPECResult",
    "Pair",
    "Reformulation",
    "reformulate",
    "solve",
]
