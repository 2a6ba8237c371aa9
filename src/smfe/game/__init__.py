"""The data model: games, their validation, the flat compiled form, JSON and the catalogue."""

from smfe.game.model import (
    Decision,
    FiniteHorizon,
    FollowerType,
    Game,
    LeaderObjective,
    Price,
    Response,
    Stationary,
)

__all__ = [
    "Decision",
    "FiniteHorizon",
    "FollowerType",
    "Game",
    "LeaderObjective",
    "Price",
    "Response",
    "Stationary",
]
