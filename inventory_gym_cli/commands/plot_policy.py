"""``inventory-gym plot-policy``: a picture of a policy's decisions over the state."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from inventory_gym_cli import options as o

DESCRIPTION = (
    "Draw the decisions of a policy over the state, the way papers show "
    "optimal policies: with two components (--x and --y, by default the first two of "
    "the state) a heatmap with the decision in each cell, one panel per decision; with "
    "--x only, the decision curves of every policy given on one axis. The other "
    "components are fixed (--fix, by default at their median along simulated paths of "
    "the policies), and stated on the figure. Components are named by the problem's "
    "state layout (on_hand, pipeline_1, stock_2, inventory, regular_1, time_left...; "
    "an unknown name lists them). --discount D compares with the optimum of the "
    "discounted cost instead of the average cost. The decisions are those the env "
    "carries out: clipped to the action bounds and rounded when demand is integer, as the "
    "evaluation harness does."
)

NAME = "plot-policy"

EXAMPLES = """\
examples:
  inventory-gym plot-policy Perishable-v0 --policy base_stock --against optimal
      heatmaps of the orders by the stock of each age, beside the optimum and the difference
  inventory-gym plot-policy LostSalesLeadTime-v0 --set lead_time=2 \\
      --policy myopic2,base_stock --against optimal --x on_hand --fix pipeline_1=4
      the orders of three policies along the stock on hand, the order in transit fixed
  inventory-gym plot-policy DualSourcing-v0 --load runs/dual/policy --x inventory --y regular_1
      a saved policy: one panel per decision (regular and expedited orders)
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="draw a policy's decisions over two state components (heatmap) or along one",
        description=textwrap.fill(DESCRIPTION, 90),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    o.add_instance_args(p, simulate=False)
    g = p.add_argument_group("policies")
    g.add_argument(
        "--policy",
        metavar="NAME[,NAME...]",
        help="named policies, comma-separated (see `inventory-gym list`); heuristics are "
        "fitted by simulation first",
    )
    g.add_argument(
        "--load",
        metavar="PATH",
        help="a saved policy, as `evaluate --load` reads it (a table from `solve`, a DBP or "
        "PPO policy from `train`), drawn with the named ones",
    )
    g.add_argument(
        "--against",
        choices=("optimal",),
        help="also solve the instance exactly and draw the optimum: beside the policy with "
        "the difference (heatmap), or as a black curve on the same axis (slice)",
    )
    a = p.add_argument_group("what to draw")
    a.add_argument("--x", metavar="COMPONENT", help="component along the x axis")
    a.add_argument(
        "--y",
        metavar="COMPONENT",
        help="component along the y axis (with --x alone: a one-dimensional slice)",
    )
    a.add_argument(
        "--fix",
        action="append",
        metavar="COMPONENT=VALUE",
        help="the value of a component that is not on an axis, repeatable",
    )
    a.add_argument(
        "--period",
        type=int,
        default=0,
        help="for a policy with a clock (one table per period, non-stationary demand): the "
        "period drawn (default 0)",
    )
    a.add_argument(
        "--out",
        metavar="FILE",
        help="the image to write (.png, .pdf or .svg; default <ENV>_policy.png here)",
    )
    a.add_argument("--dpi", type=int, default=100, help="resolution of a .png (default 100)")
    o.add_fit_args(p, "fitting of named heuristics")
    p.set_defaults(func=run)
    return p


def parse_fix(items: list[str] | None) -> dict[str, float]:
    """``["pipeline_2=3"]`` -> ``{"pipeline_2": 3.0}``."""
    out: dict[str, float] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not key.strip() or number is None:
            raise o.CLIError(f"--fix expects COMPONENT=NUMBER (e.g. pipeline_2=3), got {item!r}")
        out[key.strip()] = number
    return out


def check_components(inst: Any, args: argparse.Namespace, fix: dict[str, float]) -> None:
    """Unknown components are refused before any fitting (the message lists them)."""
    from baselines.plots import components

    names = components(inst)
    given = [("--x", args.x), ("--y", args.y)] + [("--fix", name) for name in fix]
    for flag, name in given:
        if name is not None and name not in names:
            raise o.CLIError(
                f"{flag} {name}: {inst.env_id} has no state component {name!r}; its "
                f"components are {', '.join(names)}"
            )
    if args.y is not None and args.x is None:
        raise o.CLIError("--y needs --x (give both for a heatmap, --x alone for a slice)")
    if args.x is not None and args.x == args.y:
        raise o.CLIError(f"--x and --y are both {args.x}: choose two different components")
    for flag, name in (("--x", args.x), ("--y", args.y)):
        if name is not None and name in fix:
            raise o.CLIError(f"--fix {name}: it is on an axis ({flag}); fix the others only")


def policies_of(inst: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The policies asked for: named ones fitted, saved ones loaded (label -> policy)."""
    names = [n.strip() for n in (args.policy or "").split(",") if n.strip()]
    if not names and not args.load:
        raise o.CLIError("give --policy NAME[,NAME...] and/or --load PATH")
    for name in names:  # every name checked before the first fit
        o.check_policy_name(inst, name)
    out: dict[str, Any] = {name: o.fit_named(args, inst, name) for name in names}
    from inventory_gym_cli.commands.evaluate import load

    for path in [args.load] if args.load else []:
        policy, note = load(inst, path)
        label = getattr(policy, "name", None) or path
        if label in out:
            label = f"{label} ({path})"
        if note:
            o.say(args, f"{label}: {note}")
        out[label] = policy
    return out


def check_against(inst: Any, args: argparse.Namespace) -> None:
    """``--against optimal`` on an instance without an exact optimum is refused up front."""
    if args.against is None:
        return
    from baselines import exact

    reason = exact.unavailable(inst.problem, inst.params, args.discount)
    if reason is not None:
        raise o.CLIError(f"--against optimal: no exact optimum of {inst.label}: {reason}")


def out_path(args: argparse.Namespace, inst: Any, what: str) -> Any:
    path = args.out or f"{o.slug(inst.env_id, inst.kwargs)}_{what}.png"
    path = o.check_out_file("--out", path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise o.CLIError(f"--out {path}: write a .png, .pdf or .svg file")
    return path


def run(args: argparse.Namespace) -> int:
    inst = o.instance_of(args)
    if args.period < 0:
        raise o.CLIError(f"--period must be >= 0, got {args.period}")
    if args.dpi < 10:
        raise o.CLIError(f"--dpi must be >= 10, got {args.dpi}")
    fix = parse_fix(args.fix)
    check_components(inst, args, fix)
    check_against(inst, args)
    path = out_path(args, inst, "policy")
    try:
        from baselines.plots import draw_policy, draw_policy_slice, policy_grids
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise o.CLIError(str(err)) from None
    drawn = policies_of(inst, args)
    state = inst.problem.state_feature_names(inst.params)
    slice_only = (args.x is not None and args.y is None) or len(state) < 2
    if args.against:
        o.say(args, f"solving {inst.label} exactly ...")
    found = policy_grids(
        drawn,
        inst,
        against=args.against,
        x=args.x,
        y=args.y,
        fix=fix,
        slice_only=slice_only,
        period=args.period,
        discount=args.discount,
    )
    fig = draw_policy_slice(found) if slice_only else draw_policy(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=args.dpi)
    if args.json:
        print(json.dumps({"out": str(path), **found.to_dict()}, indent=2))
    else:
        first = found.first
        kind = "slice" if slice_only else "heatmap"
        axes = first.x if first.y is None else f"{first.x} x {first.y}"
        print(f"wrote {path} ({kind} of {', '.join(found.grids)} over {axes})")
    return 0
