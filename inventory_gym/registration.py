"""The ``register()`` calls: every id with its entry points and defaults."""

from __future__ import annotations

import gymnasium as gym

from inventory_gym.core.vector import DEFAULT_MAX_EPISODE_STEPS

_LOST_SALES = "inventory_gym.envs.lost_sales.env"
_DUAL_SOURCING = "inventory_gym.envs.dual_sourcing.env"
_PERISHABLE = "inventory_gym.envs.perishable.env"

ENV_IDS: tuple[str, ...] = (
    "LostSales-v0",
    "LostSalesLeadTime-v0",
    "Perishable-v0",
    "DualSourcing-v0",
)
"""Every id this package registers."""


def register_envs() -> None:
    """Register the ids with Gymnasium (idempotent: ids already registered are left alone)."""
    registry = gym.envs.registry
    specs = {
        # Newsvendor-like lost sales, the order arrives before demand: L = 0, h = 1, p = 9,
        # c = 0, Poisson(5) demand. A base-stock policy is optimal (cost 4.2211 at S = 8).
        "LostSales-v0": dict(lead_time=0),
        # Zipkin (2008), Table 3, middle instance: L = 4, h = 1, p = 9, c = 0, Poisson(5)
        # demand; optimal long-run average cost 6.84.
        "LostSalesLeadTime-v0": dict(lead_time=4),
    }
    for env_id, kwargs in specs.items():
        if env_id in registry:
            continue
        gym.register(
            id=env_id,
            entry_point=f"{_LOST_SALES}:LostSalesEnv",
            vector_entry_point=f"{_LOST_SALES}:LostSalesVectorEnv",
            max_episode_steps=DEFAULT_MAX_EPISODE_STEPS,
            kwargs=dict(kwargs, holding_cost=1.0, lost_sales_cost=9.0, demand="poisson(5)"),
        )
    if "DualSourcing-v0" not in registry:
        # Boettcher et al. (2023): l_r = 2, l_e = 0, c_r = 0, c_e = 10, h = 5, b = 495, demand
        # uniform on {0, ..., 4}; optimal long-run average cost 19.73 (the parameters' defaults).
        gym.register(
            id="DualSourcing-v0",
            entry_point=f"{_DUAL_SOURCING}:DualSourcingEnv",
            vector_entry_point=f"{_DUAL_SOURCING}:DualSourcingVectorEnv",
            max_episode_steps=DEFAULT_MAX_EPISODE_STEPS,
        )
    if "Perishable-v0" not in registry:
        # De Moor et al. (2022), scenario A: m = 2, L = 1, FIFO, c = 3, p = 5, w = 7, h = 1,
        # rounded gamma demand (mean 4, cv 0.5), max order 10 (the parameters' defaults).
        # Optimal discounted return -1457 in Farrington et al.'s metric (gamma = 0.99).
        gym.register(
            id="Perishable-v0",
            entry_point=f"{_PERISHABLE}:PerishableEnv",
            vector_entry_point=f"{_PERISHABLE}:PerishableVectorEnv",
            max_episode_steps=DEFAULT_MAX_EPISODE_STEPS,
        )
