"""The settings sweep of the predict-then-optimize policies on the VN2 validation windows only.

Runs each candidate setting of ``pto_moving_average``, ``pto_ets`` and ``pto_lightgbm``
(:func:`baselines.backtest.make_panel_pto`) on the validation pseudo-competitions of
``benchmarks/vn2.py`` (its first ``--validation`` windows, the earliest; never its test
windows) and prints the pooled cost of each against ``vn2_benchmark``. The settings of
:data:`baselines.backtest.PTO_SETTINGS` are the best pooled here (benchmarks/README.md).

A forecaster's forecasts do not depend on the state, so each forecaster setting is run once
per window and its forecasts are reused for every quantile setting (distribution, spread).
Writes ``benchmarks/results/vn2_sweep.json``; ``--quick``: synthetic data.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vn2 import COSTS, RESULTS, ROUNDS, VALIDATION, VN2, synthetic_panel


class Memo:
    """A forecaster whose forecasts are kept by decision (the window's start, the date)."""

    def __init__(self, forecaster: Any, start: int):
        self.forecaster, self.start, self.name = forecaster, start, forecaster.name
        self.cache: dict[Any, np.ndarray] = {}

    def fit(self, history: Any) -> Any:
        key = (self.start, str(history.dates[history.window]))
        return None if key in self.cache else self.forecaster.fit(history)

    def predict(self, model: Any, history: Any, k: int) -> np.ndarray:
        key = (self.start, str(history.dates[history.window]))
        if key not in self.cache:
            self.cache[key] = self.forecaster.predict(model, history, k)
        return self.cache[key]


GRID: dict[str, list[dict[str, Any]]] = {
    "pto_moving_average": [
        {"n": n, "seasonal": s} for n, s in itertools.product((4, 8, 13, 26), (True, False))
    ],
    "pto_ets": [
        {"intermittent": i, "seasonal": s}
        for i, s in itertools.product(("croston_sba", "tsb"), (True, False))
    ],
    "pto_lightgbm": [
        {"rounds": 300, "learning_rate": 0.05, "num_leaves": 31},
        {"rounds": 150, "learning_rate": 0.1, "num_leaves": 15},
        {"rounds": 300, "learning_rate": 0.05, "num_leaves": 63, "min_data_in_leaf": 100},
        {"rounds": 300, "learning_rate": 0.05, "num_leaves": 31, "objective": "poisson"},
    ],
}
QUANTILES = [
    {"distribution": "poisson"},
    {"distribution": "negbin", "spread": 13},
    {"distribution": "negbin", "spread": 52},
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(VN2))
    parser.add_argument("--starts", default=",".join(str(s) for s in VALIDATION))
    parser.add_argument("--policies", default=",".join(GRID))
    parser.add_argument("--refit", type=int, default=None, help="override every refit cadence")
    parser.add_argument(
        "--configs", default=None, help="only these forecaster settings (indices into GRID)"
    )
    parser.add_argument("--name", default="vn2_sweep", help="results file name")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    from baselines.backtest import VN2Benchmark, make_panel_pto
    from inventory_gym.data import read_panel
    from inventory_gym.data.backtest import backtest, backtest_instance, warm_state
    from inventory_gym.threads import set_threads

    set_threads(args.threads)
    if args.quick:
        panel, starts, name = synthetic_panel(), [80, 86], "vn2_sweep_quick"
    else:
        d = Path(args.data)
        panel = read_panel(d / "sales.csv", in_stock=d / "in_stock.csv", master=d / "master.csv")
        starts, name = [int(s) for s in args.starts.split(",")], args.name
    inst = backtest_instance("LostSalesLeadTime-v0", COSTS, panel)
    inits = {s: warm_state(panel, VN2Benchmark(inst), inst, start=s, periods=8) for s in starts}

    def run(policy: Any) -> list[float]:
        return [
            backtest(panel, policy, inst, start=s, rounds=ROUNDS, initial=inits[s]).cost
            for s in starts
        ]

    bench = run(VN2Benchmark(inst))
    out = {"starts": starts, "threads": args.threads, "vn2_benchmark": bench, "rows": []}
    print(f"vn2_benchmark {sum(bench):.0f} {[round(c) for c in bench]}", flush=True)
    path = Path(args.out) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    for policy in args.policies.split(","):
        picks = range(len(GRID[policy]))
        if args.configs is not None:
            picks = [int(i) for i in args.configs.split(",")]
        for fsettings in [GRID[policy][i] for i in picks]:
            clock = time.perf_counter()
            memos = None
            for q in QUANTILES:
                options = dict(q)
                if args.refit is not None and policy != "pto_moving_average":
                    options["refit"] = args.refit
                settings = {"forecaster": fsettings, **options}
                costs = []
                for i, s in enumerate(starts):
                    pol = make_panel_pto(policy, inst, settings)
                    if memos is None:
                        memos = [None] * len(starts)
                    if memos[i] is None:
                        memos[i] = Memo(pol.forecaster, s)
                    pol.forecaster = memos[i]
                    costs.append(
                        backtest(panel, pol, inst, start=s, rounds=ROUNDS, initial=inits[s]).cost
                    )
                rel = 100 * (sum(costs) / sum(bench) - 1)
                row = {"policy": policy, "settings": settings, "costs": costs, "vs_bench": rel}
                out["rows"].append(row)
                print(
                    f"{policy} {json.dumps(settings)}: {sum(costs):.0f} ({rel:+.1f}%) "
                    f"{[round(c) for c in costs]} [{time.perf_counter() - clock:.0f} s]",
                    flush=True,
                )
            path.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
