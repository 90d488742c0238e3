"""One pipeline for ``inventory-gym compare`` and the benchmarks.

Fit the heuristics, solve the exact optimum, train DirectBackprop and PPO, evaluate every policy
on common random numbers, take the paired gaps to the optimum and write the table (JSON, CSV,
markdown, chart):

>>> from inventory_gym import make_instance
>>> from inventory_gym_cli.pipeline import Learner, Scoring, run_comparison, write_table
>>> result = run_comparison(make_instance("LostSalesLeadTime-v0", lead_time=2),
...                         learners=[Learner("dbp")], scoring=Scoring(num_paths=500))
...                                                               # doctest: +SKIP
>>> write_table("results", "l2", result.rows(), doc=result.to_dict())  # doctest: +SKIP

It sits above :mod:`baselines` (heuristics, exact solvers, PPO), :mod:`dbp` and the harness; the
command line and every script under ``benchmarks/`` call it, and nothing below imports it. The
policies of a problem come from :func:`baselines.registry.entries`; the optimum is the entry
flagged ``optimal``, solved by the problem's exact solver (:mod:`baselines.exact`).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventory_gym.core.instance import Instance, make_instance
from inventory_gym.core.shell import OBSERVATION_OPTIONS
from inventory_gym.evaluation import Evaluation, compare, evaluate
from inventory_gym_cli.artifacts import describe


# -- what is scored, and how ------------------------------------------------------------------
@dataclass(frozen=True)
class Scoring:
    """The test paths every policy is scored on (common random numbers), and whether exact
    costs are computed from the policies' Markov chains where a solver can."""

    num_paths: int = 1000
    """Demand paths."""
    periods: int = 1000
    """Periods per path after the burn-in."""
    burn_in: int = 500
    """Periods discarded first."""
    seed: int = 0
    """Seed of the test paths."""
    discount: float | None = None
    """Score the discounted cost instead of the average cost per period."""
    exact: bool = True
    """Also compute each integer policy's exact cost where the problem's solver can."""

    def harness(self) -> dict[str, Any]:
        """Keyword arguments of :func:`inventory_gym.evaluation.evaluate`."""
        return dict(
            num_paths=self.num_paths,
            periods=self.periods,
            burn_in=self.burn_in,
            seed=self.seed,
            discount=self.discount,
        )


@dataclass(frozen=True)
class Learner:
    """A policy to train and include: DirectBackprop (``algo="dbp"``) or PPO."""

    algo: str = "dbp"
    """``dbp`` or ``ppo``."""
    config: Any = None
    """Its :class:`dbp.TrainConfig` or :class:`baselines.ppo.PPOConfig` (``None``: defaults)."""
    name: str | None = None
    """Its name in the table (default ``dbp`` / ``ppo``)."""
    kind: str = "mlp"
    """DirectBackprop's network kind."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Other keywords of :func:`dbp.train` (``window``, ``static``, ``hidden``, ``out``...) or
    :func:`baselines.ppo.train_ppo` (``out``...)."""

    @property
    def label(self) -> str:
        return self.name or self.algo


@dataclass
class Entry:
    """One policy of a comparison."""

    name: str
    policy: Any
    seconds: float
    """Seconds to fit, solve or train it."""
    evaluation: Evaluation | None = None
    exact_cost: float | None = None
    exact_note: str = ""
    """Why there is no exact cost, where one was asked for and none came."""
    info: dict[str, Any] = field(default_factory=dict)
    """What its training reports: ``steps`` or ``timesteps``, ``threads``, seeds, ``stopped``."""
    result: Any = None
    """The training result (:class:`dbp.trainer.TrainResult`, :class:`baselines.ppo.PPOResult`)
    or the exact solution (:class:`baselines.exact.ExactResult`) behind it."""


@dataclass
class Comparison:
    """Every policy of one instance scored on the same paths, with gaps to the optimum."""

    instance: Instance
    scoring: Scoring
    entries: dict[str, Entry]
    skipped: dict[str, str] = field(default_factory=dict)
    """Policies left out, with the reason."""
    reference: str | None = None
    """The optimal entry's name (the reference of the gaps), if there is one."""

    @property
    def optimum(self) -> Entry | None:
        return self.entries.get(self.reference) if self.reference else None

    def paired_gap(self, name: str) -> tuple[float, tuple[float, float]] | None:
        """The paired gap to the optimum on the same paths, in percent, with its 95% CI."""
        best = self.optimum
        if best is None or best.evaluation is None:
            return None
        entry = self.entries[name]
        try:
            paired = compare(entry.evaluation, best.evaluation)
        except ValueError:  # not on the same paths (another window under a season's clock)
            return None
        scale = abs(best.evaluation.cost)
        return paired.relative, (100 * paired.ci95[0] / scale, 100 * paired.ci95[1] / scale)

    def exact_gap(self, name: str) -> float | None:
        """The exact gap to the optimum in percent, where both have exact costs."""
        best = self.optimum
        mine = self.entries[name].exact_cost
        if best is None or best.exact_cost is None or mine is None:
            return None
        return 100 * (mine - best.exact_cost) / abs(best.exact_cost)

    def doc(self, name: str) -> dict[str, Any]:
        """The JSON document of one policy (the shape of ``inventory-gym`` outputs)."""
        entry = self.entries[name]
        doc = entry.evaluation.to_dict() if entry.evaluation is not None else {}
        doc["params"] = describe(entry.policy)
        doc["fit_seconds"] = round(entry.seconds, 3)
        doc["exact_cost"] = entry.exact_cost
        doc.update(entry.info)
        gap = self.paired_gap(name)
        if gap is not None:
            doc["gap_percent"], doc["gap_ci95_percent"] = gap[0], list(gap[1])
            exact = self.exact_gap(name)
            if exact is not None:
                doc["exact_gap_percent"] = exact
        return doc

    def docs(self) -> dict[str, dict[str, Any]]:
        return {name: self.doc(name) for name in self.entries}

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance.to_dict()
        return {
            "env": inst["env_id"],
            "env_kwargs": inst["env_kwargs"],
            "problem": inst["problem"],
            "scoring": {k: v for k, v in self.scoring.__dict__.items() if not k.startswith("_")},
            "policies": self.docs(),
            "skipped": dict(self.skipped),
        }

    def rows(self, **extra: Any) -> list[dict[str, Any]]:
        """One flat row per policy (the CSV of ``inventory-gym compare``), with ``extra``
        columns first."""
        rows = []
        for name in self.entries:
            doc = self.doc(name)
            rows.append(
                {
                    **extra,
                    "policy": name,
                    "cost": doc["cost"],
                    "stderr": doc["stderr"],
                    "ci95_low": doc["ci95"][0],
                    "ci95_high": doc["ci95"][1],
                    "exact_cost": doc["exact_cost"],
                    "gap_percent": doc.get("gap_percent"),
                    "params": json.dumps(doc["params"]),
                }
            )
        return rows


# -- the steps --------------------------------------------------------------------------------
def exact_cost(instance: Instance, policy: Any, scoring: Scoring) -> tuple[float | None, str]:
    """A policy's exact cost in the harness's metric from its Markov chain, where the
    problem's solver has one, and why not otherwise (``(None, reason)``).

    Average cost: every solver. Discounted: only where the solver computes the harness's
    finite-horizon metric (the discounted cost of ``periods`` periods after ``burn_in``)
    exactly; an infinite-horizon value from the start would not be comparable.
    """
    from baselines import exact as solvers

    if getattr(policy, "continuous_orders", False):
        return None, "real-valued orders (an infinite chain)"
    if any(k in instance.kwargs for k in OBSERVATION_OPTIONS):
        return None, "the instance's observation reads more than the state"
    if hasattr(policy, "state_policy"):  # a network that may read static features too
        options = getattr(policy, "env_options", {}) or {}
        if options.get("demand_window"):
            return None, "the policy reads the demand history"
        static = instance.problem.static_row(instance.params)
        try:
            policy = policy.state_policy(static if options.get("static_features") else None)
        except ValueError as err:
            return None, str(err)
    found = solvers.solver(instance.problem)
    if found is None:
        return None, f"no exact solver for the {instance.problem.name!r} problem"
    if scoring.discount is None and instance.params.demand.is_integer:
        try:  # the solver's own message says why a chain cannot be scored
            return found.average_cost(instance.params, policy), ""
        except ValueError as err:
            return None, str(err)
    cost = solvers.policy_cost(
        instance.problem,
        instance.params,
        policy,
        discount=scoring.discount,
        burn_in=scoring.burn_in,
        periods=scoring.periods,
    )
    return cost, "" if cost is not None else "no exact cost for this metric"


def dbp_config(steps: int | None, seconds: float | None = None, **fields: Any) -> Any:
    """A :class:`dbp.TrainConfig` with a budget of ``steps`` gradient steps and an optional
    ``seconds`` cap (``0`` or ``None``: none of that kind), the benchmarks' ``--dbp-steps`` /
    ``--dbp-seconds``."""
    from dbp.config import TrainConfig

    return TrainConfig(max_steps=steps or None, max_seconds=seconds or None, **fields)


def add_budget_args(
    parser: Any, *, steps: int, seconds: float | None = None, prefix: str = "dbp", what: str = "DBP"
) -> None:
    """``--<prefix>-steps`` (a budget in gradient steps) and ``--<prefix>-seconds`` (an
    optional cap) for a benchmark's command line."""
    parser.add_argument(
        f"--{prefix}-steps",
        type=int,
        default=steps,
        help=f"{what}'s budget in gradient steps ({steps}; 0: none, then --{prefix}-seconds "
        "is the budget)",
    )
    parser.add_argument(
        f"--{prefix}-seconds",
        type=float,
        default=seconds,
        help=f"{what}'s wall-clock cap in seconds, validation included "
        f"({'none' if seconds is None else f'{seconds:g}'})",
    )


def solve_optimum(instance: Instance, discount: float | None) -> Any:
    """The problem's exact solution (:class:`baselines.exact.ExactResult`).

    Raises:
        ValueError: why the instance cannot be solved exactly here.
    """
    from baselines import exact as solvers

    reason = solvers.unavailable(instance.problem, instance.params, discount)
    if reason is not None:
        raise ValueError(reason)
    # Optimal from every state (margin 0: Zipkin's bounds), so also after the burn-in.
    return solvers.solver(instance.problem).solve(
        instance.params, discount=discount, margin=0, progress=False
    )


def train_learner(
    instance: Instance | Sequence[Instance], learner: Learner, *, progress: bool = False
) -> Entry:
    """Train one learner on an instance (DBP also on several at once) and return its entry
    (not yet evaluated), with the steps, threads and seeds it reports."""
    many = isinstance(instance, (list, tuple))
    insts = list(instance) if many else [instance]
    t0 = time.perf_counter()
    if learner.algo == "dbp":
        from dbp import TrainConfig, train

        config = learner.config if learner.config is not None else TrainConfig()
        pairs = [(i.env_id, i.kwargs) for i in insts]
        result = train(
            pairs if many else pairs[0],
            learner.kind,
            config,
            progress=progress,
            **dict(learner.options),
        )
        info = {"steps": result.steps, "stopped": result.stopped, "threads": result.threads}
    elif learner.algo == "ppo":
        from baselines.ppo import PPOConfig, train_ppo

        if many:
            raise ValueError("PPO trains on one instance at a time")
        config = learner.config if learner.config is not None else PPOConfig()
        result = train_ppo(
            insts[0].env_id,
            insts[0].kwargs,
            config,
            progress=progress,
            name=learner.label,
            **dict(learner.options),
        )
        import torch

        info = {
            "timesteps": result.timesteps,
            "stopped": result.stopped,
            "threads": torch.get_num_threads(),
        }
    else:
        raise ValueError(f"learner algo must be 'dbp' or 'ppo', got {learner.algo!r}")
    if result.stopped == "interrupted" and not learner.options.get("out"):
        # Ctrl-C with nowhere to keep the run: stop as interrupted instead of scoring it.
        raise KeyboardInterrupt
    info.update({"train_seed": config.seed, "eval_seed": config.eval_seed})
    seconds = getattr(result, "seconds", time.perf_counter() - t0)
    return Entry(learner.label, result.policy, seconds, info=info, result=result)


class ComparisonInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_comparison`: ``result`` holds the entries evaluated so far
    (their gaps are to the optimum only if it was evaluated), ``missing`` the policies not."""

    def __init__(self, result: Comparison, missing: list[str]):
        super().__init__(f"interrupted; missing {', '.join(missing) or 'none'}")
        self.result, self.missing = result, missing


def run_comparison(
    instance: Instance | tuple[str, Mapping[str, Any]] | str,
    *,
    policies: Iterable[str] | None = None,
    strict: bool = False,
    learners: Sequence[Learner] = (),
    extra: Mapping[str, Any] | None = None,
    scoring: Scoring | None = None,
    fit: Any = None,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> Comparison:
    """Fit, solve, train, evaluate on common random numbers and pair with the optimum.

    Args:
        instance: an :class:`Instance` (or ``env_id`` / ``(env_id, kwargs)``).
        policies: names of :func:`baselines.registry.entries` of the problem (default: all);
            the one flagged ``optimal`` is solved by the problem's exact solver.
        strict: raise a heuristic's fitting error (else the policy is skipped with its
            reason, as when an instance rules it out). The optimum is skipped with its reason
            where the instance has no exact solution here.
        learners: policies to train (:class:`Learner`), in order, after the fitted ones.
        extra: policies made elsewhere, ``name -> policy`` or ``name -> (policy, seconds)``.
        scoring: the test paths (default :class:`Scoring`).
        fit: the :class:`baselines.fitting.FitConfig` of the heuristics (default theirs).
        progress: progress bars on stderr.
        say: where the notes go (skipped policies); default stderr.

    Returns:
        A :class:`Comparison`: entries in order (optimum first when there is one).

    Raises:
        ComparisonInterrupted: on Ctrl-C, with the entries evaluated so far.
    """
    from baselines.registry import entries

    if isinstance(instance, str):
        instance = make_instance(instance)
    elif not isinstance(instance, Instance):
        instance = make_instance(instance[0], dict(instance[1] or {}))
    scoring = scoring or Scoring()
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    available = entries(instance.problem)
    names = list(available) if policies is None else list(policies)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"policies: unknown {', '.join(unknown)} for the {instance.problem.name} problem; "
            f"choose from {', '.join(available)}"
        )
    result = Comparison(instance, scoring, {})
    try:
        _fill(
            result, instance, available, names, learners, extra, scoring, fit, strict, say, progress
        )
    except KeyboardInterrupt as err:
        if isinstance(err, ComparisonInterrupted):
            raise
        done = {n: e for n, e in result.entries.items() if e.evaluation is not None}
        wanted = [n for n in names if n not in result.skipped]
        wanted += [n for n in extra or {}] + [learner.label for learner in learners]
        missing = [n for n in dict.fromkeys(wanted) if n not in done]
        partial = Comparison(instance, scoring, done, dict(result.skipped))
        partial.reference = result.reference if result.reference in done else None
        raise ComparisonInterrupted(partial, missing) from None
    return result


def _fill(
    result, instance, available, names, learners, extra, scoring, fit, strict, say, progress
) -> None:
    """The body of :func:`run_comparison`: fills ``result`` in place (so that Ctrl-C keeps
    what was done)."""
    for name in names:
        if getattr(available[name], "optimal", False):
            from baselines import exact as solvers

            reason = solvers.unavailable(instance.problem, instance.params, scoring.discount)
            if reason is not None:
                say(f"exact DP skipped: {reason}")
                result.skipped[name] = reason
    names = [n for n in names if n not in result.skipped]

    bar = _bar(names, "fitting", progress)
    for name in bar:
        if progress:
            bar.set_postfix_str(name)
        t0 = time.perf_counter()
        if getattr(available[name], "optimal", False):
            solution = solve_optimum(instance, scoring.discount)
            result.entries[name] = Entry(
                name, solution.policy(), time.perf_counter() - t0, result=solution
            )
            result.reference = result.reference or name
            continue
        try:
            config = () if fit is None else (fit,)  # None: the fitting's own default
            policy = available[name].fit(instance.env_id, instance.kwargs, *config)
        except ValueError as err:
            if strict:
                raise
            result.skipped[name] = str(err)
            say(f"skipped {name}: {err}")
            continue
        result.entries[name] = Entry(name, policy, time.perf_counter() - t0)
    for name, made in (extra or {}).items():
        policy, seconds = made if isinstance(made, tuple) else (made, 0.0)
        result.entries[name] = Entry(name, policy, seconds)
    for learner in learners:
        entry = train_learner(instance, learner, progress=progress)
        result.entries[entry.name] = entry
    evaluate_entries(result, progress=progress)


def evaluate_entries(result: Comparison, *, progress: bool = False) -> None:
    """Score every entry not yet scored on the comparison's test paths (and exactly)."""
    inst, scoring = result.instance, result.scoring
    todo = [e for e in result.entries.values() if e.evaluation is None]
    # One policy: a bar over its periods (a long evaluation shows its rate and time left);
    # several: one bar over the policies, never nested bars.
    per_period = progress and len(todo) == 1
    bar = _bar(todo, "evaluating", progress and not per_period)
    for entry in bar:
        entry.evaluation = evaluate(
            entry.policy,
            inst.env_id,
            inst.kwargs,
            name=entry.name,
            progress=per_period,
            **scoring.harness(),
        )
        if scoring.exact:
            entry.exact_cost, entry.exact_note = exact_cost(inst, entry.policy, scoring)


def _bar(items: Sequence[Any], desc: str, progress: bool) -> Any:
    if not progress or not items:
        return items
    from inventory_gym.progress import bar as tqdm

    return tqdm(items, desc=desc, unit="policy", file=sys.stderr)


# -- writing ----------------------------------------------------------------------------------
def write_table(
    out: str | Path,
    stem: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    doc: Any = None,
    markdown: str | None = None,
    chart: Callable[[Path], Any] | None = None,
) -> list[Path]:
    """Write a result table: ``<stem>.csv`` (the rows), and ``<stem>.json`` (``doc``),
    ``<stem>.md`` (``markdown``) and ``<stem>.png`` (``chart(path)``) where given.

    Every file is written to a temporary name and renamed, so an interrupted run never leaves
    a half-written table. A chart that needs matplotlib is skipped when it is not installed.

    Returns:
        The paths written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if doc is not None:
        files.append(_atomic(out / f"{stem}.json", json.dumps(doc, indent=2) + "\n"))
    if rows:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        path = out / f"{stem}.csv"
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(path)
        files.append(path)
    if markdown is not None:
        files.append(_atomic(out / f"{stem}.md", markdown))
    if chart is not None:
        try:
            chart(out / f"{stem}.png")
            files.append(out / f"{stem}.png")
        except ImportError:
            print(
                "no chart: matplotlib is not installed (pip install 'inventory-gym[plot]')",
                file=sys.stderr,
            )
    return files


def _atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def markdown_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, Callable[[Mapping], Any]]]
) -> list[str]:
    """Lines of a markdown table: ``columns`` are ``(header, cell(row))`` pairs."""
    lines = [
        "| " + " | ".join(h for h, _ in columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(cell(row)) for _, cell in columns) + " |")
    return lines


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table: ``-`` for missing or NaN, never ``-0.000``."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def run_header(threads: int | None = None) -> str:
    """``machine, torch version, n thread(s)`` for a benchmark's title line."""
    import platform

    parts = [platform.processor() or platform.machine()]
    if "torch" in sys.modules:
        import torch

        parts.append(f"torch {torch.__version__}")
        threads = torch.get_num_threads() if threads is None else threads
    if threads is not None:
        parts.append(f"{threads} thread(s)")
    return ", ".join(parts)


def chart_title(result: Comparison) -> str:
    """The instance in full (every parameter, registered defaults included) and the paths."""
    import textwrap

    from baselines.tables import params_header

    params = params_header(result.instance.params)
    setting = ", ".join(f"{k}={_short(v)}" for k, v in params.items() if v is not None)
    sc = result.scoring
    paths = (
        f"{sc.num_paths:,} paths x {sc.periods:,} periods (after a burn-in of {sc.burn_in:,}), "
        f"seed {sc.seed}"
    )
    head = f"{result.instance.env_id}: {setting}"
    return "\n".join([*textwrap.wrap(head, 95), f"common random numbers: {paths}"])


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(path: Path, result: Comparison) -> Path:
    """Save :func:`chart_figure` as a PNG."""
    import matplotlib.pyplot as plt

    fig = chart_figure(result)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def chart_figure(result: Comparison) -> Any:
    """A figure fit for a slide: each policy's cost on an axis from zero, with its 95% interval
    drawn as a visible bar, and its paired gap to the optimum with the paired 95% interval on
    a second panel (where the differences are to scale); the title names the whole instance."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evals = {n: e.evaluation for n, e in result.entries.items()}
    docs = result.docs()
    order = sorted(evals, key=lambda n: evals[n].cost)
    costs = np.array([evals[n].cost for n in order])
    half = np.array([evals[n].ci95[1] - evals[n].cost for n in order])
    half = np.where(np.isfinite(half), half, 0.0)
    gaps = [docs[n].get("gap_percent") for n in order]
    has_gaps = any(g is not None for g in gaps)
    height = 0.42 * len(order) + 2.2
    fig, axes = plt.subplots(
        1,
        2 if has_gaps else 1,
        figsize=(13 if has_gaps else 8, height),
        sharey=True,
        gridspec_kw={"width_ratios": [1, 1]} if has_gaps else None,
        squeeze=False,
    )
    ax = axes[0][0]
    y = np.arange(len(order))
    colors = ["tab:green" if n == result.reference else "tab:blue" for n in order]
    ax.barh(y, costs, color=colors, alpha=0.35, height=0.7)
    ax.errorbar(
        costs,
        y,
        xerr=half,
        fmt="o",
        color="black",
        ecolor="black",
        elinewidth=2.5,
        capsize=5,
        capthick=2,
        markersize=4,
    )
    if result.optimum is not None:
        ax.axvline(result.optimum.evaluation.cost, color="tab:green", linestyle="--", linewidth=1.5)
    ax.set_xlim(0.0, costs.max() * 1.22)
    for i, (c, h) in enumerate(zip(costs, half)):
        ax.text(c + h + 0.01 * costs.max(), i, f" {c:.3f} ± {h:.3f}", va="center", fontsize=10)
    ax.set_yticks(y, order, fontsize=11)
    ax.invert_yaxis()
    discount = result.scoring.discount
    kind = "cost per period" if discount is None else f"discounted cost ({discount:g})"
    ax.set_xlabel(f"{kind}, 95% interval over paths (axis from 0)", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    if has_gaps:
        gx = axes[0][1]
        for i, n in enumerate(order):
            gap = docs[n].get("gap_percent")
            ci = docs[n].get("gap_ci95_percent")
            if gap is None:
                continue
            lo, hi = (gap, gap) if not ci else ci
            err = [[max(gap - lo, 0.0)], [max(hi - gap, 0.0)]]
            color = "tab:green" if n == result.reference else "tab:red"
            gx.errorbar(
                [gap],
                [i],
                xerr=err,
                fmt="o",
                color=color,
                elinewidth=2.5,
                capsize=5,
                capthick=2,
                markersize=5,
            )
            text = "reference" if n == result.reference else f" {gap:+.2f}% [{lo:+.2f}, {hi:+.2f}]"
            gx.text(max(hi, gap), i, "  " + text, va="center", fontsize=10)
        gx.axvline(0.0, color="tab:green", linestyle="--", linewidth=1.5)
        top = max([g for g in gaps if g is not None] + [0.0])
        gx.set_xlim(min(-0.05 * max(top, 1.0), -0.5), max(top, 1.0) * 1.45)
        gx.set_xlabel(
            f"gap to {result.reference} (%), paired 95% interval on the same paths", fontsize=11
        )
        gx.grid(axis="x", alpha=0.3)
    fig.suptitle(chart_title(result), fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    return fig
