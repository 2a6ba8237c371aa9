"""smfe — Stackelberg mean-field equilibria, computed exactly and certified.

The public API: :class:`Game` (an instance), :func:`make_instance` / :func:`catalogue`
(named instances), :func:`solve` (one entry point, one :class:`Result` type),
:func:`certify` (an independent certificate) and :func:`agree` (cross-method agreement).
"""

from smfe.certify import Agreement, AgreeTolerances, Certificate, Tolerances, agree, certify
from smfe.errors import (
    FormulationError,
    InstanceError,
    NotCertified,
    SmfeError,
    SolveFailed,
    SolverUnavailable,
)
from smfe.game import (
    Decision,
    FiniteHorizon,
    FollowerType,
    Game,
    LeaderObjective,
    Price,
    Response,
    Stationary,
)
from smfe.game.catalogue import catalogue, make_instance
from smfe.game.serialize import load_game, save_game
from smfe.ipopt import pyomo_plugin as _pyomo_plugin  # noqa: F401 (registers "smfe_ipopt")
from smfe.solvers import (
    LeaderOptions,
    MFEOptions,
    Optimality,
    Result,
    SampleOptions,
    SolutionStatus,
    Status,
    TerminationCondition,
    methods,
    solve,
)

__version__ = "0.1.0"

__all__ = [
    "AgreeTolerances",
    "Agreement",
    "Certificate",
    "Decision",
    "FiniteHorizon",
    "FollowerType",
    "FormulationError",
    "Game",
    "InstanceError",
    "LeaderObjective",
    "LeaderOptions",
    "MFEOptions",
    "NotCertified",
    "Optimality",
    "Price",
    "Response",
    "Result",
    "SampleOptions",
    "SmfeError",
    "SolutionStatus",
    "SolveFailed",
    "SolverUnavailable",
    "Stationary",
    "Status",
    "TerminationCondition",
    "Tolerances",
    "agree",
    "catalogue",
    "certify",
    "load_game",
    "make_instance",
    "methods",
    "save_game",
    "solve",
]
