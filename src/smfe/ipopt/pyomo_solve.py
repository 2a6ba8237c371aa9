"""Solve a Pyomo model with the bundled Ipopt in process: write ``.nl``, solve, load back.

Pyomo's NL writer runs without presolve, so the ``.nl`` variable and constraint order is
``info.variables`` / ``info.constraints``; the run's values and duals are in that order and
the values are loaded into the model's variables.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from pyomo.repn.plugins.nl_writer import NLWriter

from smfe.ipopt.backend import IpoptRun, solve_nl
from smfe.ipopt.nlfile import prepare


@dataclass(frozen=True, eq=False)
class NLText:
    """A model written as ``.nl``: the text and the Pyomo components in ``.nl`` order."""

    text: str
    variables: list[Any]
    constraints: list[Any]


def write_nl(model: Any) -> NLText:
    """Write the active part of ``model`` as ``.nl`` text (fixed variables are constants)."""
    buf = io.StringIO()
    info = NLWriter().write(model, buf, linear_presolve=False, symbolic_solver_labels=False)
    return NLText(buf.getvalue(), list(info.variables), list(info.constraints))


def load_values(variables: list[Any], x: Any) -> None:
    """Set each variable to its value in ``x`` (``.nl`` order), bounds unchecked."""
    for var, val in zip(variables, x, strict=True):
        var.set_value(float(val), skip_validation=True)


def solve_model(
    model: Any, options: dict[str, Any], warm: IpoptRun | None = None
) -> tuple[IpoptRun, NLText]:
    """Solve ``model`` from its current values and load the answer into it.

    ``warm`` (a previous run on a model with the same variables and constraints, in the same
    order) supplies dual starts and switches on ``warm_start_init_point``.
    """
    written = write_nl(model)
    nl = prepare(written.text)
    opts = dict(options)
    if warm is not None and warm.x.size == nl.n_vars and warm.duals.size == nl.n_cons:
        opts.setdefault("warm_start_init_point", "yes")
        run = solve_nl(nl, opts, duals0=warm.duals, z_lower0=warm.z_lower, z_upper0=warm.z_upper)
    else:
        run = solve_nl(nl, opts)
    load_values(written.variables, run.x)
    return run, written
