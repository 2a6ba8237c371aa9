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

from smfe.errors import InstanceError
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

FORMAT = "smfe-game"
VERSION = 1
_TYPE_ARRAYS = (
    "reward_theta",
    "aggregate",
    "exposure",
    "exposure_theta",
    "leader_weight",
    "leader_weight_theta",
    "init",
)
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
    if not isinstance(obj, dict) or "shape" not in obj or "data" not in obj:
        raise InstanceError(field, "must be an array object with 'shape' and 'data'")
    shape = tuple(int(s) for s in obj["shape"])
    data = np.asarray(obj["data"], dtype=np.float64)
    if "index" in obj:
        out = np.zeros(int(np.prod(shape)))
        idx = np.asarray(obj["index"], dtype=np.int64)
        if idx.shape != data.shape or (idx.size and (idx.min() < 0 or idx.max() >= out.size)):
            raise InstanceError(field, "index and data do not match the shape")
        out[idx] = data
        return out.reshape(shape)
    if data.size != int(np.prod(shape)):
        raise InstanceError(field, f"has {data.size} values for shape {shape}")
    return data.reshape(shape)


def _decode_sparse(obj: Any, field: str) -> sp.csr_array:
    shape = tuple(int(s) for s in obj["shape"])
    if "index" not in obj:
        return sp.csr_array(decode_array(obj, field))
    idx = np.asarray(obj["index"], dtype=np.int64)
    rows, cols = np.unravel_index(idx, shape)
    return sp.csr_array((np.asarray(obj["data"], dtype=np.float64), (rows, cols)), shape=shape)


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
        }
        for k in _TYPE_ARRAYS:
            v = getattr(t, k)
            td[k] = None if v is None else encode_array(v)
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
            }
            for p in game.prices
        ],
        "decision": decision,
        "objective": objective,
        "types": types,
    }


def _get(d: dict[str, Any], key: str, field: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise InstanceError(f"{field}.{key}" if field else key, "is missing")
    return d[key]


def game_from_dict(d: dict[str, Any]) -> Game:
    """Rebuild a :class:`Game` (validated) from :func:`game_to_dict` output."""
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise InstanceError("format", f"not an smfe game file (format must be {FORMAT!r})")
    if d.get("version") != VERSION:
        raise InstanceError(
            "version", f"unsupported version {d.get('version')!r}; this smfe reads {VERSION}"
        )
    h = _get(d, "horizon", "")
    kind = _get(h, "kind", "horizon")
    horizon: Stationary | FiniteHorizon
    if kind == "stationary":
        horizon = Stationary(_get(h, "gamma", "horizon"))
    elif kind == "finite":
        horizon = FiniteHorizon(_get(h, "T", "horizon"), _get(h, "gamma", "horizon"))
    else:
        raise InstanceError("horizon.kind", f"must be 'stationary' or 'finite', got {kind!r}")
    dd = _get(d, "decision", "")

    def opt(obj: dict[str, Any], k: str, field: str) -> np.ndarray | None:
        v = obj.get(k)
        return None if v is None else decode_array(v, f"{field}.{k}")

    lower = np.array(
        [-np.inf if x is None else x for x in _get(dd, "lower", "decision")], dtype=np.float64
    )
    upper = np.array(
        [np.inf if x is None else x for x in _get(dd, "upper", "decision")], dtype=np.float64
    )
    decision = Decision(
        lower=lower,
        upper=upper,
        A_eq=opt(dd, "A_eq", "decision"),
        b_eq=opt(dd, "b_eq", "decision"),
        A_ub=opt(dd, "A_ub", "decision"),
        b_ub=opt(dd, "b_ub", "decision"),
        start=opt(dd, "start", "decision"),
        names=tuple(dd.get("names", ())),
    )
    od = _get(d, "objective", "")
    objective = LeaderObjective(
        constant=od.get("constant", 0.0),
        y_names=tuple(od.get("y_names", ())),
        **{k: opt(od, k, "objective") for k in _OBJ_ARRAYS},
    )
    types = []
    for i, td in enumerate(_get(d, "types", "")):
        f = f"types[{i}]"
        types.append(
            FollowerType(
                name=_get(td, "name", f),
                share=_get(td, "share", f),
                mask=decode_array(_get(td, "mask", f), f"{f}.mask").astype(bool),
                reward=decode_array(_get(td, "reward", f), f"{f}.reward"),
                transition=_decode_sparse(_get(td, "transition", f), f"{f}.transition"),
                transition_theta=tuple(
                    _decode_sparse(m, f"{f}.transition_theta[{j}]")
                    for j, m in enumerate(td.get("transition_theta", []))
                ),
                **{k: opt(td, k, f) for k in _TYPE_ARRAYS},
            )
        )
    prices = tuple(
        Price(
            p.get("intercept", 0.0),
            p.get("slope", 0.0),
            p.get("curvature", 0.0),
            p.get("name", ""),
            kinks=tuple(tuple(k) for k in p.get("kinks", [])),
            smoothing=p.get("smoothing", 0.0),
        )
        for p in d.get("prices", [])
    )
    return Game(
        types=tuple(types),
        horizon=horizon,
        tau=_get(d, "tau", ""),
        decision=decision,
        objective=objective,
        prices=prices,
        response=Response(d.get("response", "soft")),
        name=d.get("name", "game"),
        description=d.get("description", ""),
    )


def save_game(game: Game, path: str | Path) -> None:
    """Write ``game`` as JSON to ``path``."""
    Path(path).write_text(json.dumps(game_to_dict(game)), encoding="utf-8")


def load_game(path: str | Path) -> Game:
    """Read a game written by :func:`save_game` (raises InstanceError on a bad file)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstanceError("path", f"no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise InstanceError("path", f"{path} is not valid JSON ({exc})") from None
    return game_from_dict(data)
