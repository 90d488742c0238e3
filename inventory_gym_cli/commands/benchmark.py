"""``inventory-gym benchmark``: algorithms over a named suite, several seeds, resumable.

One call of :func:`baselines.benchmark.run_sweep` over the trials of
:func:`baselines.benchmark.plan`, then :func:`baselines.benchmark.write_report`. Every trial
writes its own result file; running the same command again skips the finished trials.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from inventory_gym_cli import options as o

NAME = "benchmark"
DEFAULT_OUT = Path("results") / "benchmark"
"""Default results folder: ``results/benchmark/<suite>-v<version>/``."""


def _suites_text() -> str:
    try:
        from inventory_gym.suites import definition, suite_names

        lines = []
        for name in suite_names():
            suite = definition(name)[0]
            lines.append(f"  {name} (v{suite.version}, {len(suite)} instances, {suite.problem})")
        return "\n".join(lines)
    except Exception as err:  # --help still prints
        return f"  (could not list the suites: {err})"


def _algos_text() -> str:
    try:
        import textwrap

        from baselines.algorithms import algorithm_specs

        return textwrap.fill(
            ", ".join(algorithm_specs()), width=90, initial_indent="  ", subsequent_indent="  "
        )
    except Exception as err:
        return f"  (could not list the algorithms: {err})"


def epilog() -> str:
    return (
        "suites:\n" + _suites_text() + "\n\n"
        "algorithms (--algo, comma-separated):\n" + _algos_text() + "\n"
        "  A user's algorithm is package.module:function, a function (envs, budget, seed) ->\n"
        "  policy that receives an EnvFactory (envs.make(), envs.make_vec(n)), the budget\n"
        "  (None: --budget not given) and the seed, and returns a harness policy (batched\n"
        "  observations -> orders), in a module of the current folder or on PYTHONPATH.\n\n"
        "files (in --out): trials/<algo>/<instance>/b<budget>-s<seed>.json, one per trial,\n"
        "written atomically; results.md, results.csv (one row per instance: optimum,\n"
        "published, each algorithm's mean gap with its interval over seeds and its score),\n"
        "aggregates.csv (IQM of the score with bootstrap intervals, rliable), profile.png\n"
        "(performance profile) and gaps.png (gap per instance).\n\n"
        "resume: a sweep stopped by Ctrl-C, a killed worker or a lost node is continued by\n"
        "running the same command: finished trials are skipped, none is counted twice.\n\n"
        f"example: {o.PROG} benchmark --suite zipkin-poisson --algo best-heuristic,dbp,sb3:PPO "
        "--seeds 3 --jobs 2"
    )


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="run algorithms over a benchmark suite (gaps to the optimum, scores, IQM)",
        description="Train each algorithm with each seed on every instance of a named suite "
        "whose optima are known, score every policy on the suite's own demand paths (common "
        "random numbers), and write one result file per trial, then the tables and figures: "
        "the gap to the optimum of each instance with its interval over seeds, and across the "
        "suite the interquartile mean of the normalised score (0 = the reference heuristic, "
        "100 = the optimum) with stratified-bootstrap intervals, a performance profile and "
        "the probability of improvement between algorithms (rliable). Trials run in this "
        "process (--jobs 1), on a pool of --jobs processes, or as Ray tasks (--backend ray).",
        epilog="(run --help to list the suites and algorithms)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    original = p.format_help

    def format_help() -> str:  # the lists import the suites and sb3: only when asked for
        p.epilog = epilog()
        return original()

    p.format_help = format_help  # type: ignore[method-assign]
    p.add_argument("--suite", required=True, metavar="NAME", help="the suite (listed below)")
    p.add_argument(
        "--algo",
        metavar="A[,B...]",
        help="algorithm specs, comma-separated (listed below), e.g. best-heuristic,dbp,sb3:PPO",
    )
    p.add_argument(
        "--seeds", type=int, default=1, metavar="N", help="training seeds 0..N-1 (default 1)"
    )
    p.add_argument(
        "--budget",
        metavar="STEPS",
        help="training budget in each algorithm's unit (sb3: environment steps; dbp: gradient "
        "steps): one number for every algorithm, or per algorithm, e.g. sb3:PPO=500000,dbp=400; "
        "those not given take their default for the suite's problem; heuristics take none",
    )
    p.add_argument(
        "--instances", metavar="A,B", help="a subset of the suite's instances (default: all)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="trials at once (default 1, in this process); with --backend ray, the CPUs of "
        "the local Ray it starts",
    )
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local: this process or a pool of --jobs processes (default); ray: Ray tasks "
        "(pip install 'inventory-gym[ray]')",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="with --backend ray: an existing cluster (host:port, or auto for the one "
        "`ray start` runs here); default: start a local Ray for the sweep",
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=2,
        help="runs again of a trial whose worker died (default 2)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=f"results folder (default {DEFAULT_OUT}/<suite>-v<version>/); a folder of "
        "another suite version is refused",
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rebuild the tables and figures from the trial files in --out",
    )
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    o.add_threads(p)
    p.set_defaults(func=run, json=False)
    return p


def parse_budget(text: str | None, algos: list[str]) -> int | dict[str, int] | None:
    """``--budget``: ``"100000"`` or ``"sb3:PPO=500000,dbp=400"``."""
    if text is None:
        return None
    text = text.strip()
    if "=" not in text:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise o.CLIError(
                f"--budget expects an integer number of steps or spec=STEPS pairs "
                f"(sb3:PPO=500000,dbp=400), got {text!r}"
            ) from None
        if value < 1:
            raise o.CLIError(f"--budget must be >= 1, got {value}")
        return value
    out = {}
    for part in text.split(","):
        spec, sep, value = part.rpartition("=")
        spec = spec.strip()
        try:
            steps = int(value.strip().replace("_", ""))
        except ValueError:
            steps = 0
        if not sep or not spec or steps < 1:
            raise o.CLIError(f"--budget: {part!r} is not spec=STEPS with STEPS >= 1")
        if spec not in algos:
            raise o.CLIError(f"--budget: {spec!r} is not among --algo ({', '.join(algos)})")
        out[spec] = steps
    return out


def import_from_cwd(algos: list[str]) -> None:
    """Let a user's ``module:function`` be found in the current folder, as ``python -m`` finds
    it: the folder goes first on ``sys.path`` and on ``PYTHONPATH`` (which the pool's workers
    and a local Ray started by the command inherit)."""
    builtin = ("sb3:", "heuristic:")
    if not any(":" in a and not a.startswith(builtin) for a in algos):
        return
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if cwd not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([cwd, *paths])


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    from inventory_gym.suites import get_suite

    if args.seeds < 1:
        raise o.CLIError(f"--seeds must be >= 1, got {args.seeds}")
    if args.jobs < 1:
        raise o.CLIError(f"--jobs must be >= 1, got {args.jobs}")
    if args.max_retries < 0:
        raise o.CLIError(f"--max-retries must be >= 0, got {args.max_retries}")
    if args.address is not None and args.backend != "ray":
        raise o.CLIError("--address is the address of a Ray cluster: add --backend ray")
    if args.backend == "ray" and not args.report_only:
        from baselines.benchmark.ray_backend import import_ray

        try:
            import_ray()
        except ImportError as err:
            raise o.CLIError(str(err)) from None
    suite = get_suite(args.suite)
    algos = _split(args.algo)
    if not algos and not args.report_only:
        raise o.CLIError("--algo: give at least one algorithm spec (see --help)")
    import_from_cwd(algos)
    out = o.check_out_folder("--out", args.out or DEFAULT_OUT / f"{suite.name}-v{suite.version}")
    from baselines.benchmark import plan, run_sweep, write_report

    threads = o.threads(args)
    if threads is None:
        raise o.CLIError(
            "--threads 0 (the libraries' defaults) is not for a benchmark: every trial records "
            "its thread count; give --threads N >= 1"
        )
    if not args.report_only:
        budget = parse_budget(args.budget, algos)
        instances = _split(args.instances) or None
        try:
            trials = plan(suite, algos, args.seeds, budget, threads=threads, instances=instances)
        except ValueError as err:
            raise o.CLIError(f"{err}") from None
        where = (
            f"Ray ({args.address or 'local'})"
            if args.backend == "ray"
            else ("this process" if args.jobs == 1 else f"{args.jobs} processes")
        )
        budgets = sorted({f"{t.algo}={t.budget:,}" for t in trials if t.budget is not None})
        print(
            f"{suite.name} v{suite.version}: {len(trials)} trials ({len(algos)} algorithm(s) x "
            f"{len(trials) // (len(algos) * args.seeds)} instance(s) x {args.seeds} seed(s)), "
            f"budgets {', '.join(budgets) or 'none'}, {threads} thread(s) per trial, on "
            f"{where}; results in {out}",
            flush=True,
        )
        result = run_sweep(
            trials,
            out,
            suite,
            backend=args.backend,
            jobs=args.jobs,
            address=args.address,
            max_retries=args.max_retries,
            progress=not args.quiet,
        )
        print(
            f"{len(result.done)} trials run, {result.skipped} done before, "
            f"{len(result.failed)} failed, {result.remaining - len(result.failed)} left "
            f"({result.seconds:.0f} s)"
        )
        for key, error in result.failed.items():
            print(f"  FAILED {key}: {error}")
    interrupted = not args.report_only and result.interrupted
    if any((Path(out) / "trials").glob("*/*/*.json")):
        report = write_report(out, suite, plots=not args.no_plot)
        print(_summary(report.aggregates))
        print("files: " + ", ".join(str(p) for p in report.files.values()))
    else:
        print(f"no trial files in {out} yet: nothing to report")
    if interrupted:
        command = " ".join(shlex.quote(a) for a in [o.PROG, *getattr(args, "argv", [])])
        print(
            f"interrupted: {result.remaining} trials left; rerun the same command to "
            f"resume:\n  {command}"
        )
        return 130
    if not args.report_only and result.failed:
        return 1
    return 0


def _summary(agg: Any) -> str:
    from baselines.benchmark.report import fmt, interval

    n = len(agg.instances_used)
    lines = [f"across {n} instance(s) of {agg.suite} v{agg.version}:"]
    for lab in agg.labels:
        s = agg.summaries.get(lab)
        if s is None:
            lines.append(f"  {lab}: not on every instance yet")
            continue
        lines.append(
            f"  {lab}: IQM score {fmt(s.iqm, 1)}{interval(s.iqm_ci, 1)}, median gap "
            f"{fmt(s.median_gap)}%, max gap {fmt(s.max_gap)}%, {s.within}/{n} within 2% "
            f"({len(s.seeds)} seed(s))"
        )
    return "\n".join(lines)
