"""PPO (stable-baselines3) against DirectBackprop, the best heuristic and the exact optimum on
Zipkin's lost-sales instances.

For each instance (Poisson(5) demand, h = 1, default p in {4, 39} x L in {1, 4}):

1. solve the exact DP (the optimum) and fit the strongest heuristics (myopic-2, capped
   base-stock, projected inventory level, base-stock); the best heuristic is the one with the
   lowest exact cost;
2. train PPO with a fixed budget of ``--ppo-steps`` environment steps (default 2 million;
   :class:`baselines.ppo.PPOConfig`'s defaults, wall time reported) and DBP's MLP for
   ``--dbp-seconds`` of wall-clock time (default 60);
3. score every policy (orders rounded, as the integer demand asks) exactly from the Markov
   chain of the rounded policy, and with the harness on ``--paths`` x ``--periods`` test paths
   (seed 0: common random numbers for all policies, so each gap comes with a paired 95%
   interval);
4. draw the learning curves (validation gap to the optimum against environment steps and
   against wall-clock seconds; DBP's environment steps are the periods it simulates, batch x
   (burn-in + horizon) per gradient step) to ``ppo_vs_dbp.png``.

Writes ``benchmarks/results/ppo_vs_dbp.{csv,md,png}``. Runs one instance after another with one
torch thread, so that the wall times are not disturbed by a second job. ``--quick`` is a smoke
test (one instance, tiny budgets), not a result.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import inventory_gym  # noqa: F401
from baselines.lost_sales import dp, heuristics, zipkin
from baselines.ppo import PPOConfig, train_ppo
from dbp import TrainConfig, train
from inventory_gym.evaluation import compare, evaluate, instance

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"
HEURISTICS = {
    "myopic2": dp.fit_myopic2,
    "capped_base_stock": heuristics.fit_capped_base_stock,
    "projected_inventory_level": heuristics.fit_projected_inventory_level,
    "base_stock": heuristics.fit_base_stock,
}


def exact_cost(params, policy) -> tuple[float, str]:
    """The exact average cost of the rounded policy, or NaN and the reason when its Markov
    chain from the starting state is too large to build."""
    try:
        chain_policy = policy.state_policy() if hasattr(policy, "env_options") else policy
        return dp.policy_cost(params, chain_policy), ""
    except ValueError as err:
        return float("nan"), str(err)


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
    parser.add_argument(
        "--dbp-seconds", type=float, default=60.0, help="DBP's budget in seconds (60)"
    )
    parser.add_argument("--paths", type=int, default=4000, help="test paths (4000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in periods (200)")
    parser.add_argument("--seed", type=int, default=0, help="training seed of PPO and DBP (0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--no-plot", action="store_true", help="skip the learning-curve PNG")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.ppo_steps, args.dbp_seconds = "4:1", 16_384, 2.0
        args.paths, args.periods, args.burn_in = 100, 100, 50
    torch.set_num_threads(args.threads)
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
    dbp_config = TrainConfig(max_seconds=args.dbp_seconds, threads=args.threads, seed=args.seed)
    rows: list[dict] = []
    curves: dict[tuple[int, int], dict] = {}
    show = sys.stderr.isatty()
    test = {"num_paths": args.paths, "periods": args.periods, "burn_in": args.burn_in}
    for p, lead in cases:
        kwargs = {"lead_time": lead, "lost_sales_cost": p}
        _, params = instance(ENV, kwargs)
        solution = dp.solve(params)
        optimum = solution.cost
        policies: dict[str, tuple] = {"optimal": (solution.policy(), 0.0, "")}
        best_name, best_cost = None, np.inf
        for name, fit in HEURISTICS.items():
            t0 = time.perf_counter()
            policy = fit(ENV, kwargs)
            seconds = time.perf_counter() - t0
            cost, _ = exact_cost(params, policy)
            if cost < best_cost:
                best_name, best_cost, best = name, cost, (policy, seconds, "")
        policies[f"best heuristic ({best_name})"] = best
        ppo = train_ppo(ENV, kwargs, ppo_config, progress=show)
        policies["ppo"] = (ppo.policy, ppo.seconds, f"{ppo.timesteps} env steps")
        dbp = train((ENV, kwargs), "mlp", dbp_config, progress=show)
        per_step = dbp_config.batch_size * (dbp_config.burn_in + dbp_config.horizon)
        first = dbp_config.batch_size * (dbp_config.first_burn_in + dbp_config.horizon)
        dbp_curve = [
            (first + (r["step"] - 1) * per_step, r["seconds"], r["val_cost"])
            for r in dbp.log
            if r.get("val_cost") not in (None, "")
        ]
        dbp_env_steps = first + (dbp.steps - 1) * per_step
        policies["dbp-mlp"] = (
            dbp.policy,
            dbp.seconds,
            f"{dbp.steps} steps = {dbp_env_steps} env steps",
        )
        for label, trained in (("ppo", ppo), ("dbp-mlp", dbp)):
            trained.policy.save(Path(args.out) / "ppo_vs_dbp_policies" / f"p{p}_L{lead}_{label}")
        # The validation curves are paired with the optimal policy on the same validation paths
        # (both trainers validate on eval_seed's paths with the same sizes).
        validation = evaluate(
            policies["optimal"][0],
            ENV,
            kwargs,
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
        reference = evaluate(policies["optimal"][0], ENV, kwargs, **test)
        for name, (policy, seconds, budget) in policies.items():
            result = reference if name == "optimal" else evaluate(policy, ENV, kwargs, **test)
            exact, note = (optimum, "") if name == "optimal" else exact_cost(params, policy)
            paired = compare(result, reference)
            row = {
                "p": p,
                "L": lead,
                "policy": name,
                "optimum": optimum,
                "published_optimum": zipkin.published("optimal", p, lead),
                "exact": exact,
                "exact_gap_pct": 100 * (exact - optimum) / optimum,
                "cost": result.cost,
                "stderr": result.stderr,
                "sim_gap_pct": paired.relative,
                "sim_gap_ci_low": 100 * paired.ci95[0] / reference.cost,
                "sim_gap_ci_high": 100 * paired.ci95[1] / reference.cost,
                "train_seconds": seconds,
                "budget": budget,
                "exact_note": note,
            }
            rows.append(row)
            print(
                f"p={p} L={lead} {name}: exact {exact:.4f} (gap {row['exact_gap_pct']:.3f}%), "
                f"simulated {result.cost:.4f} ± {result.stderr:.4f} (gap "
                f"{row['sim_gap_pct']:.3f}%), {seconds:.0f} s {budget}",
                flush=True,
            )
    write(rows, curves, args)
    return 0


def write(rows: list[dict], curves: dict, args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "ppo_vs_dbp_quick" if args.quick else "ppo_vs_dbp"
    with (out / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# PPO vs DirectBackprop on Zipkin's instances ({time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s))",
        "",
        f"Command: `python benchmarks/ppo_vs_dbp.py {' '.join(sys.argv[1:])}`. PPO: "
        f"{args.ppo_steps} environment steps; DBP: {args.dbp_seconds:g} s. Test paths "
        f"{args.paths} x {args.periods} periods after {args.burn_in} (seed 0). Gap = exact cost "
        "of the rounded policy (Markov chain) vs the DP optimum; 'sim' = paired gap on the test "
        "paths with its 95% interval.",
        "",
        "| p | L | policy | exact cost | gap % | sim gap % (95% CI) | train s | budget |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['p']} | {r['L']} | {r['policy']} | {r['exact']:.4f} | "
            f"{r['exact_gap_pct']:.3f} | {r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
            f"{r['sim_gap_ci_high']:.3f}) | {r['train_seconds']:.0f} | {r['budget']} |"
        )
    notes = [
        f"- p={r['p']} L={r['L']} {r['policy']}: no exact cost: {r['exact_note']}"
        for r in rows
        if r["exact_note"]
    ]
    if notes:
        lines += ["", *notes]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    with (out / f"{name}_curves.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["p", "L", "method", "env_steps", "seconds", "val_cost", "val_optimum"])
        for (p, lead), c in curves.items():
            for method in ("ppo", "dbp"):
                for steps, seconds, cost in c[method]:
                    writer.writerow(
                        [p, lead, method, steps, seconds, cost, c["validation_optimum"]]
                    )
    files = [out / f"{name}.csv", out / f"{name}_curves.csv", out / f"{name}.md"]
    if not args.no_plot:
        files.append(plot(curves, out / f"{name}.png"))
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
