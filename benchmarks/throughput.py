"""Throughput benchmark: environment steps per second of every registered inventory_gym env.

Run it from the repository root::

    .venv/bin/python benchmarks/throughput.py            # full run, a few minutes
    .venv/bin/python benchmarks/throughput.py --quick    # smoke run, well under a minute

The envs are found through the registration (``inventory_gym.registration.ENV_IDS``): a new
problem is measured without touching this script. What is measured (one "env-step" is one
period of one system: a step of a batch of N counts N):

(a) ``single``: one env through ``gym.make`` with its standard wrappers (``TimeLimit``,
    ``OrderEnforcing``, ``PassiveEnvChecker``), reset whenever an episode ends, for every
    registered id and, as the reference, Gymnasium's ``CartPole-v1``. The actions are
    pre-built, so the policy costs nothing. CartPole alternates the actions 0, 1, 0, 1, ...
    (a constant push topples the pole in about ten steps, and the benchmark would then mostly
    time ``reset``); the inventory envs run through the very same loop, alternating between
    two copies of one Box action (every decision at the mean demand, within the bounds), so
    the loop overhead is identical. The number of episodes ended in the timed runs is in the
    JSON (``episodes_ended``).
(b) ``vector``: the native batched env of every registered id, ``gym.make_vec(id,
    num_envs=N, vectorization_mode="vector_entry_point")`` with numpy (float64, its default
    demand sampler) at N = 1, 64, 4096, 65536 and 1,048,576, and ``LostSalesLeadTime-v0``
    with torch on the CPU (float32) at N <= 65536. The action array of shape (N,) or (N, d)
    is built outside the timed loop. Truncation after 1000 steps and the (next-step)
    autoreset happen inside the loop, as does demand sampling.
(c) ``reference``: a hand-written numpy kernel of ``LostSalesLeadTime-v0``'s instance
    (lead time 4, h = 1, p = 9, a constant order of 5), the physical reference: every
    operation in place on preallocated arrays (8 array passes a period), the pipeline a ring
    of arrays, no checks, no observation, no infos. Twice: with demand pre-sampled outside
    the loop (``(periods, N)`` rows, cycled), and drawing its demand with the env's own
    sampler (the demand model's :class:`~inventory_gym.demand.AliasTable`, in blocks of the
    env's size).
(d) ``cartpole``: Gymnasium's own native vector env of ``CartPole-v1``
    (``CartPoleVectorEnv``, ``gym.make_vec("CartPole-v1", num_envs=N,
    vectorization_mode="vector_entry_point")``) at the same N, actions alternating between
    all-0 and all-1 arrays.
(e) ``sync``: Gymnasium's ``SyncVectorEnv`` over the lost-sales single env at N = 64 and
    4096, actions of shape (N, 1).
(f) ``kernel``: the project's own ``transition(state, order, demand, params, xp)`` of lost
    sales at batch 1, 64, 4096, 65536 for numpy (float64) and torch (float32), and at batch 1
    on Python floats (``python_scalars``, as the single env runs it), with demand pre-sampled
    as in (c): what the shell adds is the difference to (b).

Method: each configuration is built and reset outside the timing. A warm-up runs one step,
then P, 4P, 16P, ... steps until one call lasts a quarter of the target run time; its speed
fixes the number of steps of a timed run (about ``--target-seconds``, default 0.3 s, at
least 5 steps), so the step count scales with the batch size and the cost of one step. P is
the number of steps between two demand-block draws of the env (256 for the single env;
``BLOCK_ELEMENTS // N`` capped to 1..256 for the native vector env and the reference kernel)
and the timed step count is a multiple of it, so every timed run pays the same share of
demand sampling; P is 1 for CartPole and ``SyncVectorEnv``. Then ``--repeats`` (default 5)
timed runs of that many steps each, timed with ``time.perf_counter`` with the garbage
collector paused (as ``timeit`` does). The timed runs are interleaved: every configuration is
built and warmed up first, then each round times every configuration once (after one
untimed step, which warms the thread pools and the caches again), so a slow spell of the
(shared, virtual) machine hits all configurations alike, and the ratios can be compared
round by round. The table gives the median steps/s over the runs and the spread (min, max);
the JSON also has every run, and each ratio comes with its range over the rounds.

The ratios printed at the end are checked against the project's targets: every single env vs
CartPole-v1 (>= 1x); the numpy vector env of ``LostSalesLeadTime-v0`` vs the reference kernel
with pre-sampled demand (>= 25%) and drawing with the env's own sampler (>= 60%) at 4,096 and
65,536 envs; every numpy vector env vs CartPole's native vector env at every batch size
(> 1x); the best native vector env (>= 10 million steps/s); the native vector env vs
``SyncVectorEnv`` at 4096 envs (>= 100x). Results go to a JSON file (rows, ratios, the
settings: threads, batch sizes, repeats, and a machine description without hostname or
paths), ``benchmarks/results/throughput.json`` by default.
"""

from __future__ import annotations

import argparse
import contextlib
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
from inventory_gym.core.xp import python_scalars
from inventory_gym.envs.lost_sales import LostSalesParams, initial_state, transition
from inventory_gym.registration import ENV_IDS
from inventory_gym.threads import set_threads

try:
    import torch
except ImportError:  # pragma: no cover - depends on the installation
    torch = None

ENV_ID = "LostSalesLeadTime-v0"
ORDER = 5.0
"""The constant order of every lost-sales run: the mean of the Poisson(5) demand."""
VECTOR_SIZES = (1, 64, 4096, 65536, 1 << 20)
QUICK_SIZES = (1, 64, 4096)
TORCH_MAX_BATCH = 65536
SYNC_SIZES = (64, 4096)
KERNEL_SIZES = (1, 64, 4096, 65536)
TARGET_SIZES = (4096, 65536)
"""The batch sizes of the targets against the reference kernel."""
GROUPS = ("single", "vector", "reference", "cartpole", "sync", "kernel")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "throughput.json"

TARGET_SINGLE_VS_CARTPOLE = 1.0
TARGET_BEST_VECTOR = 10_000_000.0
TARGET_VECTOR_VS_SYNC = 100.0
TARGET_VS_REFERENCE_PRESAMPLED = 0.25
TARGET_VS_REFERENCE_OWN_SAMPLER = 0.60
TARGET_VS_CARTPOLE_VECTOR = 1.0
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

    inventory = env_id != "CartPole-v1"
    period = DEMAND_BLOCK if inventory else 1
    # The inventory single envs run their kernel on Python floats (python_scalars).
    backend = "python" if inventory else "numpy"
    return Case("single", f"gym.make {env_id}", 1, backend, setup, extra=extra, period=period)


def box_action(env_id: str) -> np.ndarray:
    """One Box action of ``env_id``: every decision at the mean demand, within its bounds."""
    env = gym.make(env_id).unwrapped
    mean = float(env.problem.demand(env.params).mean)
    high = np.asarray(env.layout.action_high, dtype=np.float64)
    return np.minimum(np.full(high.shape, mean), high).astype(np.float32)


def vector_setup(n: int, backend: str, env_id: str = ENV_ID) -> Runner:
    """(b) the native vector env, a constant action of shape (n,) or (n, d) built once."""
    env = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", backend=backend)
    env.reset(seed=0)
    one = box_action(env_id)
    action = np.tile(one, (n, 1)) if one.size > 1 else np.full((n,), one[0], dtype=np.float32)
    if backend == "torch":
        action = torch.as_tensor(action, dtype=env.unwrapped.dtype)
    step = env.step

    def run(steps: int) -> None:
        for _ in range(steps):
            step(action)

    return run


def reference_setup(n: int, own_sampler: bool) -> Runner:
    """(c) the hand-written numpy lost-sales kernel (lead time 4, h = 1, p = 9, order 5), in
    place; demand pre-sampled and cycled, or drawn with the env's own sampler."""
    params = LostSalesParams(lead_time=4)
    h, p = params.holding_cost, params.lost_sales_cost
    model = params.demand
    periods = vector_period(n)
    rng = np.random.default_rng(0)
    alias = model.alias_table() if own_sampler else None
    if own_sampler and alias is None:
        raise ValueError(f"{model.spec} has no table sampler")
    if alias is None:
        block = np.ascontiguousarray(model.sample(rng, n, periods).T)
    else:
        block = alias.fill(rng, np.empty((periods, n)))
    on_hand = np.zeros(n)
    ring = [np.zeros(n) for _ in range(params.lead_time - 1)]
    order = np.full(n, ORDER)
    excess, leftover, lost, cost = (np.empty(n) for _ in range(4))
    where = {"pos": 0, "head": 0, "block": block}

    def run(steps: int) -> None:
        pos, head, rows = where["pos"], where["head"], where["block"]
        subtract, maximum, multiply, add, copyto = (
            np.subtract,
            np.maximum,
            np.multiply,
            np.add,
            np.copyto,
        )
        for _ in range(steps):
            if pos == periods:
                if alias is not None:  # a new block, as the env draws it
                    rows = alias.fill(rng, np.empty((periods, n)))
                pos = 0
            demand = rows[pos]
            pos += 1
            subtract(on_hand, demand, out=excess)
            maximum(excess, 0.0, out=leftover)
            subtract(leftover, excess, out=lost)
            multiply(leftover, h, out=cost)
            multiply(lost, p, out=lost)
            add(cost, lost, out=cost)
            add(leftover, ring[head], out=on_hand)
            copyto(ring[head], order)
            head = (head + 1) % len(ring)
        where.update(pos=pos, head=head, block=rows)

    return run


def cartpole_vector_setup(n: int) -> Runner:
    """(d) Gymnasium's native vector env of CartPole-v1, actions alternating 0 and 1."""
    env = gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    actions = (np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64))
    step = env.step

    def run(steps: int) -> None:
        for i in range(steps):
            step(actions[i & 1])

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
    elif backend == "python":  # a batch of one as Python floats, as the single env runs it
        xp, dtype = python_scalars, None
        demands = rows[:, 0].tolist()
        order = ORDER
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


def build_cases(
    groups: set[str], default_threads: int | None, sizes: tuple[int, ...] = VECTOR_SIZES
) -> list[Case]:
    """Every configuration of the selected ``groups``, in the order they run."""
    cases: list[Case] = []
    # torch at the largest batch is measured again with one thread when it has several.
    one_thread = torch is not None and default_threads != 1
    torch_sizes = [n for n in sizes if n <= TORCH_MAX_BATCH] if torch is not None else []

    if "single" in groups:
        for env_id in ENV_IDS:
            one = box_action(env_id)
            cases.append(single_env_case(env_id, (one, one.copy())))
        cases.append(single_env_case("CartPole-v1", (0, 1)))
    if "vector" in groups:
        for env_id in ENV_IDS:
            name = f"native vector {env_id}"
            for n in sizes:
                setup = functools.partial(vector_setup, n, "numpy", env_id)
                cases.append(Case("vector", name, n, "numpy", setup, period=vector_period(n)))
        name = f"native vector {ENV_ID}"
        configs = [(n, default_threads) for n in torch_sizes]
        if one_thread and torch_sizes:
            configs.append((torch_sizes[-1], 1))
        for n, threads in configs:
            setup = functools.partial(vector_setup, n, "torch", ENV_ID)
            period = vector_period(n)
            cases.append(Case("vector", name, n, "torch", setup, "float32", threads, period=period))
    if "reference" in groups:
        for own, label in ((False, "pre-sampled demand"), (True, "env's own sampler")):
            name = f"reference kernel (L=4), {label}"
            for n in sizes:
                setup = functools.partial(reference_setup, n, own)
                cases.append(Case("reference", name, n, "numpy", setup, period=vector_period(n)))
    if "cartpole" in groups:
        for n in sizes:
            setup = functools.partial(cartpole_vector_setup, n)
            cases.append(Case("cartpole", "native vector CartPole-v1", n, "numpy", setup))
    if "sync" in groups:
        for n in SYNC_SIZES:
            name = f"SyncVectorEnv {ENV_ID}"
            cases.append(Case("sync", name, n, "numpy", functools.partial(sync_setup, n)))
    if "kernel" in groups:
        name = "kernel transition (L=4)"
        configs = [(1, "python", None)]
        configs += [(n, "numpy", None) for n in KERNEL_SIZES]
        if torch is not None:
            configs += [(n, "torch", default_threads) for n in KERNEL_SIZES]
            if one_thread:
                configs.append((KERNEL_SIZES[-1], "torch", 1))
        for n, b, threads in configs:
            setup = functools.partial(kernel_setup, n, b)
            dtype = "float32" if b == "torch" else "float64"
            cases.append(Case("kernel", name, n, b, setup, dtype, threads))
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


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch intra-op threads (``None``: leave them)."""
    if threads is None or torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class Prepared:
    """A case built and calibrated, with the results of its timed runs so far."""

    case: Case
    run: Runner
    steps: int
    rates: list[float] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


def prepare(case: Case, target_s: float) -> Prepared:
    """Build and warm up ``case``; fix the step count of its timed runs."""
    with torch_threads(case.threads):
        run = case.setup()
        steps = calibrate(run, target_s, case.period)
    return Prepared(case, run, steps, counters=dict.fromkeys(case.extra, 0))


def time_once(p: Prepared) -> float:
    """One untimed step (thread pool and caches warm again), then one timed run."""
    case = p.case
    with torch_threads(case.threads):
        p.run(1)
        before = dict(case.extra)
        rate = case.batch * p.steps / timed(p.run, p.steps)
    for key in p.counters:
        p.counters[key] += case.extra[key] - before[key]
    p.rates.append(rate)
    return rate


def row(p: Prepared) -> dict[str, Any]:
    """The JSON row of a measured case."""
    case, rates = p.case, p.rates
    return {
        "group": case.group,
        "configuration": case.configuration,
        "batch": case.batch,
        "backend": case.backend,
        "dtype": case.dtype,
        "torch_threads": case.threads,
        "steps_per_run": p.steps,
        "env_steps_per_run": p.steps * case.batch,
        "repeats": len(rates),
        "median_steps_per_s": statistics.median(rates),
        "min_steps_per_s": min(rates),
        "max_steps_per_s": max(rates),
        "runs_steps_per_s": rates,
        **p.counters,
    }


# -- report ----------------------------------------------------------------------------------


def cpu_model() -> str | None:
    """The CPU model name from ``/proc/cpuinfo`` (Linux), else ``None``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """A description of the machine and software, without hostname or paths."""
    return {
        "processor": platform.processor(),
        "cpu_model": cpu_model(),
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


def busy_fraction(seconds: float = 0.5) -> float | None:
    """Fraction of all CPUs busy over ``seconds`` (from ``/proc/stat``; ``None`` elsewhere)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return 1.0 - (idle1 - idle0) / (total1 - total0)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (``None`` where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


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


def _ratio(
    description: str, a: dict[str, Any], b: dict[str, Any] | None, target: float
) -> dict[str, Any]:
    """Median steps/s of row ``a`` over that of ``b`` (``b=None``: ``a`` alone), per round too.

    The timed runs are interleaved (round r times every configuration once), so the ratio of
    the two runs of each round is a paired comparison under the same machine conditions.
    """
    if b is None:
        value = a["median_steps_per_s"]
        rounds = a["runs_steps_per_s"]
    else:
        value = a["median_steps_per_s"] / b["median_steps_per_s"]
        rounds = [x / y for x, y in zip(a["runs_steps_per_s"], b["runs_steps_per_s"])]
    return {
        "description": description,
        "value": value,
        "per_round_min": min(rounds),
        "per_round_max": max(rounds),
        "target": target,
        "meets_target": value >= target,
    }


def ratios(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The key ratios against the targets (those whose rows were measured)."""
    out: dict[str, dict[str, Any]] = {}
    cartpole = next(_find(rows, "single", configuration="gym.make CartPole-v1"), None)
    for env_id in ENV_IDS:
        single = next(_find(rows, "single", configuration=f"gym.make {env_id}"), None)
        if single and cartpole:
            out[f"single_env_vs_cartpole[{env_id}]"] = _ratio(
                f"single env {env_id} vs CartPole-v1 (gym.make, median steps/s)",
                single,
                cartpole,
                TARGET_SINGLE_VS_CARTPOLE,
            )
    lost_sales = {
        r["batch"]: r
        for r in _find(rows, "vector", configuration=f"native vector {ENV_ID}", backend="numpy")
    }
    references = (
        ("pre-sampled demand", "presampled", TARGET_VS_REFERENCE_PRESAMPLED),
        ("env's own sampler", "own_sampler", TARGET_VS_REFERENCE_OWN_SAMPLER),
    )
    for label, key, target in references:
        name = f"reference kernel (L=4), {label}"
        for r in _find(rows, "reference", configuration=name):
            env = lost_sales.get(r["batch"])
            if env is None:
                continue
            ratio = _ratio(
                f"numpy vector env {ENV_ID} vs the hand-written kernel, {label}, "
                f"{r['batch']:,} envs",
                env,
                r,
                target,
            )
            # The target is set at the batch sizes of TARGET_SIZES; the others are reported.
            if r["batch"] not in TARGET_SIZES:
                ratio["target"], ratio["meets_target"] = None, None
            out[f"vector_vs_reference_{key}[{r['batch']}]"] = ratio
    cartpoles = {r["batch"]: r for r in _find(rows, "cartpole")}
    for env_id in ENV_IDS:
        name = f"native vector {env_id}"
        for r in _find(rows, "vector", configuration=name, backend="numpy"):
            other = cartpoles.get(r["batch"])
            if other is not None:
                ratio = _ratio(
                    f"numpy vector env {env_id} vs CartPole-v1's native vector env, "
                    f"{r['batch']:,} envs",
                    r,
                    other,
                    TARGET_VS_CARTPOLE_VECTOR,
                )
                ratio["meets_target"] = ratio["value"] > TARGET_VS_CARTPOLE_VECTOR
                out[f"vector_vs_cartpole_vector[{env_id},{r['batch']}]"] = ratio
    vectors = list(_find(rows, "vector"))
    if vectors:
        best = max(vectors, key=lambda r: r["median_steps_per_s"])
        out["best_native_vector_steps_per_s"] = _ratio(
            f"best native vector env median steps/s ({best['configuration']}, {_label(best)})",
            best,
            None,
            TARGET_BEST_VECTOR,
        )
    sync = next(_find(rows, "sync", batch=4096), None)
    native = list(_find(rows, "vector", configuration=f"native vector {ENV_ID}", batch=4096))
    if sync and native:
        best = max(native, key=lambda r: r["median_steps_per_s"])
        out["native_vector_vs_sync_4096"] = _ratio(
            f"native vector env ({_label(best)}) vs SyncVectorEnv at 4,096 envs",
            best,
            sync,
            TARGET_VECTOR_VS_SYNC,
        )
    return out


def format_ratios(found: dict[str, dict[str, Any]]) -> str:
    lines = []
    for key, r in found.items():
        lo, hi = r["per_round_min"], r["per_round_max"]
        if r["target"] is None:
            verdict = "(no target at this size)"
        else:
            verdict = ("meets" if r["meets_target"] else "MISSES") + " the target"
        if key == "best_native_vector_steps_per_s":
            text = (
                f"{r['value'] / 1e6:.2f} M steps/s (runs {lo / 1e6:.2f}-{hi / 1e6:.2f} M; "
                f"target >= {r['target'] / 1e6:g} M)"
            )
        else:
            target = "" if r["target"] is None else f"; target >= {r['target']:g}x"
            text = f"{r['value']:.2f}x (rounds {lo:.2f}-{hi:.2f}x{target})"
        lines.append(f"{r['description']}: {text}: {verdict}")
    return "\n".join(lines)


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/throughput.py",
        description=(
            "Measure steps per second (env-steps: a step of a batch of N counts N) of every "
            "registered env: (a) the single envs vs Gymnasium's CartPole-v1 through gym.make, "
            "(b) the native vector envs (numpy; torch CPU for "
            f"{ENV_ID}) at 1 to 1,048,576 envs, (c) a hand-written numpy lost-sales kernel "
            "(pre-sampled demand, and drawing with the env's own sampler), (d) CartPole-v1's "
            "native vector env, (e) Gymnasium's SyncVectorEnv at 64 and 4096 envs, (f) the "
            "project's raw transition kernel at batch 1 to 65536. Each configuration is warmed "
            "up, then timed --repeats times, interleaved; the table gives the median and the "
            "min/max steps/s, followed by the ratios against the targets. Writes a JSON file "
            "of all rows."
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
        "--sizes",
        default=None,
        help="comma-separated batch sizes of the vector, reference and CartPole groups "
        "(default 1,64,4096,65536,1048576; 1,64,4096 with --quick)",
    )
    parser.add_argument(
        "--groups",
        default=",".join(GROUPS),
        help=f"comma-separated subset of {','.join(GROUPS)} to run (default: all)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch, BLAS and OpenMP threads (default 1; with more, the largest torch batches "
        "are measured again with one thread; 0: the libraries' defaults)",
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
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if not args.target_seconds > 0:
        parser.error(f"--target-seconds must be positive, got {args.target_seconds}")
    groups = {g.strip() for g in args.groups.split(",") if g.strip()}
    unknown = groups - set(GROUPS)
    if unknown or not groups:
        parser.error(f"--groups takes a comma-separated subset of {GROUPS}, got {args.groups!r}")
    args.groups = groups
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else VECTOR_SIZES
    else:
        try:
            args.sizes = tuple(int(x) for x in args.sizes.split(",") if x.strip())
        except ValueError:
            parser.error(f"--sizes takes comma-separated integers, got {args.sizes!r}")
        if not args.sizes or min(args.sizes) < 1:
            parser.error(f"--sizes takes positive integers, got {args.sizes}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table and ratios, write the JSON; return the report."""
    args = parse_args(argv)
    started = time.perf_counter()
    load_start = load_average()
    set_threads(args.threads or None)
    default_threads = torch.get_num_threads() if torch is not None else None
    cases = build_cases(args.groups, default_threads, args.sizes)
    info = machine()
    print(
        f"inventory_gym throughput: {len(cases)} configurations, {args.repeats} timed runs of "
        f"~{args.target_seconds:g} s each"
    )
    print(
        f"machine: {info['cpu_model'] or info['processor'] or info['machine']}, "
        f"{info['cpu_count']} CPUs, "
        f"Python {info['python']}, numpy {info['numpy']}, torch {info['torch']} "
        f"({default_threads} threads), gymnasium {info['gymnasium']}"
    )
    busy = busy_fraction()
    if busy is not None:
        print(f"CPU busy before the start: {busy:.0%} of the machine (over 0.5 s)")
        if busy > 0.2:
            print("  warning: other jobs are running; they distort the numbers (torch most)")
    if torch is None:
        print("torch is not installed: the torch configurations are skipped")

    print("warm-up and calibration:")
    prepared = []
    for case in cases:
        label = f"{case.configuration} batch={case.batch} {case.backend}"
        if case.threads is not None:
            label += f" threads={case.threads}"
        print(f"  {label} ...", end="", flush=True)
        prepared.append(prepare(case, args.target_seconds))
        print(f" {prepared[-1].steps:,} steps per run", flush=True)
    for r in range(args.repeats):
        print(f"timed round {r + 1}/{args.repeats} ...", end="", flush=True)
        start = time.perf_counter()
        for p in prepared:
            time_once(p)
        print(f" {time.perf_counter() - start:.1f} s", flush=True)
    rows = [row(p) for p in prepared]
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
            "sizes": list(args.sizes),
            "env_ids": list(ENV_IDS),
            "threads": args.threads,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "order": ORDER,
            "unit": "env-steps per second (a step of a batch of N counts N)",
        },
        "total_seconds": elapsed,
        "cpu_busy_before_start": busy,
        "load_average_start": load_start,
        "load_average_end": load_average(),
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
