"""The dual-sourcing exact solver, as the shared interface (:mod:`baselines.exact`) finds it."""

from __future__ import annotations

from typing import Any

from baselines.dual_sourcing import dp
from baselines.exact import ExactResult, ExactSolver, ScalingCase
from inventory_gym.envs.dual_sourcing.env import DUAL_SOURCING


class DualSourcingSolver(ExactSolver):
    """Relative value iteration for the average cost, ``expedited_lead_time=0`` (:mod:`.dp`)."""

    problem = DUAL_SOURCING
    grid = dp.Grid

    def unsupported(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        if params.expedited_lead_time != 0:
            return "the DP solves expedited_lead_time=0 only"
        if params.order_cap != int(params.order_cap):
            return "the DP needs an integer max_order"
        return None

    def memory(self, params: Any, margin: int = 0) -> int:
        return dp.memory_needed(params, dp.default_grid(params, margin=margin))

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        if discount is not None:
            raise ValueError("the dual-sourcing DP is for the average cost (no discount)")
        return dp.solve(params, dp.default_grid(params, margin=margin), progress=progress)

    def average_cost(self, params, policy) -> float:
        return dp.policy_cost(params, policy)

    def scaling_series(self) -> tuple[ScalingCase, ...]:
        """The default instance (c_e = 10) at regular lead times 1 to 4."""
        return tuple(
            ScalingCase(f"l_r={lead}", "DualSourcing-v0", {"regular_lead_time": lead})
            for lead in range(1, 5)
        )


SOLVER = DualSourcingSolver()
