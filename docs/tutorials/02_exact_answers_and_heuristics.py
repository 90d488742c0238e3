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
# # Exact answers and good heuristics
#
# Before training anything on an inventory problem, it pays to know the best that can be
# done. For small instances the answer is exact: a *dynamic program* (DP) over every state
# finds the optimal policy and its long-run cost, and every heuristic or learned policy can
# be measured against it. This tutorial works on the lost-sales problem of tutorial 1
# (order now, receive the order `L` periods later, lose the demand that finds the shelf
# empty):
#
# 1. solve an instance exactly, and see why the DP stops being an option as the lead time
#    grows;
# 2. reproduce part of Zipkin's (2008) table of optimal and heuristic costs, with exact
#    costs on both sides (no simulation noise);
# 3. find the best base-stock level, and see how far the best base-stock policy stays from
#    the optimum;
# 4. see *why* Zipkin's myopic-2 heuristic is almost optimal, with a picture of its orders
#    against the optimal ones;
# 5. draw the optimal policy as a heatmap against a heuristic, for lost sales and for a
#    perishable product (De Moor et al. 2022).
#
# It runs in well under a minute. Run it as a script
# (`python docs/tutorials/02_exact_answers_and_heuristics.py`) or as a notebook
# (`jupytext --to notebook docs/tutorials/02_exact_answers_and_heuristics.py`).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from baselines import exact
from baselines.fitting import FitConfig
from baselines.lost_sales import dp, zipkin
from baselines.lost_sales.heuristics import BaseStock
from baselines.plots import decision_grid, plot_policy, plot_policy_slice
from baselines.registry import fit_policy
from baselines.tables import TablePolicy
from inventory_gym.core.instance import make_instance

ENV = "LostSalesLeadTime-v0"

# %% [markdown]
# ## 1. The dynamic program
#
# The state at the start of a period is `s = (y, q_1, ..., q_{L-1})`: the units on hand and
# the orders in transit. The long-run average cost `g` and a *relative value* `v(s)` solve
# the Bellman equation
#
# $$ g + v(s) = \min_z \Big( C(s) + \mathbb{E}\, v\big(s'(s, z, D)\big) \Big), $$
#
# where `C(s)` is the expected holding and lost-sales cost of the period and `s'` the next
# state after demand `D`. Relative value iteration applies the right-hand side over and
# over; the differences between successive value functions bracket `g` (Odoni's bounds), and
# the solver stops when the bracket is tighter than `1e-9`. The minimising `z` in each state
# is the optimal order: a table with one order per state.
#
# The states are all integer vectors with `y` up to Zipkin's bound on the stock and each
# `q_i` up to his bound on an order (a high fractile of demand: the optimal policy never
# goes beyond). `exact.solver(problem)` finds the solver the problem declares; here the
# instance is Zipkin's with lead time 2 (Poisson(5) demand, `h = 1`, `p = 9`).

# %%
inst = make_instance(ENV, lead_time=2)
solver = exact.solver(inst.problem)
result = solver.solve(inst.params, discount=None, margin=0, progress=False)
print(f"grid of states: {result.grid_shape} = {result.grid.size} states")
print(
    f"optimal cost per period: {result.cost:.4f}  (bounds {result.lower:.6f} .. {result.upper:.6f})"
)
print(f"{result.iterations} iterations, {result.seconds:.2f} s")
print(f"Zipkin's Table 3 (p = 9, L = 2): {zipkin.OPTIMAL[9][1]}")

# %% [markdown]
# The optimal order in a state is a table lookup. With 10 units on hand and 4 in transit:

# %%
optimal = result.policy()
print("order at (y=10, q_1=4):", optimal(np.array([[10.0, 4.0]]))[0])
print("orders at q_1 = 4, y = 0..14:", result.orders[:15, 4].tolist())

# %% [markdown]
# The table has one entry per state, and the number of states multiplies by the number of
# possible orders with each period of lead time: the *curse of dimensionality*. The grid of
# the same instance for growing lead times (nothing is solved here, only counted):

# %%
for lead in range(1, 8):
    params = make_instance(ENV, lead_time=lead).params
    grid = dp.make_grid(params)
    print(
        f"L = {lead}: {grid.size:>12,} states, the DP needs about "
        f"{dp.memory_needed(params) / 1e6:>9,.0f} MB"
    )

# %% [markdown]
# Each period of lead time multiplies the grid by about ten (the possible sizes of one
# more order in transit). Up to `L = 4` the DP solves in a fraction of a second; at
# `L = 7` its arrays alone need gigabytes, and each sweep touches every state times every
# order.
# That is where heuristics and learned policies come in, and why the small instances,
# where the optimum is known exactly, are the place to test them.
#
# ## 2. Zipkin's table, reproduced
#
# Zipkin (2008) compared the optimal policy with simple heuristics on 16 instances (lost-sales
# penalty `p` in 4, 9, 19, 39; lead time 1 to 4). We solve the instances with `L <= 3` and
# score two heuristics *exactly*: a policy that orders integers from an integer state makes
# the state a Markov chain, and `exact.policy_cost` computes its long-run cost from the
# chain's stationary distribution, with no simulation error.
#
# - **myopic-1** orders what minimises the expected cost of the period in which the order
#   arrives;
# - **myopic-2** looks one period further (section 4 explains what that changes).

# %%
t0 = time.perf_counter()
print(" p  L | optimal  Zipkin | myopic-1 Zipkin | myopic-2 Zipkin")
for p in zipkin.LOST_SALES_COSTS:
    for lead in (1, 2, 3):
        params = make_instance(ENV, lead_time=lead, lost_sales_cost=p).params
        best = dp.solve(params).cost
        grid, m1, m2 = dp.myopic_tables(params)
        c1 = exact.policy_cost(inst.problem, params, TablePolicy(grid, m1))
        c2 = exact.policy_cost(inst.problem, params, TablePolicy(grid, m2))
        row = [
            (best, zipkin.published("optimal", p, lead)),
            (c1, zipkin.published("myopic1", p, lead)),
            (c2, zipkin.published("myopic2", p, lead)),
        ]
        print(
            f"{p:2d}  {lead} | " + " | ".join(f"{ours:7.3f}  {theirs:5.2f}" for ours, theirs in row)
        )
print(f"({time.perf_counter() - t0:.1f} s for 12 instances)")

# %% [markdown]
# Every number agrees with the published one (Zipkin prints two decimals). Two things stand
# out: myopic-2 is within 1% of the optimum everywhere (0.8% at worst, `p = 4, L = 3`), and
# myopic-1's gap grows with the lead time and shrinks with `p`.
#
# ## 3. The best base-stock level
#
# The policy of textbooks is *base stock*: order up to a level `S` of the inventory position
# `y + q_1 + ... + q_{L-1}`. It is optimal when unmet demand is backlogged; with lost sales it
# is not. Since each level's cost is exact, the best level is found by trying them all:

# %%
levels = np.arange(10, 23)
costs = [exact.policy_cost(inst.problem, inst.params, BaseStock(2, int(s))) for s in levels]
best_level = int(levels[int(np.argmin(costs))])
gap = 100 * (min(costs) - result.cost) / result.cost
print(
    f"best base-stock level S = {best_level}: cost {min(costs):.4f}, {gap:.1f}% above the optimum"
)
print(f"Zipkin's best base stock (p = 9, L = 2): {zipkin.published('base_stock', 9, 2)}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(levels, costs, "o-", label="base stock (exact cost)")
ax.axhline(result.cost, color="black", linestyle="--", label=f"optimum {result.cost:.3f}")
ax.set_xlabel("base-stock level S (units)")
ax.set_ylabel("long-run cost per period")
ax.set_title("Base stock on Zipkin's instance p = 9, L = 2")
ax.legend()
plt.show()

# %% [markdown]
# Even at its best level, base stock pays about 4% more than the optimum here, more than
# either myopic policy. Why? The pictures below answer it.
#
# ## 4. Why myopic-2 works
#
# `plot_policy_slice` draws the orders of several policies along one state component, the
# other components fixed (here the order in transit, `q_1 = 4`), with the optimum as a black
# line (`against="optimal"` solves the instance exactly). The orders are those the env would
# carry out: rounded and clipped as the evaluation harness does.

# %%
base_stock = BaseStock(2, best_level)
myopic1 = fit_policy("myopic1", ENV, {"lead_time": 2})  # nothing is fitted either
myopic2 = fit_policy("myopic2", ENV, {"lead_time": 2})  # a table: nothing is fitted
fig = plot_policy_slice(
    {"base stock": base_stock, "myopic-1": myopic1, "myopic-2": myopic2},
    ENV,
    {"lead_time": 2},
    against="optimal",
    x="on_hand",
    fix={"pipeline_1": 4},
    x_values=np.arange(0, 19),
)
fig  # noqa: B018 (a figure left last in a cell is shown below it)

# %% [markdown]
# Three things to read from the picture:
#
# - **Base stock has slope -1**: one more unit on hand, one unit less ordered. The optimal
#   order falls more slowly while stock is low. With lost sales, a unit on hand today adds
#   to the stock that will be there when the new order arrives only if the demand before
#   then does not use it up; when demand is high it is sold at once, to a customer who would
#   otherwise have been lost, and is gone. So a unit on hand is worth less than one unit of
#   stock at the order's arrival, and the optimal policy discounts it. Base stock counts
#   every unit of the position alike, which is right only when unmet demand waits
#   (backlog).
# - **Myopic-1 knows this.** It computes the exact distribution of the stock at the arrival
#   of the order (lost sales included) and orders what minimises the expected cost of that
#   period. Its curve has the optimum's shape, but it sits about one unit above it.
# - **Myopic-2 closes that gap.** Myopic-1 charges a unit left over at the end of the
#   arrival period one period of holding cost, as if it vanished afterwards. It does not
#   vanish: it is still on the shelf next period, and is charged again if demand leaves it
#   over once more. Myopic-2 adds
#   the next period's cost (with the next order chosen by myopic-1), which charges leftovers
#   more fully and brings the orders down to the optimal ones in most states.
#
# The same comparison over every state of the DP's grid:

# %%
grid, m1_table, m2_table = dp.myopic_tables(inst.params)
n_y, n_q = result.orders.shape
for name, table in (("myopic-1", m1_table), ("myopic-2", m2_table)):
    diff = table[:n_y, :n_q] - result.orders
    print(
        f"{name}: same order as the optimum in {np.mean(diff == 0):.0%} of the {diff.size} "
        f"states; more in {np.mean(diff > 0):.0%}, less in {np.mean(diff < 0):.0%}"
    )

# %% [markdown]
# ## 5. The optimal policy as a heatmap
#
# `plot_policy` draws the decision over two state components, the order in each cell, the
# way papers show optimal policies; with `against="optimal"` it adds the optimum and the
# difference. Here base stock against the optimum, over the units on hand and the order in
# transit:

# %%
fig = plot_policy(base_stock, ENV, {"lead_time": 2}, against="optimal")
fig  # noqa: B018

# %% [markdown]
# Base stock's orders are constant along the diagonals `y + q_1 = const`: it reads the
# position only, and one more unit anywhere lowers its order by one. The difference panel
# shows where that goes wrong: base stock orders more than the optimum wherever the
# position is low, by up to 8 units when the shelf and the pipeline are both empty (the
# blank row lies off the DP's grid: the optimum never orders that much). The
# optimum's orders fall by less than one unit per unit of stock, and by less for a unit on
# hand than for a unit in transit (the unit in transit arrives after this period's demand,
# so it is more likely to still be there when the new order lands). In numbers, over the
# states where the optimal order is neither 0 nor its largest value:

# %%
orders = result.orders.astype(float)
inner = (orders[:-1, :-1] > 0) & (orders[:-1, :-1] < orders.max())
per_y = np.diff(orders, axis=0)[:, :-1][inner].mean()
per_q = np.diff(orders, axis=1)[:-1, :][inner].mean()
print(f"optimal order per unit on hand: {per_y:+.2f}, per unit in transit: {per_q:+.2f}")
print("base stock: -1 and -1")

# %% [markdown]
# The same picture for a perishable product: De Moor et al.'s (2022) scenario A
# (`Perishable-v0`: useful life 2 periods, lead time 1, FIFO issuing, waste cost 7). The state
# is the stock of each remaining life, so the heatmap is their figure of the optimal orders,
# here beside a base-stock policy fitted by simulation:

# %%
perishable_bs = fit_policy(
    "base_stock", "Perishable-v0", config=FitConfig(num_paths=200, periods=500)
)
perishable = make_instance("Perishable-v0")
solved = exact.solver(perishable.problem).solve(
    perishable.params, discount=None, margin=0, progress=False
)
bs_cost = exact.policy_cost(perishable.problem, perishable.params, perishable_bs)
print(f"{perishable_bs.name}: exact long-run cost per period {bs_cost:.4f}")
print(f"optimal: {solved.cost:.4f} (base stock pays {100 * (bs_cost / solved.cost - 1):.1f}% more)")
fig = plot_policy(
    perishable_bs,
    "Perishable-v0",
    against="optimal",
    x_values=np.arange(0, 9),
    y_values=np.arange(0, 9),
)
fig  # noqa: B018

# %% [markdown]
# The optimal order falls with the fresh stock (`stock_1`, two periods of life left) and
# hardly at all with the stock that expires now (`stock_2`). With a lead time of 1 the order
# arrives next period, when today's expiring units are gone, sold or thrown away; they
# matter only through the fresh units they protect from today's demand (FIFO issuing sells
# the old units first). Base stock counts both ages alike: the difference panel shows it
# ordering too little when much of the stock is about to expire, and too much when there
# is little stock of either age.
#
# ## 6. The decisions as numbers
#
# Every picture comes from a function that returns arrays, for checks of your own:
# `decision_grid` gives one policy's decisions over a grid (the states it was asked about,
# and the values of the components that were fixed).

# %%
grid = decision_grid(
    optimal,
    ENV,
    {"lead_time": 2},
    x="on_hand",
    y="pipeline_1",
    x_values=[0, 5, 10],
    y_values=[0, 4, 8],
)
print("rows: pipeline_1 =", grid.y_values, " columns: on_hand =", grid.x_values)
print(grid.decision("order"))
assert (grid.decision("order") == result.orders[np.ix_([0, 5, 10], [0, 4, 8])].T).all()

# %% [markdown]
# ## Try it yourself
#
# - The same pictures from the command line:
#   `inventory-gym plot-policy LostSalesLeadTime-v0 --set lead_time=3 --policy myopic2
#   --against optimal` (the third component, `pipeline_2`, is fixed at its median along
#   simulated paths, and stated on the figure; `--fix pipeline_2=0` chooses it), and
#   `inventory-gym plot-trajectory LostSalesLeadTime-v0 --policy myopic2` for an episode.
# - **Exercise.** Repeat section 3 with `lost_sales_cost=39` (the same lead time, 2). Does
#   the gap of the best base stock grow or shrink with the penalty? (Answer: it shrinks, to
#   about 0.9%: the best level is 22, cost 9.190 against the optimum's 9.106; Zipkin's
#   `zipkin.published("base_stock", 39, 2)` is 9.19. A high penalty keeps the stock high,
#   few sales are lost, and lost sales then behave almost like backlogged ones, for which
#   base stock is optimal.)
