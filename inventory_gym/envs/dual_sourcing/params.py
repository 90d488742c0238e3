"""Parameters, state, cost and flow types of the dual-sourcing problem (SCENARIOS.md section 3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from inventory_gym.core.problem import pipeline_length
from inventory_gym.core.validation import check_int, check_real, store
from inventory_gym.core.xp import Array
from inventory_gym.demand import DemandModel, demand_field

_OWNER = "DualSourcingParams"

ORDER_CAP_QUANTILE = 0.9999
"""The default cap of each order is twice this quantile of one period's demand, rounded up."""


@dataclass(frozen=True)
class DualSourcingParams:
    """Two suppliers and backlog (Veeraraghavan & Scheller-Wolf 2008; Boettcher et al. 2023).

    Every field is validated on construction; a bad value raises a ``ValueError`` that names the
    field and the value. The defaults are Boettcher et al.'s instance with c_e = 10 (optimal
    average cost 19.73 per period).
    """

    regular_lead_time: int = 2
    """l_r: a regular order placed in period t arrives in period t + l_r (before demand)."""
    expedited_lead_time: int = 0
    """l_e < l_r: an expedited order placed in period t arrives in period t + l_e (0: at once,
    before this period's demand)."""
    regular_cost: float = 0.0
    """c_r: cost per unit ordered from the regular supplier."""
    expedited_cost: float = 10.0
    """c_e: cost per unit ordered from the expedited supplier."""
    holding_cost: float = 5.0
    """h: cost per unit of net inventory left at the end of a period."""
    backlog_cost: float = 495.0
    """b: cost per unit of backlog at the end of a period."""
    demand: DemandModel | str = "uniform(0,4)"
    """Demand model or spec string (see ``inventory_gym.demand.make_demand``)."""
    max_order: float | None = None
    """Largest order per supplier and period; ``None``: twice the ``ORDER_CAP_QUANTILE``
    quantile of one period's demand, rounded up (8 for the default demand)."""
    initial_inventory: float = 0.0
    """Net inventory at the start of an episode (negative: a backlog)."""

    def __post_init__(self) -> None:
        store(
            self,
            "regular_lead_time",
            check_int(_OWNER, "regular_lead_time", self.regular_lead_time, low=1),
        )
        store(
            self,
            "expedited_lead_time",
            check_int(_OWNER, "expedited_lead_time", self.expedited_lead_time),
        )
        if self.expedited_lead_time >= self.regular_lead_time:
            raise ValueError(
                f"{_OWNER}: expedited_lead_time must be below regular_lead_time="
                f"{self.regular_lead_time}, got {self.expedited_lead_time!r}"
            )
        for name in ("regular_cost", "expedited_cost", "holding_cost", "backlog_cost"):
            check_real(_OWNER, name, getattr(self, name))
        object.__setattr__(self, "demand", demand_field(_OWNER, self.demand))
        if self.max_order is not None:
            store(self, "max_order", check_real(_OWNER, "max_order", self.max_order, strict=True))
        store(
            self,
            "initial_inventory",
            check_real(_OWNER, "initial_inventory", self.initial_inventory, low=None),
        )

    @property
    def regular_pipeline_length(self) -> int:
        """Regular orders in transit in the state: ``l_r - 1``."""
        return pipeline_length(self.regular_lead_time)

    @property
    def expedited_pipeline_length(self) -> int:
        """Expedited orders in transit in the state: ``max(l_e - 1, 0)``."""
        return pipeline_length(self.expedited_lead_time)

    @property
    def order_cap(self) -> float:
        """The largest order per supplier and period: ``max_order`` or its default."""
        if self.max_order is not None:
            return float(self.max_order)
        return float(2 * max(1, math.ceil(self.demand.quantile(ORDER_CAP_QUANTILE))))


class DualSourcingState(NamedTuple):
    """State at the start of a period, after the arrivals of orders placed in earlier periods."""

    inventory: Array
    """Net inventory I, shape (B,); negative values are backlog."""
    regular: tuple[Array, ...]
    """Regular orders in transit, ``l_r - 1`` arrays of shape (B,), the next to arrive first."""
    expedited: tuple[Array, ...]
    """Expedited orders in transit, ``max(l_e - 1, 0)`` arrays, the next to arrive first."""


class DualSourcingCosts(NamedTuple):
    """Cost components of one period, each of shape (B,)."""

    regular_cost: Array
    expedited_cost: Array
    holding_cost: Array
    backlog_cost: Array

    def total(self) -> Array:
        """The period's total cost."""
        return self.regular_cost + self.expedited_cost + self.holding_cost + self.backlog_cost


class DualSourcingFlows(NamedTuple):
    """Units moved in one period, each of shape (B,)."""

    arrivals: Array
    """Units that arrived this period before demand (orders with lead time 0) plus those that
    arrive at the start of the next period (added to its net inventory)."""
    held: Array
    """Units on hand at the end of the period, (I')^+, charged the holding cost."""
    backlog: Array
    """Units backlogged at the end of the period, (I')^-, charged the backlog cost."""
