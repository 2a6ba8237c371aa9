"""The solution sidecar of a benchmark instance: its schema, read and written as JSON.

One ``solution.json`` per instance (the benchmark library format, docs/bench.md) says what
the reference answer is and how far it is to be trusted:

* ``objective`` (the leader's J, maximised; for ``problem="mfe"`` J at the fixed θ), ``theta``;
* ``nu``: a summary of the mean field — per type its mass, support and largest entry, and the
  aggregates z_t the prices read (the full point is in ``model.sol``);
* ``certification.kind``: ``global`` (a solver proved the optimum, ``gap`` its relative gap),
  ``local`` (KKT: a certified MFE at which θ is first-order stationary) or ``best_known``
  (an equilibrium, no optimality proof), with the certificate's residuals and tolerances;
* ``model``: the exported model files, the formulation they hold, and the reference point's
  objective and largest constraint violation on the ``.nl`` itself (evaluated by CasADi's
  AMPL reader, independently of the Pyomo model that wrote it);
* ``menu`` (exact games whose objective is linear in the mean field): the exact S-MFE over a
  finite menu of θ, a MILP written as ``menu.mps``/``menu.lp``, with its proven optimum;
* the method, its options, every attempt, solver versions and times.

:data:`SIDECAR_SCHEMA` is the JSON Schema (``smfe bench schema``); :func:`read_sidecar`
validates a file against it (a typed :class:`~smfe.errors.InstanceError` naming the field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smfe.errors import InstanceError

FORMAT = "smfe-bench-solution"
KINDS = ("global", "local", "best_known")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeSummary(_Strict):
    name: str
    mass: float = Field(description="Σ ν over the type's state-actions (per step: its mean)")
    support: int = Field(ge=0, description="state-action(-step)s with ν > 1e-9")
    max: float = Field(description="largest ν entry")


class NuSummary(_Strict):
    types: list[TypeSummary]
    aggregates: list[list[float]] = Field(
        description="the mean-field aggregates z[t][m] the prices read (one row per step)"
    )


class Certification(_Strict):
    kind: Literal["global", "local", "best_known"]
    gap: float | None = Field(None, description="relative optimality gap (global only)")
    passed: bool = Field(description="the smfe certificate passed at its tolerances")
    residuals: dict[str, float]
    tolerances: dict[str, float]


class Attempt(_Strict):
    method: str
    options: dict[str, Any]
    status: str
    optimality: str
    objective: float | None
    seconds: float
    message: str = ""


class ModelFiles(_Strict):
    formulation: Literal["soft-nlp", "mpec"]
    theta_fixed: bool = Field(description="θ is a constant in the model (problem 'mfe')")
    nl: str
    row: str
    col: str
    gms: str
    solution: str = Field(description="AMPL .sol file: the reference point in .nl column order")
    n_variables: int
    n_constraints: int
    objective_at_solution: float = Field(
        description="the .nl objective at the reference point (evaluated by CasADi)"
    )
    max_violation_at_solution: float = Field(
        description="largest constraint or bound violation of the reference point on the .nl"
    )


class MenuAnswer(_Strict):
    """The exact S-MFE over a finite menu of θ (the product of ``grid``): a MILP, solved to
    a proven optimum by ``milp`` (HiGHS), written as ``menu.mps`` and ``menu.lp``."""

    grid: list[list[float]]
    entries: int
    objective: float
    theta: list[float]
    certification: Certification
    seconds: float
    mps: str
    lp: str


class Sidecar(_Strict):
    format: Literal["smfe-bench-solution"] = "smfe-bench-solution"
    version: Literal[1] = 1
    instance: str
    suite: str
    family: str
    problem: Literal["leader", "mfe"]
    args: dict[str, Any]
    tags: list[str]
    game_file: str
    game_sha256: str
    sense: Literal["max"] = "max"
    objective: float
    theta: list[float]
    theta_names: list[str]
    n_state_actions: int
    n_steps: int
    n_types: int
    nu: NuSummary
    certification: Certification
    method: str
    options: dict[str, Any]
    attempts: list[Attempt]
    mfe_seconds: float = Field(
        description="time of one MFE solve at the starting θ (the unit of the data profiles)"
    )
    seconds: float = Field(description="time to compute the reference answer")
    versions: dict[str, str]
    created: str
    model: ModelFiles
    menu: MenuAnswer | None = None


SIDECAR_SCHEMA: dict[str, Any] = Sidecar.model_json_schema()


def read_sidecar(path: str | Path) -> Sidecar:
    """The sidecar at ``path``, validated (a typed error naming the first bad field)."""
    from smfe.inputs.jsondoc import read_text

    text = read_text(path, str(path))
    try:
        return Sidecar.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InstanceError(f"{path}: {where}", err["msg"]) from None
