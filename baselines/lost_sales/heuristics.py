"""Heuristic policies for lost sales with a lead time (SCENARIOS.md section 1), and their fitting.

Every policy is a frozen dataclass called on a batch of observations: ``policy(obs)`` takes
the (B, n) observations of ``LostSales-v0`` (L = 0) or ``LostSalesLeadTime-v0`` (L >= 1) and
returns the (B,) orders, with pure batched numpy (no loop over rows). The observation starts
with the state ``(y, q_1, ..., q_{L-1})``: on-hand stock, then the pipeline, ``q_1`` arriving
next period and ``q_{L-1}`` ordered last period. Any further columns (demand window, static
features) are ignored. The inventory position is ``IP = y + q_1 + ... + q_{L-1}``.

Each policy has a ``name``, a ``params()`` dict of its (fitted) parameters, and the
``continuous_orders`` flag read by the evaluation harness (``True`` only for the constant
order, whose best rate is a real number; the harness rounds the others' orders when demand is
integer).

Policies (Zipkin 2008, Sec. 3, and the papers named):

- :class:`BaseStock`: ``z = (S - IP)^+``;
- :class:`CappedBaseStock` (Xin 2021): ``z = min((S - IP)^+, r)``;
- :class:`ConstantOrder`: ``z = r``;
- :class:`Myopic1`: the order that minimises the expected cost of period ``t + L`` alone;
- :class:`VectorBaseStock` (Morton 1971; Zipkin's standard and "better" versions): partial
  sums of the pipeline against targets;
- :class:`ProjectedInventoryLevel` (van Jaarsveld & Arts, arXiv 2101.07519): order up to a
  target for the expected on-hand stock at the arrival of the order.

The ``fit_*`` functions read the instance from the env id and keywords
(:func:`inventory_gym.evaluation.instance`) and tune the free parameters by simulation with the
evaluation harness (:mod:`baselines.fitting`), on the fitting seed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from baselines.fitting import (
    DEFAULT_FIT_CONFIG,
    FitConfig,
    Objective,
    coordinate_search,
    golden_section_search,
    integer_search,
    scalar_search,
)
from baselines.lost_sales import lost_sales_params
from baselines.lost_sales.projection import (
    RATIO_TOL,
    convolved_pmf,
    demand_pmf,
    fractile,
    stock_at_arrival_pmf,
)
from inventory_gym.core.validation import check_int, check_real
from inventory_gym.demand import DiscreteDemand
from inventory_gym.envs.lost_sales.env import LOST_SALES
from inventory_gym.envs.lost_sales.params import LostSalesParams

__all__ = [
    "CONSTANT_ORDER_BURN_IN",
    "DEFAULT_ENV",
    "FITTERS",
    "BaseStock",
    "CappedBaseStock",
    "ConstantOrder",
    "Myopic1",
    "ProjectedInventoryLevel",
    "VectorBaseStock",
    "convolved_pmf",
    "critical_ratio",
    "fit_base_stock",
    "fit_better_vector_base_stock",
    "fit_capped_base_stock",
    "fit_constant_order",
    "fit_myopic1",
    "fit_projected_inventory_level",
    "fit_standard_vector_base_stock",
    "fractile",
    "standard_vector_base_stock",
    "vector_targets",
]

DEFAULT_ENV = "LostSalesLeadTime-v0"

CONSTANT_ORDER_BURN_IN = 1000
"""Burn-in used to fit the constant order: with ``r`` close to the mean demand the stock is a
random walk with a small drift ``r - E[D]``, whose relaxation time from an empty start,
``Var(D) / (E[D] - r)^2``, reaches a hundred periods and more near the best rates."""


# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------


def critical_ratio(params: LostSalesParams) -> float:
    """``(p - c) / (p + h)``: the fractile of the newsvendor with purchase cost ``c`` (an order
    costs ``c`` now and saves ``p`` per unit short, at ``h`` per unit left over)."""
    total = params.lost_sales_cost + params.holding_cost
    if total <= 0:
        return 0.0
    return (params.lost_sales_cost - params.unit_cost) / total


@functools.lru_cache(maxsize=64)
def _layout(lead_time: int) -> LostSalesParams:
    """Params that fix the state layout of a lead time (the policies keep only ``lead_time``)."""
    return LostSalesParams(lead_time=lead_time)


def _split(owner: str, obs: Any, lead_time: int) -> tuple[np.ndarray, np.ndarray]:
    """On-hand stock (B,) and pipeline (B, L-1) of observations, read by name through the
    problem's state layout."""
    x = np.asarray(obs, dtype=np.float64)
    try:
        parts = LOST_SALES.parts(x, _layout(lead_time))
    except ValueError as err:
        raise ValueError(f"{owner}: {err} (lead_time={lead_time})") from None
    return parts["on_hand"], parts["pipeline"]


def _check_pmf(owner: str, pmf: Any) -> np.ndarray:
    """A dense demand pmf over ``0..n-1`` as a read-only float array, validated."""
    try:
        arr = np.array(pmf, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: demand_pmf must be a sequence of probabilities, got {pmf!r}"
        ) from None
    if (
        arr.ndim != 1
        or arr.shape[0] == 0
        or not np.all(np.isfinite(arr))
        or np.any(arr < 0)
        or abs(arr.sum() - 1.0) > 1e-6
    ):
        raise ValueError(
            f"{owner}: demand_pmf must be non-negative probabilities over 0..n-1 summing to 1, "
            f"got {pmf!r}"
        )
    arr /= arr.sum()
    arr.setflags(write=False)
    return arr


def _fmt(x: float) -> str:
    return f"{x:.4g}"


# ----------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseStock:
    """Base-stock (order-up-to) policy on the inventory position: ``z = (S - IP)^+``."""

    continuous_orders: ClassVar[bool] = False

    lead_time: int
    """L (only fixes how many pipeline columns the observation holds)."""
    level: float
    """S, the base-stock level."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lead_time", check_int("BaseStock", "lead_time", self.lead_time))
        object.__setattr__(self, "level", check_real("BaseStock", "level", self.level))

    @property
    def name(self) -> str:
        """E.g. ``"base_stock(S=28)"``."""
        return f"base_stock(S={_fmt(self.level)})"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"lead_time": self.lead_time, "level": self.level}

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        y, pipe = _split("BaseStock", obs, self.lead_time)
        return np.maximum(self.level - y - pipe.sum(axis=1), 0.0)


@dataclass(frozen=True)
class CappedBaseStock:
    """Capped base-stock policy (Xin 2021): ``z = min((S - IP)^+, r)``."""

    continuous_orders: ClassVar[bool] = False

    lead_time: int
    """L."""
    level: float
    """S, the base-stock level."""
    cap: float
    """r, the largest order."""

    def __post_init__(self) -> None:
        owner = "CappedBaseStock"
        object.__setattr__(self, "lead_time", check_int(owner, "lead_time", self.lead_time))
        object.__setattr__(self, "level", check_real(owner, "level", self.level))
        object.__setattr__(self, "cap", check_real(owner, "cap", self.cap))

    @property
    def name(self) -> str:
        """E.g. ``"capped_base_stock(S=30,r=7)"``."""
        return f"capped_base_stock(S={_fmt(self.level)},r={_fmt(self.cap)})"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"lead_time": self.lead_time, "level": self.level, "cap": self.cap}

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        y, pipe = _split("CappedBaseStock", obs, self.lead_time)
        return np.minimum(np.maximum(self.level - y - pipe.sum(axis=1), 0.0), self.cap)


@dataclass(frozen=True)
class ConstantOrder:
    """Constant order: ``z = r`` every period, whatever the state.

    Its orders are never rounded (``continuous_orders``): the best rate is a real number
    (Zipkin 2008), and a rate of 4.6 is a different policy from one of 5.
    """

    continuous_orders: ClassVar[bool] = True

    rate: float
    """r, the order placed every period."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", check_real("ConstantOrder", "rate", self.rate))

    @property
    def name(self) -> str:
        """E.g. ``"constant_order(r=4.62)"``."""
        return f"constant_order(r={_fmt(self.rate)})"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"rate": self.rate}

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        x = np.asarray(obs)
        if x.ndim != 2 or x.shape[1] < 1:
            raise ValueError(f"ConstantOrder: obs must be a (batch, n) array, got shape {x.shape}")
        return np.full(x.shape[0], self.rate)


@dataclass(frozen=True)
class Myopic1:
    """Myopic-1 (Zipkin 2008): the order that minimises the expected cost of period ``t + L``.

    With ``X`` the on-hand stock just before the order arrives (``X = y`` for L = 0), the order
    ``z`` minimises ``c z + E[h (X + z - D)^+ + p (D - X - z)^+]``: it is the smallest integer
    ``z`` with ``P(D - X <= z) >= (p - c) / (p + h)``. The pmf of ``X`` is exact
    (:func:`~baselines.lost_sales.projection.stock_at_arrival_pmf`), computed for the whole
    batch with a few matrix products per call; no table over states is built.

    Orders never exceed the same fractile of one period's demand (the order for ``X = 0``),
    which is Zipkin's bound on sensible orders.
    """

    continuous_orders: ClassVar[bool] = False

    lead_time: int
    """L."""
    holding_cost: float
    """h."""
    lost_sales_cost: float
    """p."""
    demand_pmf: tuple[float, ...] = field(repr=False)
    """Dense pmf of one period's demand over ``0..n-1``."""
    unit_cost: float = 0.0
    """c, the purchase cost per unit."""
    _pmf: np.ndarray = field(init=False, repr=False, compare=False)
    _cdf: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = "Myopic1"
        object.__setattr__(self, "lead_time", check_int(owner, "lead_time", self.lead_time))
        object.__setattr__(
            self, "holding_cost", check_real(owner, "holding_cost", self.holding_cost)
        )
        object.__setattr__(
            self, "lost_sales_cost", check_real(owner, "lost_sales_cost", self.lost_sales_cost)
        )
        object.__setattr__(self, "unit_cost", check_real(owner, "unit_cost", self.unit_cost))
        if self.holding_cost + self.lost_sales_cost <= 0:
            raise ValueError(
                f"{owner}: holding_cost + lost_sales_cost must be positive, got "
                f"{self.holding_cost!r} + {self.lost_sales_cost!r}"
            )
        pmf = _check_pmf(owner, self.demand_pmf)
        object.__setattr__(self, "demand_pmf", tuple(float(v) for v in pmf))
        object.__setattr__(self, "_pmf", pmf)
        object.__setattr__(self, "_cdf", np.cumsum(pmf))

    @classmethod
    def from_params(cls, params: LostSalesParams) -> Myopic1:
        """Myopic-1 for a lost-sales instance with discrete demand."""
        return cls(
            lead_time=params.lead_time,
            holding_cost=params.holding_cost,
            lost_sales_cost=params.lost_sales_cost,
            demand_pmf=tuple(demand_pmf(params.demand)),
            unit_cost=params.unit_cost,
        )

    @property
    def ratio(self) -> float:
        """``(p - c) / (p + h)``."""
        return (self.lost_sales_cost - self.unit_cost) / (self.lost_sales_cost + self.holding_cost)

    @property
    def max_order(self) -> int:
        """The order when nothing is on hand at arrival: the ratio fractile of one period."""
        return fractile(self._pmf, self.ratio) if self.ratio > 0 else 0

    @property
    def name(self) -> str:
        """``"myopic1"``."""
        return "myopic1"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters (nothing is fitted: the costs and the ratio)."""
        return {
            "lead_time": self.lead_time,
            "holding_cost": self.holding_cost,
            "lost_sales_cost": self.lost_sales_cost,
            "unit_cost": self.unit_cost,
            "ratio": self.ratio,
        }

    def stock_at_arrival(self, obs: np.ndarray) -> np.ndarray:
        """(B, size) pmf of the on-hand stock ``X`` just before an order placed now arrives."""
        y, pipe = _split("Myopic1", obs, self.lead_time)
        return _arrival_pmf(y, pipe, self.lead_time, self._pmf)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        y, pipe = _split("Myopic1", obs, self.lead_time)
        if self.ratio <= 0:  # buying costs more than a lost sale: never order
            return np.zeros(y.shape[0])
        zmax = self.max_order
        if self.lead_time == 0:
            # X = y is known: the newsvendor base-stock level minus what is on hand.
            return np.maximum(zmax - np.rint(y), 0.0)
        probs = _arrival_pmf(y, pipe, self.lead_time, self._pmf)
        size = probs.shape[1]
        # G[x, z] = P(D <= x + z), so (probs @ G)[b, z] = P(D - X <= z) for row b. Only
        # z < zmax needs checking: z = zmax always satisfies the fractile (X >= 0).
        n = self._cdf.shape[0]
        k = np.arange(size)[:, None] + np.arange(zmax)[None, :]
        g = np.where(k < n, self._cdf[np.minimum(k, n - 1)], 1.0)
        below = (probs @ g) < self.ratio - RATIO_TOL
        # P(D - X <= z) rises with z: the smallest z that reaches the ratio is the number of
        # z below it.
        return below.sum(axis=1).astype(np.float64)


def _arrival_pmf(y: np.ndarray, pipe: np.ndarray, lead_time: int, pmf: np.ndarray) -> np.ndarray:
    """Pmf of the stock just before an order placed now arrives (``X = y`` for L = 0)."""
    if lead_time == 0:
        yi = np.maximum(np.rint(y), 0).astype(np.int64)
        probs = np.zeros((y.shape[0], int(yi.max(initial=0)) + 1))
        probs[np.arange(y.shape[0]), yi] = 1.0
        return probs
    return stock_at_arrival_pmf(
        np.maximum(y, 0.0), [np.maximum(pipe[:, i], 0.0) for i in range(pipe.shape[1])], pmf
    )


@dataclass(frozen=True)
class VectorBaseStock:
    """Vector base-stock policy (Morton 1971; Zipkin 2008): ``z = min_l (s_l - v_l)^+``.

    ``v_0 = 0``; ``v_l`` for ``1 <= l <= L - 1`` is the sum of the ``l`` most recent pipeline
    orders ``q_{L-1} + ... + q_{L-l}``; ``v_L = IP``, the whole inventory position. The term
    ``l`` keeps the orders that arrive over the last ``l + 1`` periods up to the target
    ``s_l``: ``s_0`` caps the order itself, ``s_L`` is a base-stock level. (For L = 0 there is
    one term, ``v_0 = IP = y``: a base-stock policy.)

    ``fractile`` and ``offset`` only record how the targets were chosen (reported by
    :meth:`params`); they do not enter the orders.
    """

    continuous_orders: ClassVar[bool] = False

    lead_time: int
    """L."""
    targets: tuple[float, ...]
    """``(s_0, ..., s_L)``: L + 1 targets."""
    fractile: float | None = None
    """The demand fractile the targets were set at, when they were."""
    offset: int = 0
    """A common integer shift added to the fractile targets, when there was one."""

    def __post_init__(self) -> None:
        owner = "VectorBaseStock"
        lead_time = check_int(owner, "lead_time", self.lead_time)
        object.__setattr__(self, "lead_time", lead_time)
        raw = self.targets
        if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__"):
            raise ValueError(
                f"{owner}: targets must be a sequence of lead_time + 1 = {lead_time + 1} "
                f"numbers, got {raw!r}"
            )
        if len(raw) != lead_time + 1:
            raise ValueError(
                f"{owner}: targets must hold lead_time + 1 = {lead_time + 1} numbers, got {raw!r}"
            )
        targets = tuple(check_real(owner, f"targets[{i}]", v) for i, v in enumerate(raw))
        object.__setattr__(self, "targets", targets)
        if self.fractile is not None:
            value = check_real(owner, "fractile", self.fractile)
            if value > 1:
                raise ValueError(f"{owner}: fractile must be in [0, 1], got {self.fractile!r}")
            object.__setattr__(self, "fractile", value)
        if not isinstance(self.offset, (int, np.integer)) or isinstance(self.offset, bool):
            raise ValueError(f"{owner}: offset must be an integer, got {self.offset!r}")
        object.__setattr__(self, "offset", int(self.offset))

    @property
    def name(self) -> str:
        """E.g. ``"vector_base_stock(s=9,14,19)"``."""
        return f"vector_base_stock(s={','.join(_fmt(s) for s in self.targets)})"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "lead_time": self.lead_time,
            "targets": list(self.targets),
            "fractile": self.fractile,
            "offset": self.offset,
        }

    def partial_sums(self, obs: np.ndarray) -> np.ndarray:
        """``(v_0, ..., v_L)`` for every row: shape (B, L + 1)."""
        y, pipe = _split("VectorBaseStock", obs, self.lead_time)
        if self.lead_time == 0:
            return y[:, None]
        # The most recent order is the last column: cumulate the pipeline from the right.
        recent = np.cumsum(pipe[:, ::-1], axis=1)
        ip = y + pipe.sum(axis=1)
        return np.column_stack([np.zeros_like(y), recent, ip])

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        v = self.partial_sums(obs)
        gap = np.asarray(self.targets)[None, :] - v
        return np.maximum(gap.min(axis=1), 0.0)


@dataclass(frozen=True)
class ProjectedInventoryLevel:
    """Projected inventory level policy (van Jaarsveld & Arts, arXiv 2101.07519).

    ``z = (S - E[X])^+``, where ``X`` is the on-hand stock just before the order arrives
    (exact expectation from :func:`~baselines.lost_sales.projection.stock_at_arrival_pmf`;
    ``X = y`` for L = 0): the order brings the expected stock at its arrival up to ``S``.
    ``S`` is real; with integer demand the harness rounds the order to the nearest integer,
    and since ``S`` is fitted, rounding up or to the nearest would only shift the best ``S``.
    """

    continuous_orders: ClassVar[bool] = False

    lead_time: int
    """L."""
    target: float
    """S, the target of the expected stock at arrival, order included."""
    demand_pmf: tuple[float, ...] = field(repr=False)
    """Dense pmf of one period's demand over ``0..n-1``."""
    _pmf: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = "ProjectedInventoryLevel"
        object.__setattr__(self, "lead_time", check_int(owner, "lead_time", self.lead_time))
        object.__setattr__(self, "target", check_real(owner, "target", self.target))
        pmf = _check_pmf(owner, self.demand_pmf)
        object.__setattr__(self, "demand_pmf", tuple(float(v) for v in pmf))
        object.__setattr__(self, "_pmf", pmf)

    @property
    def name(self) -> str:
        """E.g. ``"pil(S=9.37)"``."""
        return f"pil(S={_fmt(self.target)})"

    def params(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"lead_time": self.lead_time, "target": self.target}

    def expected_stock_at_arrival(self, obs: np.ndarray) -> np.ndarray:
        """``E[X]`` for every row, shape (B,)."""
        y, pipe = _split("ProjectedInventoryLevel", obs, self.lead_time)
        if self.lead_time == 0:
            return y.copy()
        probs = _arrival_pmf(y, pipe, self.lead_time, self._pmf)
        return probs @ np.arange(probs.shape[1], dtype=np.float64)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Orders (B,) for observations (B, n)."""
        return np.maximum(self.target - self.expected_stock_at_arrival(obs), 0.0)


# ----------------------------------------------------------------------------------------------
# Construction from an instance, and fitting
# ----------------------------------------------------------------------------------------------


def _check_config(owner: str, config: Any) -> FitConfig:
    if not isinstance(config, FitConfig):
        raise ValueError(f"{owner}: config must be a FitConfig, got {config!r}")
    return config


def _backlog_level(params: LostSalesParams) -> int:
    """The backlog base-stock level (ratio fractile of demand over L + 1 periods), or
    ``ceil((L + 1) * mean)`` when the demand has no pmf: a starting guess from above."""
    if isinstance(params.demand, DiscreteDemand):
        pmf = demand_pmf(params.demand)
        return fractile(convolved_pmf(pmf, params.lead_time + 1), critical_ratio(params))
    return math.ceil((params.lead_time + 1) * params.demand.mean)


def _one_period_level(params: LostSalesParams) -> int:
    """The ratio fractile of one period's demand (rounded up for continuous demand)."""
    return math.ceil(params.demand.quantile(min(max(critical_ratio(params), 0.0), 1.0)))


def fit_base_stock(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> BaseStock:
    """Best base-stock level by simulation: integer search from the backlog level.

    Args:
        env_id: a lost-sales env id.
        env_kwargs: env keyword overrides (``lead_time``, ``lost_sales_cost``...).
        config: how candidates are simulated.

    Returns:
        The :class:`BaseStock` with the best integer level found.

    Raises:
        ValueError: if the env is not a lost-sales problem, or for a bad ``config``.
    """
    owner = "fit_base_stock"
    config = _check_config(owner, config)
    params = lost_sales_params(owner, env_id, env_kwargs, discrete=False)
    lead_time = params.lead_time

    def build(level: int) -> BaseStock:
        return BaseStock(lead_time, level)

    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        level, _ = integer_search(objective, _backlog_level(params), lower=0)
    return build(level)


def fit_capped_base_stock(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> CappedBaseStock:
    """Best capped base-stock policy ``(S, r)`` by simulation (integer coordinate descent).

    First the best base-stock level ``S_0`` (the cap at the env's largest order, where the
    capped policy is the base-stock one); then coordinate descent over ``(S, r)`` from
    ``S_0`` with the cap at Zipkin's order bound (the ratio fractile of one period's demand,
    which no sensible order exceeds). The base-stock point is kept if the descent ends above
    it, so the result is never worse than the best base-stock policy on the fitting paths.

    Args:
        env_id: a lost-sales env id.
        env_kwargs: env keyword overrides.
        config: how candidates are simulated.

    Returns:
        The :class:`CappedBaseStock` with the best integer ``(S, r)`` found.

    Raises:
        ValueError: if the env is not a lost-sales problem, or for a bad ``config``.
    """
    owner = "fit_capped_base_stock"
    config = _check_config(owner, config)
    params = lost_sales_params(owner, env_id, env_kwargs, discrete=False)
    lead_time = params.lead_time
    cap_bound = math.floor(params.order_cap)

    def build(x: tuple[int, int]) -> CappedBaseStock:
        return CappedBaseStock(lead_time, x[0], x[1])

    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        base_level, base_cost = integer_search(
            lambda level: objective((level, cap_bound)), _backlog_level(params)
        )
        start_cap = min(max(_one_period_level(params), 0), cap_bound)
        (level, cap), cost = coordinate_search(
            objective, (base_level, start_cap), lower=(0, 0), upper=(None, cap_bound)
        )
        if base_cost < cost:
            level, cap = base_level, cap_bound
    return build((level, cap))


def fit_constant_order(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> ConstantOrder:
    """Best constant order rate by simulation: a grid over ``[0, mean demand]``, then golden
    section to 0.01.

    Rates at or above the mean demand let the stock grow without bound, so the best rate is
    below it. Near the mean the stock relaxes slowly from the empty start: candidates are
    simulated with a burn-in of at least :data:`CONSTANT_ORDER_BURN_IN` periods (evaluate the
    result with a long burn-in too).

    Args:
        env_id: a lost-sales env id.
        env_kwargs: env keyword overrides.
        config: how candidates are simulated.

    Returns:
        The :class:`ConstantOrder` with the best real rate found.

    Raises:
        ValueError: if the env is not a lost-sales problem, or for a bad ``config``.
    """
    owner = "fit_constant_order"
    config = _check_config(owner, config)
    params = lost_sales_params(owner, env_id, env_kwargs, discrete=False)
    mean = float(params.demand.mean)
    with Objective(
        ConstantOrder,
        env_id,
        env_kwargs,
        config,
        desc=owner,
        burn_in=max(config.burn_in, CONSTANT_ORDER_BURN_IN),
    ) as objective:
        rate, _ = scalar_search(objective, 0.0, mean, grid=6, tol=0.01)
    return ConstantOrder(rate)


def fit_myopic1(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> Myopic1:
    """Myopic-1 for the instance (nothing to fit: it is built from the parameters).

    Args:
        env_id: a lost-sales env id with discrete demand.
        env_kwargs: env keyword overrides.
        config: unused (accepted for a uniform signature).

    Raises:
        ValueError: if the env is not lost sales or its demand is not discrete.
    """
    owner = "fit_myopic1"
    _check_config(owner, config)
    return Myopic1.from_params(lost_sales_params(owner, env_id, env_kwargs, discrete=True))


def vector_targets(pmf: np.ndarray, lead_time: int, beta: float) -> tuple[int, ...]:
    """``s_l`` = the ``beta`` fractile of demand over ``l + 1`` periods, ``l = 0..L``."""
    total = np.asarray(pmf, dtype=np.float64)
    out = [fractile(total, beta)]
    for _ in range(lead_time):
        total = np.convolve(total, pmf)
        out.append(fractile(total, beta))
    return tuple(out)


def standard_vector_base_stock(params: LostSalesParams) -> VectorBaseStock:
    """Zipkin's standard vector base-stock policy: ``s_l`` = the ``(p - c)/(p + h)`` fractile
    of demand over ``l + 1`` periods (``s_L`` is then the backlog base-stock level).

    Raises:
        ValueError: for parameters that are not lost sales with discrete demand.
    """
    owner = "standard_vector_base_stock"
    if not isinstance(params, LostSalesParams):
        raise ValueError(f"{owner}: params must be LostSalesParams, got {params!r}")
    if not isinstance(params.demand, DiscreteDemand):
        raise ValueError(
            f"{owner}: needs a discrete (integer) demand model, got demand={params.demand}"
        )
    ratio = critical_ratio(params)
    pmf = demand_pmf(params.demand)
    return VectorBaseStock(params.lead_time, vector_targets(pmf, params.lead_time, ratio), ratio)


def fit_standard_vector_base_stock(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> VectorBaseStock:
    """:func:`standard_vector_base_stock` for the instance (nothing to fit).

    Args:
        env_id: a lost-sales env id with discrete demand.
        env_kwargs: env keyword overrides.
        config: unused (accepted for a uniform signature).

    Raises:
        ValueError: if the env is not lost sales or its demand is not discrete.
    """
    owner = "fit_standard_vector_base_stock"
    _check_config(owner, config)
    return standard_vector_base_stock(lost_sales_params(owner, env_id, env_kwargs, discrete=True))


def fit_better_vector_base_stock(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> VectorBaseStock:
    """Our "better" vector base-stock policy: the standard form with a fractile fitted by
    simulation.

    Zipkin (2008) reports a "better" vector base-stock variant alongside the standard one;
    this function does not reproduce a closed-form recipe. We define it as: targets
    ``s_l = F_{l+1}^{-1}(beta) + k`` (``F_{l+1}`` the cdf of demand over ``l + 1`` periods),
    where the fractile ``beta`` is searched on ``[0.5, 0.999]`` (a grid, then golden section)
    and the common integer offset ``k`` by integer search from 0, both minimising the
    simulated cost. The standard policy (``beta = (p - c)/(p + h)``, ``k = 0``) is one of the
    candidates, so the result is never worse than it on the fitting paths.

    Args:
        env_id: a lost-sales env id with discrete demand.
        env_kwargs: env keyword overrides.
        config: how candidates are simulated.

    Returns:
        The fitted :class:`VectorBaseStock` (its ``fractile`` and ``offset`` record
        ``beta`` and ``k``).

    Raises:
        ValueError: if the env is not lost sales or its demand is not discrete, or for a bad
            ``config``.
    """
    owner = "fit_better_vector_base_stock"
    config = _check_config(owner, config)
    params = lost_sales_params(owner, env_id, env_kwargs, discrete=True)
    lead_time = params.lead_time
    pmf = demand_pmf(params.demand)
    standard = standard_vector_base_stock(params)

    def build(targets: tuple[int, ...]) -> VectorBaseStock:
        return VectorBaseStock(lead_time, targets)

    # Cached by targets: the many fractiles that give the same integer targets cost one
    # simulation.
    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        base_cost = objective(standard.targets)

        def by_fractile(beta: float) -> float:
            return objective(vector_targets(pmf, lead_time, beta))

        beta, cost = scalar_search(by_fractile, 0.5, 0.999, grid=11, tol=1e-3)
        if base_cost <= cost:
            beta = standard.fractile if standard.fractile is not None else beta
        base = vector_targets(pmf, lead_time, beta)

        def shifted(k: int) -> tuple[int, ...]:
            return tuple(s + k for s in base)

        offset, _ = integer_search(lambda k: objective(shifted(k)), 0, lower=-min(base))
    return VectorBaseStock(lead_time, shifted(offset), beta, offset)


def fit_projected_inventory_level(
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> ProjectedInventoryLevel:
    """Best projected-inventory-level target by simulation.

    An integer search from the ratio fractile of one period's demand locates the best
    integer target; golden section on the two unit intervals around it then refines the real
    target to 0.05.

    Args:
        env_id: a lost-sales env id with discrete demand.
        env_kwargs: env keyword overrides.
        config: how candidates are simulated.

    Returns:
        The fitted :class:`ProjectedInventoryLevel`.

    Raises:
        ValueError: if the env is not lost sales or its demand is not discrete, or for a bad
            ``config``.
    """
    owner = "fit_projected_inventory_level"
    config = _check_config(owner, config)
    params = lost_sales_params(owner, env_id, env_kwargs, discrete=True)
    pmf = tuple(demand_pmf(params.demand))
    lead_time = params.lead_time

    def build(target: float) -> ProjectedInventoryLevel:
        return ProjectedInventoryLevel(lead_time, float(target), pmf)

    with Objective(build, env_id, env_kwargs, config, desc=owner) as objective:
        start = max(_one_period_level(params), 0)
        level, cost = integer_search(objective, start, lower=0)
        target, refined = golden_section_search(
            objective, max(level - 1.0, 0.0), level + 1.0, tol=0.05
        )
        if cost <= refined:
            target = float(level)
    return build(target)


FITTERS: dict[str, Callable[..., Any]] = {
    "base_stock": fit_base_stock,
    "capped_base_stock": fit_capped_base_stock,
    "constant_order": fit_constant_order,
    "myopic1": fit_myopic1,
    "standard_vector_base_stock": fit_standard_vector_base_stock,
    "better_vector_base_stock": fit_better_vector_base_stock,
    "projected_inventory_level": fit_projected_inventory_level,
}
"""Fitting function of each heuristic, by name: ``FITTERS[name](env_id, env_kwargs, config)``."""
