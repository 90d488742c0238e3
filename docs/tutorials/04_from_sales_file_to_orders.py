# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From your sales file to orders
#
# The first three tutorials drew demand from a known distribution. A retailer has none: it has
# a *sales file*, one row per series (store x product), one column per week. This tutorial goes
# from such a file to the orders to place next week:
#
# 1. read the file, with its in-stock flags (an out-of-stock week shows zero sales whatever the
#    demand was: missing demand, not zero demand);
# 2. **backtest** policies on the last weeks of the history, exactly as they would have run:
#    each decision sees only the weeks before it;
# 3. compare the organisers' benchmark, three *predict-then-optimize* policies (forecast, then
#    order up to a quantile) and a DirectBackprop network trained across the series;
# 4. compute next week's orders, ready to submit.
#
# The data are the real weekly sales of the VN2 Inventory Planning Challenge (2025): 599
# series of grocery stores, lost sales, lead time 2 weeks, holding cost 0.2 and shortage cost
# 1 per unit and week (`shared/data/vn2/PROVENANCE.md` says where they come from). The project
# does not ship them: the tutorial looks for a `shared/data/vn2` folder next to the project and
# stops if there is none. To keep it under a minute it works on 100 of the 599 series.

# %%
import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from baselines.backtest import PerfectForesight, VN2Benchmark, make_panel_pto
from dbp import TrainConfig
from dbp.panel import PanelOptions, train_panel
from inventory_gym.data import read_panel
from inventory_gym.data.backtest import backtest, backtest_instance, warm_state
from inventory_gym_cli.main import main


def find_vn2() -> Path | None:
    """The first ``shared/data/vn2`` folder with a sales file, from here upwards."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "shared" / "data" / "vn2" / "sales.csv").is_file():
            return folder / "shared" / "data" / "vn2"
    return None


VN2 = find_vn2()
if VN2 is None:
    print(
        "The VN2 files (shared/data/vn2/sales.csv, in_stock.csv, master.csv, "
        "initial_state.csv) are not in a folder above this one, so this tutorial stops here."
    )
    raise SystemExit(0)
print("VN2 files:", sorted(p.name for p in VN2.glob("*.csv")))

# %% [markdown]
# ## 1. Your sales file
#
# Here is what a sales file looks like: id columns, then one column per week labelled by its
# Monday. The in-stock file has the same shape with `True`/`False`, the master file static
# attributes of each series (product group, store format...).

# %%
sales = pd.read_csv(VN2 / "sales.csv")
print(sales.iloc[:3, :8])
print(f"{len(sales)} series x {sales.shape[1] - 2} weeks")

# %% [markdown]
# We keep 100 series drawn at random and write them, as a shop would have its own files, to a
# scratch folder. Everything below reads those four files only; with your own data, point it
# at your files instead.

# %%
folder = Path(tempfile.mkdtemp(prefix="vn2_subset_"))
keep = sales.sample(100, random_state=0)[["Store", "Product"]]
for name in ("sales", "in_stock", "master", "initial_state"):
    frame = pd.read_csv(VN2 / f"{name}.csv")
    frame.merge(keep, on=["Store", "Product"]).to_csv(folder / f"{name}.csv", index=False)

panel = read_panel(
    folder / "sales.csv", in_stock=folder / "in_stock.csv", master=folder / "master.csv"
)
print(f"{panel.n_series} series, {panel.periods} weeks, {panel.dates[0]} .. {panel.dates[-1]}")
print(f"out of stock: {100 * (1 - panel.in_stock.mean()):.1f}% of the series-weeks")
print(*panel.notes, sep="\n")

# %% [markdown]
# A picture of four series. Grey bands are the out-of-stock weeks: their zeros are not
# demand. The policies below either skip those weeks (the benchmark and the forecasters) or
# fill them from the series' own earlier in-stock weeks (DirectBackprop), never from later
# ones.

# %%
order = np.argsort(-panel.sales.mean(axis=1))
shown = [order[5], order[25], order[50], order[80]]
fig, axes = plt.subplots(4, 1, figsize=(9, 7), sharex=True)
for ax, i in zip(axes, shown):
    ax.plot(panel.dates, panel.sales[i], lw=1, color="tab:blue")
    out = ~panel.in_stock[i]
    ax.fill_between(
        panel.dates,
        0,
        1,
        where=out,
        color="grey",
        alpha=0.3,
        transform=ax.get_xaxis_transform(),
        label="out of stock",
    )
    ax.set_ylabel("units")
    ax.set_title(panel.label(i), fontsize=9, loc="left")
axes[0].legend(loc="upper right")
fig.suptitle("Weekly sales of four VN2 series")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The backtest
#
# A backtest replays the last weeks of the history through the lost-sales dynamics of
# `LostSalesLeadTime-v0`: at each decision the policy gets the state (stock on hand and the
# two orders in transit) and the sales *before* the decision week, nothing later; the harness
# holds the future, serves it as demand and adds up the costs. The competition's rules: 6
# weekly decisions, lead time 2, so the costs of weeks 3 to 8 are scored, summed over the
# series.
#
# The window starts on 2024-02-19, the last one whose 8 weeks are all in the file. The start
# state is what the organisers' benchmark leaves after running the 8 weeks before, the same
# for every policy, so the comparison is paired.

# %%
costs = {"lead_time": 2, "holding_cost": 0.2, "lost_sales_cost": 1.0}
inst = backtest_instance("LostSalesLeadTime-v0", costs, panel)
start = panel.index("2024-02-19")
initial = warm_state(panel, VN2Benchmark(inst), inst, start=start, periods=8)
ratio = costs["lost_sales_cost"] / (costs["lost_sales_cost"] + costs["holding_cost"])
print(f"decisions from {panel.dates[start]}, critical ratio p / (p + h) = {ratio:.3f}")

# %% [markdown]
# The policies:
#
# * `vn2_benchmark`: the organisers' benchmark: a seasonal moving-average forecast, order up
#   to 4 weeks of it;
# * predict-then-optimize (`baselines/pto/`): forecast each series' demand over the lead time
#   plus the week itself, then order up to its Poisson quantile at the critical ratio minus the
#   inventory position. Three forecasters: `pto_moving_average` (seasonal moving average),
#   `pto_ets` (exponential smoothing or Croston per series, statsforecast) and `pto_lightgbm`
#   (one gradient-boosted model over all series);
# * `perfect_foresight`: orders knowing the future. Not a policy: a **bound** on what any
#   policy could do.

# %%
policies = {
    "vn2_benchmark": VN2Benchmark(inst),
    "pto_moving_average": make_panel_pto("pto_moving_average", inst),
    "pto_ets": make_panel_pto("pto_ets", inst),
    "pto_lightgbm": make_panel_pto("pto_lightgbm", inst),
    "perfect_foresight": PerfectForesight(inst),
}
results = {
    name: backtest(panel, policy, inst, start=start, rounds=6, initial=initial)
    for name, policy in policies.items()
}
for name, r in results.items():
    print(
        f"{name:20s} cost {r.cost:7.1f} (holding {r.holding_cost:6.1f}, "
        f"shortage {r.shortage_cost:6.1f}){'  [bound]' if r.bound else ''}"
    )

# %% [markdown]
# ## 3. DirectBackprop across the series
#
# `dbp.panel.train_panel` trains one network for all the series. Each batch row is a window of
# one series' history (32 weeks, out-of-stock weeks imputed), followed by simulated weeks of
# its real demand; the network reads the window in units of the series' own level and the
# week of the year, and the gradient of the cost flows through the lost-sales dynamics as in
# tutorial 3. `kind="base_stock"` makes the network output an order-up-to level. It trains on
# the weeks before the backtest's start only (`until=start`).
#
# **A small budget**: 30 gradient steps of 128 rows here, against 150 in the benchmark.

# %%
dbp_config = TrainConfig(
    batch_size=128, horizon=24, burn_in=8, max_steps=30, learning_rate=0.01, threads=1
)
dbp_policy = train_panel(
    panel, inst, until=start, options=PanelOptions(kind="base_stock"), config=dbp_config
)
results["dbp"] = backtest(panel, dbp_policy, inst, start=start, rounds=6, initial=initial)
r = results["dbp"]
print(f"dbp cost {r.cost:.1f} (holding {r.holding_cost:.1f}, shortage {r.shortage_cost:.1f})")

# %%
names = sorted(results, key=lambda n: results[n].cost, reverse=True)
labels = [f"{n} (bound)" if results[n].bound else n for n in names]
holding = [results[n].holding_cost for n in names]
shortage = [results[n].shortage_cost for n in names]
fig, ax = plt.subplots(figsize=(8, 4))
ax.barh(labels, holding, color="tab:blue", label="holding (0.2 per unit left)")
ax.barh(labels, shortage, left=holding, color="tab:red", label="shortage (1 per unit lost)")
for k, n in enumerate(names):
    ax.text(results[n].cost, k, f" {results[n].cost:.0f}", va="center")
ax.set(
    xlabel=f"cost of weeks 3-8, summed over {panel.n_series} series",
    title=f"Backtest from {panel.dates[start]}: 6 decisions, lead time 2",
)
ax.set_xlim(0, 1.15 * max(r.cost for r in results.values()))
ax.legend(loc="upper right")
fig.tight_layout()
plt.show()

# %% [markdown]
# How far each policy is from the bound is what there is to gain; how holding and shortage
# split tells *how* it loses: a policy that orders too little pays in red. Keep in mind that
# this is **one** 6-week window on 100 series: the ranking of close policies can change from
# one window to the next. `benchmarks/README.md` ("VN2 pseudo-competitions") scores them on 8
# test windows of all 599 series, with settings chosen on 6 earlier validation windows
# (`make bench-vn2`).
#
# The same backtest from the shell, on the same files (`--warm-up 8` is the start state above):

# %%
SETS = ["--set", "lead_time=2", "--set", "holding_cost=0.2", "--set", "lost_sales_cost=1"]
DATA = ["--data", str(folder / "sales.csv"), "--in-stock", str(folder / "in_stock.csv")]
command = [
    "backtest",
    "LostSalesLeadTime-v0",
    *DATA,
    "--start",
    "2024-02-19",
    "--rounds",
    "6",
    *SETS,
    "--warm-up",
    "8",
    "--policies",
    "vn2_benchmark,pto_moving_average",
    "--json",
    "--quiet",
]
print("inventory-gym", " ".join(command).replace(str(folder), "$FOLDER"))
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    main(command)
for name, entry in json.loads(printed.getvalue())["policies"].items():
    print(f"{name:20s} cost {entry['cost']:7.1f} (the Python backtest: {results[name].cost:.1f})")

# %% [markdown]
# ## 4. The orders for next week
#
# The file ends on 2024-04-08; the competition's first order is placed for the week after,
# from the real state of every shelf (`initial_state.csv`: stock on hand and the two orders in
# transit). `inventory-gym order` computes it with a named policy and writes one row per
# series. We take the predict-then-optimize policy that did best in the backtest above: it
# needs no training, so it uses the whole history as it is. (For DBP, retrain without
# `until`, save it with `out=`, and pass `--policy dbp --load DIR`.)

# %%
pto = [n for n in results if n.startswith("pto_")]
chosen = min(pto, key=lambda n: results[n].cost)
command = [
    "order",
    "LostSalesLeadTime-v0",
    *DATA,
    "--master",
    str(folder / "master.csv"),
    "--initial-state",
    str(folder / "initial_state.csv"),
    *SETS,
    "--policy",
    chosen,
    "--out",
    str(folder / "orders.csv"),
    "--quiet",
]
print("inventory-gym", " ".join(command).replace(str(folder), "$FOLDER"))
with contextlib.redirect_stdout(io.StringIO()):
    main(command)
orders = pd.read_csv(folder / "orders.csv")
print(orders.head(8).to_string(index=False))
week = orders.columns[-1]
print(f"{chosen}: {int(orders[week].sum())} units over {len(orders)} series for the week of {week}")

# %% [markdown]
# That file is what the competition asked for each week: one order per store and product.
# From here:
#
# * the README's "From your sales file to orders" has every command and option (long files,
#   other columns, a calendar file, `--orders-out` for a backtest's orders);
# * `benchmarks/vn2.py` runs the full comparison over 14 windows;
# * `inventory_gym.data.Panel.replay` turns a panel into a demand model for the envs, so the
#   methods of tutorials 1 to 3 can train and be scored on real demand paths.

# %%
# The scratch folder was ours alone: remove it.
shutil.rmtree(folder)
