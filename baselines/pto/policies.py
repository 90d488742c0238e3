"""The order-up-to policy of predict-then-optimize, around any forecaster.

Every period, for every row: forecast the demand over the protection period (the lead time
plus the period itself, ``L + 1`` periods: an order placed now is the last that can serve
them) from the demand history in the observation, take the critical-ratio quantile
``p / (p + h)`` of that forecast lead-time demand, and order the difference to the inventory
position (read through ``problem.inventory_position``), never below zero. The policy sees
what a practitioner sees: its state and the history, never the demand distribution.

Quantiles (``distribution``): ``poisson`` (the forecast mean only), ``negbin`` (a negative
binomial with the forecast mean and variance: the dispersion is fitted from the forecaster's
own errors; Poisson where they show none), ``normal`` (mean and variance, rounded up),
``empirical`` (the forecast mean plus the quantile of the forecaster's back-tested errors over
the window: the same forecaster run on earlier cuts of the history, against what followed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from baselines.pto.forecasters import FORECASTERS, Forecast, Forecaster
from inventory_gym.core.instance import Instance, make_instance

__all__ = ["DISTRIBUTIONS", "OrderUpTo", "make_pto", "quantile"]

DISTRIBUTIONS: tuple[str, ...] = ("poisson", "negbin", "normal", "empirical")

_OWNER = "OrderUpTo"


def quantile(forecast: Forecast, q: float, distribution: str) -> np.ndarray:
    """(B,) the ``q``-quantile of the demand total of ``forecast`` under ``distribution``
    (``poisson``: the mean only; ``negbin``: mean and variance, Poisson where the variance is
    not above the mean; ``normal``: rounded up). The one quantile of every order-up-to policy
    (:class:`OrderUpTo`, :class:`baselines.pto.panel.PanelOrderUpTo`)."""
    mean = np.maximum(forecast.mean, 0.0)
    var = np.maximum(forecast.variance, 0.0)
    if distribution == "normal":
        return np.ceil(mean + stats.norm.ppf(q) * np.sqrt(var))
    poisson = np.where(mean > 0, stats.poisson.ppf(q, np.maximum(mean, 1e-12)), 0.0)
    if distribution == "poisson":
        return poisson
    over = var > mean * (1 + 1e-9)
    n = np.where(over, mean**2 / np.maximum(var - mean, 1e-12), 1.0)
    p = np.where(over, mean / np.maximum(var, 1e-12), 0.5)
    negbin = stats.nbinom.ppf(q, np.maximum(n, 1e-12), np.clip(p, 1e-12, 1.0))
    return np.where(over & (mean > 0), negbin, poisson)


class OrderUpTo:
    """Order up to the ``ratio``-quantile of the forecast demand over ``L + 1`` periods.

    Args:
        problem: the instance's problem (it must declare an inventory position).
        params: the instance's params (``lead_time``; the ratio ``shortage_fractile`` by
            default).
        forecaster: any :class:`~baselines.pto.forecasters.Forecaster`.
        window: the periods of history the policy reads (the env's ``demand_window``, which
            its ``env_options`` ask for).
        distribution: one of :data:`DISTRIBUTIONS`.
        ratio: the quantile (default ``params.shortage_fractile``, ``p / (p + h)``).
        backtest: with ``empirical``, the number of back-tested forecasts per row.
        name: the policy's name in tables.
    """

    def __init__(
        self,
        problem: Any,
        params: Any,
        forecaster: Forecaster,
        *,
        window: int,
        distribution: str = "negbin",
        ratio: float | None = None,
        backtest: int = 12,
        name: str | None = None,
    ):
        if not isinstance(forecaster, Forecaster):
            raise ValueError(f"{_OWNER}: forecaster must be a Forecaster, got {forecaster!r}")
        if distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"{_OWNER}: distribution must be one of {DISTRIBUTIONS}, got {distribution!r}"
            )
        self.problem, self.params, self.forecaster = problem, params, forecaster
        self.lead_time = int(getattr(params, "lead_time", 0))
        self.k = self.lead_time + 1
        need = forecaster.min_window + (self.k + 1 if distribution == "empirical" else 0)
        if isinstance(window, bool) or not isinstance(window, int) or window < need:
            raise ValueError(
                f"{_OWNER}: window must be an integer >= {need} for {forecaster.name} with "
                f"{distribution} quantiles (lead time {self.lead_time}), got {window!r}"
            )
        if problem.position_weights(params) is None:
            raise ValueError(f"{_OWNER}: the {problem.name} problem has no inventory position")
        if ratio is None:
            ratio = getattr(params, "shortage_fractile", None)
        if ratio is None or not 0.0 < float(ratio) < 1.0:
            raise ValueError(f"{_OWNER}: ratio must be in (0, 1), got {ratio!r}")
        self.window, self.distribution, self.ratio = window, distribution, float(ratio)
        self.backtest = int(backtest)
        self.n_state = problem.state_dim(params)
        self.env_options = {"demand_window": window}
        self.name = name or f"pto_{forecaster.name}_{distribution}"

    def level(self, history: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """(B,) order-up-to levels from histories (B, window)."""
        fc = self.forecaster.forecast(history, self.k, mask)
        if self.distribution != "empirical":
            return quantile(fc, self.ratio, self.distribution)
        return np.ceil(fc.mean + self._error_quantile(history, mask))

    def _error_quantile(self, history: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        w, k = history.shape[1], self.k
        errors = []
        for j in range(1, self.backtest + 1):
            cut = w - k - j + 1  # forecast made after `cut` periods, of periods cut..cut+k-1
            if cut < self.forecaster.min_window:
                break
            sub_mask = None if mask is None else mask[:, :cut]
            made = self.forecaster.forecast(history[:, :cut], k, sub_mask).mean
            errors.append(history[:, cut : cut + k].sum(axis=1) - made)
        errs = np.stack(errors, axis=1)
        return np.quantile(errs, self.ratio, axis=1, method="inverted_cdf")

    def __call__(self, obs: Any) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64)
        history = obs[:, self.n_state : self.n_state + self.window]
        if history.shape[1] != self.window:
            raise ValueError(
                f"{_OWNER}: observations need {self.window} demand columns after the "
                f"{self.n_state} state columns (demand_window={self.window}), got shape "
                f"{obs.shape}"
            )
        position = self.problem.inventory_position(obs[:, : self.n_state], self.params)
        return np.maximum(self.level(history) - position, 0.0)


def make_pto(
    instance: Instance | str,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    forecaster: str | Forecaster = "moving_average",
    distribution: str = "negbin",
    window: int = 32,
    name: str | None = None,
    **forecaster_options: Any,
) -> OrderUpTo:
    """An :class:`OrderUpTo` policy for an instance (or an env id with keywords), with a
    forecaster given by name (:data:`~baselines.pto.forecasters.FORECASTERS`, its options as
    keywords: ``n=8``, ``alpha=0.3``, ``season=52``) or as an object."""
    inst = instance if isinstance(instance, Instance) else make_instance(instance, env_kwargs)
    if isinstance(forecaster, str):
        if forecaster not in FORECASTERS:
            raise ValueError(
                f"make_pto: forecaster must be one of {tuple(FORECASTERS)}, got {forecaster!r}"
            )
        forecaster = FORECASTERS[forecaster](**forecaster_options)
    elif forecaster_options:
        raise ValueError("make_pto: forecaster options go with a forecaster given by name")
    if not math.isfinite(window):
        raise ValueError(f"make_pto: window must be finite, got {window!r}")
    return OrderUpTo(
        inst.problem,
        inst.params,
        forecaster,
        window=window,
        distribution=distribution,
        name=name,
    )
