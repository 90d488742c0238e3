"""Options shared by the commands that read a sales file (``train --data``, ``backtest``,
``order``): the panel's files, the instance a backtest runs, dates as period indices."""

from __future__ import annotations

import argparse
from typing import Any

from inventory_gym_cli import options as o


def add_data_args(
    p: argparse.ArgumentParser, *, required: bool, master: bool = True, initial: bool = False
) -> None:
    g = p.add_argument_group("demand panel (a sales history; pandas: pip install '.[data]')")
    g.add_argument(
        "--data",
        metavar="SALES.csv",
        required=required,
        help="sales file: wide (id columns, then one column per period labelled by its date) "
        "or long (id columns, date, quantity)",
    )
    g.add_argument(
        "--in-stock",
        metavar="F",
        help="in-stock flags of the same shape (False: out of stock, the sales are censored)",
    )
    if master:
        g.add_argument("--master", metavar="F", help="static attributes per series (id columns)")
    if initial:
        g.add_argument(
            "--initial-state",
            metavar="F",
            help="start state per series (VN2's initial_state.csv layout: on hand = End "
            "Inventory + In Transit W+1, q_l = In Transit W+(l+1)); default: empty",
        )


def load_panel(args: argparse.Namespace) -> Any:
    from inventory_gym.data import read_panel

    panel = read_panel(args.data, in_stock=args.in_stock, master=getattr(args, "master", None))
    for note in panel.notes:
        o.say(args, f"note: {note}")
    return panel


def panel_instance(args: argparse.Namespace, panel: Any) -> Any:
    """The instance of ``ENV --set ...`` for a panel (:func:`backtest_instance`)."""
    from inventory_gym.data.backtest import backtest_instance

    o.instance_of(args)  # the one-line errors of a bad id or keyword
    return backtest_instance(args.env, o.parse_sets(args.set), panel)


def period(panel: Any, date: str, flag: str) -> int:
    """The index of the period labelled ``date``, or a one-line error."""
    try:
        return panel.index(date)
    except ValueError as err:
        raise o.CLIError(f"{flag}: {err}") from None
