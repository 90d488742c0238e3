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
# # Learning a policy
#
# Tutorial 2 solved small instances exactly. Exact dynamic programming stops at a few million
# states; beyond (long lead times, many products, demand read from a history) a policy has to
# be *learned*. This tutorial trains two kinds of learners on the same instance and scores them
# with the same harness against the exact optimum:
#
# * **PPO** (proximal policy optimisation, stable-baselines3): reinforcement learning that
#   treats the env as a black box. It only sees observations and rewards, explores with noisy
#   actions and estimates a value function to tell good actions from lucky ones.
# * **DirectBackprop** (`dbp/`): demand does not depend on the orders, so once a batch of
#   demand paths is drawn, the cost of a policy on them is a *deterministic, differentiable*
#   function of the network's weights. `dbp` runs the env's own dynamics in torch and follows
#   the exact gradient of that cost, period after period (backpropagation through time).
#
# Then we change the network instead of the learner: the `dbp` *kinds* that build the known
# structure of the optimal policy into the network.
#
# **The budgets here are tiny** (a few seconds of training each, one thread) so that the
# tutorial runs in about a minute. They show how the methods behave early on, not where they
# end: with their default budgets both get within a fraction of a percent of the optimum.
# The real numbers are in [`benchmarks/README.md`](../../benchmarks/README.md), "PPO against
# DirectBackprop" and "DirectBackprop on Zipkin's Table 3".

# %%
import matplotlib.pyplot as plt
import numpy as np

from baselines.lost_sales import dp
from baselines.ppo import PPOConfig, train_ppo
from baselines.registry import fit_policy
from dbp import TrainConfig, train
from inventory_gym import make_instance
from inventory_gym.evaluation import compare, evaluate

# %% [markdown]
# ## The instance and its optimum
#
# Lost sales with lead time 2, holding cost 1, penalty 9, Poisson(5) demand: small enough for
# the exact solver (relative value iteration on Zipkin's grid, a fraction of a second), so
# that every learned policy gets an honest reference. Myopic-2, a good heuristic (tutorial 2),
# gives a second one.

# %%
ENV = "LostSalesLeadTime-v0"
kwargs = {"lead_time": 2, "lost_sales_cost": 9}
inst = make_instance(ENV, kwargs)
optimum = dp.solve(inst.params)
myopic2 = fit_policy("myopic2", ENV, kwargs)
print(f"optimal average cost {optimum.cost:.4f} (solved in {optimum.seconds:.2f} s)")
print(f"myopic-2, exact cost {dp.policy_cost(inst.params, myopic2):.4f}")

# %% [markdown]
# ## DirectBackprop
#
# `train` takes the instance, a network kind and a `TrainConfig`. Each gradient step draws
# `batch_size` demand paths, simulates `burn_in` periods without gradient and then `horizon`
# periods with it, and takes one Adam step on the average cost. Every `eval_every` steps the
# policy is scored by the harness on held-out validation paths (seed 7919, not the test seed),
# and the best one is kept. The budget is in steps, so the result does not depend on how
# loaded the machine is; `threads=1` keeps it reproducible.

# %%
STEPS = 40
dbp_config = TrainConfig(
    max_steps=STEPS, batch_size=256, eval_every=10, eval_paths=128, eval_periods=300, threads=1
)
runs = {"mlp": train((ENV, kwargs), "mlp", dbp_config, progress=False)}
r = runs["mlp"]
print(f"dbp-mlp: {r.steps} steps in {r.seconds:.1f} s, {r.threads} thread, stopped by {r.stopped}")
print(f"best validation cost {r.best_val_cost:.4f} (the optimum is {optimum.cost:.4f})")

# %% [markdown]
# ## PPO
#
# `baselines.ppo.train_ppo` wraps stable-baselines3's PPO with defaults for this domain:
# 256 envs simulated by one batched kernel call per step, normalised observations and
# rewards, actions in `[-1, 1]` mapped onto the order range, a first policy that orders the
# mean demand. It validates the deterministic policy on the same held-out paths as DBP (same
# seed, same number of paths and periods), so the two learning curves are comparable.

# %%
ppo_config = PPOConfig(
    timesteps=131_072, eval_every=16_384, eval_paths=128, eval_periods=300, threads=1
)
ppo = train_ppo(ENV, kwargs, ppo_config, progress=False)
print(f"ppo: {ppo.timesteps} env steps in {ppo.seconds:.1f} s, stopped by {ppo.stopped}")
print(f"best validation cost {ppo.best_val_cost:.4f}")

# %% [markdown]
# ## Learning curves
#
# What should the x-axis be? Seconds depend on the machine; the fair common unit is the
# number of simulated periods the learner consumed. A DBP step simulates `batch_size x
# (burn_in + horizon)` periods (the first step `first_burn_in` instead of `burn_in`); a PPO
# "timestep" is one period of one env.


# %%
def dbp_curve(result, config):
    """(simulated periods, validation cost) at each validation of a DBP run."""
    rows = [row for row in result.log if row.get("val_cost") is not None]
    steps = np.array([row["step"] for row in rows])
    first = config.first_burn_in - config.burn_in
    periods = config.batch_size * (steps * (config.burn_in + config.horizon) + first)
    return periods, np.array([row["val_cost"] for row in rows])


fig, ax = plt.subplots(figsize=(7, 4))
x, y = dbp_curve(runs["mlp"], dbp_config)
ax.plot(x, y, "o-", label="DirectBackprop (mlp)")
ax.plot(
    [e["timesteps"] for e in ppo.evaluations],
    [e["val_cost"] for e in ppo.evaluations],
    "s-",
    label="PPO",
)
ax.axhline(optimum.cost, color="k", ls="--", label=f"optimum {optimum.cost:.3f}")
ax.set(
    xscale="log",
    xlabel="simulated periods (training data)",
    ylabel="validation cost per period",
    title=f"Lost sales, L = 2, p = 9: small budgets ({STEPS} DBP steps, 131k PPO steps)",
)
ax.set_ylim(optimum.cost - 0.1, 10)
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# At these budgets DBP has simulated six times more periods, and in less time: a period costs
# it one batched kernel call forward and one backward, while PPO spends most of its time in
# ten epochs of minibatch updates per rollout. PPO's whole budget is fewer periods than DBP's
# first ten steps, and its first validations are off the top of the chart (near 15); it is
# still far from the optimum when it stops, and its curve is not monotone: a policy-gradient
# update can make the policy worse, which is why both learners keep the best validated policy.
# DBP's gradient is exact for the sampled paths, while PPO must estimate which actions were
# good from noisy returns. With its default 2 million steps PPO gets within half a percent of
# the optimum on Zipkin's instances (benchmarks/README.md); DBP gets closer in less time.
#
# ## One harness for all
#
# Whatever trained them, the policies are batched callables `obs -> orders`, and the harness
# scores them on the same test paths (seed 0, distinct from the validation seed). Paired with
# the optimal policy on the same paths, the gap has a tight interval.

# %%
test = dict(num_paths=400, periods=500)
optimal_eval = evaluate(optimum.policy(), ENV, kwargs, name="optimal", **test)


def gap_row(name, policy):
    """The test cost of a policy and its paired gap to the optimal policy, in percent."""
    ev = evaluate(policy, ENV, kwargs, name=name, **test)
    gap = compare(ev, optimal_eval)
    lo, hi = (100 * c / optimal_eval.cost for c in gap.ci95)
    print(f"{name:14s} {ev.cost:8.4f} {gap.relative:+7.2f}%  [{lo:+.2f}, {hi:+.2f}]")


print(f"{'policy':14s} {'cost':>8s} {'gap':>8s}  95% CI of the gap")
print(f"{'optimal':14s} {optimal_eval.cost:8.4f}")
gap_row("myopic2", myopic2)
gap_row("dbp-mlp", runs["mlp"].policy)
gap_row("ppo", ppo.policy)

# %% [markdown]
# ## What the structure-informed network changes
#
# Zipkin (2008) showed what the optimal lost-sales policy looks like: the order falls as the
# stock on hand or any order in transit grows, it falls faster for recent orders than for
# stock on hand, never more than one for one, and it never lifts the inventory position above
# some level. A generic MLP has to discover all of this from the gradient. `dbp` offers
# networks that have it by construction (`dbp.kinds`):
#
# * `monotone`: the order is decreasing in every state component with those slopes, and capped
#   by a learned level: any weights give a policy with the optimal policy's structure;
# * `base_stock`: the network outputs one level `S` and the policy orders `S` minus the
#   inventory position, so it can only express base-stock policies.
#
# Same instance, same budget, same validation paths:

# %%
for kind in ("monotone", "base_stock"):
    runs[kind] = train((ENV, kwargs), kind, dbp_config, progress=False)
    print(f"dbp-{kind}: best validation cost {runs[kind].best_val_cost:.4f}")

fig, ax = plt.subplots(figsize=(7, 4))
for kind, run in runs.items():
    x, y = dbp_curve(run, dbp_config)
    ax.plot(x / 1e6, y, "o-", label=f"dbp {kind}")
ax.axhline(optimum.cost, color="k", ls="--", label=f"optimum {optimum.cost:.3f}")
ax.set(
    xlabel="simulated periods (millions)",
    ylabel="validation cost per period",
    title="Three networks, one learner (DirectBackprop)",
)
ax.legend()
ax.grid(alpha=0.3)
plt.show()
for kind in ("monotone", "base_stock"):
    gap_row(f"dbp-{kind}", runs[kind].policy)

# %% [markdown]
# The monotone network starts from a sensible policy and is near the optimum after a few
# steps: the structure removes the policies that could never be optimal, so the gradient
# only has to tune the shape. The base-stock network converges even faster, but to the best
# *base-stock* policy, a few percent above the optimum: a structure that is too narrow costs
# more than it saves. That is the trade-off a structure-informed network makes, and why
# `dbp` offers both (and a soft version, `TrainConfig(penalty_weight=...)`, that only
# penalises violations of the structure).
#
# The decisions themselves tell the same story. Here is the order each policy places as a
# function of the stock on hand, with 5 units in transit:

# %%
on_hand = np.arange(0, 21)
obs = np.stack([on_hand, np.full_like(on_hand, 5)], axis=1).astype(np.float32)
fig, ax = plt.subplots(figsize=(7, 4))
ax.step(on_hand, optimum.policy()(obs), "k-", where="mid", lw=3, alpha=0.4, label="optimal")
for kind, run in runs.items():
    ax.plot(on_hand, np.asarray(run.policy(obs)).reshape(-1), ".-", label=f"dbp {kind}")
ax.plot(on_hand, np.asarray(ppo.policy(obs)).reshape(-1), ".-", label="ppo")
ax.set(
    xlabel="stock on hand (5 units in transit)",
    ylabel="order",
    title="The decision of each policy (before rounding)",
)
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The monotone network follows the optimal staircase closely. The base-stock network can only
# order "level minus inventory position": a line of slope -1, which orders too much when the
# shelf is empty and nothing from 14 units on. The MLP is smooth but still orders at high
# stock, where the optimal policy orders nothing. PPO, after its short budget, has barely
# learned to react to the stock at all.
#
# %% [markdown]
# **To go further**
#
# * the default budgets: `TrainConfig()` (400 steps of 512 paths) and `PPOConfig()` (2 million
#   env steps); from the shell, `inventory-gym train LostSalesLeadTime-v0 --policy monotone`
#   and `inventory-gym train LostSalesLeadTime-v0 --algo ppo`;
# * `inventory-gym compare LostSalesLeadTime-v0 --with-ppo` puts both among the heuristics;
# * `benchmarks/README.md` has the measured gaps on Zipkin's instances at full budgets;
# * tutorial 4 trains a DBP network across hundreds of real sales series.
