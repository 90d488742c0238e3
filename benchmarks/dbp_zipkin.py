"""DirectBackprop on Zipkin's (2008) Table 3: gap to the exact optimum and training time.

For each instance (Poisson(5) demand, h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4}):

1. solve the exact DP (relative value iteration): the optimum and the optimal policy;
2. train DBP policies (``--kinds``, default the plain MLP, the MLP with the structural penalty
   and the structure-informed monotone network) for ``--steps`` gradient steps each (700,
   about what the published run's 60 s of wall-clock time gave the MLP; ``--seconds`` is an
   optional cap, validation included);
3. score each trained policy (orders rounded, as the env's integer demand asks) exactly, from
   the Markov chain of the rounded policy (no simulation error), and with the harness on
   ``--paths`` x ``--periods`` test paths (seed 0, common random numbers with the optimal
   policy, so the gap also comes with a paired 95% interval);
4. compare with the best heuristic's exact gap (from ``results/lost_sales_zipkin.csv`` of
   ``lost_sales_zipkin.py`` when present, else myopic-2's, computed here).

Then (unless ``--no-cross``) one MLP is trained across all the instances at once (their static
features p, h, c, L as inputs, pipelines padded to the longest lead time) for
``--cross-steps`` (1700; ``--cross-seconds``: a cap) and scored on each instance the same way.
Training and scoring go through :mod:`inventory_gym_cli.pipeline`.

Writes ``benchmarks/results/dbp_zipkin.csv`` and ``.md``. ``--quick`` trains on two instances
for a few steps (a smoke test, not a result).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import inventory_gym  # noqa: F401
from baselines.lost_sales import dp, zipkin
from inventory_gym import make_instance
from inventory_gym.threads import set_threads
from inventory_gym_cli.pipeline import (
    Comparison,
    Entry,
    Learner,
    Scoring,
    dbp_config,
    evaluate_entries,
    fmt,
    markdown_table,
    run_comparison,
    run_header,
    train_learner,
    write_table,
)

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


def row_of(result: Comparison, name: str, heuristic: tuple[str, float]) -> dict:
    """A trained policy's row: exact and simulated cost, and its gaps to the optimum."""
    inst, entry = result.instance, result.entries[name]
    optimum = result.optimum.result.cost
    gap, (low, high) = result.paired_gap(name)
    return {
        "p": inst.kwargs["lost_sales_cost"],
        "L": inst.kwargs["lead_time"],
        "policy": name,
        "optimum": optimum,
        "published_optimum": zipkin.published(
            "optimal", inst.kwargs["lost_sales_cost"], inst.kwargs["lead_time"]
        ),
        "train_seconds": entry.seconds,
        "steps": entry.info["steps"],
        "threads": entry.info["threads"],
        "best_heuristic": heuristic[0],
        "best_heuristic_gap_pct": heuristic[1],
        "exact": entry.exact_cost,
        "exact_gap_pct": 100 * (entry.exact_cost - optimum) / optimum,
        "cost": entry.evaluation.cost,
        "stderr": entry.evaluation.stderr,
        "rel_stderr_pct": 100 * entry.evaluation.relative_stderr,
        "sim_gap_pct": gap,
        "sim_gap_ci_low": low,
        "sim_gap_ci_high": high,
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
        "--steps",
        type=int,
        default=700,
        help="training budget per instance and network, in gradient steps (700; 0: none, "
        "then --seconds is the budget)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="wall-clock cap per instance and network, validation included (none)",
    )
    parser.add_argument(
        "--cross-steps",
        type=int,
        default=1700,
        help="training budget of the policy across all instances, in steps (1700)",
    )
    parser.add_argument(
        "--cross-seconds",
        type=float,
        default=None,
        help="wall-clock cap of the policy across all instances (none)",
    )
    parser.add_argument("--no-cross", action="store_true", help="skip the cross-instance policy")
    parser.add_argument("--paths", type=int, default=4000, help="test paths (4000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in periods (200)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch and BLAS threads (1: the tensors of a step are small, and a second thread "
        "gains little while it makes the run fragile to any other load on the machine)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 2 instances, 30 steps, few paths"
    )
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        # Explicit options still win: --quick only replaces the full-run defaults.
        defaults = {
            "instances": None,
            "steps": 700,
            "cross_steps": 1700,
            "paths": 4000,
            "periods": 1000,
            "burn_in": 200,
        }
        quick = {
            "instances": "4:1,9:2",
            "steps": 30,
            "cross_steps": 30,
            "paths": 200,
            "periods": 200,
            "burn_in": 50,
        }
        for key, value in quick.items():
            if getattr(args, key) == defaults[key]:
                setattr(args, key, value)
    set_threads(args.threads, torch=True)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        cases = zipkin.parse_instances(args.instances)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    heuristics = best_heuristics()
    scoring = Scoring(num_paths=args.paths, periods=args.periods, burn_in=args.burn_in)
    show = sys.stderr.isatty()
    rows: list[dict] = []
    done: dict[tuple[int, int], tuple[Comparison, tuple[str, float]]] = {}
    for p, lead in cases:
        inst = make_instance(ENV, lead_time=lead, lost_sales_cost=p)
        learners = []
        for label in kinds:
            # "mlp+penalty": the plain MLP with the structural penalty in its loss.
            kind, _, penalty = label.partition("+")
            config = dbp_config(
                args.steps,
                args.seconds,
                threads=args.threads,
                penalty_weight=args.penalty if penalty else 0.0,
            )
            learners.append(Learner("dbp", config, name=f"dbp-{label}", kind=kind))
        result = run_comparison(
            inst, policies=["optimal"], learners=learners, scoring=scoring, progress=show
        )
        optimum = result.optimum.result.cost
        if (p, lead) in heuristics:
            heuristic = heuristics[(p, lead)]
        else:
            grid, _, myopic2 = dp.myopic_tables(inst.params)
            gap = 100 * (dp.policy_cost(inst.params, dp.TablePolicy(grid, myopic2)) - optimum)
            heuristic = ("myopic2", gap / optimum)
        done[(p, lead)] = (result, heuristic)
        for learner in learners:
            row = row_of(result, learner.label, heuristic)
            rows.append(row)
            print(
                f"p={p} L={lead} {learner.label}: exact {row['exact']:.4f} vs optimum "
                f"{optimum:.4f}: gap {row['exact_gap_pct']:.3f}% (simulated "
                f"{row['sim_gap_pct']:.3f}%, best heuristic {heuristic[0]} {heuristic[1]:.2f}%), "
                f"trained {row['train_seconds']:.0f} s / {row['steps']} steps",
                flush=True,
            )
    if not args.no_cross:
        name = "dbp-mlp-across-all"
        config = dbp_config(
            args.cross_steps,
            args.cross_seconds,
            threads=args.threads,
            batch_size=128 * len(cases),
        )
        trained = train_learner(
            [done[c][0].instance for c in cases],
            Learner("dbp", config, name=name),
            progress=show,
        )
        for p, lead in cases:
            result, heuristic = done[(p, lead)]
            result.entries[name] = Entry(
                name, trained.policy, trained.seconds, info=trained.info, result=trained.result
            )
            evaluate_entries(result)
            row = row_of(result, name, heuristic)
            rows.append(row)
            print(
                f"p={p} L={lead} across-all: gap {row['exact_gap_pct']:.3f}% "
                f"(simulated {row['sim_gap_pct']:.3f}%)",
                flush=True,
            )
    write(rows, args)
    return 0


def write(rows: list[dict], args: argparse.Namespace) -> None:
    name = "dbp_zipkin_quick" if args.quick else "dbp_zipkin"
    budget = f"{args.steps} steps" if args.steps else ""
    if args.seconds:
        budget += (", capped at " if budget else "") + f"{args.seconds:g} s"
    lines = [
        f"# DirectBackprop on Zipkin's instances ({time.strftime('%Y-%m-%d')}, "
        f"{run_header(args.threads)})",
        "",
        f"Command: `python benchmarks/dbp_zipkin.py {' '.join(sys.argv[1:])}`. Budget "
        f"{budget} per instance and network; "
        f"test paths {args.paths} x {args.periods} periods after {args.burn_in} (seed 0). "
        "Gap = exact cost of the rounded policy (Markov chain) vs the DP optimum; "
        "'sim' = paired gap on the test paths with its 95% interval.",
        "",
    ]
    lines += markdown_table(
        rows,
        [
            ("p", lambda r: r["p"]),
            ("L", lambda r: r["L"]),
            ("policy", lambda r: r["policy"]),
            ("optimum", lambda r: f"{r['optimum']:.4f}"),
            ("exact cost", lambda r: f"{r['exact']:.4f}"),
            ("gap %", lambda r: f"{r['exact_gap_pct']:.3f}"),
            (
                "sim gap % (95% CI)",
                lambda r: (
                    f"{r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
                    f"{r['sim_gap_ci_high']:.3f})"
                ),
            ),
            ("rel. se %", lambda r: f"{r['rel_stderr_pct']:.3f}"),
            ("train s", lambda r: f"{r['train_seconds']:.0f}"),
            ("steps", lambda r: r["steps"]),
            (
                "best heuristic gap %",
                lambda r: f"{fmt(r['best_heuristic_gap_pct'], 2)} ({r['best_heuristic']})",
            ),
        ],
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
    text = "\n".join(lines) + "\n"
    files = write_table(args.out, name, rows, markdown=text)
    print(text)
    print("wrote " + ", ".join(str(f) for f in files))


if __name__ == "__main__":
    sys.exit(main())
