"""A versioned, self-contained JSON format for games (documented in docs/game-format.md).

Every array is stored with its shape, as a flat dense list or — when at most a third of its
entries are non-zero — as flat indices plus values. Floats are written with ``repr``
precision, so a save/load round trip is lossless. Infinite bounds are written as ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import ValidationError

from smfe.errors import InstanceError
from smfe.game.constraint import LeaderConstraint
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
from smfe.inputs.budget import Budget
from smfe.inputs.errors import translate
from smfe.inputs.game_doc import CONSTRAINT_ARRAYS, ArrayDoc, GameDoc, StationaryDoc
from smfe.inputs.game_doc import TYPE_ARRAYS as _TYPE_ARRAYS
from smfe.inputs.jsondoc import parse_json, read_text, to_json_text

FORMAT = "smfe-game"
VERSION = 1
_OBJ_ARRAYS = ("theta_linear", "theta_quadratic", "y_linear", "y_quadratic", "theta_y")


def encode_array(a: Any) -> dict[str, Any]:
    """{"shape", "data"} or {"shape", "index", "data"} (flat C-order indices of non-zeros)."""
    if sp.issparse(a):
        coo = sp.coo_array(a)
        flat = np.ravel_multi_index((coo.row, coo.col), coo.shape)
        order = np.argsort(flat)
        return {
            "shape": list(coo.shape),
            "index": flat[order].tolist(),
            "data": coo.data[order].tolist(),
        }
    arr = np.asarray(a, dtype=np.float64)
    nz = np.flatnonzero(arr)
    if nz.size * 3 <= arr.size:
        return {"shape": list(arr.shape), "index": nz.tolist(), "data": arr.ravel()[nz].tolist()}
    return {"shape": list(arr.shape), "data": arr.ravel().tolist()}


def decode_array(obj: Any, field: str) -> np.ndarray:
    """A NumPy array from an array object (validated against :class:`ArrayDoc` first)."""
    doc = _validate(ArrayDoc, obj, field)
    return _dense(doc)


def _dense(doc: ArrayDoc) -> np.ndarray:
    data = np.asarray(doc.data, dtype=np.float64)
    if doc.index is None:
        return data.reshape(doc.shape)
    out = np.zeros(doc.size)
    out[np.asarray(doc.index, dtype=np.int64)] = data
    return out.reshape(doc.shape)


def _sparse(doc: ArrayDoc) -> sp.csr_array | np.ndarray:
    if doc.index is None or len(doc.shape) != 2:
        return _dense(doc)
    rows, cols = np.unravel_index(np.asarray(doc.index, dtype=np.int64), tuple(doc.shape))
    return sp.csr_array(
        (np.asarray(doc.data, dtype=np.float64), (rows, cols)), shape=tuple(doc.shape)
    )


def _validate(schema: Any, obj: Any, root: str, budget: Budget | None = None) -> Any:
    text = to_json_text(obj, root)
    return _validate_json(schema, text, root, budget)


def _validate_json(schema: Any, text: str, root: str, budget: Budget | None = None) -> Any:
    try:
        return schema.model_validate_json(text, context={"budget": budget})
    except ValidationError as exc:
        raise translate(exc, root, schema) from None


def _bounds(v: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(x) else float(x) for x in v]


def game_to_dict(game: Game) -> dict[str, Any]:
    h = game.horizon
    horizon = (
        {"kind": "stationary", "gamma": h.gamma}
        if isinstance(h, Stationary)
        else {"kind": "finite", "T": h.T, "gamma": h.gamma}
    )
    dec = game.decision
    decision: dict[str, Any] = {
        "lower": _bounds(dec.lower),
        "upper": _bounds(dec.upper),
        "names": list(dec.names),
    }
    for k in ("A_eq", "b_eq", "A_ub", "b_ub", "start"):
        v = getattr(dec, k)
        decision[k] = None if v is None else encode_array(v)
    o = game.objective
    objective: dict[str, Any] = {"constant": o.constant, "y_names": list(o.y_names)}
    for k in _OBJ_ARRAYS:
        v = getattr(o, k)
        objective[k] = None if v is None else encode_array(v)
    types = []
    for t in game.types:
        td: dict[str, Any] = {
            "name": t.name,
            "share": t.share,
            "mask": encode_array(t.mask.astype(np.float64)),
            "reward": encode_array(t.reward),
            "transition": encode_array(t.transition),
            "transition_theta": [encode_array(m) for m in t.transition_theta],
            "transition_aggregate": [encode_array(m) for m in t.transition_aggregate],
        }
        for k in _TYPE_ARRAYS:
            v = getattr(t, k)
            td[k] = None if v is None else encode_array(v)
            if sp.issparse(v):  # (n, S*A) is the file's (n, S, A): the same flat indices
                td[k]["shape"] = [v.shape[0], t.n_states, t.n_actions]
        types.append(td)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": game.name,
        "description": game.description,
        "horizon": horizon,
        "tau": game.tau,
        "response": game.response.value,
        "prices": [
            {
                "name": p.name,
                "intercept": p.intercept,
                "slope": p.slope,
                "curvature": p.curvature,
                **(
                    {"kinks": [list(k) for k in p.kinks], "smoothing": p.smoothing}
                    if p.kinks
                    else {}
                ),
                **({"log": [list(t) for t in p.log]} if p.log else {}),
                **({"rational": [list(t) for t in p.rational]} if p.rational else {}),
                **({"power": [list(t) for t in p.power]} if p.power else {}),
                **({"exp": [list(t) for t in p.exp]} if p.exp else {}),
            }
            for p in game.prices
        ],
        "decision": decision,
        "objective": objective,
        "constraints": [
            {
                "name": c.name,
                "lower": _bounds(np.array([c.lower]))[0],
                "upper": _bounds(np.array([c.upper]))[0],
                "constant": c.constant,
                **{
                    k: encode_array(getattr(c, k))
                    for k in CONSTRAINT_ARRAYS
                    if getattr(c, k) is not None
                },
            }
            for c in game.constraints
        ],
        "types": types,
    }


def game_from_dict(d: dict[str, Any], budget: Budget | None = None) -> Game:
    """Rebuild a :class:`Game` (validated) from :func:`game_to_dict` output."""
    return game_from_doc(_validate(GameDoc, d, "", budget))


def game_from_json(text: str, budget: Budget | None = None) -> Game:
    """A validated :class:`Game` from the text of a game file (a key given twice in one
    object is refused, not silently resolved)."""
    parse_json(text, "document")
    return game_from_doc(_validate_json(GameDoc, text, "", budget))


def game_from_doc(doc: GameDoc) -> Game:
    """Build the :class:`Game` of a schema-validated document; the dataclasses then do the
    numeric checks. Their errors name types by name; they are re-raised naming the index."""
    names = [t.name for t in doc.types]
    try:
        return _build(doc)
    except InstanceError as exc:
        field = exc.field
        for k, name in enumerate(names):
            field = field.replace(f"types[{name}]", f"types[{k}]")
        if field == exc.field:
            raise
        raise InstanceError(field, exc.message, exc.index) from None


def _build(doc: GameDoc) -> Game:
    h = doc.horizon
    horizon = Stationary(h.gamma) if isinstance(h, StationaryDoc) else FiniteHorizon(h.T, h.gamma)
    dd = doc.decision

    def opt(a: ArrayDoc | None) -> np.ndarray | None:
        return None if a is None else _dense(a)

    decision = Decision(
        lower=np.array([-np.inf if x is None else x for x in dd.lower], dtype=np.float64),
        upper=np.array([np.inf if x is None else x for x in dd.upper], dtype=np.float64),
        A_eq=opt(dd.A_eq),
        b_eq=opt(dd.b_eq),
        A_ub=opt(dd.A_ub),
        b_ub=opt(dd.b_ub),
        start=opt(dd.start),
        names=tuple(dd.names),
    )
    od = doc.objective
    objective = LeaderObjective(
        constant=od.constant,
        y_names=tuple(od.y_names),
        **{k: opt(getattr(od, k)) for k in _OBJ_ARRAYS},
    )
    types = tuple(
        FollowerType(
            name=td.name,
            share=td.share,
            mask=_dense(td.mask),
            reward=_dense(td.reward),
            transition=_sparse(td.transition),
            transition_theta=tuple(_sparse(m) for m in td.transition_theta),
            transition_aggregate=tuple(_sparse(m) for m in td.transition_aggregate),
            **{k: opt(getattr(td, k)) for k in _TYPE_ARRAYS},
        )
        for td in doc.types
    )
    prices = tuple(
        Price(
            p.intercept,
            p.slope,
            p.curvature,
            p.name,
            kinks=tuple((k, d) for k, d in p.kinks),
            smoothing=p.smoothing,
            log=tuple((c, e) for c, e in p.log),
            rational=tuple((a, b) for a, b in p.rational),
            power=tuple((a, b, r) for a, b, r in p.power),
            exp=tuple((c, k) for c, k in p.exp),
        )
        for p in doc.prices
    )
    constraints = tuple(
        LeaderConstraint(
            c.name,
            lower=-np.inf if c.lower is None else c.lower,
            upper=np.inf if c.upper is None else c.upper,
            constant=c.constant,
            **{k: opt(getattr(c, k)) for k in CONSTRAINT_ARRAYS},
        )
        for c in doc.constraints
    )
    return Game(
        types=types,
        horizon=horizon,
        tau=doc.tau,
        decision=decision,
        objective=objective,
        prices=prices,
        constraints=constraints,
        response=Response(doc.response),
        name=doc.name,
        description=doc.description,
    )


def save_game(game: Game, path: str | Path, *, force: bool = False) -> Path:
    """Write ``game`` as JSON to ``path`` (atomically; an existing file only with ``force``)."""
    from smfe.files import write_text

    return write_text(path, json.dumps(game_to_dict(game)), force=force)


def load_game(path: str | Path, budget: Budget | None = None) -> Game:
    """Read and validate a game file (InstanceError naming the field path on a bad file)."""
    return game_from_json(read_text(path), budget)
