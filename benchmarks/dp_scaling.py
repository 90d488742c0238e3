"""Time and peak memory of every exact solver against its number of states (issue 20 item 4).

The solvers are found through :func:`baselines.exact.solvers` (every packaged problem that
declares one); each declares the instances of growing size it is timed on
(:meth:`baselines.exact.ExactSolver.scaling_series`). Every instance is solved in a fresh child
process, so that its peak resident memory (``resource.getrusage``'s ``ru_maxrss``) is its own;
the child also records tracemalloc's peak (the arrays numpy and scipy allocate), the wall and
CPU seconds of the solve, the iterations and the bounds. Results are cached one JSON file per
instance in ``<out>/dp_scaling/`` (a rerun skips what is there: Ctrl-C and resume; ``--fresh``
solves again) and gathered into ``<out>/dp_scaling.{json,csv,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def measure(problem_name: str, index: int, threads: int) -> dict:
    """Solve one instance of a solver's series here (the child process's job)."""
    import resource
    import tracemalloc

    from baselines import exact
    from inventory_gym import make_instance
    from inventory_gym.threads import set_threads

    set_threads(threads)
    import scipy.sparse.linalg  # noqa: F401  (imported before the clock starts)

    found = {problem.name: solver for problem, solver in exact.solvers()}
    solver = found[problem_name]
    case = solver.scaling_series()[index]
    params = make_instance(case.env_id, case.kwargs).params
    row = {
        "problem": problem_name,
        "label": case.label,
        "env_id": case.env_id,
        "kwargs": case.kwargs,
        "discount": case.discount,
        "threads": threads,
    }
    reason = exact.unavailable(problem_name, params, case.discount)
    if reason is not None:
        return {**row, "skipped": reason}
    warm = getattr(params.demand, "dense_pmf", None)
    if callable(warm):
        warm()  # the demand's tables (scipy.stats, seconds to import) outside the clock
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    tracemalloc.start()
    t0 = time.perf_counter()
    result = solver.solve(params, discount=case.discount, margin=0, progress=False)
    seconds = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    states = int(result.grid.size)
    return {
        **row,
        "states": states,
        "grid": list(result.grid.shape),
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu0,
        "iterations": int(result.iterations),
        "cost": float(result.cost),
        "bounds": [float(b) for b in result.bounds],
        "traced_peak_bytes": traced,
        "traced_bytes_per_state": traced / states,
        "max_rss_bytes": usage.ru_maxrss * 1024,
        "rss_before_solve_bytes": rss_before,
        "estimate_bytes": int(solver.memory(params)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", help="comma-separated problem names (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="the two smallest instances of each series"
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--fresh", action="store_true", help="solve again what is cached")
    parser.add_argument("--out", default=str(RESULTS), help="output folder (benchmarks/results)")
    parser.add_argument(
        "--one", nargs=3, metavar=("PROBLEM", "INDEX", "JSON"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        name, index, path = args.one
        Path(path).write_text(json.dumps(measure(name, int(index), args.threads), indent=1))
        return 0

    from tqdm.auto import tqdm

    from baselines import exact
    from inventory_gym_cli.pipeline import write_table

    pairs = exact.solvers()
    if args.problems:
        wanted = set(args.problems.split(","))
        unknown = wanted - {problem.name for problem, _ in pairs}
        if unknown:
            raise SystemExit(
                f"--problems: no exact solver for {', '.join(sorted(unknown))}; solvers: "
                + ", ".join(problem.name for problem, _ in pairs)
            )
        pairs = tuple((p, s) for p, s in pairs if p.name in wanted)
    stem = "dp_scaling_quick" if args.quick else "dp_scaling"
    cache = Path(args.out) / stem
    cache.mkdir(parents=True, exist_ok=True)
    cases = [
        (problem.name, index, case)
        for problem, solver in pairs
        for index, case in enumerate(solver.scaling_series())
        if not args.quick or index < 2
    ]
    load_start = os.getloadavg()
    rows = []
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    for name, index, case in tqdm(cases, desc="instances", unit="instance", file=sys.stderr):
        path = cache / f"{name}__{_slug(case.label)}.json"
        if path.exists() and not args.fresh:
            rows.append(json.loads(path.read_text()))
            continue
        tmp = path.with_suffix(".tmp")
        command = [sys.executable, __file__, "--threads", str(args.threads), "--one"]
        subprocess.run([*command, name, str(index), str(tmp)], check=True, env=env)
        tmp.replace(path)
        row = json.loads(path.read_text())
        rows.append(row)
        if "skipped" not in row:
            print(
                f"{name} {case.label}: {row['states']:,} states, {row['seconds']:.1f} s, "
                f"{row['max_rss_bytes'] / 1e6:.0f} MB resident",
                file=sys.stderr,
                flush=True,
            )
    doc = {
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
        },
        "threads": args.threads,
        "memory": "max_rss_bytes: resource.getrusage ru_maxrss of the child process (the "
        "interpreter and libraries included: rss_before_solve_bytes); traced_peak_bytes: "
        "tracemalloc's peak during the solve",
        "rows": rows,
    }
    text = markdown(rows, doc)
    flat = [{k: v for k, v in row.items() if k not in ("kwargs", "grid", "bounds")} for row in rows]
    files = write_table(args.out, stem, flat, doc=doc, markdown=text)
    print(text)
    print("wrote " + ", ".join(f.name for f in files) + f" in {args.out}")
    return 0


def markdown(rows: list[dict], doc: dict) -> str:
    from inventory_gym_cli.pipeline import markdown_table

    machine = doc["machine"]
    load = machine["load_average_start"], machine["load_average_end"]
    lines = [
        "# Exact solvers: time and memory against the number of states",
        "",
        f"Command: `OMP_NUM_THREADS={doc['threads']} python benchmarks/dp_scaling.py`. Machine: "
        f"{machine['processor']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{doc['threads']} thread(s); load average {load[0][0]:.1f} at the start, "
        f"{load[1][0]:.1f} at the end (the machine is shared: wall seconds inflate with the "
        "load, CPU seconds less). Each instance in a fresh process. Resident = ru_maxrss of that "
        "process (its interpreter and libraries, before the solve: 'base'); traced = "
        "tracemalloc's peak of the solve (numpy and scipy arrays).",
        "",
    ]
    done = [r for r in rows if "skipped" not in r]
    lines += markdown_table(
        done,
        [
            ("problem", lambda r: r["problem"]),
            ("instance", lambda r: r["label"]),
            ("discount", lambda r: "average" if r["discount"] is None else f"{r['discount']:g}"),
            ("states", lambda r: f"{r['states']:,}"),
            ("iterations", lambda r: r["iterations"]),
            ("wall s", lambda r: f"{r['seconds']:.1f}"),
            ("CPU s", lambda r: f"{r['cpu_seconds']:.1f}"),
            ("resident MB", lambda r: f"{r['max_rss_bytes'] / 1e6:.0f}"),
            ("base MB", lambda r: f"{r['rss_before_solve_bytes'] / 1e6:.0f}"),
            ("traced MB", lambda r: f"{r['traced_peak_bytes'] / 1e6:.0f}"),
            ("traced B/state", lambda r: f"{r['traced_bytes_per_state']:.0f}"),
            ("estimate MB", lambda r: f"{r['estimate_bytes'] / 1e6:.0f}"),
        ],
    )
    skipped = [r for r in rows if "skipped" in r]
    if skipped:
        lines += ["", "Not solved here:", ""]
        lines += [f"- {r['problem']} {r['label']}: {r['skipped']}" for r in skipped]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
