"""Benchmark sweeps: every algorithm on every instance of a suite, several seeds, resumable.

A *trial* (:class:`Trial`) is one algorithm trained with one seed and one budget on one
instance of one suite version, then scored by the evaluation harness under the suite's own
evaluation settings (the same demand paths for every algorithm and seed: common random
numbers). :func:`run_trial` does that and returns a JSON record; a sweep
(:func:`run_sweep`) runs the trials of a plan (:func:`plan`) on a local process pool or as
Ray tasks and writes each record to its own file, atomically, at a path derived from the
trial's key. Rerunning the same sweep skips the trials whose file exists, so an interrupted
sweep resumes and never counts a trial twice. :func:`aggregate` turns the records into
per-instance gaps and suite-wide scores (with rliable) and :func:`write_report` into the
Markdown and CSV tables and the figures, next to the trial files.

The layout of a results folder::

    suite.json                              the suite version and fingerprint it holds
    trials/<algo>/<instance>/b<budget>-s<seed>.json   one record per trial
    results.md, results.csv, aggregates.csv, profile.png, gaps.png
"""

from __future__ import annotations

from baselines.benchmark.aggregate import Aggregates, aggregate
from baselines.benchmark.report import write_report
from baselines.benchmark.store import FolderMismatch, load_records, open_folder
from baselines.benchmark.sweep import SweepResult, plan, run_sweep
from baselines.benchmark.trial import Trial, run_trial

__all__ = [
    "Aggregates",
    "FolderMismatch",
    "SweepResult",
    "Trial",
    "aggregate",
    "load_records",
    "open_folder",
    "plan",
    "run_sweep",
    "run_trial",
    "write_report",
]
