"""The method registry: every solution method, what it accepts, what it needs, where it is.

A :class:`Method` declares its name, a one-line summary, the response models, horizons and
leader problems it takes, the optional Python modules it needs, its option class and its
solve function (both as ``"module:attribute"``, imported only when the method runs). Adding
a method is one new module with a solve function of the common signature

    solve(game, options, theta, tolerances, progress) -> Result

plus one entry in :data:`METHODS`. :func:`smfe.solve` looks methods up here;
:func:`methods` is the capability table (``smfe methods`` on the command line). This module
imports no solver, so it sits above both the iterative solvers and the formulations.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from smfe.errors import FormulationError
from smfe.game.model import Game, Response

ALL_RESPONSES = ("soft", "boltzmann", "exact")
BOTH_HORIZONS = ("stationary", "finite")


@dataclass(frozen=True)
class Method:
    """One method (module docstring). ``leader``: ``"fixed"`` (the MFE at a given θ),
    ``"optional"`` (the MFE with ``fix_theta``, else the leader problem), ``"any"`` (the
    leader problem over Θ), ``"simplex"`` (Θ a product of simplices) or ``"menu"`` (θ from
    a finite menu given in the options)."""

    name: str
    summary: str
    family: str
    responses: tuple[str, ...]
    horizons: tuple[str, ...]
    leader: str
    requires: tuple[str, ...]
    options: str
    solve: str
    constraints: str = "any"
    """Leader constraints on the mean field it keeps: ``"any"`` (affine and convex
    quadratic), ``"affine"``, or ``"none"`` (it refuses games that have them)."""
    dynamics: str = ""
    """Empty if it takes transitions that depend on the mean field, else why it cannot."""
    exact_limit: bool = False
    """On a game with τ > 0 it solves the exact-response (τ → 0) game instead (SPEC §7: F2
    against the limit of F1), so its answer is not the given soft game's."""

    def installed(self) -> bool:
        """True if every optional module it needs can be imported."""
        return all(importlib.util.find_spec(m) is not None for m in self.requires)

    def refuses(self, game: Game) -> str | None:
        """Why this method cannot take ``game`` (``None`` if it can), checked before any work."""
        if game.tau == 0.0:
            response = "exact"
        else:
            response = "soft" if game.response == Response.SOFT else "boltzmann"
        if response not in self.responses:
            return f"{self.name} does not take the {response} response (takes {self.responses})"
        horizon = "finite" if game.finite else "stationary"
        if horizon not in self.horizons:
            label = {"finite": "finite-horizon", "stationary": "stationary"}
            takes = " and ".join(label[h] for h in self.horizons)
            return f"{self.name} takes {takes} games only, not {label[horizon]} ones"
        if self.leader == "simplex" and game.n_theta and game.decision.simplex_blocks() is None:
            return f"{self.name} needs Θ to be a product of simplices"
        if game.mean_field_dynamics and self.dynamics:
            return f"{self.name} cannot take transitions that depend on the mean field: " + (
                self.dynamics
            )
        if game.constraints and self.leader != "fixed":
            quadratic = [c.name for c in game.constraints if c.quadratic]
            if self.constraints == "none":
                return (
                    f"{self.name} cannot keep leader constraints on the mean field "
                    f"({', '.join(c.name for c in game.constraints)}); use 'sqp'"
                )
            if self.constraints == "affine" and quadratic:
                return f"{self.name} takes affine leader constraints only, not {quadratic}"
        if not self.installed():
            missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
            return f"{self.name} needs {', '.join(missing)}, which is not installed"
        return None

    def load(self) -> tuple[Any, Any]:
        """(option class, solve function), imported now."""

        def resolve(path: str) -> Any:
            module, attr = path.split(":")
            return getattr(importlib.import_module(module), attr)

        return resolve(self.options), resolve(self.solve)


def _m(*args: Any, **kwargs: Any) -> Method:
    return Method(*args, **kwargs)


ITERATIVE, FORMULATION = "iterative", "formulation"
_SOLVERS = "smfe.solvers.run"
METHODS: tuple[Method, ...] = (
    _m(
        "mfe",
        "the follower MFE at a fixed θ: damped fixed point + Newton polish",
        ITERATIVE,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "fixed",
        (),
        "smfe.solvers.options:MFEOptions",
        f"{_SOLVERS}:solve_mfe_method",
    ),
    _m(
        "pgd",
        "leader projected gradient with the implicit (adjoint) gradient",
        ITERATIVE,
        ("soft",),
        BOTH_HORIZONS,
        "any",
        (),
        "smfe.solvers.options:LeaderOptions",
        f"{_SOLVERS}:solve_pgd",
        constraints="none",
    ),
    _m(
        "fd-pgd",
        "leader projected gradient with finite differences of responses",
        ITERATIVE,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "any",
        (),
        "smfe.solvers.options:LeaderOptions",
        f"{_SOLVERS}:solve_fd_pgd",
        constraints="none",
    ),
    _m(
        "leader-pi",
        "leader (conservative) policy iteration over simplices",
        ITERATIVE,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "simplex",
        (),
        "smfe.solvers.options:LeaderOptions",
        f"{_SOLVERS}:solve_leader_pi",
        constraints="none",
    ),
    _m(
        "sqp",
        "leader SQP (SLSQP) with implicit gradients; keeps constraints on the mean field",
        ITERATIVE,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "any",
        (),
        "smfe.solvers.options:LeaderOptions",
        f"{_SOLVERS}:solve_sqp",
    ),
    _m(
        "sample-mfe",
        "the follower MFE learned from simulated transitions only",
        ITERATIVE,
        ("soft",),
        ("stationary",),
        "fixed",
        (),
        "smfe.solvers.options:SampleOptions",
        f"{_SOLVERS}:solve_sample_method",
        dynamics="its simulator samples from a kernel fixed in advance",
    ),
    _m(
        "soft-nlp",
        "F1: the soft S-MFE as one smooth NLP, Ipopt",
        FORMULATION,
        ("soft",),
        BOTH_HORIZONS,
        "optional",
        ("casadi", "pyomo"),
        "smfe.formulations.nlp_solve:NLPOptions",
        "smfe.formulations.nlp_solve:solve_soft_nlp",
    ),
    _m(
        "mpec-scholtes",
        "F2: exact response as complementarity, Scholtes homotopy, Ipopt",
        FORMULATION,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "optional",
        ("casadi", "pyomo"),
        "smfe.formulations.mpec_solve:MPECSolveOptions",
        "smfe.formulations.mpec_solve:solve_mpec_scholtes",
        exact_limit=True,
    ),
    _m(
        "boltzmann-nlp",
        "F1-Boltzmann: softmax of the exact Q*, Scholtes homotopy, Ipopt",
        FORMULATION,
        ("boltzmann",),
        BOTH_HORIZONS,
        "optional",
        ("casadi", "pyomo"),
        "smfe.formulations.mpec_solve:MPECSolveOptions",
        "smfe.formulations.mpec_solve:solve_boltzmann_nlp",
    ),
    _m(
        "milp",
        "F2b: exact S-MFE over a finite menu of θ, big-M MILP, HiGHS (global)",
        FORMULATION,
        ALL_RESPONSES,
        BOTH_HORIZONS,
        "menu",
        ("highspy", "pyomo"),
        "smfe.formulations.milp_solve:MILPOptions",
        "smfe.formulations.milp_solve:solve_milp",
        exact_limit=True,
        constraints="affine",
        dynamics="the flow constraints z·ν would be bilinear, not linear",
    ),
    _m(
        "global",
        "SCIP: soft S-MFE via F1 (spatial branch-and-bound, pgd or sqp finish), exact via "
        "SOS1 pairs from an incumbent over all of Θ; global when the gap closes (small games)",
        FORMULATION,
        ("soft", "boltzmann", "exact"),
        BOTH_HORIZONS,
        "any",
        ("pyscipopt", "pyomo"),
        "smfe.formulations.global_solve:GlobalOptions",
        "smfe.formulations.global_solve:solve_global",
        constraints="any",
    ),
    _m(
        "convex-mfe",
        "F3: finite-horizon MFE of a potential game as a concave program, cvxpy",
        FORMULATION,
        ("soft", "exact"),
        ("finite",),
        "fixed",
        ("cvxpy",),
        "smfe.formulations.convex_mfe:ConvexOptions",
        "smfe.formulations.convex_mfe:solve_convex",
        dynamics="bilinear flow constraints make the occupation-measure set nonconvex",
    ),
)


def method(name: str) -> Method:
    """The registered method ``name`` (a typed error listing the known ones otherwise)."""
    for m in METHODS:
        if m.name == name:
            return m
    raise FormulationError(f"unknown method {name!r}; known: {[m.name for m in METHODS]}")


def methods() -> list[str]:
    """The names of all registered methods."""
    return [m.name for m in METHODS]


def capabilities() -> list[dict[str, Any]]:
    """The capability table: one row per method (name, family, responses, horizons, leader
    problem, required modules, whether they are installed, summary)."""
    return [
        {
            "method": m.name,
            "family": m.family,
            "responses": ",".join(m.responses),
            "horizons": ",".join(m.horizons),
            "leader": m.leader,
            "constraints": m.constraints,
            "mf_dynamics": "no" if m.dynamics else "yes",
            "requires": ",".join(m.requires) or "-",
            "installed": m.installed(),
            "summary": m.summary,
        }
        for m in METHODS
    ]


def default_method(game: Game) -> str:
    """``mfe`` without leader decision, ``sqp`` with leader constraints on the mean field,
    ``pgd`` for a soft response with τ > 0, ``leader-pi`` when Θ is a product of simplices,
    else ``fd-pgd``."""
    if game.n_theta == 0:
        return "mfe"
    if game.constraints:
        return "sqp"
    if game.tau > 0.0 and game.response == Response.SOFT:
        return "pgd"
    if game.decision.simplex_blocks() is not None:
        return "leader-pi"
    return "fd-pgd"
