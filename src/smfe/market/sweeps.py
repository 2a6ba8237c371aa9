"""Studies over many tariff problems: the equity–efficiency trade-off and export rules.

* :func:`equity_tradeoff` solves the tariff problem for a list of equity weights (everything
  else fixed) and tabulates burden dispersion against household welfare and the other
  outcomes — the trade-off curve of the tariff study;
* :func:`export_rules` solves it under several export-credit rules (net metering at the
  retail rate, net billing at avoided cost, a flat credit) and tabulates the outcomes.

Each row comes from a full :func:`~smfe.market.solve.solve_tariff` (certified optimum,
revenue-neutral), so the curves are made of certified points.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from smfe.market.data import MarketInstance
from smfe.market.game import market_game
from smfe.market.metrics import Weights
from smfe.market.solve import TariffStudy, solve_tariff
from smfe.market.tariff import TariffFamily

Row = dict[str, Any]


def _row(study: TariffStudy, **label: Any) -> Row:
    o = study.optimal.outcomes
    return {
        **label,
        "objective": study.optimal.objective,
        "welfare": float(o["welfare"]),
        "burden_dispersion": float(o["burden_dispersion"]),
        "cost_shift": float(o["cost_shift"]),
        "price_std": float((o["wholesale_price"] * 1000.0).std()),
        "peak": float(o["net_load"].max()),
        "burden": [float(b) for b in o["burden"]],
        "certified": study.certified,
    }


def equity_tradeoff(
    market: MarketInstance,
    equity_weights: Sequence[float],
    *,
    tariff: TariffFamily | None = None,
    weights: Weights | None = None,
    tau: float = 0.02,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """One certified optimum per equity weight (module docstring)."""
    mg = market_game(market, tariff, tau)
    base = weights or Weights()
    rows = []
    for e in equity_weights:
        if progress is not None:
            progress(f"equity weight {e}")
        st = solve_tariff(mg, dataclasses.replace(base, equity=float(e)), cross_check=False)
        rows.append(_row(st, equity_weight=float(e)))
    return rows


def export_rules(
    market: MarketInstance,
    rules: Sequence[str] = ("nem", "avoided-cost", "fixed"),
    *,
    tariff: TariffFamily | None = None,
    weights: Weights | None = None,
    tau: float = 0.02,
) -> dict[str, TariffStudy]:
    """The tariff study under each export-credit rule (module docstring)."""
    base = tariff or TariffFamily()
    out = {}
    for rule in rules:
        mg = market_game(market, dataclasses.replace(base, export=rule), tau)
        out[rule] = solve_tariff(mg, weights, cross_check=False)
    return out


def plot_equity_tradeoff(rows: Sequence[Row], ax: Any = None) -> Any:
    """Burden dispersion against household welfare, one point per equity weight."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = [r["welfare"] for r in rows]
    y = [r["burden_dispersion"] for r in rows]
    ax.plot(x, y, "o-")
    for r, xi, yi in zip(rows, x, y, strict=True):
        ax.annotate(f"{r['equity_weight']:g}", (xi, yi), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel("household welfare ($/household/day)")
    ax.set_ylabel("energy-burden dispersion (pp²)")
    ax.set_title("equity–efficiency trade-off (labels: equity weight)")
    ax.grid(alpha=0.3)
    return ax


def export_rule_table(studies: dict[str, TariffStudy]) -> str:
    """Outcomes of the optimal tariff under each export rule, one column per rule."""
    rules = list(studies)
    rows = [(rule, _row(st, rule=rule)) for rule, st in studies.items()]
    groups = [g.name for g in next(iter(studies.values())).market.market.groups]
    lines = [f"{'':<28}" + "".join(f"{r:>14}" for r in rules)]

    def add(label: str, fn: Callable[[Row], float], fmt: str = "{:.4f}") -> None:
        lines.append(f"{label:<28}" + "".join(f"{fmt.format(fn(r)):>14}" for _, r in rows))

    add("leader objective", lambda r: r["objective"])
    add("household welfare $/day", lambda r: r["welfare"])
    add("cost shift $/day", lambda r: r["cost_shift"])
    add("burden dispersion pp²", lambda r: r["burden_dispersion"])
    add("wholesale price std", lambda r: r["price_std"], "{:.2f}")
    for i, g in enumerate(groups):

        def burden(r: Row, i: int = i) -> float:
            return float(r["burden"][i])

        add(f"energy burden {g} %", burden, "{:.2f}")
    add("certified", lambda r: float(r["certified"]), "{:.0f}")
    return "\n".join(lines)
