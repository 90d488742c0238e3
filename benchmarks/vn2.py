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
        "--validation", type=int, default=len(VALIDATION), help="validation windows (6)"
    )
    parser.add_argument("--steps", type=int, default=150, help="DBP gradient steps (150)")
    parser.add_argument("--batch-size", type=int, default=128, help="DBP rows per step (128)")
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--kind", default="base_stock", help="DBP network (base_stock)")
    parser.add_argument("--window", type=int, default=32, help="DBP history window (32)")
    parser.add_argument("--warm-up", type=int, default=8, help="weeks of the start state (8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test on synthetic data")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)

    from baselines.backtest import PerfectForesight, VN2Benchmark
    from dbp.config import TrainConfig
    from dbp.panel import PanelOptions, train_panel
    from inventory_gym.data import read_panel
    from inventory_gym.data.backtest import backtest, backtest_instance, warm_state
    from inventory_gym.threads import set_threads

    set_threads(args.threads, torch=True)
    if args.quick:
        panel = synthetic_panel()
        args.starts, args.validation, args.steps, args.batch_size = "80,86,92", 1, 3, 16
        args.window = 8
        name = "vn2_quick"
    else:
        d = Path(args.data)
        panel = read_panel(d / "sales.csv", in_stock=d / "in_stock.csv")
        name = "vn2"
    inst = backtest_instance("LostSalesLeadTime-v0", COSTS, panel)
    starts = [int(s) for s in args.starts.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    settings = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "kind": args.kind,
        "window": args.window,
        "warm_up": args.warm_up,
        "seed": args.seed,
        "threads": args.threads,
    }
    done = json.loads(path.read_text()) if path.is_file() else {}
    if done.get("settings") != settings:
        done = {"settings": settings, "windows": {}}
    for k, start in enumerate(starts):
        key = str(panel.dates[start])
        if key in done["windows"]:
            continue
        clock = time.perf_counter()
        init = warm_state(panel, VN2Benchmark(inst), inst, start=start, periods=args.warm_up)
        config = TrainConfig(
            batch_size=args.batch_size,
            horizon=24,
            burn_in=8,
            max_steps=args.steps,
            learning_rate=args.learning_rate,
            seed=args.seed,
            threads=args.threads,
        )
        options = PanelOptions(window=args.window, kind=args.kind)
        dbp = train_panel(panel, inst, until=start, options=options, config=config)
        trained = time.perf_counter() - clock
        row = {"start": start, "validation": k < args.validation, "train_seconds": trained}
        clock = time.perf_counter()
        for label, policy in (
            ("vn2_benchmark", VN2Benchmark(inst)),
            ("dbp", dbp),
            ("perfect_foresight", PerfectForesight(inst)),
        ):
            res = backtest(panel, policy, inst, start=start, rounds=ROUNDS, initial=init)
            row[label] = res.to_dict()
        row["backtest_seconds"] = time.perf_counter() - clock
        done["windows"][key] = row
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(done, indent=2) + "\n")
        tmp.replace(path)
        print(
            f"{key}: vn2_benchmark {row['vn2_benchmark']['cost']:.0f}, dbp "
            f"{row['dbp']['cost']:.0f} (trained {trained:.0f} s)",
            flush=True,
        )
    table = markdown(done)
    (out / f"{name}.md").write_text(table)
    print(table)
    return 0


def markdown(done: dict) -> str:
    rows = [
        "| window (first decision) | set | vn2_benchmark | dbp | dbp vs benchmark | "
        "perfect foresight (bound) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    test_rel, bench_sum, dbp_sum = [], 0.0, 0.0
    for key, row in done["windows"].items():
        b, d, f = (row[n]["cost"] for n in ("vn2_benchmark", "dbp", "perfect_foresight"))
        rel = 100 * (d - b) / b
        kind = "validation" if row["validation"] else "test"
        rows.append(f"| {key} | {kind} | {b:.0f} | {d:.0f} | {rel:+.1f}% | {f:.0f} |")
        if not row["validation"]:
            test_rel.append(rel)
            bench_sum += b
            dbp_sum += d
    if test_rel:
        mean, half = interval(np.array(test_rel))
        better = sum(r < 0 for r in test_rel)
        rows.append(
            f"| pooled test windows ({len(test_rel)}) | test | {bench_sum:.0f} | {dbp_sum:.0f} "
            f"| {100 * (dbp_sum - bench_sum) / bench_sum:+.1f}% (mean per window {mean:+.1f}% "
            f"± {half:.1f}; better on {better}/{len(test_rel)}) | |"
        )
    s = done["settings"]
    note = (
        f"\nDBP: {s['kind']}, window {s['window']}, {s['steps']} steps of {s['batch_size']} "
        f"rows, learning rate {s['learning_rate']}, seed {s['seed']}, {s['threads']} thread(s). "
        f"Start state: vn2_benchmark's after {s['warm_up']} weeks. Costs in EUR over 599 series, "
        "weeks 3-8 of each window.\n"
    )
    return "\n".join(rows) + "\n" + note


if __name__ == "__main__":
    sys.exit(main())
