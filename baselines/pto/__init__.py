"""Predict-then-optimize baselines (issue 15, item 3): forecast demand from the history a
practitioner has (the ``demand_window`` of the observation, never the distribution), then order
up to the critical-ratio quantile of the forecast lead-time demand, minus the inventory position.

- :mod:`.forecasters`: the small pluggable interface (:class:`~.forecasters.Forecaster`: a
  history (B, window), optionally an in-stock mask (B, window), to the mean and variance of the
  demand over the next ``k`` periods) and three forecasters: moving average, exponential
  smoothing, seasonal naive.
- :mod:`.policies`: :class:`~.policies.OrderUpTo`, an ordinary harness policy around any
  forecaster, with Poisson, negative-binomial (fitted dispersion), normal or empirical-error
  quantiles; :func:`~.policies.make_pto` builds one for an instance.
- :mod:`.panel` (issue 17): the same order-up-to rule and quantile for the policies of the
  panel backtest (``pto_moving_average``, ``pto_ets`` with statsforecast, ``pto_lightgbm``),
  which forecast every series of a real sales panel from its history before each decision.
"""

from baselines.pto.forecasters import (
    FORECASTERS,
    ExponentialSmoothing,
    Forecast,
    Forecaster,
    MovingAverage,
    SeasonalNaive,
)
from baselines.pto.policies import DISTRIBUTIONS, OrderUpTo, make_pto

__all__ = [
    "DISTRIBUTIONS",
    "FORECASTERS",
    "ExponentialSmoothing",
    "Forecast",
    "Forecaster",
    "MovingAverage",
    "OrderUpTo",
    "SeasonalNaive",
    "make_pto",
]
