"""The procurement-and-removal exact solver, as the shared interface (:mod:`baselines.exact`)
finds it."""

from __future__ import annotations

from typing import Any

from baselines.exact import ExactResult, ExactSolver
from baselines.procurement_removal import dp
from inventory_gym.envs.procurement_removal.env import PROCUREMENT_REMOVAL


class ProcurementRemovalSolver(ExactSolver):
    """The finite-horizon DP of the season (:mod:`.dp`), L = 0 and L = 1.

    Its costs are per period of the season, averaged over the random starting stock: the
    harness's metric with ``periods = season_length`` and ``burn_in = 0`` (``inventory-gym
    compare ProcurementRemoval-v0 --periods 52 --burn-in 0``); :meth:`average_cost` returns that
    metric (the problem has no long run).
    """

    problem = PROCUREMENT_REMOVAL
    grid = dp.SeasonGrid

    def unsupported(self, params: Any) -> str | None:
        return dp.unsupported(params)

    def memory(self, params: Any, margin: int = 0) -> int:
        return dp.memory_needed(params)

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        if discount is not None:
            raise ValueError("the season's DP is undiscounted: drop the discount")
        return dp.solve(params)

    def average_cost(self, params, policy) -> float:
        return dp.season_cost(params, policy)


SOLVER = ProcurementRemovalSolver()
