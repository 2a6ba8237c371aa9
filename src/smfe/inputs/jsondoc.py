"""External documents as JSON text: files read as strict UTF-8, values parsed with clear errors.

Every external input of smfe (game files, market instance files, solver options, θ, CLI
values) is a JSON document; this module turns files and Python values into JSON text, so
that one strict schema (:mod:`pydantic`, JSON mode: strings are not numbers, booleans are
not numbers) validates them all, and any failure is a :class:`smfe.InstanceError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from smfe.errors import InstanceError

MAX_FILE_BYTES = 2 * 1024**3
"""Input files above 2 GiB are refused before they are read (JSON text of that size would
take several times as much memory to parse)."""


def read_text(path: str | Path, field: str = "path", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a UTF-8 file (a byte-order mark is allowed), or an InstanceError naming
    ``field`` that says why it cannot be read: missing, a directory, too large, not UTF-8."""
    if str(path).strip() == "":
        raise InstanceError(field, "is empty; give the path of a file")
    p = Path(path)
    try:
        if p.is_dir():
            raise InstanceError(field, f"{str(path)!r} is a directory, not a file")
        if not p.exists():
            raise InstanceError(field, f"no such file: {str(path)!r}")
        size = p.stat().st_size
        if size > max_bytes:
            raise InstanceError(
                field, f"{str(path)!r} has {size:,} bytes, above the {max_bytes:,}-byte limit"
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise InstanceError(field, f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InstanceError(field, f"{str(path)!r} is UTF-16 text; save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstanceError(
            field,
            f"{str(path)!r} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8",
        ) from None


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def parse_json(text: str, field: str) -> Any:
    """``json.loads(text)`` with every failure (syntax, nesting depth, a key given twice in
    one object — JSON parsers would silently keep the last) as an InstanceError."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise InstanceError(field, f"gives the key {exc.args[0]!r} twice in one object") from None
    except json.JSONDecodeError as exc:
        raise InstanceError(field, f"is not valid JSON ({exc})") from None
    except RecursionError:
        raise InstanceError(field, "is nested too deeply to be a valid document") from None


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a {type(value).__name__} is not a JSON value")


def to_json_text(value: Any, field: str) -> str:
    """A Python value (dicts, lists, numbers, strings, NumPy arrays and scalars) as JSON
    text, for strict validation; anything else is an InstanceError naming ``field``."""
    try:
        return json.dumps(value, default=_plain)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InstanceError(field, f"cannot be read as a JSON value ({exc})") from None
