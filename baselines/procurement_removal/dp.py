"""The exact finite-horizon DP of joint procurement and removal (L = 0 and L = 1).

Backward induction over (period, stock on hand) for the season of ``T`` periods, vectorised
over the stock: each period is a handful of (N x N) array operations, so the default instance
(T = 52, N = 104) solves in a fraction of a second.

With L = 0 the decision reaches a level ``x = y + z - r`` before demand, and since ``s < c``
the cheapest way to reach it is to order ``(x - y)^+`` or remove ``(y - x)^+``, never both:
``V_t(y) = min_x c (x - y)^+ - s (y - x)^+ + G_t(x)`` over the reachable levels, with
``G_t(x) = E[h (x - D)^+ + p (D - x)^+ + V_{t+1}((x - D)^+)]``. With L = 1 the order arrives
next period: ``V_t(y) = min_r [-s r + L_t(y - r) + min_z (c z + E V_{t+1}((y - r - D)^+ +
z))]``, exact because the order only meets the removal through the level ``y - r``. At the end
the stock left (orders in transit included) is worth ``s`` per unit, in the last period's cost
as in the kernel. Stock above the grid's top ``N`` (:attr:`ProcurementRemovalParams.stock_cap`)
is not reached by the optimal policy; a policy evaluated here that would exceed it is clipped
there, and :func:`policy_values` counts the states where that happens.

The period of a state is read from its ``time_left`` (``T - t``), so the policy table is a
plain :class:`~baselines.tables.TablePolicy` on a (stock, time left) grid: it needs no clock.
The DP assumes the season's demand is periods ``0 .. T - 1`` of the model (``demand_window``
0, the default).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from baselines.exact import ExactResult
from baselines.tables import BoxGrid, TablePolicy
from inventory_gym.envs.procurement_removal.env import PROCUREMENT_REMOVAL
from inventory_gym.envs.procurement_removal.params import ProcurementRemovalParams


@dataclass(frozen=True)
class SeasonGrid(BoxGrid):
    """The (stock on hand 0..max_stock, time left 0..T) grid of L = 0 and L = 1 (whose
    states have no order in transit)."""

    problem = PROCUREMENT_REMOVAL
    params: Any
    max_stock: int

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.max_stock + 1, self.params.season_length + 1)


def unsupported(params: ProcurementRemovalParams) -> str | None:
    """Why the DP does not handle the instance, or ``None``."""
    if params.lead_time > 1:
        return f"the DP covers lead_time 0 and 1, got {params.lead_time}"
    if not params.demand.is_integer:
        return "the DP needs discrete demand"
    try:
        params.demand.pmf_at(0)
    except ValueError:
        return f"the DP needs a known law per period, not demand={params.demand}"
    for name in ("order_cap", "removal_cap"):
        value = getattr(params, name)
        if not float(value).is_integer():
            return f"the DP needs an integer {name}, got {value:g}"
    if not all(float(v).is_integer() for v in params.stock_range):
        return f"the DP needs an integer starting stock, got {params.initial_stock}"
    return None


def make_grid(params: ProcurementRemovalParams) -> SeasonGrid:
    return SeasonGrid(params, int(params.stock_cap))


def memory_needed(params: ProcurementRemovalParams) -> int:
    n = int(params.stock_cap) + 1
    return 8 * n * (4 * n + 4 * int(params.order_cap) + 8 * (params.season_length + 1))


class _Period:
    """One period's demand law on the grid: the expected holding and lost-sales cost of each
    level ``x`` and the law of the leftover ``(x - D)^+`` (a (N+1, N+1) matrix)."""

    def __init__(self, params: ProcurementRemovalParams, t: int, n: int):
        values, probs = params.demand.pmf_at(t)
        values = np.asarray(values, np.int64)
        probs = np.asarray(probs, np.float64)
        x = np.arange(n + 1)[:, None]
        over = x - values[None, :]
        self.cost = (
            np.maximum(over, 0) * params.holding_cost
            + np.maximum(-over, 0) * params.lost_sales_cost
        ) @ probs
        leftover = np.maximum(over, 0)
        self.law = np.zeros((n + 1, n + 1))
        np.add.at(
            self.law,
            (np.repeat(np.arange(n + 1), values.size), leftover.ravel()),
            np.tile(probs, n + 1),
        )


def _periods(params: ProcurementRemovalParams, n: int) -> list[_Period]:
    return [_Period(params, t, n) for t in range(params.season_length)]


def solve(params: ProcurementRemovalParams, *, removal: bool = True) -> ExactResult:
    """The optimal policy table and values over the season (see the module docstring).

    ``cost`` is the expected cost per period of the season (the harness's metric with
    ``periods = T``, ``burn_in = 0``), averaged over the random starting stock.
    ``removal=False``: the best policy that never removes (for L = 0 a base-stock level per
    period), named ``never_remove``: what the removal option is worth is the difference.
    """
    reason = unsupported(params)
    if reason is not None:
        raise ValueError(f"ProcurementRemoval DP: {reason}")
    t0 = time.perf_counter()
    grid = make_grid(params)
    n, T = grid.max_stock, params.season_length
    c, s = params.unit_cost, params.salvage_value
    z_cap, r_cap = int(params.order_cap), int(params.removal_cap) if removal else 0
    y = np.arange(n + 1)
    values = np.zeros((n + 1, T + 1))
    orders = np.zeros((n + 1, T + 1, 2))
    following = -s * y.astype(np.float64)  # the value of the state after the last period
    periods = _periods(params, n)
    if params.lead_time == 0:
        x = y[None, :]
        move = x - y[:, None]  # row: stock y, column: level x
        feasible = (move <= z_cap) & (-move <= np.minimum(y[:, None], r_cap))
        step = np.where(move > 0, c * move, s * move).astype(np.float64)
        step[~feasible] = np.inf
    else:
        z = np.arange(z_cap + 1)
        ahead = np.minimum(y[:, None] + z[None, :], n)  # leftover w + order z, clipped
        r = y[:, None] - y[None, :]  # row: stock y, column: level x = y - r
        feasible = (r >= 0) & (r <= r_cap)
        removal_value = np.where(feasible, -s * r, np.inf)
    for k in range(T - 1, -1, -1):
        p = periods[k]
        if params.lead_time == 0:
            g = p.cost + p.law @ following
            total = step + g[None, :]
            best = np.argmin(total, axis=1)
            v = total[y, best]
            order, removed = np.maximum(best - y, 0), np.maximum(y - best, 0)
        else:
            q = c * z[None, :] + p.law @ following[ahead]  # (level x, order z)
            zbest = np.argmin(q, axis=1)
            w = p.cost + q[y, zbest]
            total = removal_value + w[None, :]
            best = np.argmin(total, axis=1)
            v = total[y, best]
            order, removed = zbest[best], y - best
        tau = T - k
        values[:, tau] = v
        orders[:, tau, 0] = order
        orders[:, tau, 1] = removed
        following = v
    cost = start_average(params, values[:, T]) / T
    return ExactResult(
        grid=grid,
        orders=orders,
        value=values,
        cost=float(cost),
        bounds=(float(cost), float(cost)),
        discount=None,
        iterations=T,
        seconds=time.perf_counter() - t0,
        name="optimal" if removal else "never_remove",
    )


def start_average(params: ProcurementRemovalParams, first: np.ndarray) -> float:
    """The mean of a first-period value over the starting stock (uniform on its integers)."""
    low, high = (int(v) for v in params.stock_range)
    return float(np.mean(first[low : high + 1]))


def policy_tables(params: ProcurementRemovalParams, policy: Any) -> np.ndarray:
    """A policy's integer actions on every (stock, time left) state of the grid, (N+1, T+1, 2):
    its answers to those observations, rounded and clipped as the shells do."""
    grid = make_grid(params)
    if isinstance(policy, TablePolicy) and policy.grid == grid:
        acts = policy.orders.reshape(-1, 2)
    else:
        obs = grid.states().astype(np.float32)
        acts = np.asarray(policy(obs), np.float64).reshape(obs.shape[0], 2)
    acts = np.rint(acts).reshape(*grid.shape, 2)
    stock = np.arange(grid.max_stock + 1, dtype=np.float64)[:, None]
    acts[..., 0] = np.clip(acts[..., 0], 0, int(params.order_cap))
    acts[..., 1] = np.clip(acts[..., 1], 0, np.minimum(stock, int(params.removal_cap)))
    return acts


def policy_values(params: ProcurementRemovalParams, policy: Any) -> tuple[np.ndarray, int]:
    """The exact expected cost to the end of the season of a policy from every (stock, time
    left) state, (N+1, T+1), by backward recursion; and the number of (state, period) pairs
    where it would lift the stock above the grid (clipped there: then the values are not
    exact)."""
    reason = unsupported(params)
    if reason is not None:
        raise ValueError(f"ProcurementRemoval DP: {reason}")
    acts = policy_tables(params, policy)
    grid = make_grid(params)
    n, T = grid.max_stock, params.season_length
    c, s = params.unit_cost, params.salvage_value
    y = np.arange(n + 1)
    values = np.zeros((n + 1, T + 1))
    following = -s * y.astype(np.float64)
    clipped = 0
    for k in range(T - 1, -1, -1):
        p = _Period(params, k, n)
        tau = T - k
        z, r = acts[:, tau, 0].astype(np.int64), acts[:, tau, 1].astype(np.int64)
        step = c * z - s * r
        if params.lead_time == 0:
            level = y + z - r
            clipped += int((level > n).sum())
            level = np.minimum(level, n)
            v = step + p.cost[level] + p.law[level] @ following
        else:
            level = y - r
            ahead = y[None, :] + z[:, None]
            clipped += int((level + z > n).sum())  # the leftover is at most the level
            nxt = following[np.minimum(ahead, n)]  # (state, leftover w)
            v = step + p.cost[level] + np.einsum("iw,iw->i", p.law[level], nxt)
        values[:, tau] = v
        following = v
    return values, clipped


def season_cost(params: ProcurementRemovalParams, policy: Any) -> float:
    """A policy's exact expected cost per period of the season, averaged over the starting
    stock: the harness's metric with ``periods = T`` and ``burn_in = 0``.

    Raises:
        ValueError: when the policy lifts the stock above the grid (no exact value).
    """
    values, clipped = policy_values(params, policy)
    if clipped:
        raise ValueError(
            f"the policy lifts the stock above the DP grid's {int(params.stock_cap)} units in "
            f"{clipped} (state, period) pairs: no exact season cost"
        )
    return start_average(params, values[:, params.season_length]) / params.season_length
