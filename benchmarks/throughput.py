"""Throughput benchmark: environment steps per second of inventory_gym's lost-sales envs.

Run it from the repository root::

    .venv/bin/python benchmarks/throughput.py            # full run, a few minutes at most
    .venv/bin/python benchmarks/throughput.py --quick    # smoke run, well under a minute

What is measured (one "env-step" is one period of one system: a step of a batch of N counts N):

(a) ``single``: one env through ``gym.make`` with its standard wrappers (``TimeLimit``,
    ``OrderEnforcing``, ``PassiveEnvChecker``), reset whenever an episode ends:
    ``LostSalesLeadTime-v0``, ``LostSales-v0`` and, as the reference, Gymnasium's
    ``CartPole-v1``. The actions are pre-built, so the policy costs nothing. CartPole
    alternates the actions 0, 1, 0, 1, ... (a constant push topples the pole in about ten
    steps, and the benchmark would then mostly time ``reset``); the lost-sales envs run
    through the very same loop (alternating between two copies of the constant order 5, the
    mean demand), so the loop overhead is identical. Episodes that end are reset inside the
    timed loop (the lost-sales envs truncate after 1000 steps, CartPole on termination or
    after 500 steps); the number of episodes ended is recorded in the JSON.
(b) ``vector``: the native batched env, ``gym.make_vec(id, num_envs=N,
    vectorization_mode="vector_entry_point", backend=...)`` at N = 1, 64, 4096, 65536, with
    numpy (float64) and torch on the CPU (float32, the backend's default), with torch's
    default thread count and again with 1 thread at the largest batch. The constant action
    array / tensor of shape (N,) is built outside the timed loop. Truncation after 1000
    steps and the (next-step) autoreset happen inside the loop, as does demand sampling.
(c) ``sync``: Gymnasium's ``SyncVectorEnv`` over the single env, ``gym.make_vec(id,
    num_envs=N, vectorization_mode="sync")`` at N = 64 and 4096, actions of shape (N, 1).
(d) ``kernel``: the raw kernel ``transition(state, order, demand, params, xp)`` at batch
    1, 64, 4096, 65536 for numpy (float64) and torch (float32), with demand pre-sampled
    outside the loop (``(periods, batch)`` contiguous rows, cycled): this excludes demand
    sampling, action checks, observations, infos and the Gymnasium shell.

Method: each configuration is built and reset outside the timing. A warm-up runs one step,
then P, 4P, 16P, ... steps until one call lasts a quarter of the target run time; its speed
fixes the number of steps of a timed run (about ``--target-seconds``, default 0.3 s, at
least 5 steps), so the step count scales with the batch size and the cost of one step (a
few steps for ``SyncVectorEnv`` at 4096 envs, tens of thousands for the single env). P is
the number of steps between two demand-block draws of the env (256 for the single
lost-sales env; ``BLOCK_ELEMENTS // N`` capped to 1..256 for the native vector env: 16 at
65536 envs) and the timed step count is a multiple of it, so every timed run pays the same
share of demand sampling; P is 1 for CartPole, ``SyncVectorEnv`` (whose few timed steps at
4096 envs may miss the sub-envs' draws, once per 256 steps: a tiny advantage to
``SyncVectorEnv``, which only makes the native/sync ratio conservative) and the kernel.
Then ``--repeats`` (default 5) timed runs of that many steps each, timed with
``time.perf_counter`` with the garbage collector paused (as ``timeit`` does). The table
gives the median steps/s over the runs and the spread (min, max); the JSON also has every
run.

The ratios printed at the end are checked against the project's targets: single env vs
CartPole (>= 1x), best native vector env (>= 10 million steps/s), native vector env vs
``SyncVectorEnv`` at 4096 envs (>= 100x). Results go to a JSON file (rows, ratios and a
machine description without hostname or paths), ``benchmarks/results/throughput.json`` by
default.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import inventory_gym
from inventory_gym.core.env import DEMAND_BLOCK
from inventory_gym.core.vector import BLOCK_ELEMENTS
from inventory_gym.envs.lost_sales import LostSalesParams, initial_state, transition

try:
    import torch
except ImportError:  # pragma: no cover - depends on the installation
    torch = None

ENV_ID = "LostSalesLeadTime-v0"
ORDER = 5.0
"""The constant order of every lost-sales run: the mean of the Poisson(5) demand."""
VECTOR_SIZES = (1, 64, 4096, 65536)
SYNC_SIZES = (64, 4096)
KERNEL_SIZES = (1, 64, 4096, 65536)
GROUPS = ("single", "vector", "sync", "kernel")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "throughput.json"

TARGET_SINGLE_VS_CARTPOLE = 1.0
TARGET_BEST_VECTOR = 10_000_000.0
TARGET_VECTOR_VS_SYNC = 100.0
MIN_STEPS = 5

Runner = Callable[[int], None]
"""``run(steps)``: advance the configuration by ``steps`` steps."""


@dataclass
class Case:
    """One benchmark configuration: ``setup()`` builds it and returns its ``run(steps)``."""

    group: str
    configuration: str
    batch: int
    backend: str
    setup: Callable[[], Runner]
    dtype: str = "float64"
    threads: int | None = None
    """torch intra-op threads for the case; ``None`` for numpy."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Counters the runner fills in (episodes ended, ...), copied into the JSON row."""
    period: int = 1
    """Steps between two demand-block draws of the env: the timed step count is a multiple of
    it, so every timed run pays the same share of sampling."""


# -- runners ---------------------------------------------------------------------------------


def single_env_case(env_id: str, actions: tuple[Any, Any]) -> Case:
    """(a) one env through ``gym.make``, actions alternating between ``actions[0]``, ``[1]``."""
    extra = {"episodes_ended": 0}

    def setup() -> Runner:
        env = gym.make(env_id)
        env.reset(seed=0)
        step, reset = env.step, env.reset

        def run(steps: int) -> None:
            ended = 0
            for i in range(steps):
                _, _, terminated, truncated, _ = step(actions[i & 1])
                if terminated or truncated:
                    reset()
                    ended += 1
            extra["episodes_ended"] += ended

        return run

    period = DEMAND_BLOCK if env_id.startswith("LostSales") else 1
    return Case("single", f"gym.make {env_id}", 1, "numpy", setup, extra=extra, period=period)


def vector_setup(n: int, backend: str) -> Runner:
    """(b) the native vector env, a constant action of shape (n,) built once."""
    env = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point", backend=backend)
    env.reset(seed=0)
    if backend == "torch":
        action = torch.full((n,), ORDER, dtype=env.unwrapped.dtype)
    else:
        action = np.full((n,), ORDER, dtype=np.float32)
    step = env.step

    def run(steps: int) -> None:
        for _ in range(steps):
            step(action)

    return run


def sync_setup(n: int) -> Runner:
    """(c) Gymnasium's ``SyncVectorEnv`` over the single env, actions of shape (n, 1)."""
    env = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="sync")
    env.reset(seed=0)
    action = np.full((n, 1), ORDER, dtype=np.float32)
    step = env.step

    def run(steps: int) -> None:
        for _ in range(steps):
            step(action)

    return run


def kernel_setup(n: int, backend: str) -> Runner:
    """(d) the raw ``transition`` kernel, demand pre-sampled and cycled."""
    params = LostSalesParams(lead_time=4)
    periods = max(1, min(256, (1 << 20) // n))
    block = params.demand.sample(np.random.default_rng(0), n, periods)  # (n, periods)
    rows = np.ascontiguousarray(block.T)  # (periods, n): each period's demand contiguous
    if backend == "torch":
        import array_api_compat.torch as xp

        dtype = torch.float32
        demands = list(torch.as_tensor(rows, dtype=dtype))
        order = torch.full((n,), ORDER, dtype=dtype)
    else:
        xp, dtype = np, np.float64
        demands = list(rows)
        order = np.full((n,), ORDER, dtype=dtype)
    state = initial_state(params, n, xp, dtype=dtype, device=None)

    def run(steps: int) -> None:
        nonlocal state
        s = state
        for i in range(steps):
            s, _, _ = transition(s, order, demands[i % periods], params, xp)
        state = s

    return run


# -- cases -----------------------------------------------------------------------------------


def vector_period(n: int) -> int:
    """Steps between demand-block draws of the native vector env with ``n`` envs."""
    return max(1, min(256, BLOCK_ELEMENTS // n))


def build_cases(groups: set[str], default_threads: int | None) -> list[Case]:
    """Every configuration of the selected ``groups``, in the order they run."""
    cases: list[Case] = []
    backends = ("numpy", "torch") if torch is not None else ("numpy",)
    # torch at the largest batch is measured again with one thread when it has several.
    one_thread = torch is not None and default_threads != 1

    def torch_threads(backend: str) -> int | None:
        return default_threads if backend == "torch" else None

    def dtype(backend: str) -> str:
        return "float32" if backend == "torch" else "float64"

    if "single" in groups:
        order = np.array([ORDER], dtype=np.float32)
        lost_sales_actions = (order, order.copy())
        cases.append(single_env_case(ENV_ID, lost_sales_actions))
        cases.append(single_env_case("LostSales-v0", lost_sales_actions))
        cases.append(single_env_case("CartPole-v1", (0, 1)))
    if "vector" in groups:
        name = f"native vector {ENV_ID}"
        configs = [(n, b, torch_threads(b)) for n in VECTOR_SIZES for b in backends]
        if one_thread:
            configs.append((VECTOR_SIZES[-1], "torch", 1))
        for n, b, threads in configs:
            setup = functools.partial(vector_setup, n, b)
            period = vector_period(n)
            cases.append(Case("vector", name, n, b, setup, dtype(b), threads, period=period))
    if "sync" in groups:
        for n in SYNC_SIZES:
            name = f"SyncVectorEnv {ENV_ID}"
            cases.append(Case("sync", name, n, "numpy", functools.partial(sync_setup, n)))
    if "kernel" in groups:
        name = "kernel transition (L=4)"
        configs = [(n, b, torch_threads(b)) for n in KERNEL_SIZES for b in backends]
        if one_thread:
            configs.append((KERNEL_SIZES[-1], "torch", 1))
        for n, b, threads in configs:
            setup = functools.partial(kernel_setup, n, b)
            cases.append(Case("kernel", name, n, b, setup, dtype(b), threads))
    return cases


# -- measurement -----------------------------------------------------------------------------


def timed(run: Runner, steps: int) -> float:
    """Seconds that ``run(steps)`` takes, with the garbage collector paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        run(steps)
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def calibrate(run: Runner, target_s: float, period: int) -> int:
    """Warm up; return the step count of a timed run of about ``target_s`` seconds.

    One step first (first-call costs), then ``period``, 4 ``period``, 16 ``period``, ...
    steps until a call lasts ``target_s / 4``; the step count is a multiple of ``period``.
    """
    timed(run, 1)
    steps = period
    while True:
        elapsed = timed(run, steps)
        if elapsed >= target_s / 4 or steps >= 1 << 24:
            break
        steps *= 4
    blocks = round(target_s / (elapsed / steps) / period)
    return max(MIN_STEPS, period * max(1, blocks))


def measure(case: Case, repeats: int, target_s: float) -> dict[str, Any]:
    """Build, warm up and time ``case``; return its JSON row."""
    previous = torch.get_num_threads() if torch is not None else None
    if case.threads is not None:
        torch.set_num_threads(case.threads)
    try:
        run = case.setup()
        steps = calibrate(run, target_s, case.period)
        for key in case.extra:
            case.extra[key] = 0
        rates = [case.batch * steps / timed(run, steps) for _ in range(repeats)]
    finally:
        if previous is not None:
            torch.set_num_threads(previous)
    return {
        "group": case.group,
        "configuration": case.configuration,
        "batch": case.batch,
        "backend": case.backend,
        "dtype": case.dtype,
        "torch_threads": case.threads,
        "steps_per_run": steps,
        "env_steps_per_run": steps * case.batch,
        "repeats": repeats,
        "median_steps_per_s": statistics.median(rates),
        "min_steps_per_s": min(rates),
        "max_steps_per_s": max(rates),
        "runs_steps_per_s": rates,
        **case.extra,
    }


# -- report ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """A description of the machine and software, without hostname or paths."""
    return {
        "processor": platform.processor(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "gymnasium": gym.__version__,
        "inventory_gym": inventory_gym.__version__,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
    }


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table."""
    header = ("configuration", "batch", "backend", "threads", "steps/run", "median/s", "min/s")
    header += ("max/s",)
    lines = [header]
    for r in rows:
        lines.append(
            (
                r["configuration"],
                f"{r['batch']:,}",
                f"{r['backend']} {r['dtype']}",
                "-" if r["torch_threads"] is None else str(r["torch_threads"]),
                f"{r['steps_per_run']:,}",
                fmt_rate(r["median_steps_per_s"]),
                fmt_rate(r["min_steps_per_s"]),
                fmt_rate(r["max_steps_per_s"]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for k, line in enumerate(lines):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _find(rows: list[dict[str, Any]], group: str, **match: Any) -> Iterator[dict[str, Any]]:
    for r in rows:
        if r["group"] == group and all(r[k] == v for k, v in match.items()):
            yield r


def _label(r: dict[str, Any]) -> str:
    threads = "" if r["torch_threads"] is None else f", {r['torch_threads']} thread(s)"
    return f"{r['backend']}{threads}, batch {r['batch']:,}"


def ratios(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The key ratios against the targets (those whose rows were measured)."""
    out: dict[str, dict[str, Any]] = {}
    single = next(_find(rows, "single", configuration=f"gym.make {ENV_ID}"), None)
    cartpole = next(_find(rows, "single", configuration="gym.make CartPole-v1"), None)
    if single and cartpole:
        value = single["median_steps_per_s"] / cartpole["median_steps_per_s"]
        out["single_env_vs_cartpole"] = {
            "description": f"single env {ENV_ID} vs CartPole-v1 (gym.make, median steps/s)",
            "value": value,
            "target": TARGET_SINGLE_VS_CARTPOLE,
            "meets_target": value >= TARGET_SINGLE_VS_CARTPOLE,
        }
    vectors = list(_find(rows, "vector"))
    if vectors:
        best = max(vectors, key=lambda r: r["median_steps_per_s"])
        value = best["median_steps_per_s"]
        out["best_native_vector_steps_per_s"] = {
            "description": f"best native vector env median steps/s ({_label(best)})",
            "value": value,
            "target": TARGET_BEST_VECTOR,
            "meets_target": value >= TARGET_BEST_VECTOR,
        }
    sync = next(_find(rows, "sync", batch=4096), None)
    native = list(_find(rows, "vector", batch=4096))
    if sync and native:
        best = max(native, key=lambda r: r["median_steps_per_s"])
        value = best["median_steps_per_s"] / sync["median_steps_per_s"]
        out["native_vector_vs_sync_4096"] = {
            "description": f"native vector env ({_label(best)}) vs SyncVectorEnv at 4,096 envs",
            "value": value,
            "target": TARGET_VECTOR_VS_SYNC,
            "meets_target": value >= TARGET_VECTOR_VS_SYNC,
        }
    return out


def format_ratios(found: dict[str, dict[str, Any]]) -> str:
    lines = []
    for key, r in found.items():
        verdict = "meets" if r["meets_target"] else "MISSES"
        if key == "best_native_vector_steps_per_s":
            text = f"{r['value'] / 1e6:.2f} M steps/s (target >= {r['target'] / 1e6:g} M)"
        else:
            text = f"{r['value']:.2f}x (target >= {r['target']:g}x)"
        lines.append(f"{r['description']}: {text}: {verdict} the target")
    return "\n".join(lines)


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/throughput.py",
        description=(
            "Measure steps per second (env-steps: a step of a batch of N counts N) of "
            f"{ENV_ID}: (a) the single env and LostSales-v0 vs Gymnasium's CartPole-v1 through "
            "gym.make, (b) the native vector env (numpy and torch CPU) at 1, 64, 4096 and 65536 "
            "envs, (c) Gymnasium's SyncVectorEnv at 64 and 4096 envs, (d) the raw transition "
            "kernel at batch 1 to 65536. Each configuration is warmed up, then timed "
            "--repeats times; the table gives the median and the min/max steps/s, followed by "
            "the ratios against the targets. Writes a JSON file of all rows."
        ),
        epilog=(
            "The full run takes a few minutes on 2 cores; run nothing heavy alongside it. "
            "See the module docstring for the exact method."
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 repeats of ~0.03 s runs each (for checks, not for numbers)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs per configuration (default 5; 2 with --quick)",
    )
    parser.add_argument(
        "--target-seconds",
        type=float,
        default=None,
        metavar="S",
        help="approximate duration of one timed run, which sets its step count (default 0.3; "
        "0.03 with --quick)",
    )
    parser.add_argument(
        "--groups",
        default=",".join(GROUPS),
        help=f"comma-separated subset of {','.join(GROUPS)} to run (default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="where to write the JSON (default: benchmarks/results/throughput.json in the "
        "repository)",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    if args.target_seconds is None:
        args.target_seconds = 0.03 if args.quick else 0.3
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if not args.target_seconds > 0:
        parser.error(f"--target-seconds must be positive, got {args.target_seconds}")
    groups = {g.strip() for g in args.groups.split(",") if g.strip()}
    unknown = groups - set(GROUPS)
    if unknown or not groups:
        parser.error(f"--groups takes a comma-separated subset of {GROUPS}, got {args.groups!r}")
    args.groups = groups
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table and ratios, write the JSON; return the report."""
    args = parse_args(argv)
    started = time.perf_counter()
    default_threads = torch.get_num_threads() if torch is not None else None
    cases = build_cases(args.groups, default_threads)
    info = machine()
    print(
        f"inventory_gym throughput: {len(cases)} configurations, {args.repeats} timed runs of "
        f"~{args.target_seconds:g} s each"
    )
    print(
        f"machine: {info['processor'] or info['machine']}, {info['cpu_count']} CPUs, "
        f"Python {info['python']}, numpy {info['numpy']}, torch {info['torch']} "
        f"({default_threads} threads), gymnasium {info['gymnasium']}"
    )
    if torch is None:
        print("torch is not installed: the torch configurations are skipped")
    rows = []
    for case in cases:
        label = f"{case.configuration} batch={case.batch} {case.backend}"
        if case.threads is not None:
            label += f" threads={case.threads}"
        print(f"  {label} ...", end="", flush=True)
        row = measure(case, args.repeats, args.target_seconds)
        print(f" {fmt_rate(row['median_steps_per_s'])} steps/s", flush=True)
        rows.append(row)
    elapsed = time.perf_counter() - started

    print()
    print(table(rows))
    found = ratios(rows)
    if found:
        print()
        print(format_ratios(found))
    print(f"\ntotal time {elapsed:.1f} s")

    report = {
        "benchmark": "inventory_gym throughput",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": info,
        "settings": {
            "quick": args.quick,
            "repeats": args.repeats,
            "target_seconds": args.target_seconds,
            "groups": sorted(args.groups),
            "order": ORDER,
            "unit": "env-steps per second (a step of a batch of N counts N)",
        },
        "total_seconds": elapsed,
        "rows": rows,
        "ratios": found,
    }
    out = args.out if args.out is not None else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {os.path.relpath(out.resolve())}")
    return report


if __name__ == "__main__":
    main()
