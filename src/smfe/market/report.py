"""The tariff study as numbers (JSON), a printed report and matplotlib figures.

Units: rates $/kWh, wholesale price $/MWh, net load kW per household, bills $/household/day,
energy burden % of income (a representative summer day × 365, so an upper bound on the
annual burden, data-sources §4.6).
"""

from __future__ import annotations

import dataclasses
import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from smfe.files import check_outputs, write_text, write_with
from smfe.market.solve import RULE_TOL, TariffOutcome, TariffStudy


def _num(v: Any) -> Any:
    a = np.asarray(v, dtype=np.float64)
    return a.round(10).tolist() if a.ndim else round(float(a), 10)


def tariff_numbers(study: TariffStudy, t: TariffOutcome) -> dict[str, Any]:
    """Every reported number of one tariff."""
    o = t.outcomes
    lam = np.asarray(o["wholesale_price"]) * 1000.0
    N = np.asarray(o["net_load"])
    mk = study.market.market
    cert = t.result.certificate
    return {
        "theta": dict(zip(study.market.game.decision.names, _num(t.theta), strict=True)),
        "objective": _num(t.objective),
        "retail_rate": _num(o["retail_rate"]),
        "export_credit": _num(o["export_credit"]),
        "wholesale_price": _num(lam),
        "price_volatility_std": _num(lam.std()),
        "net_load": _num(N),
        "peak_net_load": _num(N.max()),
        "max_ramp": _num(np.abs(np.diff(np.append(N, N[0]))).max()),
        "load_factor": _num(N.mean() / N.max()),
        "revenue": _num(o["revenue"]),
        "energy_cost": _num(o["energy_cost"]),
        "requirement": _num(o["requirement"]),
        "revenue_gap": _num(o["revenue_gap"]),
        "welfare": _num(o["welfare"]),
        "cost_shift": _num(o["cost_shift"]),
        "group_bill": dict(zip([g.name for g in mk.groups], _num(o["group_bill"]), strict=True)),
        "energy_burden_pct": dict(zip([g.name for g in mk.groups], _num(o["burden"]), strict=True)),
        "burden_dispersion": _num(o["burden_dispersion"]),
        "type_bill": dict(
            zip([k.name for k in study.market.types], _num(o["type_bill"]), strict=True)
        ),
        "status": str(t.result.status),
        "certificate": None if cert is None else {k: _num(v) for k, v in cert.residuals.items()},
    }


def study_numbers(study: TariffStudy) -> dict[str, Any]:
    """The whole study as plain JSON-able data."""
    tariffs = {**study.baselines, "optimal": study.optimal}
    return {
        "instance": study.market.market.name,
        "method": study.method,
        "tau": study.market.game.tau,
        "weights": {k: getattr(study.weights, k) for k in study.weights.__dataclass_fields__},
        "tariff_family": {
            "energy": study.market.tariff.energy,
            "blocks": list(study.market.tariff.blocks),
            "pass_through": study.market.tariff.pass_through,
            "export": study.market.tariff.export,
            "fixed": study.market.tariff.fixed,
        },
        "tariffs": {k: tariff_numbers(study, t) for k, t in tariffs.items()},
        "kkt": {
            "residual": study.kkt.residual,
            "multiplier": study.kkt.multiplier,
            "active_bounds": list(study.kkt.active),
            "shadow_prices": dict(study.kkt.shadow_prices),
        },
        "rules": {
            "spec": dataclasses.asdict(study.rules),
            "in_force": study.rules.describe(),
            "rows": {
                n: {"value": float(v), "shadow_price": study.kkt.shadow_prices.get(n, 0.0)}
                for n, v in zip(study.rule_names, study.optimal_point_rules, strict=True)
            },
            "reference_bills": None
            if study.reference_bills is None
            else dict(
                zip(
                    [g.name for g in study.market.market.groups],
                    _num(study.reference_bills),
                    strict=True,
                )
            ),
            "hold": study.rules_hold,
        },
        "cross_check": None
        if study.cross_check is None
        else {
            "agree": study.cross_check.ok,
            "differences": {
                f"{a} vs {b}": d for (a, b), d in study.cross_check.differences.items()
            },
        },
        "certified": study.certified,
        "solver": study.solver_report,
        "timings": study.timings,
    }


def format_report(study: TariffStudy) -> str:
    """The printed report: the optimal tariff, then one table comparing every tariff."""
    nums = study_numbers(study)
    tariffs = nums["tariffs"]
    names = list(tariffs)
    lines = [f"Tariff study on {nums['instance']} (method {nums['method']}, τ = {nums['tau']} $)"]
    lines.append("")
    lines.append("Optimal tariff:")
    for k, v in tariffs["optimal"]["theta"].items():
        unit = "$/day" if k.startswith("fixed") else ("share" if k == "pass_through" else "$/kWh")
        lines.append(f"  {k:<24} {v:10.4f} {unit}")
    lines.append("")
    w = 12
    head = f"{'':<30}" + "".join(f"{n:>{w}}" for n in names)
    lines.append(head)

    def row(label: str, fn: Any, fmt: str = "{:.4f}") -> None:
        lines.append(f"{label:<30}" + "".join(f"{fmt.format(fn(tariffs[n])):>{w}}" for n in names))

    row("leader objective", lambda t: t["objective"])
    row("wholesale price std $/MWh", lambda t: t["price_volatility_std"], "{:.2f}")
    row("wholesale price max $/MWh", lambda t: max(t["wholesale_price"]), "{:.2f}")
    row("peak net load kW/hh", lambda t: t["peak_net_load"])
    row("max hourly ramp kW/hh", lambda t: t["max_ramp"])
    row("revenue $/hh/day", lambda t: t["revenue"])
    row("revenue gap $/hh/day", lambda t: t["revenue_gap"], "{:.1e}")
    row("welfare $/hh/day", lambda t: t["welfare"])
    row("cost shift $/hh/day", lambda t: t["cost_shift"])
    for g in tariffs["optimal"]["group_bill"]:
        row(f"bill {g} $/day", lambda t, g=g: t["group_bill"][g])
    for g in tariffs["optimal"]["energy_burden_pct"]:
        row(f"energy burden {g} %", lambda t, g=g: t["energy_burden_pct"][g], "{:.2f}")
    row("burden dispersion pp²", lambda t: t["burden_dispersion"])
    lines.append("")
    lines.append("Wholesale price by hour ($/MWh):")
    for n in names:
        lines.append(f"  {n:<10}" + " ".join(f"{v:5.0f}" for v in tariffs[n]["wholesale_price"]))
    lines.append("Retail rate by hour ($/kWh):")
    for n in names:
        lines.append(
            f"  {n:<10}"
            + " ".join(f"{v:5.3f}"[1:] if v < 1 else f"{v:5.2f}" for v in tariffs[n]["retail_rate"])
        )
    lines.append("")
    active = ", ".join(nums["kkt"]["active_bounds"]) or "none"
    lines.append(
        f"Certificate of the optimum: {tariffs['optimal']['status']}; KKT residual "
        f"{nums['kkt']['residual']:.2e}; active bounds: {active}"
    )
    binding = {k: v for k, v in nums["kkt"]["shadow_prices"].items() if v != 0.0}
    if study.rules.active:
        lines.append(
            "Rules: "
            + "; ".join(study.rules.describe())
            + " — they "
            + ("hold" if study.rules_hold else "are VIOLATED")
        )
        lines.append(
            "Binding rules and shadow prices ($/hh/day per unit relaxation): "
            + (", ".join(f"{k} {v:+.4g}" for k, v in binding.items()) or "none bind")
        )
        broken = [n for n, v in nums["rules"]["rows"].items() if v["value"] > RULE_TOL]
        if broken:
            lines.append("Broken rules: " + ", ".join(broken))
    optima = study.solver_report.get("local_optima", {})
    if len(optima) > 1:
        found = ", ".join(f"{n} {v:.8f}" for n, v in optima.items())
        lines.append(f"Multi-start (objective reached from each baseline): {found}")
    elif optima:
        lines.append(f"Single start, from {study.solver_report.get('start')}")
    if study.cross_check is not None:
        lines.append("Cross-check (followers' MFE at the optimum, iterative vs F1 + Ipopt):")
        lines.extend("  " + s for s in str(study.cross_check).splitlines())
    total = study.timings.get("total", 0.0)
    lines.append(f"Certified: {'yes' if study.certified else 'NO'}   time {total:.1f} s")
    return "\n".join(lines)


def headline_table(numbers: dict[str, Any]) -> str:
    """The README's headline table (Markdown) from the numbers of a study (``market.json``);
    a test checks that the README shows exactly the table of a fresh run."""
    t = numbers["tariffs"]
    names = [n for n in ("flat", "tou", "real-time", "optimal") if n in t]
    head = {"flat": "flat", "tou": "TOU", "real-time": "real-time", "optimal": "optimal"}

    def num(x: float, fmt: str) -> str:
        return (fmt.format(x)).replace("-", "−")

    def gap(x: float) -> str:
        return "0" if abs(x) < 5e-8 else num(x, "{:.1e}")

    groups = list(t[names[-1]]["energy_burden_pct"])
    lo, hi = groups[0], groups[-1]
    rows = [
        ("leader objective ($/hh/day)", lambda o: num(o["objective"], "{:.3f}")),
        ("wholesale price std ($/MWh)", lambda o: num(o["price_volatility_std"], "{:.2f}")),
        ("peak net load (kW/hh)", lambda o: num(o["peak_net_load"], "{:.3f}")),
        ("revenue gap ($/hh/day)", lambda o: gap(o["revenue_gap"])),
        ("household welfare ($/hh/day)", lambda o: num(o["welfare"], "{:.3f}")),
        ("cost shift to non-adopters ($/hh/day)", lambda o: num(o["cost_shift"], "{:.3f}")),
        (
            f"electricity burden {lo} / {hi} (%)",
            lambda o: f"{o['energy_burden_pct'][lo]:.2f} / {o['energy_burden_pct'][hi]:.2f}",
        ),
        ("burden dispersion (pp²)", lambda o: num(o["burden_dispersion"], "{:.2f}")),
    ]
    lines = ["| | " + " | ".join(head[n] for n in names) + " |"]
    lines.append("|---" * (len(names) + 1) + "|")
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(t[n]) for n in names) + " |")
    return "\n".join(lines)


OUTPUT_FILES = ("market.json", "tariff.png", "net_load.png", "wholesale_price.png", "burden.png")
"""The files :func:`write_outputs` writes into its folder."""


def _hourly(values: Any) -> tuple[Any, Any]:
    """Step-plot data covering the whole day: hour h's value held over [h, h + 1)."""
    v = np.asarray(values, dtype=np.float64)
    return np.arange(v.size + 1), np.append(v, v[-1])


def figures(study: TariffStudy) -> dict[str, Any]:
    """The four matplotlib figures of a study, by file name (tariff, net load, wholesale
    price by hour; energy burden by group), one line or bar per tariff."""
    import matplotlib.pyplot as plt

    tariffs = study_numbers(study)["tariffs"]
    out: dict[str, Any] = {}
    for key, ylabel, title, fname in (
        ("retail_rate", "retail rate ($/kWh)", "Retail energy rate by hour", "tariff.png"),
        ("net_load", "net load (kW per household)", "Residential net load by hour", "net_load.png"),
        (
            "wholesale_price",
            "wholesale price ($/MWh)",
            "Wholesale price by hour",
            "wholesale_price.png",
        ),
    ):
        fig, ax = plt.subplots(figsize=(7, 4))
        for n, t in tariffs.items():
            x, y = _hourly(t[key])
            ax.step(x, y, where="post", label=n, lw=2.2 if n == "optimal" else 1.2)
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3))
        ax.set_xlabel("hour of day (each step covers [h, h + 1))")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title} — {study.market.market.name}")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out[fname] = fig
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = list(tariffs["optimal"]["energy_burden_pct"])
    width = 0.8 / len(tariffs)
    for i, (n, t) in enumerate(tariffs.items()):
        ax.bar(
            np.arange(len(groups)) + i * width,
            [t["energy_burden_pct"][g] for g in groups],
            width,
            label=n,
        )
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2, groups)
    ax.set_xlabel("income group")
    ax.set_ylabel("electricity burden (% of income)")
    ax.set_title(f"Electricity burden by income group — {study.market.market.name}")
    ax.legend()
    fig.tight_layout()
    out["burden.png"] = fig
    return out


def write_outputs(study: TariffStudy, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write :data:`OUTPUT_FILES` into ``folder`` (created), each atomically; an existing
    file is replaced only with ``force``. Returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(folder)
    check_outputs([out / f for f in OUTPUT_FILES], force=force)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(study_numbers(study), indent=2)
    paths = [write_text(out / "market.json", text, force=force)]
    for fname, fig in figures(study).items():
        paths.append(
            write_with(out / fname, partial(fig.savefig, dpi=120, format="png"), force=force)
        )
        plt.close(fig)
    return paths
