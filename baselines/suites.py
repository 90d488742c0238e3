"""Compute and cache the values of the benchmark suites (:mod:`inventory_gym.suites`).

For every instance of a suite:

1. the exact optimum, by the problem's solver (:mod:`baselines.exact`, average cost:
   ``discount=None``, Zipkin's bounds, ``margin=0``); its cost is what the suite's evaluation
   measures (a long-run average cost, or the expected cost per period of a season / finite
   horizon from the start: the solver's finite-horizon DP);
2. the optimal policy simulated on the suite's own test paths (``num_paths``, ``periods``,
   ``burn_in``, ``seed``), a check that the solver's cost is the suite's quantity: its
   ``z = (simulated - optimum) / stderr`` is recorded and a ``|z| > 4`` is an error;
3. the reference heuristic fitted by :func:`baselines.registry.fit_policy` (on fitting paths,
   seed 20261126: the default :class:`~baselines.fitting.FitConfig` for a long-run metric,
   2000 paths of the horizon from the start for a ``"horizon"`` one), and its cost: exact from
   its Markov chain where the solver scores it (``solver.average_cost``) and that agrees with
   its simulation on the suite's paths within 4 standard errors; else the simulated cost.

The values are written to the cache file next to the problem's ``suites.py`` (atomically,
keeping the other suites of the file), with the suite's version, fingerprint and how they were
computed. Run it from the command line::

    python -m baselines.suites                   # every suite
    python -m baselines.suites zipkin-poisson demoor --threads 1
    python -m baselines.suites --check           # compare the cache with the definitions

The computation knows no problem by name: the solver, the heuristics and the metric all come
from the problem's declarations.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from baselines import exact
from baselines.fitting import DEFAULT_FIT_CONFIG, FitConfig
from baselines.registry import fit_policy
from inventory_gym import suites as registry
from inventory_gym.core.validation import jsonable
from inventory_gym.evaluation import evaluate
from inventory_gym.progress import bar
from inventory_gym.suites import CACHE_FORMAT, Suite, SuiteInstance

__all__ = ["check_cache", "compute_instance", "compute_suite_values", "fit_config", "main"]

Z_LIMIT = 4.0
"""How many standard errors a simulation may be from an exact value it checks."""
HORIZON_FIT_PATHS = 2000
"""Fitting paths of a reference heuristic on a ``"horizon"`` suite (whole horizons)."""


def fit_config(suite: Suite) -> FitConfig:
    """How the reference heuristic is fitted on the suite's instances: on the suite's metric,
    on fitting paths (seed 20261126, never the suite's test seed)."""
    if suite.evaluation.metric == "horizon":
        return FitConfig(num_paths=HORIZON_FIT_PATHS, periods=suite.evaluation.periods, burn_in=0)
    return DEFAULT_FIT_CONFIG


def _params_of(policy: Any) -> dict[str, Any]:
    params = getattr(policy, "params", None)
    if not callable(params):
        return {}
    try:
        return {k: jsonable(v) for k, v in params().items()}
    except (TypeError, ValueError):
        return {}


def compute_instance(suite: Suite, inst: SuiteInstance) -> dict[str, Any]:
    """The cached values of one instance (see the module docstring).

    Raises:
        ValueError: when the instance has no exact solution here, or the optimal policy's
            simulation on the suite's paths disagrees with the solver's cost (the solver's
            quantity is not the suite's).
    """
    instance = inst.make_instance()
    problem, params = instance.problem, instance.params
    harness = suite.evaluation.harness()
    reason = exact.unavailable(problem, params)
    if reason is not None:
        raise ValueError(f"{suite.name}/{inst.name}: no exact optimum: {reason}")
    solver = exact.solver(problem)
    t0 = time.perf_counter()
    result = solver.solve(params, discount=None, margin=0, progress=False)
    solve_seconds = time.perf_counter() - t0
    optimum = float(result.cost)
    sim = evaluate(result.policy(), inst.env_id, dict(inst.kwargs), name="optimal", **harness)
    z = (sim.cost - optimum) / sim.stderr if sim.stderr > 0 else 0.0
    if abs(z) > Z_LIMIT:
        raise ValueError(
            f"{suite.name}/{inst.name}: the optimal policy simulates to {sim.cost:.4f} ± "
            f"{sim.stderr:.4f} on the suite's paths, {z:+.1f} s.e. from the solver's "
            f"{optimum:.4f}: the solver's cost is not the suite's {suite.evaluation.metric!r} "
            "metric"
        )
    t1 = time.perf_counter()
    policy = fit_policy(inst.reference, inst.env_id, dict(inst.kwargs), fit_config(suite))
    fit_seconds = time.perf_counter() - t1
    ref_sim = evaluate(policy, inst.env_id, dict(inst.kwargs), name=inst.reference, **harness)
    reference_cost, how = ref_sim.cost, "simulated on the suite's paths"
    exact_ref, exact_note = None, ""
    if not getattr(policy, "continuous_orders", False):
        try:
            exact_ref = float(solver.average_cost(params, policy))
        except (ValueError, NotImplementedError) as err:
            exact_note = str(err)
    if exact_ref is not None:
        ref_z = (ref_sim.cost - exact_ref) / ref_sim.stderr if ref_sim.stderr > 0 else 0.0
        if abs(ref_z) <= Z_LIMIT:
            reference_cost, how = exact_ref, "exact (Markov chain)"
        else:
            exact_note = (
                f"the chain's cost {exact_ref:.4f} is {ref_z:+.1f} s.e. from the simulation: "
                "not the suite's metric"
            )
    return {
        "optimum": optimum,
        "reference_cost": float(reference_cost),
        "optimum_source": f"{type(solver).__name__}.solve (exact DP, {suite.evaluation.metric} "
        "metric)",
        "optimum_bounds": [float(b) for b in result.bounds],
        "optimum_iterations": int(result.iterations),
        "optimum_grid": list(result.grid_shape),
        "optimum_seconds": round(solve_seconds, 3),
        "optimum_simulated": sim.cost,
        "optimum_simulated_se": sim.stderr,
        "optimum_z": z,
        "reference": inst.reference,
        "reference_cost_source": how,
        "reference_exact_note": exact_note,
        "reference_params": _params_of(policy),
        "reference_simulated": ref_sim.cost,
        "reference_simulated_se": ref_sim.stderr,
        "reference_fit_seconds": round(fit_seconds, 3),
    }


def _environment(threads: int | None) -> dict[str, Any]:
    import numpy
    import scipy

    import inventory_gym

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "inventory_gym": inventory_gym.__version__,
        "threads": threads,
    }


def _write_atomic(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compute_suite_values(
    name: str,
    *,
    instances: Sequence[str] | None = None,
    write: bool = True,
    progress: bool = True,
    threads: int | None = 1,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Compute a suite's optima and reference costs and (``write``) rewrite its cache.

    Args:
        name: the suite (:func:`inventory_gym.suites.suite_names`).
        instances: only these instance names (the others keep their cached values when the
            cache is for the same version and fingerprint; a partial suite is written only on
            top of such a cache).
        write: write the cache file (atomically; the file's other suites are kept).
        progress: a progress bar over the instances.
        threads: BLAS/OpenMP threads (:func:`inventory_gym.threads.set_threads`; ``None``:
            leave them).
        say: where a line per instance goes (default: nothing).

    Returns:
        The suite's cache entry: ``version``, ``fingerprint``, ``computed`` (date, versions,
        threads, seconds) and ``instances`` (name -> values).

    Raises:
        ValueError: for an unknown suite or instance, or an instance that cannot be computed
            (see :func:`compute_instance`).
    """
    from inventory_gym.threads import set_threads

    set_threads(threads)
    suite, path = registry.definition(name)
    names = list(suite.instance_names) if instances is None else list(instances)
    for inst_name in names:
        suite.instance(inst_name)  # ValueError naming the value and listing the instances
    cached = registry.read_cache(path).get(name, {}) if path else {}
    same = cached.get("version") == suite.version and cached.get("fingerprint") == suite.fingerprint
    values: dict[str, Any] = dict(cached.get("instances", {})) if same else {}
    if set(names) != set(suite.instance_names) and not same:
        missing = [n for n in suite.instance_names if n not in names]
        raise ValueError(
            f"{name}: no cache of version {suite.version} with this definition to complete; "
            f"compute every instance (missing {', '.join(missing)})"
        )
    t0 = time.perf_counter()
    seconds = dict(cached.get("computed", {}).get("instance_seconds", {})) if same else {}
    pbar = bar(names, desc=name, unit="instance", disable=not progress, leave=True)
    for inst_name in pbar:
        if hasattr(pbar, "set_postfix_str"):
            pbar.set_postfix_str(inst_name)
        t1 = time.perf_counter()
        values[inst_name] = compute_instance(suite, suite.instance(inst_name))
        seconds[inst_name] = round(time.perf_counter() - t1, 2)
        if say:
            v = values[inst_name]
            say(
                f"{name}/{inst_name}: optimum {v['optimum']:.4f} "
                f"(simulated z {v['optimum_z']:+.2f}), {v['reference']} {v['reference_cost']:.4f} "
                f"({v['reference_cost_source']}), {seconds[inst_name]:.1f} s"
            )
    if hasattr(pbar, "close"):
        pbar.close()
    entry = {
        "version": suite.version,
        "fingerprint": suite.fingerprint,
        "definition": suite.definition(),
        "computed": {
            **_environment(threads),
            "seconds": round(sum(seconds.values()), 1),
            "this_run_seconds": round(time.perf_counter() - t0, 1),
            "instance_seconds": seconds,
            "fit": {
                "num_paths": fit_config(suite).num_paths,
                "periods": fit_config(suite).periods,
                "burn_in": fit_config(suite).burn_in,
                "seed": fit_config(suite).seed,
            },
        },
        "instances": {n: values[n] for n in suite.instance_names if n in values},
    }
    if write:
        if path is None:
            raise ValueError(f"{name}: registered without a cache file; pass write=False")
        doc = {"format": CACHE_FORMAT, "suites": registry.read_cache(path)}
        doc["suites"][name] = entry
        _write_atomic(path, doc)
    return entry


def check_cache(name: str) -> str | None:
    """Why a suite's cache does not hold its values (``None`` when it does): a stale version
    or fingerprint, or instances without values."""
    suite = registry.get_suite(name)
    if suite.stale:
        return suite.stale
    missing = [i.name for i in suite if i.optimum is None or i.reference_cost is None]
    if missing:
        return f"no cached values for {', '.join(missing)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m baselines.suites",
        description="Compute the exact optima and reference-heuristic costs of the benchmark "
        "suites (inventory_gym.suites) and rewrite their cache files. With no names: every "
        "suite.",
    )
    parser.add_argument("suites", nargs="*", help="suite names (default: all)")
    parser.add_argument(
        "--instances", default="", help="comma-separated instance names (one suite only)"
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument(
        "--check", action="store_true", help="only say whether each cache matches its suite"
    )
    parser.add_argument("--list", action="store_true", help="list the suites and stop")
    args = parser.parse_args(argv)
    known = registry.suite_names()
    names = args.suites or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from: {', '.join(known)}")
    if args.list or args.check:
        bad = 0
        for n in names:
            s = registry.get_suite(n)
            problem = check_cache(n)
            bad += problem is not None
            print(
                f"{n}: version {s.version}, {len(s)} instances, {s.problem}, "
                f"{s.evaluation.metric} metric, fingerprint {s.fingerprint}; "
                + ("cache OK" if problem is None else f"cache: {problem}")
            )
        return 1 if (args.check and bad) else 0
    only = [i.strip() for i in args.instances.split(",") if i.strip()] or None
    if only and len(names) != 1:
        parser.error("--instances needs exactly one suite name")
    t0 = time.perf_counter()
    for n in names:
        entry = compute_suite_values(
            n,
            instances=only,
            threads=args.threads,
            progress=True,
            say=lambda line: print(line, flush=True),
        )
        print(f"{n}: {len(entry['instances'])} instances, {entry['computed']['seconds']:.1f} s")
    print(f"done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
