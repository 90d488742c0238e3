"""Aggregates of a sweep's records, with rliable (Agarwal et al., 2021) for every statistic.

- Per instance and algorithm: the mean gap to the optimum over the training seeds, with a 95%
  percentile-bootstrap interval over those seeds (``rliable.library.get_interval_estimates``
  on the seeds of that one instance; with one seed there is no interval).
- Across the suite, per algorithm: the interquartile mean (IQM) and the mean of the
  normalised score (0 = the instance's reference heuristic, 100 = the optimum) over every
  (seed, instance) run, with stratified-bootstrap 95% intervals (runs resampled within each
  instance), the median and the largest per-instance gap, and the share of instances whose
  mean gap is within 2%;
- a performance profile: the fraction of runs whose gap is at most tau, for tau on a grid, with
  its bootstrap band (``rliable.library.create_performance_profile``);
- the probability of improvement P(X < Y in cost) of each pair of algorithms, averaged over the
  instances (``rliable.metrics.probability_of_improvement`` on the scores), with its interval.

The suite-wide numbers need the same instances for every algorithm: they are computed on the
instances every algorithm has finished, and for each algorithm on the seeds it finished on all
of them (:attr:`Aggregates.instances_used`, :attr:`AlgoSummary.seeds`), so a sweep cut short
gives honest, if wider, numbers rather than mixing instances.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WITHIN = 2.0
"""The gap (percent) of the "within 2%" column: the issue's target for PPO."""
REPS = 2000
"""Bootstrap replications of every interval."""
BOOTSTRAP_SEED = 0
"""Seed of the bootstrap resampling (the same records give the same intervals)."""


def import_rliable() -> tuple[Any, Any]:
    """``(rliable.library, rliable.metrics)``, or an ``ImportError`` naming the extra."""
    try:
        from rliable import library, metrics
    except ImportError:
        raise ImportError(
            "the benchmark's aggregates need rliable, which is not installed: "
            "pip install 'inventory-gym[bench]' (or pip install rliable)"
        ) from None
    return library, metrics


@dataclass(frozen=True)
class Cell:
    """One algorithm on one instance, over its seeds."""

    seeds: tuple[int, ...]
    gaps: tuple[float, ...]
    """Gap (percent) of each seed, in the order of ``seeds``."""
    scores: tuple[float, ...]
    costs: tuple[float, ...]
    gap: float
    """Mean gap over the seeds."""
    gap_ci: tuple[float, float] | None
    """95% bootstrap interval of ``gap`` over the seeds (``None`` with one seed)."""
    score: float
    """Mean normalised score over the seeds."""
    cost: float
    train_seconds: float
    """Mean training time of a seed (seconds)."""

    @property
    def n(self) -> int:
        return len(self.seeds)


@dataclass(frozen=True)
class AlgoSummary:
    """One algorithm across the suite's instances (:attr:`Aggregates.instances_used`)."""

    label: str
    algo: str
    budget: int | None
    budget_unit: str | None
    seeds: tuple[int, ...]
    """The seeds finished on every instance used (the runs of the suite-wide numbers)."""
    iqm: float
    iqm_ci: tuple[float, float]
    mean: float
    mean_ci: tuple[float, float]
    median_gap: float
    """Median over the instances of the mean gap."""
    max_gap: float
    """Largest mean gap of an instance."""
    within: int
    """Instances whose mean gap is at most :data:`WITHIN`."""
    train_seconds: float
    """Mean training time of a trial."""


@dataclass
class Aggregates:
    """Everything the report shows; see the module docstring."""

    suite: str
    version: Any
    labels: list[str]
    """Algorithm labels in plan order (the spec, plus the budget when a folder holds one spec
    at several budgets)."""
    instances: list[str]
    """Every instance with at least one record, in suite order."""
    info: dict[str, dict[str, Any]]
    """Per instance: ``optimum``, ``published``, ``reference``, ``reference_cost``."""
    cells: dict[tuple[str, str], Cell]
    """``(instance, label) -> Cell``."""
    gap_field: str = "gap"
    """The records' gap the numbers use: ``"paired_gap"`` (against the optimal policy
    simulated on the same paths) or ``"gap"`` (against the exact optimum)."""
    instances_used: list[str] = field(default_factory=list)
    """Instances that every label has finished: the suite-wide numbers are over these."""
    summaries: dict[str, AlgoSummary] = field(default_factory=dict)
    profile_taus: np.ndarray | None = None
    """Gap thresholds (percent) of the performance profile."""
    profiles: dict[str, np.ndarray] = field(default_factory=dict)
    """Label -> fraction of runs with gap <= tau, for each tau."""
    profile_cis: dict[str, np.ndarray] = field(default_factory=dict)
    """Label -> (2, len(taus)) bootstrap band of the profile."""
    improvement: dict[tuple[str, str], tuple[float, tuple[float, float]]] = field(
        default_factory=dict
    )
    """``(x, y) -> (P(x better than y), 95% interval)``, averaged over the instances used."""


def score_of(record: dict[str, Any], gap_field: str) -> float:
    """A record's normalised score, from the gap the aggregates use.

    The score is linear in the cost: ``100 (reference - cost) / (reference - optimum) = 100
    (1 - gap / reference gap)``. With ``gap_field="gap"`` it is the record's ``score``; with
    ``"paired_gap"`` the same formula on the paired gap (the reference gap is exact), which
    removes the simulation noise that makes a score of 150 possible on an instance whose
    reference heuristic is within 0.1% of the optimum.
    """
    if gap_field == "gap":
        return float(record["score"])
    optimum, reference = float(record["optimum"]), float(record["reference_cost"])
    reference_gap = 100.0 * (reference - optimum) / abs(optimum)
    return 100.0 * (1.0 - float(record[gap_field]) / reference_gap)


def labels_of(records: Sequence[dict[str, Any]]) -> dict[tuple[str, Any], str]:
    """``(algo, budget) -> label``: the spec, with the budget where one spec has several."""
    budgets: dict[str, list[Any]] = {}
    units: dict[tuple[str, Any], Any] = {}
    for r in records:
        seen = budgets.setdefault(r["algo"], [])
        if r["budget"] not in seen:
            seen.append(r["budget"])
        units[(r["algo"], r["budget"])] = r.get("budget_unit")
    out = {}
    for algo, values in budgets.items():
        for budget in values:
            if len(values) == 1:
                out[(algo, budget)] = algo
            else:
                unit = units[(algo, budget)] or "steps"
                out[(algo, budget)] = f"{algo} ({budget:,} {unit})"
    return out


def aggregate(
    records: Sequence[dict[str, Any]],
    *,
    instance_order: Sequence[str] | None = None,
    reps: int = REPS,
    taus: Sequence[float] | None = None,
    gap_field: str | None = None,
) -> Aggregates:
    """The aggregates of a folder's records (one suite version; see the module docstring).

    Args:
        records: trial records (:func:`~baselines.benchmark.store.load_records`).
        instance_order: the suite's instance order (default: the records' order).
        reps: bootstrap replications.
        taus: gap thresholds (percent) of the performance profile (default: a log grid over
            the gaps seen).
        gap_field: the records' gap to use: ``"paired_gap"`` (against the optimal policy on
            the same paths: common random numbers) or ``"gap"`` (against the exact optimum);
            default: ``"paired_gap"`` when every record has one, else ``"gap"``.

    Raises:
        ValueError: for no records, or records of several suite versions.
    """
    with warnings.catch_warnings():
        # arch (under rliable) deprecates the RandomState that makes the intervals reproducible.
        warnings.filterwarnings("ignore", "random_state is deprecated", FutureWarning)
        return _aggregate(records, instance_order, reps, taus, gap_field)


def _aggregate(
    records: Sequence[dict[str, Any]],
    instance_order: Sequence[str] | None,
    reps: int,
    taus: Sequence[float] | None,
    gap_field: str | None,
) -> Aggregates:
    if not records:
        raise ValueError("aggregate: no trial records (has the sweep finished any trial?)")
    if gap_field is None:
        paired = all(r.get("paired_gap") is not None for r in records)
        gap_field = "paired_gap" if paired else "gap"
    if gap_field not in ("gap", "paired_gap"):
        raise ValueError(f"aggregate: gap_field must be 'gap' or 'paired_gap', got {gap_field!r}")
    missing = [r["instance"] for r in records if r.get(gap_field) is None]
    if missing:
        raise ValueError(
            f"aggregate: records without {gap_field}: instances {sorted(set(missing))}"
        )
    suites = {(r["suite"], r["suite_version"], r["suite_fingerprint"]) for r in records}
    if len(suites) > 1:
        raise ValueError(f"aggregate: records of several suite versions: {sorted(suites)}")
    library, metrics = import_rliable()
    label = labels_of(records)
    labels = list(dict.fromkeys(label[(r["algo"], r["budget"])] for r in records))
    names = list(dict.fromkeys(r["instance"] for r in records))
    if instance_order is not None:
        names = [n for n in instance_order if n in names] + [
            n for n in names if n not in instance_order
        ]
    by_cell: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    info: dict[str, dict[str, Any]] = {}
    spec_of: dict[str, tuple[str, Any, Any]] = {}
    for r in records:
        lab = label[(r["algo"], r["budget"])]
        by_cell.setdefault((r["instance"], lab), {})[r["seed"]] = r
        info.setdefault(
            r["instance"],
            {k: r.get(k) for k in ("optimum", "published", "reference", "reference_cost")},
        )
        spec_of[lab] = (r["algo"], r["budget"], r.get("budget_unit"))
    rng = np.random.RandomState(BOOTSTRAP_SEED)
    # Per-instance intervals: one bootstrap per (label, seed set), the runs resampled within
    # each instance (rliable's stratified bootstrap): the interval of each instance's mean.
    groups: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for (inst, lab), runs in by_cell.items():
        groups.setdefault((lab, tuple(sorted(runs))), []).append(inst)
    intervals: dict[tuple[str, str], tuple[float, float]] = {}
    for (lab, seeds), insts in groups.items():
        if len(seeds) < 2:
            continue
        matrix = np.array([[by_cell[(i, lab)][s][gap_field] for i in insts] for s in seeds])
        _, band = library.get_interval_estimates(
            {lab: matrix}, lambda x: np.mean(x, axis=0), reps=reps, random_state=rng
        )
        for j, inst in enumerate(insts):
            intervals[(inst, lab)] = (float(band[lab][0, j]), float(band[lab][1, j]))
    cells: dict[tuple[str, str], Cell] = {}
    for (inst, lab), runs in by_cell.items():
        seeds = tuple(sorted(runs))
        gaps = np.array([runs[s][gap_field] for s in seeds], dtype=float)
        cells[(inst, lab)] = Cell(
            seeds=seeds,
            gaps=tuple(float(g) for g in gaps),
            scores=tuple(score_of(runs[s], gap_field) for s in seeds),
            costs=tuple(float(runs[s]["cost"]) for s in seeds),
            gap=float(gaps.mean()),
            gap_ci=intervals.get((inst, lab)),
            score=float(np.mean([score_of(runs[s], gap_field) for s in seeds])),
            cost=float(np.mean([runs[s]["cost"] for s in seeds])),
            train_seconds=float(np.mean([runs[s].get("train_seconds", math.nan) for s in seeds])),
        )
    result = Aggregates(
        suite=records[0]["suite"],
        version=records[0]["suite_version"],
        labels=labels,
        instances=names,
        info=info,
        cells=cells,
        gap_field=gap_field,
    )
    used = [n for n in names if all((n, lab) in cells for lab in labels)]
    result.instances_used = used
    if not used:
        return result
    scores: dict[str, np.ndarray] = {}
    gap_runs: dict[str, np.ndarray] = {}
    common: dict[str, tuple[int, ...]] = {}
    for lab in labels:
        seeds = set.intersection(*(set(cells[(n, lab)].seeds) for n in used))
        if not seeds:
            continue
        common[lab] = tuple(sorted(seeds))
        scores[lab] = np.array(
            [[score_of(by_cell[(n, lab)][s], gap_field) for n in used] for s in common[lab]],
            dtype=float,
        )
        gap_runs[lab] = np.array(
            [[by_cell[(n, lab)][s][gap_field] for n in used] for s in common[lab]], dtype=float
        )
    if not scores:
        return result

    def iqm_and_mean(x: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_iqm(x), metrics.aggregate_mean(x)])

    points, bands = library.get_interval_estimates(
        scores, iqm_and_mean, reps=reps, random_state=rng
    )
    for lab in scores:
        algo, budget, unit = spec_of[lab]
        mean_gaps = np.array([cells[(n, lab)].gap for n in used])
        result.summaries[lab] = AlgoSummary(
            label=lab,
            algo=algo,
            budget=budget,
            budget_unit=unit,
            seeds=common[lab],
            iqm=float(points[lab][0]),
            iqm_ci=(float(bands[lab][0, 0]), float(bands[lab][1, 0])),
            mean=float(points[lab][1]),
            mean_ci=(float(bands[lab][0, 1]), float(bands[lab][1, 1])),
            median_gap=float(np.median(mean_gaps)),
            max_gap=float(mean_gaps.max()),
            within=int((mean_gaps <= WITHIN).sum()),
            train_seconds=float(np.nanmean([cells[(n, lab)].train_seconds for n in used])),
        )
    if taus is None:
        every = np.concatenate([g.ravel() for g in gap_runs.values()])
        top = max(float(every.max()) * 1.1, 1.5 * WITHIN)  # the 2% mark always shows
        positive = every[every > 0]
        low = min(float(positive.min()) / 1.5, top / 10) if positive.size else top / 100
        taus = np.geomspace(low, top, 200)
    taus = np.asarray(taus, dtype=float)
    result.profile_taus = taus

    def within_tau(gaps: np.ndarray, tau_list: np.ndarray) -> np.ndarray:
        return np.mean(gaps.reshape(-1, 1) <= tau_list, axis=0)

    result.profiles, result.profile_cis = library.create_performance_profile(
        gap_runs, taus, custom_profile_func=within_tau, reps=max(reps // 4, 100)
    )
    ordered = [lab for lab in labels if lab in scores]
    pairs = {
        f"{x}\x00{y}": (scores[x], scores[y])
        for i, x in enumerate(ordered)
        for y in ordered[i + 1 :]
    }
    if pairs:
        probs, prob_bands = library.get_interval_estimates(
            pairs,
            metrics.probability_of_improvement,
            reps=max(reps // 4, 100),
            random_state=rng,
        )
        for key, p in probs.items():
            x, y = key.split("\x00")
            band = prob_bands[key]
            band = np.ravel(band)
            result.improvement[(x, y)] = (float(p), (float(band[0]), float(band[1])))
    return result
