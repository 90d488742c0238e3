"""Lost sales with and without lead time (SCENARIOS.md section 1)."""

from inventory_gym.envs.lost_sales.dynamics import initial_state, transition
from inventory_gym.envs.lost_sales.env import LOST_SALES, LostSalesEnv, LostSalesVectorEnv
from inventory_gym.envs.lost_sales.params import (
    LostSalesCosts,
    LostSalesFlows,
    LostSalesParams,
    LostSalesState,
)

PROBLEM = LOST_SALES
"""The problem descriptor (found by :mod:`inventory_gym.registration` by this name)."""

__all__ = [
    "LOST_SALES",
    "PROBLEM",
    "LostSalesCosts",
    "LostSalesEnv",
    "LostSalesFlows",
    "LostSalesParams",
    "LostSalesState",
    "LostSalesVectorEnv",
    "initial_state",
    "transition",
]
