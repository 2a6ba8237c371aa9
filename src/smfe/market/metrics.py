r"""Market outcomes and the leader's objective, as functions of (θ, y, N) (data-sources §3).

With y the share-weighted imports I_{k,h}, exports X_{k,h} and private costs C_k of
:mod:`smfe.market.game`, N_h = Σ_k (I_{k,h} − X_{k,h}) the net load per household:

* wholesale price λ_h = p_h(N_h), the game's price of hour h (affine p0 + p1·(B_h + N_h)
  or a smoothed merit-order stack, :mod:`smfe.market.supply`);
  retail rate π_h = Σ_k θ_k 1[h∈k] + s·λ_h; export credit ε_h (tariff family);
* revenue = Σ_g w_g F_g + Σ_{k,h} (π_h I_{k,h} − ε_h X_{k,h}) (NEM: π_h (I − X));
  energy cost = Σ_h λ_h N_h; requirement R = energy cost + non-energy cost;
  revenue gap = revenue − R (all $/household/day);
* bill of group g per household b_g = F_g + Σ_{k∈g} energy bill_k / w_g; energy burden
  EB_g = 100·365·b_g / income_g (%); dispersion D = Σ_g w_g (EB_g − Σ_g' w_g' EB_g')²;
* household welfare W = −(revenue + Σ_k C_k) (bills, degradation and discomfort);
* volatility Var_h(1000·λ_h) (($/MWh)²); peak: the smooth maximum
  β·log Σ_h exp(N_h/β) with β = :data:`PEAK_SMOOTHING` kW (within β·ln 24 ≈ 0.03 kW of
  max_h N_h, and differentiable, so the leader problem stays a smooth NLP);
* cost shift (§3.5): what adopters' bills fall short of the avoided wholesale cost,
  CS = Σ_{k adopter} [Σ_h (π_h − λ_h) w_k d̂_{g,h} − bill_k + Σ_h λ_h (I_{k,h} − X_{k,h})]
  with bill_k the share-weighted energy bill, i.e. the bill reduction against the same
  household without DER minus the wholesale cost it avoids.

The functions use only +, −, ×, sums and the ``exp``/``log`` they are given, so the same
code evaluates floats (reports, certificates) and Pyomo expressions (the leader NLP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from smfe.errors import InstanceError
from smfe.market.data import HOURS
from smfe.market.game import MarketGame

FloatArray = NDArray[np.float64]
REVENUE_MODES = ("equal", "at-least", "off")
REVENUE_BOUNDS = {"equal": (0.0, 0.0), "at-least": (0.0, np.inf)}
"""Bounds on the revenue gap (revenue − requirement) per mode; ``off`` has no row."""
PEAK_SMOOTHING = 0.01  # kW: β of the smooth maximum of the net load


@dataclass(frozen=True)
class Weights:
    """Weights of the leader objective (maximised), each term in $/household/day:

    ``welfare`` × W − ``volatility`` × Var(λ in $/MWh) − ``peak`` × max N (kW)
    − ``equity`` × burden dispersion (percentage points²) − ``cost_shift`` × CS
    − ``wholesale_cost`` × energy cost Σ_h λ_h N_h (0 by default: under revenue neutrality
    it is already inside W, since bills then pay for it).
    ``revenue``: the adequacy constraint revenue = R (``equal``), ≥ R (``at-least``) or
    none (``off``). Defaults [A]: a volatility of 50 $/MWh costs 0.25 $/day, a 1 kW peak
    0.5 $/day, a burden standard deviation of 2 points 0.4 $/day.
    """

    welfare: float = 1.0
    volatility: float = 1e-4
    peak: float = 0.5
    equity: float = 0.1
    cost_shift: float = 0.5
    wholesale_cost: float = 0.0
    revenue: str = "equal"

    def __post_init__(self) -> None:
        for name in ("welfare", "volatility", "peak", "equity", "cost_shift", "wholesale_cost"):
            v = float(getattr(self, name))
            if not np.isfinite(v) or v < 0.0:
                raise InstanceError(f"weights.{name}", f"must be a finite number >= 0, got {v}")
            object.__setattr__(self, name, v)
        if self.revenue not in REVENUE_MODES:
            raise InstanceError(
                "weights.revenue", f"must be one of {REVENUE_MODES}, got {self.revenue!r}"
            )


def _sum(xs: Any) -> Any:
    out: Any = 0.0
    for x in np.ravel(xs):
        out = out + x
    return out


def _times(scalar: Any, arr: Any) -> Any:
    """scalar × array elementwise (a model scalar on the left of an ndarray is not
    broadcast by NumPy for every modelling layer)."""
    return np.array([scalar * a for a in arr], dtype=object)


def peak_shift(mg: MarketGame) -> float:
    """A constant near the peak (the no-battery net load's), to keep exp() in range."""
    mk = mg.market
    base = sum(
        t.share * (mk.load(t.group) - (mk.pv(t.group) if t.adopter else 0.0)) for t in mg.types
    )
    return float(np.max(base))


def outcomes(
    mg: MarketGame, theta: Any, y: Any, N: Any, exp: Any = np.exp, log: Any = np.log
) -> dict[str, Any]:
    """Every market quantity of the module docstring (floats, or model expressions with the
    modelling layer's ``exp`` and ``log``)."""
    mk, tf = mg.market, mg.tariff
    lay = tf.layout(mk)
    theta = np.asarray(theta, dtype=object)
    y = np.asarray(y, dtype=object)
    N = np.asarray(N, dtype=object).ravel()
    nk = len(mg.types)
    yy = y.reshape(nk, 2 * HOURS + 1)
    imp, X, C = yy[:, :HOURS], yy[:, HOURS : 2 * HOURS], yy[:, 2 * HOURS]
    prices = mg.game.prices
    lam = np.array([prices[h].evaluate(N[h], exp=exp, log=log) for h in range(HOURS)], dtype=object)
    Bm = tf.block_matrix()
    rates = theta[lay["rate"]]
    base = np.array(
        [_sum([rates[k] for k in np.flatnonzero(Bm[:, h])]) for h in range(HOURS)], dtype=object
    )
    s = theta[lay["pass_through"].start] if tf.pass_through else 0.0
    pi = base + _times(s, lam) if tf.pass_through else base
    if tf.export == "nem":
        eps = pi
    elif tf.export == "avoided-cost":
        eps = lam
    elif tf.export == "rate":
        eps = np.array([theta[lay["export"].start]] * HOURS, dtype=object)
    else:
        eps = np.full(HOURS, tf.export_credit, dtype=object)
    G = len(mk.groups)
    if tf.fixed == "reference":
        fixed = np.array(mk.fixed_daily, dtype=object)
    elif tf.fixed == "flat":
        fixed = np.array([theta[lay["fixed"].start]] * G, dtype=object)
    else:
        fixed = theta[lay["fixed"]]
    energy_bill = np.array(
        [_sum(pi * imp[k] - eps * X[k]) for k in range(nk)], dtype=object
    )  # share-weighted
    w = mk.shares
    fixed_revenue = _sum(w * fixed)
    revenue = fixed_revenue + _sum(energy_bill)
    energy_cost = _sum(lam * N)
    requirement = energy_cost + mk.non_energy_cost
    group_bill = []
    for g in range(G):
        members = [k for k, t in enumerate(mg.types) if t.group == g]
        group_bill.append(fixed[g] + _sum(energy_bill[members]) * (1.0 / w[g]))
    group_bill_a = np.array(group_bill, dtype=object)
    income = np.array([grp.income for grp in mk.groups])
    burden = group_bill_a * (100.0 * 365.0 / income)
    mean_burden = _sum(w * burden)
    dev = np.array([b - mean_burden for b in burden], dtype=object)
    dispersion = _sum(w * dev * dev)
    welfare = -(revenue + _sum(C))
    lam_mwh = lam * 1000.0
    mean_lam = _sum(lam_mwh) * (1.0 / HOURS)
    volatility = _sum(lam_mwh * lam_mwh) * (1.0 / HOURS) - mean_lam * mean_lam
    shift: Any = 0.0
    for k, t in enumerate(mg.types):
        if t.adopter:
            d_hat = mk.load(t.group) * t.share
            shift = shift + _sum((pi - lam) * d_hat) - energy_bill[k] + _sum(lam * (imp[k] - X[k]))
    beta, c = PEAK_SMOOTHING, peak_shift(mg)
    peak = c + beta * log(_sum([exp((N[h] - c) * (1.0 / beta)) for h in range(HOURS)]))
    return {
        "wholesale_price": lam,
        "block_rate": rates,
        "retail_rate": pi,
        "export_credit": eps,
        "net_load": N,
        "revenue": revenue,
        "energy_cost": energy_cost,
        "requirement": requirement,
        "revenue_gap": revenue - requirement,
        "group_bill": group_bill_a,
        "burden": burden,
        "burden_dispersion": dispersion,
        "welfare": welfare,
        "volatility": volatility,
        "peak": peak,
        "cost_shift": shift,
        "type_bill": np.array(
            [fixed[t.group] + energy_bill[k] * (1.0 / t.share) for k, t in enumerate(mg.types)],
            dtype=object,
        ),
    }


def objective(out: dict[str, Any], weights: Weights) -> Any:
    """The leader's objective (maximised) from :func:`outcomes`."""
    return (
        weights.welfare * out["welfare"]
        - weights.volatility * out["volatility"]
        - weights.peak * out["peak"]
        - weights.equity * out["burden_dispersion"]
        - weights.cost_shift * out["cost_shift"]
        - weights.wholesale_cost * out["energy_cost"]
    )
