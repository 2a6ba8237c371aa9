"""The data model: games, their validation, the flat compiled form, JSON and the catalogue."""

from smfe.game.constraint import LeaderConstraint
from smfe.game.decision import Decision
from smfe.game.model import (
    FiniteHorizon,
    FollowerType,
    Game,
    LeaderObjective,
    Response,
    Stationary,
)
from smfe.game.price import Price

__all__ = [
    "Decision",
    "FiniteHorizon",
    "FollowerType",
    "Game",
    "LeaderConstraint",
    "LeaderObjective",
    "Price",
    "Response",
    "Stationary",
]
