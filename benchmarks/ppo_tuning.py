"""PPO tuning (issue 18): train ``sb3:<ALGO>`` with the problem's defaults plus overrides on
one instance and print its exact gap to the optimum (one JSON line per run).

    python benchmarks/ppo_tuning.py DualSourcing-v0 \
        '{"regular_lead_time": 2, "expedited_cost": 5}' --set '{"log_std_init": -2.0}' \
        --budget 2000000 --seed 0

The optimum comes from the problem's exact solver (``baselines.exact``), the policy's cost
from the exact stationary cost of its rounded chain (``None`` when the chain leaves the DP
grid; then the paired simulated gap on 1000 x 1000 test periods, seed 0, is the measure).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import inventory_gym  # noqa: F401
from baselines.algorithms import sb3_config
from baselines.exact import policy_cost, solver
from baselines.ppo import train_sb3
from inventory_gym import make_instance
from inventory_gym.evaluation import compare, evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_id")
    parser.add_argument("env_kwargs", help="JSON object of the env's keywords")
    parser.add_argument("--algo", default="PPO")
    parser.add_argument("--set", default="{}", help="JSON: SB3Config field overrides")
    parser.add_argument(
        "--budget", type=int, default=None, help="env steps (default: the problem's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="")
    parser.add_argument("--paths", type=int, default=1000)
    args = parser.parse_args(argv)
    kwargs = json.loads(args.env_kwargs)
    inst = make_instance(args.env_id, kwargs)
    config = sb3_config(args.algo, inst.problem.name, args.budget, args.seed)
    config = config.replace(**json.loads(args.set))
    exact = solver(inst.problem).solve(inst.params, discount=None, margin=0, progress=False)
    start = time.perf_counter()
    result = train_sb3(args.env_id, kwargs, config, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    cost = policy_cost(inst.problem, inst.params, result.policy)
    runs = [
        evaluate(p, args.env_id, kwargs, num_paths=args.paths, periods=1000, burn_in=200, seed=0)
        for p in (result.policy, exact.policy())
    ]
    paired = compare(*runs)
    row = {
        "label": args.label,
        "env_id": args.env_id,
        "env_kwargs": kwargs,
        "algo": args.algo,
        "set": json.loads(args.set),
        "timesteps": result.timesteps,
        "seed": args.seed,
        "threads": config.threads,
        "seconds": round(seconds, 1),
        "optimum": exact.cost,
        "exact_cost": cost,
        "gap_pct": None if cost is None else round(100 * (cost - exact.cost) / exact.cost, 3),
        "sim_gap_pct": round(paired.relative, 3),
        "best_val_cost": result.best_val_cost,
        "curve": [(r["timesteps"], round(r["val_cost"], 3)) for r in result.evaluations],
    }
    print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
