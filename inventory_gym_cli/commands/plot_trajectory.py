"""``inventory-gym plot-trajectory``: one simulated episode of a policy, period by period."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from inventory_gym_cli import options as o
from inventory_gym_cli.commands.plot_policy import out_path

DESCRIPTION = (
    "Simulate one episode of a policy in the evaluation harness's env (its "
    "demand path for --seed, its rounding of the decisions) and draw, on shared time "
    "axes: the stock at the start of each period (on hand, by age where the problem "
    "keeps ages, orders in transit and the inventory position), each decision, the "
    "demand with the units sold and lost (or backlogged, expired, removed), and the "
    "cost of each period by component. The numbers are the env's own (its "
    "observations and info)."
)

NAME = "plot-trajectory"

EXAMPLES = """\
examples:
  inventory-gym plot-trajectory LostSalesLeadTime-v0 --set lead_time=2 --policy base_stock
  inventory-gym plot-trajectory ProcurementRemoval-v0 --policy optimal --seed 3
  inventory-gym plot-trajectory LostSalesLeadTime-v0 --set "demand=seasonal(5,0.5,12)" \\
      --policy base_stock --periods 48 --out seasonal.png
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="draw one simulated episode of a policy: stock, decisions, demand, cost",
        description=textwrap.fill(DESCRIPTION, 90),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    o.add_instance_args(p, simulate=False)
    g = p.add_argument_group("the policy")
    g.add_argument("--policy", metavar="NAME", help="a named policy (see `inventory-gym list`)")
    g.add_argument(
        "--load",
        metavar="PATH",
        help="a saved policy, as `evaluate --load` reads it (a table from `solve`, a DBP or "
        "PPO policy from `train`)",
    )
    e = p.add_argument_group("the episode")
    e.add_argument(
        "--periods",
        # not `periods`, which the shared options fill with the harness's 1000 periods
        dest="length",
        metavar="N",
        type=int,
        default=None,
        help="periods drawn (default: the season of a seasonal problem, else 52)",
    )
    e.add_argument(
        "--burn-in",
        type=int,
        default=0,
        help="periods simulated first and not drawn (default 0: from the starting state)",
    )
    e.add_argument("--seed", type=int, default=0, help="seed of the demand path (default 0)")
    e.add_argument(
        "--out",
        metavar="FILE",
        help="the image to write (.png, .pdf or .svg; default <ENV>_trajectory.png here)",
    )
    e.add_argument("--dpi", type=int, default=100, help="resolution of a .png (default 100)")
    o.add_fit_args(p, "fitting of named heuristics")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    inst = o.instance_of(args)
    if (args.policy is None) == (args.load is None):
        raise o.CLIError("give exactly one of --policy NAME or --load PATH")
    if args.length is not None and args.length < 1:
        raise o.CLIError(f"--periods must be >= 1, got {args.length}")
    if args.burn_in < 0:
        raise o.CLIError(f"--burn-in must be >= 0, got {args.burn_in}")
    if args.dpi < 10:
        raise o.CLIError(f"--dpi must be >= 10, got {args.dpi}")
    path = out_path(args, inst, "trajectory")
    try:
        from baselines.plots import plot_trajectory, simulate_trajectory
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise o.CLIError(str(err)) from None
    if args.load:
        from inventory_gym_cli.commands.evaluate import load

        policy, note = load(inst, args.load)
        label = getattr(policy, "name", None) or args.load
        if note:
            o.say(args, f"{label}: {note}")
    else:
        policy = o.fit_named(args, inst, args.policy)
        label = args.policy
    traj = simulate_trajectory(
        policy, inst, periods=args.length, seed=args.seed, burn_in=args.burn_in, name=label
    )
    fig = plot_trajectory(policy, inst, seed=args.seed, trajectory=traj)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=args.dpi)
    if args.json:
        print(json.dumps({"out": str(path), **traj.to_dict()}, indent=2))
    else:
        print(
            f"wrote {path} ({label}, periods {traj.periods[0]}..{traj.periods[-1]}, seed "
            f"{args.seed}: mean cost per period {traj.cost.mean():.4f})"
        )
    return 0
