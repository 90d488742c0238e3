"""The ``inventory-gym`` command line: list the envs, evaluate, solve and compare policies.

Every number it prints comes from the evaluation harness (:mod:`inventory_gym.evaluation`) on
common random numbers, and from the exact solvers in :mod:`baselines`. Run
``inventory-gym COMMAND --help`` for the options of each command.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import inventory_gym
from inventory_gym.evaluation import Evaluation, compare, evaluate, instance

PROG = "inventory-gym"


class CLIError(Exception):
    """A bad argument or parameter: printed as one line, exit status 2."""


# -- argument helpers --------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """``--set`` values: ints, floats, booleans, ``none``, comma lists (tuples), else strings
    (demand specs such as ``geometric(5)`` stay strings)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if "," in text and "(" not in text and ":" not in text:
        return tuple(parse_value(part) for part in text.split(","))
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """``["lead_time=1", "demand=geometric(5)"]`` -> keyword overrides."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key.strip()):
            raise CLIError(f"--set expects key=value (e.g. lead_time=1), got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def _slug(env_id: str, kwargs: dict[str, Any]) -> str:
    parts = [env_id] + [f"{k}-{v}" for k, v in sorted(kwargs.items())]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts))


def _check_env(env_id: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The instance's ``(problem, params)``, or a one-line error naming what is wrong."""
    if env_id not in gym.envs.registry:
        raise CLIError(f"unknown env {env_id!r}; registered: {', '.join(inventory_gym.ENV_IDS)}")
    try:
        return instance(env_id, kwargs)
    except (ValueError, TypeError) as err:
        raise CLIError(f"{env_id}: {err}") from None


def _eval_options(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        num_paths=args.paths,
        periods=args.periods,
        burn_in=args.burn_in,
        seed=args.seed,
        discount=args.discount,
    )


def _fit_config(args: argparse.Namespace) -> Any:
    from baselines.fitting import FitConfig

    return FitConfig(
        num_paths=args.fit_paths,
        periods=args.fit_periods,
        seed=args.fit_seed,
        progress=not args.quiet and not args.json,
    )


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and not args.json


def _say(args: argparse.Namespace, text: str) -> None:
    """Human-readable output (stderr when --json keeps stdout for the document)."""
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def _exact_cost(
    problem: Any, params: Any, kwargs: dict[str, Any], policy: Any, args: argparse.Namespace
) -> float | None:
    """The policy's exact cost in the harness's metric by its Markov chain, where the problem's
    solver (:mod:`baselines.exact`) has one; else None.

    Average cost: every solver. Discounted (``--discount``): only where the solver computes
    the harness's finite-horizon metric (the discounted cost of ``--periods`` periods after
    ``--burn-in``) exactly; an infinite-horizon value from the start would not be comparable.
    """
    from baselines import exact as solvers

    if getattr(policy, "continuous_orders", False):
        return None
    if any(k in kwargs for k in ("demand_window", "static_features")):
        return None
    if hasattr(policy, "state_policy"):  # a network that may read static features too
        if policy.env_options.get("demand_window"):
            return None
        static = problem.static_row(params)
        policy = policy.state_policy(static if policy.env_options.get("static_features") else None)
    return solvers.policy_cost(
        problem.name,
        params,
        policy,
        discount=args.discount,
        burn_in=args.burn_in,
        periods=args.periods,
    )


def _load_policy(path: str) -> Any:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"--load: no such file {path!r}")
    if p.is_dir():
        from baselines import ppo

        if ppo.is_saved_policy(p):
            try:
                return ppo.load(p)
            except (OSError, ValueError, KeyError, RuntimeError) as err:
                raise CLIError(f"--load: {path!r} is not a readable PPO policy ({err})") from None
        from dbp import is_saved_policy, load

        if not is_saved_policy(p) and is_saved_policy(p / "policy"):
            p = p / "policy"  # a training run's directory: its best policy
        try:
            return load(p)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise CLIError(f"--load: {path!r} is not a saved DBP policy ({err})") from None
    from baselines.exact import load_table

    try:
        return load_table(p)
    except (OSError, ValueError, KeyError) as err:
        raise CLIError(f"--load: {path!r} is not a saved policy table ({err})") from None


def _describe(policy: Any) -> dict[str, Any]:
    spec = getattr(policy, "spec", None)
    if spec is not None and hasattr(spec, "to_dict"):  # a DBP network
        return {
            "kind": spec.kind,
            "hidden": list(spec.hidden),
            "window": spec.window,
            "static_dim": spec.static_dim,
        }
    if getattr(policy, "meta", {}).get("hidden") and hasattr(policy, "unit_actions"):  # PPO
        return {"kind": "ppo", "hidden": list(policy.meta["hidden"])}
    params = getattr(policy, "params", None)
    if callable(params):
        try:
            return dict(params())
        except TypeError:
            return {}
    return {}


# -- commands ----------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from baselines.registry import entries

    rows = []
    for env_id in inventory_gym.ENV_IDS:
        spec = gym.spec(env_id)
        problem, params = instance(env_id, {})
        fields = {
            name: getattr(params, name)
            for name in params.__dataclass_fields__
            if not name.startswith("initial")
        }
        fields["max_order"] = getattr(params, "order_cap", fields.get("max_order"))
        rows.append(
            {
                "id": env_id,
                "problem": problem.name,
                "max_episode_steps": spec.max_episode_steps,
                "defaults": {k: _plain(v) for k, v in fields.items()},
                "policies": list(entries(problem.name)),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']}  ({row['problem']}, episodes of {row['max_episode_steps']} periods)")
        print("  defaults: " + ", ".join(f"{k}={v}" for k, v in row["defaults"].items()))
        print("  policies: " + ", ".join(row["policies"]))
    print(
        "\nOverride any default with --set key=value, e.g. --set lead_time=1 "
        "--set demand=geometric(5)"
    )
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def cmd_evaluate(args: argparse.Namespace) -> int:
    kwargs = parse_sets(args.set)
    problem, params = _check_env(args.env, kwargs)
    if (args.policy is None) == (args.load is None):
        raise CLIError("give exactly one of --policy NAME or --load PATH")
    t0 = time.perf_counter()
    if args.load:
        policy = _load_policy(args.load)
        label = args.name or policy.name
    else:
        from baselines.registry import fit_policy

        _say(args, f"fitting {args.policy} on {args.env} ...")
        policy = fit_policy(args.policy, args.env, kwargs, _fit_config(args))
        label = args.policy
    fit_seconds = time.perf_counter() - t0
    result = evaluate(
        policy, args.env, kwargs, name=label, progress=_progress(args), **_eval_options(args)
    )
    exact = _exact_cost(problem, params, kwargs, policy, args) if args.exact else None
    doc = _policy_doc(result, policy, fit_seconds, exact)
    if args.json:
        print(
            json.dumps({"env": args.env, "env_kwargs": kwargs, "policies": {label: doc}}, indent=2)
        )
        return 0
    print(result)
    if exact is not None:
        print(f"  exact cost (Markov chain of the policy): {exact:.4f}")
    print(f"  parameters: {doc['params']}  (fitted in {fit_seconds:.1f} s)")
    print("  cost per period: " + ", ".join(f"{k} {v:.4f}" for k, v in result.breakdown.items()))
    print("  metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items()))
    return 0


def _policy_doc(result: Evaluation, policy: Any, fit_seconds: float, exact: float | None):
    doc = result.to_dict()
    doc["params"] = _describe(policy)
    doc["fit_seconds"] = round(fit_seconds, 3)
    doc["exact_cost"] = exact
    return doc


def cmd_solve(args: argparse.Namespace) -> int:
    from baselines import exact as solvers

    kwargs = parse_sets(args.set)
    problem, params = _check_env(args.env, kwargs)
    reason = solvers.unavailable(problem.name, params, args.discount)
    if reason is not None:
        raise CLIError(f"solve: {reason}")
    try:
        solution = solvers.solver(problem.name).solve(
            params, discount=args.discount, margin=args.margin, progress=_progress(args)
        )
    except ValueError as err:
        raise CLIError(f"solve: {err}") from None
    out = Path(args.out) if args.out else Path("results") / f"{_slug(args.env, kwargs)}_dp.npz"
    path = solution.save(out)
    doc = {
        "env": args.env,
        "env_kwargs": kwargs,
        "cost": solution.cost,
        "stderr": 0.0,
        "bounds": list(solution.bounds),
        "discount": solution.discount,
        "iterations": solution.iterations,
        "seconds": solution.seconds,
        "grid": list(solution.grid_shape),
        "policy_file": str(path),
    }
    # The same per-policy shape as `evaluate` and `compare` (exact: its standard error is 0).
    doc["policies"] = {
        "optimal": {"cost": solution.cost, "stderr": 0.0, "exact_cost": solution.cost}
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    kind = "average cost per period" if args.discount is None else "discounted cost from start"
    print(f"{args.env} {kwargs or ''}".strip())
    print(
        f"  optimal {kind}: {solution.cost:.6f}  "
        f"(bounds {solution.bounds[0]:.6f}..{solution.bounds[1]:.6f})"
    )
    print(
        f"  {solution.iterations} iterations in {solution.seconds:.2f} s on a grid of "
        f"{solution.grid_shape} states"
    )
    print(f"  policy saved to {path}  (evaluate it: {PROG} evaluate {args.env} --load {path})")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from baselines import exact as solvers
    from baselines.registry import entries

    kwargs = parse_sets(args.set)
    problem, params = _check_env(args.env, kwargs)
    available = entries(problem.name)
    names = list(available) if not args.policies else [n.strip() for n in args.policies.split(",")]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise CLIError(
            f"--policies: unknown {', '.join(unknown)}; choose from {', '.join(available)}"
        )
    reason = solvers.unavailable(problem.name, params, args.discount)
    if "optimal" in names and reason is not None:
        _say(args, f"exact DP skipped: {reason}")
        names.remove("optimal")
    config = _fit_config(args)
    policies: dict[str, Any] = {}
    fit_seconds: dict[str, float] = {}
    skipped: dict[str, str] = {}
    iterator = names
    if _progress(args):
        from tqdm.auto import tqdm

        iterator = tqdm(names, desc="fitting", unit="policy", file=sys.stderr)
    for name in iterator:
        if _progress(args):
            iterator.set_postfix_str(name)
        t0 = time.perf_counter()
        if name == "optimal" and args.discount is not None:
            # Score the discounted problem against its own optimum (optimal from every state,
            # so also after the burn-in).
            solved = solvers.solver(problem.name).solve(
                params, discount=args.discount, margin=0, progress=False
            )
            policies[name] = solved.policy()
        else:
            try:
                policies[name] = available[name].fit(args.env, kwargs, config)
            except ValueError as err:
                if args.policies:  # asked for by name: a real error
                    raise
                skipped[name] = str(err)
                continue
        fit_seconds[name] = time.perf_counter() - t0
    for name, reason in skipped.items():
        _say(args, f"skipped {name}: {reason}")
    names = [n for n in names if n not in skipped]
    if args.dbp_seconds > 0:
        from dbp import TrainConfig, train

        t0 = time.perf_counter()
        trained = train(
            (args.env, kwargs),
            args.dbp_policy,
            TrainConfig(max_seconds=args.dbp_seconds),
            progress=_progress(args),
        )
        policies["dbp"] = trained.policy
        fit_seconds["dbp"] = time.perf_counter() - t0
        names.append("dbp")
    if args.with_ppo:
        from baselines.ppo import PPOConfig, train_ppo

        t0 = time.perf_counter()
        trained_ppo = train_ppo(
            args.env, kwargs, PPOConfig(timesteps=args.ppo_steps), progress=_progress(args)
        )
        policies["ppo"] = trained_ppo.policy
        fit_seconds["ppo"] = time.perf_counter() - t0
        names.append("ppo")
    results: dict[str, Evaluation] = {}
    iterator = names
    if _progress(args):
        iterator = tqdm(names, desc="evaluating", unit="policy", file=sys.stderr)
    for name in iterator:
        results[name] = evaluate(policies[name], args.env, kwargs, name=name, **_eval_options(args))
    exact = {
        name: _exact_cost(problem, params, kwargs, policies[name], args) if args.exact else None
        for name in names
    }
    optimum = exact.get("optimal")
    docs = {}
    for name in names:
        doc = _policy_doc(results[name], policies[name], fit_seconds[name], exact[name])
        if "optimal" in results:
            paired = compare(results[name], results["optimal"])
            doc["gap_percent"] = paired.relative
            doc["gap_ci95_percent"] = [100 * v / abs(results["optimal"].cost) for v in paired.ci95]
            if optimum is not None and exact[name] is not None:
                doc["exact_gap_percent"] = 100 * (exact[name] - optimum) / abs(optimum)
        docs[name] = doc
    out_dir = Path(args.out)
    slug = _slug(args.env, kwargs)
    files = _write_compare(out_dir, slug, args, kwargs, docs, results, plot=not args.no_plot)
    if args.json:
        doc = {"env": args.env, "env_kwargs": kwargs, "policies": docs, "skipped": skipped}
        print(json.dumps({**doc, "files": files}, indent=2))
        return 0
    _print_compare(args, kwargs, docs)
    for f in files:
        print(f"saved {f}")
    return 0


DBP_ONLY = {
    "policy": "--policy",
    "window": "--window",
    "static": "--static",
    "horizon": "--horizon",
    "train_burn_in": "--train-burn-in",
    "grad_clip": "--grad-clip",
    "straight_through": "--straight-through",
    "penalty": "--penalty",
    "steps": "--steps",
    "patience": "--patience",
    "dtype": "--dtype",
    "resume": "--resume",
    "tensorboard": "--tensorboard",
}
PPO_ONLY = {
    "timesteps": "--timesteps",
    "num_envs": "--num-envs",
    "n_steps": "--n-steps",
    "n_epochs": "--n-epochs",
    "gamma": "--gamma",
    "gae_lambda": "--gae-lambda",
    "clip_range": "--clip-range",
    "ent_coef": "--ent-coef",
    "log_std_init": "--log-std-init",
    "episode_steps": "--episode-steps",
}


def _given(args: argparse.Namespace, names: dict[str, str]) -> list[str]:
    """The flags of ``names`` given on the command line (their defaults are None/False)."""
    return [flag for name, flag in names.items() if getattr(args, name) not in (None, False)]


def _pick(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Config fields from the options given; the rest keep the config class's defaults."""
    return {
        field: getattr(args, opt)
        for opt, field in mapping.items()
        if getattr(args, opt) is not None
    }


def _dbp_config(args: argparse.Namespace) -> Any:
    from dbp import TrainConfig

    wrong = _given(args, PPO_ONLY)
    if wrong:
        raise CLIError(f"{', '.join(wrong)}: only with --algo ppo")
    fields = _pick(
        args,
        {
            "batch_size": "batch_size",
            "horizon": "horizon",
            "train_burn_in": "burn_in",
            "lr": "learning_rate",
            "schedule": "schedule",
            "penalty": "penalty_weight",
            "steps": "max_steps",
            "eval_every": "eval_every",
            "patience": "patience",
            "train_seed": "seed",
            "device": "device",
            "dtype": "dtype",
        },
    )
    if args.grad_clip is not None:
        fields["grad_clip"] = args.grad_clip if args.grad_clip > 0 else None
    if args.seconds is not None:
        fields["max_seconds"] = args.seconds if args.seconds > 0 else None
    fields["straight_through"] = args.straight_through
    return TrainConfig(**fields)


def _ppo_config(args: argparse.Namespace) -> Any:
    from baselines.ppo import PPOConfig

    wrong = _given(args, DBP_ONLY)
    if wrong:
        raise CLIError(f"{', '.join(wrong)}: only with --algo dbp")
    fields = _pick(
        args,
        {
            "timesteps": "timesteps",
            "num_envs": "num_envs",
            "n_steps": "n_steps",
            "batch_size": "batch_size",
            "n_epochs": "n_epochs",
            "lr": "learning_rate",
            "schedule": "schedule",
            "gamma": "gamma",
            "gae_lambda": "gae_lambda",
            "clip_range": "clip_range",
            "ent_coef": "ent_coef",
            "log_std_init": "log_std_init",
            "episode_steps": "max_episode_steps",
            "eval_every": "eval_every",
            "train_seed": "seed",
            "device": "device",
        },
    )
    hidden = _int_list("--hidden", args.hidden)
    if hidden is not None:
        fields["hidden"] = tuple(hidden)
    if args.seconds is not None and args.seconds > 0:
        fields["max_seconds"] = args.seconds
    return PPOConfig(**fields)


def cmd_train(args: argparse.Namespace) -> int:
    kwargs = parse_sets(args.set)
    problem, params = _check_env(args.env, kwargs)
    if args.algo == "ppo":
        from baselines.ppo import EVAL_FILE, train_ppo

        config = _ppo_config(args)
        out = Path(args.out) if args.out else Path("results") / "ppo" / _slug(args.env, kwargs)
        result = train_ppo(args.env, kwargs, config, out=out, progress=_progress(args))
        _say(
            args,
            f"trained ppo: {result.timesteps} env steps in {result.seconds:.1f} s "
            f"(stopped: {result.stopped}); best validation cost {result.best_val_cost:.4f}",
        )
        policy, seconds, log = result.policy, result.seconds, out / EVAL_FILE
        extra = {"timesteps": result.timesteps}
    else:
        from dbp import train

        config = _dbp_config(args)
        name = args.policy or "mlp"
        out = (
            Path(args.out)
            if args.out
            else Path("results") / "dbp" / f"{_slug(args.env, kwargs)}_{name}"
        )
        hidden = _int_list("--hidden", args.hidden)
        options: dict[str, Any] = {}
        if hidden is not None:
            options["hidden"] = tuple(hidden)
        result = train(
            (args.env, kwargs),
            name,
            config,
            window=args.window or 0,
            static=True if args.static else None,
            out=out,
            resume=args.resume,
            progress=_progress(args),
            tensorboard=args.tensorboard,
            **options,
        )
        _say(
            args,
            f"trained {result.policy.name}: {result.steps} steps in {result.seconds:.1f} s "
            f"(stopped: {result.stopped}); best validation cost {result.best_val_cost:.4f}",
        )
        policy, seconds, log = result.policy, result.seconds, out / "log.csv"
        extra = {"steps": result.steps}
    evaluation = evaluate(policy, args.env, kwargs, progress=_progress(args), **_eval_options(args))
    exact = _exact_cost(problem, params, kwargs, policy, args) if args.exact else None
    doc = _policy_doc(evaluation, policy, seconds, exact)
    doc["saved"] = str(out / "policy")
    doc.update(extra)
    if args.json:
        print(
            json.dumps(
                {"env": args.env, "env_kwargs": kwargs, "policies": {policy.name: doc}},
                indent=2,
            )
        )
        return 0
    print(evaluation)
    if exact is not None:
        print(f"  exact cost (Markov chain of the policy): {exact:.4f}")
    print(f"  saved {out / 'policy'} (run log: {log}); evaluate it again with")
    print(
        f"  {PROG} evaluate {args.env} --load {out / 'policy'}"
        + "".join(f" --set {k}={v}" for k, v in kwargs.items())
    )
    return 0


def _int_list(flag: str, text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CLIError(
            f"{flag} expects comma-separated integers such as 64,64, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise CLIError(f"{flag} expects positive integers, got {text!r}")
    return values


def _print_compare(args: argparse.Namespace, kwargs: dict[str, Any], docs: dict[str, dict]):
    some = next(iter(docs.values()))
    kind = "discounted cost" if args.discount is not None else "cost/period"
    print(
        f"{args.env} {kwargs or ''}: {kind} over {some['num_paths']} paths x {some['periods']} "
        f"periods after {some['burn_in']} burn-in, seed {some['seed']} (common random numbers)"
    )
    header = (
        f"{'policy':<28} {'cost':>9} {'± s.e.':>8} {'95% CI':>19} {'exact':>9} {'gap %':>16} "
        f"{'fit s':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, doc in sorted(docs.items(), key=lambda kv: kv[1]["cost"]):
        low, high = doc["ci95"]
        exact = f"{doc['exact_cost']:.4f}" if doc["exact_cost"] is not None else "-"
        if "gap_percent" in doc:
            g_low, g_high = doc["gap_ci95_percent"]
            gap = f"{doc['gap_percent']:+.2f} [{g_low:+.2f},{g_high:+.2f}]"
            if name == "optimal":
                gap = "0 (reference)"
        else:
            gap = "-"
        print(
            f"{name:<28} {doc['cost']:>9.4f} {doc['stderr']:>8.4f} {low:>9.4f}..{high:<8.4f} "
            f"{exact:>9} {gap:>16} {doc['fit_seconds']:>6.1f}"
        )
    if "optimal" in docs:
        print("gap %: paired difference to the optimal policy on the same paths, with its 95% CI")


def _write_compare(
    out_dir: Path, slug: str, args, kwargs: dict[str, Any], docs, results, *, plot: bool
) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    path = out_dir / f"{slug}_compare.json"
    path.write_text(json.dumps({"env": args.env, "policies": docs}, indent=2))
    files.append(str(path))
    path = out_dir / f"{slug}_compare.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "policy",
                "cost",
                "stderr",
                "ci95_low",
                "ci95_high",
                "exact_cost",
                "gap_percent",
                "params",
            ]
        )
        for name, doc in docs.items():
            writer.writerow(
                [
                    name,
                    doc["cost"],
                    doc["stderr"],
                    *doc["ci95"],
                    doc["exact_cost"],
                    doc.get("gap_percent"),
                    json.dumps(doc["params"]),
                ]
            )
    files.append(str(path))
    if plot:
        try:
            files.append(
                str(_bar_chart(out_dir / f"{slug}_compare.png", args.env, kwargs, results, docs))
            )
        except ImportError:
            _say(args, "no chart: matplotlib is not installed (pip install 'inventory-gym[plot]')")
    return files


def _bar_chart(
    path: Path, env_id: str, kwargs: dict[str, Any], results: dict[str, Evaluation], docs
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = sorted(results, key=lambda n: results[n].cost)
    costs = np.array([results[n].cost for n in order])
    half = np.array([results[n].ci95[1] - results[n].cost for n in order])
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.5))
    colors = ["tab:green" if n == "optimal" else "tab:blue" for n in order]
    ax.barh(order, costs, xerr=half, color=colors, capsize=3, alpha=0.85)
    if "optimal" in results:
        ax.axvline(results["optimal"].cost, color="tab:green", linestyle="--", linewidth=1)
    low = max(0.0, costs.min() * 0.9)
    ax.set_xlim(low, costs.max() * 1.06 + half.max())
    pad = 0.01 * (costs.max() - low)
    for y, (c, h, n) in enumerate(zip(costs, half, order)):
        gap = docs[n].get("gap_percent")
        label = f"{c:.3f}" + (f" (+{gap:.2f}%)" if gap is not None and n != "optimal" else "")
        ax.text(c + h + pad, y, label, va="center", fontsize=8)
    ax.invert_yaxis()
    some = next(iter(results.values()))
    kind = "cost per period" if some.discount is None else f"discounted cost ({some.discount:g})"
    ax.set_xlabel(f"{kind} (95% CI over paths)")
    setting = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    ax.set_title(f"{env_id}" + (f" ({setting})" if setting else "") + ": common random numbers")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# -- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Inventory-control environments and baselines: list the registered envs, evaluate "
            "a heuristic, solve an instance exactly, or compare every method on common random "
            "numbers. Env parameters are set with --set key=value (see `inventory-gym list`)."
        ),
        epilog=(
            f"Example: {PROG} compare LostSalesLeadTime-v0 --set lead_time=1 "
            "--set lost_sales_cost=4"
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="the registered envs, their defaults and policies")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_list)

    def common(p: argparse.ArgumentParser, *, simulate: bool = True, fit: bool = True) -> None:
        p.add_argument("env", metavar="ENV", help="registered env id, e.g. LostSalesLeadTime-v0")
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="env keyword override, repeatable (lead_time=1, lost_sales_cost=4, "
            "demand=geometric(5), max_order=20, ...)",
        )
        p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument(
            "--discount",
            type=float,
            default=None,
            help="score the discounted cost (e.g. 0.99) instead of the average cost per period",
        )
        if not simulate:
            return
        g = p.add_argument_group("evaluation (common random numbers)")
        g.add_argument("--paths", type=int, default=1000, help="demand paths (default 1000)")
        g.add_argument(
            "--periods",
            type=int,
            default=1000,
            help="periods per path after the burn-in (default 1000)",
        )
        g.add_argument(
            "--burn-in",
            type=int,
            default=500,
            help="periods discarded first (default 500: the constant order, whose stock "
            "relaxes slowly, needs a long one)",
        )
        g.add_argument(
            "--seed", type=int, default=0, help="seed of the evaluation paths (default 0)"
        )
        g.add_argument(
            "--no-exact",
            dest="exact",
            action="store_false",
            help="skip the exact cost of integer policies (Markov chain, lost sales)",
        )
        if not fit:
            return
        f = p.add_argument_group("fitting (on other paths than the evaluation)")
        f.add_argument(
            "--fit-paths", type=int, default=500, help="paths per candidate (default 500)"
        )
        f.add_argument(
            "--fit-periods", type=int, default=1000, help="periods per candidate (default 1000)"
        )
        f.add_argument("--fit-seed", type=int, default=20261126, help="seed of the fitting paths")

    p = sub.add_parser(
        "evaluate",
        help="fit a named heuristic (or load a saved policy) and evaluate it",
        description="Fit a heuristic by simulation (or load a policy table saved by "
        "`solve`) and evaluate it with the harness.",
    )
    common(p)
    p.add_argument("--policy", help="policy name (see `inventory-gym list`)")
    p.add_argument(
        "--load",
        metavar="PATH",
        help="a policy table saved by `inventory-gym solve` (.npz) or a DBP policy saved by "
        "`inventory-gym train` (its directory)",
    )
    p.add_argument("--name", help="label of a loaded policy in the output")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "solve",
        help="exact dynamic programming; prints the optimal cost, saves the policy",
        description="Solve the instance exactly (relative value iteration for the "
        "average cost, value iteration with --discount) on Zipkin's state bounds.",
    )
    common(p, simulate=False)
    p.add_argument(
        "--margin", type=int, default=0, help="widen the state bounds by this many units"
    )
    p.add_argument(
        "--out", help="where to save the policy (.npz; default results/<instance>_dp.npz)"
    )
    p.set_defaults(func=cmd_solve)

    from baselines.ppo import PPOConfig
    from dbp import TrainConfig

    dbp_d, ppo_d = TrainConfig(), PPOConfig()
    p = sub.add_parser(
        "train",
        help="train a policy network (DirectBackprop or PPO), save it and evaluate it",
        description="Train a policy network, save it and evaluate it with the harness on the "
        "test paths (--seed). --algo dbp (DirectBackprop): backpropagate the cost of "
        "simulated demand paths through the differentiable dynamics; the run (run.json, "
        "log.csv, checkpoint.pt) and the best policy (policy/) go to --out. --algo ppo: "
        "stable-baselines3's PPO on the native batched env; the run (run.json, eval.csv, "
        "progress.csv, model.zip) and the best policy (policy/) go to --out. Options of one "
        "algorithm only are refused with the other.",
    )
    common(p, fit=False)
    p.add_argument(
        "--algo",
        default="dbp",
        choices=("dbp", "ppo"),
        help="training method: dbp (DirectBackprop, default) or ppo (stable-baselines3)",
    )
    p.add_argument(
        "--hidden",
        help=f"hidden layer widths, e.g. 64,64 (default {','.join(map(str, ppo_d.hidden))})",
    )
    t = p.add_argument_group(
        "both algorithms (defaults: dbp.TrainConfig / baselines.ppo.PPOConfig)"
    )
    t.add_argument(
        "--seconds",
        type=float,
        default=None,
        help=f"wall-clock budget in seconds, validation included (dbp default "
        f"{dbp_d.max_seconds:g}, 0: none; ppo: none unless given)",
    )
    t.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"dbp: paths per step ({dbp_d.batch_size}); ppo: minibatch ({ppo_d.batch_size})",
    )
    t.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"Adam learning rate (dbp {dbp_d.learning_rate:g}, ppo {ppo_d.learning_rate:g})",
    )
    t.add_argument(
        "--schedule",
        default=None,
        choices=("cosine", "linear", "constant"),
        help=f"learning-rate schedule over the budget (dbp: cosine or constant, default "
        f"{dbp_d.schedule}; ppo: linear or constant, default {ppo_d.schedule})",
    )
    t.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help=f"validate every this many gradient steps (dbp, {dbp_d.eval_every}) or "
        f"environment steps (ppo, {ppo_d.eval_every})",
    )
    t.add_argument("--train-seed", type=int, default=None, help="seed of weights and paths (0)")
    t.add_argument("--device", default=None, help="torch device: cpu (default), cuda, cuda:1 ...")
    t.add_argument(
        "--out",
        help="run directory (default results/dbp/<instance>_<policy> or results/ppo/<instance>)",
    )
    d = p.add_argument_group("DirectBackprop only (see dbp.TrainConfig)")
    d.add_argument(
        "--policy",
        default=None,
        choices=("mlp", "monotone", "base_stock", "capped_base_stock"),
        help="network: mlp (plain, default), monotone (order decreasing in the state, more in "
        "recent orders), base_stock or capped_base_stock (the net outputs the levels)",
    )
    d.add_argument("--window", type=int, default=None, help="past demands the network reads (0)")
    d.add_argument(
        "--static",
        action="store_true",
        help="feed the instance's static features (costs, lead time) to the network",
    )
    d.add_argument("--steps", type=int, default=None, help="budget in gradient steps")
    d.add_argument(
        "--horizon",
        type=int,
        default=None,
        help=f"periods backpropagated per step ({dbp_d.horizon})",
    )
    d.add_argument(
        "--train-burn-in",
        type=int,
        default=None,
        help=f"periods simulated without gradient before each step's horizon ({dbp_d.burn_in})",
    )
    d.add_argument(
        "--grad-clip",
        type=float,
        default=None,
        help=f"gradient-norm clip ({dbp_d.grad_clip:g}; 0: none)",
    )
    d.add_argument(
        "--straight-through",
        action="store_true",
        help="round orders in training too (straight-through gradient)",
    )
    d.add_argument(
        "--penalty",
        type=float,
        default=None,
        help=f"weight of the structural penalty ({dbp_d.penalty_weight:g}: off)",
    )
    d.add_argument(
        "--patience",
        type=int,
        default=None,
        help="stop after this many validations without improvement",
    )
    d.add_argument("--dtype", default=None, choices=("float32", "float64"), help="(float32)")
    d.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    d.add_argument("--tensorboard", metavar="DIR", help="also log to TensorBoard in DIR")
    g = p.add_argument_group("PPO only (see baselines.ppo.PPOConfig)")
    g.add_argument(
        "--timesteps",
        type=int,
        default=None,
        help=f"budget in environment steps ({ppo_d.timesteps})",
    )
    g.add_argument(
        "--num-envs", type=int, default=None, help=f"envs stepped together ({ppo_d.num_envs})"
    )
    g.add_argument(
        "--n-steps", type=int, default=None, help=f"rollout length per env ({ppo_d.n_steps})"
    )
    g.add_argument(
        "--n-epochs", type=int, default=None, help=f"passes over each rollout ({ppo_d.n_epochs})"
    )
    g.add_argument("--gamma", type=float, default=None, help=f"discount ({ppo_d.gamma:g})")
    g.add_argument(
        "--gae-lambda", type=float, default=None, help=f"GAE lambda ({ppo_d.gae_lambda:g})"
    )
    g.add_argument(
        "--clip-range", type=float, default=None, help=f"PPO clip ({ppo_d.clip_range:g})"
    )
    g.add_argument(
        "--ent-coef", type=float, default=None, help=f"entropy bonus ({ppo_d.ent_coef:g})"
    )
    g.add_argument(
        "--log-std-init",
        type=float,
        default=None,
        help=f"initial log std of the actions in [-1, 1] ({ppo_d.log_std_init:g})",
    )
    g.add_argument(
        "--episode-steps",
        type=int,
        default=None,
        help=f"periods per training episode ({ppo_d.max_episode_steps})",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "compare",
        help="fit every heuristic, solve the DP, evaluate all side by side",
        description="Fit every heuristic of the env's problem, solve the exact DP "
        "where feasible, evaluate all on the same demand paths, print a table with "
        "gaps to the optimum and save JSON, CSV and a bar chart (PNG).",
    )
    common(p)
    p.add_argument("--policies", help="comma-separated subset of policies (default: all)")
    p.add_argument(
        "--dbp-seconds",
        type=float,
        default=60.0,
        help="train a DirectBackprop policy for this many seconds and include it as 'dbp' "
        "(default 60; 0 leaves it out)",
    )
    p.add_argument(
        "--dbp-policy",
        default="mlp",
        choices=("mlp", "monotone", "base_stock", "capped_base_stock"),
        help="network of the 'dbp' entry (default mlp)",
    )
    p.add_argument(
        "--with-ppo",
        action="store_true",
        help="also train PPO (stable-baselines3) and include it as 'ppo'",
    )
    p.add_argument(
        "--ppo-steps",
        type=int,
        default=ppo_d.timesteps,
        help=f"environment steps of the 'ppo' entry (default {ppo_d.timesteps})",
    )
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the PNG chart")
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("paths", "periods", "fit_paths", "fit_periods"):
        if getattr(args, name, 1) is not None and getattr(args, name, 1) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if getattr(args, "burn_in", 0) < 0:
        parser.error(f"--burn-in must be >= 0, got {args.burn_in}")
    discount = getattr(args, "discount", None)
    if discount is not None and not (0.0 < discount < 1.0 or math.isclose(discount, 1.0)):
        parser.error(f"--discount must be in (0, 1], got {discount}")
    try:
        return args.func(args)
    except CLIError as err:
        parser.exit(2, f"{PROG}: error: {err}\n")
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"{PROG}: error: {err}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{PROG}: interrupted\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
