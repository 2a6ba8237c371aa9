"""The S-MFE equations written once (:class:`EquilibriumSystem`) and their translations to
NumPy (:mod:`.numeric`), CasADi (:mod:`.to_casadi`) and Pyomo (:mod:`.to_pyomo`)."""

from smfe.system.assemble import SystemOptions, assemble
from smfe.system.solution import game_arrays, initial_point, warm_start
from smfe.system.system import EquilibriumSystem, SymbolicTerms

__all__ = [
    "EquilibriumSystem",
    "SymbolicTerms",
    "SystemOptions",
    "assemble",
    "game_arrays",
    "initial_point",
    "warm_start",
]
