"""DirectBackprop on Zipkin's (2008) Table 3: gap to the exact optimum and training time.

For each instance (Poisson(5) demand, h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4}):

1. solve the exact DP (relative value iteration): the optimum and the optimal policy;
2. train DBP policies (``--kinds``, default the plain MLP and the structure-informed monotone
   network) for ``--seconds`` of wall-clock time each (validation included);
3. score each trained policy (orders rounded, as the env's integer demand asks) exactly, from
   the Markov chain of the rounded policy (no simulation error), and with the harness on
   ``--paths`` x ``--periods`` test paths (seed 0, common random numbers with the optimal
   policy, so the gap also comes with a paired 95% interval);
4. compare with the best heuristic's exact gap (from ``results/lost_sales_zipkin.csv`` of
   ``lost_sales_zipkin.py`` when present, else myopic-2's, computed here).

Then (unless ``--no-cross``) one MLP is trained across all the instances at once (their static
features p, h, c, L as inputs, pipelines padded to the longest lead time) for
``--cross-seconds`` and scored on each instance the same way.

Writes ``benchmarks/results/dbp_zipkin.csv`` and ``.md``. ``--quick`` trains on two instances
for a few seconds (a smoke test, not a result).
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path

import torch

import inventory_gym  # noqa: F401
from baselines.lost_sales import dp, zipkin
from dbp import TrainConfig, train
from inventory_gym.evaluation import compare, evaluate, instance

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"
HEURISTICS_CSV = RESULTS / "lost_sales_zipkin.csv"


def best_heuristics() -> dict[tuple[int, int], tuple[str, float]]:
    """(p, L) -> (name, exact gap %) of the best heuristic in the heuristics benchmark."""
    best: dict[tuple[int, int], tuple[str, float]] = {}
    if not HEURISTICS_CSV.is_file():
        return best
    with HEURISTICS_CSV.open() as f:
        for row in csv.DictReader(f):
            if row["policy"] == "optimal" or not row["exact_gap_pct"]:
                continue
            key = (int(row["p"]), int(row["L"]))
            gap = float(row["exact_gap_pct"])
            if key not in best or gap < best[key][1]:
                best[key] = (row["policy"], gap)
    return best


def score(policy, kwargs, params, static_row, optimal_eval, optimum, args) -> dict:
    """Exact and simulated cost of a trained policy, and its gaps to the optimum."""
    state_policy = policy.state_policy(static_row if policy.spec.static_dim else None)
    exact = dp.policy_cost(params, state_policy)
    result = evaluate(
        policy, ENV, kwargs, num_paths=args.paths, periods=args.periods, burn_in=args.burn_in
    )
    paired = compare(result, optimal_eval)
    return {
        "exact": exact,
        "exact_gap_pct": 100 * (exact - optimum) / optimum,
        "cost": result.cost,
        "stderr": result.stderr,
        "rel_stderr_pct": 100 * result.relative_stderr,
        "sim_gap_pct": paired.relative,
        "sim_gap_ci_low": 100 * paired.ci95[0] / optimal_eval.cost,
        "sim_gap_ci_high": 100 * paired.ci95[1] / optimal_eval.cost,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", help="p:L pairs, e.g. 4:1,39:4 (default: all 16)")
    parser.add_argument(
        "--kinds",
        default="mlp,mlp+penalty,monotone",
        help="networks: mlp, monotone, base_stock, capped_base_stock; a '+penalty' suffix adds "
        "the structural penalty (default mlp,mlp+penalty,monotone)",
    )
    parser.add_argument(
        "--penalty",
        type=float,
        default=1.0,
        help="weight of the structural penalty of '+penalty' kinds (1.0)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="training budget per instance and network, in seconds (60)",
    )
    parser.add_argument(
        "--cross-seconds",
        type=float,
        default=480.0,
        help="training budget of the policy across all instances (480)",
    )
    parser.add_argument("--no-cross", action="store_true", help="skip the cross-instance policy")
    parser.add_argument("--paths", type=int, default=4000, help="test paths (4000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in periods (200)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1: the tensors of a step are small, and a second thread gains "
        "little while it makes the run fragile to any other load on the machine)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 2 instances, 5 s budgets, few paths"
    )
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        # Explicit options still win: --quick only replaces the full-run defaults.
        defaults = {
            "instances": None,
            "seconds": 60.0,
            "cross_seconds": 480.0,
            "paths": 4000,
            "periods": 1000,
            "burn_in": 200,
        }
        quick = {
            "instances": "4:1,9:2",
            "seconds": 5.0,
            "cross_seconds": 10.0,
            "paths": 200,
            "periods": 200,
            "burn_in": 50,
        }
        for key, value in quick.items():
            if getattr(args, key) == defaults[key]:
                setattr(args, key, value)
    torch.set_num_threads(args.threads)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        cases = zipkin.parse_instances(args.instances)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    heuristics = best_heuristics()
    rows: list[dict] = []
    optima: dict[tuple[int, int], tuple] = {}
    for p, lead in cases:
        kwargs = {"lead_time": lead, "lost_sales_cost": p}
        problem, params = instance(ENV, kwargs)
        solution = dp.solve(params)
        optimal_eval = evaluate(
            solution.policy(),
            ENV,
            kwargs,
            num_paths=args.paths,
            periods=args.periods,
            burn_in=args.burn_in,
        )
        if (p, lead) in heuristics:
            h_name, h_gap = heuristics[(p, lead)]
        else:
            grid, _, myopic2 = dp.myopic_tables(params)
            h_name = "myopic2"
            h_gap = 100 * (dp.policy_cost(params, dp.TablePolicy(grid, myopic2)) - solution.cost)
            h_gap /= solution.cost
        static = problem.static_row(params)
        optima[(p, lead)] = (kwargs, params, static, optimal_eval, solution.cost, h_name, h_gap)
        for label in kinds:
            # "mlp+penalty": the plain MLP with the structural penalty in its loss.
            kind, _, penalty = label.partition("+")
            config = TrainConfig(
                max_seconds=args.seconds, penalty_weight=args.penalty if penalty else 0.0
            )
            t0 = time.perf_counter()
            result = train((ENV, kwargs), kind, config, progress=sys.stderr.isatty())
            kind = label
            wall = time.perf_counter() - t0
            row = {
                "p": p,
                "L": lead,
                "policy": f"dbp-{kind}",
                "optimum": solution.cost,
                "published_optimum": zipkin.published("optimal", p, lead),
                "train_seconds": wall,
                "steps": result.steps,
                "best_heuristic": h_name,
                "best_heuristic_gap_pct": h_gap,
            }
            row.update(
                score(result.policy, kwargs, params, static, optimal_eval, solution.cost, args)
            )
            rows.append(row)
            print(
                f"p={p} L={lead} dbp-{kind}: exact {row['exact']:.4f} vs optimum "
                f"{solution.cost:.4f}: gap {row['exact_gap_pct']:.3f}% (simulated "
                f"{row['sim_gap_pct']:.3f}%, best heuristic {h_name} {h_gap:.2f}%), "
                f"trained {wall:.0f} s / {result.steps} steps",
                flush=True,
            )
    if not args.no_cross:
        insts = [(ENV, optima[c][0]) for c in cases]
        t0 = time.perf_counter()
        result = train(
            insts,
            "mlp",
            TrainConfig(max_seconds=args.cross_seconds, batch_size=128 * len(insts)),
            progress=sys.stderr.isatty(),
        )
        wall = time.perf_counter() - t0
        for p, lead in cases:
            kwargs, params, static, optimal_eval, optimum, h_name, h_gap = optima[(p, lead)]
            row = {
                "p": p,
                "L": lead,
                "policy": "dbp-mlp-across-all",
                "optimum": optimum,
                "published_optimum": zipkin.published("optimal", p, lead),
                "train_seconds": wall,
                "steps": result.steps,
                "best_heuristic": h_name,
                "best_heuristic_gap_pct": h_gap,
            }
            row.update(score(result.policy, kwargs, params, static, optimal_eval, optimum, args))
            rows.append(row)
            print(
                f"p={p} L={lead} across-all: gap {row['exact_gap_pct']:.3f}% "
                f"(simulated {row['sim_gap_pct']:.3f}%)",
                flush=True,
            )
    write(rows, args)
    return 0


def write(rows: list[dict], args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "dbp_zipkin_quick" if args.quick else "dbp_zipkin"
    with (out / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# DirectBackprop on Zipkin's instances ({time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads)",
        "",
        f"Command: `python benchmarks/dbp_zipkin.py {' '.join(sys.argv[1:])}`. Budget "
        f"{args.seconds:g} s per instance and network (wall-clock, validation included); "
        f"test paths {args.paths} x {args.periods} periods after {args.burn_in} (seed 0). "
        "Gap = exact cost of the rounded policy (Markov chain) vs the DP optimum; "
        "'sim' = paired gap on the test paths with its 95% interval.",
        "",
        "| p | L | policy | optimum | exact cost | gap % | sim gap % (95% CI) | rel. se % "
        "| train s | steps | best heuristic gap % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['p']} | {r['L']} | {r['policy']} | {r['optimum']:.4f} | {r['exact']:.4f} | "
            f"{r['exact_gap_pct']:.3f} | {r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
            f"{r['sim_gap_ci_high']:.3f}) | {r['rel_stderr_pct']:.3f} | {r['train_seconds']:.0f} "
            f"| {r['steps']} | {r['best_heuristic_gap_pct']:.2f} ({r['best_heuristic']}) |"
        )
    lines += ["", "Summary:", ""]
    for policy in dict.fromkeys(r["policy"] for r in rows):
        gaps = [r["exact_gap_pct"] for r in rows if r["policy"] == policy]
        secs = [r["train_seconds"] for r in rows if r["policy"] == policy]
        lines.append(
            f"- {policy}: worst gap {max(gaps):.3f}%, mean {sum(gaps) / len(gaps):.3f}%, "
            f"{sum(g <= 0.5 for g in gaps)}/{len(gaps)} within 0.5%, "
            f"{sum(g <= 1.0 for g in gaps)}/{len(gaps)} within 1%; training "
            f"{max(secs):.0f} s at most"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out / (name + '.csv')} and .md")


if __name__ == "__main__":
    sys.exit(main())
