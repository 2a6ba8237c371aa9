"""Named instances used by tests, notebooks, benchmarks and the CLI alike.

``make_instance(name, **overrides)`` builds one; ``catalogue()`` lists the names. Every
generator is deterministic given its arguments (random ones take a ``seed``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from smfe.errors import InstanceError
from smfe.game.environments import (
    beach_bar,
    building_evacuation,
    crowd_motion,
    equilibrium_price,
    left_right,
    rock_paper_scissors,
    susceptible_infected,
)
from smfe.game.instances import (
    congestion,
    garnet,
    leader_mdp,
    subsidy_trap,
    two_state,
    two_state_solution,
)
from smfe.game.model import (
    Game,
)
from smfe.inputs.budget import Budget, Sizes, check_size
from smfe.inputs.errors import translate

_CATALOGUE: dict[str, Callable[..., Game]] = {
    "two-state": two_state,
    "garnet": garnet,
    "congestion": congestion,
    "leader-mdp": leader_mdp,
    "subsidy-trap": subsidy_trap,
    "beach-bar": beach_bar,
    "building-evacuation": building_evacuation,
    "crowd-motion": crowd_motion,
    "equilibrium-price": equilibrium_price,
    "left-right": left_right,
    "rock-paper-scissors": rock_paper_scissors,
    "susceptible-infected": susceptible_infected,
}


def _garnet_sizes(a: dict[str, Any]) -> Sizes:
    sa = a["n_types"] * a["n_states"] * a["n_actions"]
    return Sizes(
        pairs=sa,
        steps=a["horizon"] or 1,
        entries=sa * (4 * a["n_zones"] + 4),
        nnz=sa * a["branching"],
    )


def _congestion_sizes(a: dict[str, Any]) -> Sizes:
    n = a["n_sites"]
    return Sizes(pairs=3 * n, steps=a["T"], entries=12 * n * n, nnz=3 * n * n)


def _leader_mdp_sizes(a: dict[str, Any]) -> Sizes:
    S, A, B = a["n_states"], a["n_actions"], a["n_leader_actions"]
    return Sizes(pairs=S * A, entries=3 * S * S * A * B + S * S * A, nnz=S * B * S * A * S)


def _crowd_sizes(S: int, A: int, T: int) -> Sizes:
    """Per-state crowd terms: aggregate, exposure (and with a toll, reward_theta and leader
    weights) are dense (S, S, A) arrays."""
    return Sizes(pairs=S * A, steps=T + 1, entries=4 * S * S * A + S * A * S, nnz=S * A * S)


_SIZES: dict[str, Callable[[dict[str, Any]], Sizes]] = {
    "beach-bar": lambda a: _crowd_sizes(a["n"], 3, a["T"]),
    "crowd-motion": lambda a: _crowd_sizes(a["torus_l"] * a["torus_w"], 5, a["T"]),
    "building-evacuation": lambda a: _crowd_sizes(
        a["n_floor"] * a["floor_l"] * a["floor_w"], 6, a["T"]
    ),
    "equilibrium-price": lambda a: _crowd_sizes(
        a["s_inv"] + 1, (a["Q"] + 1) * (a["H"] + 1), a["T"]
    ),
    "left-right": lambda a: _crowd_sizes(3, 2, 1),
    "rock-paper-scissors": lambda a: _crowd_sizes(4, 3, a["T"]),
    "susceptible-infected": lambda a: _crowd_sizes(2, 2, a["T"]),
    "two-state": lambda a: Sizes(pairs=4, entries=16, nnz=8),
    "subsidy-trap": lambda a: Sizes(pairs=3, entries=12, nnz=3),
    "garnet": _garnet_sizes,
    "congestion": _congestion_sizes,
    "leader-mdp": _leader_mdp_sizes,
}


def catalogue() -> list[str]:
    """The names :func:`make_instance` accepts."""
    return sorted(_CATALOGUE)


def parameters(name: str) -> list[tuple[str, str, Any]]:
    """The overridable parameters of the named instance: (name, type, default)."""
    sig = inspect.signature(_factory(name), eval_str=True)
    return [(p.name, _type_name(p.annotation), p.default) for p in sig.parameters.values()]


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("NoneType", "None")


def _factory(name: object) -> Callable[..., Game]:
    if not isinstance(name, str) or name not in _CATALOGUE:
        raise InstanceError("name", f"unknown instance {name!r}; known: {catalogue()}")
    return _CATALOGUE[name]


def _override_model(name: str) -> type[BaseModel]:
    sig = inspect.signature(_factory(name), eval_str=True)
    fields: dict[str, Any] = {p.name: (p.annotation, p.default) for p in sig.parameters.values()}
    return create_model(
        f"{name}-overrides", __config__=ConfigDict(strict=True, extra="forbid"), **fields
    )


def make_instance(name: str, budget: Budget | None = None, **overrides: Any) -> Game:
    """Build the named instance, with keyword overrides of its parameters.

    Overrides are validated strictly (types from the generator's signature: strings and
    booleans are not numbers; unknown names are refused with a "did you mean"), and the
    declared size is checked against ``budget`` before anything is allocated.
    """
    factory = _factory(name)
    schema = _override_model(name)
    try:
        args = schema.model_validate(overrides)
    except ValidationError as exc:
        raise translate(exc, "", schema) from None
    values = args.model_dump()
    if isinstance(values.get("seed"), int) and values["seed"] < 0:
        raise InstanceError("seed", f"must be >= 0, got {values['seed']}")
    check_size(_SIZES[name](values), budget, name)
    kwargs = {k: getattr(args, k) for k in overrides}
    try:
        return factory(**kwargs)
    except InstanceError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        # the generator's own arithmetic refused a value that passed the type check
        raise InstanceError(f"{name}.overrides", f"{kwargs}: {exc}") from None


__all__ = ["catalogue", "make_instance", "parameters", "two_state_solution"]
