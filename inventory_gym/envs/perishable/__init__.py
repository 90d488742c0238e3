"""Perishable inventory with lost sales and FIFO/LIFO issuing (SCENARIOS.md section 2)."""

from inventory_gym.envs.perishable.dynamics import initial_state, issue, transition
from inventory_gym.envs.perishable.env import PERISHABLE, PerishableEnv, PerishableVectorEnv
from inventory_gym.envs.perishable.params import (
    DE_MOOR_DISCOUNT,
    ISSUING_RULES,
    PerishableCosts,
    PerishableFlows,
    PerishableParams,
    PerishableState,
)

PROBLEM = PERISHABLE
"""The problem descriptor (found by :mod:`inventory_gym.registration` by this name)."""

__all__ = [
    "DE_MOOR_DISCOUNT",
    "ISSUING_RULES",
    "PERISHABLE",
    "PROBLEM",
    "PerishableCosts",
    "PerishableEnv",
    "PerishableFlows",
    "PerishableParams",
    "PerishableState",
    "PerishableVectorEnv",
    "initial_state",
    "issue",
    "transition",
]
