"""The lost-sales exact solver, as the shared interface (:mod:`baselines.exact`) finds it."""

from __future__ import annotations

from typing import Any

from baselines.exact import ExactResult, ExactSolver, ScalingCase
from baselines.lost_sales import dp, horizon
from baselines.tables import TablePolicy
from inventory_gym.demand import Seasonal
from inventory_gym.envs.lost_sales.env import LOST_SALES


class LostSalesSolver(ExactSolver):
    """Relative (or discounted) value iteration on Zipkin's bounds (:mod:`.dp`); for demand
    whose law changes over time (:mod:`.horizon`), the periodic DP of a seasonal model and the
    finite-horizon DP over the model's reference periods for the others (a life cycle, a
    regime switch, a trend)."""

    problem = LOST_SALES
    grid = dp.StateGrid
    discounted = True

    def unsupported(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        if not params.demand.is_stationary:
            try:
                params.demand.pmf_at(0)
            except ValueError:
                return f"the DP needs a known law per period, not demand={params.demand}"
        return None

    def memory(self, params: Any, margin: int = 0) -> int:
        if not params.demand.is_stationary:
            return horizon._memory(self._horizon_grid(params, margin))
        return dp.memory_needed(params, margin)

    @staticmethod
    def _horizon_grid(params: Any, margin: int) -> horizon.HorizonGrid:
        model = params.demand
        if isinstance(model, Seasonal):
            return horizon.make_grid(params, model.period, margin=margin, cyclic=True)
        periods = int(getattr(model, "reference_periods", 0)) or 52
        return horizon.make_grid(params, periods, margin=margin)

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        if params.demand.is_stationary:
            return dp.solve(params, discount=discount, margin=margin, progress=progress)
        if discount is not None:
            raise ValueError(
                f"demand={params.demand} changes over time: its DP is the undiscounted "
                "finite-horizon (or periodic) one; drop the discount"
            )
        if isinstance(params.demand, Seasonal):
            return horizon.solve_periodic(params, margin=margin)
        return horizon.solve(params, margin=margin)

    def average_cost(self, params, policy) -> float:
        if not params.demand.is_stationary:
            raise ValueError("no long-run average cost of a policy under time-varying demand")
        return dp.PolicyChain(params, policy, max_states=300_000).average_cost()

    def load(self, header: dict[str, Any], arrays: dict[str, Any]) -> TablePolicy:
        if "periods" in header.get("grid", {}):
            return horizon.HorizonPolicy.from_file(horizon.HorizonGrid, header, arrays)
        return super().load(header, arrays)

    def scaling_series(self) -> tuple[ScalingCase, ...]:
        """Zipkin's p = 39 (Poisson(5)) at lead times 1 to 6: 31 to 7.7 million states."""
        return tuple(
            ScalingCase(
                f"p=39 L={lead}", "LostSalesLeadTime-v0", {"lead_time": lead, "lost_sales_cost": 39}
            )
            for lead in range(1, 7)
        )


SOLVER = LostSalesSolver()
