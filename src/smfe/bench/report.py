r"""``smfe bench report``: the tidy table, performance and data profiles, agreement, failures.

Definitions (named tolerances in :class:`ReportTolerances`):

* **solved** — a task *solved* instance p when its answer is certified (status ``optimal``:
  the method converged and smfe's certificate passed) and its objective is within
  ``objective`` (relative, at least absolute for |J| < 1) of the best known objective of p:
  the maximum of the sidecar's and of every certified answer in the store. A certified local
  optimum worse than that counts as *not solved* ("worse local optimum").
* **performance profile** (Dolan & Moré 2002) of solver s over the instances P of a class:
  :math:`\rho_s(\tau) = |\{p : t_{p,s} \le \tau \min_{s'} t_{p,s'}\}| / |P|`, with
  :math:`t_{p,s} = \infty` when s did not solve p; t is the solve time inside the task
  (without process start-up).
* **data profile** (Moré & Wild 2009): :math:`d_s(\alpha) = |\{p : t_{p,s} \le \alpha\,
  u_p\}| / |P|`, the budget in units :math:`u_p` = (n_θ + 1) MFE solves of p (one MFE solve
  for an MFE instance): the cost of one finite-difference gradient.
* **agreement** of two solvers on an instance both answered with a certificate: objectives
  within ``objective``, θ within ``theta`` (max-norm) and ν within ``nu`` (1-norm).
* **failure taxonomy**: how each task that did not solve its instance ended.

Classes: instances are profiled by problem (leader / MFE) and response (soft / exact); a
solver enters a class's profile unless it refused every instance of it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from smfe.bench.run import RESULTS, read_index
from smfe.bench.store import Store
from smfe.errors import InstanceError

OUTCOME_ORDER = ("crashed", "timeout", "out_of_memory", "error", "unavailable", "refused")


@dataclass(frozen=True)
class ReportTolerances:
    objective: float = 1e-6
    theta: float = 1e-4
    nu: float = 1e-4


def tidy(folder: str | Path) -> Any:
    """The results store as a pandas DataFrame (one row per task)."""
    store = Store(Path(folder) / RESULTS)
    df = store.table().to_pandas()
    if df.empty:
        raise InstanceError(str(folder), "has no results; run `smfe bench run` first")
    df["klass"] = [
        f"{p} · {'exact' if 'exact' in t.split(',') else 'soft'}"
        for p, t in zip(df["problem"], df["tags"], strict=True)
    ]
    return df


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def add_solved(df: Any, tol: ReportTolerances) -> Any:
    """Columns ``best_objective`` (per instance) and ``solved`` (module docstring)."""
    cert = df[df["certified"]]
    best = cert.groupby("instance")["objective"].max()
    ref = df.groupby("instance")["reference_objective"].first()
    best = best.reindex(ref.index).fillna(-np.inf)
    df["best_objective"] = df["instance"].map(np.maximum(best, ref))
    gap = [
        _rel(o, b) if np.isfinite(o) else np.inf
        for o, b in zip(df["objective"], df["best_objective"], strict=True)
    ]
    df["solved"] = df["certified"] & (np.array(gap) <= tol.objective)
    evaluations = np.where(df["problem"] == "leader", df["n_theta"] + 1, 1)
    df["budget_unit"] = df["mfe_seconds"] * evaluations
    return df


def _entered(df: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for klass, part in df.groupby("klass"):
        out[str(klass)] = sorted(
            s for s, g in part.groupby("solver") if not (g["outcome"] == "refused").all()
        )
    return out


def times(df: Any, klass: str, solvers: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(instances, t[p, s] with ∞ where not solved, budget units u[p]) of a class."""
    part = df[df["klass"] == klass]
    instances = sorted(part["instance"].unique())
    t = np.full((len(instances), len(solvers)), np.inf)
    unit = np.ones(len(instances))
    for i, inst in enumerate(instances):
        rows = part[part["instance"] == inst]
        unit[i] = float(rows["budget_unit"].iloc[0])
        for j, s in enumerate(solvers):
            r = rows[(rows["solver"] == s) & rows["solved"]]
            if len(r):
                t[i, j] = max(float(r["seconds"].iloc[0]), 1e-6)
    return instances, t, unit


def performance_profile(t: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """ρ[s, k] = fraction of instances solved within taus[k] × the best time."""
    best = np.min(t, axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        ratio = np.where(np.isfinite(best), t / best, np.inf)
    return np.array([[np.mean(ratio[:, j] <= tau) for tau in taus] for j in range(t.shape[1])])


def data_profile(t: np.ndarray, unit: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """d[s, k] = fraction of instances solved within alphas[k] budget units."""
    cost = t / unit[:, None]
    return np.array([[np.mean(cost[:, j] <= a) for a in alphas] for j in range(t.shape[1])])


def agreement(df: Any, tol: ReportTolerances) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(solvers, agreeing[i, j], compared[i, j]) over instances both answered certified."""
    cert = df[df["certified"]]
    solvers = sorted(cert["solver"].unique())
    n = len(solvers)
    agree, compared = np.zeros((n, n), int), np.zeros((n, n), int)
    by = {(r.instance, r.solver): r for r in cert.itertuples()}
    for inst in cert["instance"].unique():
        for i, a in enumerate(solvers):
            for j, b in enumerate(solvers):
                ra, rb = by.get((inst, a)), by.get((inst, b))
                if ra is None or rb is None:
                    continue
                compared[i, j] += 1
                ta, tb = np.asarray(ra.theta), np.asarray(rb.theta)
                na, nb = np.asarray(ra.nu), np.asarray(rb.nu)
                ok = (
                    _rel(ra.objective, rb.objective) <= tol.objective
                    and ta.shape == tb.shape
                    and (ta.size == 0 or float(np.max(np.abs(ta - tb))) <= tol.theta)
                    and na.shape == nb.shape
                    and float(np.sum(np.abs(na - nb))) <= tol.nu
                )
                agree[i, j] += int(ok)
    return solvers, agree, compared


def failure(row: Any) -> str:
    """How a task that did not solve its instance ended (the taxonomy's category)."""
    if row.outcome != "ok":
        return str(row.outcome)
    if row.solved:
        return "solved"
    if row.certified:
        return "worse local optimum"
    return f"not certified ({row.status})"


# ---- figures -------------------------------------------------------------------------------


def _plot_profiles(
    path: Path, x: np.ndarray, curves: np.ndarray, solvers: list[str], xlabel: str, title: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for j, s in enumerate(solvers):
        ax.step(x, curves[j], where="post", label=s)
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of instances solved")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_agreement(path: Path, solvers: list[str], agree: np.ndarray, n: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frac = np.where(n > 0, agree / np.maximum(n, 1), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(solvers), 1.0 + 0.6 * len(solvers)))
    im = ax.imshow(frac, vmin=0, vmax=1, cmap="RdYlGn")
    ax.set_xticks(range(len(solvers)), solvers, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(solvers)), solvers, fontsize=8)
    for i in range(len(solvers)):
        for j in range(len(solvers)):
            if n[i, j]:
                ax.text(j, i, f"{agree[i, j]}/{n[i, j]}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction agreeing")
    ax.set_title("agreement on J, θ and ν (certified answers)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- the report ----------------------------------------------------------------------------

Block = tuple[str, Any]


def _table(header: list[str], rows: list[list[Any]]) -> Block:
    return ("table", (header, rows))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "–" if not np.isfinite(v) else f"{v:.3g}"
    return str(v)


def _cell(text: str) -> str:
    return " ".join(str(text).split())[:120].replace("|", "/")


def _markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for kind, body in blocks:
        if kind == "h":
            level, text = body
            out.append("#" * level + " " + text)
        elif kind == "p":
            out.append(body)
        elif kind == "img":
            out.append(f"![{body[1]}]({body[0]})")
        else:
            header, rows = body
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in rows]
        out.append("")
    return "\n".join(out)


def _html(blocks: list[Block], title: str) -> str:
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>"
        "</head><body>",
    ]
    for kind, body in blocks:
        if kind == "h":
            out.append(f"<h{body[0]}>{html.escape(body[1])}</h{body[0]}>")
        elif kind == "p":
            out.append(f"<p>{html.escape(body)}</p>")
        elif kind == "img":
            out.append(f"<img src='{html.escape(body[0])}' alt='{html.escape(body[1])}'>")
        else:
            header, rows = body
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
            out += [
                "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>"
                for r in rows
            ]
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def _occupied(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


@dataclass(frozen=True)
class Report:
    folder: Path
    files: tuple[Path, ...]
    summary: list[dict[str, Any]]
    markdown: str


def report(
    folder: str | Path,
    out: str | Path | None = None,
    tol: ReportTolerances | None = None,
    *,
    force: bool = False,
) -> Report:
    """Write the report of ``folder``'s results into ``out`` (default ``folder/report``, which
    belongs to the suite and is rewritten). A folder given as ``out`` that already holds files
    is written into only with ``force`` (a typed error otherwise: nothing of yours is
    overwritten)."""
    tol = tol or ReportTolerances()
    folder = Path(folder)
    index = read_index(folder)
    if out is not None and not force and _occupied(Path(out)):
        raise InstanceError("--out", f"{out} exists and is not empty; use --force to write into it")
    out = Path(out) if out is not None else folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    df = add_solved(tidy(folder), tol)
    df["category"] = [failure(r) for r in df.itertuples()]
    files: list[Path] = []
    flat = df.drop(columns=["nu"]).assign(theta=[json.dumps(list(v)) for v in df["theta"]])
    flat.to_csv(out / "results.csv", index=False)
    df.to_parquet(out / "results.parquet", index=False)
    files += [out / "results.csv", out / "results.parquet"]
    blocks: list[Block] = [
        ("h", (1, f"smfe bench report — suite {index['suite']}")),
        (
            "p",
            f"{df['instance'].nunique()} instances, {df['solver'].nunique()} solvers, "
            f"{len(df)} tasks; tolerances: objective {tol.objective:g} (relative), "
            f"θ {tol.theta:g} (max-norm), ν {tol.nu:g} (1-norm). "
            f"smfe {', '.join(sorted(df['smfe_version'].unique()))}.",
        ),
    ]
    summary: list[dict[str, Any]] = []
    for klass, solvers in _entered(df).items():
        if not solvers:
            continue
        instances, t, unit = times(df, klass, solvers)
        slug = klass.replace(" · ", "-")
        with np.errstate(invalid="ignore"):
            ratio = t / np.min(t, axis=1, keepdims=True)
        finite = ratio[np.isfinite(ratio)]
        top = float(finite.max()) if finite.size else 2.0
        taus = np.unique(np.concatenate([[1.0], np.geomspace(1.0, max(top, 2.0) * 1.5, 200)]))
        rho = performance_profile(t, taus)
        fu = (t / unit[:, None])[np.isfinite(t)]
        alphas = np.geomspace(
            max(fu.min() / 2, 1e-3) if fu.size else 1e-2,
            max(fu.max() * 2, 1.0) if fu.size else 10.0,
            200,
        )
        d = data_profile(t, unit, alphas)
        pp, dp = out / f"performance-{slug}.png", out / f"data-{slug}.png"
        _plot_profiles(
            pp,
            taus,
            rho,
            solvers,
            "τ (time / best time)",
            f"performance profile, {klass} ({len(instances)} instances)",
        )
        _plot_profiles(
            dp,
            alphas,
            d,
            solvers,
            "budget (units of (n_θ+1) MFE solves)",
            f"data profile, {klass} ({len(instances)} instances)",
        )
        files += [pp, dp]
        rows = []
        part = df[df["klass"] == klass]
        for j, s in enumerate(solvers):
            g = part[part["solver"] == s]
            solved_t = t[:, j][np.isfinite(t[:, j])]
            row = {
                "class": klass,
                "solver": s,
                "instances": len(instances),
                "solved": int(np.isfinite(t[:, j]).sum()),
                "certified": int(g["certified"].sum()),
                "fastest": float(rho[j, 0]),
                "within_10x": float(np.mean(t[:, j] <= 10 * np.min(t, axis=1))),
                "median_s": float(np.median(solved_t)) if solved_t.size else float("nan"),
                "failures": int(len(g) - g["solved"].sum()),
            }
            summary.append(row)
            rows.append(
                [
                    s,
                    row["solved"],
                    row["certified"],
                    row["fastest"],
                    row["within_10x"],
                    row["median_s"],
                    row["failures"],
                ]
            )
        blocks += [
            ("h", (2, f"{klass}: {len(instances)} instances")),
            _table(
                [
                    "solver",
                    "solved",
                    "certified",
                    "ρ(1) fastest",
                    "ρ(10)",
                    "median time of solved (s)",
                    "not solved",
                ],
                rows,
            ),
            ("img", (pp.name, f"performance profile {klass}")),
            ("img", (dp.name, f"data profile {klass}")),
        ]
    solvers, agree, n = agreement(df, tol)
    if solvers:
        ap = out / "agreement.png"
        _plot_agreement(ap, solvers, agree, n)
        files.append(ap)
        blocks += [
            ("h", (2, "Cross-method agreement")),
            (
                "p",
                "Each cell: instances on which both solvers' certified answers agree on J, θ "
                "and ν within the tolerances / instances both answered with a certificate.",
            ),
            _table(
                ["", *solvers],
                [
                    [a, *(f"{agree[i, j]}/{n[i, j]}" for j in range(len(solvers)))]
                    for i, a in enumerate(solvers)
                ],
            ),
            ("img", (ap.name, "agreement matrix")),
        ]
    tax = df.groupby(["solver", "category"]).size().unstack(fill_value=0)
    cats = [c for c in ("solved", "worse local optimum") if c in tax.columns]
    cats += sorted(c for c in tax.columns if c.startswith("not certified"))
    cats += [c for c in OUTCOME_ORDER if c in tax.columns]
    blocks += [
        ("h", (2, "Failure taxonomy")),
        (
            "p",
            "How every task ended: solved; certified but worse than the best known objective; "
            "answered but not certified (its status); or the process ended without an answer.",
        ),
        _table(["solver", *cats], [[s, *(int(tax.loc[s, c]) for c in cats)] for s in tax.index]),
    ]
    bad = df[df["outcome"].isin(OUTCOME_ORDER[:5])]
    if len(bad):
        blocks.append(
            _table(
                ["instance", "solver", "outcome", "detail"],
                [[r.instance, r.solver, r.outcome, _cell(r.detail)] for r in bad.itertuples()],
            )
        )
    md = _markdown(blocks)
    (out / "report.md").write_text(md)
    (out / "report.html").write_text(_html(blocks, f"smfe bench report — {index['suite']}"))
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    files += [out / "report.md", out / "report.html", out / "summary.json"]
    return Report(out, tuple(files), summary, md)
