"""The causal backtest and its policies: no look-ahead, the initial-state mapping, the score,
the VN2 benchmark on hand-computed cases, perfect foresight as a bound."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas", reason="panels need pandas (the data extra)")

from baselines.backtest import PerfectForesight, VN2Benchmark, vn2_forecast
from inventory_gym.data import Panel, PanelError, read_panel
from inventory_gym.data.backtest import (
    InitialState,
    backtest,
    backtest_instance,
    read_initial_state,
    warm_state,
)

VN2 = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vn2"
needs_vn2 = pytest.mark.skipif(
    not (VN2 / "sales.csv").is_file(), reason=f"the VN2 files are not in {VN2.resolve()}"
)
COSTS = {"lead_time": 2, "holding_cost": 0.2, "lost_sales_cost": 1.0}


def random_panel(n=6, t=80, seed=0) -> Panel:
    rng = np.random.default_rng(seed)
    sales = rng.poisson(rng.uniform(0.5, 8, size=(n, 1)), size=(n, t)).astype(float)
    flags = rng.random((n, t)) > 0.15
    sales = np.where(flags, sales, 0.0)
    ids = np.array([[str(i)] for i in range(n)], dtype=object)
    dates = np.datetime64("2022-01-03") + 7 * np.arange(t)
    return Panel(("id",), ids, dates, sales, flags)


def instance(panel, **kw):
    return backtest_instance("LostSalesLeadTime-v0", {**COSTS, **kw}, panel)


class Recorder:
    """Wraps a policy and records every observation it was handed."""

    def __init__(self, policy):
        self.policy = policy
        self.backtest_inputs = getattr(policy, "backtest_inputs", ())
        self.seen = []

    def __call__(self, obs, **extra):
        self.seen.append((obs.copy(), {k: np.copy(v) for k, v in extra.items()}))
        return self.policy(obs, **extra)


def tiny_dbp(panel, inst):
    from dbp.config import TrainConfig
    from dbp.panel import PanelOptions, train_panel

    config = TrainConfig(batch_size=8, horizon=4, burn_in=2, max_steps=2, threads=1)
    return train_panel(panel, inst, until=50, options=PanelOptions(window=8), config=config)


def tiny_pto(name, inst):
    from baselines.backtest import PTO_SETTINGS, make_panel_pto

    settings = {**PTO_SETTINGS[name], "refit": 2}  # a cadence: fits reused across decisions
    if name == "pto_lightgbm":
        settings["forecaster"] = {"rounds": 10, "min_data_in_leaf": 5, "season": 26}
    if name == "pto_moving_average":
        settings.pop("refit")
    return make_panel_pto(name, inst, settings)


@pytest.mark.parametrize(
    ("window", "kind"),
    [
        (None, "vn2"),
        (13, "vn2"),
        (None, "dbp"),
        (None, "pto_moving_average"),
        (None, "pto_ets"),
        (30, "pto_lightgbm"),
        (None, "pto_lightgbm"),
    ],
)
def test_no_decision_depends_on_a_later_period(window, kind):
    """Alter every period after a decision: that decision, and every earlier one, is the same."""
    panel = random_panel()
    inst = instance(panel)
    start, rounds = 60, 6
    if kind == "vn2":
        policy = VN2Benchmark(inst)
    elif kind == "dbp":
        policy = tiny_dbp(panel, inst)
    else:
        policy = tiny_pto(kind, inst)
    base = backtest(panel, policy, inst, start=start, rounds=rounds, window=window)
    rng = np.random.default_rng(1)
    for k in range(rounds):
        t = start + k
        sales = panel.sales.copy()
        flags = panel.in_stock.copy()
        sales[:, t:] = rng.poisson(20.0, size=sales[:, t:].shape)
        flags[:, t:] = rng.random(flags[:, t:].shape) > 0.5
        altered = replace(panel, sales=sales, in_stock=flags)
        rec = Recorder(policy)
        out = backtest(altered, rec, inst, start=start, rounds=rounds, window=window)
        assert np.array_equal(out.orders[:, : k + 1], base.orders[:, : k + 1]), k
        # The observations of decisions up to k carry nothing of period t or later.
        for j in range(k + 1):
            obs, extra = rec.seen[j]
            ref = Recorder(policy)
            backtest(panel, ref, inst, start=start, rounds=j + 1, window=window)
            assert np.array_equal(obs, ref.seen[j][0])
            assert np.array_equal(extra["in_stock"], ref.seen[j][1]["in_stock"])


def test_observation_layout_and_score_periods():
    panel = random_panel(n=3, t=40)
    inst = instance(panel)
    rec = Recorder(lambda obs: np.ones(obs.shape[0]))
    res = backtest(panel, rec, inst, start=20, rounds=4, window=5)
    obs, _ = rec.seen[0]
    # state (y, q_1), then the sales of periods 15..19, then the static features
    assert obs.shape == (3, 2 + 5 + 4)
    assert np.array_equal(obs[:, 2:7], panel.sales[:, 15:20])
    assert np.array_equal(obs[:, 7:], np.repeat(inst.static_row[None], 3, axis=0))
    assert res.orders.shape == (3, 4) and res.total.shape == (3, 6)
    # Scored from start + L: periods 22..25 (the first two are fixed by the start state).
    assert res.first_scored == 2 and len(res.periods) == 4
    assert res.cost == pytest.approx(res.total[:, 2:].sum())
    assert res.cost == pytest.approx(res.holding_cost + res.shortage_cost)
    assert list(res.to_dict()) == ["cost", "holding", "shortage", "periods"]


def test_costs_are_the_kernel_on_the_actual_sales():
    """One series, in stock throughout, L = 2: costs follow SCENARIOS.md section 1."""
    sales = np.array([[0, 0, 3, 1, 4, 2, 5, 0]], dtype=float)
    panel = Panel(
        ("id",),
        np.array([["a"]], object),
        np.datetime64("2024-01-01") + 7 * np.arange(8),
        sales,
        np.ones_like(sales, bool),
    )
    inst = instance(panel)
    init = InitialState(np.array([5.0]), np.array([[1.0]]))
    res = backtest(panel, lambda obs: np.array([2.0]), inst, start=2, rounds=3, initial=init)
    # y: 5 -> (5-3)=2 +1 = 3 -> (3-1)=2 +2 = 4 -> (4-4)=0 +2 = 2 -> (2-2)=0 +2 = 2 -> 2-5 lost 3
    assert res.holding[0].tolist() == pytest.approx([0.4, 0.4, 0.0, 0.0, 0.0])
    assert res.shortage[0].tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 3.0])
    assert res.cost == pytest.approx(3.0)  # periods 4, 5, 6 scored


def test_initial_state_mapping(tmp_path):
    panel = random_panel(n=2, t=10)
    text = "id,Start Inventory,End Inventory,In Transit W+1,In Transit W+2\n"
    path = tmp_path / "init.csv"
    path.write_text(text + "1,9,3,2,5\n0,9,1,0,4\n")
    init = read_initial_state(path, panel, lead_time=2)
    # on hand = End Inventory + In Transit W+1; q_1 = In Transit W+2 (rows matched by id)
    assert init.on_hand.tolist() == [1.0, 5.0] and init.pipeline.tolist() == [[4.0], [5.0]]
    with pytest.raises(PanelError, match="beyond lead time 1"):
        read_initial_state(path, panel, lead_time=1)
    with pytest.raises(PanelError, match="no column 'In Transit W\\+3'"):
        read_initial_state(path, panel, lead_time=4)
    path.write_text(text + "1,9,3,2,5\n")
    with pytest.raises(PanelError, match="no row for series id=0"):
        read_initial_state(path, panel, lead_time=2)


def test_vn2_benchmark_hand_computed():
    """Two series, four weeks of ISO numbers 1, 2, 1, 2; the third week of B is out of stock.

    Weekly means: 1.5, 3, 2 (A alone), 3; by ISO week: 1.75 and 3, mean 2.375, so the index is
    14/19 (week 1) and 24/19 (week 2). A deseasonalised: 19/7, 19/6, 19/7, 19/6; base over
    the last 2 weeks = 247/84; the forecast of weeks 1 and 2 sums to base x 38/19 = 247/42 =
    5.881. B: 19/14, 19/12, missing, 19/12; base = 19/12; forecast sum = 19/6 = 3.167.
    """
    history = np.array([[2.0, 4.0, 2.0, 4.0], [1.0, 2.0, 0.0, 2.0]])
    flags = np.array([[True] * 4, [True, True, False, True]])
    dates = np.array(["2023-01-02", "2023-01-09", "2024-01-01", "2024-01-08"], "datetime64[D]")
    ahead = np.array(["2025-01-01", "2025-01-08"], "datetime64[D]")  # ISO weeks 1 and 2
    f = vn2_forecast(history, flags, dates, ahead, base_weeks=2)
    assert f[0].tolist() == pytest.approx([247 / 84 * 14 / 19, 247 / 84 * 24 / 19])
    assert f[1].sum() == pytest.approx(19 / 6)
    panel = Panel(("id",), np.array([["A"], ["B"]], object), dates, history, flags)
    inst = instance(panel)
    policy = VN2Benchmark(inst, coverage=2, base_weeks=2)
    # on hand + in transit: A 1 -> round(4.881) = 5; B 3 -> round(0.167) = 0; B 0 -> 3
    obs = np.array([[1.0, 0.0, *history[0]], [3.0, 0.0, *history[1]]])
    assert policy(obs, in_stock=flags, dates=np.concatenate([dates, ahead])).tolist() == [5, 0]
    obs[1, 0] = 0.0
    assert policy(obs, in_stock=flags, dates=np.concatenate([dates, ahead]))[1] == 3
    # An ISO week the window does not hold gets the index 1.
    g = vn2_forecast(history, flags, dates, np.array(["2025-01-15"], "datetime64[D]"), base_weeks=2)
    assert g[0, 0] == pytest.approx(247 / 84)


def test_vn2_benchmark_defaults_on_a_year():
    """With 13 base weeks and 4 weeks of coverage on a flat, unseasonal panel, the order is
    4 x the mean minus the inventory position."""
    t = 60
    sales = np.full((3, t), 2.0)
    sales[1] = 5.0
    dates = np.datetime64("2022-01-03") + 7 * np.arange(t)
    panel = Panel(
        ("id",), np.array([["a"], ["b"], ["c"]], object), dates, sales, np.ones_like(sales, bool)
    )
    inst = instance(panel)
    res = backtest(
        panel,
        VN2Benchmark(inst),
        inst,
        start=52,
        rounds=1,
        initial=InitialState(np.array([1.0, 3.0, 9.0]), np.array([[2.0], [0.0], [0.0]])),
    )
    assert res.orders[:, 0].tolist() == [5.0, 17.0, 0.0]


def test_perfect_foresight_is_a_bound():
    panel = random_panel(n=5, t=70, seed=3)
    panel = replace(panel, in_stock=np.ones_like(panel.in_stock))
    inst = instance(panel)
    best = backtest(panel, PerfectForesight(inst), inst, start=50, rounds=6)
    assert best.bound
    assert best.cost == pytest.approx(0.0)  # integer demand, known: nothing held, nothing lost
    other = backtest(panel, VN2Benchmark(inst), inst, start=50, rounds=6)
    assert not other.bound and other.cost > best.cost


def test_warm_state_reads_only_the_past():
    panel = random_panel()
    inst = instance(panel)
    state = warm_state(panel, VN2Benchmark(inst), inst, start=60, periods=8)
    later = replace(panel, sales=np.where(np.arange(80) >= 60, 99.0, panel.sales))
    again = warm_state(later, VN2Benchmark(inst), inst, start=60, periods=8)
    assert np.array_equal(state.on_hand, again.on_hand)
    assert np.array_equal(state.pipeline, again.pipeline) and state.pipeline.shape == (6, 1)


def test_backtest_refuses_a_window_past_the_end():
    panel = random_panel(t=30)
    with pytest.raises(ValueError, match="need 8 periods"):
        backtest(panel, VN2Benchmark(instance(panel)), instance(panel), start=25, rounds=6)


@needs_vn2
def test_vn2_initial_state_and_benchmark_round_one():
    panel = read_panel(VN2 / "sales.csv", in_stock=VN2 / "in_stock.csv")
    init = read_initial_state(VN2 / "initial_state.csv", panel, lead_time=2)
    assert init.on_hand[:2].tolist() == [3.0, 1.0] and init.pipeline[:2, 0].tolist() == [3.0, 1.0]
    inst = instance(panel)
    cut = panel.until(149)
    res = backtest(
        panel,
        VN2Benchmark(inst),
        inst,
        start=cut.periods,
        rounds=6,
        initial=warm_state(panel, VN2Benchmark(inst), inst, start=149, periods=8),
    )
    assert res.orders.shape == (599, 6) and np.all(res.orders >= 0)
    assert np.all(res.orders == np.round(res.orders))


def test_an_ordinary_harness_policy_runs_unchanged():
    """A heuristic of the harness (state first, extra columns ignored) runs in the backtest."""
    from baselines.lost_sales.heuristics import BaseStock

    panel = random_panel(n=4, t=40)
    inst = instance(panel)
    res = backtest(panel, BaseStock(lead_time=2, level=6.0), inst, start=20, rounds=3, window=8)
    # empty start: the first order fills the position to 6, the next ones replace the sales
    assert res.orders[:, 0].tolist() == [6.0] * 4
    assert res.policy == "base_stock(S=6)"


def test_dbp_reads_master_attributes_when_asked():
    from dbp.config import TrainConfig
    from dbp.panel import PanelOptions, load_panel_policy, train_panel

    panel = replace(random_panel(), static=np.arange(12.0).reshape(6, 2), static_names=("a", "b"))
    inst = instance(panel)
    config = TrainConfig(batch_size=8, horizon=4, burn_in=2, max_steps=2, threads=1)
    options = PanelOptions(window=8, master=True)
    policy = train_panel(panel, inst, until=50, options=options, config=config)
    assert policy.backtest_inputs == ("in_stock", "dates", "static")
    assert policy.net.spec.static_dim == 4 + 2 + 2 + 1  # costs, master, season, level
    res = backtest(panel, policy, inst, start=60, rounds=3)
    assert np.all(res.orders >= 0) and np.all(res.orders == np.round(res.orders))
    again = load_panel_policy(policy.save(Path(tempfile.mkdtemp()) / "p"))
    assert np.array_equal(backtest(panel, again, inst, start=60, rounds=3).orders, res.orders)


def test_every_backtest_policy_has_the_summary_the_commands_help_shows():
    from baselines.backtest import BACKTEST_POLICIES, BACKTEST_SUMMARIES, describe_policies

    assert set(BACKTEST_SUMMARIES) == set(BACKTEST_POLICIES)
    assert "perfect_foresight" in describe_policies()
    assert "perfect_foresight" not in describe_policies(bounds=False)
    assert all(name in describe_policies() for name in BACKTEST_POLICIES)
