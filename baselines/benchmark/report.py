"""The report of a results folder: Markdown and CSV tables and two figures, beside the trials.

:func:`write_report` writes

- ``results.md``: the per-instance table (optimum, published value, each algorithm's mean gap
  with its interval over seeds and its mean score), the suite-wide table (IQM and mean score
  with their intervals, median and largest gap, instances within 2%) and the probabilities of
  improvement, with the settings the numbers depend on;
- ``results.csv``: the per-instance table, one row per instance;
- ``aggregates.csv``: the suite-wide table, one row per algorithm;
- ``profile.png``: the performance profile (fraction of runs within a gap tau of the optimum);
- ``gaps.png``: each instance's gap by algorithm, with its interval.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines.benchmark.aggregate import WITHIN, Aggregates, aggregate
from baselines.benchmark.store import load_records


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote."""

    files: dict[str, Path]
    """File name -> path."""
    aggregates: Aggregates


FILES = ("results.md", "results.csv", "aggregates.csv", "profile.png", "gaps.png")


def fmt(value: Any, digits: int = 2) -> str:
    """A table number: ``-`` for missing or NaN, never ``-0.00``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def interval(low_high: Sequence[float] | None, digits: int = 2) -> str:
    if low_high is None:
        return ""
    return f" [{fmt(low_high[0], digits)}, {fmt(low_high[1], digits)}]"


def budget_text(budget: int | None, unit: str | None) -> str:
    return "-" if budget is None else f"{budget:,} {unit or 'steps'}"


def instance_rows(agg: Aggregates) -> list[dict[str, Any]]:
    """One row per instance: its optimum and reference, then each algorithm's numbers."""
    rows = []
    for name in agg.instances:
        info = agg.info[name]
        row: dict[str, Any] = {
            "instance": name,
            "optimum": info["optimum"],
            "published": info["published"],
            "reference": info["reference"],
            "reference_cost": info["reference_cost"],
        }
        for lab in agg.labels:
            cell = agg.cells.get((name, lab))
            low, high = cell.gap_ci if cell is not None and cell.gap_ci else (None, None)
            row[f"{lab} gap %"] = None if cell is None else cell.gap
            row[f"{lab} gap low"] = low
            row[f"{lab} gap high"] = high
            row[f"{lab} score"] = None if cell is None else cell.score
            row[f"{lab} cost"] = None if cell is None else cell.cost
            row[f"{lab} seeds"] = 0 if cell is None else cell.n
        rows.append(row)
    return rows


def summary_rows(agg: Aggregates) -> list[dict[str, Any]]:
    """One row per algorithm: the suite-wide numbers."""
    rows = []
    for lab in agg.labels:
        s = agg.summaries.get(lab)
        if s is None:
            continue
        rows.append(
            {
                "algorithm": lab,
                "budget": s.budget,
                "budget_unit": s.budget_unit,
                "seeds": len(s.seeds),
                "instances": len(agg.instances_used),
                "iqm_score": s.iqm,
                "iqm_low": s.iqm_ci[0],
                "iqm_high": s.iqm_ci[1],
                "mean_score": s.mean,
                "mean_low": s.mean_ci[0],
                "mean_high": s.mean_ci[1],
                "median_gap": s.median_gap,
                "max_gap": s.max_gap,
                f"within_{WITHIN:g}pct": s.within,
                "train_seconds": s.train_seconds,
            }
        )
    return rows


def markdown(agg: Aggregates, settings: dict[str, Any] | None = None) -> str:
    """``results.md``: the tables of :func:`write_report` with the settings they depend on."""
    settings = settings or {}
    lines = [f"# Benchmark: suite `{agg.suite}` v{agg.version}", ""]
    ev = settings.get("evaluation")
    if ev:
        lines.append(
            f"Every policy is scored on the same {ev['num_paths']:,} demand paths of "
            f"{ev['periods']:,} periods after a burn-in of {ev['burn_in']:,} (evaluation seed "
            f"{ev['seed']}): common random numbers across algorithms and training seeds."
        )
        lines.append("")
    if agg.gap_field == "paired_gap":
        gap_text = (
            "**gap**: cost above the optimal policy's cost on the same paths (common random "
            "numbers, the precise estimate), in percent of the exact optimum"
        )
    else:
        gap_text = "**gap**: cost above the exact optimum, in percent"
    lines += [
        f"{gap_text} (mean over training seeds; "
        "[95% bootstrap interval over seeds], none with one seed). **score**: 0 = the "
        "instance's reference heuristic, 100 = the optimum, from the same gap (100 (1 - gap / "
        "the reference's gap)). Intervals and aggregates by rliable (stratified bootstrap).",
        "",
    ]
    head = ["instance", "optimum", "published"]
    for lab in agg.labels:
        head += [f"{lab} gap %", f"{lab} score"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in agg.instances:
        info = agg.info[name]
        cells = [name, fmt(info["optimum"], 4), fmt(info["published"], 4)]
        for lab in agg.labels:
            cell = agg.cells.get((name, lab))
            if cell is None:
                cells += ["(not run)", ""]
                continue
            seeds = f" (n={cell.n})" if cell.n > 1 else ""
            cells += [fmt(cell.gap) + interval(cell.gap_ci) + seeds, fmt(cell.score, 1)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("## Across the suite")
    lines.append("")
    if not agg.summaries:
        lines.append("No instance is finished by every algorithm yet: no suite-wide numbers.")
    else:
        n_used, n_all = len(agg.instances_used), len(agg.instances)
        scope = (
            ""
            if n_used == n_all
            else f" (the {n_used} of {n_all} instances every algorithm finished)"
        )
        lines.append(
            f"Over the runs (seed x instance){scope}: the interquartile mean (IQM) and the "
            "mean of the score with 95% stratified-bootstrap intervals; the median and the "
            f"largest per-instance mean gap; instances with a mean gap within {WITHIN:g}%."
        )
        lines.append("")
        lines.append(
            "| algorithm | budget | seeds | IQM score | mean score | median gap % | max gap % "
            f"| within {WITHIN:g}% | train s/trial |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for lab in agg.labels:
            s = agg.summaries.get(lab)
            if s is None:
                continue
            lines.append(
                f"| {lab} | {budget_text(s.budget, s.budget_unit)} | {len(s.seeds)} | "
                f"{fmt(s.iqm, 1)}{interval(s.iqm_ci, 1)} | "
                f"{fmt(s.mean, 1)}{interval(s.mean_ci, 1)} | "
                f"{fmt(s.median_gap)} | {fmt(s.max_gap)} | {s.within}/{n_used} | "
                f"{fmt(s.train_seconds, 0)} |"
            )
        if agg.improvement:
            lines += [
                "",
                "Probability of improvement: P(X scores higher than Y on an instance), averaged "
                "over the instances, with its 95% interval (0.5: no difference).",
                "",
                "| X | Y | P(X > Y) |",
                "|---|---|---|",
            ]
            for (x, y), (p, band) in agg.improvement.items():
                lines.append(f"| {x} | {y} | {fmt(p)}{interval(band)} |")
    lines.append("")
    tail = []
    if settings.get("threads") is not None:
        tail.append(f"threads per trial: {settings['threads']}")
    if settings.get("versions"):
        tail.append(", ".join(f"{k} {v}" for k, v in settings["versions"].items() if v is not None))
    if settings.get("trials") is not None:
        tail.append(f"{settings['trials']} trial files in trials/")
    if tail:
        lines += ["; ".join(tail) + ".", ""]
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def _colors(labels: Sequence[str]) -> dict[str, Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return {lab: cmap(i % 10) for i, lab in enumerate(labels)}


def _log_ticks(ax: Any) -> None:
    """Plain-number ticks on a log x axis: 0.2, 0.5, 1, 2, 5... over two decades or less,
    powers of ten over more (their labels would collide)."""
    import math as _math

    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    low, high = ax.get_xlim()
    wide = _math.log10(high / low) > 2.5
    ticks = [m * 10.0**e for e in range(-4, 8) for m in ((1,) if wide else (1, 2, 5))]
    ax.xaxis.set_major_locator(FixedLocator([t for t in ticks if low <= t <= high]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.10g}"))
    ax.set_xlim(low, high)


def profile_figure(agg: Aggregates) -> Any:
    """The performance profile: fraction of (seed, instance) runs within a gap tau."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    colors = _colors(agg.labels)
    taus = agg.profile_taus
    for lab in agg.labels:
        if lab not in agg.profiles:
            continue
        s = agg.summaries[lab]
        ax.step(
            taus,
            agg.profiles[lab],
            where="post",
            color=colors[lab],
            lw=2,
            label=f"{lab} ({len(s.seeds)} seed{'s' if len(s.seeds) > 1 else ''})",
        )
        low, high = agg.profile_cis[lab]
        ax.fill_between(taus, low, high, step="post", color=colors[lab], alpha=0.15, lw=0)
    ax.axvline(WITHIN, color="0.4", ls=":", lw=1)
    ax.text(WITHIN, 1.0, f" {WITHIN:g}%", color="0.3", fontsize=9, va="top")
    ax.set_xscale("log")
    ax.set_xlim(taus[0], taus[-1])
    _log_ticks(ax)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("gap to the optimal cost τ (%, log scale)")
    ax.set_ylabel("fraction of runs with gap ≤ τ")
    several = any(len(s.seeds) > 1 for s in agg.summaries.values())
    bands = " (95% bootstrap bands)" if several else ""
    ax.set_title(
        f"{agg.suite} v{agg.version}: performance profile over "
        f"{len(agg.instances_used)} instances{bands}",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def gaps_figure(agg: Aggregates) -> Any:
    """Each instance's mean gap by algorithm (a dot per algorithm, its interval as a bar)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = agg.instances
    k = len(agg.labels)
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 1.4 + 0.32 * len(names) * max(1, k / 2))))
    colors = _colors(agg.labels)
    offsets = np.linspace(-0.3, 0.3, k) if k > 1 else np.zeros(1)
    positive = [c.gap for c in agg.cells.values() if c.gap > 0]
    floor = min(positive) / 2 if positive else 0.01
    log = bool(positive) and max(positive) / max(floor, 1e-9) > 30
    for j, lab in enumerate(agg.labels):
        ys, xs, lows, highs = [], [], [], []
        for i, name in enumerate(names):
            cell = agg.cells.get((name, lab))
            if cell is None:
                continue
            ys.append(i + offsets[j])
            xs.append(max(cell.gap, floor) if log else cell.gap)
            low, high = cell.gap_ci if cell.gap_ci else (cell.gap, cell.gap)
            lows.append(max(low, floor) if log else low)
            highs.append(max(high, floor) if log else high)
        xs_a = np.array(xs)
        ax.errorbar(
            xs_a,
            ys,
            xerr=[xs_a - np.array(lows), np.array(highs) - xs_a],
            fmt="o",
            ms=5,
            color=colors[lab],
            ecolor=colors[lab],
            elinewidth=1.5,
            capsize=2,
            label=lab,
        )
    ax.axvline(WITHIN, color="0.4", ls=":", lw=1)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        _log_ticks(ax)
        clipped = any(min(c.gap, *(c.gap_ci or (c.gap,))) < floor for c in agg.cells.values())
        note = f"; gaps below {floor:.2g}% drawn at it" if clipped else ""
        ax.set_xlabel(f"gap to the optimal cost (%, log scale{note})")
    else:
        ax.set_xlabel("gap to the optimal cost (%)")
    seeds = max((c.n for c in agg.cells.values()), default=1)
    what = "mean over seeds, 95% bootstrap interval" if seeds > 1 else "one seed"
    ax.set_title(
        f"{agg.suite} v{agg.version}: gap per instance ({what}; dotted: {WITHIN:g}%)", fontsize=10
    )
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.05 - 0.5 / len(names)),
        ncol=min(k, 4),
        fontsize=9,
        frameon=False,
    )
    fig.tight_layout()
    return fig


def write_report(
    out: str | Path,
    suite: Any = None,
    *,
    plots: bool = True,
    reps: int | None = None,
) -> Report:
    """Aggregate the trial files of ``out`` and write the report files beside them.

    Args:
        out: the results folder.
        suite: the suite (its instance order and evaluation settings); default: from
            ``suite.json``'s order.
        plots: draw ``profile.png`` and ``gaps.png`` (needs matplotlib).
        reps: bootstrap replications (default :data:`~baselines.benchmark.aggregate.REPS`).

    Returns:
        A :class:`Report`: the files written and the aggregates.

    Raises:
        ValueError: when the folder holds no trial record.
    """
    import json

    out = Path(out)
    records = load_records(out, suite)
    manifest = {}
    if (out / "suite.json").exists():
        manifest = json.loads((out / "suite.json").read_text())
    order = [i.name for i in suite.instances] if suite is not None else manifest.get("instances")
    options = {} if reps is None else {"reps": reps}
    agg = aggregate(records, instance_order=order, **options)
    threads = sorted({r.get("threads") for r in records if r.get("threads") is not None})
    settings = {
        "evaluation": records[0].get("evaluation") or manifest.get("evaluation"),
        "threads": ", ".join(map(str, threads)) if threads else None,
        "versions": records[-1].get("versions"),
        "trials": len(records),
    }
    files = {}
    files["results.md"] = out / "results.md"
    files["results.md"].write_text(markdown(agg, settings))
    files["results.csv"] = write_csv(out / "results.csv", instance_rows(agg))
    files["aggregates.csv"] = write_csv(out / "aggregates.csv", summary_rows(agg))
    if plots:
        import matplotlib.pyplot as plt

        if agg.profiles:
            fig = profile_figure(agg)
            fig.savefig(out / "profile.png", dpi=150)
            plt.close(fig)
            files["profile.png"] = out / "profile.png"
        fig = gaps_figure(agg)
        fig.savefig(out / "gaps.png", dpi=150, bbox_inches="tight")
        plt.close(fig)
        files["gaps.png"] = out / "gaps.png"
    return Report(files, agg)
