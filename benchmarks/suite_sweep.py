"""The benchmark runner's parallel speed-up: the same sweep with ``--jobs 1`` and ``--jobs 2``.

Runs one plan of trials (:func:`baselines.benchmark.plan`) twice per round into fresh results
folders, once in this process (``jobs=1``, what ``inventory-gym benchmark --jobs 1`` does) and
once on two worker processes (``jobs=2``), alternating which goes first from round to round
(ABBA), so that a change of the shared machine's load hits both alike; reports the wall time of
each run, the ratio ``time(jobs=1) / time(jobs=2)`` per round (2 is the ideal on two free cores)
and the load average before and after. Each run also checks that both folders hold the same
records (the backend changes where a trial runs, not what it gives).

Run it from the repository root::

    .venv/bin/python benchmarks/suite_sweep.py                 # 4 dbp trials of 100 steps
    .venv/bin/python benchmarks/suite_sweep.py --quick         # 4 best-heuristic trials

Writes ``benchmarks/results/suite_sweep.json`` (``--out``): the settings (suite, algorithms,
budget, seeds, instances, threads), every run's seconds, the ratios and the machine (cores,
load average; no host name or path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default="zipkin-poisson", help="suite (default zipkin-poisson)")
    p.add_argument("--algo", default="dbp", help="algorithm specs, comma-separated (dbp)")
    p.add_argument("--budget", type=int, default=100, help="training budget (default 100)")
    p.add_argument(
        "--instances",
        default="p4-L1,p4-L2,p9-L1,p9-L2",
        help="instances of the suite (default p4-L1,p4-L2,p9-L1,p9-L2)",
    )
    p.add_argument("--seeds", type=int, default=1, help="training seeds (default 1)")
    p.add_argument("--threads", type=int, default=1, help="threads per trial (default 1)")
    p.add_argument("--rounds", type=int, default=1, help="ABBA rounds (default 1: 2 runs each)")
    p.add_argument(
        "--quick", action="store_true", help="best-heuristic instead (no training budget)"
    )
    p.add_argument("--out", default=str(RESULTS / "suite_sweep.json"), help="JSON output")
    return p.parse_args(argv)


def timed_sweep(trials: list, suite: object, jobs: int) -> tuple[float, dict]:
    from baselines.benchmark import load_records, run_sweep

    with tempfile.TemporaryDirectory(prefix="suite_sweep_") as folder:
        start = time.perf_counter()
        result = run_sweep(trials, folder, suite, jobs=jobs, progress=False)
        seconds = time.perf_counter() - start
        if result.failed or result.remaining:
            raise RuntimeError(f"jobs={jobs}: failed {result.failed}, {result.remaining} left")
        records = {r["instance"] + "/" + str(r["seed"]): r for r in load_records(folder)}
    return seconds, records


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from baselines.benchmark import plan
    from inventory_gym.suites import get_suite
    from inventory_gym.threads import set_threads

    set_threads(args.threads)
    suite = get_suite(args.suite)
    algos = ["best-heuristic"] if args.quick else args.algo.split(",")
    trials = plan(
        suite,
        algos,
        args.seeds,
        None if args.quick else args.budget,
        threads=args.threads,
        instances=args.instances.split(","),
    )
    load_before = os.getloadavg()
    runs = []
    for r in range(args.rounds):
        order = (1, 2) if r % 2 == 0 else (2, 1)
        seconds = {}
        records = {}
        for jobs in order:
            seconds[jobs], records[jobs] = timed_sweep(trials, suite, jobs)
            print(f"round {r + 1}, jobs={jobs}: {seconds[jobs]:.1f} s", flush=True)
        same = all(records[1][k]["cost"] == records[2][k]["cost"] for k in records[1]) and set(
            records[1]
        ) == set(records[2])
        runs.append(
            {
                "round": r + 1,
                "order": list(order),
                "seconds_jobs1": seconds[1],
                "seconds_jobs2": seconds[2],
                "ratio": seconds[1] / seconds[2],
                "same_records": same,
            }
        )
        print(f"round {r + 1}: ratio jobs1/jobs2 = {runs[-1]['ratio']:.2f}, same records: {same}")
    doc = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["benchmarks/suite_sweep.py", *(argv or sys.argv[1:])]),
        "settings": {
            "suite": suite.name,
            "version": suite.version,
            "algos": algos,
            "budget": None if args.quick else args.budget,
            "seeds": args.seeds,
            "instances": args.instances.split(","),
            "threads": args.threads,
            "trials": len(trials),
        },
        "runs": runs,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": list(load_before),
            "load_average_after": list(os.getloadavg()),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
