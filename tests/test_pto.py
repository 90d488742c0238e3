"""Predict-then-optimize baselines (issue 15, item 3): the forecasters' interface and numbers,
and the order-up-to policy as an ordinary harness policy that reads only the history."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from baselines.pto import (
    DISTRIBUTIONS,
    ExponentialSmoothing,
    Forecaster,
    MovingAverage,
    OrderUpTo,
    SeasonalNaive,
    make_pto,
)
from inventory_gym import make_instance
from inventory_gym.evaluation import evaluate

ENV = "LostSalesLeadTime-v0"


def test_forecasters_follow_the_interface():
    history = np.array([[2.0, 4, 6, 8, 10, 12], [5, 5, 5, 5, 5, 5]])
    for fc in (MovingAverage(3), ExponentialSmoothing(0.5), SeasonalNaive(2)):
        assert isinstance(fc, Forecaster)
        out = fc.forecast(history, 3)
        assert out.mean.shape == (2,) and out.variance.shape == (2,)
        assert out.mean[1] == pytest.approx(15.0)
    ma = MovingAverage(3).forecast(history, 2)
    assert ma.mean[0] == pytest.approx(2 * 10.0)
    naive = SeasonalNaive(2).forecast(history, 3)
    assert naive.mean[0] == pytest.approx(10 + 12 + 10)
    # The level of exponential smoothing with alpha = 1 is the last value.
    assert ExponentialSmoothing(1.0).forecast(history, 1).mean[0] == pytest.approx(12.0)


def test_censored_periods_are_missing_not_zero():
    history = np.array([[6.0, 0, 6, 0, 6, 0]])
    mask = np.array([[True, False, True, False, True, False]])
    assert MovingAverage().forecast(history, 1, mask).mean[0] == pytest.approx(6.0)
    assert MovingAverage().forecast(history, 1).mean[0] == pytest.approx(3.0)
    assert ExponentialSmoothing(0.3).forecast(history, 1, mask).mean[0] == pytest.approx(6.0)
    with pytest.raises(ValueError, match="mask"):
        MovingAverage().forecast(history, 1, mask[:, :3])


def test_order_up_to_the_critical_ratio_quantile():
    inst = make_instance(ENV, {"lead_time": 1, "demand": "poisson(5)"})
    policy = make_pto(inst, forecaster="moving_average", distribution="poisson", window=8)
    assert policy.env_options == {"demand_window": 8}
    history = np.full((1, 8), 5.0)
    level = stats.poisson.ppf(inst.params.shortage_fractile, 10.0)
    obs = np.concatenate([[[3.0]], history], axis=1)  # on hand 3 (pipeline empty at L = 1)
    assert policy(obs)[0] == level - 3
    # Above the level: order nothing.
    assert policy(np.concatenate([[[level + 5]], history], axis=1))[0] == 0


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_pto_runs_in_the_harness_on_nonstationary_demand(distribution):
    kwargs = {"lead_time": 2, "demand": "seasonal(5,0.5,12,0,2)"}
    policy = make_pto(
        ENV, kwargs, forecaster="seasonal_naive", season=12, window=24, distribution=distribution
    )
    ev = evaluate(policy, ENV, kwargs, num_paths=50, periods=30, burn_in=0, seed=0)
    assert ev.env_kwargs["demand_window"] == 24 and np.isfinite(ev.cost)


def test_bad_settings_are_named():
    inst = make_instance(ENV, {"lead_time": 2})
    with pytest.raises(ValueError, match="window must be an integer >= 13"):
        make_pto(inst, forecaster="seasonal_naive", season=12, window=8)
    with pytest.raises(ValueError, match="distribution"):
        make_pto(inst, distribution="gamma")
    with pytest.raises(ValueError, match="forecaster must be one of"):
        make_pto(inst, forecaster="arima")
    with pytest.raises(ValueError, match="alpha"):
        ExponentialSmoothing(0.0)
    with pytest.raises(ValueError, match="Forecaster"):
        OrderUpTo(inst.problem, inst.params, object(), window=8)
