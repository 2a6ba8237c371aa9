"""Values given on the command line (``--set K=V``, ``--weight N=V``, ``--options JSON``,
``--theta JSON``, ``--taus a,b,c``), parsed with errors that name the flag."""

from __future__ import annotations

import math
from typing import Any

from smfe.errors import InstanceError
from smfe.inputs.jsondoc import parse_json


def json_arg(text: str, flag: str) -> Any:
    """The JSON value of a flag (e.g. ``--options '{"tol": 1e-8}'``)."""
    return parse_json(text, flag)


def key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a VALUE that is valid JSON is read as JSON (``20``, ``0.5``,
    ``null``, ``true``), anything else as a string (``response=soft``)."""
    out: dict[str, Any] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InstanceError(flag, f"expects KEY=VALUE, got {p!r}")
        if key in out:
            raise InstanceError(f"{flag} {key}", "is given twice")
        try:
            out[key] = parse_json(value, f"{flag} {key}")
        except InstanceError:
            out[key] = value
    return out


def number(text: str, field: str) -> float:
    """A finite number written as text (``nan``, ``inf`` and words are refused)."""
    try:
        x = float(text)
    except ValueError:
        raise InstanceError(field, f"must be a number, got {text!r}") from None
    if not math.isfinite(x):
        raise InstanceError(field, f"must be finite, got {text!r}")
    return x


def numbers_csv(text: str, flag: str) -> list[float]:
    """Comma-separated finite numbers (``0.3,0.1,0.03``)."""
    parts = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in parts):
        raise InstanceError(flag, f"expects comma-separated numbers, got {text!r}")
    return [number(t, f"{flag}[{i}]") for i, t in enumerate(parts)]
