"""Dual sourcing with backlog (SCENARIOS.md section 3)."""

from inventory_gym.envs.dual_sourcing.dynamics import initial_state, transition
from inventory_gym.envs.dual_sourcing.env import (
    DUAL_SOURCING,
    DualSourcingEnv,
    DualSourcingVectorEnv,
)
from inventory_gym.envs.dual_sourcing.params import (
    DualSourcingCosts,
    DualSourcingFlows,
    DualSourcingParams,
    DualSourcingState,
)

PROBLEM = DUAL_SOURCING
"""The problem descriptor (found by :mod:`inventory_gym.registration` by this name)."""

__all__ = [
    "DUAL_SOURCING",
    "PROBLEM",
    "DualSourcingCosts",
    "DualSourcingEnv",
    "DualSourcingFlows",
    "DualSourcingParams",
    "DualSourcingState",
    "DualSourcingVectorEnv",
    "initial_state",
    "transition",
]
