"""The leader decision θ as given by a user: a list of d finite numbers inside Θ."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.game.model import Game

THETA_TOL = 1e-9
"""θ may violate a constraint of Θ by at most this much."""


def as_theta(game: Game, value: Any, field: str = "theta") -> NDArray[np.float64]:
    """``value`` as a float vector of length ``game.n_theta`` that lies in Θ.

    Booleans and strings are refused (not read as numbers), as are a wrong length, nested
    lists, non-finite entries and points outside Θ (by more than :data:`THETA_TOL`).
    """
    if isinstance(value, str | bytes | dict):
        raise InstanceError(field, f"must be a list of {game.n_theta} numbers, got {value!r:.40}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise InstanceError(field, f"must be a list of {game.n_theta} numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind not in "iuf" or arr.ndim != 1:
        raise InstanceError(
            field, f"must be a flat list of {game.n_theta} numbers, got {value!r:.60}"
        )
    if arr.size != game.n_theta:
        names = f" ({', '.join(game.decision.names)})" if game.decision.names else ""
        raise InstanceError(field, f"has {arr.size} values, expected {game.n_theta}{names}")
    th = arr.astype(np.float64)
    bad = ~np.isfinite(th)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InstanceError(f"{field}[{i}]", f"must be finite, got {th[i]}")
    viol = game.decision.violation(th)
    if viol > THETA_TOL:
        raise InstanceError(field, f"is outside the decision set Θ (violation {viol:.3g})")
    return th
