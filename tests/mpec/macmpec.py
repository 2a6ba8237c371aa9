"""A public MPEC test set as Pyomo models: problems of MacMPEC (S. Leyffer's collection of
AMPL models) and two examples of Fletcher and Leyffer, written from their statements.

Each entry gives the builder, the published optimal value and, for the tests, whether the
problem is small enough to re-derive that value by enumerating every branch
(:func:`tests.mpec.test_testset.enumerated_optimum`). ``qpec1`` and ``qpec2`` (20 pairs)
are separable; their optima are derived in their docstrings instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.mpec import Complementarity, complements


@dataclass(frozen=True)
class Problem:
    name: str
    build: Callable[[], Any]
    optimum: float
    source: str
    enumerate: bool = True


def bard1() -> Any:
    """Bard (1988), convex two-level problem: KKT of the follower as complementarity."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(bounds=(0, None))
    m.l = pyo.Var(range(3))
    m.f = pyo.Objective(expr=(m.x - 5) ** 2 + (2 * m.y + 1) ** 2)
    m.kkt = pyo.Constraint(expr=2 * (m.y - 1) - 1.5 * m.x + m.l[0] - 0.5 * m.l[1] + m.l[2] == 0)
    g = [3 * m.x - m.y - 3, -m.x + 0.5 * m.y + 4, -m.x - m.y + 7]
    m.lin = Complementarity(range(3), rule=lambda m, i: complements(g[i] >= 0, m.l[i] >= 0))
    return m


def _bilevel_slacks(m: Any, n: int) -> None:
    m.s = pyo.Var(range(n), bounds=(0, None))
    m.l = pyo.Var(range(n), bounds=(0, None))
    m.compl = Complementarity(range(n), rule=lambda m, i: complements(m.l[i] >= 0, m.s[i] >= 0))


def ex9_2_1() -> Any:
    """Floudas et al. test collection 9.3.2 (Shimizu et al. 1997)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(bounds=(0, None))
    _bilevel_slacks(m, 4)
    s, lam = m.s, m.l
    m.f = pyo.Objective(expr=(m.x - 5) ** 2 + (2 * m.y + 1) ** 2)
    m.c1 = pyo.Constraint(expr=-3 * m.x + m.y + s[0] == -3)
    m.c2 = pyo.Constraint(expr=m.x - 0.5 * m.y + s[1] == 4)
    m.c3 = pyo.Constraint(expr=m.x + m.y + s[2] == 7)
    m.c4 = pyo.Constraint(expr=-m.y + s[3] == 0)
    m.kt = pyo.Constraint(
        expr=2 * (m.y - 1) - 1.5 * m.x + lam[0] - 0.5 * lam[1] + lam[2] - lam[3] == 0
    )
    return m


def ex9_2_2() -> Any:
    """Floudas et al. 9.3.3 (Visweswaran et al. 1996; Shimizu and Aiyoshi 1981)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(bounds=(0, None))
    _bilevel_slacks(m, 3)
    s, lam = m.s, m.l
    m.f = pyo.Objective(expr=m.x**2 + (m.y - 10) ** 2)
    m.o1 = pyo.Constraint(expr=m.x <= 15)
    m.o2 = pyo.Constraint(expr=-m.x + m.y <= 0)
    m.c1 = pyo.Constraint(expr=m.x + m.y + s[0] == 20)
    m.c2 = pyo.Constraint(expr=-m.y + s[1] == 0)
    m.c3 = pyo.Constraint(expr=m.y + s[2] == 20)
    m.kt = pyo.Constraint(expr=2 * (m.x + 2 * m.y - 30) + lam[0] - lam[1] + lam[2] == 0)
    return m


def ex9_2_6() -> Any:
    """Floudas et al. 9.3.7 (Falk and Liu 1995; De Silva 1978)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, None))
    m.y = pyo.Var(range(2), bounds=(0, None))
    _bilevel_slacks(m, 4)
    x, y, s, lam = m.x, m.y, m.s, m.l
    m.f = pyo.Objective(expr=sum(x[i] ** 2 - 2 * x[i] + y[i] ** 2 for i in range(2)))
    m.c = pyo.ConstraintList()
    for i in range(2):
        m.c.add(0.5 - y[i] + s[i] == 0)
        m.c.add(y[i] - 1.5 + s[2 + i] == 0)
        m.c.add(2 * (y[i] - x[i]) - lam[i] + lam[2 + i] == 0)
    return m


def ex9_2_9() -> Any:
    """Floudas et al. 9.3.10 (Bard 1991), a bilevel LP."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(2, 4))
    m.y = pyo.Var(range(2), bounds=(0, None))
    _bilevel_slacks(m, 3)
    y, s, lam = m.y, m.s, m.l
    m.f = pyo.Objective(expr=m.x + y[1])
    m.c1 = pyo.Constraint(expr=m.x - y[0] - y[1] + s[0] == -4)
    m.c2 = pyo.Constraint(expr=-y[0] + s[1] == 0)
    m.c3 = pyo.Constraint(expr=-y[1] + s[2] == 0)
    m.kt1 = pyo.Constraint(expr=-lam[0] - lam[1] == -2)
    m.kt2 = pyo.Constraint(expr=-lam[0] - lam[2] == -m.x)
    return m


def ex9_1_7() -> Any:
    """Floudas et al. 9.2.8 (Bard and Falk 1982; Candler and Townsley 1978), bilevel LP."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, None))
    m.y = pyo.Var(range(3), bounds=(0, None))
    _bilevel_slacks(m, 6)
    x, y, s, lam = m.x, m.y, m.s, m.l
    m.f = pyo.Objective(expr=-8 * x[0] - 4 * x[1] + 4 * y[0] - 40 * y[1] + 4 * y[2])
    m.c = pyo.ConstraintList()
    m.c.add(-y[0] + y[1] + y[2] + s[0] == 1)
    m.c.add(2 * x[0] - y[0] + 2 * y[1] - 0.5 * y[2] + s[1] == 1)
    m.c.add(2 * x[1] + 2 * y[0] - y[1] - 0.5 * y[2] + s[2] == 1)
    for j in range(3):
        m.c.add(-y[j] + s[3 + j] == 0)
    m.c.add(-lam[0] - lam[1] + 2 * lam[2] - lam[3] == -1)
    m.c.add(lam[0] + 2 * lam[1] - lam[2] - lam[4] == -1)
    m.c.add(lam[0] - 0.5 * lam[1] - 0.5 * lam[2] - lam[5] == -2)
    return m


def scholtes3() -> Any:
    """Scholtes: a QPEC whose origin (the start) is a C-stationary trap."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, None), initialize=1e-4)
    m.f = pyo.Objective(expr=0.5 * ((m.x[0] - 1) ** 2 + (m.x[1] - 1) ** 2))
    m.lcp = Complementarity(expr=complements(m.x[0] >= 0, m.x[1] >= 0))
    return m


def scholtes4() -> Any:
    """Scholtes: an LPEC whose solution, the origin, is B- but not strongly stationary."""
    m = pyo.ConcreteModel()
    m.z = pyo.Var(range(2), bounds=(0, None), initialize={0: 0.0, 1: 1.0})
    m.z3 = pyo.Var(initialize=0.0)
    m.f = pyo.Objective(expr=m.z[0] + m.z[1] - m.z3)
    m.c1 = pyo.Constraint(expr=-4 * m.z[0] + m.z3 <= 0)
    m.c2 = pyo.Constraint(expr=-4 * m.z[1] + m.z3 <= 0)
    m.lcp = Complementarity(expr=complements(m.z[0] >= 0, m.z[1] >= 0))
    return m


def ralph2() -> Any:
    """Ralph: a nonconvex QPEC, min x² + y² − 4xy with 0 ≤ x ⊥ y ≥ 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=1.0)
    m.y = pyo.Var(bounds=(0, None), initialize=1.0)
    m.f = pyo.Objective(expr=m.x**2 + m.y**2 - 4 * m.x * m.y)
    m.lcp = Complementarity(expr=complements(m.x >= 0, m.y >= 0))
    return m


def gauvin() -> Any:
    """Gauvin and Savard (1992), from MPECLib: an MCP follower with a dual variable."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 15), initialize=7.5)
    m.y = pyo.Var(bounds=(0, None))
    m.u = pyo.Var(bounds=(0, None), initialize=1.0)
    m.f = pyo.Objective(expr=m.x**2 + (m.y - 10) ** 2)
    m.fy = Complementarity(expr=complements(4 * (m.x + 2 * m.y - 30) + m.u >= 0, m.y >= 0))
    m.fu = Complementarity(expr=complements(20 - m.x - m.y >= 0, m.u >= 0))
    return m


def outrata31() -> Any:
    """Outrata (1994) via Scholtes (1997): nonlinear complementarity, four pairs."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), bounds=(0, None))
    m.y = pyo.Var(bounds=(0, 10))
    x, y = m.x, m.y
    m.f = pyo.Objective(expr=((x[0] - 3) ** 2 + (x[1] - 4) ** 2) / 2)
    g = [
        (1 + 0.2 * y) * x[0] - (3 + 1.333 * y) - 0.333 * x[2] + 2 * x[0] * x[3],
        (1 + 0.1 * y) * x[1] - y + x[2] + 2 * x[1] * x[3],
        0.333 * x[0] - x[1] + 1 - 0.1 * y,
        9 + 0.1 * y - x[0] ** 2 - x[1] ** 2,
    ]
    m.ncp = Complementarity(range(4), rule=lambda m, i: complements(g[i] >= 0, x[i] >= 0))
    return m


def qpec1() -> Any:
    """Jiang and Ralph (1997), n = 10, m = 20. Separable: y_j = 0 for j > 10 (4 each);
    for i ≤ 10 either y_i = 0, x_i = −1 (cost 4) or y_i = x_i ≥ 0 (cost ≥ 5): 80."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(10), initialize=1.0)
    m.y = pyo.Var(range(20), bounds=(0, None), initialize=1.0)
    m.f = pyo.Objective(
        expr=sum((m.x[i] + 1) ** 2 for i in range(10)) + sum((m.y[j] + 2) ** 2 for j in range(20))
    )
    m.lin1 = Complementarity(
        range(10), rule=lambda m, i: complements(m.y[i] - m.x[i] >= 0, m.y[i] >= 0)
    )
    m.lin2 = Complementarity(range(10, 20), rule=lambda m, j: complements(m.y[j] >= 0, m.y[j] >= 0))
    return m


def qpec2() -> Any:
    """Jiang and Ralph (1997), the variant with (x − 1)², (y − 2)² and y ≥ x: y_j = 0 for
    j > 10 (4 each); for i ≤ 10 the best is y_i = x_i = 1.5 (0.5 each): 45."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(10), initialize=1.0)
    m.y = pyo.Var(range(20), bounds=(0, None), initialize=1.0)
    m.f = pyo.Objective(
        expr=sum((m.x[i] - 1) ** 2 for i in range(10)) + sum((m.y[j] - 2) ** 2 for j in range(20))
    )
    m.lin = pyo.Constraint(range(10), rule=lambda m, i: m.y[i] - m.x[i] >= 0)
    m.lin1 = Complementarity(
        range(10), rule=lambda m, i: complements(m.y[i] - m.x[i] >= 0, m.y[i] >= 0)
    )
    m.lin2 = Complementarity(range(10, 20), rule=lambda m, j: complements(m.y[j] >= 0, m.y[j] >= 0))
    return m


def desilva() -> Any:
    """Facchinei, Jiang and Qi (1996), problem 5: nonlinear complementarity."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, 2))
    m.y = pyo.Var(range(2))
    m.l = pyo.Var(range(2), bounds=(0, None))
    x, y, lam = m.x, m.y, m.l
    m.f = pyo.Objective(expr=sum(x[i] ** 2 - 2 * x[i] + y[i] ** 2 for i in range(2)))
    m.kkt = pyo.Constraint(
        range(2), rule=lambda m, i: 2 * y[i] - 2 * x[i] + 2 * (y[i] - 1) * lam[i] == 0
    )
    m.g = Complementarity(
        range(2), rule=lambda m, i: complements(0.25 - (y[i] - 1) ** 2 >= 0, lam[i] >= 0)
    )
    return m


def stackelberg1() -> Any:
    """A Stackelberg leader against a follower's KKT conditions (MacMPEC)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 200))
    m.y = pyo.Var(bounds=(0, None))
    m.f = pyo.Objective(expr=0.5 * m.x**2 + 0.5 * m.x * m.y - 95 * m.x)
    m.kkt = Complementarity(expr=complements(m.y >= 0, 2 * m.y + 0.5 * m.x - 100 >= 0))
    return m


def jr1() -> Any:
    """Jiang and Ralph: min (x − 1)² + y², 0 ≤ y ⊥ y − x ≥ 0 (Fletcher and Leyffer's
    example 2.2, whose solution (½, ½) has a basic multiplier)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.y = pyo.Var()
    m.f = pyo.Objective(expr=(m.x - 1) ** 2 + m.y**2)
    m.lcp = Complementarity(expr=complements(m.y >= 0, m.y - m.x >= 0))
    return m


def kth2() -> Any:
    """KTH: min (y − 1)² + x, 0 ≤ y ⊥ x ≥ 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.y = pyo.Var()
    m.f = pyo.Objective(expr=(m.y - 1) ** 2 + m.x)
    m.lcp = Complementarity(expr=complements(m.y >= 0, m.x >= 0))
    return m


def fletcher_leyffer_nonlinear() -> Any:
    """Fletcher and Leyffer: min z₁ + z₂ s.t. z₂² ≥ 1, 0 ≤ z₁ ⊥ z₂ ≥ 0; solution (0, 1)."""
    m = pyo.ConcreteModel()
    m.z = pyo.Var(range(2), bounds=(0, None))
    m.f = pyo.Objective(expr=m.z[0] + m.z[1])
    m.c = pyo.Constraint(expr=m.z[1] ** 2 >= 1)
    m.lcp = Complementarity(expr=complements(m.z[0] >= 0, m.z[1] >= 0))
    return m


def scale1() -> Any:
    """A badly scaled QPEC: min (100x₁ − 1)² + (x₂ − 1)², 0 ≤ x₁ ⊥ x₂ ≥ 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, None))
    m.f = pyo.Objective(expr=(100 * m.x[0] - 1) ** 2 + (m.x[1] - 1) ** 2)
    m.lcp = Complementarity(expr=complements(m.x[0] >= 0, m.x[1] >= 0))
    return m


def design_centering() -> Any:
    """Design centering as an MPEC (Stein and Still): the largest disc in a convex body,
    with three lower-level problems' KKT conditions; nonconvex."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), initialize={0: 0.0, 1: 0.0, 2: 1.0})
    y0 = {(0, 0): -1.0, (0, 1): 0.2425, (0, 2): 0.0, (1, 0): 0.0, (1, 1): 0.9701, (1, 2): -1.0}
    m.y = pyo.Var(range(2), range(3), initialize=y0)
    m.l = pyo.Var(range(3), bounds=(0, None), initialize=0.5)
    x, y, lam = m.x, m.y, m.l
    m.f = pyo.Objective(expr=-math.pi * x[2] ** 2)
    m.g1 = pyo.Constraint(expr=-y[0, 0] - y[1, 0] ** 2 <= 0)
    m.g2 = pyo.Constraint(expr=y[0, 1] / 4 + y[1, 1] <= 0.75)
    m.g3 = pyo.Constraint(expr=-y[1, 2] <= 1)
    grad = [(1.0, None), (-0.25, -1.0), (0.0, 1.0)]  # ∇ of each body's inequality
    m.kkt = pyo.ConstraintList()
    m.kkt.add(1.0 + 2 * (y[0, 0] - x[0]) * lam[0] == 0)
    m.kkt.add(2 * y[1, 0] + 2 * (y[1, 0] - x[1]) * lam[0] == 0)
    for k in (1, 2):
        gx, gy = grad[k]
        m.kkt.add(gx + 2 * (y[0, k] - x[0]) * lam[k] == 0)
        m.kkt.add(gy + 2 * (y[1, k] - x[1]) * lam[k] == 0)
    m.comp = Complementarity(
        range(3),
        rule=lambda m, k: complements(
            x[2] ** 2 - (y[0, k] - x[0]) ** 2 - (y[1, k] - x[1]) ** 2 >= 0, lam[k] >= 0
        ),
    )
    return m


PROBLEMS: tuple[Problem, ...] = (
    Problem("bard1", bard1, 17.0, "MacMPEC bard1"),
    Problem("ex9.2.1", ex9_2_1, 17.0, "MacMPEC ex9.2.1"),
    Problem("ex9.2.2", ex9_2_2, 100.0, "MacMPEC ex9.2.2"),
    Problem("ex9.2.6", ex9_2_6, -1.0, "MacMPEC ex9.2.6"),
    Problem("ex9.2.9", ex9_2_9, 2.0, "MacMPEC ex9.2.9"),
    Problem("ex9.1.7", ex9_1_7, -26.0, "MacMPEC ex9.1.7"),
    Problem("scholtes3", scholtes3, 0.5, "MacMPEC scholtes3"),
    Problem("scholtes4", scholtes4, 0.0, "MacMPEC scholtes4"),
    Problem("ralph2", ralph2, 0.0, "MacMPEC ralph2"),
    Problem("gauvin", gauvin, 20.0, "MacMPEC gauvin"),
    Problem("outrata31", outrata31, 3.2077, "MacMPEC outrata31"),
    Problem("qpec1", qpec1, 80.0, "MacMPEC qpec1", enumerate=False),
    Problem("qpec2", qpec2, 45.0, "MacMPEC qpec2", enumerate=False),
    Problem("desilva", desilva, -1.0, "MacMPEC desilva"),
    Problem("stackelberg1", stackelberg1, -3266.6667, "MacMPEC stackelberg1"),
    Problem("jr1", jr1, 0.5, "MacMPEC jr1"),
    Problem("kth2", kth2, 0.0, "MacMPEC kth2"),
    Problem("fletcher-leyffer-2", fletcher_leyffer_nonlinear, 1.0, "Fletcher and Leyffer"),
    Problem("scale1", scale1, 1.0, "MacMPEC scale1"),
    Problem("design-cent", design_centering, -1.86065, "MacMPEC design-cent-2"),
)
