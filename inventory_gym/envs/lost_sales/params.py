"""Parameters, state, cost and flow types of the lost-sales problem (SCENARIOS.md section 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from inventory_gym.core.problem import pipeline_length
from inventory_gym.core.validation import check_int, check_real, store
from inventory_gym.core.xp import Array
from inventory_gym.demand import DemandModel, demand_field

_OWNER = "LostSalesParams"

ORDER_CAP_QUANTILE = 0.9999
"""The default order cap is this quantile of one period's demand, rounded up."""


@dataclass(frozen=True)
class LostSalesParams:
    """Parameters of a lost-sales inventory system (Zipkin 2008 conventions).

    Every field is validated on construction; a bad value raises a ``ValueError`` that names the
    field and the value.
    """

    lead_time: int = 4
    """L: an order placed in period t serves demand from period t + L on (L = 0: at once)."""
    holding_cost: float = 1.0
    """h: cost per unit left on hand at the end of a period."""
    lost_sales_cost: float = 9.0
    """p: cost per unit of demand that cannot be served (lost)."""
    unit_cost: float = 0.0
    """c: purchase cost per unit ordered, charged when the order is placed (0 in Zipkin)."""
    demand: DemandModel | str = "poisson(5)"
    """Demand model or spec string (see ``inventory_gym.demand.make_demand``)."""
    max_order: float | None = None
    """Largest order per period; ``None`` takes the ``ORDER_CAP_QUANTILE`` quantile of one
    period's demand, rounded up (it contains Zipkin's bound, the p/(p+h) fractile)."""
    initial_on_hand: float = 0.0
    """On-hand stock at the start of an episode."""
    initial_pipeline: tuple[float, ...] | None = None
    """Orders in transit at the start (``max(L - 1, 0)`` values, arriving soonest first);
    ``None`` for an empty pipeline."""

    def __post_init__(self) -> None:
        store(self, "lead_time", check_int(_OWNER, "lead_time", self.lead_time))
        store(self, "holding_cost", check_real(_OWNER, "holding_cost", self.holding_cost))
        store(self, "lost_sales_cost", check_real(_OWNER, "lost_sales_cost", self.lost_sales_cost))
        store(self, "unit_cost", check_real(_OWNER, "unit_cost", self.unit_cost))
        object.__setattr__(self, "demand", demand_field(_OWNER, self.demand))
        if self.max_order is not None:
            store(self, "max_order", check_real(_OWNER, "max_order", self.max_order, strict=True))
        store(self, "initial_on_hand", check_real(_OWNER, "initial_on_hand", self.initial_on_hand))
        if self.initial_pipeline is not None:
            pipeline = self.initial_pipeline
            if isinstance(pipeline, (str, bytes)) or not hasattr(pipeline, "__len__"):
                raise ValueError(
                    f"{_OWNER}: initial_pipeline must be a sequence of "
                    f"{self.pipeline_length} numbers, got {pipeline!r}"
                )
            if len(pipeline) != self.pipeline_length:
                raise ValueError(
                    f"{_OWNER}: initial_pipeline must hold lead_time - 1 = "
                    f"{self.pipeline_length} values, got {pipeline!r}"
                )
            values = tuple(
                check_real(_OWNER, f"initial_pipeline[{i}]", v) for i, v in enumerate(pipeline)
            )
            object.__setattr__(self, "initial_pipeline", values)

    @property
    def pipeline_length(self) -> int:
        """Number of orders in transit in the state: ``max(L - 1, 0)``."""
        return pipeline_length(self.lead_time)

    @property
    def order_cap(self) -> float:
        """The largest order per period: ``max_order`` or its default (see the field)."""
        if self.max_order is not None:
            return float(self.max_order)
        return float(max(1, math.ceil(self.demand.quantile(ORDER_CAP_QUANTILE))))

    @property
    def shortage_fractile(self) -> float:
        """``p / (p + h)``: the fractile of Zipkin's bounds, which ignore the purchase cost.
        (The critical ratio of the newsvendor with purchase cost ``c``, ``(p - c) / (p + h)``,
        is :func:`baselines.lost_sales.heuristics.critical_ratio`: one meaning per name.)"""
        total = self.lost_sales_cost + self.holding_cost
        return self.lost_sales_cost / total if total > 0 else 0.0


class LostSalesState(NamedTuple):
    """State at the start of a period, after the period's arrival."""

    on_hand: Array
    """y, shape (B,)."""
    pipeline: tuple[Array, ...]
    """(q_1, ..., q_{L-1}): ``max(L - 1, 0)`` arrays of shape (B,); q_1 arrives next period.
    A tuple of per-period arrays rather than one matrix, so that the shift of the pipeline
    moves references instead of copying, and a batch of one can be held as Python floats."""


class LostSalesCosts(NamedTuple):
    """Cost components of one period, each of shape (B,)."""

    purchase_cost: Array
    holding_cost: Array
    lost_sales_cost: Array

    def total(self) -> Array:
        """The period's total cost."""
        return self.purchase_cost + self.holding_cost + self.lost_sales_cost


class LostSalesFlows(NamedTuple):
    """Units moved in one period, each of shape (B,)."""

    sales: Array
    """Demand served: min(available stock, demand)."""
    lost: Array
    """Demand lost: (demand - available stock)^+."""
    arrivals: Array
    """Units that arrived and become on-hand stock for the next period (for L = 0, this
    period's order, which arrives before demand)."""
    held: Array
    """Units left on hand at the end of the period, charged the holding cost."""
