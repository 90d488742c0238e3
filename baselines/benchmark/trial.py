"""One trial of a benchmark: train one algorithm with one seed on one suite instance, score it.

:func:`run_trial` is the whole of a trial, and the same function runs in the main process
(``--jobs 1``), in a local pool's worker and in a Ray task: nothing about a trial changes
with the backend. It returns a JSON-ready record (see :func:`run_trial`); writing it is the
sweep's job (:mod:`baselines.benchmark.store`).
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import math
import platform
import re
import time
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

RECORD_FORMAT = 1
"""Version of the record layout (bumped when its fields change meaning)."""

IDENTITY = (
    "suite",
    "suite_version",
    "suite_fingerprint",
    "instance",
    "algo",
    "seed",
    "budget",
    "settings",
)
"""The fields that make two records the same trial: a file whose fields differ from the
trial's is another trial, never silently taken for it. ``threads`` is recorded but is not part
of the identity (a thread count changes the speed, not the result). ``settings`` came later:
a record without it reads as ``None``."""

PACKAGES = ("inventory-gym", "numpy", "gymnasium", "torch", "stable-baselines3", "sb3-contrib")
"""Packages whose versions every record carries."""


@dataclass(frozen=True)
class Trial:
    """One (suite version, instance, algorithm, seed, budget) of a sweep."""

    suite: str
    """The suite's name (``inventory_gym.suites.suite_names()``)."""
    suite_version: int
    """Its version: the definition a result belongs to."""
    suite_fingerprint: str
    """The suite's fingerprint (a hash of its instances and evaluation settings)."""
    instance: str
    """The instance's name within the suite."""
    algo: str
    """The algorithm spec (``sb3:PPO``, ``dbp``, ``best-heuristic``, ``pkg.module:function``)."""
    seed: int
    """The training seed (the evaluation paths are the suite's, the same for every trial)."""
    budget: int | None
    """Training budget in the algorithm's unit (environment steps, gradient steps); ``None``
    for an algorithm without one (a heuristic)."""
    threads: int = 1
    """torch and BLAS threads of the trial's process."""
    settings: str | None = None
    """A digest of everything else the algorithm trains with on this problem at this budget
    (its resolved defaults, :func:`settings_digest` of ``Algorithm.settings_of``; ``None``
    where the algorithm cannot say, a user's function). A changed default makes the same
    (instance, algorithm, seed, budget) another trial, so a sweep refuses the old file instead
    of counting it."""

    @property
    def key(self) -> str:
        """A readable unique key: ``suite-vN/algo/instance/b<budget>-s<seed>``."""
        return str(self.relpath.with_suffix(""))

    @property
    def relpath(self) -> PurePosixPath:
        """The trial's result file, relative to the results folder."""
        budget = "none" if self.budget is None else str(self.budget)
        return PurePosixPath(
            "trials", slug(self.algo), slug(self.instance), f"b{budget}-s{self.seed}.json"
        )

    def identity(self) -> dict[str, Any]:
        """The fields a result file must repeat to count as this trial (:data:`IDENTITY`)."""
        return {name: getattr(self, name) for name in IDENTITY}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def suite_horizon(suite: Any) -> int | None:
    """The periods a suite scores from the starting state (its metric is ``"horizon"``), which
    its trials train on as episodes; ``None`` for a long-run average."""
    ev = suite.evaluation
    return int(ev.periods) if ev.metric == "horizon" else None


def settings_digest(settings: Any) -> str | None:
    """A short, stable digest of an algorithm's settings (``None`` for ``None``)."""
    if settings is None:
        return None
    text = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def slug(text: str) -> str:
    """A file-name-safe form of a spec or instance name (``sb3:PPO`` -> ``sb3-PPO``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "_"


def versions() -> dict[str, str | None]:
    """Versions of Python and of :data:`PACKAGES` (``None``: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_trial(trial: Trial, suite: Any = None) -> dict[str, Any]:
    """Train ``trial.algo`` on the trial's instance and score its policy.

    The process's torch and BLAS threads are set to ``trial.threads`` first. The policy is
    scored by :func:`inventory_gym.evaluation.evaluate` with the suite's evaluation settings
    (``num_paths``, ``periods``, ``burn_in``, ``seed``): every algorithm and every training
    seed meets the same demand paths.

    Args:
        trial: what to run.
        suite: the suite object (default: ``inventory_gym.suites.get_suite(trial.suite)``);
            its version and fingerprint must be the trial's.

    Returns:
        The record: the trial's fields, then ``cost``, ``stderr`` and ``ci95`` of the policy,
        ``optimum`` and ``published`` (the exact and the published optimal cost),
        ``reference`` and ``reference_cost`` (the reference heuristic), ``gap`` (percent above
        the optimum), ``paired_gap`` (the same gap against the optimal policy simulated on the
        same paths, far less noisy; ``None`` when the suite has no simulated optimum) and
        ``score`` (0 = the reference heuristic, 100 = the optimum),
        ``budget_unit``, ``train_seconds``, ``eval_seconds``, the evaluation settings,
        ``train_info`` and ``best_heuristic`` (what the policy says of its training: steps
        taken, validation cost; the heuristic chosen), the package versions and when it
        finished.

    Raises:
        ValueError: for a suite whose version or fingerprint is not the trial's, or an
            unknown instance or algorithm.
    """
    from inventory_gym.threads import set_threads

    set_threads(trial.threads)
    if suite is None:
        from inventory_gym.suites import get_suite

        suite = get_suite(trial.suite)
    if (suite.name, suite.version, suite.fingerprint) != (
        trial.suite,
        trial.suite_version,
        trial.suite_fingerprint,
    ):
        raise ValueError(
            f"trial {trial.key}: it belongs to suite {trial.suite!r} v{trial.suite_version} "
            f"(fingerprint {trial.suite_fingerprint}), but the suite here is {suite.name!r} "
            f"v{suite.version} (fingerprint {suite.fingerprint})"
        )
    inst = suite.instance(trial.instance)
    from baselines.algorithms import EnvFactory, algorithm
    from inventory_gym.evaluation import evaluate

    algo = algorithm(trial.algo)
    horizon = suite_horizon(suite)
    if trial.settings is not None:
        here = settings_digest(algo.settings_of(suite.problem, trial.budget, horizon))
        if here != trial.settings:
            raise ValueError(
                f"trial {trial.key}: planned with settings {trial.settings}, but "
                f"{trial.algo} here trains with settings {here} (another version of its "
                "defaults: run every worker from the same code)"
            )
    envs = EnvFactory(inst.env_id, dict(inst.kwargs), horizon=horizon)
    start = time.perf_counter()
    policy = algo.train(envs, trial.budget, trial.seed)
    train_seconds = time.perf_counter() - start
    ev = suite.evaluation
    start = time.perf_counter()
    result = evaluate(
        policy,
        inst.env_id,
        dict(inst.kwargs),
        num_paths=ev.num_paths,
        periods=ev.periods,
        burn_in=ev.burn_in,
        seed=ev.seed,
        name=trial.algo,
    )
    eval_seconds = time.perf_counter() - start
    try:  # the gap against the optimal policy on the same paths (common random numbers)
        paired_gap = float(inst.paired_gap(result.cost))
    except (AttributeError, ValueError):  # no simulated optimum cached
        paired_gap = None
    return {
        "format": RECORD_FORMAT,
        **trial.to_dict(),
        "env_id": inst.env_id,
        "env_kwargs": {k: _plain(v) for k, v in dict(inst.kwargs).items()},
        "cost": result.cost,
        "stderr": result.stderr,
        "ci95": list(result.ci95),
        "optimum": inst.optimum,
        "published": inst.published,
        "reference": inst.reference,
        "reference_cost": inst.reference_cost,
        "gap": float(inst.gap(result.cost)),
        "paired_gap": paired_gap,
        "score": float(inst.score(result.cost)),
        "budget_unit": algo.budget_unit,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "evaluation": {
            "num_paths": ev.num_paths,
            "periods": ev.periods,
            "burn_in": ev.burn_in,
            "seed": ev.seed,
        },
        # What the algorithm says it did (steps taken, validation cost, the heuristic chosen),
        # where its policy carries it.
        "train_info": _json_ready(getattr(policy, "train_info", None)),
        "best_heuristic": _json_ready(getattr(policy, "best_heuristic", None)),
        "versions": versions(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _json_ready(value: Any) -> Any:
    """A JSON round trip of ``value`` (what JSON cannot hold becomes its ``str``)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
