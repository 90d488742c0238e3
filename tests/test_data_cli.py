"""The sales-file commands: train --data, backtest, order (outputs in the issue's shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas", reason="panels need pandas (the data extra)")

from inventory_gym_cli.main import main

SETS = ["--set", "lead_time=2", "--set", "holding_cost=0.2", "--set", "lost_sales_cost=1"]


def write_panel(tmp_path: Path, n: int = 5, t: int = 70) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    dates = [str(np.datetime64("2022-01-03") + 7 * k) for k in range(t)]
    sales = rng.poisson(rng.uniform(1, 6, size=(n, 1)), size=(n, t))
    flags = rng.random((n, t)) > 0.1
    sales = np.where(flags, sales, 0)
    head = "Store,Product," + ",".join(dates) + "\n"
    paths = {k: tmp_path / f"{k}.csv" for k in ("sales", "in_stock", "initial")}
    paths["sales"].write_text(
        head + "".join(f"1,{i},{','.join(map(str, sales[i]))}\n" for i in range(n))
    )
    paths["in_stock"].write_text(
        head + "".join(f"1,{i},{','.join(map(str, flags[i]))}\n" for i in range(n))
    )
    paths["initial"].write_text(
        "Store,Product,End Inventory,In Transit W+1,In Transit W+2\n"
        + "".join(f"1,{i},{i},1,2\n" for i in range(n))
    )
    return paths


def data_args(paths):
    return ["--data", str(paths["sales"]), "--in-stock", str(paths["in_stock"])]


def test_backtest_json_orders_and_plot(tmp_path, capsys):
    paths = write_panel(tmp_path)
    args = ["backtest", "LostSalesLeadTime-v0", *data_args(paths), "--start", "2023-02-06"]
    args += ["--rounds", "6", *SETS, "--policies", "vn2_benchmark,pto_moving_average"]
    args[-1] += ",perfect_foresight"
    args += ["--initial-state", str(paths["initial"]), "--orders-out", str(tmp_path / "orders")]
    args += ["--plot", str(tmp_path / "plot.png"), "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    for name in ("vn2_benchmark", "pto_moving_average", "perfect_foresight"):
        entry = doc["policies"][name]
        assert list(entry) == ["cost", "holding", "shortage", "periods"]
        assert len(entry["periods"]) == 6
        assert entry["cost"] == pytest.approx(sum(entry["periods"]))
    assert doc["bounds"] == ["perfect_foresight"]
    header = (tmp_path / "orders" / "vn2_benchmark.csv").read_text().splitlines()[0]
    assert header.split(",")[:3] == ["Store", "Product", "2023-02-06"]
    assert len(header.split(",")) == 2 + 6
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_backtest_table_and_errors(tmp_path, capsys):
    paths = write_panel(tmp_path)
    base = ["backtest", "LostSalesLeadTime-v0", *data_args(paths), "--rounds", "6", *SETS]
    assert main([*base, "--start", "2023-02-06", "--policies", "vn2_benchmark"]) == 0
    out = capsys.readouterr().out
    assert "vn2_benchmark" in out and "scored" in out
    for extra, message in (
        (["--start", "2023-02-07", "--policies", "vn2_benchmark"], "--start: date 2023-02-07"),
        (["--start", "2023-04-10", "--policies", "vn2_benchmark"], "need 8 periods"),
        (["--start", "2023-02-06", "--policies", "nope"], "unknown policy 'nope'"),
        (["--start", "2023-02-06", "--policies", "dbp"], "needs --load"),
    ):
        with pytest.raises(SystemExit) as err:
            main([*base, *extra])
        assert err.value.code == 2
        line = capsys.readouterr().err.strip()
        assert message in line and "\n" not in line
    bad = tmp_path / "bad.csv"
    bad.write_text(paths["sales"].read_text().replace(",1,", ",-1,", 1))
    with pytest.raises(SystemExit):
        main(
            [
                "backtest",
                "LostSalesLeadTime-v0",
                "--data",
                str(bad),
                "--start",
                "2023-02-06",
                "--rounds",
                "6",
                *SETS,
                "--policies",
                "vn2_benchmark",
            ]
        )
    assert "negative quantity" in capsys.readouterr().err


def test_train_backtest_and_order_with_dbp(tmp_path, capsys):
    paths = write_panel(tmp_path)
    out = tmp_path / "run"
    args = ["train", "LostSalesLeadTime-v0", *data_args(paths), "--until", "2023-01-30", *SETS]
    args += ["--steps", "3", "--batch-size", "16", "--window", "8", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert "trained dbp-mlp: 3 steps" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["trained_until"] == "2023-01-30" and run["steps"] == 3
    args = ["backtest", "LostSalesLeadTime-v0", *data_args(paths), "--start", "2023-02-06"]
    args += ["--rounds", "6", *SETS, "--policies", "vn2_benchmark,dbp", "--load", str(out)]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["policies"]) == {"vn2_benchmark", "dbp"}
    # A network trained on the periods it would be scored on is refused.
    early = [a if a != "2023-02-06" else "2023-01-30" for a in args]
    with pytest.raises(SystemExit):
        main(early)
    assert "retrain it with --until before the start" in capsys.readouterr().err
    orders = tmp_path / "orders.csv"
    for policy in ("vn2_benchmark", "dbp", "pto_moving_average"):
        args = ["order", "LostSalesLeadTime-v0", *data_args(paths), *SETS, "--policy", policy]
        args += ["--load", str(out), "--initial-state", str(paths["initial"])]
        assert main([*args, "--out", str(orders)]) == 0
        lines = orders.read_text().splitlines()
        last = str(np.datetime64("2022-01-03") + 7 * 70)
        assert lines[0] == f"Store,Product,{last}" and len(lines) == 6
        assert all(int(line.split(",")[2]) >= 0 for line in lines[1:])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(
            [
                "order",
                "LostSalesLeadTime-v0",
                *data_args(paths),
                *SETS,
                "--policy",
                "perfect_foresight",
                "--out",
                str(orders),
            ]
        )
    assert "a bound" in capsys.readouterr().err
