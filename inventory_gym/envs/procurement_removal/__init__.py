"""Joint procurement and removal over a selling season (SCENARIOS.md section 4)."""

from inventory_gym.envs.procurement_removal.dynamics import initial_state, transition
from inventory_gym.envs.procurement_removal.env import (
    ENV_ID,
    PROCUREMENT_REMOVAL,
    ProcurementRemovalEnv,
    ProcurementRemovalVectorEnv,
)
from inventory_gym.envs.procurement_removal.params import (
    ProcurementRemovalCosts,
    ProcurementRemovalFlows,
    ProcurementRemovalParams,
    ProcurementRemovalState,
)

PROBLEM = PROCUREMENT_REMOVAL
"""The problem descriptor (found by :mod:`inventory_gym.registration` by this name)."""

__all__ = [
    "ENV_ID",
    "PROBLEM",
    "PROCUREMENT_REMOVAL",
    "ProcurementRemovalCosts",
    "ProcurementRemovalEnv",
    "ProcurementRemovalFlows",
    "ProcurementRemovalParams",
    "ProcurementRemovalState",
    "ProcurementRemovalVectorEnv",
    "initial_state",
    "transition",
]
