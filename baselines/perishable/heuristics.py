"""Heuristics of the perishable problem, each a frozen batched policy with a fitting function.

A policy takes the env's observations (B, n), whose first ``m + L - 1`` columns are the state
``[X_1, ..., X_m, q_1, ..., q_{L-1}]`` (the units on hand by remaining life, the freshest
class X_1 first and X_m, which expires at the end of this period, last; then the orders in
transit, the next to arrive first), and returns the (B,) orders. Further columns (demand
window, static features) are ignored. ``IP = X_1 + ... + X_m + q_1 + ... + q_{L-1}`` is the
inventory position, ``mu`` the mean demand of one period (the mean of the demand model's pmf
when it has one: that of the rounded, capped demand the env samples).

- base stock: ``q = (S - IP)^+``;
- BSP-low-EW (Haijema & Minner 2019, IJPE 209): with ``EW`` the waste expected during the
  lead time, ``alpha = 1 - (S2 - S1) / b``: ``q = (S1 - alpha IP + EW)^+`` if ``IP < b``,
  else ``q = (S2 - IP + EW)^+`` (continuous at ``IP = b``; ``S1 = S2`` is base stock plus
  ``EW``). ``EW`` is the waste of the periods ``t, ..., t + L - 1`` (those before the order
  placed now arrives) when every period's demand is ``mu`` and nothing more is ordered: the
  package's kernel (:func:`inventory_gym.envs.perishable.dynamics.transition`) is run ``L``
  periods from the observed state with demand ``mu`` and order 0, and its ``expired`` flows
  are summed, so the issuing rule (FIFO or LIFO) and the arrivals of the pipeline are those of
  the env, not a second implementation;
- waste-conscious order-up-to (Hendrix et al. 2019): ``q = S - IP + (X_m - mu)^+`` if
  ``IP < S``, else 0. ``X_m`` is the class that expires at the end of this period, and
  ``(X_m - mu)^+`` the part of it expected to expire unused (exact under FIFO at the mean
  demand; under LIFO more of it expires, but the rule is kept as published): those units are
  not counted in the position. For ``L > 1`` the position includes the pipeline (SCENARIOS.md
  writes "total stock", which is the position when ``L = 1``).

Orders are real numbers; the env caps them at ``max_order`` and the evaluation harness
rounds them when the demand is integer.

Fitting searches the integer parameters by simulation of the average cost with the
evaluation harness, on common random numbers (:mod:`baselines.fitting`, seed
``FitConfig.seed``, not the evaluation seed).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from baselines.fitting import (
    DEFAULT_FIT_CONFIG,
    FitConfig,
    Objective,
    coordinate_search,
    integer_search,
)
from inventory_gym.core.validation import check_real
from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.perishable.dynamics import transition
from inventory_gym.envs.perishable.env import PERISHABLE
from inventory_gym.envs.perishable.params import PerishableParams, PerishableState
from inventory_gym.evaluation import instance_params

DEFAULT_ENV = "Perishable-v0"

__all__ = [
    "DEFAULT_ENV",
    "BSPLowEW",
    "BaseStock",
    "Layout",
    "WasteConsciousOrderUpTo",
    "fit_base_stock",
    "fit_bsp_low_ew",
    "fit_waste_conscious",
    "mean_demand",
    "perishable_params",
]


def mean_demand(params: PerishableParams) -> float:
    """The mean demand of one period: the mean of the demand's (truncated) pmf when it has
    one, else the model's ``mean``. For De Moor's rounded gamma (mean 4, cv 0.5, capped at 100)
    the pmf mean is 4.000113: rounding shifts the mean of the gamma slightly."""
    demand = params.demand
    if isinstance(demand, DiscreteDemand):
        return demand.pmf_mean
    return float(demand.mean)


@dataclass(frozen=True)
class Layout:
    """Where the state sits in an observation, and what the expected waste needs: the
    instance (issuing rule, useful life, lead time) and the mean demand."""

    params: PerishableParams
    mean_demand: float

    @classmethod
    def of(cls, params: PerishableParams) -> Layout:
        return cls(params, mean_demand(params))

    @property
    def useful_life(self) -> int:
        return self.params.useful_life

    @property
    def lead_time(self) -> int:
        return self.params.lead_time

    def split(self, obs: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(stock (B, m), pipeline (B, L - 1))`` of observations (B, n), read by name through
        the problem's state layout."""
        obs = np.atleast_2d(np.asarray(obs, dtype=np.float64))
        parts = PERISHABLE.parts(obs, self.params)
        return parts["stock"], parts["pipeline"]

    def position(self, obs: Any) -> np.ndarray:
        """The inventory position: all stock plus the pipeline."""
        stock, pipeline = self.split(obs)
        return stock.sum(axis=1) + pipeline.sum(axis=1)

    def expiring(self, obs: Any) -> np.ndarray:
        """``X_m``: the units that expire at the end of this period if not sold."""
        return self.split(obs)[0][:, -1]

    def expected_waste(self, obs: Any) -> np.ndarray:
        """The waste of the next ``L`` periods (this one included) when every period's demand
        is the mean and nothing more is ordered, by the kernel itself."""
        stock, pipeline = self.split(obs)
        batch = stock.shape[0]
        state = PerishableState(
            tuple(stock[:, i] for i in range(stock.shape[1])),
            tuple(pipeline[:, i] for i in range(pipeline.shape[1])),
        )
        zero = np.zeros(batch)
        demand = np.full(batch, self.mean_demand)
        waste = np.zeros(batch)
        for _ in range(self.lead_time):
            state, _, flows = transition(state, zero, demand, self.params, np)
            waste = waste + flows.expired
        return waste


def _number(owner: str, name: str, value: Any, *, strict: bool = False) -> int | float:
    """``value`` checked to be a finite non-negative (positive if ``strict``) real: an int
    when it is an integer, else a float."""
    checked = check_real(owner, name, value, strict=strict)
    return int(value) if isinstance(value, numbers.Integral) else checked


@dataclass(frozen=True)
class BaseStock:
    """Order up to ``S`` on the inventory position: ``q = (S - IP)^+``."""

    layout: Layout
    level: int | float
    """S, the base-stock level."""
    name: str = "base_stock"

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", _number("BaseStock", "level", self.level))

    def __call__(self, obs: Any) -> np.ndarray:
        return np.maximum(self.level - self.layout.position(obs), 0.0)

    def params(self) -> dict[str, int | float]:
        return {"S": self.level}


@dataclass(frozen=True)
class BSPLowEW:
    """Haijema & Minner's BSP-low-EW: ``q = (S1 - alpha IP + EW)^+`` below ``IP = b``,
    ``(S2 - IP + EW)^+`` above, ``alpha = 1 - (S2 - S1) / b`` (module docstring)."""

    layout: Layout
    s1: int | float
    """S1: the order at an empty position (before the waste correction)."""
    s2: int | float
    """S2: the order-up-to level above the break point."""
    b: int | float
    """b > 0: the break point, the position below which the order falls by ``alpha`` (not 1)
    per unit of position."""
    name: str = "bsp_low_ew"

    def __post_init__(self) -> None:
        owner = "BSPLowEW"
        object.__setattr__(self, "s1", _number(owner, "s1", self.s1))
        object.__setattr__(self, "s2", _number(owner, "s2", self.s2))
        object.__setattr__(self, "b", _number(owner, "b", self.b, strict=True))

    @property
    def alpha(self) -> float:
        """``1 - (S2 - S1) / b``."""
        return 1.0 - (self.s2 - self.s1) / self.b

    def __call__(self, obs: Any) -> np.ndarray:
        ip = self.layout.position(obs)
        ew = self.layout.expected_waste(obs)
        below = self.s1 - self.alpha * ip + ew
        above = self.s2 - ip + ew
        return np.maximum(np.where(ip < self.b, below, above), 0.0)

    def params(self) -> dict[str, int | float]:
        return {"S1": self.s1, "S2": self.s2, "b": self.b}


@dataclass(frozen=True)
class WasteConsciousOrderUpTo:
    """Hendrix et al.'s waste-conscious order-up-to: ``q = S - IP + (X_m - mu)^+`` if
    ``IP < S``, else 0 (module docstring)."""

    layout: Layout
    level: int | float
    """S, the order-up-to level."""
    name: str = "waste_conscious"

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", _number("WasteConsciousOrderUpTo", "level", self.level))

    def __call__(self, obs: Any) -> np.ndarray:
        ip = self.layout.position(obs)
        unused = np.maximum(self.layout.expiring(obs) - self.layout.mean_demand, 0.0)
        return np.where(ip < self.level, self.level - ip + unused, 0.0)

    def params(self) -> dict[str, int | float]:
        return {"S": self.level}


def perishable_params(owner: str, env_id: str, env_kwargs: Any) -> PerishableParams:
    """The instance's parameters, or a ``ValueError`` naming ``owner`` for another problem."""
    return instance_params(owner, env_id, env_kwargs, "perishable")


def _check_config(owner: str, config: Any) -> FitConfig:
    if not isinstance(config, FitConfig):
        raise ValueError(f"{owner}: config must be a FitConfig, got {config!r}")
    return config


def _bounds(params: PerishableParams, mean: float) -> tuple[int, int]:
    """``(start, upper)`` of a level: the mean demand over ``L + 1`` periods, and a level
    above any position plus one order (each of the ``m + L - 1`` state entries is at most
    ``max_order``)."""
    upper = math.ceil(params.order_cap * (params.useful_life + params.lead_time))
    return min(round(mean * (params.lead_time + 1)), upper), upper


def _fit_level(owner: str, policy_cls: type, env_id: str, env_kwargs: Any, config: Any) -> Any:
    """The best level of a one-level policy (``policy_cls(layout, level)``) by simulation:
    integer search from ``round((L + 1) mu)``."""
    config = _check_config(owner, config)
    layout = Layout.of(perishable_params(owner, env_id, env_kwargs))
    start, upper = _bounds(layout.params, layout.mean_demand)

    def build(level: int) -> Any:
        return policy_cls(layout, level)

    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        level, _ = integer_search(objective, start, 0, upper)
    return build(level)


def fit_base_stock(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> BaseStock:
    """Best base-stock level by simulation: integer search from ``round((L + 1) mu)``."""
    return _fit_level("fit_base_stock", BaseStock, env_id, env_kwargs, config)


def fit_bsp_low_ew(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> BSPLowEW:
    """Best BSP-low-EW ``(S1, S2, b)`` by simulation: integer coordinate descent from the
    fitted base-stock level ``S`` as ``S1 = S2 = b = S`` (base stock plus the expected
    waste)."""
    owner = "fit_bsp_low_ew"
    config = _check_config(owner, config)
    layout = Layout.of(perishable_params(owner, env_id, env_kwargs))
    _, upper = _bounds(layout.params, layout.mean_demand)
    level = int(fit_base_stock(env_id, env_kwargs, config).level)
    start = (level, level, max(level, 1))

    def build(x: tuple[int, int, int]) -> BSPLowEW:
        return BSPLowEW(layout, x[0], x[1], x[2])

    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        x, _ = coordinate_search(objective, start, (0, 0, 1), (upper, upper, upper))
    return build(x)


def fit_waste_conscious(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> WasteConsciousOrderUpTo:
    """Best waste-conscious level by simulation: integer search from ``round((L + 1) mu)``."""
    return _fit_level("fit_waste_conscious", WasteConsciousOrderUpTo, env_id, env_kwargs, config)
