"""Demand panels from files: layouts, malformed files, censoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas", reason="panels need pandas (the data extra)")

from inventory_gym.data import Panel, PanelError, impute, read_panel

VN2 = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vn2"
needs_vn2 = pytest.mark.skipif(
    not (VN2 / "sales.csv").is_file(), reason=f"the VN2 files are not in {VN2.resolve()}"
)

WIDE = "Store,Product,2024-01-01,2024-01-08,2024-01-15\n1,10,3,0,2\n1,11,1.0,4,0\n"
STOCK = "Store,Product,2024-01-01,2024-01-08,2024-01-15,2024-01-22\n1,10,True,False,True,True\n"
STOCK += "1,11,True,True,True,True\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_wide_file_with_in_stock_and_master(tmp_path):
    panel = read_panel(
        write(tmp_path, "s.csv", WIDE),
        in_stock=write(tmp_path, "i.csv", STOCK),
        master=write(tmp_path, "m.csv", "Store,Product,Group,Format\n1,11,7,big\n1,10,5,small\n"),
    )
    assert panel.id_columns == ("Store", "Product")
    assert panel.sales.tolist() == [[3, 0, 2], [1, 4, 0]]
    assert panel.in_stock.tolist() == [[True, False, True], [True, True, True]]
    assert str(panel.dates[0]) == "2024-01-01" and panel.label(1) == "Store=1 Product=11"
    # master rows are matched by id, not by position; a text attribute is coded.
    assert panel.static_names == ("Group", "Format")
    assert panel.static[:, 0].tolist() == [5, 7]
    # Nothing silently dropped: the unused in-stock period and the coding are noted.
    assert any("2024-01-22" in note for note in panel.notes)
    assert any("Format" in note for note in panel.notes)
    assert np.isnan(panel.masked()[0, 1])


def test_long_file_reads_like_the_wide_one(tmp_path):
    rows = ["Store,Product,date,quantity"]
    for store, product, values in ((1, 10, (3, 0, 2)), (1, 11, (1, 4, 0))):
        for day, v in zip(("2024-01-15", "2024-01-01", "2024-01-08"), (values[2], *values[:2])):
            rows.append(f"{store},{product},{day},{v}")
    long = read_panel(write(tmp_path, "l.csv", "\n".join(rows) + "\n"))
    wide = read_panel(write(tmp_path, "w.csv", WIDE))
    assert np.array_equal(long.sales, wide.sales)
    assert np.array_equal(long.dates, wide.dates)
    assert long.ids.tolist() == wide.ids.tolist()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("s.csv", WIDE.replace("1.0,4", "x,4"), "s.csv: row 3, column '2024-01-01': non-numeric"),
        ("s.csv", WIDE.replace("3,0,2", "3,-1,2"), "row 2, column '2024-01-08': negative"),
        ("s.csv", WIDE.replace("3,0,2", "3,,2"), "row 2, column '2024-01-08': missing quantity"),
        ("s.csv", WIDE.replace("1,11,", "1,10,"), "row 3: duplicate series Store=1 Product=10"),
        ("s.csv", WIDE.replace("2024-01-08,2024-01-15", "2024-01-15,2024-01-08"), "not after"),
        ("s.csv", "Store,Product,x\n1,2,3\n", "neither a wide file"),
        ("s.csv", "Store,Product,date,quantity\n1,2,2024-01-01,3\n1,2,2024-01-01,4\n", "second"),
        ("s.csv", "a,date,quantity\n1,2024-01-01,3\n2,2024-01-08,4\n", "has no row for date"),
    ],
)
def test_malformed_sales_file(tmp_path, name, text, message):
    with pytest.raises(
        PanelError,
    ) as err:
        read_panel(write(tmp_path, name, text))
    line = str(err.value)
    assert message in line and "\n" not in line and name in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (STOCK.replace("1,11,True,True", "1,12,True,True"), "no row for series Store=1 Product=11"),
        (STOCK.replace("False", "maybe"), "row 2, column '2024-01-08': in-stock flag 'maybe'"),
        (STOCK.replace(",2024-01-15", ",2024-01-16"), "no column for period 2024-01-15"),
        (STOCK.replace("Store,", "Shop,"), "id columns"),
        (STOCK + "1,12,True,True,True,True\n", "series Store=1 Product=12 is not in the sales"),
    ],
)
def test_in_stock_file_that_does_not_match(tmp_path, text, message):
    with pytest.raises(PanelError) as err:
        read_panel(write(tmp_path, "s.csv", WIDE), in_stock=write(tmp_path, "i.csv", text))
    assert message in str(err.value) and "i.csv" in str(err.value)


def test_bad_master_and_calendar(tmp_path):
    sales = write(tmp_path, "s.csv", WIDE)
    with pytest.raises(PanelError, match=r"m\.csv: no row for series Store=1 Product=11"):
        read_panel(sales, master=write(tmp_path, "m.csv", "Store,Product,G\n1,10,5\n"))
    with pytest.raises(PanelError, match=r"m\.csv: row 3, column 'G': missing value"):
        read_panel(sales, master=write(tmp_path, "m.csv", "Store,Product,G\n1,10,5\n1,11,\n"))
    cal = "date,promo\n2024-01-01,0\n2024-01-08,1\n2024-01-15,0\n"
    panel = read_panel(sales, calendar=write(tmp_path, "c.csv", cal))
    assert panel.calendar[:, 0].tolist() == [0, 1, 0] and panel.calendar_names == ("promo",)
    with pytest.raises(PanelError, match=r"c\.csv: no row for period 2024-01-15"):
        read_panel(sales, calendar=write(tmp_path, "c.csv", cal.rsplit("2024-01-15", 1)[0]))
    with pytest.raises(PanelError, match="no such sales file"):
        read_panel(tmp_path / "absent.csv")


def test_imputation_is_causal_and_keeps_in_stock_weeks():
    sales = np.array([[2.0, 4.0, 0.0, 0.0, 6.0, 0.0]])
    flags = np.array([[True, True, False, False, True, False]])
    out = impute(sales, flags, lookback=2)
    # week 2: mean of weeks 0-1 (3); week 3: only week 1 is in stock in its lookback (4);
    # week 5: week 4 (6). In-stock weeks keep their sales, even a 0.
    assert out.tolist() == [[2.0, 4.0, 3.0, 4.0, 6.0, 6.0]]
    # Nothing later is read: changing the future leaves the past imputation unchanged.
    later = sales.copy()
    later[0, 4:] = 100
    assert np.array_equal(impute(later, flags, 2)[0, :4], out[0, :4])
    assert impute(np.zeros((1, 2)), np.zeros((1, 2), bool)).tolist() == [[0.0, 0.0]]


def test_series_with_many_stockouts_is_not_learned_as_low_demand():
    """Demand Poisson(5), out of stock 60% of the weeks (sales 0 there): the imputed demand
    and the VN2 benchmark's masked base are near 5, while the raw sales average about 2."""
    from baselines.backtest import vn2_forecast

    rng = np.random.default_rng(0)
    demand = rng.poisson(5.0, size=(1, 200)).astype(float)
    flags = rng.random((1, 200)) > 0.6
    sales = np.where(flags, demand, 0.0)
    assert sales.mean() < 2.5
    assert abs(impute(sales, flags).mean() - 5.0) < 0.5
    dates = np.datetime64("2020-01-06") + 7 * np.arange(200)
    # One series plus a steady in-stock one, so the seasonal index is estimated.
    both = np.vstack([sales, demand])
    ok = np.vstack([flags, np.ones_like(flags)])
    forecast = vn2_forecast(both, ok, dates, dates[-1:] + 7, base_weeks=52)
    assert 3.5 < forecast[0, 0] < 7.0  # not the ~2 of the raw sales
    panel = Panel(("id",), np.array([["a"]], object), dates, sales, flags)
    assert abs(panel.imputed().mean() - 5.0) < 0.5


@needs_vn2
def test_vn2_files_read_whole():
    panel = read_panel(VN2 / "sales.csv", in_stock=VN2 / "in_stock.csv", master=VN2 / "master.csv")
    assert panel.sales.shape == (599, 157)
    assert abs(panel.sales.mean() - 2.94) < 0.01
    assert abs(panel.in_stock.mean() - 0.888) < 0.001
    assert not np.any(panel.sales[~panel.in_stock])  # out of stock: censored to 0
    assert str(panel.dates[-1]) == "2024-04-08" and len(panel.static_names) == 6


def test_a_panel_feeds_the_vector_env():
    """Each batch row one series from one start period, with its history window."""
    import inventory_gym  # noqa: F401
    from inventory_gym.envs.lost_sales.env import LostSalesVectorEnv

    rng = np.random.default_rng(2)
    sales = rng.poisson(4.0, size=(3, 30)).astype(float)
    dates = np.datetime64("2024-01-01") + 7 * np.arange(30)
    panel = Panel(
        ("id",), np.array([["a"], ["b"], ["c"]], object), dates, sales, np.ones_like(sales, bool)
    )
    rows, starts = [2, 0, 2, 1], [10, 5, 20, 8]
    demand = panel.replay(rows, starts, periods=6, window=4)
    env = LostSalesVectorEnv(
        num_envs=4,
        max_episode_steps=6,
        demand=demand,
        lead_time=2,
        demand_window=4,
        max_order=50.0,
    )
    obs, _ = env.reset(seed=0)
    for b, (r, s) in enumerate(zip(rows, starts)):
        assert obs[b, 2:6].tolist() == sales[r, s - 4 : s].tolist()
    env.step(np.zeros(4))
    obs, *_ = env.step(np.zeros(4))
    assert obs[:, 5].tolist() == [sales[r, s + 1] for r, s in zip(rows, starts)]
    with pytest.raises(ValueError, match="must lie in"):
        panel.replay([0], [2], periods=6, window=4)


def test_last_year_features_read_only_the_past():
    pytest.importorskip("torch")
    from dbp.panel import last_year_features

    rng = np.random.default_rng(0)
    demand = rng.poisson(4.0, size=(3, 30)).astype(float)
    feats = last_year_features(demand, window=4, ahead=2, season=10)
    assert feats.shape == (3, 31, 2)
    t = 20  # last season's periods 10, 11 against the 4 periods 6..9
    expect = np.log((demand[:, 10:12].mean(axis=1) + 0.1) / (demand[:, 6:10].mean(axis=1) + 0.1))
    np.testing.assert_allclose(feats[:, t, 0], expect)
    pooled = demand.mean(axis=0)
    np.testing.assert_allclose(
        feats[:, t, 1], np.log((pooled[10:12].mean() + 0.1) / (pooled[6:10].mean() + 0.1))
    )
    assert np.all(feats[:, :14] == 0)  # the history does not reach back a season and a window
    altered = demand.copy()
    altered[:, t:] = 99.0
    np.testing.assert_array_equal(
        last_year_features(altered, 4, 2, 10)[:, : t + 1], feats[:, : t + 1]
    )
