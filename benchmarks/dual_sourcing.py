"""Dual sourcing (Boettcher et al. 2023): the exact optimum, the four index heuristics,
DirectBackprop and PPO, with gaps.

For each instance (demand uniform on {0, ..., 4}, h = 5, b = 495, c_r = 0, l_e = 0; default
l_r in {2, 3, 4} x c_e in {5, 10, 20}):

1. solve the average-cost DP (relative value iteration) for the optimum and its policy;
2. fit single index, dual index, capped dual index and tailored base-surge by simulation
   (``baselines.fitting``, seed 20261126);
3. train DBP's MLP for ``--dbp-steps`` (600 gradient steps, about what the published run's
   60 s gave; ``--dbp-seconds`` is an optional cap) and, on ``--ppo-instances`` (default the
   three l_r = 2 instances), PPO for ``--ppo-steps`` (2 million) environment steps, both
   with the problem's training defaults (``baselines/dual_sourcing/rl.py``: DBP's 16-period
   first burn-in, PPO's actor first cloned from the capped dual index);
4. score every policy exactly (the stationary cost of its chain on the DP grid: no simulation
   error) and on ``--paths`` x ``--periods`` test periods (seed 0) paired with the optimal
   policy.

Steps 1-4 are one call of :func:`inventory_gym_cli.pipeline.run_comparison` per instance (the
heuristics are the problem's entries of ``baselines.registry``). Writes
``benchmarks/results/dual_sourcing.{csv,md}``. ``--quick`` is a smoke test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import inventory_gym  # noqa: F401
from baselines.algorithms import problem_overrides
from baselines.fitting import FitConfig
from baselines.ppo import PPOConfig
from inventory_gym import make_instance
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

ENV = "DualSourcing-v0"
RESULTS = Path(__file__).parent / "results"
DBP_DEFAULTS = problem_overrides("dual_sourcing", "dbp")
PPO_DEFAULTS = problem_overrides("dual_sourcing", "sb3:PPO")
"""The problem's training defaults (baselines/dual_sourcing/rl.py), which the command-line
defaults repeat."""
PUBLISHED = {(2, 5): 16.77, (2, 10): 19.73, (2, 20): 23.07}
"""Boettcher et al.'s optimal costs (l_r, c_e) -> cost (SCENARIOS.md section 3)."""


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
        default=PPO_DEFAULTS["max_episode_steps"],
        help=f"PPO's training episodes ({PPO_DEFAULTS['max_episode_steps']}: with 1000, a "
        "backlog that runs away early in training dominates the returns)",
    )
    parser.add_argument(
        "--ppo-initial-policy",
        default=PPO_DEFAULTS["initial_policy"],
        help="the named policy PPO's actor imitates first ('none': start from the mean "
        f"demand; default {PPO_DEFAULTS['initial_policy']}, baselines/dual_sourcing/rl.py)",
    )
    add_budget_args(parser, steps=600)
    parser.add_argument(
        "--dbp-first-burn-in",
        type=int,
        default=DBP_DEFAULTS["first_burn_in"],
        help="DBP's first burn-in from the starting state (default "
        f"{DBP_DEFAULTS['first_burn_in']}, baselines/dual_sourcing/rl.py; the table in "
        "benchmarks/README.md was measured with 100)",
    )
    parser.add_argument("--paths", type=int, default=2000, help="test paths (2000)")
    parser.add_argument("--periods", type=int, default=1000, help="test periods per path (1000)")
    parser.add_argument("--burn-in", type=int, default=200, help="test burn-in (200)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.ppo_instances = "2:10", "2:10"
        args.ppo_steps, args.dbp_steps, args.dbp_seconds = 16_384, 30, 2.0
        args.paths, args.periods, args.burn_in = 100, 100, 50
    # The quick run's heuristics are fitted on short paths too (the defaults take most of it).
    fit = FitConfig(num_paths=100, periods=200, burn_in=50) if args.quick else None
    set_threads(args.threads, torch=True)
    ppo_cases = set(parse_pairs(args.ppo_instances))
    scoring = Scoring(num_paths=args.paths, periods=args.periods, burn_in=args.burn_in)
    show = sys.stderr.isatty()
    rows: list[dict] = []
    for lead, c_e in parse_pairs(args.instances):
        learners = [
            Learner(
                "dbp",
                dbp_config(
                    args.dbp_steps,
                    args.dbp_seconds,
                    threads=args.threads,
                    first_burn_in=args.dbp_first_burn_in,
                ),
                name="dbp-mlp",
            )
        ]
        if (lead, c_e) in ppo_cases:
            ppo_config = PPOConfig(
                timesteps=args.ppo_steps,
                max_episode_steps=args.ppo_episode_steps,
                initial_policy=None
                if args.ppo_initial_policy.lower() == "none"
                else args.ppo_initial_policy,
                threads=args.threads,
            )
            learners.append(Learner("ppo", ppo_config))
        result = run_comparison(
            make_instance(ENV, regular_lead_time=lead, expedited_cost=c_e),
            learners=learners,
            scoring=scoring,
            fit=fit,
            strict=True,
            progress=show,
        )
        optimum = result.optimum.result.cost
        for name, entry in result.entries.items():
            exact = optimum if entry is result.optimum else entry.exact_cost
            gap, (low, high) = result.paired_gap(name)
            if "steps" in entry.info:
                detail = f"{entry.info['steps']} steps"
            elif "timesteps" in entry.info:
                detail = f"{entry.info['timesteps']} steps"
            else:
                detail = "" if entry is result.optimum else str(entry.policy.params())
            rows.append(
                {
                    "l_r": lead,
                    "c_e": c_e,
                    "policy": name,
                    "optimum": optimum,
                    "published": PUBLISHED.get((lead, c_e), ""),
                    "exact": float("nan") if exact is None else exact,
                    "gap_pct": float("nan") if exact is None else 100 * (exact - optimum) / optimum,
                    "cost": entry.evaluation.cost,
                    "stderr": entry.evaluation.stderr,
                    "sim_gap_pct": gap,
                    "sim_gap_ci_low": low,
                    "sim_gap_ci_high": high,
                    "seconds": entry.seconds,
                    "detail": detail,
                    "exact_note": "" if exact is not None else entry.exact_note,
                    "threads": entry.info.get("threads", args.threads),
                }
            )
            r = rows[-1]
            print(
                f"l_r={lead} c_e={c_e} {name}: exact {r['exact']:.4f} (gap {r['gap_pct']:.3f}%), "
                f"simulated {r['cost']:.4f} ± {r['stderr']:.4f}, {r['seconds']:.1f} s {detail}",
                flush=True,
            )
    write(rows, args)
    return 0


def write(rows: list[dict], args: argparse.Namespace) -> None:
    name = "dual_sourcing_quick" if args.quick else "dual_sourcing"
    lines = [
        f"# Dual sourcing ({time.strftime('%Y-%m-%d')}, {run_header(args.threads)})",
        "",
        f"Command: `python benchmarks/dual_sourcing.py {' '.join(sys.argv[1:])}`. Gap = exact "
        "stationary cost of the rounded policy vs the DP optimum; 'sim' = paired gap on "
        f"{args.paths} x {args.periods} test periods (seed 0) with its 95% interval.",
        "",
    ]

    def exact(r: dict) -> str:
        published = r["policy"] == "optimal" and r["published"]
        return f"{r['exact']:.4f}" + (f" (published {r['published']})" if published else "")

    lines += markdown_table(
        rows,
        [
            ("l_r", lambda r: r["l_r"]),
            ("c_e", lambda r: r["c_e"]),
            ("policy", lambda r: r["policy"]),
            ("exact cost", exact),
            ("gap %", lambda r: fmt(r["gap_pct"])),
            (
                "sim gap % (95% CI)",
                lambda r: (
                    f"{r['sim_gap_pct']:.3f} ({r['sim_gap_ci_low']:.3f}.."
                    f"{r['sim_gap_ci_high']:.3f})"
                ),
            ),
            ("s", lambda r: f"{r['seconds']:.1f}"),
            ("parameters", lambda r: r["detail"]),
        ],
    )
    notes = [
        f"- l_r={r['l_r']} c_e={r['c_e']} {r['policy']}: no exact cost: {r['exact_note']}"
        for r in rows
        if r["exact_note"]
    ]
    if notes:
        lines += ["", *notes]
    text = "\n".join(lines) + "\n"
    files = write_table(args.out, name, rows, markdown=text)
    print(text)
    print("wrote " + ", ".join(str(f) for f in files))


if __name__ == "__main__":
    sys.exit(main())
