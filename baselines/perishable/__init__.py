"""Baselines of Perishable-v0: heuristics (:mod:`.heuristics`) and the exact DP (:mod:`.dp`)."""

from __future__ import annotations

from typing import Any


def policies() -> list[Any]:
    """The named policies of the problem, in the order the comparison lists them
    (found by :func:`baselines.registry.entries`)."""
    from baselines.perishable import dp
    from baselines.perishable import heuristics as h
    from baselines.registry import PolicyEntry

    return [
        PolicyEntry(
            "optimal",
            "perishable",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration over every state",
            True,
        ),
        PolicyEntry(
            "base_stock",
            "perishable",
            h.fit_base_stock,
            "order up to S on the inventory position; S searched by simulation",
        ),
        PolicyEntry(
            "bsp_low_ew",
            "perishable",
            h.fit_bsp_low_ew,
            "BSP-low-EW (Haijema & Minner 2019): two slopes in the position, plus expected waste",
        ),
        PolicyEntry(
            "waste_conscious",
            "perishable",
            h.fit_waste_conscious,
            "order up to S, plus the expiring stock above the mean demand (Hendrix et al. 2019)",
        ),
    ]
