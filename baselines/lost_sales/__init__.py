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
