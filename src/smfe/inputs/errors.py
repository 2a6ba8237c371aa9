"""Pydantic validation errors translated into :class:`smfe.InstanceError` with a field path.

A pydantic ``loc`` such as ``("types", 1, "transition", "index", 4)`` becomes the path
``types[1].transition.index[4]`` under a root (``options``, ``instance``, …); an unknown key
gets a "did you mean" suggestion from the keys the schema knows at that place.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from smfe.errors import InstanceError, SmfeError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_EXPECTED = {
    "float_type": "a number (not a string or a boolean)",
    "int_type": "an integer (not a string, a boolean or a fraction)",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dataclass_type": "an object",
    "missing": "a value (the field is missing)",
    "missing_argument": "a value (the field is missing)",
}


def join_path(root: str, loc: Sequence[int | str], schema: Any = None) -> str:
    """``root`` followed by ``loc`` in the ``a.b[3].c`` notation; with ``schema``, the tags
    pydantic inserts into ``loc`` for tagged unions (not keys of the document) are left out."""
    out = root
    tp: Any = schema
    for part in loc:
        if tp is not None and isinstance(part, str) and _is_union(tp):
            nxt = _unwrap(tp, part)
            if nxt is None:  # a union tag, e.g. horizon -> 'finite'
                tp = _member(tp, part)
                continue
        tp = None if tp is None else _unwrap(tp, part)
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _KEY.fullmatch(part):  # an odd (unknown) key: quoted, so the path stays readable
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{part}" if out else part
    return out or "document"


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _is_union(typing.get_args(tp)[0])
    return origin in (types.UnionType, typing.Union)


def _member(tp: Any, tag: str) -> Any:
    """The member of a tagged union whose ``kind`` literal is ``tag`` (else None)."""
    if typing.get_origin(tp) is typing.Annotated:
        return _member(typing.get_args(tp)[0], tag)
    for arg in typing.get_args(tp):
        kind = _hints(arg).get("kind")
        if kind is not None and tag in typing.get_args(kind):
            return arg
    return None


def suggest(key: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when ``key`` is close to a known key, else the known keys."""
    keys = list(known)
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; known keys: {', '.join(keys)}" if keys else ""


def keys_at(schema: Any, loc: Sequence[int | str]) -> list[str]:
    """The keys a document of type ``schema`` allows at ``loc`` (a pydantic model or a
    dataclass, through lists, tuples and optionals); ``[]`` where that cannot be told."""
    tp: Any = schema
    for part in loc:
        tp = _unwrap(tp, part)
        if tp is None:
            return []
    tp = _unwrap(tp, None)
    return _fields(tp)


def _fields(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    if dataclasses.is_dataclass(tp):
        return [f.name for f in dataclasses.fields(tp)]
    return []


def _unwrap(tp: Any, part: int | str | None) -> Any:
    """The type found under ``part`` of ``tp`` (None: only strip optionals/annotations)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0], part)
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(tp):
            if arg is not type(None) and (part is None or _unwrap(arg, part) is not None):
                return _unwrap(arg, part)
        return None
    if part is None:
        return tp
    if isinstance(part, int):
        if origin in (list, tuple):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            return args[0] if args else None
        return None
    hints = _hints(tp)
    return hints.get(part)


def _hints(tp: Any) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {k: f.annotation for k, f in tp.model_fields.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return typing.get_type_hints(tp)
    return {}


def translate(exc: ValidationError, root: str, schema: Any = None) -> SmfeError:
    """The first error of ``exc`` as a typed smfe error naming its field path.

    An :class:`InstanceError` raised by a validated dataclass's own checks is returned as it
    is (it already names its field). ``schema`` (the validated type) gives the keys allowed
    next to an unknown key, for a "did you mean" hint.
    """
    errors = exc.errors(include_url=False)
    err: dict[str, Any] = dict(errors[0])
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, SmfeError):
        return cause
    loc = tuple(err.get("loc", ()))
    path = join_path(root, loc, schema)
    kind = err.get("type", "")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        parent, key = loc[:-1], str(loc[-1]) if loc else ""
        hint = suggest(key, keys_at(schema, parent)) if schema is not None else ""
        message = f"unknown key{hint}"
    elif kind == "json_invalid":
        message = f"is not valid JSON ({err.get('ctx', {}).get('error', err['msg'])})"
    elif kind in _EXPECTED:
        got = err.get("input")
        shown = "" if kind.startswith("missing") else f", got {_short(got)}"
        message = f"must be {_EXPECTED[kind]}{shown}"
    else:
        msg = str(err.get("msg", "is invalid"))
        message = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return InstanceError(path, message)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
