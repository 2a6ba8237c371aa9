"""smfe — Stackelberg mean-field equilibria, computed exactly and certified.

The public API: :class:`Game` (an instance), :func:`make_instance` / :func:`catalogue`
(named instances), :func:`solve` (one entry point, one :class:`Result` type),
:func:`certify` (an independent certificate) and :func:`agree` (cross-method agreement).

Names are imported on first use (PEP 562), so ``import smfe`` and the ``smfe-ipopt``
executable start fast; ``import smfe.ipopt`` registers ``SolverFactory("smfe_ipopt")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smfe.errors import (
    FormulationError,
    InstanceError,
    NotCertified,
    SmfeError,
    SolveFailed,
    SolverUnavailable,
)
from smfe.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    **dict.fromkeys(
        ("Agreement", "AgreeTolerances", "Certificate", "Tolerances", "agree", "certify"),
        "smfe.certification",
    ),
    **dict.fromkeys(
        (
            "Decision",
            "FiniteHorizon",
            "FollowerType",
            "Game",
            "LeaderConstraint",
            "LeaderConstraint",
            "LeaderObjective",
            "Price",
            "Response",
            "Stationary",
        ),
        "smfe.game",
    ),
    "catalogue": "smfe.game.catalogue",
    "make_instance": "smfe.game.catalogue",
    "load_game": "smfe.game.serialize",
    "save_game": "smfe.game.serialize",
    **dict.fromkeys(
        (
            "LeaderOptions",
            "MFEOptions",
            "Optimality",
            "Result",
            "SampleOptions",
            "SolutionStatus",
            "Status",
            "TerminationCondition",
        ),
        "smfe.solvers",
    ),
    **dict.fromkeys(("capabilities", "default_method", "methods"), "smfe.registry"),
    "solve": "smfe.dispatch",
}

if TYPE_CHECKING:
    from smfe.certification import (
        Agreement,
        AgreeTolerances,
        Certificate,
        Tolerances,
        agree,
        certify,
    )
    from smfe.dispatch import solve
    from smfe.game import (
        Decision,
        FiniteHorizon,
        FollowerType,
        Game,
        LeaderConstraint,
        LeaderObjective,
        Price,
        Response,
        Stationary,
    )
    from smfe.game.catalogue import catalogue, make_instance
    from smfe.game.serialize import load_game, save_game
    from smfe.registry import capabilities, default_method, methods
    from smfe.solvers import (
        LeaderOptions,
        MFEOptions,
        Optimality,
        Result,
        SampleOptions,
        SolutionStatus,
        Status,
        TerminationCondition,
    )


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "LeaderConstraint",
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
    "capabilities",
    "catalogue",
    "certify",
    "default_method",
    "load_game",
    "make_instance",
    "methods",
    "save_game",
    "solve",
]
