"""``inventory-gym compare``: every method of a problem side by side on common random numbers.

One call of :func:`inventory_gym_cli.pipeline.run_comparison` (the benchmarks' pipeline): fit
the heuristics, solve the exact optimum, train DirectBackprop (and PPO), evaluate all on the
same paths, take the paired gaps to the optimum and write JSON, CSV, markdown and a chart.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inventory_gym_cli import options as o
from inventory_gym_cli.commands.evaluate import scoring
from inventory_gym_cli.commands.train import DBP_KINDS
from inventory_gym_cli.pipeline import (
    Comparison,
    ComparisonInterrupted,
    Learner,
    bar_chart,
    markdown_table,
    run_comparison,
    write_table,
)

NAME = "compare"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from baselines.ppo import PPOConfig
    from dbp.config import TrainConfig

    dbp_d, ppo_d = TrainConfig(), PPOConfig()
    p = sub.add_parser(
        NAME,
        help="fit every heuristic, solve the DP, evaluate all side by side",
        description="Fit every heuristic of the env's problem, solve the exact DP "
        "where feasible, train a DirectBackprop policy, evaluate all on the same demand paths, "
        "print a table with gaps to the optimum and save JSON, CSV, markdown and a bar chart "
        "(PNG).",
    )
    o.add_instance_args(p)
    p.add_argument("--policies", help="comma-separated subset of policies (default: all)")
    p.add_argument(
        "--dbp-steps",
        type=int,
        default=dbp_d.max_steps,
        help=f"train a DirectBackprop policy for this many gradient steps and include it as "
        f"'dbp' (default {dbp_d.max_steps}, dbp.TrainConfig.max_steps: about a minute at one "
        "thread on a 2-core machine; 0 leaves it out)",
    )
    p.add_argument(
        "--dbp-seconds",
        type=float,
        default=None,
        help="also stop the 'dbp' training after this many seconds (default: no cap; 0 "
        "leaves 'dbp' out, as it did when this was the budget)",
    )
    p.add_argument(
        "--dbp-policy",
        default="mlp",
        choices=DBP_KINDS,
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
    p.set_defaults(func=run)
    return p


def learners(args: argparse.Namespace, inst: Any = None) -> list[Learner]:
    out = []
    if args.dbp_steps < 0:
        raise o.CLIError(f"--dbp-steps must be >= 0, got {args.dbp_steps}")
    if args.dbp_seconds is not None and not args.dbp_seconds >= 0:
        raise o.CLIError(f"--dbp-seconds must be >= 0 (0 leaves 'dbp' out), got {args.dbp_seconds}")
    if args.ppo_steps < 1:
        raise o.CLIError(f"--ppo-steps must be >= 1, got {args.ppo_steps}")
    if args.dbp_steps > 0 and args.dbp_seconds != 0:
        from dbp.config import TrainConfig

        config = TrainConfig(
            max_steps=args.dbp_steps,
            max_seconds=args.dbp_seconds,
            threads=o.threads(args),
            **(o.season_training(inst) if inst is not None else {}),
        )
        out.append(Learner("dbp", config, kind=args.dbp_policy))
    if args.with_ppo:
        from baselines.ppo import PPOConfig

        out.append(Learner("ppo", PPOConfig(timesteps=args.ppo_steps, threads=o.threads(args))))
    return out


def run(args: argparse.Namespace) -> int:
    inst = o.instance_of(args)
    o.check_out_folder("--out", args.out)
    chosen = learners(args, inst)  # their options are checked before any work
    names = None if not args.policies else [n.strip() for n in args.policies.split(",")]
    from baselines.registry import entries

    available = entries(inst.problem)
    unknown = [n for n in names or () if n not in available]
    if unknown:
        raise o.CLIError(
            f"--policies: unknown {', '.join(unknown)}; choose from {', '.join(available)}"
        )
    slug = o.slug(args.env, inst.kwargs)
    try:
        result = run_comparison(
            inst,
            policies=names,
            strict=names is not None,  # asked for by name: a fitting error is a real error
            learners=chosen,
            scoring=scoring(args),
            fit=o.fit_config(args),
            progress=o.progress(args),
            say=lambda text: o.say(args, text),
        )
    except ComparisonInterrupted as stop:
        return interrupted(args, slug, stop)
    doc = {**result.to_dict(), "threads": o.threads(args)}
    files = write_table(
        Path(args.out),
        f"{slug}_compare",
        result.rows(),
        doc=doc,
        markdown="\n".join([title(result), "", *table(result)]) + "\n",
        chart=None if args.no_plot else (lambda path: bar_chart(path, result)),
    )
    if args.json:
        print(json.dumps({**doc, "files": [str(f) for f in files]}, indent=2))
        return 0
    print(title(result))
    for line in text_table(result):
        print(line)
    for f in files:
        print(f"saved {f}")
    return 0


def interrupted(args: argparse.Namespace, slug: str, stop: ComparisonInterrupted) -> int:
    """Ctrl-C: write the table of the policies evaluated so far, marked partial (exit 130)."""
    import sys

    result, missing = stop.result, stop.missing
    saved = ""
    if result.entries:
        doc = {**result.to_dict(), "threads": o.threads(args), "partial": True}
        doc["missing"] = missing
        note = f"partial (interrupted): missing {', '.join(missing) or 'none'}"
        files = write_table(
            Path(args.out),
            f"{slug}_compare",
            result.rows(),
            doc=doc,
            markdown="\n".join([title(result), "", note, "", *table(result)]) + "\n",
        )
        saved = f"; partial table of {', '.join(result.entries)} saved in " + ", ".join(
            map(str, files)
        )
    saved = saved or " (none evaluated, nothing saved)"
    print(
        f"{o.PROG}: interrupted; missing {', '.join(missing) or 'none'}{saved}",
        file=sys.stderr,
    )
    return 130


def title(result: Comparison) -> str:
    some = next(iter(result.entries.values())).evaluation
    kind = "discounted cost" if result.scoring.discount is not None else "cost/period"
    return (
        f"{result.instance.env_id} {result.instance.kwargs or ''}: {kind} over {some.num_paths} "
        f"paths x {some.periods} periods after {some.burn_in} burn-in, seed {some.seed} "
        "(common random numbers)"
    )


def _gap(name: str, doc: dict, reference: str | None) -> str:
    if "gap_percent" not in doc:
        return "-"
    if name == reference:
        return "0 (reference)"
    low, high = doc["gap_ci95_percent"]
    return f"{doc['gap_percent']:+.2f} [{low:+.2f},{high:+.2f}]"


def _budget(doc: dict) -> str:
    if "steps" in doc:
        return f"{doc['steps']} steps, {doc['threads']} thr"
    if "timesteps" in doc:
        return f"{doc['timesteps']} env steps, {doc['threads']} thr"
    return ""


def table(result: Comparison) -> list[str]:
    """The markdown table of a comparison, cheapest first."""
    docs = result.docs()
    order = sorted(docs, key=lambda n: docs[n]["cost"])
    exact = lambda d: f"{d['exact_cost']:.4f}" if d["exact_cost"] is not None else "-"  # noqa: E731
    return markdown_table(
        [{"name": n, **docs[n]} for n in order],
        [
            ("policy", lambda r: r["name"]),
            ("cost", lambda r: f"{r['cost']:.4f}"),
            ("± s.e.", lambda r: f"{r['stderr']:.4f}"),
            ("exact", exact),
            ("gap % [95% CI]", lambda r: _gap(r["name"], r, result.reference)),
            ("fit s", lambda r: f"{r['fit_seconds']:.1f}"),
            ("budget", _budget),
        ],
    )


def text_table(result: Comparison) -> list[str]:
    docs = result.docs()
    header = (
        f"{'policy':<28} {'cost':>9} {'± s.e.':>8} {'95% CI':>19} {'exact':>9} {'gap %':>16} "
        f"{'fit s':>6}"
    )
    lines = [header, "-" * len(header)]
    for name, doc in sorted(docs.items(), key=lambda kv: kv[1]["cost"]):
        low, high = doc["ci95"]
        exact = f"{doc['exact_cost']:.4f}" if doc["exact_cost"] is not None else "-"
        budget = _budget(doc)
        lines.append(
            f"{name:<28} {doc['cost']:>9.4f} {doc['stderr']:>8.4f} {low:>9.4f}..{high:<8.4f} "
            f"{exact:>9} {_gap(name, doc, result.reference):>16} {doc['fit_seconds']:>6.1f}"
            + (f"  ({budget})" if budget else "")
        )
    if result.reference is not None:
        lines.append(
            "gap %: paired difference to the optimal policy on the same paths, with its 95% CI"
        )
    for name, doc in docs.items():
        if "train_seed" in doc:
            lines.append(
                f"{name}: {_budget(doc)}, stopped by {doc['stopped']}; seeds: training "
                f"{doc['train_seed']}, validation {doc['eval_seed']}, test {doc['seed']}"
            )
    return lines
