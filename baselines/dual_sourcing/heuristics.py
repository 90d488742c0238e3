"""The index heuristics of dual sourcing, each a frozen batched policy with a fitting function.

A policy takes the env's observations (B, n), whose first columns are the state
``[I, r_1, ..., r_{l_r-1}, e_1, ..., e_{l_e-1}]`` (net inventory after this period's arrivals
of earlier orders, then the regular and expedited orders in transit, the next to arrive
first), and returns (B, 2) orders ``[q_r, q_e]``.

``I^(k)`` is the net inventory plus every order that arrives within ``k`` periods (pipeline
entry ``j`` arrives ``j`` periods from now); the expedited order placed now counts in it when
``l_e <= k``.

- single index (Scheller-Wolf, Veeraraghavan & van Houtum 2007): both orders on the full
  inventory position ``IP``: ``q_e = (S_e - IP)^+``, ``q_r = (S_r - IP - q_e)^+``;
- dual index (Veeraraghavan & Scheller-Wolf 2008): ``q_e = (S_e - I^(l_e))^+`` on the
  expedited position, ``q_r = (S_r - IP - q_e)^+`` on the full position;
- capped dual index (Sun & Van Mieghem 2019): ``q_e = (S_e - I^(l_e))^+``,
  ``q_r = min((S_r - I^(l_r - l_e - 1))^+, r)``;
- tailored base-surge (Allon & Van Mieghem 2010): a constant regular order ``r`` and
  ``q_e = (S - I^(l_e))^+``.

Fitting searches the integer parameters by simulation on common random numbers
(:mod:`baselines.fitting`, seed ``FitConfig.seed``, not the evaluation seed).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from baselines.fitting import DEFAULT_FIT_CONFIG, FitConfig, Objective, coordinate_search
from inventory_gym.envs.dual_sourcing.env import DUAL_SOURCING
from inventory_gym.envs.dual_sourcing.params import DualSourcingParams
from inventory_gym.evaluation import instance_params

DEFAULT_ENV = "DualSourcing-v0"


@functools.lru_cache(maxsize=64)
def _layout_params(regular_lead_time: int, expedited_lead_time: int) -> DualSourcingParams:
    """Params that fix the state layout of two lead times."""
    return DualSourcingParams(
        regular_lead_time=regular_lead_time, expedited_lead_time=expedited_lead_time
    )


@dataclass(frozen=True)
class _Layout:
    """Where the state sits in an observation."""

    regular_lead_time: int
    expedited_lead_time: int

    @classmethod
    def of(cls, params: DualSourcingParams) -> _Layout:
        return cls(params.regular_lead_time, params.expedited_lead_time)

    def split(self, obs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Net inventory (B,), regular (B, l_r - 1) and expedited (B, l_e - 1) pipelines of
        observations, read by name through the problem's state layout."""
        obs = np.atleast_2d(np.asarray(obs, dtype=np.float64))
        parts = DUAL_SOURCING.parts(
            obs, _layout_params(self.regular_lead_time, self.expedited_lead_time)
        )
        return parts["inventory"], parts["regular"], parts["expedited"]

    def within(self, obs: Any, k: int) -> np.ndarray:
        """``I^(k)`` without the orders placed now."""
        inventory, regular, expedited = self.split(obs)
        # pipeline entry j (1-based) arrives j periods from now
        return inventory + regular[:, :k].sum(axis=1) + expedited[:, :k].sum(axis=1)

    def position(self, obs: Any) -> np.ndarray:
        inventory, regular, expedited = self.split(obs)
        return inventory + regular.sum(axis=1) + expedited.sum(axis=1)


def _orders(q_r: np.ndarray, q_e: np.ndarray) -> np.ndarray:
    return np.stack([q_r, q_e], axis=1)


@dataclass(frozen=True)
class SingleIndex:
    """Both orders on the full inventory position: expedite up to ``S_e``, then order
    regular up to ``S_r``."""

    layout: _Layout
    expedite_level: int
    regular_level: int
    name: str = "single_index"

    def __call__(self, obs: Any) -> np.ndarray:
        ip = self.layout.position(obs)
        q_e = np.maximum(self.expedite_level - ip, 0.0)
        q_r = np.maximum(self.regular_level - ip - q_e, 0.0)
        return _orders(q_r, q_e)

    def params(self) -> dict[str, int]:
        return {"S_e": self.expedite_level, "S_r": self.regular_level}


@dataclass(frozen=True)
class DualIndex:
    """Expedite up to ``S_e`` on the expedited position ``I^(l_e)``; order regular up to
    ``S_r`` on the full position (after the expedited order); optionally cap the regular
    order at ``cap`` and use ``I^(l_r - l_e - 1)`` for it (the capped dual index)."""

    layout: _Layout
    expedite_level: int
    regular_level: int
    cap: int | None = None
    name: str = "dual_index"

    def __call__(self, obs: Any) -> np.ndarray:
        lay = self.layout
        q_e = np.maximum(self.expedite_level - lay.within(obs, lay.expedited_lead_time), 0.0)
        if self.cap is None:
            q_r = np.maximum(self.regular_level - lay.position(obs) - q_e, 0.0)
            return _orders(q_r, q_e)
        k = lay.regular_lead_time - lay.expedited_lead_time - 1
        level = lay.within(obs, k) + (q_e if lay.expedited_lead_time <= k else 0.0)
        q_r = np.minimum(np.maximum(self.regular_level - level, 0.0), self.cap)
        return _orders(q_r, q_e)

    def params(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {"S_e": self.expedite_level, "S_r": self.regular_level}
        if self.cap is not None:
            out["r"] = self.cap
        return out


@dataclass(frozen=True)
class TailoredBaseSurge:
    """A constant regular order ``r`` and an expedited order up to ``S`` on ``I^(l_e)``."""

    layout: _Layout
    regular_order: int
    expedite_level: int
    name: str = "tailored_base_surge"

    def __call__(self, obs: Any) -> np.ndarray:
        lay = self.layout
        q_e = np.maximum(self.expedite_level - lay.within(obs, lay.expedited_lead_time), 0.0)
        return _orders(np.full_like(q_e, float(self.regular_order)), q_e)

    def params(self) -> dict[str, int]:
        return {"r": self.regular_order, "S": self.expedite_level}


def dual_sourcing_params(owner: str, env_id: str, env_kwargs: Any) -> DualSourcingParams:
    """The instance's parameters, or a ``ValueError`` naming ``owner`` for another problem."""
    return instance_params(owner, env_id, env_kwargs, "dual_sourcing")


def _bounds(params: DualSourcingParams) -> tuple[int, int, float]:
    mean = float(params.demand.mean)
    span = math.ceil(4 * (params.regular_lead_time + 1) * max(mean, 1.0))
    return -span, span, mean


def fit_single_index(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> SingleIndex:
    """Best single-index levels ``(S_e, S_r)`` by simulation.

    The cost is rugged in ``(S_e, S_r)`` (on l_r = 2, c_e = 10: 24.0 at (5, 6), 29.0 at (6, 7),
    22.0 at (6, 8)), so a local descent alone stalls. A coarse scan first scores every
    ``S_e`` within ``[-4, +8]`` of one period's mean demand and every ``S_r - S_e`` up to two
    regular lead times of it on a fifth of the paths and half the periods; coordinate descent
    at the full ``config`` then starts from the three best points, and the best end is kept.
    """
    params = dual_sourcing_params("fit_single_index", env_id, env_kwargs)
    layout = _Layout.of(params)
    low, high, mean = _bounds(params)
    level = round(mean * (params.expedited_lead_time + 1))
    spread = max(1, round(2 * mean * params.regular_lead_time))

    def build(x: tuple[int, int]) -> SingleIndex:
        return SingleIndex(layout, x[0], x[1])

    coarse = replace(
        config, num_paths=max(20, config.num_paths // 5), periods=max(50, config.periods // 2)
    )
    with Objective(build, env_id, env_kwargs, coarse, desc="scan_single_index") as scan:
        for s_e in range(max(low, level - 4), min(high, level + 8) + 1):
            for gap in range(spread + 1):
                scan((s_e, min(high, s_e + gap)))
        starts = sorted(scan.cache, key=scan.cache.__getitem__)[:3]
    with Objective(build, env_id, env_kwargs, config, desc="fit_single_index") as objective:
        ends = [coordinate_search(objective, x, (low, low), (high, high)) for x in starts]
    x, _ = min(ends, key=lambda end: end[1])
    return build(x)


def fit_dual_index(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> DualIndex:
    """Best dual-index levels ``(S_e, S_r)`` by simulation (integer coordinate descent)."""
    params = dual_sourcing_params("fit_dual_index", env_id, env_kwargs)
    layout = _Layout.of(params)
    low, high, mean = _bounds(params)
    start = (round(mean * (params.expedited_lead_time + 1)), round(mean * params.regular_lead_time))

    def build(x: tuple[int, int]) -> DualIndex:
        return DualIndex(layout, x[0], x[1])

    with Objective(build, env_id, env_kwargs, config, desc="fit_dual_index") as objective:
        x, _ = coordinate_search(objective, start, (low, low), (high, high))
    return build(x)


def fit_capped_dual_index(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> DualIndex:
    """Best capped dual index ``(S_e, S_r, r)`` by simulation: coordinate descent from the
    mean demand as the cap, the cap bounded by the largest order."""
    params = dual_sourcing_params("fit_capped_dual_index", env_id, env_kwargs)
    layout = _Layout.of(params)
    low, high, mean = _bounds(params)
    cap_max = math.floor(params.order_cap)
    start = (
        round(mean * (params.expedited_lead_time + 1)),
        round(mean * (params.regular_lead_time - params.expedited_lead_time)),
        min(math.ceil(mean), cap_max),
    )

    def build(x: tuple[int, int, int]) -> DualIndex:
        return DualIndex(layout, x[0], x[1], cap=x[2], name="capped_dual_index")

    with Objective(build, env_id, env_kwargs, config, desc="fit_capped_dual_index") as objective:
        x, _ = coordinate_search(objective, start, (low, low, 0), (high, high, cap_max))
    return build(x)


def fit_tailored_base_surge(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> TailoredBaseSurge:
    """Best tailored base-surge ``(r, S)`` by simulation (integer coordinate descent)."""
    params = dual_sourcing_params("fit_tailored_base_surge", env_id, env_kwargs)
    layout = _Layout.of(params)
    low, high, mean = _bounds(params)
    cap_max = math.floor(params.order_cap)
    start = (min(math.floor(mean), cap_max), round(mean * (params.expedited_lead_time + 1)))

    def build(x: tuple[int, int]) -> TailoredBaseSurge:
        return TailoredBaseSurge(layout, x[0], x[1])

    with Objective(build, env_id, env_kwargs, config, desc="fit_tailored_base_surge") as objective:
        x, _ = coordinate_search(objective, start, (0, low), (cap_max, high))
    return build(x)
