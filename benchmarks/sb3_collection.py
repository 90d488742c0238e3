"""PPO's data collection: the native SB3 adapter against SB3's DummyVecEnv over single envs.

For each number of envs, PPO (``baselines.ppo``'s defaults: MLP 64x64, VecMonitor and
VecNormalize around the env, unit actions) collects rollouts of ``--n-steps`` steps per env
with ``PPO.collect_rollouts``, the exact loop ``PPO.learn`` runs, policy forward passes
included, from

- :class:`inventory_gym.sb3.InventorySB3VecEnv` (one kernel call per step for all envs), and
- ``DummyVecEnv`` over ``num_envs`` single ``gym.make`` envs, the same env behind the same
  rescaling of the actions (:class:`gymnasium.wrappers.RescaleAction`), SB3's default way to
  run several envs in one process.

It reports the median environment steps per second over ``--repeats`` rollouts (after one
warm-up rollout) and the ratio, and the same for the wrapped env alone (``step`` with random
actions, no policy), which shows how much of a rollout is SB3's own work (the policy's forward
pass, the buffer), the same for both. Writes ``benchmarks/results/sb3_collection.{csv,md}``.
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from gymnasium.wrappers import RescaleAction
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor, VecNormalize

import inventory_gym
from inventory_gym.sb3 import InventorySB3VecEnv
from inventory_gym.threads import set_threads

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"


def make_native(num_envs: int, kwargs: dict) -> InventorySB3VecEnv:
    return InventorySB3VecEnv(ENV, num_envs, unit_actions=True, seed=0, **kwargs)


def make_dummy(num_envs: int, kwargs: dict) -> DummyVecEnv:
    def factory():
        env = gym.make(ENV, **kwargs)
        return RescaleAction(env, -1.0, 1.0)

    env = DummyVecEnv([factory for _ in range(num_envs)])
    env.seed(0)
    return env


def step_rates(venv, n_steps: int, repeats: int) -> list[float]:
    """Environment steps per second of the wrapped env alone (random actions, no policy)."""
    venv = VecNormalize(VecMonitor(venv), gamma=0.99)
    venv.reset()
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(n_steps, venv.num_envs, 1)).astype(np.float32)
    rates = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        for a in actions:
            venv.step(a)
        if i:
            rates.append(venv.num_envs * n_steps / (time.perf_counter() - t0))
    venv.close()
    return rates


def rollout_rates(venv, n_steps: int, repeats: int) -> list[float]:
    """Environment steps per second of ``repeats`` timed rollouts (after one warm-up)."""
    venv = VecNormalize(VecMonitor(venv), gamma=0.99)
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=64, device="cpu", seed=0)
    _, callback = model._setup_learn(10**12, None)
    callback.on_training_start(locals(), globals())
    rates = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        model.collect_rollouts(model.env, callback, model.rollout_buffer, n_rollout_steps=n_steps)
        elapsed = time.perf_counter() - t0
        if i:
            rates.append(venv.num_envs * n_steps / elapsed)
    venv.close()
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--num-envs", default="16,64,256,1024", help="numbers of envs (default 16,64,256,1024)"
    )
    parser.add_argument(
        "--n-steps", type=int, default=64, help="steps per env per rollout (64, PPOConfig's)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed rollouts (5)")
    parser.add_argument("--lead-time", type=int, default=4, help="lead time of the env (4)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny sizes")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.num_envs, args.n_steps, args.repeats = "4", 16, 1
    set_threads(args.threads, torch=True)
    kwargs = {"lead_time": args.lead_time}
    rows = []
    for n in (int(x) for x in args.num_envs.split(",")):
        rates = {}
        for label, make in (("adapter", make_native), ("dummy", make_dummy)):
            venv = make(n, kwargs)
            rates[label] = statistics.median(rollout_rates(venv, args.n_steps, args.repeats))
            venv = make(n, kwargs)
            rates[f"{label}_env"] = statistics.median(step_rates(venv, args.n_steps, args.repeats))
        rows.append(
            {
                "num_envs": n,
                "adapter_steps_per_s": rates["adapter"],
                "dummy_steps_per_s": rates["dummy"],
                "speedup": rates["adapter"] / rates["dummy"],
                "adapter_env_only_steps_per_s": rates["adapter_env"],
                "dummy_env_only_steps_per_s": rates["dummy_env"],
                "env_only_speedup": rates["adapter_env"] / rates["dummy_env"],
            }
        )
        print(
            f"num_envs={n}: collection {rates['adapter']:,.0f} vs {rates['dummy']:,.0f} steps/s "
            f"({rows[-1]['speedup']:.1f}x); env alone {rates['adapter_env']:,.0f} vs "
            f"{rates['dummy_env']:,.0f} ({rows[-1]['env_only_speedup']:.1f}x)",
            flush=True,
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "sb3_collection_quick" if args.quick else "sb3_collection"
    with (out / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"# PPO data collection ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"inventory-gym {inventory_gym.__version__}, stable-baselines3 "
        f"{stable_baselines3.__version__}, torch {torch.__version__}, {args.threads} thread(s), "
        f"numpy {np.__version__})",
        "",
        f"Command: `python benchmarks/sb3_collection.py {' '.join(sys.argv[1:])}`. "
        f"{ENV} with lead_time={args.lead_time}; PPO.collect_rollouts of {args.n_steps} steps per "
        f"env, median of {args.repeats} rollouts.",
        "",
        "| envs | PPO collection: adapter | DummyVecEnv | speedup | env alone: adapter | "
        "DummyVecEnv | speedup |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['num_envs']} | {r['adapter_steps_per_s']:,.0f} | "
            f"{r['dummy_steps_per_s']:,.0f} | {r['speedup']:.1f}x | "
            f"{r['adapter_env_only_steps_per_s']:,.0f} | {r['dummy_env_only_steps_per_s']:,.0f} | "
            f"{r['env_only_speedup']:.1f}x |"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
