"""Benchmark suites: named, seeded lists of instances (SPEC §9).

An :class:`InstanceSpec` names a family (a catalogue generator, or ``market`` for a variant
of the reference tariff market), its arguments (seeds included, so every instance is
deterministic), the problem posed on it and how its reference solution is computed:

* ``problem="leader"``: the S-MFE leader problem max_θ∈Θ J(θ, ν) s.t. ν is the MFE at θ;
* ``problem="mfe"``: the follower MFE alone at the game's starting θ (the market variants:
  their tariff objective lives outside the game, in :mod:`smfe.market.metrics`).

``reference`` lists the methods tried for the sidecar, in order, each with its options; the
best certified answer is kept (:mod:`smfe.bench.generate`). Suites: ``tiny`` (CI: five small
games, generated in well under a minute), ``standard`` (the published reference set) and
``large`` (sizes where the formulations are stressed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from smfe.errors import InstanceError

PROBLEMS = ("leader", "mfe")
Reference = tuple[tuple[str, str], ...]
"""(method, options as canonical JSON) pairs."""


def _options(**kw: Any) -> str:
    return json.dumps(kw, sort_keys=True)


LOCAL: Reference = (("pgd", _options()), ("soft-nlp", _options()))
SQP_LOCAL: Reference = (("sqp", _options()), ("soft-nlp", _options()))
EXACT_GLOBAL: Reference = (("global", _options(time_limit=60.0)),)
MFE_ONLY: Reference = (("mfe", _options()),)


@dataclass(frozen=True)
class InstanceSpec:
    """One benchmark instance (module docstring); ``name`` is unique within its suite."""

    name: str
    family: str
    args: tuple[tuple[str, Any], ...]
    problem: str = "leader"
    reference: Reference = LOCAL
    tags: tuple[str, ...] = ()
    menu: tuple[tuple[float, ...], ...] | None = None
    """For exact games with a leader objective linear in the mean field: values per θ
    component whose product is the menu of the ``milp`` sub-problem (``menu.mps``/``.lp``)."""

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise InstanceError("problem", f"must be one of {PROBLEMS}, got {self.problem!r}")

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "args": self.kwargs,
            "problem": self.problem,
            "reference": [{"method": m, "options": json.loads(o)} for m, o in self.reference],
            "tags": list(self.tags),
            "menu": None if self.menu is None else [list(v) for v in self.menu],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InstanceSpec:
        return cls(
            name=d["name"],
            family=d["family"],
            args=tuple(sorted(d["args"].items())),
            problem=d["problem"],
            reference=tuple(
                (r["method"], json.dumps(r["options"], sort_keys=True)) for r in d["reference"]
            ),
            tags=tuple(d.get("tags", ())),
            menu=None if d.get("menu") is None else tuple(tuple(v) for v in d["menu"]),
        )


def _spec(
    name: str,
    family: str,
    problem: str = "leader",
    reference: Reference = LOCAL,
    tags: tuple[str, ...] = (),
    menu: tuple[tuple[float, ...], ...] | None = None,
    **args: Any,
) -> InstanceSpec:
    return InstanceSpec(name, family, tuple(sorted(args.items())), problem, reference, tags, menu)


def _garnet(
    S: int,
    A: int,
    K: int,
    seed: int,
    *,
    horizon: int | None = None,
    unique: bool = True,
    exact: bool = False,
    branching: int = 2,
    zones: int = 2,
) -> InstanceSpec:
    """A Garnet game; ``unique=False`` flips the zone coupling to attraction (c < 0), which
    loses the monotonicity that makes the soft MFE unique. Exact ones drop the quadratic
    load-balance term (balance weight 0), so their objective is linear in the mean field and
    the menu MILP applies (five tolls per zone)."""
    kind = "exact" if exact else ("unique" if unique else "attract")
    hz = f"-T{horizon}" if horizon else ""
    name = f"garnet-{kind}-S{S}A{A}K{K}b{branching}{hz}-s{seed}"
    tags = ("exact",) if exact else ("soft", "unique" if unique else "nonmonotone")
    args: dict[str, Any] = {
        "n_states": S,
        "n_actions": A,
        "n_types": K,
        "n_zones": zones,
        "branching": branching,
        "horizon": horizon,
        "congestion": 1.0 if unique else -1.0,
        "tau": 0.0 if exact else 0.2,
        "seed": seed,
    }
    if exact:
        args["balance_weight"] = 0.0
    return InstanceSpec(
        name,
        "garnet",
        tuple(sorted(args.items())),
        reference=EXACT_GLOBAL if exact else LOCAL,
        tags=(*tags, "finite" if horizon else "stationary"),
        menu=tuple((0.0, 0.25, 0.5, 0.75, 1.0) for _ in range(zones)) if exact else None,
    )


def _market(name: str, soc: int, groups: int, energy: str, tau: float = 0.05) -> InstanceSpec:
    return _spec(
        f"market-{name}",
        "market",
        problem="mfe",
        reference=MFE_ONLY,
        tags=("soft", "stationary", "market"),
        soc_levels=soc,
        groups=groups,
        energy=energy,
        tau=tau,
    )


def _tiny() -> tuple[InstanceSpec, ...]:
    return (
        _garnet(5, 2, 1, 0),
        _garnet(4, 2, 1, 1, horizon=3),
        _garnet(4, 2, 1, 2, horizon=2, exact=True),
        _spec(
            "congestion-n3-T3", "congestion", tags=("soft", "finite", "potential"), n_sites=3, T=3
        ),
        _spec(
            "leader-mdp-S3A2B2",
            "leader-mdp",
            tags=("soft", "stationary", "simplex"),
            n_states=3,
            n_actions=2,
            n_leader_actions=2,
        ),
    )


def _standard() -> tuple[InstanceSpec, ...]:
    specs: list[InstanceSpec] = []
    for S, A, K in ((10, 3, 1), (20, 3, 2), (40, 4, 2)):
        for seed in (0, 1):
            specs.append(_garnet(S, A, K, seed, branching=3, zones=3))
    for seed in (0, 1):
        specs.append(_garnet(20, 3, 2, seed, branching=3, zones=3, unique=False))
    for S in (8, 16):
        for seed in (0, 1):
            specs.append(_garnet(S, 3, 2, seed, horizon=4, branching=3, zones=3))
    for S in (80,):
        for seed in (0, 1):
            specs.append(_garnet(S, 4, 3, seed, branching=4, zones=4))
    specs.append(_garnet(32, 3, 2, 0, horizon=6, branching=3, zones=3))
    for S, T in ((4, 3), (6, 3), (8, 3), (10, 3), (6, 4)):
        specs.append(_garnet(S, 2, 1, 0, horizon=T, exact=True))
    for n, T in ((4, 4), (8, 6)):
        specs.append(
            _spec(
                f"congestion-n{n}-T{T}",
                "congestion",
                tags=("soft", "finite", "potential"),
                n_sites=n,
                T=T,
            )
        )
    for S, A, B in ((4, 2, 2), (8, 3, 2)):
        specs.append(
            _spec(
                f"leader-mdp-S{S}A{A}B{B}",
                "leader-mdp",
                tags=("soft", "stationary", "simplex"),
                n_states=S,
                n_actions=A,
                n_leader_actions=B,
            )
        )
    specs += [
        _spec("beach-bar-n6-T3", "beach-bar", tags=("soft", "finite", "environment"),
              n=6, T=3, tau=0.1, toll_max=1.0),
        _spec("susceptible-infected-T10", "susceptible-infected", reference=SQP_LOCAL,
              tags=("soft", "finite", "environment"), T=10, tau=0.1, subsidy_max=1.0),
        _spec("crowd-motion-5x5-T3", "crowd-motion", problem="mfe", reference=MFE_ONLY,
              tags=("soft", "finite", "environment"), torus_l=5, torus_w=5, T=3, tau=0.1),
        _spec("rock-paper-scissors-T3", "rock-paper-scissors", problem="mfe",
              reference=MFE_ONLY, tags=("soft", "finite", "environment"), T=3, tau=0.1),
        _spec("congestion-mfe-n6-T6", "congestion", problem="mfe", reference=MFE_ONLY,
              tags=("soft", "finite", "potential"), n_sites=6, T=6),
    ]  # fmt: skip
    specs.append(_market("soc4-g2-tou", 4, 2, "tou"))
    specs.append(_market("soc5-g4-hourly", 5, 4, "hourly"))
    return tuple(specs)


def _large() -> tuple[InstanceSpec, ...]:
    specs = [_garnet(S, 5, 3, 0, branching=4, zones=4) for S in (100, 200)]
    specs += [_garnet(50, 4, 3, 0, horizon=12, branching=4, zones=4)]
    specs += [_garnet(10, 2, 1, 0, horizon=4, exact=True)]
    specs += [_market("reference", 7, 4, "tou", tau=0.02)]
    return tuple(specs)


_SUITES = {"tiny": _tiny, "standard": _standard, "large": _large}
SUITES = tuple(_SUITES)


def suite(name: str) -> tuple[InstanceSpec, ...]:
    """The instances of suite ``name`` (:data:`SUITES`)."""
    if name not in _SUITES:
        raise InstanceError("--suite", f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    specs = _SUITES[name]()
    names = [s.name for s in specs]
    assert len(set(names)) == len(names), "instance names must be unique within a suite"
    return specs
