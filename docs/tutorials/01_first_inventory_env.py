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
# # Your first inventory env
#
# A shop sells one product. Every week it decides how many units to order from its supplier;
# the order arrives a few weeks later (the *lead time*). Customers who find the shelf empty
# leave: their demand is *lost*, and each lost unit costs a penalty `p` (the margin, the
# goodwill). Every unit left on the shelf at the end of a week costs `h` (capital, space).
# Order too little and you lose sales; order too much and you pay to hold stock. That is the
# lost-sales inventory problem, and `inventory-gym` has it as a Gymnasium environment.
#
# In this tutorial:
#
# 1. make the env and look at what it observes, what it does and what it reports;
# 2. follow one period by hand, to see the *sequence of events*;
# 3. run a base-stock policy ("order up to S") in an ordinary loop, and score it with the
#    project's evaluation harness;
# 4. solve the lead-time-0 case, the *newsvendor*, with a formula, and check the formula by
#    simulation;
# 5. draw a picture of an episode.
#
# Run it as a script (`python docs/tutorials/01_first_inventory_env.py`) or as a notebook
# (`jupytext --to notebook docs/tutorials/01_first_inventory_env.py`); it takes well under a
# minute.

# %%
import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import inventory_gym  # noqa: F401  (importing it registers the env ids with Gymnasium)
from inventory_gym.evaluation import evaluate

# %% [markdown]
# ## 1. Make an env
#
# `LostSalesLeadTime-v0` is Zipkin's (2008) instance: Poisson demand with mean 5, holding
# cost `h = 1`, lost-sales penalty `p = 9`, lead time 4. Every default can be changed with a
# keyword; here a lead time of 2 weeks keeps the state short.

# %%
env = gym.make("LostSalesLeadTime-v0", lead_time=2)
print(env.observation_space)  # [on_hand, pipeline_1]
print(env.action_space)  # the order, clipped to [0, max_order]
obs, info = env.reset(seed=0)
print("first observation:", obs)

# %% [markdown]
# The observation is the state at the start of a period: the units on hand `y`, then the
# orders in transit, `q_1` arriving next period (with lead time `L` there are `L - 1` of
# them: the order placed now is the `L`-th). The env starts empty.
#
# ## 2. One period, by hand
#
# The sequence of events in a period (SCENARIOS.md section 1, the env's docstring:
# `help(env.unwrapped)`):
#
# 1. place the order `z`; it arrives at the start of period `t + L`;
# 2. serve the demand `D` from the stock on hand: sales `min(y, D)`, lost `(D - y)^+`;
# 3. pay `h (y - D)^+ + p (D - y)^+` (plus `c z` when the unit cost `c` is not 0);
# 4. the oldest order in transit arrives: the next state is `(leftover + q_1, z)`.
#
# Let us start with 12 units on hand and 4 in transit, order 6, and check each number that
# the env reports in `info` against these four lines.

# %%
env = gym.make("LostSalesLeadTime-v0", lead_time=2, initial_on_hand=12, initial_pipeline=(4,))
obs, _ = env.reset(seed=1)
y, q1 = obs
next_obs, reward, terminated, truncated, info = env.step(np.array([6.0]))
d = info["demand"]
print(f"state (y, q1) = ({y:.0f}, {q1:.0f}); order 6; demand {d:.0f}")
print(f"sales {info['sales']:.0f} = min(y, D); lost {info['lost']:.0f} = (D - y)^+")
print(f"cost {info['cost']:.0f} = 1 * {max(y - d, 0):.0f} + 9 * {max(d - y, 0):.0f}")
print(f"reward = -cost = {reward:.0f}; next state {next_obs} = (leftover + q1, order)")
assert info["sales"] == min(y, d) and info["lost"] == max(d - y, 0)
assert np.allclose(next_obs, [max(y - d, 0) + q1, 6])

# %% [markdown]
# The reward is minus the cost, as Gymnasium wants a reward to maximise. Episodes never end
# by themselves: there is no terminal state, and Gymnasium's `TimeLimit` truncates them
# after `max_episode_steps` (1000 by default).
#
# ## 3. A base-stock policy, in a loop
#
# The simplest sensible rule: keep the *inventory position* (on hand plus everything in
# transit) at a level `S`, that is, order `z = (S - y - q_1)^+`. It covers the demand over the
# lead time plus the week itself, with some safety stock. Here is one episode of 2,000
# periods with `S = 19`, written as the loop any RL code would run.


# %%
def base_stock(obs, level):
    """Order up to ``level``: the inventory position is the sum of the observation."""
    return np.array([max(level - obs.sum(), 0.0)])


env = gym.make("LostSalesLeadTime-v0", lead_time=2, max_episode_steps=2000)
obs, _ = env.reset(seed=0)
costs = []
truncated = False
while not truncated:
    obs, reward, terminated, truncated, info = env.step(base_stock(obs, 19))
    costs.append(-reward)
print(f"{len(costs)} periods, average cost {np.mean(costs):.3f} per period")
print(f"without the first 100 (the start from empty): {np.mean(costs[100:]):.3f}")

# %% [markdown]
# One episode is a noisy estimate. The project's harness, `inventory_gym.evaluation.evaluate`,
# runs a policy on many independent demand paths at once (one batched env), drops a burn-in
# and reports the mean with its standard error; every policy evaluated with the same `seed`
# sees the same demand paths, so comparisons between policies are paired. A harness policy
# takes a *batch* of observations `(B, obs_dim)` and returns the orders `(B,)`.
#
# Let us scan the level `S` and plot the cost curve.

# %%
kwargs = {"lead_time": 2}
levels = np.arange(14, 25)
results = [
    evaluate(
        lambda o, s=s: np.maximum(s - o.sum(axis=1), 0.0),
        "LostSalesLeadTime-v0",
        kwargs,
        num_paths=200,
        periods=500,
    )
    for s in levels
]
cost = np.array([r.cost for r in results])
best = levels[np.argmin(cost)]
print(f"best level S = {best}: {cost.min():.3f} ± {results[np.argmin(cost)].stderr:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.errorbar(levels, cost, yerr=[1.96 * r.stderr for r in results], marker="o", capsize=3)
ax.set(
    xlabel="base-stock level S",
    ylabel="average cost per period",
    title="Base-stock policies, lead time 2, h = 1, p = 9",
)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The curve is flat near its minimum and steep on the side of too little stock: lost sales
# (9 per unit) hurt more than leftovers (1 per unit). How good is the best base-stock policy?
# For lost sales with a lead time it is not optimal; the exact optimum of this instance
# (dynamic programming, `baselines.lost_sales.dp`, tutorial 2) is about 6.09 per period, a
# few percent lower. Tutorials 2 and 3 show policies that get closer.
#
# ## 4. Lead time 0: the newsvendor
#
# With `L = 0` the order arrives before the demand, so each period is the same one-shot
# problem: choose the stock `S` to face a random demand `D`, paying `h` per leftover and `p`
# per unit short. That is the *newsvendor*. Its expected cost
# `E[h (S - D)^+ + p (D - S)^+]` is smallest at the *critical-ratio quantile*: the smallest
# `S` with `P(D <= S) >= p / (p + h)`. With `p = 9` and `h = 1` that is the 90% quantile of
# Poisson(5), and a base-stock policy with that level is optimal (`LostSales-v0`).

# %%
h, p, mean = 1.0, 9.0, 5.0
ratio = p / (p + h)
s_star = int(stats.poisson.ppf(ratio, mean))
k = np.arange(0, 60)
pmf = stats.poisson.pmf(k, mean)


def newsvendor_cost(s):
    """Expected cost of stock ``s`` against Poisson(5) demand, summed over the pmf."""
    return float(np.sum(pmf * (h * np.maximum(s - k, 0) + p * np.maximum(k - s, 0))))


print(f"critical ratio {ratio:.2f}: S* = {s_star}, expected cost {newsvendor_cost(s_star):.4f}")

# %% [markdown]
# Now the same by simulation: evaluate every level on `LostSales-v0` with the harness and see
# where the simulated curve has its minimum, and whether the formula's cost lies inside the
# simulated interval.

# %%
levels0 = np.arange(3, 14)
sims = [
    evaluate(
        lambda o, s=s: np.maximum(s - o[:, 0], 0.0), "LostSales-v0", num_paths=400, periods=500
    )
    for s in levels0
]
sim_cost = np.array([r.cost for r in sims])
best0 = levels0[np.argmin(sim_cost)]
print(f"best simulated level {best0} (the formula says {s_star})")
lo, hi = sims[int(np.flatnonzero(levels0 == s_star)[0])].ci95
print(f"simulated cost of S* {sim_cost[levels0 == s_star][0]:.4f}, 95% CI {lo:.4f}..{hi:.4f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(levels0, [newsvendor_cost(s) for s in levels0], "k-", label="formula (exact)")
ax.errorbar(
    levels0,
    sim_cost,
    yerr=[1.96 * r.stderr for r in sims],
    fmt="o",
    capsize=3,
    label="simulated (95% CI)",
)
ax.axvline(s_star, color="tab:red", ls="--", label=f"critical-ratio quantile S* = {s_star}")
ax.set(
    xlabel="stock level S",
    ylabel="expected cost per period",
    title="The newsvendor: LostSales-v0 (L = 0, h = 1, p = 9, Poisson(5))",
)
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The formula and the simulation agree: the minimum is at `S* = 8`, with cost 4.2211 (the
# value in SCENARIOS.md and in the env's registration note). Try other costs: `p = 4` gives
# the 80% quantile, `p = 39` the 97.5% one.
#
# ## 5. A picture of an episode
#
# `render_mode="rgb_array"` makes `env.render()` return the picture of the current period as
# an RGB array (matplotlib draws it; `pip install 'inventory-gym[plot]'`): the stock on hand,
# the pipeline with the period in which each order arrives, the last period's order, demand,
# sales and lost units, its cost by component, and the last 20 periods of history.
# `render_mode="human"` draws the same in a window. Here are 15 periods of the base-stock
# policy with a level below the best one, so that some sales are lost.

# %%
env = gym.make("LostSalesLeadTime-v0", lead_time=2, render_mode="rgb_array")
obs, _ = env.reset(seed=0)
for _ in range(15):
    obs, *_ = env.step(base_stock(obs, 14))
frame = env.render()
env.close()
print(frame.shape, frame.dtype)

fig, ax = plt.subplots(figsize=(10, 5.6))
ax.imshow(frame)
ax.axis("off")
plt.show()

# %% [markdown]
# Every env of the project renders this way (`Perishable-v0` shows the stock by age,
# `DualSourcing-v0` two pipelines); Gymnasium's `RecordVideo` wrapper turns the frames into a
# video (see the README, "Rendering").
#
# **Next**: tutorial 2 finds the exact optimum of these problems and compares the classic
# heuristics with it; tutorial 3 learns a policy with DirectBackprop and PPO.
