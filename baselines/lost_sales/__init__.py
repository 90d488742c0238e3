"""Lost-sales baselines: heuristics (:mod:`.heuristics`), exact DP (:mod:`.dp`) and the exact
projections of the stock they share (:mod:`.projection`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.lost_sales.params import LostSalesParams
from inventory_gym.evaluation import instance


def lost_sales_params(
    owner: str, env_id: str, env_kwargs: Mapping[str, Any] | None, *, discrete: bool
) -> LostSalesParams:
    """The lost-sales parameters of an env id, or a ``ValueError`` (from ``owner``) saying why
    not: another problem, or (``discrete=True``) a demand model without a pmf."""
    problem, params = instance(env_id, env_kwargs)
    if problem.name != "lost_sales":
        raise ValueError(
            f"{owner}: env_id {env_id!r} is a {problem.name!r} problem, not lost sales"
        )
    if discrete and not isinstance(params.demand, DiscreteDemand):
        raise ValueError(
            f"{owner}: needs a discrete (integer) demand model for its exact pmf, got "
            f"demand={params.demand}"
        )
    return params
