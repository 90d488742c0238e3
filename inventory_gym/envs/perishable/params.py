"""Parameters, state, cost and flow types of the perishable problem (SCENARIOS.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from inventory_gym.core.problem import pipeline_length
from inventory_gym.core.validation import check_int, check_real, store
from inventory_gym.core.xp import Array
from inventory_gym.demand import DemandModel, demand_field

_OWNER = "PerishableParams"

ISSUING_RULES = ("FIFO", "LIFO")
"""FIFO issues the oldest units first, LIFO the freshest."""

DE_MOOR_DISCOUNT = 0.99
"""The discount factor of De Moor et al.'s instances (and of Farrington et al.'s metric). The
env returns per-period costs; the discount belongs to the objective (the exact solver and
the harness take it as an argument)."""


@dataclass(frozen=True)
class PerishableParams:
    """Age-structured perishable stock with lost sales (De Moor, Gijsbrechts & Boute 2022).

    Every field is validated on construction; a bad value raises a ``ValueError`` that names
    the field and the value. The defaults are De Moor et al.'s scenario A with m = 2, L = 1,
    w = 7 and FIFO issuing (optimal discounted return -1457 in Farrington et al.'s metric).
    """

    useful_life: int = 2
    """m: a unit arriving at the start of period t can be sold in periods t, ..., t + m - 1
    and expires at the end of period t + m - 1 if it is still on hand."""
    lead_time: int = 1
    """L >= 1: an order placed in period t serves demand from period t + L on."""
    issuing: str = "FIFO"
    """``"FIFO"`` (oldest units first) or ``"LIFO"`` (freshest first); case-insensitive."""
    unit_cost: float = 3.0
    """c: cost per unit ordered, charged when the order is placed."""
    lost_sales_cost: float = 5.0
    """p: cost per unit of demand that the stock cannot serve (lost)."""
    waste_cost: float = 7.0
    """w: cost per unit that expires (outdates)."""
    holding_cost: float = 1.0
    """h: cost per unit carried to the next period (units that expire are not held)."""
    demand: DemandModel | str = "gamma(4,0.5,100)"
    """Demand model or spec string (see ``inventory_gym.demand.make_demand``); De Moor's is
    gamma with mean 4 and coefficient of variation 0.5, rounded, capped at 100."""
    max_order: float = 10.0
    """Largest order per period."""

    def __post_init__(self) -> None:
        store(self, "useful_life", check_int(_OWNER, "useful_life", self.useful_life, low=1))
        store(self, "lead_time", check_int(_OWNER, "lead_time", self.lead_time, low=1))
        rule = self.issuing.upper() if isinstance(self.issuing, str) else None
        if rule not in ISSUING_RULES:
            raise ValueError(
                f"{_OWNER}: issuing must be one of {', '.join(ISSUING_RULES)}, got {self.issuing!r}"
            )
        object.__setattr__(self, "issuing", rule)
        for name in ("unit_cost", "lost_sales_cost", "waste_cost", "holding_cost"):
            check_real(_OWNER, name, getattr(self, name))
        object.__setattr__(self, "demand", demand_field(_OWNER, self.demand))
        store(self, "max_order", check_real(_OWNER, "max_order", self.max_order, strict=True))

    @property
    def pipeline_length(self) -> int:
        """Orders in transit in the state: ``L - 1``."""
        return pipeline_length(self.lead_time)

    @property
    def order_cap(self) -> float:
        """The largest order per period (``max_order``, as a float)."""
        return float(self.max_order)


class PerishableState(NamedTuple):
    """State at the start of a period, after this period's arrival."""

    stock: tuple[Array, ...]
    """Units on hand by remaining life, ``m`` arrays of shape (B,): ``stock[0]`` is the
    freshest class X_1 (m periods left), ``stock[-1]`` the class X_m that expires at the end of
    this period."""
    pipeline: tuple[Array, ...]
    """Orders in transit, ``L - 1`` arrays of shape (B,), the next to arrive first."""


class PerishableCosts(NamedTuple):
    """Cost components of one period, each of shape (B,)."""

    order_cost: Array
    lost_sales_cost: Array
    waste_cost: Array
    holding_cost: Array

    def total(self) -> Array:
        """The period's total cost."""
        return self.order_cost + self.lost_sales_cost + self.waste_cost + self.holding_cost


class PerishableFlows(NamedTuple):
    """Units moved in one period, each of shape (B,)."""

    sales: Array
    """Demand served from stock."""
    lost: Array
    """Demand lost: ``(D - sum X)^+``."""
    expired: Array
    """Units of the oldest class left after issuing: they expire at the end of the period."""
    held: Array
    """Units of the other classes left after issuing: carried to the next period."""
    arrivals: Array
    """Units that arrive at the start of the next period (the order placed L - 1 periods ago,
    or this period's order when L = 1)."""
