"""The commands of ``inventory-gym``, one module each.

Each module has ``NAME``, ``add_parser(subparsers)`` (its options, with ``func`` set to its
``run(args) -> exit status``) and ``run``. :data:`COMMANDS` is their order in ``--help``.
"""

COMMANDS = (
    "list",
    "evaluate",
    "solve",
    "train",
    "compare",
    "benchmark",
    "backtest",
    "order",
    "plot_policy",
    "plot_trajectory",
)
