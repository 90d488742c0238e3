"""The perishable exact solver, as the shared interface (:mod:`baselines.exact`) finds it."""

from __future__ import annotations

from typing import Any

from baselines.exact import ExactResult, ExactSolver, ScalingCase
from baselines.perishable import dp
from inventory_gym.envs.perishable.env import PERISHABLE
from inventory_gym.envs.perishable.params import DE_MOOR_DISCOUNT


class PerishableSolver(ExactSolver):
    """Policy iteration (discounted) or relative value iteration on every integer state, and
    Farrington et al.'s finite-horizon metric from the policy's chain (:mod:`.dp`)."""

    problem = PERISHABLE
    grid = dp.Grid
    discounted = True
    finite_horizon = True

    def unsupported(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        if params.order_cap != int(params.order_cap):
            return "the DP needs an integer max_order"
        return None

    def memory(self, params: Any, margin: int = 0) -> int:
        return dp.memory_needed(params)

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        return dp.solve(params, discount=discount, progress=progress)

    def average_cost(self, params, policy) -> float:
        return dp.PolicyModel(params, policy).average_cost()

    def horizon_cost(self, params, policy, *, discount, burn_in, periods) -> float:
        value = dp.PolicyModel(params, policy).farrington(discount, burn_in, periods)
        return value.mean

    def scaling_series(self) -> tuple[ScalingCase, ...]:
        """De Moor's scenario A, FIFO, w = 7, from m = 2, L = 1 (121 states) to m = 5, L = 2
        (1.77 million), discounted (gamma 0.99)."""
        return tuple(
            ScalingCase(
                f"m={m} L={lead}",
                "Perishable-v0",
                {"useful_life": m, "lead_time": lead, "issuing": "FIFO", "waste_cost": 7.0},
                discount=DE_MOOR_DISCOUNT,
            )
            for m, lead in ((2, 1), (3, 1), (4, 1), (5, 1), (5, 2))
        )


SOLVER = PerishableSolver()
