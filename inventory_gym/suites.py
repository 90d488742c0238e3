"""Named, versioned benchmark suites: sets of instances whose optimum is known.

A suite is a value (:class:`Suite`): a name, a version, the problem it belongs to, its
instances (:class:`SuiteInstance`: an env id and its keyword arguments) and how a trial is
scored on them (:class:`SuiteEvaluation`, the arguments of
:func:`inventory_gym.evaluation.evaluate`). Every instance carries its exact optimum under that
evaluation, the literature's value where there is one, and a reference heuristic with its cost,
so that a result is reported both as a gap to the optimum (:meth:`SuiteInstance.gap`) and as a
normalised score, 0 for the reference heuristic and 100 for the optimum
(:meth:`SuiteInstance.score`).

>>> from inventory_gym.suites import get_suite
>>> suite = get_suite("zipkin-poisson")
>>> inst = suite.instance("p9-L4")
>>> round(inst.optimum, 4), inst.published
(6.8359, 6.84)
>>> ev = suite.evaluate(my_policy, inst)        # doctest: +SKIP
>>> inst.gap(ev.cost), inst.score(ev.cost)      # doctest: +SKIP

What an algorithm is trained on is up to the runner: ``inst.env_id`` and ``inst.kwargs`` are
what ``gym.make`` / ``gym.make_vec`` take. What it is scored on is fixed by the suite:
:meth:`Suite.evaluate` (or :func:`inventory_gym.evaluation.evaluate` with
``**suite.evaluation.harness()``), whose cost is the same quantity as ``optimum``.

**Scoring a trial.** ``inst.gap(cost)`` is the percent above the exact optimum;
``inst.paired_gap(cost)`` the same gap measured against the optimal policy simulated on the
suite's own paths (common random numbers: far less noise, valid only for a cost from
:meth:`Suite.evaluate`); ``inst.score(cost)`` is 0 at the reference heuristic's cost and 100 at
the optimum. The reference heuristic itself is fitted with
``baselines.registry.fit_policy(inst.reference, inst.env_id, inst.kwargs,
baselines.suites.fit_config(suite))``. A result file should record ``suite.name``,
``suite.version`` and ``suite.fingerprint`` (:meth:`Suite.to_dict`): results are comparable
only under the same three. ``python -m baselines.suites --list`` lists the suites.

**Where suites come from.** Each problem declares its suites in its own folder,
``inventory_gym/envs/<problem>/suites.py`` exporting ``SUITES`` (a tuple of :class:`Suite`
whose computed values are not filled in), found here from the problem's package; there is no
table of suites or problems in this module. A problem defined elsewhere calls
:func:`register_suite`.

**Cached values.** The optima and the reference costs are computed by the exact solvers and
the heuristics of :mod:`baselines`, which this package must not import; they are kept in a JSON
file next to the declaration (``suites.json``), with each suite's version and
:attr:`Suite.fingerprint`, and read here. ``python -m baselines.suites`` recomputes them.

**A definition never changes silently.** The fingerprint hashes the definition (instance names,
ids, keyword arguments, evaluation, reference heuristic). When it differs from the one the cache
recorded for the suite's version, the cached values are not used (``optimum`` is ``None`` and
:attr:`Suite.stale` says why), and the test suite fails: a change must bump the version and
recompute.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inventory_gym.core.validation import check_int, jsonable

__all__ = [
    "CACHE_FILE",
    "METRICS",
    "Suite",
    "SuiteEvaluation",
    "SuiteInstance",
    "cache_path",
    "get_suite",
    "register_suite",
    "suite_names",
    "suites",
]

CACHE_FILE = "suites.json"
"""The name of the cache file next to a problem's ``suites.py``."""
CACHE_FORMAT = 1
"""The layout of the cache files (bumped if it changes)."""
METRICS = ("average", "horizon")
"""What a suite's optimum is: ``"average"``, the long-run average cost per period (a burn-in,
then many periods); ``"horizon"``, the expected cost per period of ``periods`` periods from the
starting state (a season or a finite horizon, ``burn_in = 0``)."""


# -- the definitions --------------------------------------------------------------------------
@dataclass(frozen=True)
class SuiteEvaluation:
    """How a trial is scored on every instance of a suite: the arguments of
    :func:`inventory_gym.evaluation.evaluate` (common random numbers: every algorithm sees the
    same demand paths)."""

    num_paths: int
    """Independent demand paths."""
    periods: int
    """Periods averaged per path, after the burn-in."""
    burn_in: int
    """Periods simulated first and discarded."""
    seed: int
    """Seed of the test paths (keep training and fitting on other seeds)."""
    metric: str = "average"
    """What ``optimum`` is (:data:`METRICS`): ``"average"`` (long-run average cost per period)
    or ``"horizon"`` (the expected mean cost of ``periods`` periods from the start)."""

    def __post_init__(self) -> None:
        owner = "SuiteEvaluation"
        check_int(owner, "num_paths", self.num_paths, low=1)
        check_int(owner, "periods", self.periods, low=1)
        check_int(owner, "burn_in", self.burn_in, low=0)
        check_int(owner, "seed", self.seed)
        if self.metric not in METRICS:
            raise ValueError(f"{owner}: metric must be one of {METRICS}, got {self.metric!r}")
        if self.metric == "horizon" and self.burn_in != 0:
            raise ValueError(
                f"{owner}: a 'horizon' metric is scored from the start: burn_in must be 0, "
                f"got {self.burn_in}"
            )

    def harness(self) -> dict[str, Any]:
        """Keyword arguments of :func:`inventory_gym.evaluation.evaluate`."""
        return {
            "num_paths": self.num_paths,
            "periods": self.periods,
            "burn_in": self.burn_in,
            "seed": self.seed,
        }

    def definition(self) -> dict[str, Any]:
        """The fields, JSON-ready (part of :attr:`Suite.fingerprint`)."""
        return {**self.harness(), "metric": self.metric}


@dataclass(frozen=True)
class SuiteInstance:
    """One instance of a suite, with its known optimum and a reference heuristic.

    The declaration gives ``name``, ``env_id``, ``kwargs``, ``reference`` and ``published``;
    ``optimum``, ``reference_cost`` and ``details`` come from the cache (``None`` / empty
    until computed).
    """

    name: str
    """Unique in its suite, e.g. ``"p4-L1"``."""
    env_id: str
    """The registered Gymnasium id."""
    kwargs: Mapping[str, Any]
    """The env keyword arguments (JSON values: numbers, strings, demand specs as strings)."""
    optimum: float | None = None
    """The exact optimal cost per period under the suite's evaluation (cached; see
    :attr:`SuiteEvaluation.metric`)."""
    published: float | None = None
    """The literature's value of the same quantity, where one exists (rounded as published)."""
    reference: str = ""
    """The reference heuristic: a policy name for ``baselines.registry.fit_policy``."""
    reference_cost: float | None = None
    """The reference heuristic's cost per period (cached: exact from its Markov chain where the
    problem's solver can, else simulated on the suite's paths; ``details`` says which)."""
    tolerance: float | None = None
    """How far the exact optimum may be from ``published`` (absolute): the published rounding,
    or the bias SCENARIOS.md documents for the value; ``None`` when nothing is published."""
    reference_published: float | None = None
    """The literature's cost of the reference heuristic, where one exists (it must agree with
    ``reference_cost`` within ``tolerance``)."""
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """Everything else the cache records: how the optimum was computed (solver, bounds,
    seconds), the reference's fitted parameters and whether its cost is exact."""
    note: str = ""
    """What the instance is, or where its published value comes from."""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"SuiteInstance: name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "kwargs", dict(self.kwargs))
        object.__setattr__(self, "details", dict(self.details))

    def __hash__(self) -> int:  # kwargs is a dict: hash what defines the instance
        return hash(json.dumps(self.definition(), sort_keys=True))

    def _need(self, attribute: str) -> float:
        value = getattr(self, attribute)
        if value is None:
            raise ValueError(
                f"instance {self.name!r}: no cached {attribute} (run python -m baselines.suites)"
            )
        return float(value)

    def gap(self, cost: float) -> float:
        """Percent above the optimum: ``100 (cost - optimum) / |optimum|``.

        Raises:
            ValueError: when the optimum is not cached.
        """
        optimum = self._need("optimum")
        return 100.0 * (float(cost) - optimum) / abs(optimum)

    def score(self, cost: float) -> float:
        """The normalised score: 0 at the reference heuristic's cost, 100 at the optimum
        (linear in the cost; above 100 is impossible in expectation, below 0 is worse than the
        reference).

        Raises:
            ValueError: when a value is not cached, or the reference costs the optimum (no
                scale).
        """
        optimum = self._need("optimum")
        reference = self._need("reference_cost")
        span = reference - optimum
        if not span > 0 or not math.isfinite(span):
            raise ValueError(
                f"instance {self.name!r}: the reference {self.reference!r} costs "
                f"{reference!r}, not above the optimum {optimum!r}: no scale for a score"
            )
        return 100.0 * (reference - float(cost)) / span

    def paired_gap(self, cost: float) -> float:
        """Percent above the optimal policy's simulated cost on the suite's own test paths
        (``details["optimum_simulated"]``), over the exact optimum.

        Only for a ``cost`` measured by the suite's evaluation (:meth:`Suite.evaluate`: the
        same seed, hence the same demand paths): the two costs then share their path noise
        (common random numbers), so this gap has a far smaller spread than :meth:`gap`, whose
        ``cost`` carries the whole simulation error. Both estimate the same gap.

        Raises:
            ValueError: when the simulated optimum is not cached.
        """
        simulated = self.details.get("optimum_simulated")
        if simulated is None:
            raise ValueError(
                f"instance {self.name!r}: no cached optimum_simulated (run python -m "
                "baselines.suites)"
            )
        return 100.0 * (float(cost) - float(simulated)) / abs(self._need("optimum"))

    @property
    def reference_gap(self) -> float:
        """The reference heuristic's gap to the optimum, in percent."""
        return self.gap(self._need("reference_cost"))

    def definition(self) -> dict[str, Any]:
        """What defines the instance, JSON-ready (part of :attr:`Suite.fingerprint`)."""
        return {
            "name": self.name,
            "env_id": self.env_id,
            "kwargs": {k: jsonable(v) for k, v in sorted(self.kwargs.items())},
            "reference": self.reference,
        }

    def make_instance(self) -> Any:
        """The :class:`inventory_gym.Instance` (validated params) of the instance."""
        from inventory_gym.core.instance import make_instance

        return make_instance(self.env_id, dict(self.kwargs))


@dataclass(frozen=True)
class Suite:
    """A named, versioned set of instances of one problem, scored one way."""

    name: str
    """The suite's name, e.g. ``"zipkin-poisson"``."""
    version: int
    """Bumped whenever the definition changes (the cache is keyed by it)."""
    problem: str
    """The problem's name (``Problem.name``, e.g. ``"lost_sales"``)."""
    description: str
    """What the suite is, its source, and what its optimum means."""
    instances: tuple[SuiteInstance, ...]
    """The instances, in a fixed order."""
    evaluation: SuiteEvaluation
    """How a trial is scored (the same for every instance)."""
    stale: str | None = field(default=None, compare=False)
    """Why the cached values were not used (``None``: they were, or nothing is cached yet and
    ``optimum`` is ``None``: see :attr:`cached`)."""
    cache: str = field(default="", compare=False)
    """The cache file the values were read from (``""`` when none)."""
    computed: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """The cache's record of the computation (date, seconds, threads, versions)."""

    def __post_init__(self) -> None:
        owner = f"Suite {self.name!r}"
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"Suite: name must be a non-empty string, got {self.name!r}")
        check_int(owner, "version", self.version, low=1)
        instances = tuple(self.instances)
        if not instances:
            raise ValueError(f"{owner}: instances must not be empty")
        names = [inst.name for inst in instances]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"{owner}: instance names must be unique, repeated: {dupes}")
        object.__setattr__(self, "instances", instances)
        object.__setattr__(self, "computed", dict(self.computed))

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.fingerprint))

    def __len__(self) -> int:
        return len(self.instances)

    def __iter__(self):
        return iter(self.instances)

    @property
    def instance_names(self) -> tuple[str, ...]:
        return tuple(inst.name for inst in self.instances)

    def instance(self, name: str) -> SuiteInstance:
        """The instance called ``name``.

        Raises:
            ValueError: naming the value and listing the instances.
        """
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise ValueError(
            f"suite {self.name!r} has no instance {name!r}; choose from: "
            f"{', '.join(self.instance_names)}"
        )

    def definition(self) -> dict[str, Any]:
        """What :attr:`fingerprint` hashes, JSON-ready."""
        return {
            "name": self.name,
            "problem": self.problem,
            "evaluation": self.evaluation.definition(),
            "instances": [inst.definition() for inst in self.instances],
        }

    @property
    def fingerprint(self) -> str:
        """A hash of the definition: the instances' names, ids, keyword arguments and reference
        heuristics, and the evaluation (not the version, the description or cached values)."""
        text = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def cached(self) -> bool:
        """Whether every instance has its optimum and reference cost from the cache."""
        return all(i.optimum is not None and i.reference_cost is not None for i in self)

    def to_dict(self) -> dict[str, Any]:
        """The suite as JSON-ready values, cached ones included (for a results file: a
        result is comparable with another only under the same name, version and
        fingerprint)."""
        return {
            "name": self.name,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "problem": self.problem,
            "description": self.description,
            "evaluation": self.evaluation.definition(),
            "stale": self.stale,
            "instances": [
                {
                    **inst.definition(),
                    "optimum": inst.optimum,
                    "published": inst.published,
                    "reference_cost": inst.reference_cost,
                    "reference_published": inst.reference_published,
                    "note": inst.note,
                }
                for inst in self.instances
            ],
        }

    def evaluate(self, policy: Any, instance: SuiteInstance | str, **overrides: Any) -> Any:
        """Score a harness policy on one instance with the suite's evaluation
        (:func:`inventory_gym.evaluation.evaluate`; ``overrides`` replace its arguments, e.g.
        ``progress=True``, ``name="ppo"``)."""
        from inventory_gym.evaluation import evaluate

        inst = self.instance(instance) if isinstance(instance, str) else instance
        return evaluate(
            policy, inst.env_id, dict(inst.kwargs), **{**self.evaluation.harness(), **overrides}
        )

    def with_values(self, values: Mapping[str, Mapping[str, Any]]) -> Suite:
        """A copy with each instance's cached values (``name -> {"optimum", "reference_cost",
        ...}``) filled in."""
        out = []
        for inst in self.instances:
            got = dict(values.get(inst.name, {}))
            optimum = got.pop("optimum", None)
            reference_cost = got.pop("reference_cost", None)
            out.append(
                replace(
                    inst,
                    optimum=None if optimum is None else float(optimum),
                    reference_cost=None if reference_cost is None else float(reference_cost),
                    details=got,
                )
            )
        return replace(self, instances=tuple(out))


# -- finding the declarations -----------------------------------------------------------------
_REGISTERED: dict[str, tuple[Suite, Path | None]] = {}
"""Suites declared outside the packaged problems (:func:`register_suite`)."""
_FOUND: dict[str, tuple[Suite, Path | None]] | None = None


def _problem_package(problem: Any) -> str:
    """The package of a problem's descriptor (``inventory_gym.envs.lost_sales``)."""
    module = type(problem).__module__
    found = sys.modules.get(module)
    if found is not None and hasattr(found, "__path__"):
        return module
    return module.rpartition(".")[0]


def cache_path(module_file: str | Path) -> Path:
    """The cache file next to a declaration module."""
    return Path(module_file).with_name(CACHE_FILE)


def _declared() -> dict[str, tuple[Suite, Path | None]]:
    """Every packaged problem's ``SUITES`` (``<problem package>.suites``) with its cache path."""
    global _FOUND
    if _FOUND is None:
        from inventory_gym.registration import PROBLEMS

        found: dict[str, tuple[Suite, Path | None]] = {}
        for problem in PROBLEMS:
            name = f"{_problem_package(problem)}.suites"
            try:
                spec = importlib.util.find_spec(name)
            except ModuleNotFoundError:
                spec = None
            if spec is None:
                continue
            module = importlib.import_module(name)
            for suite in getattr(module, "SUITES", ()):
                _add(found, suite, cache_path(module.__file__), problem.name)
        _FOUND = found
    return {**_FOUND, **_REGISTERED}


def _add(
    into: dict[str, tuple[Suite, Path | None]], suite: Suite, path: Path | None, problem: str
) -> None:
    if not isinstance(suite, Suite):
        raise TypeError(f"SUITES must hold Suite objects, got {suite!r}")
    if suite.problem != problem:
        raise ValueError(
            f"suite {suite.name!r}: declared by the {problem!r} problem but says "
            f"problem={suite.problem!r}"
        )
    if suite.name in into:
        raise ValueError(f"suite {suite.name!r} is declared twice")
    into[suite.name] = (suite, path)


def register_suite(suite: Suite, cache: str | Path | None = None) -> None:
    """Declare a suite of a problem defined outside this package (a plugin's), with the cache
    file of its values (``None``: none yet). Replaces an earlier registration of the name."""
    if not isinstance(suite, Suite):
        raise TypeError(f"register_suite: expected a Suite, got {suite!r}")
    declared = _declared()
    if suite.name in declared and suite.name not in _REGISTERED:
        raise ValueError(f"register_suite: {suite.name!r} is a packaged suite")
    _REGISTERED[suite.name] = (suite, None if cache is None else Path(cache))


def suite_names() -> tuple[str, ...]:
    """The names of every declared suite, in declaration order."""
    return tuple(_declared())


def read_cache(path: Path | None) -> dict[str, Any]:
    """The suites recorded in a cache file (``{}`` when there is none)."""
    if path is None or not path.is_file():
        return {}
    doc = json.loads(path.read_text())
    if doc.get("format") != CACHE_FORMAT:
        raise ValueError(f"{path}: cache format {doc.get('format')!r}, expected {CACHE_FORMAT}")
    return dict(doc.get("suites", {}))


def definition(name: str) -> tuple[Suite, Path | None]:
    """The declared suite (no cached values) and its cache file: what
    ``baselines.suites`` computes and writes."""
    declared = _declared()
    if name not in declared:
        raise ValueError(
            f"unknown suite {name!r}; choose from: {', '.join(declared) or 'none declared'}"
        )
    return declared[name]


def get_suite(name: str) -> Suite:
    """The suite called ``name``, with its cached optima and reference costs.

    When the cache holds no values for the suite's version and fingerprint, the suite comes
    back without them (``optimum`` and ``reference_cost`` are ``None``) and :attr:`Suite.stale`
    says why.

    Raises:
        ValueError: for an unknown name (the message lists the suites).
    """
    suite, path = definition(name)
    suite = suite.with_values({})  # a registered suite may carry values of its own
    entry = read_cache(path).get(name)
    if entry is None:
        return replace(suite, stale=f"no cached values in {path}" if path else "no cache file")
    if int(entry.get("version", -1)) != suite.version:
        return replace(
            suite,
            stale=f"the cache holds version {entry.get('version')}, the suite is version "
            f"{suite.version} (recompute: python -m baselines.suites {name})",
        )
    if entry.get("fingerprint") != suite.fingerprint:
        return replace(
            suite,
            stale=f"the definition of version {suite.version} changed (fingerprint "
            f"{suite.fingerprint}, cached {entry.get('fingerprint')}): bump the version and "
            f"recompute (python -m baselines.suites {name})",
        )
    out = suite.with_values(entry.get("instances", {}))
    return replace(out, cache=str(path), computed=entry.get("computed", {}))


def suites() -> tuple[Suite, ...]:
    """Every declared suite, with its cached values (:func:`get_suite`)."""
    return tuple(get_suite(name) for name in suite_names())
