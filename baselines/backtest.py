"""Policies of the causal backtest (:mod:`inventory_gym.data.backtest`) on real demand panels.

Each is a batched policy ``policy(obs, **inputs) -> (N,)`` orders on the backtest's
observations (state, then the sales window, then the static features) and reads the state by
name through its problem (``problem.inventory_position``). :data:`BACKTEST_POLICIES` maps the
names of ``inventory-gym backtest --policies`` to their builders ``make(context) -> policy``.

- ``vn2_benchmark`` (:class:`VN2Benchmark`): the VN2 organisers' benchmark, exactly as
  SCENARIOS.md section 6 defines it;
- ``pto_moving_average``, ``pto_ets``, ``pto_lightgbm``: predict-then-optimize, a forecast
  of every series turned into an order-up-to level at the critical ratio
  (:mod:`baselines.pto.panel`, settings :data:`PTO_SETTINGS`, built by :func:`make_panel_pto`);
- ``perfect_foresight`` (:class:`PerfectForesight`): orders, knowing the future, exactly what
  each reachable period needs: a **bound** for reports, not a policy;
- ``dbp``: a DirectBackprop network trained across the series (:mod:`dbp.panel`), loaded from
  ``--load DIR``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BACKTEST_POLICIES",
    "BACKTEST_SUMMARIES",
    "PTO_SETTINGS",
    "BacktestContext",
    "PerfectForesight",
    "VN2Benchmark",
    "describe_policies",
    "iso_weeks",
    "make_panel_pto",
    "seasonal_index",
    "vn2_forecast",
]


@dataclass(frozen=True)
class BacktestContext:
    """What a backtest policy is built from."""

    instance: Any
    """The problem instance (costs, lead time)."""
    window: int
    """Sales periods in each observation."""
    load: str | None = None
    """A directory to load a trained policy from (``--load``)."""


def iso_weeks(dates: np.ndarray) -> np.ndarray:
    """ISO 8601 week-of-year numbers (1..53) of ``datetime64[D]`` dates."""
    days = np.asarray(dates, dtype="datetime64[D]").astype(_dt.date)
    return np.array([d.isocalendar()[1] for d in np.atleast_1d(days)], dtype=np.int64)


def seasonal_index(
    history: np.ndarray, in_stock: np.ndarray, dates: np.ndarray, ahead: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ISO-week seasonal index over all series (the VN2 benchmark's, SCENARIOS.md
    section 6) of the window's periods and of the periods ``ahead``.

    The mean over the series of each period (out-of-stock periods masked), averaged by ISO
    week number and divided by the mean of those numbers; an ISO week absent from the window
    (or an all-zero panel) gets the index 1. Returns the (W,) and (H,) indices.
    """
    masked = np.where(in_stock, history, np.nan)
    with np.errstate(invalid="ignore"), _quiet():
        weekly = np.nanmean(masked, axis=0)  # (W,) mean over the series of each week
    iso = iso_weeks(dates)
    numbers = np.unique(iso[np.isfinite(weekly)])
    by_week = {w: float(np.nanmean(weekly[iso == w])) for w in numbers}
    level = float(np.mean(list(by_week.values()))) if by_week else 0.0
    index = {w: (v / level if level > 0 else 1.0) for w, v in by_week.items()}
    hist_index = np.array([index.get(w, 1.0) for w in iso])
    ahead_index = np.array([index.get(w, 1.0) for w in iso_weeks(ahead)])
    return hist_index, ahead_index


def vn2_forecast(
    history: np.ndarray,
    in_stock: np.ndarray,
    dates: np.ndarray,
    ahead: np.ndarray,
    *,
    base_weeks: int = 13,
) -> np.ndarray:
    """The VN2 benchmark's forecast (SCENARIOS.md section 6) of every series.

    Args:
        history: (N, W) sales of the window, oldest first.
        in_stock: (N, W) in-stock flags (False: the week is masked, missing).
        dates: (W,) the window's dates.
        ahead: (H,) the dates to forecast.
        base_weeks: weeks of the base level (13).

    Returns:
        (N, H) forecasts: base x the seasonal index of each week's ISO number, where the index
        is the mean over the series of each week (masked), averaged by ISO week number and
        divided by the mean of those numbers; the base is the mean of a series' last
        ``base_weeks`` deseasonalised weeks, ignoring the masked ones (0 when all are masked).
        An ISO week absent from the window gets the index 1.
    """
    masked = np.where(in_stock, history, np.nan)
    hist_index, ahead_index = seasonal_index(history, in_stock, dates, ahead)
    with np.errstate(invalid="ignore", divide="ignore"):
        deseason = np.where(hist_index > 0, masked / hist_index, np.nan)
    recent = deseason[:, -base_weeks:]
    with _quiet():
        base = np.nanmean(recent, axis=1)
    base = np.where(np.isfinite(base), base, 0.0)
    return base[:, None] * ahead_index[None, :]


class _quiet:
    """Silence numpy's "mean of empty slice" warning (an all-masked row is expected)."""

    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: Any) -> None:
        self._w.__exit__(*exc)


class VN2Benchmark:
    """The VN2 organisers' benchmark policy (SCENARIOS.md section 6).

    Forecast by :func:`vn2_forecast` (masked history, ISO-week seasonal index over all series,
    13-week deseasonalised base), then order ``round(max(sum of the first `coverage` weeks'
    forecasts - (on hand + in transit), 0))``, the forecast weeks starting with the decision
    week. It is a cross-series method: call it on every series of the panel at once (the
    seasonal index is the mean over the batch). ``round`` is numpy's (half to even).
    """

    backtest_inputs = ("in_stock", "dates")
    name = "vn2_benchmark"

    def __init__(self, instance: Any, *, coverage: int = 4, base_weeks: int = 13):
        self.instance = instance
        self.coverage = int(coverage)
        self.base_weeks = int(base_weeks)

    def __call__(self, obs: np.ndarray, *, in_stock: np.ndarray, dates: np.ndarray) -> np.ndarray:
        problem, params = self.instance.problem, self.instance.params
        d, w = problem.state_dim(params), in_stock.shape[1]
        history = obs[:, d : d + w]
        forecast = vn2_forecast(
            history,
            in_stock,
            dates[:w],
            dates[w : w + self.coverage],
            base_weeks=self.base_weeks,
        )
        position = problem.inventory_position(obs, params)
        return np.round(np.maximum(forecast.sum(axis=1) - position, 0.0))


class PerfectForesight:
    """A bound, not a policy: it sees the demand the backtest will serve (``future``) and
    orders in period ``t`` exactly the shortfall of period ``t + L``: the demand of ``t + L``
    minus the stock on hand then (this state's stock and pipeline run through the known demand
    of ``t .. t + L - 1``). With known demand no other order does better in a lost-sales
    system with a positive holding cost (each reachable period is served by its own order,
    nothing is held); the backtest labels its results as a bound."""

    backtest_inputs = ("future",)
    name = "perfect_foresight"

    def __init__(self, instance: Any):
        self.instance = instance

    def __call__(self, obs: np.ndarray, *, future: np.ndarray) -> np.ndarray:
        problem, params = self.instance.problem, self.instance.params
        lead = int(params.lead_time)
        parts = problem.parts(obs, params)
        y = np.asarray(parts["on_hand"], dtype=np.float64).copy()
        pipe = np.asarray(parts["pipeline"], dtype=np.float64)
        if future.shape[1] <= lead:
            return np.zeros(obs.shape[0])  # the order would arrive after the backtest
        for k in range(lead):
            arrival = pipe[:, k] if k < pipe.shape[1] else 0.0
            y = np.maximum(y - future[:, k], 0.0) + arrival
        return np.maximum(future[:, lead] - y, 0.0)


def _make_dbp(context: BacktestContext) -> Any:
    from dbp.panel import load_panel_policy

    if context.load is None:
        raise ValueError("policy dbp needs --load DIR (a policy trained with --data)")
    return load_panel_policy(context.load)


PTO_SETTINGS: dict[str, dict[str, Any]] = {
    "pto_moving_average": {
        "forecaster": {"n": 26, "seasonal": True},
        "distribution": "poisson",
    },
    "pto_ets": {
        "forecaster": {"intermittent": "croston_sba", "seasonal": True},
        "distribution": "poisson",
        "refit": 3,
    },
    "pto_lightgbm": {
        "forecaster": {"rounds": 150, "learning_rate": 0.1, "num_leaves": 15},
        "distribution": "poisson",
        "refit": 6,
    },
}
"""The settings of the predict-then-optimize policies of :data:`BACKTEST_POLICIES`: the
forecaster's options, then those of :class:`~baselines.pto.panel.PanelOrderUpTo`. Chosen on
the validation pseudo-competitions of ``benchmarks/vn2.py`` only, by ``benchmarks/vn2_sweep.py``
(see benchmarks/README.md): the lowest pooled validation cost of each grid."""


def make_panel_pto(
    name: str, instance: Any, settings: dict[str, Any] | None = None, **options: Any
) -> Any:
    """A predict-then-optimize backtest policy by name (``pto_moving_average``, ``pto_ets``,
    ``pto_lightgbm``), with :data:`PTO_SETTINGS` or ``settings`` (the same layout), the
    policy's options (``distribution``, ``refit``, ...) overridden by ``options``."""
    from baselines.pto.panel import (
        ETSForecaster,
        LightGBMForecaster,
        MovingAverageForecaster,
        PanelOrderUpTo,
    )

    classes = {
        "pto_moving_average": MovingAverageForecaster,
        "pto_ets": ETSForecaster,
        "pto_lightgbm": LightGBMForecaster,
    }
    if name not in classes:
        raise ValueError(f"make_panel_pto: name must be one of {tuple(classes)}, got {name!r}")
    chosen = dict(PTO_SETTINGS[name] if settings is None else settings)
    forecaster = classes[name](**chosen.pop("forecaster", {}))
    chosen.update(options)
    if name == "pto_lightgbm":
        lead = int(getattr(instance.params, "lead_time", 0))
        coverage = chosen.get("coverage") or lead + 1
        if coverage != forecaster.horizon:
            from dataclasses import replace

            forecaster = replace(forecaster, horizon=int(coverage))
    return PanelOrderUpTo(instance, forecaster, name=name, **chosen)


BACKTEST_POLICIES: dict[str, Callable[[BacktestContext], Any]] = {
    "vn2_benchmark": lambda c: VN2Benchmark(c.instance),
    "pto_moving_average": lambda c: make_panel_pto("pto_moving_average", c.instance),
    "pto_ets": lambda c: make_panel_pto("pto_ets", c.instance),
    "pto_lightgbm": lambda c: make_panel_pto("pto_lightgbm", c.instance),
    "perfect_foresight": lambda c: PerfectForesight(c.instance),
    "dbp": _make_dbp,
}
"""The names of ``inventory-gym backtest --policies``; ``perfect_foresight`` is a bound."""
BOUNDS = ("perfect_foresight",)

BACKTEST_SUMMARIES: dict[str, str] = {
    "vn2_benchmark": "the VN2 organisers' benchmark",
    "pto_moving_average": "predict-then-optimize: a moving-average forecast turned into an "
    "order-up-to level at the critical ratio",
    "pto_ets": "predict-then-optimize with exponential smoothing, in the forecast extra",
    "pto_lightgbm": "predict-then-optimize with a LightGBM forecast, in the forecast extra",
    "perfect_foresight": "a bound, not a policy: it sees the future",
    "dbp": "a DirectBackprop network trained with `train --data`, read from --load DIR",
}
"""One line for each name of :data:`BACKTEST_POLICIES`, for the commands' ``--help``."""


def describe_policies(*, bounds: bool = True) -> str:
    """The backtest policies and their summaries, for ``--help`` (``bounds=False`` leaves out
    the bounds, which are no ordering policies)."""
    return "; ".join(
        f"{name}: {BACKTEST_SUMMARIES[name]}"
        for name in BACKTEST_POLICIES
        if bounds or name not in BOUNDS
    )
