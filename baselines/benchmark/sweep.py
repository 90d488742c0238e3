"""Sweeps: the trials of a plan, run in this process, on a local process pool or on Ray.

:func:`plan` lists the trials (seed by seed, so that a sweep cut short has whole seeds of every
algorithm); :func:`run_sweep` skips the trials whose file is in the results folder, runs the
others and writes each record as it arrives, in the main process (one writer: a trial retried
after a lost worker still writes its file once). A Ctrl-C stops the sweep with every finished
trial on disk and nothing half-written; running the same sweep again resumes it.

Backends (nothing about a trial changes between them, :func:`~baselines.benchmark.trial.run_trial`
runs in each):

- ``jobs=1`` runs the trials one after the other in this process;
- ``jobs>1`` runs them on ``jobs`` worker processes started with ``spawn`` (fresh
  interpreters: no worker inherits the parent's torch threads); each worker
  runs one trial at a time, and one that dies (killed, out of memory) loses only its own
  trial, which runs again on a new worker, up to ``max_retries`` times;
- ``backend="ray"`` runs them as Ray tasks (:mod:`baselines.benchmark.ray_backend`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baselines.benchmark.store import is_done, open_folder, write_record
from baselines.benchmark.trial import (
    IDENTITY,
    Trial,
    run_trial,
    settings_digest,
    suite_horizon,
)

BACKENDS = ("local", "ray")
"""``local``: this process (``jobs=1``) or a process pool; ``ray``: Ray tasks."""
NO_BUDGET = (None, "none")
"""``Algorithm.budget_unit`` of an algorithm that takes no budget (a heuristic)."""
MAX_RETRIES = 2
"""Runs of a trial again after its worker died (a trial that raises is not retried: its error
would come back the same)."""

OnRecord = Callable[[dict[str, Any]], None]
OnFailure = Callable[[Trial, str], None]


@dataclass
class SweepResult:
    """What a sweep did."""

    out: Path
    """The results folder."""
    planned: int
    """Trials of the plan."""
    skipped: int
    """Trials whose file was already there (not run again)."""
    done: list[str] = field(default_factory=list)
    """Keys of the trials this sweep ran and wrote."""
    failed: dict[str, str] = field(default_factory=dict)
    """Key -> error of the trials that raised or whose worker died ``max_retries + 1`` times."""
    interrupted: bool = False
    """Whether the sweep was stopped (Ctrl-C) before its end."""
    seconds: float = 0.0

    @property
    def remaining(self) -> int:
        """Trials of the plan without a result file."""
        return self.planned - self.skipped - len(self.done)


def check_suite(suite: Any) -> None:
    """Refuse a suite whose optima are not computed (no gap or score could be given).

    Raises:
        ValueError: naming the suite, why its values are missing and how to compute them.
    """
    if not getattr(suite, "cached", True):
        why = getattr(suite, "stale", None) or "no cached values"
        raise ValueError(
            f"suite {suite.name!r} v{suite.version} has no cached optima and reference costs "
            f"({why}); compute them first: python -m baselines.suites {suite.name}"
        )


def plan(
    suite: Any,
    algos: Sequence[str],
    seeds: int | Iterable[int],
    budget: int | Mapping[str, int] | None = None,
    *,
    threads: int = 1,
    instances: Sequence[str] | None = None,
) -> list[Trial]:
    """The trials of a sweep, seed by seed, then instance by instance, then algorithm.

    Args:
        suite: the suite (``inventory_gym.suites.get_suite(name)``).
        algos: algorithm specs (``baselines.algorithms.algorithm_specs()``).
        seeds: a number of seeds (0, 1, ..., N-1) or the seeds themselves.
        budget: the training budget, in each algorithm's own unit: one number for every
            algorithm that has a budget, or ``{spec: budget}``; an algorithm left out (or
            ``None``) gets its default for the suite's problem. An algorithm without a budget
            (a heuristic) gets ``None`` whatever is given.
        threads: torch and BLAS threads of each trial.
        instances: a subset of the suite's instances (default: all of them).

    Raises:
        ValueError: for an unknown algorithm or instance, no algorithm, a seed count below 1,
            a negative seed, a budget below 1, a budget for an algorithm not in ``algos``, or
            a thread count below 1.
    """
    from baselines.algorithms import algorithm

    check_suite(suite)
    if not algos:
        raise ValueError("algos: give at least one algorithm spec")
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        seed_list = list(range(seeds))
    else:
        seed_list = [int(s) for s in seeds]
        if not seed_list or min(seed_list) < 0 or len(set(seed_list)) != len(seed_list):
            raise ValueError(f"seeds must be distinct integers >= 0, got {seed_list}")
    specs = list(dict.fromkeys(a.strip() for a in algos))
    given = dict(budget) if isinstance(budget, Mapping) else {s: budget for s in specs}
    unknown = [s for s in given if s not in specs]
    if unknown:
        raise ValueError(f"budget: {', '.join(unknown)} not among the algorithms {specs}")
    for spec, value in given.items():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ValueError(f"budget of {spec}: an integer >= 1 (or None), got {value!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    names = list(suite.instance_names) if instances is None else list(dict.fromkeys(instances))
    for name in names:
        suite.instance(name)
    budgets: dict[str, int | None] = {}
    settings: dict[str, str | None] = {}
    for spec in specs:
        algo = algorithm(spec)
        if algo.budget_unit in NO_BUDGET:
            budgets[spec] = None
        elif given.get(spec) is not None:
            budgets[spec] = given[spec]
        else:
            budgets[spec] = algo.default_budget(suite.problem)
        settings[spec] = settings_digest(
            algo.settings_of(suite.problem, budgets[spec], suite_horizon(suite))
        )
    return [
        Trial(
            suite=suite.name,
            suite_version=suite.version,
            suite_fingerprint=suite.fingerprint,
            instance=name,
            algo=spec,
            seed=seed,
            budget=budgets[spec],
            threads=threads,
            settings=settings[spec],
        )
        for seed in seed_list
        for name in names
        for spec in specs
    ]


def run_sweep(
    trials: Sequence[Trial],
    out: str | Path,
    suite: Any,
    *,
    backend: str = "local",
    jobs: int = 1,
    address: str | None = None,
    max_retries: int = MAX_RETRIES,
    progress: bool = True,
) -> SweepResult:
    """Run the trials that have no result file in ``out`` and write each one's record.

    Args:
        trials: the plan (:func:`plan`).
        out: the results folder (checked with :func:`~baselines.benchmark.store.open_folder`).
        suite: the suite the trials belong to.
        backend: ``"local"`` or ``"ray"``.
        jobs: trials at once (local: processes; ray: the CPUs of a local Ray it starts).
        address: with ``backend="ray"``, the address of an existing Ray cluster (``"auto"``:
            the one running on this machine); ``None`` starts a local Ray for the sweep.
        max_retries: runs of a trial again after its worker died.
        progress: show a progress bar over the trials.

    Returns:
        A :class:`SweepResult`; ``interrupted`` is set after a Ctrl-C (the trials finished by
        then are on disk).

    Raises:
        ValueError: for a bad backend or jobs, or a results folder of another suite version
            (:class:`~baselines.benchmark.store.FolderMismatch`).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if address is not None and backend != "ray":
        raise ValueError("address: an address is for backend='ray' only")
    check_suite(suite)
    out = open_folder(out, suite)
    start = time.perf_counter()
    pending = [t for t in trials if not is_done(out, t)]
    result = SweepResult(out=out, planned=len(trials), skipped=len(trials) - len(pending))
    if not pending:
        return result
    from inventory_gym.progress import bar

    skipped = f", {result.skipped} done before" if result.skipped else ""
    meter = (
        bar(total=len(pending), desc=f"{suite.name} v{suite.version}{skipped}", unit="trial")
        if progress
        else None
    )
    by_key = {t.key: t for t in pending}

    def on_record(record: dict[str, Any]) -> None:
        trial = Trial(**{k: record[k] for k in Trial.__dataclass_fields__})
        expected = by_key.get(trial.key)
        if expected is None or any(record[k] != getattr(expected, k) for k in IDENTITY):
            raise RuntimeError(f"a worker returned a record of trial {trial.key} not asked for")
        write_record(out, record)
        result.done.append(trial.key)
        if meter is not None:
            gap = record["paired_gap"] if record.get("paired_gap") is not None else record["gap"]
            meter.set_postfix_str(f"{trial.algo} {trial.instance} s{trial.seed}: gap {gap:.2f}%")
            meter.update(1)

    def on_failure(trial: Trial, error: str) -> None:
        result.failed[trial.key] = error
        if meter is not None:
            meter.set_postfix_str(f"{trial.key} FAILED")
            meter.update(1)

    try:
        if backend == "ray":
            from baselines.benchmark.ray_backend import run_ray

            run_ray(
                pending,
                suite,
                on_record,
                on_failure,
                jobs=jobs,
                address=address,
                max_retries=max_retries,
            )
        elif jobs == 1:
            run_inline(pending, suite, on_record, on_failure)
        else:
            run_pool(pending, suite, on_record, on_failure, jobs=jobs, max_retries=max_retries)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if meter is not None:
            meter.close()
        result.seconds = time.perf_counter() - start
    return result


def run_inline(
    trials: Sequence[Trial], suite: Any, on_record: OnRecord, on_failure: OnFailure
) -> None:
    """One trial after the other in this process (a ``KeyboardInterrupt`` propagates)."""
    for trial in trials:
        try:
            record = run_trial(trial, suite)
        except Exception as err:  # one trial's error does not stop the others
            on_failure(trial, f"{type(err).__name__}: {err}")
        else:
            on_record(record)


START_METHOD = "spawn"
"""How the pool's workers start: ``spawn``, a fresh interpreter, never ``fork`` (which would
copy the parent's torch thread pools and locks). Not ``forkserver`` either: its workers are
forked from a server started once per process, with the environment of that moment, so a
second sweep in the same process would not see its environment (``PYTHONPATH``, thread
variables). The workers live as long as the sweep, so starting them costs once per job."""


def _worker(conn: Any) -> None:
    """A pool worker: run the trials it is sent, one at a time, and send back each result."""
    import os

    # Before the worker imports torch or numpy: one thread each until the trial sets its own.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    _exit_with_parent()
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            trial, suite = task
            try:
                conn.send(("ok", run_trial(trial, suite)))
            except Exception as err:
                conn.send(("error", f"{type(err).__name__}: {err}"))
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the terminal's group
        try:
            conn.send(("interrupt", None))
        except OSError:
            pass
    except EOFError:  # the sweep has gone
        pass


PARENT_CHECK_SECONDS = 1.0
"""How often a pool worker checks that the sweep that started it is still there."""


def _exit_with_parent() -> None:
    """End this worker soon after the sweep's process is gone. A sweep killed without the
    chance to stop its workers (``kill``, SIGTERM, a closed terminal) would otherwise leave
    each one training its trial to the end, on a core the next sweep wants, for a result
    nobody receives. A daemon thread checks the parent's pid: a new parent means the old one
    has died."""
    import os
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def run_pool(
    trials: Sequence[Trial],
    suite: Any,
    on_record: OnRecord,
    on_failure: OnFailure,
    *,
    jobs: int,
    max_retries: int = MAX_RETRIES,
) -> None:
    """The trials on ``jobs`` worker processes, one trial per worker at a time.

    Each worker is a process of its own with a pipe to this one: a worker that dies shows up
    as the end of its pipe, so the one trial it held is known, run again on a new worker (up
    to ``max_retries`` times) and no other trial is disturbed.
    """
    from multiprocessing.connection import wait as wait_any

    context = multiprocessing.get_context(START_METHOD)
    queue = deque(trials)
    attempts: dict[str, int] = {}
    idle: list[tuple[Any, Any]] = []
    busy: dict[Any, tuple[tuple[Any, Any], Trial]] = {}

    def start() -> tuple[Any, Any]:
        mine, theirs = context.Pipe()
        process = context.Process(target=_worker, args=(theirs,), name="benchmark-worker")
        process.start()
        theirs.close()
        return process, mine

    try:
        while queue or busy:
            while queue and len(busy) < jobs:
                worker = idle.pop() if idle else start()
                trial = queue.popleft()
                worker[1].send((trial, suite))
                busy[worker[1]] = (worker, trial)
            for conn in wait_any(list(busy)):
                worker, trial = busy.pop(conn)
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):  # the worker died with the trial
                    worker[0].join()
                    conn.close()
                    count = attempts.get(trial.key, 0) + 1
                    attempts[trial.key] = count
                    if count > max_retries:
                        code = worker[0].exitcode
                        on_failure(trial, f"its worker died {count} times (exit code {code})")
                    else:
                        queue.appendleft(trial)
                    continue
                if kind == "interrupt":
                    raise KeyboardInterrupt
                idle.append(worker)
                if kind == "ok":
                    on_record(value)
                else:
                    on_failure(trial, value)
    finally:
        for _process, conn in idle:
            try:
                conn.send(None)
            except OSError:
                pass
        for (process, _), _trial in busy.values():
            process.terminate()  # its trial is lost, not written: it runs again next time
        for process, conn in [*idle, *(w for w, _ in busy.values())]:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
