r"""``EquilibriumSystem``: the S-MFE equations of a game, defined once for every backend.

A system is

.. math::
   \text{rows:}\quad l \le g(x) = A\,x + B\,\varphi(x) \le u,\qquad
   \text{objective:}\quad \max\ J(x) = c_0 + c^\top x + \tfrac12 x^\top C x,

with x the stacked variables of a :class:`~smfe.system.layout.Layout`, A, B, C sparse
matrices and φ the atoms of :mod:`smfe.system.atoms` (products, exponentials, prices). The
rows come in named blocks (``bellman``, ``softmax``, ``flow``, ...), each with its index keys,
so a translation can name its constraints as the mathematics does. Everything a backend
needs is here; the translations (:mod:`.numeric`, :mod:`.to_casadi`, :mod:`.to_pyomo`) add
nothing but the syntax of their modelling layer. :mod:`.assemble` builds systems from games.

``symbolic`` holds terms that only the symbolic backends evaluate (an objective or extra rows
written with +, −, ×, exp, log, like :mod:`smfe.market.metrics`); the NumPy translation
refuses a system that has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.system.atoms import Atoms
from smfe.system.layout import Layout

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RowBlock:
    """Rows ``start .. start + len(keys) - 1`` of the system, named ``name``, indexed by
    ``keys`` (tuples); ``upper_param`` names a mutable right-hand side (e.g. the Scholtes ε)
    that symbolic backends expose as a parameter."""

    name: str
    start: int
    keys: list[tuple[int, ...]]
    upper_param: str | None = None

    @property
    def rows(self) -> slice:
        return slice(self.start, self.start + len(self.keys))


@dataclass(frozen=True, eq=False)
class SymbolicTerms:
    """An objective and extra rows as functions ``f(blocks, ops)`` of the variable blocks
    (a dict of backend operands by block name, each flattened) and an
    :class:`~smfe.system.atoms.Ops`; rows are ``(name, f, lower, upper)``."""

    objective: Callable[[dict[str, Any], Any], Any] | None = None
    rows: tuple[tuple[str, Callable[[dict[str, Any], Any], Any], float, float], ...] = ()


@dataclass(frozen=True, eq=False)
class EquilibriumSystem:
    """The system of the module docstring. ``sense`` is ``"max"`` (J is maximised) or
    ``"none"`` (a feasibility problem: the objective is 0)."""

    name: str
    layout: Layout
    blocks: tuple[RowBlock, ...]
    A: sp.csr_array
    B: sp.csr_array
    atoms: Atoms
    lower: FloatArray
    upper: FloatArray
    objective_constant: float
    objective_linear: FloatArray
    objective_quadratic: sp.csr_array
    sense: str
    params: dict[str, float] = field(default_factory=dict)
    finite: bool = False
    symbolic: SymbolicTerms = field(default_factory=SymbolicTerms)

    @property
    def n_rows(self) -> int:
        return int(self.lower.size)

    def block(self, name: str) -> RowBlock:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(name)

    def row_upper(self) -> FloatArray:
        """Upper bounds with the current parameter values substituted."""
        u = self.upper.copy()
        for b in self.blocks:
            if b.upper_param is not None:
                u[b.rows] = self.params[b.upper_param]
        return u

    def g(self, x: FloatArray) -> FloatArray:
        """g(x) = A x + B φ(x) on a full NumPy vector (the reference evaluation)."""
        return np.asarray(self.A @ x + self.B @ self.atoms.values(x), dtype=np.float64)

    def objective(self, x: FloatArray) -> float:
        """J(x) (0 for a feasibility system)."""
        if self.sense == "none":
            return 0.0
        return float(
            self.objective_constant
            + self.objective_linear @ x
            + 0.5 * x @ (self.objective_quadratic @ x)
        )

    def violation(self, x: FloatArray) -> FloatArray:
        """max(l − g, g − u, 0) per row."""
        gx = self.g(x)
        return np.maximum(np.maximum(self.lower - gx, gx - self.row_upper()), 0.0)

    def with_symbolic(self, terms: SymbolicTerms) -> EquilibriumSystem:
        """The same system with symbolic terms (a new objective and/or extra rows)."""
        sense = "max" if terms.objective is not None else self.sense
        return replace(self, symbolic=terms, sense=sense)


class RowsBuilder:
    """Accumulates rows as COO triplets of A and B while a system is assembled."""

    def __init__(self) -> None:
        self.a: list[tuple[IntArray, IntArray, FloatArray]] = []
        self.b: list[tuple[IntArray, str, IntArray, FloatArray]] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.blocks: list[RowBlock] = []
        self.n = 0

    def block(
        self,
        name: str,
        keys: list[tuple[int, ...]],
        lower: float | FloatArray,
        upper: float | FloatArray,
        upper_param: str | None = None,
    ) -> int:
        """Open a block of ``len(keys)`` rows; returns its first row."""
        n = len(keys)
        self.blocks.append(RowBlock(name, self.n, keys, upper_param))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        start = self.n
        self.n += n
        return start

    def linear(self, rows: IntArray, cols: IntArray, vals: FloatArray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64).ravel()
        self.a.append(
            (rows, np.asarray(cols, dtype=np.int64).ravel(), np.broadcast_to(vals, rows.shape))
        )

    def matrix(self, rows: IntArray, M: Any, cols: IntArray, coef: float = 1.0) -> None:
        """Add ``coef · M @ x[cols]`` to ``rows`` (one row index per row of M)."""
        c = sp.coo_array(M)
        self.linear(np.asarray(rows)[c.row], np.asarray(cols)[c.col], coef * c.data)

    def nonlinear(
        self, rows: IntArray, atoms: tuple[str, IntArray], vals: FloatArray | float
    ) -> None:
        kind, idx = atoms
        rows = np.asarray(rows, dtype=np.int64).ravel()
        self.b.append(
            (
                rows,
                kind,
                np.asarray(idx, dtype=np.int64).ravel(),
                np.broadcast_to(vals, rows.shape).astype(np.float64),
            )
        )

    def finish(
        self, n_vars: int, atoms: Atoms
    ) -> tuple[sp.csr_array, sp.csr_array, FloatArray, FloatArray, tuple[RowBlock, ...]]:
        def cat(parts: list[Any], dtype: Any) -> Any:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        A = sp.csr_array(
            (
                cat([v for *_, v in self.a], np.float64),
                (cat([r for r, *_ in self.a], np.int64), cat([c for _, c, _ in self.a], np.int64)),
            ),
            shape=(self.n, n_vars),
        )
        off = atoms.offsets
        B = sp.csr_array(
            (
                cat([v for *_, v in self.b], np.float64),
                (
                    cat([r for r, *_ in self.b], np.int64),
                    cat([off[k] + i for _, k, i, _ in self.b], np.int64),
                ),
            ),
            shape=(self.n, atoms.size),
        )
        A.sum_duplicates()
        B.sum_duplicates()
        return A, B, cat(self.lower, np.float64), cat(self.upper, np.float64), tuple(self.blocks)
