"""The market instance file: JSON validated by the :class:`MarketInstance` dataclasses.

The schema *is* the dataclasses of :mod:`smfe.market.data` (their annotations, read by
pydantic in strict JSON mode: strings are not numbers, booleans are not numbers, unknown keys
are refused with a "did you mean"); their own checks (ranges, sums, hourly series) then run
as usual. A file must name its instance (``"name"``); every other key is optional and takes
the reference value ("CA-summer-weekday-4G"). :func:`dump_instance` writes a complete file,
a template to edit; :func:`instance_schema` is the JSON Schema documented in docs/market.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from smfe.errors import InstanceError
from smfe.inputs.errors import translate
from smfe.inputs.jsondoc import parse_json, read_text, to_json_text
from smfe.market.data import MarketInstance

_ADAPTER = TypeAdapter(MarketInstance)


def instance_from_json(text: str) -> MarketInstance:
    """A validated :class:`MarketInstance` from the text of an instance file."""
    data = parse_json(text, "instance")
    if not isinstance(data, dict):
        raise InstanceError("instance", f"must be a JSON object, got {type(data).__name__}")
    if "name" not in data:
        raise InstanceError(
            "name",
            "is missing: an instance file names its instance (keys left out take the "
            "reference values; `smfe market --dump-instance FILE` writes a complete template)",
        )
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as exc:
        raise translate(exc, "", MarketInstance) from None


def instance_from_dict(data: dict[str, Any]) -> MarketInstance:
    """A validated :class:`MarketInstance` from plain data (as read from JSON)."""
    return instance_from_json(to_json_text(data, "instance"))


def load_instance(path: str | Path) -> MarketInstance:
    """Read and validate a market instance file."""
    return instance_from_json(read_text(path, "--instance"))


def defaulted_fields(text: str) -> list[str]:
    """The top-level fields an instance file leaves to the reference values."""
    data = parse_json(text, "instance")
    keys = set(data) if isinstance(data, dict) else set()
    return [k for k in MarketInstance.__dataclass_fields__ if k not in keys]


def dump_instance(market: MarketInstance) -> str:
    """The complete JSON text of ``market`` (every field written; reads back equal)."""
    return _ADAPTER.dump_json(market, indent=1).decode("utf-8") + "\n"


def instance_schema() -> dict[str, Any]:
    """The JSON Schema of a market instance file."""
    return _ADAPTER.json_schema()
