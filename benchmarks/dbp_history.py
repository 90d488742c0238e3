"""One DirectBackprop policy for several products, reading only their demand history.

The data-driven setting of SCENARIOS.md section 5: the network sees each product's state, its
last ``--window`` demands (through the WaveNet-style encoder) and its static features (costs,
lead time), never its demand distribution or mean. It is trained once on all products
(lead time 2, p in ``--costs``, Poisson demand with the means in ``--means``) and scored on
each against that product's own exact optimum (DP, which does know the distribution), on
common random numbers with a paired 95% interval.

Writes ``benchmarks/results/dbp_history.csv`` and ``.md``; ``--quick`` is a smoke test.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import torch

import inventory_gym  # noqa: F401
from baselines.lost_sales import dp
from dbp import TrainConfig, train
from inventory_gym.evaluation import compare, evaluate, instance

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--means", default="3,5,8", help="Poisson means (default 3,5,8)")
    parser.add_argument("--costs", default="4,19", help="lost-sales costs p (default 4,19)")
    parser.add_argument("--lead-time", type=int, default=2, help="lead time (default 2)")
    parser.add_argument("--window", type=int, default=32, help="history length (default 32)")
    parser.add_argument("--seconds", type=float, default=240.0, help="training budget (240)")
    parser.add_argument("--paths", type=int, default=2000, help="test paths (2000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in (200)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 products, 3 s")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.means, args.costs, args.seconds = "3,8", "9", 3.0
        args.paths, args.periods, args.burn_in = 50, 50, 10
    torch.set_num_threads(args.threads)
    products = [
        {"lead_time": args.lead_time, "lost_sales_cost": float(p), "demand": f"poisson({m})"}
        for p in args.costs.split(",")
        for m in args.means.split(",")
    ]
    t0 = time.perf_counter()
    result = train(
        [(ENV, kw) for kw in products],
        "mlp",
        TrainConfig(max_seconds=args.seconds, batch_size=128 * len(products)),
        window=args.window,
        progress=sys.stderr.isatty(),
    )
    wall = time.perf_counter() - t0
    options = dict(num_paths=args.paths, periods=args.periods, burn_in=args.burn_in)
    rows = []
    for kw in products:
        solution = dp.solve(instance(ENV, kw)[1])
        ours = evaluate(result.policy, ENV, kw, **options)
        best = evaluate(solution.policy(), ENV, kw, **options)
        paired = compare(ours, best)
        rows.append(
            {
                "demand": kw["demand"],
                "p": kw["lost_sales_cost"],
                "L": kw["lead_time"],
                "optimum": solution.cost,
                "dbp_cost": ours.cost,
                "dbp_stderr": ours.stderr,
                "gap_pct": paired.relative,
                "gap_ci_low": 100 * paired.ci95[0] / best.cost,
                "gap_ci_high": 100 * paired.ci95[1] / best.cost,
                "train_seconds": wall,
                "steps": result.steps,
            }
        )
        print(f"{kw}: gap {paired.relative:.2f}%", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "dbp_history_quick" if args.quick else "dbp_history"
    with (out / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# One DBP policy across {len(products)} products from their demand history",
        "",
        f"Command: `python benchmarks/dbp_history.py {' '.join(sys.argv[1:])}`; window "
        f"{args.window}, {result.steps} steps in {wall:.0f} s; test {args.paths} x "
        f"{args.periods} periods (seed 0), paired with the product's DP-optimal policy.",
        "",
        "| demand | p | L | optimum | DBP cost | gap % (95% CI) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['demand']} | {r['p']:g} | {r['L']} | {r['optimum']:.4f} | {r['dbp_cost']:.4f} "
            f"| {r['gap_pct']:.2f} ({r['gap_ci_low']:.2f}..{r['gap_ci_high']:.2f}) |"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
