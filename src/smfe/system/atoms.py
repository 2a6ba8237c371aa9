r"""The nonlinear primitives ("atoms") of the equilibrium system, defined once.

Every nonlinear term of every formulation is a sum of coefficient × atom, the atoms being

=============  ===============================  ==========================================
kind           value φ(x)                       used for
=============  ===============================  ==========================================
``product``    :math:`x_i x_j`                  ν = μπ, θ·P_j V, θ·P_jᵀν, θ·H_j ν, π(V − Q)
``exp``        :math:`e^{s(x_i - x_j)}`         softmax π = exp((Q − V)/τ)
``price``      :math:`p_m(x_i)`                 prices of the aggregates (quadratic, kinks)
``scaled``     :math:`x_k\,p_m(x_i)`            θ × price exposure terms
=============  ===============================  ==========================================

:meth:`Atoms.evaluate_by_kind` states the values once, for any array type that supports ``+ − ×``
and the ``exp``/``log`` it is given: NumPy arrays, CasADi vectors, or NumPy object arrays of
Pyomo variables — so the three backends evaluate the same definition. :meth:`Atoms.first`
and :meth:`Atoms.second` are the derivatives (NumPy), checked against finite differences
and CasADi's automatic differentiation in the tests:

.. math::
   \partial(x_ix_j) = (x_j, x_i),\quad \partial e^{s(x_i-x_j)} = se\,(1, -1),\quad
   \partial p(x_i) = p',\quad \partial\,x_kp(x_i) = (p, x_kp'),\\
   \nabla^2(x_ix_j)_{ij} = 1,\quad \nabla^2 e = s^2e\begin{pmatrix}1&-1\\-1&1\end{pmatrix},
   \quad \nabla^2p = p'',\quad \nabla^2(x_kp)_{ki} = p',\ \nabla^2(x_kp)_{ii} = x_kp''.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.game.price import Price, price_classes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
KINDS = ("product", "exp", "price", "scaled")


@dataclass(frozen=True)
class Ops:
    """The elementwise ``exp`` and ``log`` of one modelling layer."""

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]


NUMPY_OPS = Ops(np.exp, np.log)


class AtomsBuilder:
    """Collects atoms while a system is assembled; :meth:`freeze` returns :class:`Atoms`.

    Each call appends atoms and returns ``(kind, indices)``; an atom used by several rows
    (a price p_m(z_t), a product θ_j V_x) is created once and its index reused by the caller.
    """

    def __init__(self, prices: Sequence[Price]) -> None:
        self.prices = tuple(prices)
        self.cols: dict[str, list[IntArray]] = {k: [] for k in KINDS}
        self.scale: list[FloatArray] = []
        self.price_of: dict[str, list[IntArray]] = {"price": [], "scaled": []}
        self.count = {k: 0 for k in KINDS}

    def _add(self, kind: str, cols: list[IntArray]) -> tuple[str, IntArray]:
        n = int(np.asarray(cols[0]).size)
        self.cols[kind].append(np.stack([np.asarray(c, dtype=np.int64).ravel() for c in cols]))
        out = self.count[kind] + np.arange(n, dtype=np.int64)
        self.count[kind] += n
        return kind, out

    def product(self, i: IntArray, j: IntArray) -> tuple[str, IntArray]:
        return self._add("product", [i, j])

    def exp(self, i: IntArray, j: IntArray, scale: float) -> tuple[str, IntArray]:
        self.scale.append(np.full(np.asarray(i).size, float(scale)))
        return self._add("exp", [i, j])

    def price(self, i: IntArray, m: IntArray) -> tuple[str, IntArray]:
        self.price_of["price"].append(np.broadcast_to(np.asarray(m), np.shape(i)).ravel())
        return self._add("price", [i])

    def scaled(self, k: IntArray, i: IntArray, m: IntArray) -> tuple[str, IntArray]:
        self.price_of["scaled"].append(np.broadcast_to(np.asarray(m), np.shape(i)).ravel())
        return self._add("scaled", [k, i])

    def freeze(self) -> Atoms:
        def stack(kind: str, rows: int) -> IntArray:
            parts = self.cols[kind]
            return (
                np.concatenate(parts, axis=1).astype(np.int64)
                if parts
                else np.zeros((rows, 0), dtype=np.int64)
            )

        def cat(parts: list[Any], dtype: Any) -> Any:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        # prices that differ only by name are one definition, evaluated in one call
        cls, reps = price_classes(self.prices)
        return Atoms(
            prices=tuple(reps),
            product=stack("product", 2),
            exp=stack("exp", 2),
            exp_scale=cat(self.scale, np.float64),
            price=stack("price", 1)[0],
            price_m=cls[cat(self.price_of["price"], np.int64)],
            scaled=stack("scaled", 2),
            scaled_m=cls[cat(self.price_of["scaled"], np.int64)],
        )


@dataclass(frozen=True, eq=False)
class Atoms:
    """The atoms of one system, by kind, in the order product, exp, price, scaled."""

    prices: tuple[Price, ...]  # the distinct price definitions (game prices up to name)
    product: IntArray  # (2, n): i, j
    exp: IntArray  # (2, n): i, j
    exp_scale: FloatArray
    price: IntArray  # (n,): i
    price_m: IntArray  # (n,): index into ``prices``
    scaled: IntArray  # (2, n): k, i
    scaled_m: IntArray  # (n,): index into ``prices``

    @property
    def sizes(self) -> dict[str, int]:
        return {
            "product": self.product.shape[1],
            "exp": self.exp.shape[1],
            "price": self.price.size,
            "scaled": self.scaled.shape[1],
        }

    @property
    def offsets(self) -> dict[str, int]:
        out, o = {}, 0
        for k, n in self.sizes.items():
            out[k] = o
            o += n
        return out

    @property
    def size(self) -> int:
        return sum(self.sizes.values())

    # -- the one definition of the values ----------------------------------------------------
    def _price_values(
        self, z: Any, m: IntArray, ops: Ops, concat: Callable[[list[Any]], Any], take: Any
    ) -> Any:
        """p_{m_a}(z_a) for every atom a: each price evaluated on its own atoms."""
        parts: list[Any] = []
        order: list[IntArray] = []
        for k, p in enumerate(self.prices):
            sel = np.flatnonzero(m == k)
            if sel.size:
                parts.append(p.evaluate(take(z, sel), exp=ops.exp, log=ops.log))
                order.append(sel)
        if not parts:
            return concat([])
        inv = np.argsort(np.concatenate(order), kind="stable")
        return take(concat(parts), inv)

    def evaluate_by_kind(
        self,
        get: Callable[[IntArray], Any],
        ops: Ops,
        concat: Callable[[list[Any]], Any],
        take: Callable[[Any, IntArray], Any],
        const: Callable[[FloatArray], Any] = lambda a: a,
    ) -> list[Any]:
        """φ(x), one vector per kind (in :data:`KINDS` order). ``get(idx)`` gathers the
        variables at flat positions ``idx``, ``take(v, idx)`` gathers entries of an
        intermediate vector, ``concat`` stacks and ``const`` turns a NumPy vector into the
        layer's constant."""
        prod = get(self.product[0]) * get(self.product[1])
        expo = ops.exp(const(self.exp_scale) * (get(self.exp[0]) - get(self.exp[1])))
        price = self._price_values(get(self.price), self.price_m, ops, concat, take)
        scaled = get(self.scaled[0]) * self._price_values(
            get(self.scaled[1]), self.scaled_m, ops, concat, take
        )
        return [prod, expo, price, scaled]

    def values(self, x: FloatArray) -> FloatArray:
        """φ(x) on a NumPy vector."""
        parts = self.evaluate_by_kind(
            lambda idx: x[idx],
            NUMPY_OPS,
            lambda ps: np.concatenate(ps) if ps else np.zeros(0),
            lambda v, idx: np.asarray(v)[idx],
        )
        return np.concatenate(parts).astype(np.float64)

    # -- derivatives (NumPy) -----------------------------------------------------------------
    def _price_derivatives(self, z: FloatArray, m: IntArray) -> tuple[FloatArray, ...]:
        v, d1, d2 = np.zeros_like(z), np.zeros_like(z), np.zeros_like(z)
        for k, p in enumerate(self.prices):
            sel = m == k
            if sel.any():
                v[sel], d1[sel] = p.value_and_slope(z[sel])
                d2[sel] = p.second_derivative(z[sel])
        return v, d1, d2

    def first_structure(self) -> tuple[IntArray, IntArray]:
        """(atom, variable) positions of the non-zeros of ∂φ/∂x, in :meth:`first` order."""
        o, n = self.offsets, self.sizes
        ap = o["product"] + np.arange(n["product"])
        ae = o["exp"] + np.arange(n["exp"])
        ac = o["price"] + np.arange(n["price"])
        asc = o["scaled"] + np.arange(n["scaled"])
        rows = np.concatenate([ap, ap, ae, ae, ac, asc, asc])
        cols = np.concatenate(
            [*self.product, *self.exp, self.price, self.scaled[0], self.scaled[1]]
        )
        return rows.astype(np.int64), cols.astype(np.int64)

    def first(self, x: FloatArray) -> FloatArray:
        """Values of ∂φ/∂x at :meth:`first_structure` (duplicates add up)."""
        xi, xj = x[self.product[0]], x[self.product[1]]
        e = np.exp(self.exp_scale * (x[self.exp[0]] - x[self.exp[1]])) * self.exp_scale
        _, dp, _ = self._price_derivatives(x[self.price], self.price_m)
        ps, dps, _ = self._price_derivatives(x[self.scaled[1]], self.scaled_m)
        return np.concatenate([xj, xi, e, -e, dp, ps, x[self.scaled[0]] * dps])

    def second_structure(self) -> tuple[IntArray, IntArray]:
        """(row ≥ column) positions of Σ_a w_a ∇²φ_a, in :meth:`second` order."""
        pi, pj = self.product
        ei, ej = self.exp
        k, i = self.scaled
        rows = [np.maximum(pi, pj), ei, ej, np.maximum(ei, ej), self.price, np.maximum(k, i), i]
        cols = [np.minimum(pi, pj), ei, ej, np.minimum(ei, ej), self.price, np.minimum(k, i), i]
        return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)

    def second(self, x: FloatArray, w: FloatArray) -> FloatArray:
        """Values of Σ_a w_a ∇²φ_a(x) at :meth:`second_structure` (duplicates add up)."""
        o, n = self.offsets, self.sizes
        wp = w[o["product"] : o["product"] + n["product"]]
        wp = wp * np.where(self.product[0] == self.product[1], 2.0, 1.0)
        we = w[o["exp"] : o["exp"] + n["exp"]]
        s = self.exp_scale
        he = we * s * s * np.exp(s * (x[self.exp[0]] - x[self.exp[1]]))
        wc = w[o["price"] : o["price"] + n["price"]]
        _, _, d2 = self._price_derivatives(x[self.price], self.price_m)
        ws = w[o["scaled"] : o["scaled"] + n["scaled"]]
        _, d1s, d2s = self._price_derivatives(x[self.scaled[1]], self.scaled_m)
        return np.concatenate([wp, he, he, -he, wc * d2, ws * d1s, ws * x[self.scaled[0]] * d2s])
