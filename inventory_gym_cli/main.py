"""The ``inventory-gym`` command line: list the envs, evaluate, solve, train, compare and draw
policies, benchmark algorithms over suites, backtest and order from sales files.

Every number it prints comes from the evaluation harness (:mod:`inventory_gym.evaluation`) on
common random numbers, and from the exact solvers in :mod:`baselines`. Each command is a module
of :mod:`inventory_gym_cli.commands`; ``compare`` and the benchmarks share one pipeline
(:mod:`inventory_gym_cli.pipeline`). Run ``inventory-gym COMMAND --help`` for the options of
each command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from inventory_gym.threads import set_threads
from inventory_gym_cli.artifacts import ArtifactError
from inventory_gym_cli.commands import COMMANDS
from inventory_gym_cli.options import (
    PROG,
    CLIError,
    check_args,
    parse_sets,
    parse_value,
    threads,
)

__all__ = ["PROG", "CLIError", "build_parser", "main", "parse_sets", "parse_value"]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=(
            "Inventory-control environments and baselines: list the registered envs, evaluate "
            "a heuristic, solve an instance exactly, train a policy network, compare every "
            "method on common random numbers, benchmark RL algorithms over a suite of "
            "instances with known optima, backtest and order from a sales file, or draw a "
            "policy and an episode. Env parameters are set with --set key=value (see "
            "`inventory-gym list`)."
        ),
        epilog=(
            f"Example: {PROG} compare LostSalesLeadTime-v0 --set lead_time=1 "
            "--set lost_sales_cost=4"
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"inventory_gym_cli.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # what was asked for, to print a command that continues it
    check_args(parser, args)
    # One explicit thread count for torch and BLAS before any heavy work (default 1).
    set_threads(threads(args))
    try:
        return args.func(args)
    except (CLIError, ArtifactError, ValueError, FileNotFoundError) as err:
        parser.exit(2, f"{PROG}: error: {err}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{PROG}: interrupted\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
