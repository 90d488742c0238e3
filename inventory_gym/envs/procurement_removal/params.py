"""Parameters, state, cost and flow types of joint procurement and removal (SCENARIOS.md
section 4)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

from inventory_gym.core.problem import pipeline_length
from inventory_gym.core.validation import check_int, check_real, store
from inventory_gym.core.xp import Array
from inventory_gym.demand import DemandModel, demand_field

_OWNER = "ProcurementRemovalParams"

ORDER_CAP_QUANTILE = 0.9999
"""The default cap of an order is twice this quantile of one period's demand, rounded up."""


@dataclass(frozen=True)
class ProcurementRemovalParams:
    """A selling season of lost sales in which stock can also be removed for a salvage value.

    Every field is validated on construction; a bad value raises a ``ValueError`` that names
    the field and the value. The defaults are the default instance of SCENARIOS.md section 4.
    """

    season_length: int = 52
    """T: periods in the season (an episode). At the end of period T the stock left, on hand
    and in transit, is salvaged at ``salvage_value`` per unit."""
    lead_time: int = 0
    """L: an order placed in period t arrives in period t + L (0: at once, before demand)."""
    unit_cost: float = 5.0
    """c: cost per unit ordered."""
    salvage_value: float = 3.0
    """s < c: value per unit removed (returned or liquidated), and per unit left at the end."""
    holding_cost: float = 2.0
    """h: cost per unit on hand at the end of a period."""
    lost_sales_cost: float = 10.0
    """p: cost per unit of demand lost."""
    demand: DemandModel | str = "regime(12,3,26)"
    """Demand model or spec string; the default's mean is 12 before period 26 and 3 from it."""
    max_order: float | None = None
    """Largest order per period; ``None``: twice the ``ORDER_CAP_QUANTILE`` quantile of one
    period's demand, rounded up (52 for the default demand)."""
    max_removal: float | None = None
    """Cap on the units removed per period; ``None``: no cap but the stock on hand (the
    action box then reaches :attr:`stock_cap`)."""
    initial_stock: float | tuple[int, int] = (0, 100)
    """Stock on hand at the start of an episode: a number, or ``(low, high)``: uniform on the
    integers ``low .. high``, drawn per episode (the default: uniform on 0 .. 100)."""

    def __post_init__(self) -> None:
        store(self, "season_length", check_int(_OWNER, "season_length", self.season_length, low=1))
        store(self, "lead_time", check_int(_OWNER, "lead_time", self.lead_time))
        for name in ("unit_cost", "salvage_value", "holding_cost", "lost_sales_cost"):
            store(self, name, check_real(_OWNER, name, getattr(self, name)))
        if not self.salvage_value < self.unit_cost:
            raise ValueError(
                f"{_OWNER}: salvage_value must be below unit_cost={self.unit_cost:g} (else "
                f"buying to remove pays), got {self.salvage_value!r}"
            )
        object.__setattr__(self, "demand", demand_field(_OWNER, self.demand))
        if self.max_order is not None:
            store(self, "max_order", check_real(_OWNER, "max_order", self.max_order, strict=True))
        if self.max_removal is not None:
            store(
                self,
                "max_removal",
                check_real(_OWNER, "max_removal", self.max_removal, strict=True),
            )
        store(self, "initial_stock", _check_stock(self.initial_stock))

    @property
    def pipeline_length(self) -> int:
        """Orders in transit in the state: ``max(L - 1, 0)``."""
        return pipeline_length(self.lead_time)

    @property
    def order_cap(self) -> float:
        """The largest order per period: ``max_order`` or its default."""
        if self.max_order is not None:
            return float(self.max_order)
        return float(2 * max(1, math.ceil(self.demand.quantile(ORDER_CAP_QUANTILE))))

    @property
    def stock_range(self) -> tuple[float, float]:
        """The lowest and highest starting stock."""
        if isinstance(self.initial_stock, tuple):
            return float(self.initial_stock[0]), float(self.initial_stock[1])
        return float(self.initial_stock), float(self.initial_stock)

    @property
    def random_start(self) -> bool:
        """Whether the starting stock is drawn per episode."""
        return (
            isinstance(self.initial_stock, tuple) and self.initial_stock[0] < self.initial_stock[1]
        )

    @property
    def stock_cap(self) -> float:
        """The highest stock the removal box covers without a cap (and the top of the exact
        DP's grid): the larger of the highest starting stock and twice the order cap."""
        return float(max(self.stock_range[1], 2 * self.order_cap))

    @property
    def removal_cap(self) -> float:
        """The static upper bound of a removal: ``max_removal`` or :attr:`stock_cap`."""
        return float(self.max_removal) if self.max_removal is not None else self.stock_cap


def _check_stock(value: object) -> float | tuple[int, int]:
    if isinstance(value, (tuple, list)):
        ok = len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
        )
        if not ok or not 0 <= value[0] <= value[1]:
            raise ValueError(
                f"{_OWNER}: initial_stock must be a number >= 0 or a pair of integers (low, high) "
                f"with 0 <= low <= high, got {value!r}"
            )
        return (int(value[0]), int(value[1]))
    return check_real(_OWNER, "initial_stock", value)


class ProcurementRemovalState(NamedTuple):
    """State at the start of a period, after its arrival."""

    on_hand: Array
    """Stock on hand y, shape (B,)."""
    pipeline: tuple[Array, ...]
    """Orders in transit, ``max(L - 1, 0)`` arrays of shape (B,), the next to arrive first."""
    time_left: Array
    """Periods left in the season, this one included (T at the start, 1 in the last period,
    0 past the season's end)."""


class ProcurementRemovalCosts(NamedTuple):
    """Cost components of one period, each of shape (B,); revenues are negative costs."""

    purchase_cost: Array
    """c z."""
    removal_cost: Array
    """-s r: the salvage value of the units removed."""
    holding_cost: Array
    lost_sales_cost: Array
    salvage_cost: Array
    """-s (stock left at the end of the season), in the season's last period; 0 otherwise."""

    def total(self) -> Array:
        """The period's total cost."""
        return (
            self.purchase_cost
            + self.removal_cost
            + self.holding_cost
            + self.lost_sales_cost
            + self.salvage_cost
        )


class ProcurementRemovalFlows(NamedTuple):
    """Units moved in one period, each of shape (B,)."""

    sales: Array
    lost: Array
    removed: Array
    """Units removed from the stock on hand this period."""
    held: Array
    """Units on hand at the end of the period (charged the holding cost)."""
    arrivals: Array
    """Units that arrived: today's order with L = 0, else the one that arrives next period."""
    salvaged: Array
    """Units salvaged at the end of the season (on hand and in transit), else 0."""
