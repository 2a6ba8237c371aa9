r"""Proofs, before solving, that tariff rules leave no feasible tariff.

A rule on the equilibrium (a peak or ramp cap, a bill cap) cannot be checked exactly without
solving, but the physics bounds what any tariff can achieve. For each hour h the net load per
household lies in :math:`[\underline N_h, \overline N_h]`: the stationary mean field puts
mass 1/24 on hour h, so :math:`N_h = \sum_k w_k\,\mathbb E_k[n \mid h]` lies between the
share-weighted least and largest net import over the allowed (state, action) pairs of hour h
(every battery discharging, or charging, at full power) — whatever the tariff and the
followers' policy. The rules are refused, with :class:`EmptyTariffSet` naming them, when

* ``peak_cap`` P < :math:`\underline N_h` for some hour;
* ``ramp_cap`` R < :math:`\underline N_{h+1} - \overline N_h` or
  :math:`\underline N_h - \overline N_{h+1}` for some hour;
* the bill caps cover every group and, with revenue adequacy (revenue ≥ R), capped revenue
  :math:`\sum_g w_g (1+c_g)\,b^{\rm ref}_g` (bills add up to revenue) is below the least
  possible requirement :math:`c_{\rm ne} + \sum_h \min \lambda_h N_h` over the hourly
  ranges (λ_h non-decreasing, so λ_h N_h ≥ the least product of the two ranges' ends);
* the rate ordering and the decision set Θ (bounds, linear constraints) have no common point
  (a linear program, HiGHS).

What these bounds cannot prove (e.g. a tight peak cap the tariff family cannot reach) is
reported after the solve as a broken rule, never hidden.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from smfe.errors import InstanceError
from smfe.market.fields import HOURS
from smfe.market.game import MarketGame
from smfe.market.metrics import REVENUE_BOUNDS
from smfe.market.rules import Rules

FloatArray = NDArray[np.float64]


class EmptyTariffSet(InstanceError):
    """The rules leave no feasible tariff; ``conflict`` names the rules that conflict."""

    def __init__(self, conflict: tuple[str, ...], message: str) -> None:
        super().__init__("rules", f"the tariff set is empty ({' + '.join(conflict)}): {message}")
        self.conflict = conflict


def net_load_range(mg: MarketGame) -> tuple[FloatArray, FloatArray]:
    """Bounds [N̲_h, N̄_h] on the net load per household of hour h, for any tariff and any
    follower policy (module docstring), from the game's aggregate coefficients."""
    lo, hi = np.zeros(HOURS), np.zeros(HOURS)
    for ft in mg.game.types:
        S = ft.mask.shape[0]
        per_hour = S // HOURS  # states are ordered hour-major (smfe.market.game)
        for h in range(HOURS):
            rows = slice(h * per_hour, (h + 1) * per_hour)
            assert ft.aggregate is not None  # every market type has the net-load aggregate
            coef = ft.aggregate[h][rows][ft.mask[rows]] / HOURS  # n of each allowed pair
            lo[h] += ft.share * float(coef.min())
            hi[h] += ft.share * float(coef.max())
    return lo, hi


def _least_energy_cost(mg: MarketGame, lo: FloatArray, hi: FloatArray) -> float | None:
    """A lower bound on Σ_h λ_h(N_h)·N_h over the hourly ranges, or None when a price is not
    known to be non-decreasing there."""
    total = 0.0
    for h, price in enumerate(mg.game.prices):
        affine = not (price.kinks or price.log or price.rational or price.power or price.exp)
        if not (price.monotone and ((affine and price.curvature == 0.0) or lo[h] >= 0.0)):
            return None
        lam = (float(price.evaluate(lo[h])), float(price.evaluate(hi[h])))
        total += min(a * b for a in lam for b in (lo[h], hi[h]))
    return total


def check_rules(
    mg: MarketGame, rules: Rules, revenue: str, reference: FloatArray | None = None
) -> None:
    """Raise :class:`EmptyTariffSet` when the module docstring's bounds prove ``rules``
    infeasible; ``reference``: the groups' reference bills, when known."""
    if not rules.active:
        return
    lo, hi = net_load_range(mg)
    if rules.peak_cap is not None and rules.peak_cap < lo.max():
        h = int(lo.argmax())
        raise EmptyTariffSet(
            ("peak_cap",),
            f"the cap {rules.peak_cap:g} kW is below the least net load any tariff can reach "
            f"in hour {h} ({lo[h]:.4f} kW per household, every battery discharging at full "
            "power)",
        )
    if rules.ramp_cap is not None:
        up = np.roll(lo, -1) - hi  # least rise from h to h+1
        down = lo - np.roll(hi, -1)  # least fall from h to h+1
        worst = np.maximum(up, down)
        if rules.ramp_cap < worst.max():
            h = int(worst.argmax())
            raise EmptyTariffSet(
                ("ramp_cap",),
                f"the cap {rules.ramp_cap:g} kW/h is below the least change of net load any "
                f"tariff allows from hour {h} to hour {(h + 1) % HOURS} ({worst[h]:.4f} kW)",
            )
    _check_order(mg, rules)
    if reference is None or not rules.needs_reference or revenue not in REVENUE_BOUNDS:
        return
    groups = [g.name for g in mg.market.groups]
    caps = dict(mg.bind(rules).caps)
    if len(caps) != len(groups):
        return  # an uncapped group can carry the rest of the revenue
    least = _least_energy_cost(mg, lo, hi)
    if least is None:
        return
    need = mg.market.non_energy_cost + least + REVENUE_BOUNDS[revenue][0]
    w = mg.market.shares
    allowed = float(sum(w[g] * (1.0 + c) * reference[g] for g, c in caps.items()))
    if allowed < need - 1e-9:
        raise EmptyTariffSet(
            (*(f"bill_cap[{g}]" for g in groups), f"revenue ({revenue})"),
            f"the capped bills can raise at most {allowed:.4f} $/hh/day, but the revenue "
            f"requirement is at least {need:.4f} $/hh/day for any tariff",
        )


def _check_order(mg: MarketGame, rules: Rules) -> None:
    """Rate ordering ∩ Θ ≠ ∅, by a feasibility LP."""
    order = mg.bind(rules).order
    if not order:
        return
    dec = mg.game.decision
    rate0 = mg.tariff.layout(mg.market)["rate"].start
    rows = []
    for hi, lo in order:
        r = np.zeros(dec.lower.size)
        r[rate0 + lo], r[rate0 + hi] = 1.0, -1.0
        rows.append(r)
    A_ub = np.vstack(rows if dec.A_ub is None else [*rows, dec.A_ub])
    b_ub = np.zeros(len(rows)) if dec.b_ub is None else np.r_[np.zeros(len(rows)), dec.b_ub]
    lp = linprog(
        np.zeros(dec.lower.size),
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=dec.A_eq,
        b_eq=dec.b_eq,
        bounds=list(zip(dec.lower, dec.upper, strict=True)),
        method="highs",
    )
    if lp.status == 2:
        raise EmptyTariffSet(
            ("rate_order", "decision set"),
            f"no tariff in the decision set orders the rates {' ≥ '.join(rules.rate_order)}",
        )
