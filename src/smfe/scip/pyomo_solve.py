"""Solve a Pyomo model with SCIP in process: write ``.nl``, solve, load the incumbent back.

The same route as :mod:`smfe.ipopt.pyomo_solve`, for SCIP (:func:`smfe.scip.backend.solve_nl`);
with ``start`` the model's current values (NaN where unset) go to SCIP as a starting
solution.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from smfe.ipopt.pyomo_solve import NLText, load_values, write_nl
from smfe.scip.backend import ScipRun, solve_nl


def solve_model(model: Any, options: dict[str, Any], start: bool = False) -> tuple[ScipRun, NLText]:
    """Solve ``model`` with SCIP (``options``: SCIP parameters or their short names); load
    the incumbent, if SCIP found one, into the model's variables."""
    written = write_nl(model)
    x0 = None
    if start:
        x0 = np.array([np.nan if v.value is None else float(v.value) for v in written.variables])
    with tempfile.TemporaryDirectory(prefix="smfe-scip-") as folder:
        path = Path(folder) / "model.nl"
        path.write_text(written.text)
        run = solve_nl(path, options, x0)
    if run.x is not None:
        load_values(written.variables, run.x)
    return run, written
