"""``inventory-gym order``: the next order of every series of a sales file, ready to submit.

The decision is the one of the period after the file's last: the policy sees the state (from
``--initial-state``, or empty) and the whole history, as in ``inventory-gym backtest``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inventory_gym_cli import options as o

NAME = "order"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from baselines.backtest import BACKTEST_POLICIES, BOUNDS, describe_policies
    from inventory_gym_cli.data import add_data_args

    p = sub.add_parser(
        NAME,
        help="the next order of every series of a sales file, written as a CSV",
        description="Compute the order of the period after the last one of the sales file for "
        f"every series, with a named policy ({describe_policies(bounds=False)}); and write "
        "the id columns and one column of "
        "orders (labelled by that period's date) to --out.",
    )
    p.add_argument("env", metavar="ENV", help="registered env id, e.g. LostSalesLeadTime-v0")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="env keyword override")
    add_data_args(p, required=True, initial=True)
    p.add_argument(
        "--policy",
        required=True,
        help=f"the policy: {', '.join(n for n in BACKTEST_POLICIES if n not in BOUNDS)}",
    )
    p.add_argument("--load", metavar="DIR", help="trained policy directory (for dbp)")
    p.add_argument("--out", required=True, metavar="ORDERS.csv", help="where to write the orders")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    o.add_threads(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import json

    from baselines.backtest import BOUNDS
    from inventory_gym.data.backtest import (
        InitialState,
        decide,
        policy_inputs,
        read_initial_state,
    )
    from inventory_gym.data.backtest import _dates as period_dates
    from inventory_gym_cli.commands.backtest import build_policies, write_orders
    from inventory_gym_cli.data import load_panel, panel_instance

    if args.policy in BOUNDS:
        raise o.CLIError(f"--policy {args.policy}: a bound that needs the future, not a policy")
    panel = load_panel(args)
    inst = panel_instance(args, panel)
    lead = int(getattr(inst.params, "lead_time", 0))
    t = panel.periods
    policy = build_policies([args.policy], inst, t, args.load)[args.policy]
    initial = (
        read_initial_state(args.initial_state, panel, lead)
        if args.initial_state
        else InitialState.empty(panel.n_series, lead)
    )
    state = inst.problem.state_from_columns((initial.on_hand, *initial.pipeline.T), inst.params)
    try:
        orders = decide(policy, policy_inputs(policy), panel, inst, state, t, t)[:, None]
    except ValueError as err:
        raise o.CLIError(str(err)) from None
    day = period_dates(panel, t, 0)[0]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_orders(out, panel, orders, [day])
    summary = {
        "policy": args.policy,
        "period": str(day),
        "series": panel.n_series,
        "units": int(orders.sum()),
        "out": str(out),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{args.policy}: orders of {summary['units']} units for {panel.n_series} series in "
            f"the period {day}, written to {out}"
        )
    return 0
