"""Perishable inventory on De Moor et al.'s instances: the exact optimum, base stock,
BSP-low-EW, waste-conscious order-up-to, DirectBackprop and PPO, with gaps.

Scenario A of De Moor, Gijsbrechts & Boute (2022): rounded gamma demand (mean 4, cv 0.5),
c = 3, p = 5, h = 1, max order 10, gamma = 0.99; by default every useful life m and lead time
L whose state space (11^(m + L - 1) states) the DP solves in seconds here: (m, L) in
{(2, 1), (2, 2), (3, 1), (3, 2), (4, 1)}, each with FIFO and LIFO issuing and w in {7, 10}
(20 instances). For each instance:

1. solve the discounted DP (policy iteration, gamma 0.99) and the average-cost DP (relative
   value iteration);
2. fit base stock, BSP-low-EW and waste-conscious order-up-to on the exact Farrington metric
   (below): integer coordinate descent with no simulation noise, as Farrington et al. pick
   their best base-stock level;
3. train DBP's MLP for ``--dbp-steps`` (1100 gradient steps, about what the published run's
   120 s gave; ``--dbp-seconds`` is an optional cap; on the average cost, the trainer's
   objective) with a validation every ``--eval-every`` (50) steps and, on
   ``--ppo-instances``, PPO for ``--ppo-steps`` (2 million);
4. score every policy exactly from its Markov chain on the grid: Farrington et al.'s metric
   (the expected discounted cost of the 365 periods after 100 burn-in periods from empty, and
   its standard deviation over paths) and the long-run average cost; gaps are to the
   discounted optimum's Farrington value and to the average-cost optimum. The optimum is also
   simulated by the harness on Farrington's 10,000 paths (seed 0) as a check.

The heuristics are fitted on the exact metric and every policy is scored from its chain, so
only the training (:func:`inventory_gym_cli.pipeline.train_learner`) and the writing go through
the shared pipeline. Writes ``benchmarks/results/perishable_demoor.{csv,md}``. ``--quick`` is a
smoke test.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import inventory_gym  # noqa: F401
from baselines.fitting import coordinate_search, integer_search
from baselines.perishable import dp
from baselines.perishable import heuristics as h
from baselines.ppo import PPOConfig
from inventory_gym import make_instance
from inventory_gym.envs.perishable import DE_MOOR_DISCOUNT
from inventory_gym.evaluation import evaluate
from inventory_gym.threads import set_threads
from inventory_gym_cli.pipeline import (
    Learner,
    add_budget_args,
    dbp_config,
    markdown_table,
    run_header,
    train_learner,
    write_table,
)

ENV = "Perishable-v0"
RESULTS = Path(__file__).parent / "results"
PUBLISHED = {("LIFO", "optimal"): (-1553, 61), ("FIFO", "optimal"): (-1457, 59)}
PUBLISHED_BASE_STOCK = {"LIFO": (-1565, 62, 5), "FIFO": (-1474, 56, 7)}
"""Farrington et al.'s m = 2, L = 1, w = 7 values: discounted return (std over paths)."""
DEFAULT_INSTANCES = ",".join(
    f"{m}:{lead}:{rule}:{w}"
    for m, lead in ((2, 1), (2, 2), (3, 1), (3, 2), (4, 1))
    for rule in ("FIFO", "LIFO")
    for w in (7, 10)
)


def parse_instances(text: str) -> list[dict]:
    """``"2:1:FIFO:7,3:2:LIFO:10"`` -> env keyword dicts (m:L:issuing:w)."""
    out = []
    for item in (t.strip() for t in text.split(",") if t.strip()):
        try:
            m, lead, rule, w = item.split(":")
            out.append(
                {
                    "useful_life": int(m),
                    "lead_time": int(lead),
                    "issuing": rule.upper(),
                    "waste_cost": float(w),
                }
            )
        except ValueError:
            raise SystemExit(
                f"instances: expected m:L:issuing:w such as 2:1:FIFO:7, got {item!r}"
            ) from None
    return out


def fit_exact(
    build: Callable[[tuple[int, ...]], object],
    starts: list[tuple[int, ...]],
    lower: tuple[int, ...],
    upper: tuple[int, ...],
    score: Callable[[object], float],
) -> tuple[object, float, int]:
    """Coordinate descent on an exact score from several starts (the score has plateaus);
    returns the best policy, its score and the number of distinct candidates scored."""
    cache: dict[tuple[int, ...], float] = {}

    def cost(x):
        x = tuple(x) if isinstance(x, tuple) else (x,)
        if x not in cache:
            cache[x] = score(build(x))
        return cache[x]

    ends = []
    for start in starts:
        if len(start) == 1:
            x, c = integer_search(lambda s: cost((s,)), start[0], lower[0], upper[0])
            ends.append(((x,), c))
        else:
            ends.append(coordinate_search(cost, start, lower, upper))
    best, best_cost = min(ends, key=lambda end: end[1])
    return build(best), best_cost, len(cache)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances", default=DEFAULT_INSTANCES, help="m:L:issuing:w items (default all 20)"
    )
    parser.add_argument(
        "--ppo-instances",
        default="2:1:FIFO:7,2:1:LIFO:7",
        help="where PPO runs too (default the two published m = 2 instances)",
    )
    parser.add_argument("--ppo-steps", type=int, default=2_000_000, help="PPO's steps (2M)")
    add_budget_args(parser, steps=1100)
    parser.add_argument(
        "--eval-every",
        type=int,
        default=50,
        help="DBP validates (and keeps its best policy) every this many steps (50: its "
        "rounded policy hops between configurations 1%% apart while it trains; with the "
        "trainer's default 200 it kept a worse one on LIFO instances)",
    )
    parser.add_argument(
        "--straight-through",
        action="store_true",
        help="train DBP on orders rounded in the forward pass (straight-through gradient)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="instances run in parallel processes (1 thread each)"
    )
    parser.add_argument("--paths", type=int, default=10_000, help="simulated paths (10,000)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (1)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="the exact optimum only, on all 32 instances by default (m = 2..5, L = 1, 2, "
        "FIFO/LIFO, w = 7, 10), each cached in the output folder (a rerun resumes)",
    )
    args = parser.parse_args(argv)
    if args.exact:
        if args.instances == DEFAULT_INSTANCES:
            args.instances = ALL_INSTANCES
        if args.quick:
            args.instances, args.paths = "2:1:LIFO:7", 200
        return run_exact(args)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.quick:
        args.instances, args.ppo_instances = "2:1:LIFO:7", "2:1:LIFO:7"
        args.ppo_steps, args.paths = 16_384, 200
        args.dbp_steps, args.dbp_seconds = 30, 2.0
    set_threads(args.threads, torch=True)
    ppo_cases = {tuple(sorted(k.items())) for k in parse_instances(args.ppo_instances)}
    cases = [
        (kwargs, tuple(sorted(kwargs.items())) in ppo_cases, args)
        for kwargs in parse_instances(args.instances)
    ]
    if args.jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            results = list(pool.map(_run_case, cases))
    else:
        results = [_run_case(case) for case in cases]
    write([row for rows in results for row in rows], args)
    return 0


def _run_case(case: tuple[dict, bool, argparse.Namespace]) -> list[dict]:
    kwargs, with_ppo, args = case
    set_threads(args.threads, torch=True)
    return run_instance(kwargs, with_ppo, args)


def run_instance(kwargs: dict, with_ppo: bool, args: argparse.Namespace) -> list[dict]:
    inst = make_instance(ENV, kwargs)
    params = inst.params
    model = dp.Model(params)
    m, lead, rule, w = params.useful_life, params.lead_time, params.issuing, params.waste_cost
    label = f"m={m} L={lead} {rule} w={w:g}"

    def farrington(policy) -> float:
        return dp.PolicyModel(model, policy).farrington(std=False).mean

    solution = dp.solve(params)
    average_opt = dp.solve(params, discount=None)
    policies = {"optimal": (solution.policy(), solution.seconds, f"{solution.iterations} PI")}
    layout = h.Layout.of(params)
    top = int(params.order_cap) * (m + lead)
    t0 = time.perf_counter()
    base, _, n = fit_exact(
        lambda x: h.BaseStock(layout, x[0]), [(round(4 * (lead + 1)),)], (0,), (top,), farrington
    )
    policies["base_stock"] = (base, time.perf_counter() - t0, f"S={base.level} ({n} scored)")
    s = base.level
    t0 = time.perf_counter()
    bsp, _, n = fit_exact(
        lambda x: h.BSPLowEW(layout, x[0], x[1], x[2]),
        [(s, s, s), (s - 2, s + 1, s), (s - 1, s + 2, s + 1)],
        (0, 0, 1),
        (top, top, top),
        farrington,
    )
    policies["bsp_low_ew"] = (
        bsp,
        time.perf_counter() - t0,
        f"S1={bsp.s1} S2={bsp.s2} b={bsp.b} ({n} scored)",
    )
    t0 = time.perf_counter()
    wc, _, n = fit_exact(
        lambda x: h.WasteConsciousOrderUpTo(layout, x[0]), [(s,)], (0,), (top,), farrington
    )
    policies["waste_conscious"] = (wc, time.perf_counter() - t0, f"S={wc.level} ({n} scored)")
    config = dbp_config(
        args.dbp_steps,
        args.dbp_seconds,
        threads=args.threads,
        straight_through=args.straight_through,
        eval_every=args.eval_every,
    )
    show = sys.stderr.isatty()
    dbp = train_learner(inst, Learner("dbp", config, name="dbp-mlp"), progress=show)
    steps = f"{dbp.info['steps']} steps, {dbp.info['threads']} thread(s)"
    policies["dbp-mlp"] = (dbp.policy.state_policy(), dbp.seconds, steps)
    if with_ppo:
        ppo_config = PPOConfig(timesteps=args.ppo_steps, threads=args.threads)
        ppo = train_learner(inst, Learner("ppo", ppo_config), progress=show)
        policies["ppo"] = (ppo.policy, ppo.seconds, f"{ppo.info['timesteps']} steps")

    sim = evaluate(
        solution.policy(),
        ENV,
        kwargs,
        num_paths=args.paths,
        periods=dp.FARRINGTON["periods"],
        burn_in=dp.FARRINGTON["burn_in"],
        discount=DE_MOOR_DISCOUNT,
    )
    rows = []
    for name, (policy, seconds, detail) in policies.items():
        chain = dp.PolicyModel(model, policy)
        value = chain.farrington()
        if name == "optimal":  # the first entry: every gap is to its value
            reference = value
        average = chain.average_cost()
        published = ""
        if (m, lead, w) == (2, 1, 7):
            if name == "optimal":
                value_pub, std_pub = PUBLISHED[(rule, "optimal")]
                published = f"{value_pub} ({std_pub})"
            elif name == "base_stock":
                value_pub, std_pub, level = PUBLISHED_BASE_STOCK[rule]
                published = f"{value_pub} ({std_pub}), S={level}"
        rows.append(
            {
                "m": m,
                "L": lead,
                "issuing": rule,
                "w": w,
                "policy": name,
                "farrington": value.mean,
                "farrington_std": value.std,
                "farrington_gap_pct": 100 * (value.mean - reference.mean) / reference.mean,
                "average": average,
                "average_opt": average_opt.cost,
                "average_gap_pct": 100 * (average - average_opt.cost) / average_opt.cost,
                "published": published,
                "simulated": sim.cost if name == "optimal" else math.nan,
                "simulated_se": sim.stderr if name == "optimal" else math.nan,
                "seconds": seconds,
                "detail": detail,
            }
        )
        r = rows[-1]
        print(
            f"{label} {name}: Farrington {-value.mean:.2f} ({value.std:.1f}), gap "
            f"{pct(r['farrington_gap_pct'])}%; average {average:.4f}, gap "
            f"{pct(r['average_gap_pct'])}%; {seconds:.1f} s {detail}",
            flush=True,
        )
    print(f"{label}: simulated optimum {-sim.cost:.2f} ± {sim.stderr:.2f}", flush=True)
    return rows


def pct(value: float) -> str:
    """A gap in percent with three decimals (a rounding residue shows as 0.000, not -0.000)."""
    return f"{0.0 if abs(value) < 5e-4 else value:.3f}"


def write(rows: list[dict], args: argparse.Namespace) -> None:
    name = "perishable_demoor_quick" if args.quick else "perishable_demoor"
    lines = [
        f"# Perishable, De Moor's scenario A ({time.strftime('%Y-%m-%d')}, "
        f"{run_header(args.threads)})",
        "",
        f"Command: `python benchmarks/perishable_demoor.py {' '.join(sys.argv[1:])}`. "
        "Farrington = discounted return (minus the expected discounted cost, gamma 0.99) of the "
        "365 periods after 100 burn-in periods from empty, exact from the policy's chain (std "
        "over paths in brackets); gap to the discounted optimum's value. Average = exact "
        "long-run average cost; gap to the average-cost optimum.",
        "",
    ]
    lines += markdown_table(
        rows,
        [
            ("m", lambda r: r["m"]),
            ("L", lambda r: r["L"]),
            ("issuing", lambda r: r["issuing"]),
            ("w", lambda r: f"{r['w']:g}"),
            ("policy", lambda r: r["policy"]),
            ("Farrington (std)", lambda r: f"{-r['farrington']:.2f} ({r['farrington_std']:.1f})"),
            ("gap %", lambda r: pct(r["farrington_gap_pct"])),
            ("average", lambda r: f"{r['average']:.4f}"),
            ("gap %", lambda r: pct(r["average_gap_pct"])),
            ("published", lambda r: r["published"]),
            ("s", lambda r: f"{r['seconds']:.1f}"),
            ("parameters", lambda r: r["detail"]),
        ],
    )
    lines += [
        "",
        f"Simulated optimum ({args.paths} paths, seed 0) against the exact value:",
        "",
    ]
    lines += markdown_table(
        [r for r in rows if r["policy"] == "optimal"],
        [
            ("m", lambda r: r["m"]),
            ("L", lambda r: r["L"]),
            ("issuing", lambda r: r["issuing"]),
            ("w", lambda r: f"{r['w']:g}"),
            ("exact", lambda r: f"{-r['farrington']:.2f}"),
            ("simulated ± s.e.", lambda r: f"{-r['simulated']:.2f} ± {r['simulated_se']:.2f}"),
        ],
    )
    text = "\n".join(lines) + "\n"
    files = write_table(args.out, name, rows, markdown=text)
    print(text)
    print("wrote " + ", ".join(str(f) for f in files))


# -- every instance, exact only (issue 20) ----------------------------------------------------
ALL_INSTANCES = ",".join(
    f"{m}:{lead}:{rule}:{w}"
    for m in (2, 3, 4, 5)
    for lead in (1, 2)
    for rule in ("FIFO", "LIFO")
    for w in (7, 10)
)
"""All 32 of De Moor's scenario-A instances (Farrington et al.'s Table 3)."""
FARRINGTON_PATHS = dp.FARRINGTON["num_paths"]
"""The simulated paths of a cached row that predates the ``paths`` field."""


def _key(kwargs: dict) -> str:
    return (
        f"m{kwargs['useful_life']}_L{kwargs['lead_time']}_{kwargs['issuing']}"
        f"_w{kwargs['waste_cost']:g}"
    )


def exact_instance(kwargs: dict, paths: int) -> dict:
    """Solve one instance (discounted policy iteration), its Farrington value and standard
    deviation from the chain, and the harness's simulation of the optimal policy on ``paths``
    paths (seed 0); time and memory of each step (tracemalloc: numpy's and scipy's arrays)."""
    import resource
    import tracemalloc

    params = make_instance(ENV, kwargs).params

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    tracemalloc.start()
    t0, c0 = time.perf_counter(), cpu()
    model = dp.Model(params)
    build = time.perf_counter() - t0
    solution = dp.solve(model)
    solve_seconds = time.perf_counter() - t0
    solve_cpu = cpu() - c0
    solve_peak = tracemalloc.get_traced_memory()[1]
    policy = solution.policy()
    t1 = time.perf_counter()
    value = dp.PolicyModel(model, policy).farrington()
    farrington_seconds = time.perf_counter() - t1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del model
    t2 = time.perf_counter()
    sim = evaluate(
        policy,
        ENV,
        kwargs,
        num_paths=paths,
        periods=dp.FARRINGTON["periods"],
        burn_in=dp.FARRINGTON["burn_in"],
        discount=DE_MOOR_DISCOUNT,
    )
    m, lead, rule, w = params.useful_life, params.lead_time, params.issuing, params.waste_cost
    published = PUBLISHED.get((rule, "optimal")) if (m, lead, w) == (2, 1, 7) else None
    return {
        "m": m,
        "L": lead,
        "issuing": rule,
        "w": w,
        "states": solution.grid.size,
        "optimum": solution.cost,
        "bounds": list(solution.bounds),
        "iterations": solution.iterations,
        "farrington": value.mean,
        "farrington_std": value.std,
        "simulated": sim.cost,
        "simulated_se": sim.stderr,
        "sim_z": (sim.cost - value.mean) / sim.stderr,
        "policy_misses": policy.misses,
        "published": None if published is None else -published[0],
        "published_std": None if published is None else published[1],
        "build_seconds": build,
        "solve_seconds": solve_seconds,
        "solve_cpu_seconds": solve_cpu,
        "farrington_seconds": farrington_seconds,
        "sim_seconds": time.perf_counter() - t2,
        "solve_peak_bytes": solve_peak,
        "peak_bytes": peak,
        "bytes_per_state": peak / solution.grid.size,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": 1,
        "paths": paths,
    }


def fmt_opt(value: float | None) -> str:
    """A number of seconds, or '-' where a cached row predates the column."""
    return "-" if value is None else f"{value:.1f}"


def run_exact(args: argparse.Namespace) -> int:
    """``--exact``: every instance's optimum, cached one JSON file per instance in
    ``<out>/perishable_demoor_exact/`` (a rerun skips what is there: Ctrl-C and resume)."""
    import json

    from tqdm.auto import tqdm

    stem = "perishable_demoor_exact" + ("_quick" if args.quick else "")
    cache = Path(args.out) / stem
    cache.mkdir(parents=True, exist_ok=True)
    instances = parse_instances(args.instances)
    rows = []
    for kwargs in tqdm(instances, desc="instances", unit="instance", file=sys.stderr):
        path = cache / f"{_key(kwargs)}.json"
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("paths", FARRINGTON_PATHS) == args.paths:
                rows.append(saved)
                continue
        row = exact_instance(kwargs, args.paths)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(row, indent=1))
        tmp.replace(path)
        rows.append(row)
        print(
            f"m={row['m']} L={row['L']} {row['issuing']} w={row['w']:g}: "
            f"{-row['farrington']:.2f} ({row['farrington_std']:.1f}), simulated "
            f"{-row['simulated']:.2f} ± {row['simulated_se']:.2f}; {row['states']:,} states "
            f"solved in {row['solve_seconds']:.0f} s, {row['bytes_per_state']:.0f} B/state",
            file=sys.stderr,
            flush=True,
        )
    write_exact(rows, args, stem)
    bad = [r for r in rows if abs(r["sim_z"]) > 4]
    if bad:
        print(f"{len(bad)} simulation(s) more than 4 s.e. from the exact value", file=sys.stderr)
    return 1 if bad else 0


def write_exact(rows: list[dict], args: argparse.Namespace, stem: str) -> None:
    lines = [
        f"# Perishable: De Moor's {len(rows)} instances solved exactly "
        f"({time.strftime('%Y-%m-%d')}, {run_header(1)})",
        "",
        f"Command: `OMP_NUM_THREADS=1 python benchmarks/perishable_demoor.py --exact"
        f"{' --instances ' + args.instances if args.instances != ALL_INSTANCES else ''}`. "
        "Optimum = the discounted DP's value from empty (policy iteration, gamma 0.99). "
        "Farrington = minus the expected discounted cost of the 365 periods after 100 burn-in "
        "periods from empty, exact from the optimal policy's chain (std over paths in "
        f"brackets); simulated = the harness on {args.paths:,} paths (seed 0) ± its standard "
        "error, z = (simulated - exact) / s.e. Published: Farrington et al.'s value where "
        "SCENARIOS.md has it (m = 2, L = 1, w = 7 only; their Table 3's other values are not "
        "available here). Time: wall seconds on one thread (and CPU seconds, where recorded: "
        "the machine is shared), the build of the transitions included in the solve; "
        "memory: tracemalloc's peak (numpy and scipy arrays) of the build, solve and "
        "Farrington value, per state.",
        "",
    ]
    lines += markdown_table(
        rows,
        [
            ("m", lambda r: r["m"]),
            ("L", lambda r: r["L"]),
            ("issuing", lambda r: r["issuing"]),
            ("w", lambda r: f"{r['w']:g}"),
            ("states", lambda r: f"{r['states']:,}"),
            ("Farrington (std)", lambda r: f"{-r['farrington']:.2f} ({r['farrington_std']:.1f})"),
            ("simulated ± s.e.", lambda r: f"{-r['simulated']:.2f} ± {r['simulated_se']:.2f}"),
            ("z", lambda r: f"{r['sim_z']:.2f}"),
            (
                "published",
                lambda r: (
                    "-"
                    if r["published"] is None
                    else f"{-r['published']:.0f} ({r['published_std']:.0f})"
                ),
            ),
            ("optimum from empty", lambda r: f"{r['optimum']:.3f}"),
            ("PI its", lambda r: r["iterations"]),
            ("solve s", lambda r: f"{r['solve_seconds']:.1f}"),
            ("solve CPU s", lambda r: fmt_opt(r.get("solve_cpu_seconds"))),
            ("Farrington s", lambda r: f"{r['farrington_seconds']:.1f}"),
            ("peak MB", lambda r: f"{r['peak_bytes'] / 1e6:.0f}"),
            ("B/state", lambda r: f"{r['bytes_per_state']:.0f}"),
        ],
    )
    text = "\n".join(lines) + "\n"
    files = write_table(args.out, stem, rows, markdown=text)
    print(text)
    print("wrote " + ", ".join(str(f) for f in files))


if __name__ == "__main__":
    sys.exit(main())
