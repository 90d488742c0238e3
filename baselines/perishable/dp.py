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

one sparse-dense product per iteration for all orders at once. ``R`` is built in blocks of
states (the kernel on a block's states times every demand value, the demand values that lead
to the same next state merged), so no (states x demand values) array of the whole grid exists;
a policy's chain shares ``R``'s probabilities and only re-maps its column indices.

- :func:`solve`: discounted policy iteration (De Moor et al. and Farrington et al. use
  gamma = 0.99), each policy evaluated by GMRES (a Krylov solver, no factorisation) and the
  result bounded by MacQueen's bounds, or relative value iteration for the average cost
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

BLOCK_PAIRS = 1 << 18
"""(state, demand value) pairs per call of the kernel while :class:`Model` is built: the
block's temporaries (the kernel's inputs and outputs, some 40 arrays of this length, about
90 MB) bound the build's peak, whatever the grid's size."""
BYTES_PER_STATE = 1150
"""Peak bytes per grid state of :func:`solve` and :meth:`PolicyModel.farrington` beyond the
interpreter: about 21 merged transitions per state at m = 5, each 20 bytes in ``R``
(probability, cost-weighted probability, column) and 4 more in a policy's chain; the (states x
orders) Q-values; GMRES's 20 Krylov vectors; a few value vectors. Measured at m = 5, L = 2
(1,771,561 states): 781 bytes a state traced by tracemalloc (numpy and scipy allocations,
1.38 GB), 1,180 resident (2.21 GB ``ru_maxrss`` less the interpreter's 117 MB: probably
freed blocks of the build that the allocator keeps); the estimate follows the resident peak."""
MEMORY_OVERHEAD = 250_000_000
"""Bytes beyond the per-state arrays: the build's blocks and the interpreter's libraries."""
EVAL_RTOL = 1e-13
"""Relative residual ``|c - (I - gamma P) V| / |c|`` a policy evaluation reaches (GMRES): the
value's error is at most ``1 / (1 - gamma)`` times that, relative (1e-11 at gamma = 0.99)."""
TIE_RTOL = 1e-10
"""An order changes in policy iteration only if it lowers the state's value by more than this,
relative (above the evaluation's error, so rounding cannot make the iteration cycle)."""

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
    """An estimate of the peak bytes of :func:`solve` (see :data:`BYTES_PER_STATE`)."""
    params = _check(params)
    return BYTES_PER_STATE * Grid.of(params).size + MEMORY_OVERHEAD


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
    if grid.size >= 2**31:
        raise ValueError(f"{_OWNER}: {where}, above the 2^31 states of 32-bit indices")


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


def _join(blocks: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate(blocks)``, emptying ``blocks`` (so the parts can be freed)."""
    out = np.concatenate(blocks)
    blocks.clear()
    return out


class Model:
    """The instance on its grid, built from the kernel (module docstring).

    Attributes:
        grid: the states.
        probs: (D,) demand probabilities of the values ``0..D-1``.
        rest: sparse (n, n / (max_order + 1)) CSR matrix of P(rest of the next state | state)
            (the next state with the new order's coordinate removed), float64, int32 columns.
        cost_weight: (nnz,) per entry of ``rest``: ``E[C(s, D) 1{rest(s, D) = r}]``,
            the cost without ``c a`` weighted by the entry's demand values (what the second
            moment of the discounted cost needs: :meth:`PolicyModel.farrington`).
        expected: (n,) ``E[C(s, D)]``, the period's expected cost without ``c a``.
        expected_sq: (n,) ``E[C(s, D)^2]``.
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
        self.start = grid.start_index()
        self._build()

    def _build(self) -> None:
        from scipy import sparse

        grid, probs, params = self.grid, self.probs, self.params
        n, width, outcomes = grid.size, grid.max_order + 1, self.probs.size
        n_rest = n // width
        block = max(1, BLOCK_PAIRS // outcomes)
        counts = np.zeros(n, dtype=np.int64)
        columns, weights, cost_weights = [], [], []
        self.expected = np.empty(n)
        self.expected_sq = np.empty(n)
        strides = [int(np.prod(grid.shape[i + 1 :])) for i in range(len(grid.shape))]
        demand_block = np.tile(np.arange(outcomes, dtype=np.float64), block)
        prob_block = np.tile(probs, block)
        for low in range(0, n, block):
            high = min(n, low + block)
            size = high - low
            pairs = size * outcomes
            coords = np.unravel_index(np.repeat(np.arange(low, high), outcomes), grid.shape)
            state = grid.state_at(coords)
            del coords
            nxt, costs, _ = dynamics.transition(
                state, np.zeros(pairs), demand_block[:pairs], params, np
            )
            del state
            # The flat index, coordinate by coordinate (Grid.locate's stacked copy and clip
            # took 40% of the build); the grid is closed under the kernel (module docstring).
            index = np.zeros(pairs, dtype=np.int64)
            for coord, step in zip(grid.coordinates(nxt), strides, strict=True):
                if coord.min() < 0 or coord.max() > grid.max_order:
                    raise RuntimeError(f"{_OWNER}: the kernel left the grid {grid.shape}")
                index += coord * step
            del nxt
            cost = costs.total()
            del costs
            p = prob_block[:pairs]
            row = np.repeat(np.arange(size, dtype=np.int64), outcomes)
            self.expected[low:high] = np.bincount(row, p * cost, minlength=size)
            self.expected_sq[low:high] = np.bincount(row, p * cost * cost, minlength=size)
            # The rest index: the flat index with the new axis removed.
            top, bottom = np.divmod(index, grid.stride * width)
            key = row * n_rest + (top * grid.stride + bottom % grid.stride)
            del top, bottom, index
            unique, inverse = np.unique(key, return_inverse=True)
            weights.append(np.bincount(inverse, p, minlength=unique.size))
            cost_weights.append(np.bincount(inverse, p * cost, minlength=unique.size))
            local_row, column = np.divmod(unique, n_rest)
            columns.append(column.astype(np.int32))
            counts[low:high] = np.bincount(local_row, minlength=size)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        # One list at a time: the blocks and the joined array of one of them at the peak.
        data = _join(weights)
        self.cost_weight = _join(cost_weights)
        self.rest = sparse.csr_matrix((data, _join(columns), indptr), shape=(n, n_rest))

    @property
    def orders(self) -> np.ndarray:
        """The possible orders ``0..max_order``."""
        return np.arange(self.grid.max_order + 1)

    @property
    def states(self) -> np.ndarray:
        """(n, k) every state, in flat-index order (what policies are asked about); built on
        each call, not stored."""
        return self.grid.states()

    def rest_matrix(self) -> Any:
        """Sparse (n, n / (max_order + 1)) matrix of P(rest of the next state | state)."""
        return self.rest

    def as_columns(self, value: np.ndarray) -> np.ndarray:
        """``value`` (n,) as the matrix ``V[rest, a]`` with the new axis as the column."""
        shaped = value.reshape(self.grid.shape)
        return np.moveaxis(shaped, self.grid.new_axis, -1).reshape(-1, self.grid.max_order + 1)

    def chain_columns(self, orders: np.ndarray) -> np.ndarray:
        """(nnz,) int32 next-state columns of the chain of ``orders`` (n,): each entry of
        :attr:`rest` with the order put back on the new axis."""
        grid = self.grid
        per_row = np.diff(self.rest.indptr)
        order = np.repeat(orders.astype(np.int32), per_row)
        stride = np.int32(grid.stride)
        top, bottom = np.divmod(self.rest.indices, stride)
        top *= np.int32(grid.max_order + 1)
        top += order
        top *= stride
        top += bottom
        return top

    def policy_orders(self, policy: Any) -> np.ndarray:
        """A policy's integer orders on every state: asked with the states as observations
        (in blocks of states), rounded and clipped to ``[0, max_order]``."""
        grid = self.grid
        out = np.empty(grid.size, dtype=np.int64)
        block = BLOCK_PAIRS
        for low in range(0, grid.size, block):
            high = min(grid.size, low + block)
            coords = np.unravel_index(np.arange(low, high), grid.shape)
            states = np.stack(coords, axis=1).astype(np.float64)
            raw = np.asarray(policy(states), dtype=np.float64).reshape(high - low, -1)[:, 0]
            if not np.all(np.isfinite(raw)):
                raise ValueError(f"{_OWNER}: the policy returned non-finite orders")
            out[low:high] = np.rint(np.clip(raw, 0.0, grid.max_order))
        return out


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

    Discounted: each policy is evaluated by GMRES on ``(I - gamma P) V = c`` (warm-started
    from the previous policy's value, to the relative residual :data:`EVAL_RTOL`), then
    improved; an order changes only if it lowers the state's value by more than a relative
    :data:`TIE_RTOL` (ties stay, so the iteration ends). It stops when no order changes: the
    policy is then optimal. ``bounds`` are MacQueen's bounds on the optimal value from the
    start after one more Bellman step, so they hold whatever the evaluation's error; ``cost``
    is the final policy's evaluated value. (Plain value iteration needs thousands of sweeps
    under LIFO, where the bounds contract slowly; a direct sparse solve fills in and needs
    about 10 kB a state.)

    Average: relative value iteration on the lazy chain ``(I + P) / 2`` (the same optimal
    policy, and half the gain, for any period structure of the chains), until Odoni's bounds
    on the optimal average cost are within ``tol``. Ties go to the smallest order.

    Args:
        params: the instance (discrete demand, integer ``max_order``), or its
            :class:`Model` (built once, shared with :class:`PolicyModel`).
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
    model = params if isinstance(params, Model) else Model(params, max_states=max_states)
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


def _q_values(model: Model, value: np.ndarray, gamma: float) -> np.ndarray:
    """(n, max_order + 1) ``c a + gamma E[V(next state)]`` for every state and order."""
    q = model.rest @ model.as_columns(value)
    q *= gamma
    q += model.params.unit_cost * model.orders[None, :]
    return q


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


def evaluate_policy(
    chain: PolicyModel, gamma: float, guess: np.ndarray | None = None, rtol: float = EVAL_RTOL
) -> np.ndarray:
    """The discounted value of a policy's chain: GMRES on ``(I - gamma P) V = c``.

    Raises:
        RuntimeError: when GMRES does not reach ``rtol``.
    """
    from scipy.sparse import linalg

    matrix = chain.transition
    n = matrix.shape[0]

    def apply(x: np.ndarray) -> np.ndarray:
        out = matrix @ x
        out *= -gamma
        out += x
        return out

    operator = linalg.LinearOperator((n, n), matvec=apply, dtype=np.float64)
    x0 = np.zeros(n) if guess is None else guess
    value, info = linalg.gmres(
        operator, chain.cost, x0=x0, rtol=rtol, atol=0.0, restart=20, maxiter=2_000
    )
    if info != 0:
        residual = np.linalg.norm(chain.cost - apply(value)) / np.linalg.norm(chain.cost)
        raise RuntimeError(
            f"{_OWNER}: the policy evaluation (GMRES) stopped at a relative residual "
            f"{residual:.1e}, above {rtol:g}"
        )
    return value


def _policy_iteration(model: Model, gamma: float, max_iter: int, bar: Any) -> ExactResult:
    grid = model.grid
    rows = np.arange(grid.size)
    value = np.zeros(grid.size)
    policy: np.ndarray | None = None
    for it in range(1, max_iter + 1):
        q = _q_values(model, value, gamma)
        greedy = q.argmin(axis=1)
        if policy is not None:
            current = q[rows, policy]
            better = q[rows, greedy] < current - TIE_RTOL * np.abs(current)
            if not better.any():
                break
            greedy = np.where(better, greedy, policy)
        policy = greedy
        q = None  # free the (states x orders) array while the chain is evaluated
        chain = PolicyModel(model, policy)
        value = evaluate_policy(chain, gamma, value)
        del chain
        if bar is not None:
            bar.update(1)
            bar.set_postfix(changed=int(grid.size if it == 1 else better.sum()))
    else:
        raise RuntimeError(f"{_OWNER}: policy iteration did not end in {max_iter} iterations")
    # MacQueen's bounds on the optimal value after one Bellman step from the final value.
    step = model.expected + q.min(axis=1)
    delta = step - value
    factor = gamma / (1.0 - gamma)
    start = model.start
    bounds = (
        float(step[start] + factor * delta.min()),
        float(step[start] + factor * delta.max()),
    )
    return _result(model, policy, value, float(value[start]), bounds, gamma, it)


def _relative_value_iteration(model: Model, tol: float, max_iter: int, bar: Any) -> ExactResult:
    grid = model.grid
    rows = np.arange(grid.size)
    value = np.zeros(grid.size)
    it = 0
    while True:
        it += 1
        q = _q_values(model, value, 1.0)
        best = q.argmin(axis=1)
        # The lazy chain: T' V = (V + T V) / 2 has gain g / 2 and the same optimal policy.
        new = 0.5 * (value + model.expected + q[rows, best])
        del q
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

    Attributes:
        orders: (n,) the policy's order in each state.
        transition: sparse (n, n) CSR transition matrix (it shares the model's
            probabilities; only its column indices are its own).
        cost: (n,) the period's expected cost in each state, ``c a`` included.
    """

    def __init__(self, params: PerishableParams | Model, policy: Any):
        from scipy import sparse

        self.model = model = params if isinstance(params, Model) else Model(params)
        if isinstance(policy, np.ndarray):
            self.orders = policy.astype(np.int64).reshape(model.grid.size)
        else:
            self.orders = model.policy_orders(policy)
        n = model.grid.size
        rest = model.rest
        self.transition = sparse.csr_matrix(
            (rest.data, model.chain_columns(self.orders), rest.indptr), shape=(n, n), copy=False
        )
        self.cost = model.expected + model.params.unit_cost * self.orders

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
        the next ``periods`` periods. The demand of a period enters its cost and the next
        state jointly: the cross term ``E[C W(next)]`` uses :attr:`Model.cost_weight`.
        ``std=False`` skips the second moment (``std`` is then NaN)."""
        from scipy import sparse

        model = self.model
        n = model.grid.size
        mu = np.zeros(n)
        mu[model.start] = 1.0
        pt = self.transition.T  # a CSC view: no copy
        for _ in range(burn_in):
            mu = pt @ mu
        first = np.zeros(n)  # E[discounted cost to go]
        if not std:
            for _ in range(periods):
                first = self.cost + discount * (self.transition @ first)
            return FarringtonValue(float(mu @ first), math.nan, float(discount), burn_in, periods)
        weighted = sparse.csr_matrix(
            (model.cost_weight, self.transition.indices, self.transition.indptr),
            shape=(n, n),
            copy=False,
        )
        order_cost = model.params.unit_cost * self.orders
        # E[(C + c a)^2] per state
        square = model.expected_sq + 2 * order_cost * model.expected + order_cost**2
        # columns: E[discounted cost to go] and E[(discounted cost to go)^2]
        moments = np.zeros((n, 2))
        for _ in range(periods):
            ahead = self.transition @ moments  # one pass over the matrix for both
            cross = weighted @ moments[:, 0] + order_cost * ahead[:, 0]  # E[(C + c a) W(next)]
            moments[:, 1] = square + 2 * discount * cross + discount**2 * ahead[:, 1]
            moments[:, 0] = self.cost + discount * ahead[:, 0]
        first, second = moments[:, 0], moments[:, 1]
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
