"""Hypothesis strategies that break valid input documents in the ways users do.

A mutation picks a node of a valid JSON document (dicts, lists, leaves; long data lists are
sampled at their ends and middle) and deletes it, retypes it (strings, booleans, null,
numbers as text, lists, objects), replaces a number by NaN/±Inf/negative/huge values, adds
an unknown or misspelt key, truncates or extends a list, or nests it deeply.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import strategies as st

Path = tuple[Any, ...]


def node_paths(doc: Any, prefix: Path = ()) -> list[Path]:
    """Paths to every node of ``doc`` (long lists: first, middle and last entries only)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += node_paths(v, (*prefix, k))
    elif isinstance(doc, list) and doc:
        idx = sorted({0, len(doc) // 2, len(doc) - 1})
        for i in idx:
            out += node_paths(doc[i], (*prefix, i))
    return out


def get(doc: Any, path: Path) -> Any:
    for p in path:
        doc = doc[p]
    return doc


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, -1e-9, 1e308, -1e308, 10**9, 2**63]),
    st.text(max_size=6),
    st.sampled_from(["0.9", "1", "true", "null", "soft", "Soft", "é", "\u2603", ""]),
    st.lists(st.one_of(st.integers(-2, 2), st.floats(-2, 2), st.text(max_size=2)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(-2, 2), max_size=2),
)

KINDS = ("replace", "delete", "unknown_key", "misspell", "truncate", "extend", "scale", "nest")


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with one to three mutations."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = node_paths(doc)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(KINDS))
        node = get(doc, path)
        parent = get(doc, path[:-1]) if path else None
        if kind == "replace" and path:
            parent[path[-1]] = draw(JUNK)
        elif kind == "delete" and path:
            del parent[path[-1]]
        elif kind == "unknown_key" and isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
        elif kind == "misspell" and isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            node[key[:-1] + "_" if key else "_"] = node.pop(key)
        elif kind == "truncate" and isinstance(node, list) and node:
            del node[draw(st.integers(0, len(node) - 1)) :]
        elif kind == "extend" and isinstance(node, list):
            node.append(draw(JUNK))
        elif kind == "scale" and isinstance(node, int | float) and not isinstance(node, bool):
            parent_ok = path and parent is not None
            if parent_ok:
                parent[path[-1]] = node * draw(st.sampled_from([-1, 0, 1e6, 1e300, 10**7]))
        elif kind == "nest" and path:
            parent[path[-1]] = [[[node]]]
        elif not path:
            doc = draw(st.sampled_from([[], "x", 5, None, {}]))  # type: ignore[assignment]
            break
    return doc
