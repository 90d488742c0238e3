"""The kinds of policy network, and which problems each one fits (no torch needed to read them).

A structure-informed network builds the shape of a problem's optimal policy into its
architecture, so it fits only the problems that have that shape. Each kind says which, from
what the problem declares (its action size, its inventory position, the name of its
:class:`~inventory_gym.core.problem.Structure`); training a kind on a problem it does not fit is
an error that says why. The command line takes its choices from :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Kind:
    """One kind of policy network."""

    name: str
    summary: str
    """One line for ``--help``."""
    fits: Callable[[Any, Any], str | None]
    """``fits(problem, params)``: why the kind does not fit the instance, or ``None``."""


def _any(problem: Any, params: Any) -> str | None:
    return None


def _one_order_on_the_position(problem: Any, params: Any) -> str | None:
    if problem.action_dim != 1:
        return f"it places one order per period; {problem.name} has {problem.action_dim} decisions"
    weights = problem.position_weights(params)
    if weights is None or not np.allclose(weights, 1.0):
        return (
            f"it orders up to a level of the inventory position taken as the sum of the state "
            f"features, which {problem.name} does not declare"
        )
    return None


def _pipeline_monotone(problem: Any, params: Any) -> str | None:
    reason = _one_order_on_the_position(problem, params)
    if reason is not None:
        return reason
    structure = problem.structure
    if structure is None or structure.name != "pipeline_monotone":
        declared = f"'{structure.name}'" if structure is not None else "none"
        return (
            "it builds in the 'pipeline_monotone' structure (order decreasing in every state "
            "feature, more in recent orders than in stock on hand, features ordered oldest to "
            f"newest); {problem.name} declares {declared}"
        )
    return None


def _interval(problem: Any, params: Any) -> str | None:
    structure = problem.structure
    if structure is None or structure.name != "interval":
        declared = f"'{structure.name}'" if structure is not None else "none"
        return (
            "it builds in the 'interval' structure (order up to a low level, remove down to a "
            f"high level: two decisions, order then remove); {problem.name} declares {declared}"
        )
    weights = problem.position_weights(params)
    if problem.action_dim != 2 or weights is None or weights[-1] != 0 or weights[:-1].min() != 1:
        return (
            "it reads the inventory position as every state feature but the last, which is the "
            f"clock (time left); {problem.name} does not lay its state out so"
        )
    return None


KIND_LIST: tuple[Kind, ...] = (
    Kind(
        "mlp",
        "a plain MLP over the state, history and static features",
        _any,
    ),
    Kind(
        "base_stock",
        "the network outputs a base-stock level S and orders (S - IP)^+",
        _one_order_on_the_position,
    ),
    Kind(
        "capped_base_stock",
        "the network outputs S and a cap r and orders min((S - IP)^+, r)",
        _one_order_on_the_position,
    ),
    Kind(
        "monotone",
        "order decreasing in the state, more in recent orders (lost-sales structure)",
        _pipeline_monotone,
    ),
    Kind(
        "interval",
        "levels S_lo <= S_hi from the clock and context: order up to S_lo, remove down to S_hi",
        _interval,
    ),
)

KINDS: tuple[str, ...] = tuple(kind.name for kind in KIND_LIST)
"""The names of the kinds."""


def kind(name: str) -> Kind:
    """The kind of a name.

    Raises:
        ValueError: for an unknown name (the message lists the kinds).
    """
    for found in KIND_LIST:
        if found.name == name:
            return found
    raise ValueError(f"policy kind must be one of {KINDS}, got {name!r}")


def check_fits(name: str, problem: Any, params: Any) -> None:
    """Raise a ``ValueError`` saying why kind ``name`` does not fit the instance, if it does not."""
    reason = kind(name).fits(problem, params)
    if reason is not None:
        fitting = [k.name for k in KIND_LIST if k.fits(problem, params) is None]
        raise ValueError(
            f"the {name!r} network does not fit the {problem.name} problem: {reason}; "
            f"kinds that fit: {', '.join(fitting)}"
        )
