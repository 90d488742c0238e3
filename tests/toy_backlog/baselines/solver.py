"""The toy problem's exact solver: average-cost relative value iteration on a bounded grid of
net inventories (the optimum is an (s, S) policy; the grid is wide enough not to bind)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from baselines.exact import ExactResult, ExactSolver
from toy_backlog.problem import PROBLEM, expected_period_cost

LOW, HIGH = -30, 40
"""The grid of net inventories."""


class Table:
    """A policy table over the grid: the order for each net inventory."""

    name = "optimal"

    def __init__(self, params: Any, orders: np.ndarray):
        self.instance_params = params
        self.orders = orders

    def params(self) -> dict[str, Any]:
        return {"grid": [LOW, HIGH]}

    def __call__(self, obs: Any) -> np.ndarray:
        x = PROBLEM.parts(np.asarray(obs, dtype=np.float64), self.instance_params)["inventory"]
        index = np.clip(np.rint(x).astype(np.int64), LOW, HIGH) - LOW
        return self.orders[index]


def _bellman(params: Any, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pmf = params.demand.dense_pmf()
    x = np.arange(LOW, HIGH + 1)
    orders = np.arange(int(params.max_order) + 1)
    # after ordering z at x, next = x + z - D (clipped onto the grid)
    nxt = x[:, None, None] + orders[None, :, None] - np.arange(pmf.size)[None, None, :]
    future = values[np.clip(nxt, LOW, HIGH) - LOW] @ pmf
    order_cost = np.minimum(orders, 1) * params.fixed_cost + orders * params.unit_cost
    q = expected_period_cost(params, x)[:, None] + order_cost[None, :] + future
    return q.min(axis=1), q.argmin(axis=1).astype(np.float64)


def average_cost(params: Any, orders: np.ndarray, tol: float = 1e-10) -> float:
    """The exact long-run average cost of a table policy (its Markov chain on the grid)."""
    pmf = params.demand.dense_pmf()
    x = np.arange(LOW, HIGH + 1)
    n = x.size
    chain = np.zeros((n, n))
    for d, p in enumerate(pmf):
        target = np.clip(x + orders.astype(np.int64) - d, LOW, HIGH) - LOW
        np.add.at(chain, (np.arange(n), target), p)
    law = np.full(n, 1.0 / n)
    for _ in range(100_000):
        new = law @ chain
        if np.abs(new - law).max() < tol:
            break
        law = new
    cost = (
        expected_period_cost(params, x)
        + np.minimum(orders, 1) * params.fixed_cost
        + orders * params.unit_cost
    )
    return float(new @ cost)


class ToySolver(ExactSolver):
    problem = PROBLEM.name

    def unavailable(self, params: Any) -> str | None:
        return None if params.demand.is_integer else "the DP needs discrete demand"

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        if discount is not None:
            raise ValueError("the toy DP is for the average cost (no discount)")
        t0 = time.perf_counter()
        values = np.zeros(HIGH - LOW + 1)
        iterations = 0
        while True:
            iterations += 1
            new, orders = _bellman(params, values)
            diff = new - values
            values = new - new[0]
            if diff.max() - diff.min() < 1e-9 or iterations == 10_000:
                break
        table = Table(params, orders)
        return ExactResult(
            float(diff.max()),
            (float(diff.min()), float(diff.max())),
            None,
            iterations,
            time.perf_counter() - t0,
            (HIGH - LOW + 1,),
            table,
            lambda path: path,
        )

    def average_cost(self, params, policy) -> float:
        x = np.arange(LOW, HIGH + 1, dtype=np.float64)[:, None]
        return average_cost(params, np.rint(np.asarray(policy(x), dtype=np.float64)).reshape(-1))

    def owns(self, header) -> bool:
        return False

    def load(self, path):
        raise ValueError(f"{path}: the toy solver saves no tables")


SOLVER = ToySolver()


def fit_optimal(env_id: str, env_kwargs: Any = None, config: Any = None) -> Table:
    """The optimal policy table (for the registry)."""
    from inventory_gym import make_instance

    return SOLVER.solve(
        make_instance(env_id, env_kwargs).params, discount=None, margin=0, progress=False
    ).policy
