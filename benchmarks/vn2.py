"""VN2 pseudo-competitions cut from the history: vn2_benchmark against DirectBackprop.

The competition's own weeks are not in shared/, so the windows are cut from the history with
the competition's rules (SCENARIOS.md section 6): 6 weekly decisions, lead time 2, weeks 3 to
8 of the window scored, holding and shortage summed over the 599 series. The start state of
a window is what ``vn2_benchmark`` leaves after the 8 weeks before it, from an empty state
(the same for every policy: the comparison is paired). DirectBackprop is trained on the weeks
before each window only, one network across all series, for ``--steps`` gradient steps.

Windows: the first ``--validation`` windows (the earliest) are the ones to choose settings on;
the table reports them apart and pools only the others (the test windows). Default: 2
validation windows starting 2023-02-27 and 2023-04-10 (weeks 98 and 104) and 8 test windows of
the last year, starting every 6 weeks from 2023-05-08 (week 108) to 2024-01-15 (week 144),
then 2024-02-19 (week 149, the last whose 8 weeks are in the file). Paired 95% intervals:
Student t over the test windows of the per-window relative difference.

The DBP settings (base_stock, 150 steps of 128 rows, learning rate 0.01, window 32) were fixed
before this benchmark from two exploratory 100-step runs, at the windows starting 2023-10-30
and 2024-02-19 (which overlap test windows 2023-10-23 and 2024-02-19: a mild look at the test
set, said in benchmarks/README.md); there was no sweep.

Writes ``benchmarks/results/vn2.json`` one window at a time (atomically; a rerun resumes) and
``vn2.md``. ``--quick``: a smoke test on synthetic data (no VN2 files needed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VN2 = ROOT / ".." / "shared" / "data" / "vn2"
RESULTS = Path(__file__).parent / "results"
COSTS = {"lead_time": 2, "holding_cost": 0.2, "lost_sales_cost": 1.0}
ROUNDS = 6
PTO = ("pto_moving_average", "pto_ets", "pto_lightgbm")
VALIDATION = (74, 80, 86, 92, 98, 104)
"""Starts of the validation windows (2022-09-12 .. 2023-04-10): every setting is chosen here."""
TEST = (108, 114, 120, 126, 132, 138, 144, 149)
"""Starts of the test windows (2023-05-08 .. 2024-02-19): reported, never tuned on."""


def interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its Student t 95% interval."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean()), float(half)


def synthetic_panel(seed: int = 0):
    from inventory_gym.data import Panel

    rng = np.random.default_rng(seed)
    n, t = 12, 100
    level = rng.uniform(0.5, 6, size=(n, 1))
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(t) / 52)
    sales = rng.poisson(level * season).astype(float)
    flags = rng.random((n, t)) > 0.1
    dates = np.datetime64("2022-01-03") + 7 * np.arange(t)
    ids = np.array([[str(i)] for i in range(n)], dtype=object)
    return Panel(("id",), ids, dates, np.where(flags, sales, 0.0), flags)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(VN2), help="folder of the VN2 files")
    parser.add_argument("--starts", default=",".join(str(s) for s in (*VALIDATION, *TEST)))
    parser.add_argument(
        "--validation",
        default=",".join(str(s) for s in VALIDATION),
        help="the starts among --starts that are validation windows (the others are test)",
    )
    parser.add_argument("--steps", type=int, default=150, help="DBP gradient steps (150)")
    parser.add_argument("--batch-size", type=int, default=128, help="DBP rows per step (128)")
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--kind", default="base_stock", help="DBP network (base_stock)")
    parser.add_argument("--window", type=int, default=32, help="DBP history window (32)")
    parser.add_argument("--warm-up", type=int, default=8, help="weeks of the start state (8)")
    parser.add_argument("--seeds", default="0", help="DBP seeds, comma-separated (0)")
    parser.add_argument(
        "--last-year",
        default="0,3",
        help="DBP variants: their last_year option (0: off; m: last season's lift over the "
        "m periods ahead as features), comma-separated; the table's dbp is the variant of the "
        "lowest validation cost (0,3)",
    )
    parser.add_argument("--name", default=None, help="results file name (vn2)")
    parser.add_argument(
        "--only", default=None, help="run only the policies of these name prefixes (all)"
    )
    parser.add_argument(
        "--merge",
        default=None,
        metavar="NAME,NAME",
        help="only merge the windows of these results files (runs split over processes) into "
        "--name's table",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test on synthetic data")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)

    from baselines.backtest import PTO_SETTINGS, PerfectForesight, VN2Benchmark, make_panel_pto
    from dbp.config import TrainConfig
    from dbp.panel import PanelOptions, train_panel
    from inventory_gym.data import read_panel
    from inventory_gym.data.backtest import backtest, backtest_instance, warm_state
    from inventory_gym.threads import set_threads

    set_threads(args.threads, torch=True)
    pto_settings = {k: dict(v) for k, v in PTO_SETTINGS.items()}
    if args.quick:
        panel = synthetic_panel()
        args.starts, args.validation, args.steps, args.batch_size = "80,86,92", "80", 3, 16
        args.window = 8
        # A smoke test: a small LightGBM (the real settings take minutes on 599 series).
        lgb = {**pto_settings["pto_lightgbm"]["forecaster"], "rounds": 10, "min_data_in_leaf": 5}
        pto_settings["pto_lightgbm"] = {**pto_settings["pto_lightgbm"], "forecaster": lgb}
        name = "vn2_quick"
    else:
        d = Path(args.data)
        panel = read_panel(d / "sales.csv", in_stock=d / "in_stock.csv", master=d / "master.csv")
        name = "vn2"
    name = args.name or name
    inst = backtest_instance("LostSalesLeadTime-v0", COSTS, panel)
    seeds = [int(x) for x in args.seeds.split(",")]
    starts = [int(s) for s in args.starts.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    if args.merge:
        merged: dict = {}
        for part in args.merge.split(","):
            doc = json.loads((out / f"{part}.json").read_text())
            if merged and doc["settings"] != merged["settings"]:
                raise SystemExit(f"--merge: {part}.json was run with other settings")
            merged.setdefault("settings", doc["settings"])
            merged.setdefault("windows", {}).update(doc["windows"])
        merged["windows"] = dict(sorted(merged["windows"].items()))
        path.write_text(json.dumps(merged, indent=2) + "\n")
        table = markdown(merged)
        (out / f"{name}.md").write_text(table)
        print(table)
        return 0
    validation = {int(s) for s in args.validation.split(",") if s}
    only = tuple(x for x in (args.only or "").split(",") if x)
    variants = [int(x) for x in args.last_year.split(",")]
    settings = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "kind": args.kind,
        "window": args.window,
        "warm_up": args.warm_up,
        "seeds": seeds,
        "last_year": variants,
        "threads": args.threads,
    }
    settings["pto"] = pto_settings
    done = json.loads(path.read_text()) if path.is_file() else {}
    if done.get("settings", {}).get("pto") != settings["pto"]:  # PTO rows redone, DBP kept
        for row in done.get("windows", {}).values():
            for label in PTO:
                row.pop(label, None)
        if "settings" in done:
            done["settings"]["pto"] = settings["pto"]
    # Seeds and variants are separate entries of each window: another list keeps the others.
    loose = ("seeds", "last_year", "pto")
    if {k: v for k, v in done.get("settings", {}).items() if k not in loose} != {
        k: v for k, v in settings.items() if k not in loose
    }:
        done = {"settings": settings, "windows": {}}
    for key in ("seeds", "last_year"):
        done["settings"][key] = sorted(set(done["settings"].get(key, [])) | set(settings[key]))
    dbps = [f"{_family(m)}_seed{s}" for m in variants for s in seeds]
    names = ["vn2_benchmark", *PTO, *dbps, "perfect_foresight"]
    for start in starts:
        key = str(panel.dates[start])
        row = done["windows"].setdefault(
            key, {"start": start, "validation": start in validation, "seconds": {}}
        )
        todo = [n for n in names if n not in row and (not only or n.startswith(only))]
        if not todo:
            continue
        init = warm_state(panel, VN2Benchmark(inst), inst, start=start, periods=args.warm_up)
        for label in todo:
            clock = time.perf_counter()
            if label.startswith("dbp"):
                family, seed = label.rsplit("_seed", 1)
                config = TrainConfig(
                    batch_size=args.batch_size,
                    horizon=24,
                    burn_in=8,
                    max_steps=args.steps,
                    learning_rate=args.learning_rate,
                    seed=int(seed),
                    threads=args.threads,
                )
                last = int(family[len("dbp_ly") :]) if family != "dbp" else 0
                options = PanelOptions(window=args.window, kind=args.kind, last_year=last)
                policy = train_panel(panel, inst, until=start, options=options, config=config)
                row["seconds"][f"{label}_train"] = time.perf_counter() - clock
                clock = time.perf_counter()
            elif label in PTO:
                policy = make_panel_pto(label, inst, pto_settings[label])
            elif label == "vn2_benchmark":
                policy = VN2Benchmark(inst)
            else:
                policy = PerfectForesight(inst)
            res = backtest(panel, policy, inst, start=start, rounds=ROUNDS, initial=init)
            row[label] = res.to_dict()
            row["seconds"][label] = time.perf_counter() - clock
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(done, indent=2) + "\n")
            tmp.replace(path)
            print(f"{key}: {label} {res.cost:.0f} ({row['seconds'][label]:.0f} s)", flush=True)
    table = markdown(done)
    (out / f"{name}.md").write_text(table)
    print(table)
    return 0


def _family(last_year: int) -> str:
    """The name of a DBP variant: ``dbp``, or ``dbp_ly<m>`` with last_year m."""
    return "dbp" if last_year == 0 else f"dbp_ly{last_year}"


def _families(row: dict) -> list[str]:
    return sorted({k.rsplit("_seed", 1)[0] for k in row if k.startswith("dbp") and "_seed" in k})


def _cost(row: dict, name: str) -> float:
    """A policy's cost in a window; a DBP variant's: the mean over its seeds."""
    if name.startswith("dbp"):
        seeds = [v["cost"] for k, v in row.items() if k.rsplit("_seed", 1)[0] == name]
        return float(np.mean(seeds))
    return float(row[name]["cost"])


def _versus(windows: list[dict], name: str, ref: str) -> str:
    """Pooled difference of ``name`` against ``ref`` and the paired t interval of the
    per-window differences, with the number of windows where ``name`` is lower."""
    a = np.array([_cost(r, name) for r in windows])
    b = np.array([_cost(r, ref) for r in windows])
    rel = 100 * (a - b) / b
    mean, half = interval(rel)
    pooled = 100 * (a.sum() - b.sum()) / b.sum()
    return (
        f"{pooled:+.1f}% (per window {mean:+.1f}% ± {half:.1f}; lower on "
        f"{int((rel < 0).sum())}/{len(rel)})"
    )


def best_of(done: dict, names: list[str] | tuple[str, ...]) -> str:
    """The one of ``names`` of the lowest pooled cost on the validation windows (chosen
    there, reported on the test windows)."""
    val = [r for r in done["windows"].values() if r["validation"]]
    have = [n for n in names if val and all(n in r or n in _families(r) for r in val)]
    if not have:
        return names[0]
    return min(have, key=lambda n: sum(_cost(r, n) for r in val))


def markdown(done: dict) -> str:
    """The table: every window whose benchmark and PTO rows are there (and the best DBP's,
    once validation has chosen it); a variant not run on a window shows as a dash."""
    windows = list(done["windows"].values())
    complete = [r for r in windows if all(n in r for n in ("vn2_benchmark", *PTO))]
    val = [r for r in complete if r["validation"]]
    families = sorted({f for r in complete for f in _families(r)})
    chosen = [f for f in families if val and all(f in _families(r) for r in val)]
    best = best_of(done, PTO)
    best_dbp = best_of(done, chosen) if chosen else None
    if best_dbp is not None:
        complete = [r for r in complete if best_dbp in _families(r)]
    has_dbp = best_dbp is not None
    cols = ["vn2_benchmark", *PTO, *(families if has_dbp else []), "perfect_foresight"]
    head = [*cols[:-1], "perfect_foresight (bound)"]
    rows = [
        "| window (first decision) | set | "
        + " | ".join(head)
        + " | best PTO vs benchmark"
        + (" | best DBP vs best PTO |" if has_dbp else " |"),
        "| --- | --- | "
        + " | ".join("---" for _ in head)
        + " | ---"
        + (" | --- |" if has_dbp else " |"),
    ]
    for key, row in done["windows"].items():
        if row not in complete:
            continue
        kind = "validation" if row["validation"] else "test"
        there = set(_families(row)) | set(row)
        cells = [f"{_cost(row, c):.0f}" if c in there else "-" for c in cols]
        b = _cost(row, "vn2_benchmark")
        rel = f"{100 * (_cost(row, best) - b) / b:+.1f}%"
        extra = ""
        if has_dbp:
            p = _cost(row, best)
            extra = f" | {100 * (_cost(row, best_dbp) - p) / p:+.1f}%"
        rows.append(f"| {key} | {kind} | " + " | ".join(cells) + f" | {rel}{extra} |")
    lines = ["\n".join(rows), ""]
    for label, flag in (("validation", True), ("test", False)):
        part = [r for r in complete if r["validation"] == flag]
        if not part:
            continue
        lines.append(f"Pooled over the {len(part)} {label} windows (paired 95% t intervals):")
        lines.append("")
        for name in cols[1:-1]:
            if all(name in r or name in _families(r) for r in part):
                lines.append(f"- {name} vs vn2_benchmark: {_versus(part, name, 'vn2_benchmark')}")
        if has_dbp:
            lines.append(
                f"- {best_dbp} (best DBP) vs {best} (best PTO): {_versus(part, best_dbp, best)}"
            )
        lines.append("")
    s = done["settings"]
    lines.append(
        f"Best PTO and best DBP (lowest pooled cost on the validation windows): {best}, "
        f"{best_dbp}. PTO settings: "
        f"{json.dumps(s['pto'])}. DBP: {s['kind']}, window {s['window']}, {s['steps']} steps "
        f"of {s['batch_size']} rows, learning rate {s['learning_rate']}, seeds {s['seeds']} "
        f"(cost: their mean), variants last_year {s.get('last_year', [0])} (dbp_ly<m>: "
        "last season's lift as features), "
        f"{s['threads']} thread(s). Start state: vn2_benchmark's after "
        f"{s['warm_up']} weeks. Costs in EUR over the series, weeks 3-8 of each window."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
