"""Exact dynamic programming for lost sales with discrete demand.

Average-cost relative value iteration (Zipkin 2008's optimal costs) and discounted value
iteration, vectorised with numpy over a dense grid of states ``(y, q_1, ..., q_{L-1})``.

The grid is kept finite by Zipkin's bounds (SCENARIOS.md section 1): no sensible policy
orders more than the ``p/(p+h)`` fractile of one period's demand, nor raises the inventory
position above the ``p/(p+h)`` fractile of demand over ``L + 1`` periods. Orders are restricted
accordingly, so from the starting state (empty) the chain never leaves the grid; ``margin``
widens both bounds, and the optimal cost must not move when it does (a test checks this).

The transition is the kernel's (:func:`inventory_gym.envs.lost_sales.dynamics.transition`): a
test checks the DP's expected costs and next states against it on every grid state. The
Bellman operator is written in closed form over arrays because the kernel's next state
factors as ``((y - D)^+ + q_1, q_2, ..., q_{L-1}, z)``: the expectation over demand is one
matrix product per value of ``q_1``, which makes L = 4 a matter of seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from baselines import chains
from baselines.chains import read_table, save_table, stationary_law
from baselines.lost_sales import lost_sales_params
from baselines.lost_sales.projection import (
    convolved_pmf,
    demand_pmf,
    depletion_matrix,
    fractile,
    period_cost,
    stock_at_arrival_pmf,
)
from inventory_gym.envs.lost_sales import dynamics
from inventory_gym.envs.lost_sales.params import LostSalesParams, LostSalesState

_OWNER = "lost-sales DP"

MAX_ENTRIES = 100_000_000
"""Largest number of (state, order) values the solver holds at once (about 0.8 GB each)."""


def _check_params(params: Any) -> LostSalesParams:
    if not isinstance(params, LostSalesParams):
        raise ValueError(f"{_OWNER}: needs LostSalesParams, got {type(params).__name__}")
    if not params.demand.is_integer or not hasattr(params.demand, "pmf"):
        raise ValueError(
            f"{_OWNER}: needs a discrete (integer) demand model, got demand={params.demand}"
        )
    return params


def zipkin_bounds(params: LostSalesParams) -> tuple[int, int]:
    """Zipkin's bounds ``(order_bound, position_bound)``.

    ``order_bound``: the ``p/(p+h)`` fractile of one period's demand; ``position_bound``: the
    same fractile of demand over ``L + 1`` periods (the backlog base-stock level). A purchase
    cost only lowers the optimal orders, so the bounds hold for ``c > 0`` too. Both are capped
    by the env's ``max_order`` (per order) and ``(L + 1) * max_order`` (position).
    """
    params = _check_params(params)
    pmf = demand_pmf(params.demand)
    ratio = params.shortage_fractile
    order_bound = fractile(pmf, ratio)
    position_bound = fractile(convolved_pmf(pmf, params.lead_time + 1), ratio)
    cap = math.floor(params.order_cap)
    return min(order_bound, cap), min(position_bound, (params.lead_time + 1) * cap)


@dataclass(frozen=True)
class StateGrid:
    """The dense grid of lost-sales states: on-hand ``y`` in ``0..max_stock`` and each pipeline
    order in ``0..max_order``; arrays over it have shape ``(max_stock + 1,) + (max_order + 1,)
    * (L - 1)``. For ``L = 0`` the state is the stock before ordering."""

    lead_time: int
    max_stock: int
    max_order: int

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.max_stock + 1,) + (self.max_order + 1,) * max(self.lead_time - 1, 0)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def states(self) -> np.ndarray:
        """Every state of the grid as a (size, n) integer array, in C order."""
        axes = [np.arange(n) for n in self.shape]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def positions(self) -> np.ndarray:
        """Inventory position ``y + sum q`` of every state, shape :attr:`shape`."""
        mesh = np.meshgrid(*[np.arange(n) for n in self.shape], indexing="ij", sparse=True)
        return sum(mesh, np.zeros(self.shape, dtype=np.int64))

    def index(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat grid indices of observations (their first ``len(shape)`` columns are the state)
        and a mask of the rows inside the grid (the others are clipped onto its border)."""
        n = len(self.shape)
        cols = np.rint(np.asarray(obs, dtype=np.float64)[:, :n]).astype(np.int64)
        highs = np.array(self.shape) - 1
        inside = np.all((cols >= 0) & (cols <= highs), axis=1)
        cols = np.clip(cols, 0, highs)
        return np.ravel_multi_index(tuple(cols.T), self.shape), inside


class BellmanOperator:
    """Expected costs and transitions of lost sales on a :class:`StateGrid`, as array maps.

    ``q_values(V, discount)`` returns ``Q[s, z] = c z + C(s) + discount * E[V(next(s, z, D))]``
    for every grid state and order, where ``C`` is the expected holding and lost-sales cost
    of the period (the kernel's period cost, in expectation over this period's demand).
    """

    def __init__(self, params: LostSalesParams, grid: StateGrid):
        self.params = params
        self.grid = grid
        self.pmf = demand_pmf(params.demand)
        y_size = grid.max_stock + 1
        self.depletion = depletion_matrix(self.pmf, y_size)
        self.cost = period_cost(self.pmf, params.holding_cost, params.lost_sales_cost, y_size)
        self.orders = np.arange(grid.max_order + 1)
        # Shifted row indices: stock w plus an arrival a, clipped onto the grid (only states
        # outside the bounds, never reached from inside, can go past the edge).
        self._shift = np.minimum(np.arange(y_size)[None, :] + self.orders[:, None], grid.max_stock)

    def expected_next_value(self, value: np.ndarray) -> np.ndarray:
        """``E[V(next(s, z, D))]`` for every state and order, shape ``grid.shape + (Z,)``."""
        grid, lead = self.grid, self.grid.lead_time
        y_size = grid.max_stock + 1
        if lead == 0:
            # The order arrives before demand: next y = (y + z - D)^+.
            after = self.depletion @ value  # E[V((u - D)^+)] for stock u after the arrival
            return after[self._shift.T]  # [y, z] -> u = min(y + z, max_stock)
        flat = value.reshape(y_size, -1)
        out = np.empty((y_size, self.orders.size, flat.shape[1]))
        # next = ((y - D)^+ + a, rest..., z) where a = q_1 (or z itself when L = 1).
        for a in self.orders:
            out[:, a, :] = self.depletion @ flat[self._shift[a]]
        return out.reshape((*grid.shape, self.orders.size))

    def stage_cost(self) -> np.ndarray:
        """``c z + C(s)`` for every state and order, shape ``grid.shape + (Z,)``."""
        grid = self.grid
        purchase = self.params.unit_cost * self.orders
        if grid.lead_time == 0:
            cost = self.cost[self._shift.T]  # [y, z]: C(min(y + z, max_stock))
            return cost + purchase
        expand = (slice(None),) + (None,) * (len(grid.shape) - 1)
        return (self.cost[expand] + np.zeros(grid.shape))[..., None] + purchase

    def feasible(self) -> np.ndarray:
        """Orders allowed by the position bound: ``y + sum q + z <= max_stock`` (``z = 0`` is
        always allowed)."""
        pos = self.grid.positions()[..., None] + self.orders
        return (pos <= self.grid.max_stock) | (self.orders == 0)


@dataclass
class DPSolution:
    """The result of :func:`solve`."""

    params: LostSalesParams
    grid: StateGrid
    discount: float | None
    cost: float
    """Average cost per period (the gain) for ``discount=None``; else the optimal discounted
    cost from the env's starting state."""
    bounds: tuple[float, float]
    """Odoni / MacQueen bounds on ``cost`` at the last iteration (they bracket it)."""
    value: np.ndarray = field(repr=False)
    """Relative values (average cost, 0 at the empty state) or discounted values, on the grid."""
    orders: np.ndarray = field(repr=False)
    """The optimal order of every grid state."""
    iterations: int
    seconds: float

    def policy(self) -> TablePolicy:
        """The optimal policy as a batched table lookup the harness can evaluate."""
        kind = "dp_optimal" if self.discount is None else f"dp_discounted({self.discount:g})"
        return TablePolicy(self.grid, self.orders, name=kind)

    def save(self, path: str | Path) -> Path:
        """Save the policy table and the value function (``.npz``, no pickled objects)."""
        return self.policy().save(
            path,
            value=self.value,
            meta={
                "cost": self.cost,
                "bounds": list(self.bounds),
                "discount": self.discount,
                "iterations": self.iterations,
                "seconds": self.seconds,
                "params": {
                    "lead_time": self.params.lead_time,
                    "holding_cost": self.params.holding_cost,
                    "lost_sales_cost": self.params.lost_sales_cost,
                    "unit_cost": self.params.unit_cost,
                    "demand": self.params.demand.spec,
                },
            },
        )


class TablePolicy:
    """A lost-sales policy given by a table of orders over a :class:`StateGrid`.

    Calling it looks up each observation's state (extra observation columns are ignored).
    States outside the grid are clipped onto its border and counted in :attr:`misses`, so a
    user can tell when a table was asked about states it was not built for.
    """

    def __init__(self, grid: StateGrid, orders: np.ndarray, name: str = "table"):
        if orders.shape != grid.shape:
            raise ValueError(f"orders must have shape {grid.shape}, got {orders.shape}")
        self.grid = grid
        self.table = np.asarray(orders, dtype=np.float64).ravel()
        self.name = name
        self.misses = 0
        self.lookups = 0

    @property
    def lead_time(self) -> int:
        return self.grid.lead_time

    def __call__(self, obs: Any) -> np.ndarray:
        idx, inside = self.grid.index(np.asarray(obs))
        self.lookups += inside.size
        self.misses += int(inside.size - inside.sum())
        return self.table[idx]

    def params(self) -> dict[str, Any]:
        return {
            "lead_time": self.grid.lead_time,
            "max_stock": self.grid.max_stock,
            "max_order": self.grid.max_order,
        }

    def save(
        self, path: str | Path, *, value: np.ndarray | None = None, meta: dict | None = None
    ) -> Path:
        """Write the table to ``path`` (``.npz``)."""
        header = {"name": self.name, "grid": self.params(), **(meta or {})}
        arrays = {"orders": self.table.reshape(self.grid.shape).astype(np.int32)}
        if value is not None:
            arrays["value"] = value
        return save_table(path, header, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> TablePolicy:
        """Read a table written by :meth:`save`."""
        header, arrays = read_table(path)
        return cls(StateGrid(**header["grid"]), arrays["orders"], name=header.get("name", "table"))


def make_grid(params: LostSalesParams, margin: int = 0) -> StateGrid:
    """The grid of Zipkin's bounds, each widened by ``margin`` units."""
    if not isinstance(margin, (int, np.integer)) or isinstance(margin, bool) or margin < 0:
        raise ValueError(f"{_OWNER}: margin must be an integer >= 0, got {margin!r}")
    order_bound, position_bound = zipkin_bounds(params)
    return StateGrid(params.lead_time, position_bound + int(margin), order_bound + int(margin))


def solve(
    params: LostSalesParams,
    *,
    discount: float | None = None,
    margin: int = 0,
    tol: float = 1e-9,
    max_iter: int = 100_000,
    progress: bool = False,
) -> DPSolution:
    """Solve a lost-sales instance exactly.

    Args:
        params: the instance (discrete demand).
        discount: ``None`` for the long-run average cost (relative value iteration), else a
            discount factor in (0, 1) (value iteration with MacQueen's bounds).
        margin: widen Zipkin's bounds by this many units (a check that they do not bind).
        tol: stop when the bounds on the optimal cost are this close (absolute).
        max_iter: give up (``RuntimeError``) after this many iterations.
        progress: show a progress bar with the current gap between the bounds.

    Returns:
        A :class:`DPSolution` whose ``orders`` table is optimal and ``cost`` is within ``tol``.
    """
    params = _check_params(params)
    if discount is not None and not (
        isinstance(discount, (int, float)) and 0.0 < float(discount) < 1.0
    ):
        raise ValueError(f"{_OWNER}: discount must be in (0, 1) or None, got {discount!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"{_OWNER}: tol must be a positive number, got {tol!r}")
    start = time.perf_counter()
    grid = make_grid(params, margin)
    entries = grid.size * (grid.max_order + 1)
    if entries > MAX_ENTRIES:
        raise ValueError(
            f"{_OWNER}: the state space is too large for exact DP: {grid.size:,} states x "
            f"{grid.max_order + 1} orders = {entries:,} values (limit {MAX_ENTRIES:,}); "
            f"grid {grid.shape} from lead_time={params.lead_time} and Zipkin's bounds"
        )
    op = BellmanOperator(params, grid)
    stage = op.stage_cost()
    stage = np.where(op.feasible(), stage, np.inf)
    gamma = 1.0 if discount is None else float(discount)
    value = np.zeros(grid.shape)
    start_state = _start_index(params, grid)
    bar = _bar(progress, max_iter)
    lower = upper = math.nan
    for iteration in range(1, max_iter + 1):
        q = stage + gamma * op.expected_next_value(value)
        new = q.min(axis=-1)
        delta = new - value
        low, high = float(delta.min()), float(delta.max())
        if discount is None:
            lower, upper = low, high
            value = new - new[start_state]
        else:
            factor = gamma / (1.0 - gamma)
            lower = float(new[start_state] + factor * low)
            upper = float(new[start_state] + factor * high)
            value = new
        if bar is not None and iteration % 10 == 0:
            bar.update(10)
            bar.set_postfix(gap=f"{upper - lower:.2e}")
        if upper - lower < tol:
            break
    else:
        raise RuntimeError(
            f"{_OWNER}: no convergence in max_iter={max_iter} iterations "
            f"(bounds {lower:.6f}..{upper:.6f})"
        )
    if bar is not None:
        bar.close()
    orders = q.argmin(axis=-1)
    return DPSolution(
        params=params,
        grid=grid,
        discount=discount,
        cost=0.5 * (lower + upper),
        bounds=(lower, upper),
        value=value,
        orders=orders,
        iterations=iteration,
        seconds=time.perf_counter() - start,
    )


def _start_index(params: LostSalesParams, grid: StateGrid) -> tuple[int, ...]:
    """Grid index of the env's starting state (the reference state of the relative values)."""
    pipeline = params.initial_pipeline or (0.0,) * params.pipeline_length
    state = np.array([[params.initial_on_hand, *pipeline]])
    idx, inside = grid.index(state)
    if not inside[0]:
        raise ValueError(
            f"{_OWNER}: the starting state {state[0].tolist()} lies outside the grid "
            f"{grid.shape}; raise margin"
        )
    return np.unravel_index(int(idx[0]), grid.shape)


def _bar(progress: bool, total: int) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=None, desc="value iteration", unit="it", leave=False)


def myopic_tables(
    params: LostSalesParams, margin: int = 5
) -> tuple[StateGrid, np.ndarray, np.ndarray]:
    """Order tables of myopic-1 and myopic-2 (Zipkin 2008) on a grid of states.

    Zipkin's myopic policies charge each order with the cost of the period in which it
    arrives: ``R(s, z) = c z + E[C(X_s + z)]``, with ``X_s`` the on-hand stock just before the
    arrival (its exact pmf from the lost-sales recursion). Myopic-1 minimises ``R``; myopic-2
    is the first decision of the two-period problem, ``argmin_z R(s, z) + E[V_1(next(s, z, D))]``
    with ``V_1 = min_z R``. Neither depends on the position bound, so the grid takes Zipkin's
    bounds widened by ``margin`` and orders up to its ``max_order``.

    Returns:
        ``(grid, myopic1_orders, myopic2_orders)``.
    """
    params = _check_params(params)
    grid = make_grid(params, margin)
    op = BellmanOperator(params, grid)
    states = grid.states()
    lead = params.lead_time
    if lead == 0:
        arrival = np.zeros((states.shape[0], grid.max_stock + 1))
        arrival[np.arange(states.shape[0]), states[:, 0]] = 1.0
    else:
        pipeline = [states[:, i] for i in range(1, lead)]
        arrival = stock_at_arrival_pmf(states[:, 0], pipeline, op.pmf, grid.max_stock + 1)
    # C(x + z) for stock x on arrival and order z (C extended past the grid, it is cheap).
    size = grid.max_stock + 1 + grid.max_order
    cost = period_cost(op.pmf, params.holding_cost, params.lost_sales_cost, size)
    x = np.arange(grid.max_stock + 1)[:, None]
    stage = arrival @ cost[x + op.orders[None, :]] + params.unit_cost * op.orders
    stage = stage.reshape((*grid.shape, op.orders.size))
    myopic1 = stage.argmin(axis=-1)
    v1 = stage.min(axis=-1)
    myopic2 = (stage + op.expected_next_value(v1)).argmin(axis=-1)
    return grid, myopic1, myopic2


def _kernel_step(
    params: LostSalesParams,
    states: np.ndarray,
    orders: np.ndarray,
    demands: np.ndarray,
    probs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One period of the kernel from each of ``states`` (N, n) under ``orders`` (N,), for every
    demand value: the next states, (N, D, n) integers, and the expected cost, (N,)."""
    count, outcomes = states.shape[0], demands.size
    cols = np.repeat(states.astype(np.float64), outcomes, axis=0)
    state = LostSalesState(cols[:, 0], tuple(cols[:, i] for i in range(1, cols.shape[1])))
    order = np.repeat(orders.astype(np.float64), outcomes)
    demand = np.tile(demands.astype(np.float64), count)
    nxt, costs, _ = dynamics.transition(state, order, demand, params, np)
    next_cols = np.rint(np.stack([nxt.on_hand, *nxt.pipeline], axis=1)).astype(np.int64)
    expected = costs.total().reshape(count, outcomes) @ probs
    return next_cols.reshape(count, outcomes, -1), expected


_KEY_BASE = 1 << 12
"""States are hashed as integers in this base (each component below 4096 units)."""


def _keys(states: np.ndarray) -> np.ndarray:
    if states.size and states.max() >= _KEY_BASE:
        raise ValueError(
            f"{_OWNER}: the policy's chain reaches a stock above {_KEY_BASE - 1} units; its "
            "reachable set is too large (or unbounded) for an exact evaluation"
        )
    weights = _KEY_BASE ** np.arange(states.shape[1] - 1, -1, -1, dtype=np.int64)
    return states.astype(np.int64) @ weights


class PolicyChain:
    """The Markov chain of a stationary integer policy over the states it can reach from the
    env's starting state, as a sparse transition matrix (built by breadth-first search).

    Attributes:
        states: (N, n) reachable states, the start first.
        orders: (N,) the policy's order in each.
        transition: (N, N) ``scipy.sparse`` matrix of transition probabilities.
        cost: (N,) expected cost of the period in each state (``c z + C(y)``).

    Transitions and costs come from the kernel itself
    (:func:`inventory_gym.envs.lost_sales.dynamics.transition`), once per demand value.
    """

    def __init__(self, params: LostSalesParams, policy: Any, max_states: int = 2_000_000):
        from scipy import sparse

        params = _check_params(params)
        pmf = demand_pmf(params.demand)
        demands = np.flatnonzero(pmf > 0)
        probs = pmf[demands]
        pipeline = params.initial_pipeline or (0.0,) * params.pipeline_length
        start = np.rint([[params.initial_on_hand, *pipeline]]).astype(np.int64)
        found = [start]
        known = _keys(start)  # sorted keys of every state found so far
        frontier = start
        blocks_orders, blocks_next, blocks_cost = [], [], []
        count = 1
        while frontier.size:
            raw = np.asarray(policy(frontier.astype(np.float64)), dtype=np.float64).reshape(-1)
            if not np.all(np.isfinite(raw)):
                raise ValueError(f"{_OWNER}: the policy returned non-finite orders")
            z = np.rint(np.clip(raw, 0.0, params.order_cap)).astype(np.int64)
            nxt, cost = _kernel_step(params, frontier, z, demands, probs)
            blocks_orders.append(z)
            blocks_next.append(nxt)
            blocks_cost.append(cost)
            flat = nxt.reshape(-1, nxt.shape[-1])
            keys, first = np.unique(_keys(flat), return_index=True)
            new = ~np.isin(keys, known, assume_unique=True)
            frontier = flat[first[new]]
            count += frontier.shape[0]
            if count > max_states:
                raise ValueError(
                    f"{_OWNER}: the policy reaches more than max_states={max_states} states"
                )
            found.append(frontier)
            known = np.union1d(known, keys[new])
        self.states = np.concatenate(found)
        self.orders = np.concatenate(blocks_orders)
        order_of = np.argsort(_keys(self.states))
        sorted_keys = _keys(self.states)[order_of]
        nxt = np.concatenate(blocks_next)
        cols = order_of[np.searchsorted(sorted_keys, _keys(nxt.reshape(-1, nxt.shape[-1])))]
        n = self.states.shape[0]
        rows = np.repeat(np.arange(n), demands.size)
        data = np.tile(probs, n)
        self.transition = sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
        self.cost = np.concatenate(blocks_cost)

    def average_cost(self, tol: float = 1e-10, max_iter: int = 1_000_000) -> float:
        """Long-run average cost per period from the start: the stationary distribution by
        power iteration on the lazy chain ``(I + P) / 2`` (same stationary law, aperiodic)."""
        law = stationary_law(self.transition, 0, owner=_OWNER, tol=tol, max_iter=max_iter)
        return float(law @ self.cost)

    def discounted_cost(self, discount: float, tol: float = 1e-9) -> float:
        """Expected discounted cost ``sum_t discount^t cost_t`` from the start."""
        return chains.discounted_cost(self.transition, self.cost, discount, 0, tol=tol)


def policy_cost(params: LostSalesParams, policy: Any, *, discount: float | None = None) -> float:
    """The exact long-run average cost (or the discounted cost from the start) of a stationary
    policy with integer orders (rounded), by building its Markov chain: no simulation error.

    ``policy`` is any batched callable (a heuristic, a :class:`TablePolicy`).
    """
    chain = PolicyChain(params, policy)
    if discount is None:
        return chain.average_cost()
    if not (isinstance(discount, (int, float)) and 0.0 < float(discount) < 1.0):
        raise ValueError(f"{_OWNER}: discount must be in (0, 1) or None, got {discount!r}")
    return chain.discounted_cost(float(discount))


def fit_myopic2(
    env_id: str = "LostSalesLeadTime-v0", env_kwargs: Any = None, config: Any = None
) -> TablePolicy:
    """Myopic-2 (Zipkin 2008) as a table over the grid of :func:`myopic_tables` (nothing is
    fitted; ``config`` is accepted for a uniform signature)."""
    params = lost_sales_params("fit_myopic2", env_id, env_kwargs, discrete=True)
    grid, _, myopic2 = myopic_tables(params)
    return TablePolicy(grid, myopic2, name="myopic2")


def fit_optimal(
    env_id: str = "LostSalesLeadTime-v0", env_kwargs: Any = None, config: Any = None
) -> TablePolicy:
    """The average-cost optimal policy by relative value iteration (:func:`solve`)."""
    params = lost_sales_params("fit_optimal", env_id, env_kwargs, discrete=True)
    progress = bool(getattr(config, "progress", False))
    return solve(params, progress=progress).policy()
