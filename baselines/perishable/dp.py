"""Exact dynamic programming for perishable inventory (SCENARIOS.md section 2).

The state is the env's observation ``(X_1, ..., X_m, p_1, ..., p_{L-1})``: stock by
remaining life, the freshest first, then the orders in transit. Every component lies in
``0..max_order`` (each unit arrived as part of one order), so the grid of all integer states is
closed under every policy and no bound has to be guessed: the DP is exact on the whole space.

The order placed now only fills one coordinate of the next state (``X_1'`` when ``L = 1``,
else ``p_{L-1}'``), and the costs of the period other than ``c a`` do not depend on it
(``L >= 1``). So the model is built once, by running the kernel
(:func:`inventory_gym.envs.perishable.dynamics.transition`) on every state and demand value
with the order 0: the next state without the order (``base``) and the cost without ``c a``.
With ``V`` viewed as a matrix ``V[rest, a]`` (the new coordinate as the column),

    Q(s, a) = C(s) + c a + gamma * (R @ V)[s, a],   R[s, rest] = P(next state's rest | s),

one sparse-dense product per iteration for all orders at once.

- :func:`solve`: discounted value iteration (De Moor et al. and Farrington et al. use
  gamma = 0.99) with MacQueen's bounds, or relative value iteration for the average cost
  (``discount=None``) with Odoni's bounds.
- :class:`PolicyModel`: any stationary policy's exact chain on the grid, for its average
  cost, its discounted cost from the empty start, and Farrington et al.'s metric (the mean
  and standard deviation over paths of the discounted cost of 365 periods after a burn-in
  of 100 from empty), all without simulation error.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from baselines import chains
from baselines.chains import stationary_law
from baselines.exact import ExactResult, memory_refusal
from baselines.tables import BoxGrid, TablePolicy
from inventory_gym.core.problem import Problem
from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.perishable import dynamics
from inventory_gym.envs.perishable.env import PERISHABLE
from inventory_gym.envs.perishable.params import DE_MOOR_DISCOUNT, PerishableParams

_OWNER = "perishable DP"

PMF_TOL = 1e-15
"""Tail mass of the demand pmf folded into its last point (far below any reported digit)."""

ARRAYS_PER_OUTCOME = 4
"""Peak (state, demand value) arrays of :class:`Model` and :func:`solve`, per state feature:
the kernel's inputs and outputs on every state and demand value (float64), beside
:data:`ARRAYS_FIXED` more (costs, flows, next indices, the sparse matrices)."""
ARRAYS_FIXED = 16
"""Measured: 25 (state, demand value) arrays of 8 bytes at m = 4, L = 1 (14,641 states, 45
demand values, 133 MB traced by tracemalloc), where the estimate gives 4 * 4 + 16 = 32; at
m = 5, L = 1 (161,051 states) the estimate is 2.1 GB, the peak 2.0 GB traced and 2.06 GB
resident, sparse LU included."""
MEMORY_OVERHEAD = 50_000_000
"""Bytes beyond the (state, demand value) arrays."""

FARRINGTON = {"burn_in": 100, "periods": 365, "num_paths": 10_000}
"""Farrington et al.'s evaluation: 10,000 paths from empty, 100 burn-in periods, then the
discounted cost of the next 365 (discount 0.99)."""


def demand_pmf(params: PerishableParams) -> np.ndarray:
    """P(D = k) for k = 0..K of the instance's discrete demand (tail mass below
    :data:`PMF_TOL` folded into K)."""
    model = params.demand
    if not isinstance(model, DiscreteDemand):
        raise ValueError(f"{_OWNER}: needs a discrete (integer) demand model, got {model}")
    return model.dense_pmf(PMF_TOL)


def _check(params: Any) -> PerishableParams:
    if not isinstance(params, PerishableParams):
        raise ValueError(f"{_OWNER}: expected PerishableParams, got {type(params).__name__}")
    cap = params.order_cap
    if cap != int(cap):
        raise ValueError(f"{_OWNER}: needs an integer max_order, got {cap}")
    return params


def memory_needed(params: PerishableParams) -> int:
    """An estimate of the peak bytes of :func:`solve` (see :data:`ARRAYS_PER_OUTCOME`)."""
    params = _check(params)
    grid = Grid.of(params)
    arrays = ARRAYS_PER_OUTCOME * len(grid.shape) + ARRAYS_FIXED
    return arrays * 8 * grid.size * demand_pmf(params).size + MEMORY_OVERHEAD


def _check_size(params: PerishableParams, max_states: int | None) -> None:
    grid = Grid.of(params)
    where = (
        f"useful_life={params.useful_life}, lead_time={params.lead_time} and "
        f"max_order={params.order_cap:g} give {grid.size:,} states"
    )
    if max_states is not None and grid.size > max_states:
        raise ValueError(f"{_OWNER}: {where}, above max_states={max_states:,}")
    refusal = memory_refusal(memory_needed(params), "their arrays")
    if refusal is not None:
        raise ValueError(f"{_OWNER}: {where}, too large for exact DP here: {refusal}")


@dataclass(frozen=True)
class Grid(BoxGrid):
    """All integer states: ``m + L - 1`` axes in observation order, each ``0..max_order``."""

    problem: ClassVar[Problem] = PERISHABLE
    params: PerishableParams
    max_order: int

    @property
    def useful_life(self) -> int:
        return self.params.useful_life

    @property
    def lead_time(self) -> int:
        return self.params.lead_time

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.max_order + 1,) * (self.useful_life + self.lead_time - 1)

    @property
    def new_axis(self) -> int:
        """The axis the order placed now fills in the next state: ``X_1`` for ``L = 1``, else
        the last pipeline entry."""
        return 0 if self.lead_time == 1 else len(self.shape) - 1

    @property
    def stride(self) -> int:
        """Flat-index step of one unit on :attr:`new_axis`."""
        return int(np.prod(self.shape[self.new_axis + 1 :]))

    @classmethod
    def of(cls, params: PerishableParams) -> Grid:
        return cls(params, int(params.order_cap))


class Model:
    """The instance on its grid, built from the kernel (module docstring).

    Attributes:
        grid: the states.
        probs: (D,) demand probabilities of the values ``0..D-1``.
        base: (n, D) flat index of the next state with the order 0, per state and demand.
        cost: (n, D) the period's cost without the order cost, per state and demand.
        expected: (n,) ``cost @ probs``.
        states: (n, k) every state, in flat-index order (what policies are asked about).
        start: the flat index of the env's starting state (empty).

    Raises:
        ValueError: for an instance the DP does not solve, a grid above ``max_states`` (when
            given) or one whose arrays would not fit in the memory available.
    """

    def __init__(self, params: PerishableParams, *, max_states: int | None = None):
        params = _check(params)
        _check_size(params, max_states)
        self.params = params
        self.grid = grid = Grid.of(params)
        self.probs = demand_pmf(params)
        self.states = grid.states()
        self.start = grid.start_index()
        n, outcomes = grid.size, self.probs.size
        state = PERISHABLE.state_from_features(
            np.repeat(self.states.astype(np.float64), outcomes, axis=0), params
        )
        demand = np.tile(np.arange(outcomes, dtype=np.float64), n)
        nxt, costs, _ = dynamics.transition(state, np.zeros(n * outcomes), demand, params, np)
        nxt_index, inside = grid.locate(nxt)
        if not inside.all():  # the grid is closed under the kernel (module docstring)
            raise RuntimeError(f"{_OWNER}: the kernel left the grid {grid.shape}")
        self.base = nxt_index.reshape(n, outcomes)
        self.cost = costs.total().reshape(n, outcomes)
        self.expected = self.cost @ self.probs

    @property
    def orders(self) -> np.ndarray:
        """The possible orders ``0..max_order``."""
        return np.arange(self.grid.max_order + 1)

    def rest_matrix(self) -> Any:
        """Sparse (n, n / (max_order + 1)) matrix of P(rest of the next state | state)."""
        from scipy import sparse

        grid = self.grid
        n, width = grid.size, grid.max_order + 1
        # The rest index: the flat index with the new axis removed.
        high, low = np.divmod(self.base, grid.stride * width)
        rest = high * grid.stride + low % grid.stride
        rows = np.repeat(np.arange(n), self.probs.size)
        data = np.tile(self.probs, n)
        return sparse.csr_matrix((data, (rows, rest.ravel())), shape=(n, n // width))

    def as_columns(self, value: np.ndarray) -> np.ndarray:
        """``value`` (n,) as the matrix ``V[rest, a]`` with the new axis as the column."""
        shaped = value.reshape(self.grid.shape)
        return np.moveaxis(shaped, self.grid.new_axis, -1).reshape(-1, self.grid.max_order + 1)

    def policy_orders(self, policy: Any) -> np.ndarray:
        """A policy's integer orders on every state: asked once with the states as
        observations, rounded and clipped to ``[0, max_order]``."""
        raw = np.asarray(policy(self.states.astype(np.float64)), dtype=np.float64)
        raw = raw.reshape(self.grid.size, -1)[:, 0]
        if not np.all(np.isfinite(raw)):
            raise ValueError(f"{_OWNER}: the policy returned non-finite orders")
        return np.rint(np.clip(raw, 0.0, self.grid.max_order)).astype(np.int64)


def solve(
    params: PerishableParams,
    *,
    discount: float | None = DE_MOOR_DISCOUNT,
    tol: float = 1e-10,
    max_iter: int = 100_000,
    max_states: int | None = None,
    progress: bool = False,
) -> ExactResult:
    """The optimal policy: policy iteration (discounted) or relative value iteration
    (``discount=None``, average cost).

    Discounted: each policy is evaluated exactly, by a sparse linear solve of
    ``(I - gamma P) V = c``, then improved; an order changes only if it lowers the state's
    value by more than a relative ``1e-12`` (ties stay, so the iteration ends). It stops when
    no order changes: the policy is then optimal, and its value is exact up to the solver's
    rounding. (Plain value iteration needs thousands of sweeps under LIFO, where the bounds
    contract slowly.)

    Average: relative value iteration on the lazy chain ``(I + P) / 2`` (the same optimal
    policy, and half the gain, for any period structure of the chains), until Odoni's bounds
    on the optimal average cost are within ``tol``. Ties go to the smallest order.

    Args:
        params: the instance (discrete demand, integer ``max_order``).
        discount: in (0, 1), or ``None`` for the average cost.
        tol: width of the final bounds (average cost).
        max_iter: give up (``RuntimeError``) after this many iterations.
        max_states: refuse grids larger than this (``ValueError``); ``None``: refuse only
            a grid whose arrays would not fit in the memory available (:func:`memory_needed`).
        progress: show a progress bar over the iterations.

    Returns:
        An :class:`~baselines.exact.ExactResult` (its policy is named ``"optimal"``).
    """
    if discount is not None and not (
        isinstance(discount, (int, float)) and 0.0 < float(discount) < 1.0
    ):
        raise ValueError(f"{_OWNER}: discount must be in (0, 1) or None, got {discount!r}")
    t0 = time.perf_counter()
    model = Model(params, max_states=max_states)
    bar = _bar(progress, "policy iteration" if discount is not None else "value iteration")
    try:
        if discount is None:
            solution = _relative_value_iteration(model, tol, max_iter, bar)
        else:
            solution = _policy_iteration(model, float(discount), max_iter, bar)
        return replace(solution, seconds=time.perf_counter() - t0)
    finally:
        if bar is not None:
            bar.close()


def _q_values(model: Model, matrix: Any, value: np.ndarray, gamma: float) -> np.ndarray:
    """(n, max_order + 1) ``c a + gamma E[V(next state)]`` for every state and order."""
    order_cost = model.params.unit_cost * model.orders
    return order_cost[None, :] + gamma * (matrix @ model.as_columns(value))


def _result(model: Model, orders, value, cost, bounds, discount, iterations) -> ExactResult:
    grid = model.grid
    return ExactResult(
        grid=grid,
        orders=orders.reshape(grid.shape),
        value=value.reshape(grid.shape),
        cost=cost,
        bounds=bounds,
        discount=discount,
        iterations=iterations,
        seconds=0.0,
    )


def _policy_iteration(model: Model, gamma: float, max_iter: int, bar: Any) -> ExactResult:
    from scipy import sparse
    from scipy.sparse import linalg

    grid, matrix = model.grid, model.rest_matrix()
    rows = np.arange(grid.size)
    identity = sparse.identity(grid.size, format="csc")
    value = np.zeros(grid.size)
    policy: np.ndarray | None = None
    for it in range(1, max_iter + 1):
        q = _q_values(model, matrix, value, gamma)
        greedy = q.argmin(axis=1)
        if policy is not None:
            current = q[rows, policy]
            better = q[rows, greedy] < current - 1e-12 * np.abs(current)
            if not better.any():
                break
            greedy = np.where(better, greedy, policy)
        policy = greedy
        chain = PolicyModel(model, policy)
        value = linalg.spsolve((identity - gamma * chain.transition).tocsc(), chain.cost)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(changed=int(grid.size if it == 1 else better.sum()))
    else:
        raise RuntimeError(f"{_OWNER}: policy iteration did not end in {max_iter} iterations")
    cost = float(value[model.start])
    return _result(model, policy, value, cost, (cost, cost), gamma, it)


def _relative_value_iteration(model: Model, tol: float, max_iter: int, bar: Any) -> ExactResult:
    grid, matrix = model.grid, model.rest_matrix()
    value = np.zeros(grid.size)
    it = 0
    while True:
        it += 1
        q = _q_values(model, matrix, value, 1.0)
        best = q.argmin(axis=1)
        # The lazy chain: T' V = (V + T V) / 2 has gain g / 2 and the same optimal policy.
        new = 0.5 * (value + model.expected + q[np.arange(grid.size), best])
        delta = new - value
        low, high = float(delta.min()), float(delta.max())
        value = new - new[model.start]
        if bar is not None:
            bar.update(1)
            bar.set_postfix(width=f"{2 * (high - low):.1e}")
        if 2 * (high - low) < tol:
            break
        if it >= max_iter:
            raise RuntimeError(f"{_OWNER}: no convergence in {max_iter} iterations")
    # The lazy chain's gain is half the problem's: Odoni's bounds double.
    return _result(model, best, value, low + high, (2 * low, 2 * high), None, it)


def _bar(progress: bool, desc: str) -> Any:
    if not progress:
        return None
    from inventory_gym.progress import bar as tqdm

    return tqdm(desc=desc, unit="it", leave=False)


@dataclass(frozen=True)
class FarringtonValue:
    """Farrington et al.'s metric of a policy, exact: the mean and the standard deviation
    over paths of the discounted cost of ``periods`` periods after ``burn_in`` from empty."""

    mean: float
    std: float
    discount: float
    burn_in: int
    periods: int

    def stderr(self, num_paths: int = FARRINGTON["num_paths"]) -> float:
        """The standard error of a mean over ``num_paths`` simulated paths."""
        return self.std / math.sqrt(num_paths)


class PolicyModel:
    """The exact chain of a stationary integer policy on the grid.

    Args:
        params: the instance, or a :class:`Model` to reuse.
        policy: any batched callable (a heuristic, a
            :class:`~baselines.tables.TablePolicy`, a network's ``state_policy``): it is
            asked once, on every state; or the (n,) integer orders of the states in
            flat-index order.
    """

    def __init__(self, params: PerishableParams | Model, policy: Any):
        from scipy import sparse

        self.model = model = params if isinstance(params, Model) else Model(params)
        if isinstance(policy, np.ndarray):
            self.orders = policy.astype(np.int64).reshape(model.grid.size)
        else:
            self.orders = model.policy_orders(policy)
        n, outcomes = model.grid.size, model.probs.size
        self.next = model.base + (self.orders * model.grid.stride)[:, None]
        self.step_cost = model.cost + (model.params.unit_cost * self.orders)[:, None]
        self.cost = model.expected + model.params.unit_cost * self.orders
        rows = np.repeat(np.arange(n), outcomes)
        self.transition = sparse.csr_matrix(
            (np.tile(model.probs, n), (rows, self.next.ravel())), shape=(n, n)
        )

    def average_cost(self, tol: float = 1e-12, max_iter: int = 1_000_000) -> float:
        """Long-run average cost from the empty start: the stationary law by power iteration
        of the lazy chain ``(I + P) / 2``."""
        start = self.model.start
        law = stationary_law(self.transition, start, owner=_OWNER, tol=tol, max_iter=max_iter)
        return float(law @ self.cost)

    def discounted_cost(self, discount: float = DE_MOOR_DISCOUNT, tol: float = 1e-10) -> float:
        """Expected discounted cost ``sum_t discount^t cost_t`` from the empty start."""
        start = self.model.start
        return chains.discounted_cost(self.transition, self.cost, discount, start, tol=tol)

    def farrington(
        self,
        discount: float = DE_MOOR_DISCOUNT,
        burn_in: int = FARRINGTON["burn_in"],
        periods: int = FARRINGTON["periods"],
        *,
        std: bool = True,
    ) -> FarringtonValue:
        """Farrington et al.'s metric, exact: the state's law after ``burn_in`` periods from
        empty, then backward recursions for the first two moments of the discounted cost of
        the next ``periods`` periods (the demand of each period enters the cost and the next
        state jointly, so the moments are taken per state and demand value). ``std=False``
        skips the second moment (``std`` is then NaN)."""
        probs = self.model.probs
        mu = np.zeros(self.model.grid.size)
        mu[self.model.start] = 1.0
        pt = self.transition.T.tocsr()
        for _ in range(burn_in):
            mu = pt @ mu
        first = np.zeros(self.model.grid.size)  # E[discounted cost to go]
        if not std:  # the mean alone: sparse products, about 3x faster
            for _ in range(periods):
                first = self.cost + discount * (self.transition @ first)
            return FarringtonValue(float(mu @ first), math.nan, float(discount), burn_in, periods)
        second = np.zeros(self.model.grid.size)  # E[(discounted cost to go)^2]
        c = self.step_cost
        for _ in range(periods):
            w1, w2 = first[self.next], second[self.next]
            first, second = (
                (c + discount * w1) @ probs,
                (c * c + 2 * discount * c * w1 + discount**2 * w2) @ probs,
            )
        mean = float(mu @ first)
        var = max(float(mu @ second) - mean * mean, 0.0)
        return FarringtonValue(mean, math.sqrt(var), float(discount), burn_in, periods)


def fit_optimal(
    env_id: str = "Perishable-v0", env_kwargs: Any = None, config: Any = None
) -> TablePolicy:
    """The average-cost optimal policy of the instance, for the registry (the harness scores
    the average cost by default; :func:`solve` with a discount gives the discounted one)."""
    from inventory_gym.evaluation import instance_params

    params = instance_params("fit_optimal", env_id, env_kwargs, "perishable")
    progress = bool(getattr(config, "progress", False))
    return solve(params, discount=None, progress=progress).policy()


__all__ = [
    "FARRINGTON",
    "FarringtonValue",
    "Grid",
    "Model",
    "PolicyModel",
    "TablePolicy",
    "demand_pmf",
    "fit_optimal",
    "memory_needed",
    "solve",
]
