"""Reports of a Pareto front: JSON numbers, the printed table and the figure
(``smfe market --pareto``; :mod:`smfe.market.pareto` computes the front)."""

from __future__ import annotations

import dataclasses
import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from smfe.files import check_outputs, write_text, write_with
from smfe.market.pareto import ParetoFront


def pareto_numbers(front: ParetoFront) -> dict[str, Any]:
    """Plain JSON-able numbers of a front."""
    return {
        "levels": front.levels,
        "criteria": {
            "welfare": "$/household/day, maximised",
            "burden_dispersion": "pp², minimised",
            "peak": "kW per household, minimised",
            "price_std": "$/MWh (reported)",
        },
        "points": [
            {
                **{k: v for k, v in dataclasses.asdict(p).items() if k != "theta"},
                "theta": p.theta.tolist(),
            }
            for p in front.points
        ],
        "certified": front.certified,
    }


def format_pareto(front: ParetoFront) -> str:
    lines = [
        "Efficiency–equity–stability trade-off (ε-constraints; max welfare s.t. dispersion ≤ "
        "ε_D, peak ≤ ε_P, the rules and revenue = requirement):",
        f"  {'point':<15} {'ε_D pp²':>8} {'ε_P kW':>7} {'welfare $/hh/d':>15} "
        f"{'dispersion':>11} {'peak kW':>8} {'λ_D':>9} {'λ_P':>9}  certified",
    ]

    def opt(v: float | None, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)

    for p in front.points:
        lines.append(
            f"  {p.label:<15} {opt(p.eps_dispersion, '.4f'):>8} "
            f"{opt(p.eps_peak, '.4f'):>7} {p.welfare:>15.5f} {p.dispersion:>11.4f} "
            f"{p.peak:>8.4f} {p.tradeoff['max_dispersion']:>9.2e} "
            f"{p.tradeoff['peak']:>9.2e}  "
            + ("yes" if p.certified else ("NO (rules broken)" if not p.rules_hold else "NO"))
        )
    return "\n".join(lines)


PARETO_FILES = ("pareto.json", "pareto.png")
"""The files :func:`write_pareto` writes."""


def pareto_figure(front: ParetoFront) -> Any:
    """Welfare against burden dispersion, coloured by the peak; anchors labelled, points
    that are not certified drawn hollow."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    pts = front.points
    peaks = np.array([p.peak for p in pts])
    sc = ax.scatter(
        [p.dispersion for p in pts],
        [p.welfare for p in pts],
        c=peaks,
        cmap="viridis",
        s=60,
        edgecolors="k",
    )
    for p in pts:
        if not p.certified:
            ax.scatter([p.dispersion], [p.welfare], s=140, facecolors="none", edgecolors="r")
        if not p.label.startswith("ε"):
            ax.annotate(
                p.label,
                (p.dispersion, p.welfare),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
            )
    fig.colorbar(sc, ax=ax, label="peak net load (kW per household)")
    ax.set_xlabel("burden dispersion (pp², lower is more equal)")
    ax.set_ylabel("household welfare ($/household/day)")
    ax.set_title("Efficiency–equity–stability front (ε-constraints; red ring: not certified)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def write_pareto(front: ParetoFront, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write :data:`PARETO_FILES` into ``folder``; existing files only with ``force``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(folder)
    check_outputs([out / f for f in PARETO_FILES], force=force)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        write_text(out / "pareto.json", json.dumps(pareto_numbers(front), indent=2), force=force)
    ]
    fig = pareto_figure(front)
    save = partial(fig.savefig, dpi=120, format="png")
    paths.append(write_with(out / "pareto.png", save, force=force))
    plt.close(fig)
    return paths
