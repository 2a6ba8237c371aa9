"""An exported ``.nl`` model read back without smfe's Pyomo models: CasADi's AMPL reader.

:func:`load_nl` reads ``model.nl`` (with the ``.col`` names Pyomo writes beside it) into
CasADi functions; :meth:`NLModel.check` evaluates a point: the objective in the file's own
sense and the largest violation of a constraint row (g_lo ≤ g(x) ≤ g_up) or a variable bound.
This is how a sidecar is re-certified from the files alone, and how a point that an external
AMPL solver returns is read back into game terms (:func:`named_values`).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import SolveFailed
from smfe.inputs.jsondoc import read_text
from smfe.ipopt.nlfile import prepare

FloatArray = NDArray[np.float64]
_NAME = re.compile(r"^([A-Za-z_]\w*)(?:\[([^\]]*)\])?$")
_LP_NAME = re.compile(r"^([A-Za-z_]\w*?)\((\d+(?:_\d+)*)\)$")
"""Pyomo's ``.lp``/``.mps`` labels: ``nu[0,5]`` is written ``nu(0_5)``."""


@dataclass(frozen=True, eq=False)
class NLModel:
    """A ``.nl`` model as CasADi functions (module docstring)."""

    names: tuple[str, ...]
    x_init: FloatArray
    x_lb: FloatArray
    x_ub: FloatArray
    g_lb: FloatArray
    g_ub: FloatArray
    maximize: bool
    function: Any
    """x ↦ (f, g), f in minimisation form (−J for a maximisation)."""

    @property
    def n_variables(self) -> int:
        return len(self.names)

    @property
    def n_constraints(self) -> int:
        return int(self.g_lb.size)

    def check(self, x: FloatArray) -> tuple[float, float]:
        """(objective in the model's sense, largest row or bound violation) at ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.n_variables,):
            raise SolveFailed(f"a point of {x.size} values for a model of {self.n_variables}")
        f, g = self.function(x)
        g = np.asarray(g, dtype=np.float64).ravel()
        objective = float(f) * (-1.0 if self.maximize else 1.0)
        viol = [np.zeros(1)]
        if g.size:
            viol += [self.g_lb - g, g - self.g_ub]
        viol += [self.x_lb - x, x - self.x_ub]
        worst = max(float(np.max(v)) for v in viol)
        return objective, max(worst, 0.0)


def load_nl(path: str | Path) -> NLModel:
    """Read ``path`` (a text ``.nl`` file with its ``.col`` beside it) — see the module."""
    import casadi as ca

    path = Path(path)
    nl = prepare(read_text(path, str(path)))
    col = path.with_suffix(".col")
    names = tuple(read_text(col, str(col)).split())
    if len(names) != nl.n_vars:
        raise SolveFailed(f"{col} names {len(names)} variables, {path} has {nl.n_vars}")
    with tempfile.TemporaryDirectory(prefix="smfe-nl-") as d:
        clean = Path(d) / "model.nl"
        clean.write_text(nl.text)
        builder = ca.NlpBuilder()
        builder.import_nl(str(clean), {})
    x = ca.vertcat(*builder.x)
    g = ca.vertcat(*builder.g) if builder.g else ca.MX(0, 1)
    function = ca.Function("nl", [x], [builder.f, g])

    def arr(v: Any) -> FloatArray:
        return np.asarray(v, dtype=np.float64).ravel()

    return NLModel(
        names=names,
        x_init=arr(builder.x_init),
        x_lb=arr(builder.x_lb),
        x_ub=arr(builder.x_ub),
        g_lb=arr(builder.g_lb),
        g_ub=arr(builder.g_ub),
        maximize=nl.maximize,
        function=function,
    )


def named_values(names: tuple[str, ...], x: FloatArray) -> dict[str, dict[tuple[int, ...], float]]:
    """``x`` by component and index, from the ``.col`` names (``nu[0,5]`` → ``nu[(0, 5)]``)
    or the ``.lp``/``.mps`` ones (``nu(0_5)``)."""
    out: dict[str, dict[tuple[int, ...], float]] = {}
    for name, value in zip(names, np.asarray(x, dtype=np.float64), strict=True):
        m = _NAME.match(name)
        sep = ","
        if m is None:
            m, sep = _LP_NAME.match(name), "_"
        if m is None:
            continue
        index = tuple(int(i) for i in m.group(2).split(sep)) if m.group(2) else ()
        out.setdefault(m.group(1), {})[index] = float(value)
    return out


def dense(values: dict[tuple[int, ...], float], shape: tuple[int, ...]) -> FloatArray:
    """A component of :func:`named_values` as a dense array (absent entries 0)."""
    out = np.zeros(shape)
    for index, v in values.items():
        out[index] = v
    return out
