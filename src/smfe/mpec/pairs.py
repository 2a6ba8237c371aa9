r"""The complementarity constraints of any Pyomo model, as pairs of bounded variables.

A ``pyomo.mpec.Complementarity`` datum holds ``complements(e1, e2)``. Each argument is read
as ``lo ≤ body ≤ up`` (an inequality, a ranged expression, or a bare expression with no
bounds) or as an equality, as Pyomo reads it:

* an equality on either side: that equality holds and the other side is free;
* the same variable with the same bound on both sides (``0 ≤ y ⊥ y ≥ 0``): ``y`` at that
  bound, an equality (a degenerate pair would have no MPEC-LICQ);
* one finite bound on each side, e.g. ``e1 ≥ l1 ⊥ e2 ≥ l2``: one pair
  :math:`0 \le e_1 - l_1 \perp e_2 - l_2 \ge 0` (an upper bound gives :math:`u - e`);
* ``l ≤ e1 ≤ u ⊥ e2`` with ``e2`` free (mixed complementarity): :math:`e_2 = w^+ - w^-`,
  :math:`w^\pm \ge 0`, and the pairs :math:`(e_1 - l) \perp w^+`, :math:`(u - e_1) \perp w^-`;
* any other count of finite bounds is not a complementarity condition (a typed error).

Every side becomes a *nonnegative variable*: a side ``x ≥ 0`` on a variable whose own lower
bound is absent or 0 is that variable (its bound is set); any other side gets a new variable
:math:`s \ge 0` and the equality :math:`s = \text{side}`. Then the pair's residual, the
Scholtes product, SCIP's SOS1 or bilinear form and the branch NLPs (a side pinned at 0) are
all written on those variables, and the multiplier of ":math:`\text{side} \ge 0`" is a
bound's (or, in a branch NLP, an equality's) multiplier.

All of this happens on a clone; the user's model is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pyomo.environ as pyo
from pyomo.core.expr import EqualityExpression, InequalityExpression, RangedExpression
from pyomo.mpec import Complementarity

from smfe.errors import FormulationError

Triple = tuple[Any, Any, Any]  # (lower, body, upper); None for an absent bound
EQUALITY = "equality"


@dataclass(frozen=True, eq=False)
class Side:
    """One side of a pair: a variable with lower bound 0 (module docstring)."""

    var: Any

    def value(self) -> float:
        return float(self.var.value) if self.var.value is not None else float("nan")


@dataclass(frozen=True, eq=False)
class Pair:
    """0 ≤ ``a`` ⊥ ``b`` ≥ 0, from the complementarity datum named ``name``."""

    name: str
    a: Side
    b: Side

    def residual(self) -> float:
        """|min(a, b)|: zero exactly when a, b ≥ 0 and a·b = 0."""
        return abs(min(self.a.value(), self.b.value()))


def _is_constant(e: Any) -> bool:
    return e is None or isinstance(e, int | float) or bool(e.is_fixed())


def canonical(e: Any) -> Triple | tuple[str, Any]:
    """``(lo, body, up)`` of one argument of ``complements``, or ``("equality", lhs − rhs)``.

    Constant bounds are evaluated; a relation between two non-constant expressions is moved
    to one side (``a ≤ b`` becomes ``0 ≤ b − a``).
    """
    if isinstance(e, EqualityExpression):
        lhs, rhs = e.args
        return (EQUALITY, lhs - rhs)
    if isinstance(e, RangedExpression):
        lo, body, up = e.args
        return (pyo.value(lo), body, pyo.value(up))
    if isinstance(e, InequalityExpression):
        lhs, rhs = e.args
        if _is_constant(rhs):
            return (None, lhs, pyo.value(rhs))
        if _is_constant(lhs):
            return (pyo.value(lhs), rhs, None)
        return (0.0, rhs - lhs, None)
    if isinstance(e, bool):
        raise FormulationError("a complementarity argument is a constant truth value")
    return (None, e, None)


def _same_side(t1: Triple, t2: Triple) -> bool:
    """Whether both arguments are the same variable with the same bound on the same side."""
    return (
        t1[1] is t2[1]
        and t1[0] == t2[0]
        and t1[2] == t2[2]
        and getattr(t1[1], "is_variable_type", lambda: False)()
    )


def _finite(t: Triple) -> int:
    return (t[0] is not None) + (t[2] is not None)


@dataclass(eq=False)
class Reformulation:
    """A clone of the user's model with its complementarity written as :class:`Pair`\\ s.

    ``model`` is the clone (its ``Complementarity`` blocks deactivated, ``_mpec`` holding the
    new variables and equalities, ``_mpec.obj`` the objective as a minimisation: ``sign`` is
    −1 if the user maximises); ``pairs`` the pairs; ``links`` pairs each clone variable with the
    user's variable of the same name, for loading values back.
    """

    model: Any
    pairs: list[Pair]
    sign: float
    links: list[tuple[Any, Any]]

    def to_user(self) -> None:
        """Copy the clone's values to the user's variables."""
        for mine, theirs in self.links:
            if not theirs.fixed:
                theirs.set_value(mine.value, skip_validation=True)

    def from_user(self) -> None:
        """Start the clone from the user's values."""
        for mine, theirs in self.links:
            if not mine.fixed:
                mine.set_value(theirs.value, skip_validation=True)

    def objective(self) -> float:
        """The objective in the user's sense at the clone's current values."""
        return self.sign * float(pyo.value(self.model._mpec.obj))

    def complementarity(self) -> float:
        """max over pairs of |min(a, b)| (0 without pairs)."""
        return max((p.residual() for p in self.pairs), default=0.0)


def _side(block: Any, body: Any, bound: float, upper: bool, used: set[int]) -> Side:
    """A bounded variable for ``body ≥ bound`` (``upper``: ``body ≤ bound``); see module."""
    direct = body.is_variable_type() and not body.is_fixed() and id(body) not in used
    if direct and not upper and bound == 0 and body.lb in (None, 0):
        used.add(id(body))
        body.setlb(0.0)
        return Side(body)
    k = len(block.s)
    s = block.s[k]
    s.setlb(0.0)
    slack = (bound - body) if upper else (body - bound)
    block.side_def[k] = s == slack
    v = pyo.value(slack, exception=False)
    s.set_value(max(0.0, float(v)) if v is not None else 0.0, skip_validation=True)
    return Side(s)


def _one_sided(block: Any, t: Triple, used: set[int]) -> Side:
    lo, body, up = t
    return _side(block, body, up if lo is None else lo, lo is None, used)


def reformulate(model: Any) -> Reformulation:
    """Clone ``model`` and write every active ``Complementarity`` datum as pairs (module
    docstring). Raises :class:`~smfe.errors.FormulationError` naming the datum whose form is
    not a complementarity condition, or if the model has not exactly one active objective."""
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise FormulationError(
            f"the model needs exactly one active objective, it has {len(objectives)}"
        )
    m = model.clone()
    links = list(
        zip(
            m.component_data_objects(pyo.Var, descend_into=True),
            model.component_data_objects(pyo.Var, descend_into=True),
            strict=True,
        )
    )
    obj = next(iter(m.component_data_objects(pyo.Objective, active=True)))
    sign = 1.0 if obj.sense == pyo.minimize else -1.0
    obj.deactivate()
    m._mpec = pyo.Block()
    b = m._mpec
    b.obj = pyo.Objective(expr=sign * obj.expr, sense=pyo.minimize)
    b.s = pyo.Var(pyo.Any, dense=False)
    b.side_def = pyo.Constraint(pyo.Any)
    b.w_def = pyo.Constraint(pyo.Any)
    b.box = pyo.Constraint(pyo.Any)
    b.equality = pyo.Constraint(pyo.Any)
    pairs: list[Pair] = []
    used: set[int] = set()
    for comp in list(m.component_objects(Complementarity, active=True, descend_into=True)):
        for cd in list(comp.values()):
            if not cd.active:
                continue
            name = cd.name
            args = cd._args
            t1, t2 = canonical(args[0]), canonical(args[1])
            cd.deactivate()
            eq = t1 if t1[0] == EQUALITY else t2 if t2[0] == EQUALITY else None
            if eq is not None:
                b.equality[name] = eq[1] == 0
                continue
            t1, t2 = cast(Triple, t1), cast(Triple, t2)
            f1, f2 = _finite(t1), _finite(t2)
            if f1 + f2 != 2:
                raise FormulationError(
                    f"complementarity {name}: needs exactly two finite bounds across its "
                    f"two arguments, has {f1 + f2}"
                )
            if f1 == 1 and _same_side(t1, t2):  # 0 ≤ e ⊥ e ≥ 0 is e = 0
                lo, body, up = t1
                b.equality[name] = body == (up if lo is None else lo)
                continue
            if f1 == 1:
                pairs.append(Pair(name, _one_sided(b, t1, used), _one_sided(b, t2, used)))
                continue
            box, free = (t1, t2) if f1 == 2 else (t2, t1)
            lo, body, up = box
            if lo > up:
                raise FormulationError(f"complementarity {name}: empty box [{lo}, {up}]")
            k = len(pairs)
            wp, wm = b.s["w+", k], b.s["w-", k]
            wp.setlb(0.0)
            wm.setlb(0.0)
            wp.set_value(0.0)
            wm.set_value(0.0)
            b.w_def[name] = free[1] == wp - wm
            b.box[name] = pyo.inequality(lo, body, up)
            pairs.append(Pair(name + "[lower]", _side(b, body, lo, False, used), Side(wp)))
            pairs.append(Pair(name + "[upper]", _side(b, body, up, True, used), Side(wm)))
    return Reformulation(m, pairs, sign, links)
