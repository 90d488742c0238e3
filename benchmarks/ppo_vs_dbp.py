"""PPO (stable-baselines3) against DirectBackprop, the best heuristic and the exact optimum on
Zipkin's lost-sales instances.

For each instance (Poisson(5) demand, h = 1, default p in {4, 39} x L in {1, 4}):

1. solve the exact DP (the optimum) and fit the strongest heuristics (myopic-2, capped
   base-stock, projected inventory level, base-stock); the best heuristic is the one with the
   lowest exact cost;
2. train PPO with a fixed budget of ``--ppo-steps`` environment steps (default 2 million;
   :class:`baselines.ppo.PPOConfig`'s defaults, wall time reported) and DBP's MLP for
   ``--dbp-steps`` gradient steps (default 750, about what the published run's 60 s gave;
   ``--dbp-seconds`` is an optional cap);
3. score every policy (orders rounded, as the integer demand asks) exactly from the Markov
   chain of the rounded policy, and with the harness on ``--paths`` x ``--periods`` test paths
   (seed 0: common random numbers for all policies, so each gap comes with a paired 95%
   interval);
4. draw the learning curves (validation gap to the optimum against environment steps and
   against wall-clock seconds; DBP's environment steps are the periods it simulates, batch x
   (burn-in + horizon) per gradient step) to ``ppo_vs_dbp.png``.

Steps 1-3 are one call of :func:`inventory_gym_cli.pipeline.run_comparison` per instance.
Writes ``benchmarks/results/ppo_vs_dbp.{csv,md,png}``. Runs one instance after another with one
torch thread, so that the wall times are not disturbed by a second job. ``--quick`` is a smoke
test (one instance, tiny budgets), not a result.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import inventory_gym  # noqa: F401
from baselines.lost_sales import zipkin
from baselines.ppo import PPOConfig
from inventory_gym import make_instance
from inventory_gym.evaluation import evaluate
from inventory_gym.threads import set_threads
from inventory_gym_cli.pipeline import (
    Learner,
    Scoring,
    add_budget_args,
    dbp_config,
    fmt,
    markdown_table,
    run_comparison,
    run_header,
    write_table,
)

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"
HEURISTICS = ("myopic2", "capped_base_stock", "projected_inventory_level", "base_stock")
"""The strongest lost-sales heuristics (names of ``baselines.registry``); the one with the
lowest exact cost is reported."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances", default="4:1,39:1,4:4,39:4", help="p:L pairs (default 4:1,39:1,4:4,39:4)"
    )
    parser.add_argument(
        "--ppo-steps", type=int, default=2_000_000, help="PPO's environment steps (2000000)"
    )
    add_budget_args(parser, steps=750)
    parser.add_argument("--paths", type=int, default=4000, help="test paths (4000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in periods (200)")
    parser.add_argument("--seed", type=int, default=0, help="training seed of PPO and DBP (0)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--no-plot", action="store_true", help="skip the learning-curve PNG")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.ppo_steps = "4:1", 16_384
        args.dbp_steps, args.dbp_seconds = 30, 2.0
        args.paths, args.periods, args.burn_in = 100, 100, 50
    set_threads(args.threads, torch=True)
    try:
        cases = zipkin.parse_instances(args.instances)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    ppo_config = PPOConfig(
        timesteps=args.ppo_steps,
        threads=args.threads,
        seed=args.seed,
        eval_every=max(args.ppo_steps // 20, 1),
    )
    train_config = dbp_config(
        args.dbp_steps, args.dbp_seconds, threads=args.threads, seed=args.seed
    )
    rows: list[dict] = []
    curves: dict[tuple[int, int], dict] = {}
    show = sys.stderr.isatty()
    scoring = Scoring(num_paths=args.paths, periods=args.periods, burn_in=args.burn_in)
    for p, lead in cases:
        inst = make_instance(ENV, lead_time=lead, lost_sales_cost=p)
        result = run_comparison(
            inst,
            policies=["optimal", *HEURISTICS],
            strict=True,
            learners=[
                Learner("ppo", ppo_config),
                Learner("dbp", train_config, name="dbp-mlp"),
            ],
            scoring=scoring,
            progress=show,
        )
        optimum = result.optimum.result.cost
        best_name = min(
            HEURISTICS,
            key=lambda n: (
                result.entries[n].exact_cost
                if result.entries[n].exact_cost is not None
                else float("inf")
            ),
        )
        best_cost = result.entries[best_name].exact_cost
        ppo, dbp = result.entries["ppo"].result, result.entries["dbp-mlp"].result
        per_step = train_config.batch_size * (train_config.burn_in + train_config.horizon)
        first = train_config.batch_size * (train_config.first_burn_in + train_config.horizon)
        dbp_curve = [
            (first + (r["step"] - 1) * per_step, r["seconds"], r["val_cost"])
            for r in dbp.log
            if r.get("val_cost") not in (None, "")
        ]
        dbp_env_steps = first + (dbp.steps - 1) * per_step
        budgets = {
            "ppo": f"{ppo.timesteps} env steps",
            "dbp-mlp": f"{dbp.steps} steps = {dbp_env_steps} env steps",
        }
        for label, trained in (("ppo", ppo), ("dbp-mlp", dbp)):
            trained.policy.save(Path(args.out) / "ppo_vs_dbp_policies" / f"p{p}_L{lead}_{label}")
        # The validation curves are paired with the optimal policy on the same validation paths
        # (both trainers validate on eval_seed's paths with the same sizes).
        validation = evaluate(
            result.optimum.policy,
            ENV,
            inst.kwargs,
            num_paths=ppo_config.eval_paths,
            periods=ppo_config.eval_periods,
            burn_in=ppo_config.eval_burn_in,
            seed=ppo_config.eval_seed,
        )
        curves[(p, lead)] = {
            "optimum": optimum,
            "validation_optimum": validation.cost,
            "heuristic": (best_name, best_cost),
            "ppo": [(r["timesteps"], r["seconds"], r["val_cost"]) for r in ppo.evaluations],
            "dbp": dbp_curve,
        }
        shown = {
            "optimal": "optimal",
            best_name: f"best heuristic ({best_name})",
            "ppo": "ppo",
            "dbp-mlp": "dbp-mlp",
        }
        for name, label in shown.items():
            entry = result.entries[name]
            exact = optimum if name == "optimal" else entry.exact_cost
            gap, (low, high) = result.paired_gap(name)
            row = {
                "p": p,
                "L": lead,
                "policy": label,
                "optimum": optimum,
                "published_optimum": zipkin.published("optimal", p, lead),
                "exact": float("nan") if exact is None else exact,
                "exact_gap_pct": float("nan")
                if exact is None
                else 100 * (exact - optimum) / optimum,
                "cost": entry.evaluation.cost,
                "stderr": entry.evaluation.stderr,
                "sim_gap_pct": gap,
                "sim_gap_ci_low": low,
                "sim_gap_ci_high": high,
                "train_seconds": 0.0 if name == "optimal" else entry.seconds,
                "budget": budgets.get(name, ""),
                "threads": entry.info.get("threads", args.threads),
                "exact_note": "" if exact is not None else entry.exact_note,
            }
            rows.append(row)
            print(
                f"p={p} L={lead} {label}: exact {row['exact']:.4f} (gap "
                f"{row['exact_gap_pct']:.3f}%), simulated {row['cost']:.4f} ± {row['stderr']:.4f} "
                f"(gap {row['sim_gap_pct']:.3f}%), {row['train_seconds']:.0f} s {row['budget']}",
                flush=True,
            )
    write(rows, curves, args)
    return 0


def write(rows: list[dict], curves: dict, args: argparse.Namespace) -> None:
    name = "ppo_vs_dbp_quick" if args.quick else "ppo_vs_dbp"
    budget = f"{args.dbp_steps} steps" if args.dbp_steps else ""
    if args.dbp_seconds:
        budget += (", capped at " if budget else "") + f"{args.dbp_seconds:g} s"
    lines = [
        f"# PPO vs DirectBackprop on Zipkin's instances ({time.strftime('%Y-%m-%d')}, "
        f"{run_header(args.threads)})",
        "",
        f"Command: `python benchmarks/ppo_vs_dbp.py {' '.join(sys.argv[1:])}`. PPO: "
        f"{args.ppo_steps} environment steps; DBP: {budget}. Test paths "
        f"{args.paths} x {args.periods} periods after {args.burn_in} (seed 0; training seed "
        f"{args.seed}). Gap = exact cost of the rounded policy (Markov chain) vs the DP optimum; "
        "'sim' = paired gap on the test paths with its 95% interval.",
        "",
    ]
    lines += markdown_table(
        rows,
        [
            ("p", lambda r: r["p"]),
            ("L", lambda r: r["L"]),
            ("policy", lambda r: r["policy"]),
            ("exact cost", lambda r: f"{r['exact']:.4f}"),
            ("gap %", lambda r: fmt(r["exact_gap_pct"])),
            (
                "sim gap % (95% CI)",
                lambda r: (
                    f"{r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
                    f"{r['sim_gap_ci_high']:.3f})"
                ),
            ),
            ("train s", lambda r: f"{r['train_seconds']:.0f}"),
            ("budget", lambda r: r["budget"]),
        ],
    )
    notes = [
        f"- p={r['p']} L={r['L']} {r['policy']}: no exact cost: {r['exact_note']}"
        for r in rows
        if r["exact_note"]
    ]
    if notes:
        lines += ["", *notes]
    text = "\n".join(lines) + "\n"
    curve_rows = [
        {
            "p": p,
            "L": lead,
            "method": method,
            "env_steps": steps,
            "seconds": seconds,
            "val_cost": cost,
            "val_optimum": c["validation_optimum"],
        }
        for (p, lead), c in curves.items()
        for method in ("ppo", "dbp")
        for steps, seconds, cost in c[method]
    ]
    files = write_table(args.out, name, rows, markdown=text)
    files += write_table(args.out, f"{name}_curves", curve_rows)
    if not args.no_plot:
        files.append(plot(curves, Path(args.out) / f"{name}.png"))
    print(text)
    print("wrote " + ", ".join(str(f) for f in files))


def plot(curves: dict, path: Path) -> Path:
    """Validation gap (%) against environment steps (top) and seconds (bottom)."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 7), squeeze=False)
    for j, ((p, lead), c) in enumerate(curves.items()):
        opt, val_opt = c["optimum"], c["validation_optimum"]
        h_name, h_cost = c["heuristic"]
        for i, (index, label) in enumerate(((0, "environment steps"), (1, "wall-clock seconds"))):
            ax = axes[i][j]
            for key, style in (("ppo", "o-"), ("dbp", "s-")):
                pts = [(x[index], 100 * (x[2] - val_opt) / val_opt) for x in c[key]]
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, style, ms=3, label="PPO" if key == "ppo" else "DBP (MLP)")
            ax.axhline(100 * (h_cost - opt) / opt, color="grey", ls="--", label=f"{h_name}")
            ax.axhline(0.0, color="black", lw=0.8)
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_yscale("symlog", linthresh=1.0)
            ax.set_xlabel(label)
            ax.set_title(f"p={p}, L={lead}")
            if j == 0:
                ax.set_ylabel("gap to the optimal policy, %")
            ax.legend(fontsize=7)
    fig.suptitle(
        "Learning curves on Zipkin's instances: validation cost (256 x 500 periods, seed 7919) "
        "paired with the optimal policy's on the same paths; dashed: best heuristic (exact)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())
