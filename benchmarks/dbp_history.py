"""One DirectBackprop policy for several products, reading only their demand history.

The data-driven setting of SCENARIOS.md section 5: the network sees each product's state, its
last ``--window`` demands (through the WaveNet-style encoder) and its static features (costs,
lead time), never its demand distribution or mean. It is trained once on all products
(lead time 2, p in ``--costs``, Poisson demand with the means in ``--means``) and scored on
each against that product's own exact optimum (DP, which does know the distribution), on
common random numbers with a paired 95% interval.

Budget: ``--steps`` gradient steps (500, about the published run's 486 steps in 263 s;
``--seconds`` is an optional cap). Training and scoring go through
:mod:`inventory_gym_cli.pipeline`. Writes ``benchmarks/results/dbp_history.csv`` and ``.md``;
``--quick`` is a smoke test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import inventory_gym  # noqa: F401
from inventory_gym import make_instance
from inventory_gym.threads import set_threads
from inventory_gym_cli.pipeline import (
    Learner,
    Scoring,
    dbp_config,
    markdown_table,
    run_comparison,
    train_learner,
    write_table,
)

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--means", default="3,5,8", help="Poisson means (default 3,5,8)")
    parser.add_argument("--costs", default="4,19", help="lost-sales costs p (default 4,19)")
    parser.add_argument("--lead-time", type=int, default=2, help="lead time (default 2)")
    parser.add_argument("--window", type=int, default=32, help="history length (default 32)")
    parser.add_argument(
        "--steps", type=int, default=500, help="training budget in gradient steps (500)"
    )
    parser.add_argument("--seconds", type=float, default=None, help="wall-clock cap (none)")
    parser.add_argument("--paths", type=int, default=2000, help="test paths (2000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in (200)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 products, 10 steps")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.means, args.costs, args.steps = "3,8", "9", 10
        args.paths, args.periods, args.burn_in = 50, 50, 10
    set_threads(args.threads, torch=True)
    products = [
        make_instance(
            ENV, lead_time=args.lead_time, lost_sales_cost=float(p), demand=f"poisson({m})"
        )
        for p in args.costs.split(",")
        for m in args.means.split(",")
    ]
    config = dbp_config(
        args.steps, args.seconds, threads=args.threads, batch_size=128 * len(products)
    )
    trained = train_learner(
        products,
        Learner("dbp", config, options={"window": args.window}),
        progress=sys.stderr.isatty(),
    )
    wall, steps = trained.seconds, trained.info["steps"]
    # The DP knows the distribution; the network does not. No exact cost: it reads the history.
    scoring = Scoring(num_paths=args.paths, periods=args.periods, burn_in=args.burn_in, exact=False)
    rows = []
    for inst in products:
        result = run_comparison(
            inst, policies=["optimal"], extra={"dbp": (trained.policy, wall)}, scoring=scoring
        )
        gap, (low, high) = result.paired_gap("dbp")
        kw = inst.kwargs
        rows.append(
            {
                "demand": kw["demand"],
                "p": kw["lost_sales_cost"],
                "L": kw["lead_time"],
                "optimum": result.optimum.result.cost,
                "dbp_cost": result.entries["dbp"].evaluation.cost,
                "dbp_stderr": result.entries["dbp"].evaluation.stderr,
                "gap_pct": gap,
                "gap_ci_low": low,
                "gap_ci_high": high,
                "train_seconds": wall,
                "steps": steps,
                "threads": trained.info["threads"],
            }
        )
        print(f"{kw}: gap {gap:.2f}%", flush=True)
    name = "dbp_history_quick" if args.quick else "dbp_history"
    lines = [
        f"# One DBP policy across {len(products)} products from their demand history",
        "",
        f"Command: `python benchmarks/dbp_history.py {' '.join(sys.argv[1:])}`; window "
        f"{args.window}, {steps} steps in {wall:.0f} s ({trained.info['threads']} thread(s)); "
        f"test {args.paths} x {args.periods} periods (seed 0), paired with the product's "
        "DP-optimal policy.",
        "",
    ]
    lines += markdown_table(
        rows,
        [
            ("demand", lambda r: r["demand"]),
            ("p", lambda r: f"{r['p']:g}"),
            ("L", lambda r: r["L"]),
            ("optimum", lambda r: f"{r['optimum']:.4f}"),
            ("DBP cost", lambda r: f"{r['dbp_cost']:.4f}"),
            (
                "gap % (95% CI)",
                lambda r: f"{r['gap_pct']:.2f} ({r['gap_ci_low']:.2f}..{r['gap_ci_high']:.2f})",
            ),
        ],
    )
    text = "\n".join(lines) + "\n"
    write_table(args.out, name, rows, markdown=text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
