"""``inventory-gym evaluate``: fit a named heuristic (or load a saved policy) and score it."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from inventory_gym_cli import options as o
from inventory_gym_cli.artifacts import ArtifactError, check_instance, load_policy
from inventory_gym_cli.pipeline import Comparison, Entry, Scoring, evaluate_entries

NAME = "evaluate"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="fit a named heuristic (or load a saved policy) and evaluate it",
        description="Fit a heuristic by simulation (or load a policy saved by `solve` or "
        "`train`) and evaluate it with the harness.",
    )
    o.add_instance_args(p)
    p.add_argument("--policy", help="policy name (see `inventory-gym list`)")
    p.add_argument(
        "--load",
        metavar="PATH",
        help="a policy table saved by `inventory-gym solve` (.npz), or a DBP or PPO policy "
        "saved by `inventory-gym train` (its directory, or the run's directory)",
    )
    p.add_argument("--name", help="label of a loaded policy in the output")
    p.set_defaults(func=run)
    return p


def scoring(args: argparse.Namespace) -> Scoring:
    return Scoring(**o.eval_options(args), exact=args.exact)


def load(inst: Any, path: str) -> tuple[Any, str | None]:
    """A saved policy and a note on the instances it was trained on (for a cross-instance
    policy), refused when it was made for another problem or another instance."""
    try:
        artifact = load_policy(path)
        note = check_instance(artifact, inst)
    except ArtifactError as err:
        raise o.CLIError(f"--load: {err}") from None
    return artifact.policy, note


# State values updated per evaluation above which the command says, before it starts, how big
# the run is and how to make it smaller (about a minute of kernel work on the project's 2-core
# machine; the harness's own rate is shown by its progress bar).
LARGE_WORK = 2e9


def work_note(inst: Any, args: argparse.Namespace) -> str | None:
    """A line on the size of a large evaluation (paths x periods x state values), or None.

    Memory is checked by the env itself before anything is allocated; what remains is time,
    which grows with every state value the kernel moves each period (the pipeline of a long
    lead time is that state). The evaluation is not refused: it shows its progress and can be
    interrupted.
    """
    periods = args.periods + args.burn_in
    work = float(args.paths) * periods * max(inst.state_dim, 1)
    if work < LARGE_WORK:
        return None
    return (
        f"note: a large evaluation: {args.paths:,} paths x {periods:,} periods x "
        f"{inst.state_dim:,} state values = {work:.2g} updates (and more for a policy that "
        "reads the whole state each period); reduce --paths or --periods for a quicker answer"
    )


def run(args: argparse.Namespace) -> int:
    inst = o.instance_of(args)
    if (args.policy is None) == (args.load is None):
        raise o.CLIError("give exactly one of --policy NAME or --load PATH")
    t0 = time.perf_counter()
    note = None
    if args.load:
        policy, note = load(inst, args.load)
        label = args.name or policy.name
        if note:
            o.say(args, f"{label}: {note}")
    else:
        policy = o.fit_named(args, inst, args.policy)
        label = args.policy
    result = Comparison(
        inst, scoring(args), {label: Entry(label, policy, time.perf_counter() - t0)}
    )
    size = work_note(inst, args)
    if size:
        o.say(args, size)
    evaluate_entries(result, progress=o.progress(args))
    doc = result.doc(label)
    if args.load and note:
        doc["trained_on"] = note
    if args.json:
        print(
            json.dumps(
                {"env": args.env, "env_kwargs": inst.kwargs, "policies": {label: doc}}, indent=2
            )
        )
        return 0
    evaluation = result.entries[label].evaluation
    print(evaluation)
    if doc["exact_cost"] is not None:
        print(f"  exact cost (Markov chain of the policy): {doc['exact_cost']:.4f}")
    print(f"  parameters: {doc['params']}  (fitted in {doc['fit_seconds']:.1f} s)")
    print(
        "  cost per period: " + ", ".join(f"{k} {v:.4f}" for k, v in evaluation.breakdown.items())
    )
    print("  metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in evaluation.metrics.items()))
    return 0
