"""Forecasters of predict-then-optimize: what a practitioner computes from the demand history.

The interface is deliberately small, so that other forecasters (ETS, gradient boosting, with
censoring masks for out-of-stock periods) plug into the same order-up-to policy
(:class:`baselines.pto.policies.OrderUpTo`): a :class:`Forecaster` maps a batch of histories
``(B, window)`` (oldest first, as the env's ``demand_window``) and an optional in-stock mask of
the same shape (False: the period's sales are censored, treat its demand as missing) to a
:class:`Forecast`: the mean and the variance of the total demand over the next ``k`` periods,
each (B,).

The three here are vectorised over the batch in numpy (the harness calls a policy every period
for thousands of paths at once, which per-series fitting libraries are not built for):

- :class:`MovingAverage`: the mean of the last ``n`` periods;
- :class:`ExponentialSmoothing`: simple exponential smoothing with a fixed ``alpha``;
- :class:`SeasonalNaive`: each coming period's demand is that of one season earlier.

Each estimates the variance of its one-period forecast error from its own in-window errors
and scales it to ``k`` periods (``k`` times, errors taken as independent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "FORECASTERS",
    "ExponentialSmoothing",
    "Forecast",
    "Forecaster",
    "MovingAverage",
    "SeasonalNaive",
]


class Forecast(NamedTuple):
    """The forecast of the total demand over the next ``k`` periods, per row."""

    mean: np.ndarray
    """(B,) expected total demand."""
    variance: np.ndarray
    """(B,) variance of the total demand around ``mean`` (forecast error)."""


@runtime_checkable
class Forecaster(Protocol):
    """History ``(B, window)`` [+ in-stock mask ``(B, window)``] -> :class:`Forecast` of the
    next ``k`` periods. ``min_window`` is the shortest history it needs."""

    name: str
    min_window: int

    def forecast(self, history: np.ndarray, k: int, mask: np.ndarray | None = None) -> Forecast:
        """The forecast of the total demand over the next ``k`` periods."""
        ...


def _check(owner: str, history: np.ndarray, k: int, mask: np.ndarray | None, need: int):
    history = np.asarray(history, dtype=np.float64)
    if history.ndim != 2 or history.shape[1] < need:
        raise ValueError(
            f"{owner}: history must be a (batch, window >= {need}) array, got shape {history.shape}"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{owner}: k must be an integer >= 1, got {k!r}")
    if mask is None:
        mask = np.ones(history.shape, dtype=bool)
    else:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != history.shape:
            raise ValueError(
                f"{owner}: mask must have the history's shape {history.shape}, got {mask.shape}"
            )
    return history, mask


def _masked_mean(x: np.ndarray, mask: np.ndarray, fallback: np.ndarray | float = 0.0):
    count = mask.sum(axis=1)
    total = np.where(mask, x, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), fallback), count


def _one_period_variance(errors: np.ndarray, mask: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Mean squared error of the valid errors; a row without any falls back to Poisson
    (variance = level)."""
    mse, count = _masked_mean(errors**2, mask)
    return np.where(count >= 2, mse, np.maximum(level, 0.0))


@dataclass(frozen=True)
class MovingAverage:
    """The mean of the last ``n`` in-stock periods (``n=None``: the whole window)."""

    n: int | None = None
    name: str = "moving_average"

    @property
    def min_window(self) -> int:
        return 2 if self.n is None else max(2, self.n)

    def forecast(self, history: np.ndarray, k: int, mask: np.ndarray | None = None) -> Forecast:
        history, mask = _check("MovingAverage", history, k, mask, self.min_window)
        n = history.shape[1] if self.n is None else self.n
        recent, keep = history[:, -n:], mask[:, -n:]
        level, _ = _masked_mean(recent, keep)
        # One-period errors of the window's own average: the spread of the demand around it
        # (n / (n - 1): unbiased), plus the average's own error (1 / n).
        sq, count = _masked_mean((recent - level[:, None]) ** 2, keep)
        c = np.maximum(count, 2)
        var = np.where(count >= 2, sq * c / (c - 1) * (1 + 1 / c), np.maximum(level, 0.0))
        return Forecast(k * level, k * var)


@dataclass(frozen=True)
class ExponentialSmoothing:
    """Simple exponential smoothing ``l_t = alpha y_t + (1 - alpha) l_{t-1}`` over the window
    (started at the mean of the first in-stock periods; censored periods leave the level as
    it is), the forecast of every coming period is the last level."""

    alpha: float = 0.2
    name: str = "exp_smoothing"
    min_window: int = 2

    def __post_init__(self) -> None:
        if not (isinstance(self.alpha, (int, float)) and 0.0 < float(self.alpha) <= 1.0):
            raise ValueError(f"ExponentialSmoothing: alpha must be in (0, 1], got {self.alpha!r}")

    def forecast(self, history: np.ndarray, k: int, mask: np.ndarray | None = None) -> Forecast:
        history, mask = _check("ExponentialSmoothing", history, k, mask, self.min_window)
        start = min(4, history.shape[1])
        level, _ = _masked_mean(history[:, :start], mask[:, :start])
        errors = np.zeros_like(history)
        for t in range(history.shape[1]):
            y, ok = history[:, t], mask[:, t]
            errors[:, t] = y - level
            level = np.where(ok, level + self.alpha * (y - level), level)
        valid = mask.copy()
        valid[:, :start] = False  # the start-up periods fitted the level itself
        var = _one_period_variance(errors, valid, level)
        return Forecast(k * level, k * var)


@dataclass(frozen=True)
class SeasonalNaive:
    """Each coming period's demand is that of ``season`` periods earlier (a censored one is
    replaced by the window's in-stock mean). Needs a window of at least ``season + 1``."""

    season: int
    name: str = "seasonal_naive"

    def __post_init__(self) -> None:
        if isinstance(self.season, bool) or not isinstance(self.season, int) or self.season < 1:
            raise ValueError(f"SeasonalNaive: season must be an integer >= 1, got {self.season!r}")

    @property
    def min_window(self) -> int:
        return self.season + 1

    def forecast(self, history: np.ndarray, k: int, mask: np.ndarray | None = None) -> Forecast:
        history, mask = _check("SeasonalNaive", history, k, mask, self.min_window)
        window, s = history.shape[1], self.season
        fill, _ = _masked_mean(history, mask)
        filled = np.where(mask, history, fill[:, None])
        # Period j ahead (j = 1..k) is period window + j - 1 - s of the history; past the end
        # of the window (k > s) the cycle repeats.
        idx = window - s + (np.arange(k) % s)
        mean = filled[:, idx].sum(axis=1)
        errors = history[:, s:] - filled[:, :-s]
        var = _one_period_variance(errors, mask[:, s:] & mask[:, :-s], fill)
        return Forecast(mean, k * var)


FORECASTERS = {
    "moving_average": MovingAverage,
    "exp_smoothing": ExponentialSmoothing,
    "seasonal_naive": SeasonalNaive,
}
"""The forecasters by name."""
