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


# ----------------------------------------------------------------------------------------------
# Panel policies of the backtest (issue 17): pto_moving_average, pto_ets, pto_lightgbm
# ----------------------------------------------------------------------------------------------


def _panel_setup(n=6, t=80, seed=0, censor=0.15):
    pytest.importorskip("pandas", reason="panels need pandas (the data extra)")
    from inventory_gym.data import Panel
    from inventory_gym.data.backtest import backtest_instance

    rng = np.random.default_rng(seed)
    sales = rng.poisson(rng.uniform(0.5, 8, size=(n, 1)), size=(n, t)).astype(float)
    flags = rng.random((n, t)) > censor
    ids = np.array([[str(i)] for i in range(n)], dtype=object)
    dates = np.datetime64("2022-01-03") + 7 * np.arange(t)
    panel = Panel(("id",), ids, dates, np.where(flags, sales, 0.0), flags)
    costs = {"lead_time": 2, "holding_cost": 0.2, "lost_sales_cost": 1.0}
    return panel, backtest_instance(ENV, costs, panel)


def test_classify_follows_the_syntetos_boylan_rule():
    from baselines.pto.panel import classify

    ok = np.ones((5, 8), dtype=bool)
    sales = np.array(
        [
            [3, 3, 4, 3, 3, 4, 3, 3],  # every period, sizes alike: smooth
            [1, 9, 1, 9, 1, 9, 1, 9],  # every period, CV^2 = 0.64: erratic
            [0, 0, 3, 0, 0, 3, 0, 3],  # ADI 8/3 = 2.7, equal sizes: intermittent
            [0, 0, 1, 0, 0, 9, 0, 0],  # ADI 4, CV^2 0.64: lumpy
            [0, 0, 0, 0, 0, 0, 0, 0],
        ],
        dtype=float,
    )
    assert list(classify(sales, ok)) == ["smooth", "erratic", "intermittent", "lumpy", "empty"]
    # Censored periods are dropped, not read as zeros: series 2 with its zeros censored is smooth.
    ok[2] = sales[2] > 0
    assert classify(sales, ok)[2] == "smooth"


def test_panel_order_up_to_is_the_poisson_quantile_minus_the_position():
    from baselines.backtest import make_panel_pto
    from inventory_gym.data.backtest import backtest

    panel, inst = _panel_setup(censor=0.0)
    policy = make_panel_pto(
        "pto_moving_average",
        inst,
        {"forecaster": {"n": 4, "seasonal": False}, "distribution": "poisson"},
    )
    res = backtest(panel, policy, inst, start=60, rounds=1)
    mean = panel.sales[:, 56:60].mean(axis=1)
    # Empty start state: the order is the whole 0.833 quantile of 3 periods' demand.
    expect = stats.poisson.ppf(1 / 1.2, 3 * mean)
    np.testing.assert_allclose(res.orders[:, 0], expect)


@pytest.mark.parametrize("name", ["pto_moving_average", "pto_ets"])
def test_heavy_stockouts_are_not_learned_as_low_demand(name):
    """A series out of stock 60% of the time (sales 0 then) is forecast at its in-stock level."""
    from baselines.backtest import make_panel_pto
    from inventory_gym.data.backtest import backtest

    panel, inst = _panel_setup(n=2, t=70, censor=0.0)
    rng = np.random.default_rng(3)
    sales = rng.poisson(6.0, size=(2, 70)).astype(float)
    flags = np.ones((2, 70), dtype=bool)
    flags[1] = rng.random(70) > 0.6
    from dataclasses import replace

    panel = replace(panel, sales=np.where(flags, sales, 0.0), in_stock=flags)
    policy = make_panel_pto(
        name, inst, {"forecaster": {"seasonal": False}, "distribution": "poisson"}
    )
    orders = backtest(panel, policy, inst, start=60, rounds=1).orders[:, 0]
    assert orders[1] >= 0.8 * orders[0] and orders[1] >= 14  # 3 x 6 = 18, not 3 x 2.4 = 7


def test_lightgbm_masks_censored_targets_and_refits_on_its_cadence():
    from baselines.backtest import make_panel_pto
    from inventory_gym.data.backtest import backtest

    panel, inst = _panel_setup(n=8, t=90)
    settings = {
        "forecaster": {"rounds": 20, "min_data_in_leaf": 5, "season": 26},
        "distribution": "negbin",
        "refit": 3,
    }
    policy = make_panel_pto("pto_lightgbm", inst, settings)
    res = backtest(panel, policy, inst, start=70, rounds=6)
    assert policy.fits == 2  # decisions 1 and 4
    assert np.all(res.orders >= 0) and res.orders.sum() > 0
    again = backtest(panel, policy, inst, start=70, rounds=6)  # the same fits, reused
    assert policy.fits == 2 and np.array_equal(again.orders, res.orders)
    # Censored targets are left out: a series whose sales are censored down to zero half of
    # the time still gets its level, not half of it.
    from dataclasses import replace

    flags = panel.in_stock.copy()
    flags[:, ::2] = False
    half = replace(panel, sales=np.where(flags, panel.sales, 0.0), in_stock=flags)
    one = make_panel_pto("pto_lightgbm", inst, {**settings, "refit": 1})
    from baselines.pto.panel import History

    h = History(half.sales[:, :70], half.in_stock[:, :70], half.dates[:73], half.static)
    means = one.forecaster.predict(one.forecaster.fit(h), h, 3).sum(axis=1)
    level = np.nanmean(np.where(flags[:, :70], half.sales[:, :70], np.nan), axis=1)
    assert means.sum() > 0.8 * 3 * level.sum()  # zeros as demand would give about half


def test_panel_pto_bad_settings_and_missing_extra_are_named(monkeypatch):
    import sys

    from baselines.backtest import make_panel_pto

    _, inst = _panel_setup()
    for settings, message in (
        ({"distribution": "empirical"}, "distribution must be one of"),
        ({"refit": 0}, "refit must be an integer >= 1"),
        ({"forecaster": {"intermittent": "sba"}}, "intermittent must be one of"),
    ):
        name = "pto_ets" if "forecaster" in settings else "pto_moving_average"
        with pytest.raises(ValueError, match=message):
            make_panel_pto(name, inst, settings)
    with pytest.raises(ValueError, match="name must be one of"):
        make_panel_pto("pto_prophet", inst)
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # as if not installed
    with pytest.raises(ImportError, match=r"inventory-gym\[forecast\]"):
        make_panel_pto("pto_lightgbm", inst)
