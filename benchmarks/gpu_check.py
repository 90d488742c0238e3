"""The torch paths on a CUDA device: DirectBackprop, the harness's torch backend, PPO and the
native torch vector env, each next to the same thing on the CPU of the same machine.

On Zipkin's L = 2, p = 9 instance (optimum 6.0936):

1. DBP (MLP) for ``--seconds`` on the device with the default batch (512 paths) and a large
   one (8192), and on the CPU; each policy scored on the CPU by the harness (numpy backend,
   seed 0), as a gap to the DP optimum;
2. the harness with ``backend="torch"`` on the device against the numpy backend for the same
   policy (different random streams, so the costs agree within their standard errors, not
   bit for bit);
3. PPO (``baselines.ppo``) for ``--ppo-steps`` with ``device`` on the GPU and on the CPU;
4. the native vector env with the torch backend: steps per second at a large batch.

Prints one JSON document (and writes it to ``--out`` if given). Not part of the test suite:
CI has no GPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import gymnasium as gym
import torch

import inventory_gym  # noqa: F401
from baselines.lost_sales import dp
from baselines.ppo import PPOConfig, train_ppo
from dbp import TrainConfig, train
from inventory_gym import make_instance
from inventory_gym.evaluation import evaluate
from inventory_gym.threads import set_threads

ENV = "LostSalesLeadTime-v0"
KWARGS = {"lead_time": 2, "lost_sales_cost": 9}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="torch device to check (cuda)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="DBP budget per run in seconds (20: the check compares the steps each device "
        "does in the same time, so here the budget is the time, with no step budget)",
    )
    parser.add_argument("--ppo-steps", type=int, default=500_000, help="PPO budget (500000)")
    parser.add_argument("--paths", type=int, default=2000, help="test paths (2000)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    set_threads(args.threads, torch=True)
    device = args.device
    optimum = dp.solve(make_instance(ENV, KWARGS).params).cost
    test = {"num_paths": args.paths, "periods": 1000, "burn_in": 200}
    doc: dict = {
        "machine": platform.machine(),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else device,
        "optimum": optimum,
        "threads": args.threads,
    }

    def gap(cost: float) -> float:
        return round(100 * (cost - optimum) / optimum, 4)

    runs = []
    for dev, batch in ((device, 512), (device, 8192), ("cpu", 512)):
        config = TrainConfig(
            max_steps=None,
            max_seconds=args.seconds,
            device=dev,
            batch_size=batch,
            threads=args.threads,
        )
        result = train((ENV, KWARGS), "mlp", config, progress=False)
        policy = result.policy.to("cpu")
        cost = evaluate(policy, ENV, KWARGS, **test).cost
        runs.append({"device": dev, "batch": batch, "steps": result.steps, "gap_pct": gap(cost)})
        print(runs[-1], flush=True)
    doc["dbp"] = runs

    policy = result.policy.to(device)
    on_device = evaluate(policy, ENV, KWARGS, backend="torch", device=device, **test)
    on_cpu = evaluate(policy.to("cpu"), ENV, KWARGS, **test)
    doc["harness"] = {
        "torch_backend": [on_device.cost, on_device.stderr],
        "numpy_backend": [on_cpu.cost, on_cpu.stderr],
        "difference_in_stderrs": (on_device.cost - on_cpu.cost)
        / (on_device.stderr**2 + on_cpu.stderr**2) ** 0.5,
    }
    print(doc["harness"], flush=True)

    ppo_runs = []
    for dev in (device, "cpu"):
        config = PPOConfig(
            timesteps=args.ppo_steps,
            device=dev,
            eval_every=args.ppo_steps // 4,
            threads=args.threads,
        )
        result = train_ppo(ENV, KWARGS, config, progress=False)
        cost = evaluate(result.policy.to("cpu"), ENV, KWARGS, **test).cost
        ppo_runs.append({"device": dev, "seconds": round(result.seconds, 1), "gap_pct": gap(cost)})
        print(ppo_runs[-1], flush=True)
    doc["ppo"] = ppo_runs

    rates = []
    for dev, n in ((device, 65536), ("cpu", 65536)):
        env = gym.make_vec(
            ENV, num_envs=n, vectorization_mode="vector_entry_point", backend="torch", device=dev
        )
        env.reset(seed=0)
        action = torch.full((n,), 5.0, device=dev)
        for _ in range(20):
            env.step(action)
        if dev.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(200):
            env.step(action)
        if dev.startswith("cuda"):
            torch.cuda.synchronize()
        rates.append(
            {"device": dev, "num_envs": n, "steps_per_s": n * 200 / (time.perf_counter() - t0)}
        )
        print(rates[-1], flush=True)
    doc["vector_env"] = rates
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
