"""Exact average-cost dynamic programming for dual sourcing with an immediate expedited
supplier (l_e = 0) and discrete demand.

The state is the env's observation: the net inventory ``I`` after this period's arrivals of
earlier orders, and the regular orders in transit ``r_1, ..., r_{l_r - 1}`` (the next to
arrive first). With ``l_e = 0`` the expedited order acts at once, so the period is:

    y = I + q_e                       (the expedited position; q_e >= 0)
    cost = c_r q_r + c_e q_e + L(y),  L(y) = E[h (y - D)^+ + b (D - y)^+]
    next state = (y - D + r_1, r_2, ..., r_{l_r - 1}, q_r)

(for ``l_r = 1`` the next inventory is ``y - D + q_r``), exactly the kernel's transition.
Relative value iteration runs on the grid ``I`` in ``[-max_backlog, max_inventory]`` and every
pipeline order in ``0..max_order``; a next inventory outside the grid is clipped onto its
border, which does not change the optimum once the bounds are wide enough (:func:`solve`'s
tests widen them and check). One iteration costs ``(max_order + 1)`` gathers per demand value
and ``(max_order + 1)`` shifted minima per order, over the whole grid at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from baselines.chains import stationary_law
from baselines.exact import ExactResult, memory_refusal
from baselines.tables import BoxGrid, TablePolicy
from inventory_gym.core.problem import Problem
from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.dual_sourcing.env import DUAL_SOURCING
from inventory_gym.envs.dual_sourcing.params import DualSourcingParams

_OWNER = "dual-sourcing DP"

BYTES_PER_STATE = 16 * 8
"""Peak bytes per grid state of :func:`solve`: the values, the best cost and orders so far,
the candidates and the expected future values (float64 or int64 arrays over the grid).
Measured: 11.3 arrays at l_r = 5 (426,465 states, 38 MB traced by tracemalloc)."""

MEMORY_OVERHEAD = 50_000_000
"""Bytes beyond the per-state arrays."""
LEAK_TOL = 1e-9
""":func:`policy_cost` refuses a policy whose chain leaves the grid with a larger stationary
probability per period (its cost on the clipped grid would not be its cost)."""


def demand_pmf(params: DualSourcingParams) -> np.ndarray:
    """P(D = k) for k = 0..K of the instance's discrete demand."""
    model = params.demand
    if not isinstance(model, DiscreteDemand):
        raise ValueError(f"{_OWNER}: needs a discrete (integer) demand model, got {model}")
    return model.dense_pmf()


def _check(params: Any) -> DualSourcingParams:
    if not isinstance(params, DualSourcingParams):
        raise ValueError(f"{_OWNER}: expected DualSourcingParams, got {type(params).__name__}")
    if params.expedited_lead_time != 0:
        raise ValueError(
            f"{_OWNER}: solves expedited_lead_time=0 only, got {params.expedited_lead_time}"
        )
    cap = params.order_cap
    if cap != int(cap):
        raise ValueError(f"{_OWNER}: needs an integer max_order, got {cap}")
    return params


@dataclass(frozen=True)
class Grid(BoxGrid):
    """The states of the DP: ``I`` in ``[-max_backlog, max_inventory]`` (axis 0) and each of
    the ``l_r - 1`` regular orders in transit in ``0..max_order`` (one axis each)."""

    problem: ClassVar[Problem] = DUAL_SOURCING
    params: DualSourcingParams
    max_backlog: int
    max_inventory: int
    max_order: int

    @property
    def regular_lead_time(self) -> int:
        return self.params.regular_lead_time

    @property
    def shape(self) -> tuple[int, ...]:
        n_i = self.max_backlog + self.max_inventory + 1
        pipeline = self.params.regular_pipeline_length + self.params.expedited_pipeline_length
        return (n_i,) + (self.max_order + 1,) * pipeline

    @property
    def low(self) -> tuple[int, ...]:
        return (-self.max_backlog,) + (0,) * (len(self.shape) - 1)


def default_grid(params: DualSourcingParams, margin: int = 0) -> Grid:
    """Bounds wide enough for Boettcher et al.'s instances: a backlog of ``(l_r + 2)`` times
    the largest demand and a stock of ``(l_r + 2)`` times the largest demand plus the orders
    that can arrive at once, each widened by ``margin``."""
    k = demand_pmf(params).size - 1
    cap = int(params.order_cap)
    span = (params.regular_lead_time + 2) * k
    return Grid(params, span + margin, span + cap + margin, cap)


def memory_needed(params: DualSourcingParams, grid: Grid | None = None) -> int:
    """An estimate of the peak bytes :func:`solve` needs (see :data:`BYTES_PER_STATE`)."""
    grid = grid or default_grid(params)
    return BYTES_PER_STATE * grid.size + MEMORY_OVERHEAD


def solve(
    params: DualSourcingParams,
    grid: Grid | None = None,
    *,
    tol: float = 1e-9,
    max_iter: int = 100_000,
    progress: bool = False,
) -> ExactResult:
    """Relative value iteration for the optimal average cost and policy (module docstring).

    Args:
        params: the instance (``expedited_lead_time=0``, discrete demand, integer max_order).
        grid: the state bounds (default :func:`default_grid`).
        tol: stop when the Odoni bounds are within ``tol`` of each other.
        max_iter: give up (``RuntimeError``) after this many iterations.
        progress: show a progress bar with the current span of the bounds (the time per
            iteration grows with the grid size times ``(max_order + 1)^2``).

    Raises:
        ValueError: for an instance it does not solve, or a grid whose arrays would not fit
            in the memory available (the message gives both).
    """
    t0 = time.perf_counter()
    params = _check(params)
    grid = grid or default_grid(params)
    refusal = memory_refusal(memory_needed(params, grid), f"the grid of {grid.size:,} states")
    if refusal is not None:
        raise ValueError(f"{_OWNER}: too large for exact DP here: {refusal}")
    pmf = demand_pmf(params)
    demands = np.flatnonzero(pmf > 0)
    probs = pmf[demands]
    n_i = grid.shape[0]
    levels = np.arange(n_i) - grid.max_backlog  # inventory of each index on axis 0
    q = grid.max_order
    h, b = params.holding_cost, params.backlog_cost
    short = np.maximum(demands[None, :] - levels[:, None], 0)
    over = np.maximum(levels[:, None] - demands[None, :], 0)
    one_period = (h * over + b * short) @ probs  # L(y) on the inventory grid
    extra = (1,) * (len(grid.shape) - 1)
    one_period = one_period.reshape((n_i, *extra))
    pipe = grid.regular_lead_time - 1
    value = np.zeros(grid.shape)
    big = np.inf
    bar = _bar(progress)
    for it in range(1, max_iter + 1):
        best = np.full(grid.shape, big)
        best_r = np.zeros(grid.shape, dtype=np.int64)
        best_e = np.zeros(grid.shape, dtype=np.int64)
        for q_r in range(q + 1):
            # The value after the period as a function of y (axis 0) and the pipeline.
            if pipe == 0:
                future = _expected(value, levels, demands, probs, shift=q_r, grid=grid)
            else:
                # next state (y - D + r_1, r_2, ..., r_{l_r - 1}, q_r)
                nxt = value[..., q_r]  # axes: inventory, r_2..r_{l_r-1}
                future = np.stack(
                    [
                        _expected(nxt, levels, demands, probs, shift=r1, grid=grid)
                        for r1 in range(q + 1)
                    ],
                    axis=1,
                )
            w = one_period + future  # W(y, r)
            for q_e in range(q + 1):
                # y = I + q_e, within the grid
                cand = np.full(grid.shape, big)
                cand[: n_i - q_e] = w[q_e:] + params.expedited_cost * q_e
                total = cand + params.regular_cost * q_r
                better = total < best
                best = np.where(better, total, best)
                best_r = np.where(better, q_r, best_r)
                best_e = np.where(better, q_e, best_e)
        delta = best - value
        lower, upper = float(delta.min()), float(delta.max())
        value = best - best.flat[0]
        if bar is not None:
            bar.update(1)
            bar.set_postfix(span=f"{upper - lower:.1e}")
        if upper - lower < tol:
            if bar is not None:
                bar.close()
            return ExactResult(
                grid=grid,
                orders=np.stack([best_r, best_e], axis=-1),
                value=value,
                cost=0.5 * (lower + upper),
                bounds=(lower, upper),
                discount=None,
                iterations=it,
                seconds=time.perf_counter() - t0,
            )
    if bar is not None:
        bar.close()
    raise RuntimeError(f"{_OWNER}: no convergence in {max_iter} iterations (span {upper - lower})")


def _bar(progress: bool) -> Any:
    if not progress:
        return None
    from inventory_gym.progress import bar as tqdm

    return tqdm(desc="value iteration", unit="it", leave=False)


def _expected(
    value: np.ndarray,
    levels: np.ndarray,
    demands: np.ndarray,
    probs: np.ndarray,
    *,
    shift: int,
    grid: Grid,
) -> np.ndarray:
    """E_D value[clip(y - D + shift), ...] for every y of the inventory grid."""
    n_i = levels.shape[0]
    base = np.arange(n_i)
    out = np.zeros(value.shape)
    for d, p in zip(demands, probs):
        idx = np.clip(base - d + shift, 0, n_i - 1)
        out += p * value[idx]
    return out


def policy_cost(
    params: DualSourcingParams,
    policy: Any,
    grid: Grid | None = None,
    *,
    tol: float = 1e-11,
    max_iter: int = 1_000_000,
) -> float:
    """The exact long-run average cost of a stationary policy (orders rounded to integers and
    clipped to ``[0, max_order]``), from the env's starting state, on the grid of :func:`solve`
    (next inventories clipped onto it, as there): no simulation error.

    The policy is asked once for the orders of every grid state (as observations), then the
    stationary distribution of its chain is found by power iteration of the lazy chain
    ``(I + P) / 2`` from the starting state.

    Raises:
        ValueError: if the chain leaves the grid with a stationary probability above
            :data:`LEAK_TOL` per period (the clipped cost would not be exact).
    """
    from scipy import sparse

    params = _check(params)
    grid = grid or default_grid(params)
    pmf = demand_pmf(params)
    demands = np.flatnonzero(pmf > 0)
    probs = pmf[demands]
    index = list(np.unravel_index(np.arange(grid.size), grid.shape))
    inventory = index[0] - grid.max_backlog
    orders = np.asarray(policy(grid.states().astype(np.float64)), dtype=np.float64)
    orders = orders.reshape(-1, 2)
    if not np.all(np.isfinite(orders)):
        raise ValueError(f"{_OWNER}: the policy returned non-finite orders")
    orders = np.rint(np.clip(orders, 0.0, grid.max_order)).astype(np.int64)
    q_r, q_e = orders[:, 0], orders[:, 1]
    n_i = grid.shape[0]
    y = inventory + q_e
    level = y[:, None] - demands[None, :]
    h, b = params.holding_cost, params.backlog_cost
    period = (h * np.maximum(level, 0) + b * np.maximum(-level, 0)) @ probs
    cost = params.regular_cost * q_r + params.expedited_cost * q_e + period
    if grid.regular_lead_time == 1:
        nxt_i = level + q_r[:, None]
        rest: list[np.ndarray] = []
    else:
        nxt_i = level + index[1][:, None]
        rest = [np.broadcast_to(a[:, None], level.shape) for a in index[2:]]
        rest.append(np.broadcast_to(q_r[:, None], level.shape))
    nxt_i = nxt_i + grid.max_backlog
    outside = ((nxt_i < 0) | (nxt_i > n_i - 1)) @ probs  # P(leaving the grid) per state
    nxt_i = np.clip(nxt_i, 0, n_i - 1)
    cols = np.ravel_multi_index((nxt_i, *rest), grid.shape)
    n = grid.size
    rows = np.repeat(np.arange(n), demands.size)
    matrix = sparse.csr_matrix((np.tile(probs, n), (rows, cols.ravel())), shape=(n, n))
    try:
        start = grid.start_index()
    except ValueError as err:
        raise ValueError(f"{_OWNER}: {err}; widen the grid") from None
    law = stationary_law(matrix, start, owner=_OWNER, tol=tol, max_iter=max_iter)
    leak = float(law @ outside)
    if leak > LEAK_TOL:
        raise ValueError(
            f"{_OWNER}: the policy's chain leaves the grid {grid.shape} with "
            f"probability {leak:.2e} per period: its cost on the grid is not exact; "
            "widen the grid (default_grid(params, margin=...))"
        )
    return float(law @ cost)


def fit_optimal(env_id: str = "DualSourcing-v0", env_kwargs: Any = None, config: Any = None):
    """The optimal policy of the instance (for the registry): :func:`solve`'s table."""
    from inventory_gym.evaluation import instance

    _, params = instance(env_id, env_kwargs)
    return solve(params).policy()


__all__ = [
    "Grid",
    "TablePolicy",
    "default_grid",
    "demand_pmf",
    "fit_optimal",
    "memory_needed",
    "policy_cost",
    "solve",
]
