"""Demo: a base-stock policy on ``LostSalesLeadTime-v0`` (Zipkin's L = 4, h = 1, p = 9).

Run ``python -m inventory_gym.demo --help`` for the options. Every base-stock level is
simulated on the same demand paths (common random numbers) with the native vector env, and the
average cost per period after a burn-in is printed with its standard error, next to Zipkin's
(2008) published best base-stock cost and optimum for the default instance.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import inventory_gym  # noqa: F401  (registers the ids)

ENV_ID = "LostSalesLeadTime-v0"
ZIPKIN_BEST_BASE_STOCK = 7.27
ZIPKIN_OPTIMUM = 6.84


def simulate_base_stock(
    level: float, *, num_envs: int, periods: int, burn_in: int, seed: int
) -> tuple[float, float]:
    """Mean cost per period of ``z = (S - inventory position)^+`` and its standard error.

    The inventory position is on-hand stock plus the pipeline: the sum of the observation.
    """
    env = gym.make_vec(
        ENV_ID,
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        max_episode_steps=periods,
        integer_actions=True,
        max_order=max(level, 1.0),
    )
    obs, _ = env.reset(seed=seed)
    total = np.zeros(num_envs)
    for t in range(periods):
        obs, reward, *_ = env.step(np.maximum(level - obs.sum(axis=1), 0.0))
        if t >= burn_in:
            total -= reward
    per_env = total / (periods - burn_in)
    return float(per_env.mean()), float(per_env.std(ddof=1) / np.sqrt(num_envs))


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and print the base-stock table."""
    parser = argparse.ArgumentParser(
        prog="python -m inventory_gym.demo",
        description=(
            "Simulate base-stock policies z = (S - inventory position)^+ on "
            f"{ENV_ID} (lead time 4, h = 1, p = 9, Poisson(5) demand) and print the average "
            "cost per period of each level S on common random numbers."
        ),
    )
    parser.add_argument(
        "--levels",
        type=int,
        nargs="+",
        default=list(range(26, 34)),
        help="base-stock levels S to simulate (default: 26..33)",
    )
    parser.add_argument(
        "--num-envs", type=int, default=2000, help="independent demand paths (default: 2000)"
    )
    parser.add_argument(
        "--periods", type=int, default=600, help="periods per path, burn-in included (default: 600)"
    )
    parser.add_argument(
        "--burn-in", type=int, default=100, help="periods discarded before averaging (default: 100)"
    )
    parser.add_argument("--seed", type=int, default=0, help="demand seed (default: 0)")
    args = parser.parse_args(argv)
    if args.num_envs < 2:
        parser.error(f"--num-envs must be at least 2, got {args.num_envs}")
    if not 0 <= args.burn_in < args.periods:
        parser.error(f"--burn-in must be in [0, --periods), got {args.burn_in}")
    if min(args.levels) < 0:
        parser.error(f"--levels must be non-negative, got {args.levels}")

    print(
        f"{ENV_ID}: base-stock policies, {args.num_envs} paths x "
        f"{args.periods - args.burn_in} periods after {args.burn_in} burn-in, seed {args.seed}"
    )
    print(f"{'S':>4}  {'cost/period':>12}  {'std. error':>10}")
    start = time.perf_counter()
    results = {}
    for level in args.levels:
        cost, stderr = simulate_base_stock(
            level,
            num_envs=args.num_envs,
            periods=args.periods,
            burn_in=args.burn_in,
            seed=args.seed,
        )
        results[level] = (cost, stderr)
        print(f"{level:>4}  {cost:>12.4f}  {stderr:>10.4f}", flush=True)
    best = min(results, key=lambda s: results[s][0])
    cost, stderr = results[best]
    steps = len(args.levels) * args.num_envs * args.periods
    print(f"\nbest S = {best}: {cost:.3f} +/- {1.96 * stderr:.3f} (95%) per period")
    print(
        f"Zipkin (2008), Table 3: best base-stock {ZIPKIN_BEST_BASE_STOCK}, "
        f"optimum {ZIPKIN_OPTIMUM} (gap of base-stock to the optimum: "
        f"{100 * (cost / ZIPKIN_OPTIMUM - 1):.1f}%)"
    )
    print(f"{steps:,} env-steps in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
