"""Dual sourcing (Boettcher et al. 2023): the exact optimum, the four index heuristics,
DirectBackprop and PPO, with gaps.

For each instance (demand uniform on {0, ..., 4}, h = 5, b = 495, c_r = 0, l_e = 0; default
l_r in {2, 3, 4} x c_e in {5, 10, 20}):

1. solve the average-cost DP (relative value iteration) for the optimum and its policy;
2. fit single index, dual index, capped dual index and tailored base-surge by simulation
   (``baselines.fitting``, seed 20261126);
3. train DBP's MLP for ``--dbp-seconds`` (60) and, on ``--ppo-instances`` (default the three
   l_r = 2 instances), PPO for ``--ppo-steps`` (2 million) environment steps;
4. score every policy exactly (the stationary cost of its chain on the DP grid: no simulation
   error) and on ``--paths`` x ``--periods`` test periods (seed 0) paired with the optimal
   policy.

Writes ``benchmarks/results/dual_sourcing.{csv,md}``. ``--quick`` is a smoke test.
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
from baselines.dual_sourcing import dp
from baselines.dual_sourcing import heuristics as h
from baselines.ppo import PPOConfig, train_ppo
from dbp import TrainConfig, train
from inventory_gym.evaluation import compare, evaluate, instance

ENV = "DualSourcing-v0"
RESULTS = Path(__file__).parent / "results"
PUBLISHED = {(2, 5): 16.77, (2, 10): 19.73, (2, 20): 23.07}
"""Boettcher et al.'s optimal costs (l_r, c_e) -> cost (SCENARIOS.md section 3)."""
HEURISTICS = {
    "capped_dual_index": h.fit_capped_dual_index,
    "dual_index": h.fit_dual_index,
    "tailored_base_surge": h.fit_tailored_base_surge,
    "single_index": h.fit_single_index,
}


def parse_pairs(text: str) -> list[tuple[int, int]]:
    """``"2:5,3:10"`` -> [(2, 5), (3, 10)] (l_r:c_e)."""
    pairs = []
    for item in (t.strip() for t in text.split(",") if t.strip()):
        try:
            lead, cost = item.split(":")
            pairs.append((int(lead), int(cost)))
        except ValueError:
            raise SystemExit(
                f"instances: expected l_r:c_e pairs such as 2:10, got {item!r}"
            ) from None
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances",
        default="2:5,2:10,2:20,3:5,3:10,3:20,4:5,4:10,4:20",
        help="l_r:c_e pairs (default all nine)",
    )
    parser.add_argument(
        "--ppo-instances", default="2:5,2:10,2:20", help="where PPO runs too (default l_r = 2)"
    )
    parser.add_argument("--ppo-steps", type=int, default=2_000_000, help="PPO's steps (2M)")
    parser.add_argument(
        "--ppo-episode-steps",
        type=int,
        default=256,
        help="PPO's training episodes (256: with 1000, a backlog that runs away early in "
        "training dominates the returns)",
    )
    parser.add_argument("--dbp-seconds", type=float, default=60.0, help="DBP's budget (60 s)")
    parser.add_argument("--paths", type=int, default=2000, help="test paths (2000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in (200)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.ppo_instances = "2:10", "2:10"
        args.ppo_steps, args.dbp_seconds = 16_384, 2.0
        args.paths, args.periods, args.burn_in = 100, 100, 50
    torch.set_num_threads(args.threads)
    ppo_cases = set(parse_pairs(args.ppo_instances))
    test = {"num_paths": args.paths, "periods": args.periods, "burn_in": args.burn_in}
    rows: list[dict] = []
    for lead, c_e in parse_pairs(args.instances):
        kwargs = {"regular_lead_time": lead, "expedited_cost": c_e}
        _, params = instance(ENV, kwargs)
        t0 = time.perf_counter()
        solution = dp.solve(params)
        policies = {"optimal": (solution.policy(), time.perf_counter() - t0, "")}
        for name, fit in HEURISTICS.items():
            t0 = time.perf_counter()
            policy = fit(ENV, kwargs)
            policies[name] = (policy, time.perf_counter() - t0, str(policy.params()))
        config = TrainConfig(max_seconds=args.dbp_seconds, threads=args.threads)
        result = train((ENV, kwargs), "mlp", config, progress=sys.stderr.isatty())
        policies["dbp-mlp"] = (result.policy, result.seconds, f"{result.steps} steps")
        if (lead, c_e) in ppo_cases:
            ppo_config = PPOConfig(
                timesteps=args.ppo_steps,
                max_episode_steps=args.ppo_episode_steps,
                threads=args.threads,
            )
            trained = train_ppo(ENV, kwargs, ppo_config, progress=sys.stderr.isatty())
            policies["ppo"] = (trained.policy, trained.seconds, f"{trained.timesteps} steps")
        reference = evaluate(policies["optimal"][0], ENV, kwargs, **test)
        for name, (policy, seconds, detail) in policies.items():
            exact, note = solution.cost, ""
            if name != "optimal":
                try:
                    exact = dp.policy_cost(params, policy)
                except ValueError as err:  # its chain leaves the DP grid
                    exact, note = float("nan"), str(err)
            result = reference if name == "optimal" else evaluate(policy, ENV, kwargs, **test)
            paired = compare(result, reference)
            rows.append(
                {
                    "l_r": lead,
                    "c_e": c_e,
                    "policy": name,
                    "optimum": solution.cost,
                    "published": PUBLISHED.get((lead, c_e), ""),
                    "exact": exact,
                    "gap_pct": 100 * (exact - solution.cost) / solution.cost,
                    "cost": result.cost,
                    "stderr": result.stderr,
                    "sim_gap_pct": paired.relative,
                    "sim_gap_ci_low": 100 * paired.ci95[0] / reference.cost,
                    "sim_gap_ci_high": 100 * paired.ci95[1] / reference.cost,
                    "seconds": seconds,
                    "detail": detail,
                    "exact_note": note,
                }
            )
            r = rows[-1]
            print(
                f"l_r={lead} c_e={c_e} {name}: exact {exact:.4f} (gap {r['gap_pct']:.3f}%), "
                f"simulated {result.cost:.4f} ± {result.stderr:.4f}, {seconds:.1f} s {detail}",
                flush=True,
            )
    write(rows, args)
    return 0


def write(rows: list[dict], args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "dual_sourcing_quick" if args.quick else "dual_sourcing"
    with (out / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# Dual sourcing ({time.strftime('%Y-%m-%d')}, {platform.machine()}, torch "
        f"{torch.__version__}, {torch.get_num_threads()} thread(s))",
        "",
        f"Command: `python benchmarks/dual_sourcing.py {' '.join(sys.argv[1:])}`. Gap = exact "
        "stationary cost of the rounded policy vs the DP optimum; 'sim' = paired gap on "
        f"{args.paths} x {args.periods} test periods (seed 0) with its 95% interval.",
        "",
        "| l_r | c_e | policy | exact cost | gap % | sim gap % (95% CI) | s | parameters |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        published = (
            f" (published {r['published']})" if r["policy"] == "optimal" and r["published"] else ""
        )
        lines.append(
            f"| {r['l_r']} | {r['c_e']} | {r['policy']} | {r['exact']:.4f}{published} | "
            f"{r['gap_pct']:.3f} | {r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
            f"{r['sim_gap_ci_high']:.3f}) | {r['seconds']:.1f} | {r['detail']} |"
        )
    notes = [
        f"- l_r={r['l_r']} c_e={r['c_e']} {r['policy']}: no exact cost: {r['exact_note']}"
        for r in rows
        if r["exact_note"]
    ]
    if notes:
        lines += ["", *notes]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out / (name + '.csv')} and .md")


if __name__ == "__main__":
    sys.exit(main())
