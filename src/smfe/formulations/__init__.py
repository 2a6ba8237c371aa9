"""Algebraic formulations (Pyomo) of the S-MFE; pure builders returning ``Built``."""

from smfe.formulations.built import Built
from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp

__all__ = ["Built", "SoftNLPOptions", "build_soft_nlp"]
