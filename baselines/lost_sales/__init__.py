"""Lost-sales baselines: heuristics (:mod:`.heuristics`), exact DP (:mod:`.dp`) and the exact
projections of the stock they share (:mod:`.projection`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.lost_sales.params import LostSalesParams
from inventory_gym.evaluation import instance_params


def lost_sales_params(
    owner: str, env_id: str, env_kwargs: Mapping[str, Any] | None, *, discrete: bool
) -> LostSalesParams:
    """The lost-sales parameters of an env id, or a ``ValueError`` (from ``owner``) saying why
    not: another problem, or (``discrete=True``) a demand model without a pmf."""
    params = instance_params(owner, env_id, env_kwargs, "lost_sales")
    if discrete and not isinstance(params.demand, DiscreteDemand):
        raise ValueError(
            f"{owner}: needs a discrete (integer) demand model for its exact pmf, got "
            f"demand={params.demand}"
        )
    return params


def policies() -> list[Any]:
    """The named policies of the problem, in the order the comparison lists them
    (found by :func:`baselines.registry.entries`)."""
    from baselines.lost_sales import dp
    from baselines.lost_sales import heuristics as h
    from baselines.registry import PolicyEntry

    return [
        PolicyEntry(
            "optimal",
            "lost_sales",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration (Zipkin's bounds)",
            True,
        ),
        PolicyEntry(
            "myopic1",
            "lost_sales",
            h.fit_myopic1,
            "minimises the expected cost of the period the order arrives in",
        ),
        PolicyEntry(
            "myopic2",
            "lost_sales",
            dp.fit_myopic2,
            "first decision of the two-period myopic problem (Zipkin 2008)",
        ),
        PolicyEntry(
            "base_stock",
            "lost_sales",
            h.fit_base_stock,
            "order up to S on the inventory position; S searched by simulation",
        ),
        PolicyEntry(
            "capped_base_stock",
            "lost_sales",
            h.fit_capped_base_stock,
            "base-stock with an order cap r (Xin 2021); S, r searched by simulation",
        ),
        PolicyEntry(
            "standard_vector_base_stock",
            "lost_sales",
            h.fit_standard_vector_base_stock,
            "Morton's vector base-stock with critical-fractile targets",
        ),
        PolicyEntry(
            "better_vector_base_stock",
            "lost_sales",
            h.fit_better_vector_base_stock,
            "vector base-stock with the targets' fractile tuned by simulation",
        ),
        PolicyEntry(
            "projected_inventory_level",
            "lost_sales",
            h.fit_projected_inventory_level,
            "order up to a target of the expected stock at arrival (van Jaarsveld-Arts)",
        ),
        PolicyEntry(
            "constant_order",
            "lost_sales",
            h.fit_constant_order,
            "the same (real) quantity every period, tuned by simulation",
        ),
    ]
