"""The toy problem's exact solver, on the shared DP scaffold (:mod:`baselines.tables`):
average-cost relative value iteration on a bounded grid of net inventories. The optimum is an
(s, S) policy; the grid is wide enough not to bind."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from baselines.exact import ExactResult, ExactSolver
from baselines.tables import BoxGrid
from inventory_gym.core.problem import Problem
from toy_backlog.problem import PROBLEM, expected_period_cost


@dataclass(frozen=True)
class ToyGrid(BoxGrid):
    """Net inventories ``-max_backlog .. max_stock``."""

    problem: ClassVar[Problem] = PROBLEM
    params: Any
    max_backlog: int = 30
    max_stock: int = 40

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.max_backlog + self.max_stock + 1,)

    @property
    def low(self) -> tuple[int, ...]:
        return (-self.max_backlog,)


def _transitions(grid: ToyGrid, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Next flat indices (states x orders x demands) and the per-(state, order) cost."""
    params = grid.params
    pmf = params.demand.dense_pmf()
    x = np.arange(grid.shape[0]) + grid.low[0]
    nxt = x[:, None, None] + orders[None, :, None] - np.arange(pmf.size)[None, None, :]
    index = np.clip(nxt - grid.low[0], 0, grid.shape[0] - 1)
    order_cost = np.minimum(orders, 1) * params.fixed_cost + orders * params.unit_cost
    cost = expected_period_cost(params, x)[:, None] + order_cost[None, :]
    return index, cost


class ToySolver(ExactSolver):
    problem = PROBLEM
    grid = ToyGrid

    def unsupported(self, params: Any) -> str | None:
        return None if params.demand.is_integer else "the DP needs discrete demand"

    def memory(self, params: Any, margin: int = 0) -> int:
        return 71 * 13 * params.demand.dense_pmf().size * 8 * 4

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        if discount is not None:
            raise ValueError("the toy DP is for the average cost (no discount)")
        t0 = time.perf_counter()
        grid = ToyGrid(params, 30 + margin, 40 + margin)
        pmf = params.demand.dense_pmf()
        orders = np.arange(int(params.max_order) + 1)
        index, cost = _transitions(grid, orders)
        values = np.zeros(grid.size)
        iterations = 0
        while True:
            iterations += 1
            q = cost + values[index] @ pmf
            new = q.min(axis=1)
            diff = new - values
            values = new - new[0]
            if diff.max() - diff.min() < 1e-9 or iterations == 10_000:
                break
        return ExactResult(
            grid,
            q.argmin(axis=1).astype(np.float64),
            values,
            float(diff.max()),
            (float(diff.min()), float(diff.max())),
            None,
            iterations,
            time.perf_counter() - t0,
        )

    def average_cost(self, params, policy) -> float:
        grid = ToyGrid(params)
        raw = np.asarray(policy(grid.states().astype(np.float64)), np.float64)
        taken = np.clip(np.rint(raw), 0, params.max_order)  # as the shells clip orders
        pmf = params.demand.dense_pmf()
        chain = np.zeros((grid.size, grid.size))
        x = np.arange(grid.size)
        for d, p in enumerate(pmf):
            np.add.at(chain, (x, np.clip(x + taken.astype(np.int64) - d, 0, grid.size - 1)), p)
        law = np.linalg.matrix_power(chain, 4096)[grid.start_index()]
        _, cost = _transitions(grid, np.arange(int(params.max_order) + 1))
        return float(law @ cost[x, taken.astype(np.int64)])


SOLVER = ToySolver()


def fit_optimal(env_id: str, env_kwargs: Any = None, config: Any = None):
    """The optimal policy table (for the registry)."""
    from inventory_gym import make_instance

    params = make_instance(env_id, env_kwargs).params
    return SOLVER.solve(params, discount=None, margin=0, progress=False).policy()
