"""The exact optimum of lost sales when the demand law changes over time (SCENARIOS.md
section 5): a finite-horizon DP over ``(period, state)`` and its periodic variant for demand
that repeats (a season), on the usual bounded grid (:class:`~baselines.lost_sales.dp.StateGrid`).

The demand of period ``t`` has a known law (``params.demand.pmf_at(offset + t)``, with
``offset`` the env's ``demand_window``: an episode's first period is demand period
``demand_window``). Each period's Bellman operator is that of the stationary DP
(:class:`~baselines.lost_sales.dp.BellmanOperator`) with the period's law, so the finite-horizon
recursion

    V_T = 0,   V_t(s) = min_z  c z + C_t(s) + E_t[V_{t+1}(next(s, z, D_t))]

costs one stationary iteration per period. The grid takes Zipkin's bounds of the period whose
law is largest (the peak of a season, the plateau of a life cycle), widened by ``margin``.

- :func:`solve`: the optimal finite-horizon policy and its expected mean cost per period from
  the env's starting state (``V_0(start) / T``: the harness's cost with ``burn_in=0,
  periods=T``).
- :func:`solve_periodic`: the average-cost optimum of a demand law with period ``P`` (relative
  value iteration of the cycle's operator), a policy per phase.
- :func:`policy_cost`: the exact expected cost over the horizon of any integer policy (a
  heuristic, a table, a :class:`HorizonPolicy`) by the same backward recursion with the
  policy's orders in place of the minimum: no simulation.

The tables are :class:`HorizonPolicy` objects: a table per period over the state grid, read at
the policy's own clock (the number of calls since :meth:`HorizonPolicy.reset`, which the harness
calls at the start of every evaluation).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from baselines.exact import ExactResult, memory_refusal
from baselines.lost_sales.dp import BYTES_PER_ENTRY, BellmanOperator, StateGrid
from baselines.lost_sales.projection import convolved_pmf, fractile
from baselines.tables import Grid, TablePolicy
from inventory_gym.core.problem import Problem
from inventory_gym.demand import DemandModel, Seasonal, TimeVarying
from inventory_gym.envs.lost_sales.env import LOST_SALES
from inventory_gym.envs.lost_sales.params import LostSalesParams

_OWNER = "lost-sales horizon DP"

__all__ = [
    "HorizonGrid",
    "HorizonPolicy",
    "make_grid",
    "policy_cost",
    "solve",
    "solve_periodic",
]


class Timed(NamedTuple):
    """A batch of states with the period each is in (what :meth:`HorizonGrid.read` gives)."""

    period: np.ndarray
    state: Any


def _check(params: Any) -> LostSalesParams:
    if not isinstance(params, LostSalesParams):
        raise ValueError(f"{_OWNER}: needs LostSalesParams, got {type(params).__name__}")
    model = params.demand
    if not model.is_integer:
        raise ValueError(f"{_OWNER}: needs discrete (integer) demand, got demand={model}")
    try:
        model.pmf_at(0)
    except ValueError:
        raise ValueError(f"{_OWNER}: needs a known law per period, got demand={model}") from None
    return params


def _dense(model: DemandModel, t: int) -> np.ndarray:
    values, probs = model.pmf_at(int(t))
    dense = np.zeros(int(values[-1]) + 1)
    dense[values] = probs
    return dense


def _law_key(model: DemandModel, t: int) -> Any:
    """Periods with equal keys have the same law (their operator is built once)."""
    if isinstance(model, TimeVarying):
        return float(model.mean_at(int(t)))
    if model.is_stationary:
        return 0
    return int(t)


@dataclass(frozen=True)
class HorizonGrid(Grid):
    """The ``(period, state)`` grid of a time-varying lost-sales DP: ``periods`` tables over
    the :class:`~baselines.lost_sales.dp.StateGrid` ``(max_stock, max_order)``. Episode period
    ``k`` reads table ``min(k, periods - 1)`` (``cyclic``: ``(offset + k) mod periods``, the
    phase of a periodic law, whose tables are indexed by phase)."""

    problem: ClassVar[Problem] = LOST_SALES
    params: LostSalesParams
    max_stock: int
    max_order: int
    periods: int
    offset: int = 0
    cyclic: bool = False

    @property
    def states(self) -> StateGrid:
        """The grid of one period's states."""
        return StateGrid(self.params, self.max_stock, self.max_order)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.periods, *self.states.shape)

    def table_index(self, clock: int) -> int:
        """The table episode period ``clock`` reads."""
        if self.cyclic:
            return (self.offset + int(clock)) % self.periods
        return min(int(clock), self.periods - 1)

    def read(self, obs: Any, clock: int = 0) -> Timed:  # type: ignore[override]
        """The states of a batch of observations, at episode period ``clock``."""
        state = self.states.read(obs)
        rows = np.atleast_2d(np.asarray(obs)).shape[0]
        return Timed(np.full(rows, self.table_index(clock), dtype=np.int64), state)

    def coordinates(self, state: Timed) -> tuple[np.ndarray, ...]:  # type: ignore[override]
        return (np.asarray(state.period, dtype=np.int64), *self.states.coordinates(state.state))

    def state_at(self, coordinates: tuple[np.ndarray, ...]) -> Timed:  # type: ignore[override]
        return Timed(np.asarray(coordinates[0]), self.states.state_at(tuple(coordinates[1:])))

    def start_index(self) -> int:
        return self.states.start_index()


class HorizonPolicy(TablePolicy):
    """A policy given by one order table per period (a :class:`HorizonGrid`): each call reads
    the table of the policy's clock, the number of calls since :meth:`reset` (the harness
    calls ``reset`` at the start of every evaluation, and every row of its batch is in the same
    period). Its ``env_options`` ask for the ``demand_window`` its periods were solved with."""

    def __init__(self, grid: HorizonGrid, orders: Any, name: str = "table"):
        super().__init__(grid, orders, name)
        self.clock = 0
        self.env_options = {"demand_window": int(grid.offset)}

    def reset(self) -> None:
        """Back to the first period."""
        self.clock = 0

    def __call__(self, obs: Any) -> np.ndarray:
        idx, inside = self.grid.locate(self.grid.read(obs, self.clock))
        self.clock += 1
        self.lookups += inside.size
        self.misses += int(inside.size - inside.sum())
        return self._flat[idx][:, 0]


HorizonGrid.policy_class = HorizonPolicy  # type: ignore[attr-defined]


def _peak_period(model: DemandModel, periods: int, offset: int) -> int:
    """The period of the horizon whose law has the largest mean."""
    if isinstance(model, TimeVarying):
        means = np.asarray(model.mean_at(offset + np.arange(periods)), dtype=np.float64)
    else:
        means = np.array(
            [
                _dense(model, offset + t) @ np.arange(_dense(model, offset + t).size)
                for t in range(periods)
            ]
        )
    return int(offset + np.argmax(means))


def make_grid(
    params: LostSalesParams, periods: int, *, offset: int = 0, margin: int = 0, cyclic: bool = False
) -> HorizonGrid:
    """The grid of Zipkin's bounds of the largest period's law (over the horizon), each
    widened by ``margin`` units."""
    params = _check(params)
    for name, value, low in (("periods", periods, 1), ("offset", offset, 0), ("margin", margin, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{_OWNER}: {name} must be an integer >= {low}, got {value!r}")
    peak = _dense(params.demand, _peak_period(params.demand, int(periods), int(offset)))
    ratio = params.shortage_fractile
    order_bound = fractile(peak, ratio)
    position_bound = fractile(convolved_pmf(peak, params.lead_time + 1), ratio)
    cap = math.floor(params.order_cap)
    order_bound = min(order_bound, cap) + int(margin)
    position_bound = min(position_bound, (params.lead_time + 1) * cap) + int(margin)
    return HorizonGrid(params, position_bound, order_bound, int(periods), int(offset), cyclic)


class _Operators:
    """One :class:`BellmanOperator` per distinct law of the horizon's periods (built once)."""

    def __init__(self, params: LostSalesParams, states: StateGrid, periods: int, offset: int):
        from inventory_gym.demand import Empirical

        self.ops: list[BellmanOperator] = []
        built: dict[Any, BellmanOperator] = {}
        for t in range(periods):
            key = _law_key(params.demand, offset + t)
            if key not in built:
                values, probs = params.demand.pmf_at(offset + t)
                law = Empirical(tuple(int(v) for v in values), tuple(float(p) for p in probs))
                law_params = dataclasses.replace(params, demand=law, max_order=params.order_cap)
                built[key] = BellmanOperator(law_params, states)
            self.ops.append(built[key])
        self.stage = {
            id(op): np.where(op.feasible(), op.stage_cost(), np.inf) for op in built.values()
        }


def _memory(grid: HorizonGrid) -> int:
    states = grid.states
    return BYTES_PER_ENTRY * states.size * (grid.max_order + 1) + 8 * grid.size * 2 + 50_000_000


def _refuse(grid: HorizonGrid) -> None:
    refusal = memory_refusal(_memory(grid), "it")
    if refusal is not None:
        raise ValueError(
            f"{_OWNER}: the state space is too large for exact DP here: grid {grid.shape} "
            f"({refusal})"
        )


def _backward(
    ops: Any, value: np.ndarray, periods: int, orders: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """One backward pass of the Bellman recursion over periods ``periods - 1 .. 0``, from the
    value after the last one: fills ``orders[t]`` and ``values[t]`` and returns the value of
    period 0."""
    for t in range(periods - 1, -1, -1):
        op = ops.ops[t]
        q = op.expected_next_value(value)
        q += ops.stage[id(op)]
        orders[t] = q.argmin(axis=-1)
        value = q.min(axis=-1)
        values[t] = value
    return value


def solve(
    params: LostSalesParams, periods: int | None = None, *, offset: int = 0, margin: int = 0
) -> ExactResult:
    """The optimal policy over ``periods`` periods (default: the demand model's reference
    periods, e.g. a life cycle) starting at demand period ``offset``.

    Returns:
        An :class:`~baselines.exact.ExactResult` on a :class:`HorizonGrid`: ``cost`` is the
        expected mean cost per period from the env's starting state (exact), ``value`` the
        values ``V_t`` (shape ``grid.shape``), ``orders`` the optimal table of each period.
    """
    params = _check(params)
    if periods is None:
        periods = int(getattr(params.demand, "reference_periods", 0)) or 52
    start = time.perf_counter()
    grid = make_grid(params, periods, offset=offset, margin=margin)
    _refuse(grid)
    states = grid.states
    ops = _Operators(params, states, grid.periods, grid.offset)
    value = np.zeros(states.shape)
    values = np.empty(grid.shape)
    orders = np.empty(grid.shape, dtype=np.int64)
    value = _backward(ops, value, grid.periods, orders, values)
    idx = np.unravel_index(states.start_index(), states.shape)
    cost = float(values[0][idx]) / grid.periods
    return ExactResult(
        grid=grid,
        orders=orders,
        value=values,
        cost=cost,
        bounds=(cost, cost),
        discount=None,
        iterations=grid.periods,
        seconds=time.perf_counter() - start,
        name="dp_horizon",
    )


def solve_periodic(
    params: LostSalesParams,
    *,
    offset: int = 0,
    margin: int = 0,
    tol: float = 1e-7,
    max_cycles: int = 100_000,
) -> ExactResult:
    """The average-cost optimum of a periodic demand law (a :class:`Seasonal` model): relative
    value iteration of the cycle's operator (the ``P`` periods' Bellman operators in a row),
    a table per phase ``(offset + k) mod P``.

    ``cost`` is the optimal long-run average cost per period, between Odoni's bounds of the
    cycle (``bounds``, within ``tol``).
    """
    params = _check(params)
    model = params.demand
    if not isinstance(model, Seasonal):
        raise ValueError(f"{_OWNER}: the periodic DP needs a seasonal model, got demand={model}")
    start = time.perf_counter()
    grid = make_grid(params, model.period, offset=0, margin=margin, cyclic=True)
    grid = dataclasses.replace(grid, offset=int(offset))
    _refuse(grid)
    states = grid.states
    ops = _Operators(params, states, model.period, 0)  # table p is phase p
    ref = np.unravel_index(states.start_index(), states.shape)
    value = np.zeros(states.shape)
    values = np.empty(grid.shape)
    orders = np.empty(grid.shape, dtype=np.int64)
    lower = upper = math.nan
    for cycle in range(1, max_cycles + 1):  # noqa: B007 (the count is reported)
        new = _backward(ops, value, model.period, orders, values)
        delta = new - value
        lower, upper = float(delta.min()) / model.period, float(delta.max()) / model.period
        value = new - new[ref]
        if upper - lower < tol:
            break
    else:
        raise RuntimeError(f"{_OWNER}: no convergence in {max_cycles} cycles ({lower}..{upper})")
    return ExactResult(
        grid=grid,
        orders=orders,
        value=values - values[0][ref],
        cost=0.5 * (lower + upper),
        bounds=(lower, upper),
        discount=None,
        iterations=cycle,
        seconds=time.perf_counter() - start,
        name="dp_periodic",
    )


def policy_cost(
    params: LostSalesParams,
    policy: Any,
    periods: int,
    *,
    offset: int = 0,
    margin: int = 10,
) -> float:
    """The exact expected mean cost per period of ``policy`` over ``periods`` periods from the
    env's starting state (demand periods ``offset ..``), by backward recursion on the grid.

    ``policy`` is any batched callable over observations whose first columns are the state
    features (a heuristic, a table, a :class:`HorizonPolicy`): it is called once per period in
    order (after ``policy.reset()`` when it has one) with every grid state, so that a policy
    with a clock sees the periods as in the harness. Orders are rounded and clipped to
    ``[0, order_cap]`` as the env does.

    Raises:
        ValueError: when the policy's chain can leave the grid from the starting state (an
            order past the grid's bounds in a reachable state): raise ``margin``.
    """
    params = _check(params)
    grid = make_grid(params, periods, offset=offset, margin=margin)
    _refuse(grid)
    states = grid.states
    ops = _Operators(params, states, grid.periods, grid.offset)
    features = states.states().astype(np.float64)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset()
    table = []
    for _ in range(grid.periods):
        raw = np.asarray(policy(features), dtype=np.float64).reshape(-1)
        if raw.shape[0] != states.size or not np.all(np.isfinite(raw)):
            raise ValueError(f"{_OWNER}: the policy returned bad orders (shape {raw.shape})")
        table.append(np.rint(np.clip(raw, 0.0, params.order_cap)).astype(np.int64))
    positions = states.positions().reshape(-1)
    value = np.zeros(states.shape)
    leaves = np.zeros(states.shape)  # > 0 where the chain can leave the grid from there
    for t in range(grid.periods - 1, -1, -1):
        op = ops.ops[t]
        z = table[t]
        off = (z > grid.max_order) | ((positions + z > grid.max_stock) & (z > 0))
        zi = np.minimum(z, grid.max_order).reshape((*states.shape, 1))
        cost = np.take_along_axis(op.stage_cost(), zi, axis=-1)[..., 0]
        nxt = np.take_along_axis(op.expected_next_value(value), zi, axis=-1)[..., 0]
        nxt_leave = np.take_along_axis(op.expected_next_value(leaves), zi, axis=-1)[..., 0]
        value = cost + nxt
        leaves = np.where(off.reshape(states.shape), 1.0, nxt_leave)
    idx = np.unravel_index(states.start_index(), states.shape)
    if leaves[idx] > 0:
        raise ValueError(
            f"{_OWNER}: the policy leaves the grid {states.shape} with probability "
            f"{leaves[idx]:.3g} from the starting state; raise margin (now {margin})"
        )
    return float(value[idx]) / grid.periods
