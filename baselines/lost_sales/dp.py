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
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from baselines import chains
from baselines.chains import stationary_law
from baselines.exact import ExactResult, memory_refusal
from baselines.lost_sales import lost_sales_params
from baselines.lost_sales.projection import (
    convolved_pmf,
    demand_pmf,
    depletion_matrix,
    fractile,
    period_cost,
    stock_at_arrival_pmf,
)
from baselines.tables import BoxGrid, TablePolicy
from inventory_gym.core.problem import Problem
from inventory_gym.envs.lost_sales import dynamics
from inventory_gym.envs.lost_sales.env import LOST_SALES
from inventory_gym.envs.lost_sales.params import LostSalesParams

_OWNER = "lost-sales DP"

BYTES_PER_ENTRY = 4 * 8
"""Peak bytes per (state, order) value of the (states x orders) Q-value arrays that
:meth:`BellmanOperator.expected_next_value` and ``stage_cost`` build (the finite-horizon DP and
:func:`solve` at ``L <= 1`` use them): the stage costs, the new and the previous Q-values and
the feasibility mask (float64). Measured: 3.5 arrays at L = 5, p = 39 (6.8 million entries,
188 MB traced by tracemalloc)."""

BYTES_PER_STATE = 8 * 8
"""Peak bytes per grid state of :func:`solve` at ``L >= 2``, which never builds a (states x
orders) array (:meth:`BellmanOperator.minimise`): the values, the new values, their copy with
the last pipeline axis moved, one block of ``E[V(next)]``, the orders (int64), the position
bound's penalties and the float32 copies of the first phase. Measured (tracemalloc): 65 bytes a
state at L = 5 and 6, p = 39 (501 MB for 7.7 million states; 647 MB resident with the
interpreter; ``benchmarks/dp_scaling.py``)."""

MEMORY_OVERHEAD = 50_000_000
"""Bytes beyond the per-entry arrays (value functions, index arrays, the operator's tables)."""

FLOAT32_SPAN = 1e-3
""":func:`solve` sweeps in float32 until the span of its bounds is below this (or stops
shrinking), then in float64 until ``tol``: float32's rounding (a relative 6e-8 on values of a
few hundred) leaves the bounds about 1e-4 wide, so the bounds it reports always come from
float64 sweeps."""


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
class StateGrid(BoxGrid):
    """The dense grid of lost-sales states: on-hand ``y`` in ``0..max_stock`` and each pipeline
    order in ``0..max_order``; arrays over it have shape ``(max_stock + 1,) + (max_order + 1,)
    * (L - 1)``. For ``L = 0`` the state is the stock before ordering."""

    problem: ClassVar[Problem] = LOST_SALES
    params: LostSalesParams
    max_stock: int
    max_order: int

    @property
    def lead_time(self) -> int:
        return self.params.lead_time

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.max_stock + 1,) + (self.max_order + 1,) * self.params.pipeline_length

    def positions(self) -> np.ndarray:
        """Inventory position ``y + sum q`` of every state, shape :attr:`shape`."""
        mesh = np.meshgrid(*[np.arange(n) for n in self.shape], indexing="ij", sparse=True)
        return sum(mesh, np.zeros(self.shape, dtype=np.int64))


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

    def minimise(
        self, value: np.ndarray, gamma: float, *, dtype: Any = np.float64, orders: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``min_z Q[s, z]`` over the feasible orders of every state (and the smallest
        minimising order when ``orders``), without a (states x orders) array for ``L >= 2``.

        The next state of ``(y, q_1, q_2, ..., q_{L-1})`` under the order ``z`` is
        ``((y - D)^+ + q_1, q_2, ..., q_{L-1}, z)``. With the values' last axis moved next to
        the stock axis (``V[u, z, q_2, ..., q_{L-1}]``), the states that share ``q_1 = a``
        need one matrix product, ``K_a @ V`` (``K_a``: the depletion and the arrival of
        ``a``), whose result has the order ``z`` as its middle axis: the minimum over ``z``
        is then a running minimum over contiguous slices, with the position bound as a 0/inf
        penalty per slice. The arithmetic is in ``dtype`` (float32 halves the memory
        traffic)."""
        grid = self.grid
        if grid.lead_time <= 1:
            q = self.expected_next_value(value.astype(np.float64, copy=False))
            q *= gamma
            q += self._masked_stage()
            return q.min(axis=-1), (q.argmin(axis=-1) if orders else None)
        y_size, z_size = grid.max_stock + 1, grid.max_order + 1
        rest_shape = grid.shape[2:]
        value = value.astype(dtype, copy=False)
        moved = np.ascontiguousarray(np.moveaxis(value, -1, 1)).reshape(y_size, -1)
        kernels = self._shifted_kernels(dtype)
        cost = self.cost.astype(dtype)[:, None]
        penalty = self._penalties(dtype)
        purchase = self.params.unit_cost / gamma
        new = np.empty(grid.shape, dtype=dtype)
        best = np.zeros(grid.shape, dtype=np.int64) if orders else None
        top = grid.max_stock
        for a in self.orders:
            block = (kernels[a] @ moved).reshape(y_size, z_size, -1)
            run = block[:, 0, :].copy()
            arg = np.zeros(run.shape, dtype=np.int64) if orders else None
            for z in range(1, z_size):
                limit = top - a - z  # z is allowed where y + q_2 + ... + q_{L-1} <= limit
                if limit < 0:
                    break
                cand = block[:, z, :]
                if limit in penalty:
                    cand += penalty[limit]
                if purchase:
                    cand += purchase * z
                if arg is not None:
                    arg[cand < run] = z
                np.minimum(run, cand, out=run)
            run *= gamma
            run += cost
            new[:, a] = run.reshape(y_size, *rest_shape)
            if best is not None:
                best[:, a] = arg.reshape(y_size, *rest_shape)
        return new, best

    def _shifted_kernels(self, dtype: Any) -> np.ndarray:
        """``K_a[y, u] = P(min((y - D)^+ + a, max_stock) = u)`` for every arrival ``a``: the
        depletion and the arrival in one (Y, Y) matrix, so a sweep gathers no rows."""
        y_size = self.grid.max_stock + 1
        out = np.zeros((self.orders.size, y_size, y_size))
        for a in self.orders:
            np.add.at(out[a], (slice(None), self._shift[a]), self.depletion)
        return out.astype(dtype)

    def _masked_stage(self) -> np.ndarray:
        if not hasattr(self, "_stage"):
            self._stage = np.where(self.feasible(), self.stage_cost(), np.inf)
        return self._stage

    def _penalties(self, dtype: Any) -> dict[int, np.ndarray]:
        """0/inf over ``(y, q_2, ..., q_{L-1})`` for each limit ``max_stock - a - z`` on
        ``y + q_2 + ... + q_{L-1}`` that some but not all of them exceed (the position bound,
        :meth:`minimise`); kept for the last dtype asked."""
        key = np.dtype(dtype).name
        cached = getattr(self, "_penalty", None)
        if cached is None or cached[0] != key:
            grid = self.grid
            shape = (grid.max_stock + 1, *grid.shape[2:])
            mesh = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij", sparse=True)
            total = sum(mesh, np.zeros(shape, dtype=np.int64)).reshape(shape[0], -1)
            high = int(total.max())
            lowest = max(grid.max_stock - 2 * grid.max_order, 0)
            self._penalty = None  # free the other dtype's arrays first
            self._penalty = (
                key,
                {
                    limit: np.where(total <= limit, 0.0, np.inf).astype(dtype)
                    for limit in range(lowest, min(high, grid.max_stock))
                },
            )
        return self._penalty[1]

    def feasible(self) -> np.ndarray:
        """Orders allowed by the position bound: ``y + sum q + z <= max_stock`` (``z = 0`` is
        always allowed)."""
        pos = self.grid.positions()[..., None] + self.orders
        return (pos <= self.grid.max_stock) | (self.orders == 0)


def make_grid(params: LostSalesParams, margin: int = 0) -> StateGrid:
    """The grid of Zipkin's bounds, each widened by ``margin`` units."""
    if not isinstance(margin, (int, np.integer)) or isinstance(margin, bool) or margin < 0:
        raise ValueError(f"{_OWNER}: margin must be an integer >= 0, got {margin!r}")
    order_bound, position_bound = zipkin_bounds(params)
    return StateGrid(params, position_bound + int(margin), order_bound + int(margin))


def memory_needed(params: LostSalesParams, margin: int = 0) -> int:
    """An estimate of the peak bytes :func:`solve` needs (see :data:`BYTES_PER_STATE` and
    :data:`BYTES_PER_ENTRY`)."""
    grid = make_grid(params, margin)
    if params.lead_time <= 1:
        return BYTES_PER_ENTRY * grid.size * (grid.max_order + 1) + MEMORY_OVERHEAD
    return BYTES_PER_STATE * grid.size + MEMORY_OVERHEAD


def solve(
    params: LostSalesParams,
    *,
    discount: float | None = None,
    margin: int = 0,
    tol: float = 1e-9,
    max_iter: int = 100_000,
    precision: str = "mixed",
    progress: bool = False,
) -> ExactResult:
    """Solve a lost-sales instance exactly.

    Each sweep is :meth:`BellmanOperator.minimise` (no (states x orders) array for
    ``L >= 2``). With ``precision="mixed"`` the sweeps run in float32 until the bounds are
    :data:`FLOAT32_SPAN` wide (or stop shrinking), then in float64 until ``tol``: the bounds
    returned, and the orders (from one last sweep), always come from float64 sweeps, and
    Odoni's (MacQueen's) bounds hold for any starting values, so float32 changes the time,
    never what the bounds certify. ``precision="float64"`` sweeps in float64 throughout.

    Args:
        params: the instance (discrete demand).
        discount: ``None`` for the long-run average cost (relative value iteration), else a
            discount factor in (0, 1) (value iteration with MacQueen's bounds).
        margin: widen Zipkin's bounds by this many units (a check that they do not bind).
        tol: stop when the bounds on the optimal cost are this close (absolute).
        max_iter: give up (``RuntimeError``) after this many iterations.
        precision: ``"mixed"`` or ``"float64"`` (above).
        progress: show a progress bar with the current gap between the bounds.

    Returns:
        An :class:`~baselines.exact.ExactResult` whose ``orders`` table is optimal and
        ``cost`` is within ``tol``.

    Raises:
        ValueError: for bad arguments, or when the arrays would not fit in the memory
            available (the message gives both).
    """
    params = _check_params(params)
    if discount is not None and not (
        isinstance(discount, (int, float)) and 0.0 < float(discount) < 1.0
    ):
        raise ValueError(f"{_OWNER}: discount must be in (0, 1) or None, got {discount!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"{_OWNER}: tol must be a positive number, got {tol!r}")
    if precision not in ("mixed", "float64"):
        raise ValueError(f"{_OWNER}: precision must be 'mixed' or 'float64', got {precision!r}")
    start = time.perf_counter()
    grid = make_grid(params, margin)
    refusal = memory_refusal(memory_needed(params, margin), "it")
    if refusal is not None:
        raise ValueError(
            f"{_OWNER}: the state space is too large for exact DP here: {grid.size:,} states "
            f"x {grid.max_order + 1} orders ({refusal}); grid {grid.shape} from "
            f"lead_time={params.lead_time} and Zipkin's bounds"
        )
    op = BellmanOperator(params, grid)
    gamma = 1.0 if discount is None else float(discount)
    start_state = _start_index(params, grid)
    mixed = precision == "mixed" and grid.lead_time >= 2
    dtype = np.float32 if mixed else np.float64
    value = np.zeros(grid.shape, dtype=dtype)
    bar = _bar(progress, max_iter)
    lower = upper = math.nan
    span = math.inf
    orders = None
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        final = dtype == np.float64 and span < tol
        new, orders = op.minimise(value, gamma, dtype=dtype, orders=final)
        delta = new - value
        low, high = float(delta.min()), float(delta.max())
        if discount is None:
            lower, upper = low, high
            new -= new[start_state]
        else:
            factor = gamma / (1.0 - gamma)
            lower = float(new[start_state] + factor * low)
            upper = float(new[start_state] + factor * high)
        value = new
        del delta
        previous, span = span, upper - lower
        if bar is not None:
            bar.update(1)
            bar.set_postfix(gap=f"{span:.2e}", dtype=np.dtype(dtype).name)
        if final:
            break
        if dtype == np.float32 and (span < FLOAT32_SPAN or span >= previous):
            dtype = np.float64
            value = value.astype(np.float64)
            span = math.inf  # float32's bounds certify nothing: sweep again in float64
    else:
        raise RuntimeError(
            f"{_OWNER}: no convergence in max_iter={max_iter} iterations "
            f"(bounds {lower:.6f}..{upper:.6f})"
        )
    if bar is not None:
        bar.close()
    name = "dp_optimal" if discount is None else f"dp_discounted({discount:g})"
    return ExactResult(
        grid=grid,
        orders=orders,
        value=value,
        cost=0.5 * (lower + upper),
        bounds=(lower, upper),
        discount=discount,
        iterations=iteration,
        seconds=time.perf_counter() - start,
        name=name,
    )


def _start_index(params: LostSalesParams, grid: StateGrid) -> tuple[int, ...]:
    """Grid index of the env's starting state (the reference state of the relative values)."""
    try:
        return np.unravel_index(grid.start_index(), grid.shape)
    except ValueError as err:
        raise ValueError(f"{_OWNER}: {err}; raise margin") from None


def _bar(progress: bool, total: int) -> Any:
    if not progress:
        return None
    from inventory_gym.progress import bar as tqdm

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
    state = grid.state()
    on_hand = np.rint(state.on_hand).astype(np.int64)
    if params.lead_time == 0:
        arrival = np.zeros((grid.size, grid.max_stock + 1))
        arrival[np.arange(grid.size), on_hand] = 1.0
    else:
        pipeline = [np.rint(q).astype(np.int64) for q in state.pipeline]
        arrival = stock_at_arrival_pmf(on_hand, pipeline, op.pmf, grid.max_stock + 1)
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
    state = LOST_SALES.state_from_features(
        np.repeat(states.astype(np.float64), outcomes, axis=0), params
    )
    order = np.repeat(orders.astype(np.float64), outcomes)
    demand = np.tile(demands.astype(np.float64), count)
    nxt, costs, _ = dynamics.transition(state, order, demand, params, np)
    next_cols = np.rint(LOST_SALES.state_features(nxt, params, np)).astype(np.int64)
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
        initial = LOST_SALES.initial_state(params, 1, np, dtype=np.float64)
        start = np.rint(LOST_SALES.state_features(initial, params, np)).astype(np.int64)
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


__all__ = [
    "BellmanOperator",
    "PolicyChain",
    "StateGrid",
    "TablePolicy",
    "fit_myopic2",
    "fit_optimal",
    "make_grid",
    "memory_needed",
    "myopic_tables",
    "policy_cost",
    "solve",
    "zipkin_bounds",
]
