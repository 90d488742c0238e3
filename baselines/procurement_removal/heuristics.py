"""Heuristics of ProcurementRemoval-v0, each a time-varying pair of levels.

The heuristics here are *interval policies*: in period t, order up to ``S_lo(t)`` on the
inventory position (stock on hand plus orders in transit) when it is below, remove down to
``S_hi(t) >= S_lo(t)`` (at most the stock on hand) when it is above, do nothing in between.
The period is read from the observation's ``time_left``, so the policies need no clock.
They differ in how the levels are chosen:

- ``interval``: the levels are quantiles of the demand over the order's lead time plus one
  period, ``S_lo(t) = F_t^{-1}(a)`` and ``S_hi(t) = F_t^{-1}(b)``, a parametric curve whose two
  ratios ``a <= b`` are fitted on the exact season cost (:func:`fit_interval`);
- ``never_remove``: the best policy that never removes, the exact DP without removal (for
  L = 0 an optimal base-stock level per period), so that the value of removal is measured;
- ``myopic``: the newsvendor levels of one period with the leftover valued at the purchase
  price (ordering: ratio ``(p - c) / (p + h - c)``) and at the salvage value (removal: ratio
  ``(p - s) / (p + h - s)``); nothing fitted.

Fitting on the DP's exact expected cost (not on simulated paths) leaves no sampling noise in
the fit and no test paths to overfit: the harness's evaluation paths are never seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.procurement_removal import dp
from inventory_gym.envs.procurement_removal.env import PROCUREMENT_REMOVAL
from inventory_gym.envs.procurement_removal.params import ProcurementRemovalParams


class IntervalPolicy:
    """Order up to ``low[t]``, remove down to ``high[t]`` (see the module docstring)."""

    def __init__(self, params: ProcurementRemovalParams, low: Any, high: Any, name: str):
        low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
        T = params.season_length
        if low.shape != (T,) or high.shape != (T,) or (high < low).any():
            raise ValueError(
                f"{name}: levels must be two arrays of {T} periods with low <= high, got "
                f"shapes {low.shape} and {high.shape}"
            )
        self.params, self.low, self.high, self.name = params, low, high, name

    def __call__(self, obs: Any) -> np.ndarray:
        parts = PROCUREMENT_REMOVAL.parts(np.atleast_2d(np.asarray(obs, np.float64)), self.params)
        on_hand = parts["on_hand"]
        position = on_hand + parts["pipeline"].sum(axis=1)
        T = self.params.season_length
        t = np.clip(T - np.rint(parts["time_left"]).astype(np.int64), 0, T - 1)
        order = np.maximum(self.low[t] - position, 0.0)
        remove = np.minimum(np.maximum(position - self.high[t], 0.0), on_hand)
        return np.stack([order, remove], axis=1)

    def __repr__(self) -> str:
        return f"{self.name}(S_lo[0]={self.low[0]:g}, S_hi[0]={self.high[0]:g})"


def _lead_time_laws(params: ProcurementRemovalParams) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each period t, the law of the demand of periods t .. t + L (those within the
    season) as a dense (support, cdf)."""
    T, L = params.season_length, params.lead_time
    dense = []
    for t in range(T):
        values, probs = params.demand.pmf_at(t)
        pmf = np.zeros(int(np.max(values)) + 1)
        np.add.at(pmf, np.asarray(values, np.int64), probs)
        dense.append(pmf)
    out = []
    for t in range(T):
        pmf = dense[t]
        for u in range(t + 1, min(t + L, T - 1) + 1):
            pmf = np.convolve(pmf, dense[u])
        out.append(np.cumsum(pmf))
    return out


def quantile_levels(params: ProcurementRemovalParams, ratio: float) -> np.ndarray:
    """``F_t^{-1}(ratio)`` of the lead-time-plus-one demand of each period."""
    return np.array([float(np.searchsorted(cdf, ratio - 1e-12)) for cdf in _lead_time_laws(params)])


RATIOS = np.round(np.arange(0.30, 0.996, 0.025), 3)
"""The candidate critical ratios of :func:`fit_interval`."""


def fit_interval(
    env_id: str = "ProcurementRemoval-v0", env_kwargs: Any = None, config: Any = None
) -> IntervalPolicy:
    """The quantile interval policy with the ratios ``a <= b`` of :data:`RATIOS` of least
    exact season cost (a full search over the pairs: the cost is not unimodal in them)."""
    params = _params(env_id, env_kwargs)
    levels = {r: quantile_levels(params, r) for r in RATIOS}
    best, best_cost = None, np.inf
    cache: dict[tuple, float] = {}
    for i, a in enumerate(RATIOS):
        for b in RATIOS[i:]:
            key = (tuple(levels[a]), tuple(levels[b]))
            if key not in cache:
                policy = IntervalPolicy(params, levels[a], levels[b], "interval")
                try:
                    cache[key] = dp.season_cost(params, policy)
                except ValueError:  # off the grid: not a candidate
                    cache[key] = np.inf
            if cache[key] < best_cost:
                best, best_cost = (a, b), cache[key]
    a, b = best
    policy = IntervalPolicy(params, levels[a], levels[b], "interval")
    policy.ratios = (float(a), float(b))
    return policy


def fit_never_remove(
    env_id: str = "ProcurementRemoval-v0", env_kwargs: Any = None, config: Any = None
) -> Any:
    """The best policy that never removes: the exact DP without removal, as its table (for
    L = 0 an order-up-to level per period)."""
    return dp.solve(_params(env_id, env_kwargs), removal=False).policy()


def fit_myopic(
    env_id: str = "ProcurementRemoval-v0", env_kwargs: Any = None, config: Any = None
) -> IntervalPolicy:
    """The one-period newsvendor levels (see the module docstring); nothing is fitted."""
    params = _params(env_id, env_kwargs)
    c, s, h, p = (
        params.unit_cost,
        params.salvage_value,
        params.holding_cost,
        params.lost_sales_cost,
    )
    low = quantile_levels(params, max(p - c, 0.0) / (p + h - c))
    high = quantile_levels(params, (p - s) / (p + h - s))
    return IntervalPolicy(params, low, np.maximum(high, low), "myopic")


def _params(env_id: str, env_kwargs: Any) -> ProcurementRemovalParams:
    from inventory_gym.evaluation import instance

    _, params = instance(env_id, env_kwargs)
    return params
