"""Reports of a finite-population check: the printed table, JSON numbers and the ε-Nash
figure (``smfe market --simulate``; :mod:`smfe.market.population` computes them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from smfe.files import check_outputs, write_text, write_with
from smfe.market.population import PopulationStudy

POPULATION_FILES = ("population.json", "epsilon_nash.png")
"""The files :func:`write_population` writes."""


def population_numbers(study: PopulationStudy, groups: Sequence[str]) -> dict[str, Any]:
    """Plain JSON-able numbers of a population study."""
    return {
        "rates": study.rates,
        "mean_field": {
            "wholesale_price": study.mean_field_price.tolist(),
            "bills": dict(zip(groups, study.mean_field_bills.tolist(), strict=True)),
        },
        "sizes": [
            {
                "n": r.n,
                "days": r.days,
                "epsilon_nash": r.epsilon,
                "epsilon_min_max": list(r.epsilon_spread),
                "net_load_deviation_kw": r.load_deviation,
                "price_deviation_mwh": r.price_deviation,
                "bill_deviation": r.bill_deviation,
                "bills": dict(zip(groups, r.bills.tolist(), strict=True)),
                "seconds": r.seconds,
            }
            for r in study.rows
        ],
    }


def format_population(study: PopulationStudy, groups: Sequence[str]) -> str:
    """The printed table of a population study."""
    lines = [
        "Finite population under the optimal tariff (households following the S-MFE "
        "policies; means over the simulated days):",
        f"  {'N':>8} {'ε-Nash $/hh/day':>16} {'max|ΔN| kW':>11} {'max|Δλ| $/MWh':>14} "
        f"{'max|Δbill| $':>13} {'time s':>7}",
    ]
    for r in study.rows:
        lines.append(
            f"  {r.n:>8,} {r.epsilon:>16.3e} {r.load_deviation:>11.2e} "
            f"{r.price_deviation:>14.3f} {r.bill_deviation:>13.2e} {r.seconds:>7.1f}"
        )
    rate = study.rates
    lines.append(
        f"  fitted rates: ε-Nash ∝ N^{rate['epsilon']:.2f}, net-load deviation ∝ "
        f"N^{rate['load_deviation']:.2f} (O(1/N) is slope −1, O(1/√N) is −0.5)"
    )
    return "\n".join(lines)


def population_figure(study: PopulationStudy) -> Any:
    """ε-Nash gain and net-load deviation against N (log–log), with the fitted slopes and
    the 1/N and 1/√N reference lines through the first point."""
    import matplotlib.pyplot as plt

    ns = np.array([r.n for r in study.rows], dtype=float)
    eps = np.array([r.epsilon for r in study.rows])
    lo = np.array([r.epsilon_spread[0] for r in study.rows])
    hi = np.array([r.epsilon_spread[1] for r in study.rows])
    dev = np.array([r.load_deviation for r in study.rows])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.errorbar(ns, eps, yerr=[eps - lo, hi - eps], fmt="o-", capsize=3, label="measured")
    a1.plot(ns, eps[0] * ns[0] / ns, "k--", lw=1, label="1/N")
    a1.plot(ns, eps[0] * np.sqrt(ns[0] / ns), "k:", lw=1, label="1/√N")
    a1.set_title(f"ε-Nash gain (slope {study.rates['epsilon']:.2f})")
    a1.set_ylabel("best deviation gain ($/household/day)")
    a2.plot(ns, dev, "o-", label="measured")
    a2.plot(ns, dev[0] * np.sqrt(ns[0] / ns), "k:", lw=1, label="1/√N")
    a2.set_title(f"net-load deviation (slope {study.rates['load_deviation']:.2f})")
    a2.set_ylabel("largest hourly |realised − mean-field| net load (kW/hh)")
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("households N")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.tight_layout()
    return fig


def write_population(
    study: PopulationStudy, groups: Sequence[str], folder: str | Path, *, force: bool = False
) -> list[Path]:
    """Write :data:`POPULATION_FILES` into ``folder``; existing files only with ``force``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(folder)
    check_outputs([out / f for f in POPULATION_FILES], force=force)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(population_numbers(study, groups), indent=2)
    paths = [write_text(out / "population.json", text, force=force)]
    fig = population_figure(study)
    paths.append(
        write_with(
            out / "epsilon_nash.png", partial(fig.savefig, dpi=120, format="png"), force=force
        )
    )
    plt.close(fig)
    return paths
