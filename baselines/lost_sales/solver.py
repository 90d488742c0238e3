"""The lost-sales exact solver, as the shared interface (:mod:`baselines.exact`) finds it."""

from __future__ import annotations

from typing import Any

from baselines.exact import ExactResult, ExactSolver
from baselines.lost_sales import dp
from inventory_gym.envs.lost_sales.env import LOST_SALES


class LostSalesSolver(ExactSolver):
    """Relative (or discounted) value iteration on Zipkin's bounds (:mod:`.dp`)."""

    problem = LOST_SALES
    grid = dp.StateGrid
    discounted = True

    def unsupported(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        return None

    def memory(self, params: Any, margin: int = 0) -> int:
        return dp.memory_needed(params, margin)

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        return dp.solve(params, discount=discount, margin=margin, progress=progress)

    def average_cost(self, params, policy) -> float:
        return dp.PolicyChain(params, policy, max_states=300_000).average_cost()


SOLVER = LostSalesSolver()
