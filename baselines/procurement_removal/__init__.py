"""Baselines of ProcurementRemoval-v0: the exact season DP (:mod:`.dp`) and interval-policy
heuristics (:mod:`.heuristics`)."""

from __future__ import annotations

from typing import Any


def fit_optimal(env_id: str = "ProcurementRemoval-v0", env_kwargs: Any = None, config: Any = None):
    """The optimal policy of the instance (for the registry): the DP's table."""
    from baselines.procurement_removal import dp
    from inventory_gym.evaluation import instance

    _, params = instance(env_id, env_kwargs)
    return dp.solve(params).policy()


def policies() -> list[Any]:
    """The named policies of the problem, in the order the comparison lists them."""
    from baselines.procurement_removal import heuristics as h
    from baselines.registry import PolicyEntry

    name = "procurement_removal"
    return [
        PolicyEntry("optimal", name, fit_optimal, "exact finite-horizon DP (L = 0, 1)", True),
        PolicyEntry(
            "interval",
            name,
            h.fit_interval,
            "order up to S_lo(t), remove down to S_hi(t): demand quantiles, ratios fitted",
        ),
        PolicyEntry(
            "never_remove",
            name,
            h.fit_never_remove,
            "the best policy that never removes (DP; for L = 0 a base stock per period)",
        ),
        PolicyEntry(
            "myopic", name, h.fit_myopic, "one-period newsvendor order-up-to and remove-down-to"
        ),
    ]
