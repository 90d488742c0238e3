"""Baselines of DualSourcing-v0: index heuristics (:mod:`.heuristics`) and the exact DP
(:mod:`.dp`)."""

from __future__ import annotations

from typing import Any


def policies() -> list[Any]:
    """The named policies of the problem, in the order the comparison lists them
    (found by :func:`baselines.registry.entries`)."""
    from baselines.dual_sourcing import dp
    from baselines.dual_sourcing import heuristics as h
    from baselines.registry import PolicyEntry

    return [
        PolicyEntry(
            "optimal",
            "dual_sourcing",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration (l_e = 0)",
            True,
        ),
        PolicyEntry(
            "capped_dual_index",
            "dual_sourcing",
            h.fit_capped_dual_index,
            "expedite up to S_e, regular up to S_r capped at r (Sun & Van Mieghem 2019)",
        ),
        PolicyEntry(
            "dual_index",
            "dual_sourcing",
            h.fit_dual_index,
            "expedite up to S_e on the expedited position, regular up to S_r on the full one",
        ),
        PolicyEntry(
            "tailored_base_surge",
            "dual_sourcing",
            h.fit_tailored_base_surge,
            "a constant regular order r, expedite up to S (Allon & Van Mieghem 2010)",
        ),
        PolicyEntry(
            "single_index",
            "dual_sourcing",
            h.fit_single_index,
            "both orders on the full inventory position: expedite up to S_e, regular up to S_r",
        ),
    ]
