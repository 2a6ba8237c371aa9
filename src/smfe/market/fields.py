"""Shared field checks of the market dataclasses: hourly series and bounded numbers.

Each raises :class:`~smfe.errors.InstanceError` naming the field (and the hour).
"""

from __future__ import annotations

import numpy as np
from pydantic import ConfigDict

from smfe.errors import InstanceError
from smfe.game.checks import finite_number

HOURS = 24
SCHEMA_CONFIG = ConfigDict(strict=True, extra="forbid")
"""How pydantic validates these dataclasses from JSON (:mod:`smfe.market.instance_file`):
strict types, unknown keys refused; the dataclasses' own checks then run as usual."""


def bounded(v: float, field_: str, lo: float | None = None, hi: float | None = None) -> float:
    x = finite_number(v, field_)
    if lo is not None and x < lo:
        raise InstanceError(field_, f"must be >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise InstanceError(field_, f"must be <= {hi}, got {x}")
    return x


def hourly(v: object, field_: str, lo: float | None = None) -> tuple[float, ...]:
    a = np.asarray(v, dtype=np.float64).ravel()
    if a.size != HOURS:
        raise InstanceError(field_, f"needs {HOURS} hourly values, got {a.size}")
    bad = ~np.isfinite(a) | (a < lo if lo is not None else np.zeros(HOURS, bool))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InstanceError(field_, f"must be finite{'' if lo is None else f' and >= {lo}'}", i)
    return tuple(float(x) for x in a)
