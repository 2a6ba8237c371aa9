r"""The efficiency–equity–stability trade-off of tariff design, by ε-constraints.

Three criteria of a tariff θ at its followers' equilibrium (:mod:`smfe.market.metrics`):

* **efficiency** — household welfare W ($/household/day, maximised);
* **equity** — the burden dispersion D (percentage points², minimised);
* **stability** — the peak net load max_h N_h (kW per household, minimised). (The
  wholesale price's standard deviation barely moves on the reference instance — 42.63 to
  42.82 $/MWh across the anchors, set by the background load — so the peak is the stability
  criterion a tariff can trade.)

The front is traced by the ε-constraint method (Haimes et al. 1971; Mavrotas 2009): with
the instance's tariff rules and the revenue row kept,

.. math::  \max_\theta\ W(\theta)\quad\text{s.t.}\quad D(\theta)\le\varepsilon_D,\
           N_h(\theta)\le\varepsilon_P\ (h = 0..23),

each ε-problem solved and certified like any tariff study (:func:`solve_tariff` with the rules
``max_dispersion`` and ``peak_cap`` = min(ε_P, the instance's peak cap)), started from the
welfare anchor's optimum. The grid comes from the payoff table: three anchor problems
(max W; min D; min peak — the objective's smooth maximum of N, within 0.03 kW of the exact
peak — each alone) give the criteria's ranges. Equity levels ε_D are the interior fractions
(j + ½)/k, j = 0..k−1, of [D at min D, D at max W]; each is solved with the dispersion row
alone (a point of the efficiency–equity front, always reachable), and then with the peak
tightened to the same fractions of [peak at min peak, the peak it reached]: so k + k² points
plus the anchors. (A box grid over both ranges at once asks for corners that conflict: on the
reference instance lowering the dispersion raises the peak.) A point whose ε-problem is
infeasible or uncertified is kept and labelled, never dropped. The multipliers of the ε rows
are the trade-off rates: $/household/day of welfare per pp² of dispersion and per kW of
peak given up.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.market.game import MarketGame
from smfe.market.metrics import Weights
from smfe.market.rules import Rules
from smfe.market.solve import TariffStudy, solve_tariff

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ParetoPoint:
    """One solved ε-problem (or anchor) and its criteria at the optimum."""

    label: str
    eps_dispersion: float | None
    eps_peak: float | None
    welfare: float
    dispersion: float
    peak: float
    price_std: float
    theta: FloatArray
    certified: bool
    rules_hold: bool
    tradeoff: dict[str, float]
    """Shadow prices of the ε rows (welfare per unit relaxation; ``peak`` sums the hours'
    peak-cap rows, the instance's own cap included)."""
    seconds: float


@dataclass(frozen=True)
class ParetoFront:
    points: tuple[ParetoPoint, ...]
    levels: int

    @property
    def certified(self) -> bool:
        return all(p.certified for p in self.points)


def _point(
    label: str, study: TariffStudy, eps: tuple[float | None, float | None], seconds: float
) -> ParetoPoint:
    out = study.optimal.outcomes
    lam = study.kkt.shadow_prices
    return ParetoPoint(
        label,
        eps[0],
        eps[1],
        float(out["welfare"]),
        float(out["burden_dispersion"]),
        float(np.max(out["net_load"])),
        float(np.sqrt(max(float(out["volatility"]), 0.0))),
        study.optimal.theta,
        study.certified,
        study.rules_hold,
        {
            "max_dispersion": lam.get("max_dispersion", 0.0),
            "peak": sum(v for k, v in lam.items() if k.startswith("peak_cap")),
        },
        seconds,
    )


def pareto_front(
    mg: MarketGame,
    *,
    levels: int = 2,
    rules: Rules | None = None,
    revenue: str = "equal",
    progress: Callable[[str], None] | None = None,
) -> ParetoFront:
    """The front of the module docstring: 3 anchors, ``levels`` equity levels and
    ``levels`` peak levels at each."""
    if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 10:
        raise InstanceError("pareto.levels", f"must be an integer in 1..10, got {levels!r}")
    say = progress or (lambda _m: None)
    base = mg.market.rules if rules is None else rules
    zero = {"welfare": 0.0, "volatility": 0.0, "peak": 0.0, "equity": 0.0, "cost_shift": 0.0}
    anchors = {
        "max welfare": Weights(**{**zero, "welfare": 1.0}, revenue=revenue),
        "min dispersion": Weights(**{**zero, "equity": 1.0}, revenue=revenue),
        "min peak": Weights(**{**zero, "peak": 1.0}, revenue=revenue),
    }
    points: list[ParetoPoint] = []
    for label, weights in anchors.items():
        say(f"Pareto anchor: {label}")
        t0 = time.perf_counter()
        st = solve_tariff(mg, weights, cross_check=False, rules=base)
        points.append(_point(label, st, (None, None), time.perf_counter() - t0))
    top, dmin, pmin = points
    fractions = (np.arange(levels) + 0.5) / levels
    welfare = anchors["max welfare"]

    def solve(ed: float, ep: float | None, start: FloatArray) -> TariffStudy:
        cap = base.peak_cap if ep is None else ep
        if ep is not None and base.peak_cap is not None:
            cap = min(ep, base.peak_cap)
        r = dataclasses.replace(base, max_dispersion=ed, peak_cap=cap)
        return solve_tariff(mg, welfare, cross_check=False, rules=r, start=start)

    for ed in dmin.dispersion + fractions * (top.dispersion - dmin.dispersion):
        say(f"Pareto ε-problem: dispersion ≤ {ed:.4f} pp²")
        t0 = time.perf_counter()
        st = solve(float(ed), None, top.theta)
        front_d = _point("ε_D", st, (float(ed), None), time.perf_counter() - t0)
        points.append(front_d)
        for ep in pmin.peak + fractions * (front_d.peak - pmin.peak):
            say(f"Pareto ε-problem: dispersion ≤ {ed:.4f} pp², peak ≤ {ep:.4f} kW")
            t0 = time.perf_counter()
            st = solve(float(ed), float(ep), front_d.theta)
            points.append(_point("ε_D,P", st, (float(ed), float(ep)), time.perf_counter() - t0))
    return ParetoFront(tuple(points), levels)
