"""The lost-sales problem: hand-computed trajectories, an independent reference, published
numbers, the tie rule, parameters and the observation/action options."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import inventory_gym  # noqa: F401  (registers the ids)
from inventory_gym.core.xp import namespace, positive_part
from inventory_gym.demand import Poisson, Replay
from inventory_gym.envs.lost_sales import (
    LOST_SALES,
    LostSalesParams,
    LostSalesState,
    initial_state,
    transition,
)
from inventory_gym.testing import check_invariants


def run(env_id: str, orders, demand, **kwargs):
    """Step the single env through ``orders`` on a replayed demand path."""
    env = gym.make(env_id, demand=Replay(np.asarray([demand], float)), **kwargs)
    obs, _ = env.reset(seed=0)
    trajectory = [obs.tolist()]
    rewards, infos = [], []
    for order in orders:
        obs, reward, terminated, truncated, info = env.step(np.array([order], np.float32))
        assert not (terminated or truncated)
        trajectory.append(obs.tolist())
        rewards.append(reward)
        infos.append(info)
    return trajectory, rewards, infos


# -- hand-computed trajectories (numbers worked out by hand from SCENARIOS.md section 1) ----


def test_hand_computed_lead_time_zero():
    # L = 0, h = 1, p = 9, c = 0, y0 = 2. The order arrives before demand.
    # t0: y=2, z=2 -> 4 available, D=5: sales 4, lost 1 -> cost 9;  next y = 0
    # t1: y=0, z=6 -> 6 available, D=3: sales 3, left 3 -> cost 3;  next y = 3
    # t2: y=3, z=1 -> 4 available, D=0: left 4        -> cost 4;  next y = 4
    # t3: y=4, z=0 -> 4 available, D=4: a tie         -> cost 0;  next y = 0
    traj, rewards, infos = run(
        "LostSales-v0", [2, 6, 1, 0], [5, 3, 0, 4], initial_on_hand=2.0, max_order=10
    )
    assert traj == [[2], [0], [3], [4], [0]]
    assert rewards == [-9.0, -3.0, -4.0, 0.0]
    assert [i["sales"] for i in infos] == [4, 3, 0, 4]
    assert [i["lost"] for i in infos] == [1, 0, 0, 0]
    assert [i["holding_cost"] for i in infos] == [0, 3, 4, 0]


def test_hand_computed_lead_time_two():
    # L = 2, h = 1, p = 9, c = 2; state (y, q1), start (3, 2).
    # t0: z=5 (c: 10), D=4: sales 3, lost 1 (9)      -> cost 19; next (0 + 2, 5)
    # t1: z=0,         D=1: sales 1, left 1 (1)      -> cost  1; next (1 + 5, 0)
    # t2: z=3 (c: 6),  D=6: sales 6, a tie           -> cost  6; next (0 + 0, 3)
    # t3: z=2 (c: 4),  D=0: nothing on hand          -> cost  4; next (0 + 3, 2)
    traj, rewards, infos = run(
        "LostSalesLeadTime-v0",
        [5, 0, 3, 2],
        [4, 1, 6, 0],
        lead_time=2,
        unit_cost=2.0,
        initial_on_hand=3.0,
        initial_pipeline=(2.0,),
        max_order=10,
    )
    assert traj == [[3, 2], [2, 5], [6, 0], [0, 3], [3, 2]]
    assert rewards == [-19.0, -1.0, -6.0, -4.0]
    assert [i["purchase_cost"] for i in infos] == [10, 0, 6, 4]
    assert [i["arrivals"] for i in infos] == [2, 5, 0, 3]
    assert [i["lost_sales_cost"] for i in infos] == [9, 0, 0, 0]


def test_hand_computed_lead_time_one():
    # L = 1, h = 2, p = 5: state y only; the order is on hand next period.
    # t0: y=0, z=4, D=3: lost 3 (15)  -> cost 15; next y = 0 + 4
    # t1: y=4, z=1, D=2: left 2 (4)   -> cost  4; next y = 2 + 1
    # t2: y=3, z=0, D=5: lost 2 (10)  -> cost 10; next y = 0
    traj, rewards, _ = run(
        "LostSalesLeadTime-v0",
        [4, 1, 0],
        [3, 2, 5],
        lead_time=1,
        holding_cost=2.0,
        lost_sales_cost=5.0,
        max_order=10,
    )
    assert traj == [[0], [4], [3], [0]]
    assert rewards == [-15.0, -4.0, -10.0]


# -- an independent reference implementation ------------------------------------------------


def reference_rollout(lead_time, h, p, c, y0, pipeline0, orders, demands):
    """The sequence of events of SCENARIOS.md section 1, one scalar period at a time."""
    y, pipe = float(y0), list(pipeline0)
    costs, states = [], []
    for z, d in zip(orders, demands):
        if lead_time == 0:
            avail = y + z
            left, lost = max(avail - d, 0.0), max(d - avail, 0.0)
            y = left
        else:
            left, lost = max(y - d, 0.0), max(d - y, 0.0)
            arriving, *pipe = [*pipe, z]
            y = left + arriving
        costs.append(c * z + h * left + p * lost)
        states.append([y, *pipe])
    return states, costs


@pytest.mark.parametrize("lead_time", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_kernel_matches_reference(lead_time, backend):
    rng = np.random.default_rng(lead_time)
    h, p, c = 1.5, 7.0, 0.5
    batch, periods = 8, 60
    y0 = rng.integers(0, 10, batch).astype(float)
    pipe0 = rng.integers(0, 8, (batch, max(lead_time - 1, 0))).astype(float)
    orders = rng.uniform(0, 10, (batch, periods)).round(1)
    demands = rng.poisson(5, (batch, periods)).astype(float)
    params = LostSalesParams(lead_time=lead_time, holding_cost=h, lost_sales_cost=p, unit_cost=c)
    xp = namespace(backend)
    as_array = (lambda a: torch.tensor(a, dtype=torch.float64)) if backend == "torch" else np.array
    state = LostSalesState(as_array(y0), tuple(as_array(col) for col in pipe0.T))
    got_states, got_costs = [], []
    for t in range(periods):
        state, costs, _ = transition(
            state, as_array(orders[:, t]), as_array(demands[:, t]), params, xp
        )
        got_costs.append(np.asarray(costs.total()))
        got_states.append(np.asarray(LOST_SALES.state_features(state, params, xp)))
    for i in range(batch):
        states, costs = reference_rollout(
            lead_time, h, p, c, y0[i], pipe0[i], orders[i], demands[i]
        )
        np.testing.assert_allclose([g[i] for g in got_states], states, atol=1e-9)
        np.testing.assert_allclose([g[i] for g in got_costs], costs, atol=1e-9)


# -- published numbers ------------------------------------------------------------------


def simulate_base_stock(level, lead_time, p, num_envs=2000, periods=600, burn_in=100, seed=0):
    """Mean cost per period of the base-stock policy z = (S - IP)^+ (integer orders)."""
    env = gym.make_vec(
        "LostSalesLeadTime-v0",
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        lead_time=lead_time,
        lost_sales_cost=p,
        max_episode_steps=periods,
        max_order=50,
    )
    obs, _ = env.reset(seed=seed)
    costs = []
    for t in range(periods):
        position = obs.sum(axis=1)
        obs, reward, *_ = env.step(np.maximum(level - position, 0.0))
        if t >= burn_in:
            costs.append(-reward)
    per_env = np.mean(costs, axis=0)
    return per_env.mean(), per_env.std(ddof=1) / np.sqrt(num_envs)


def test_newsvendor_cost_for_lead_time_zero():
    # SCENARIOS.md: L = 0, Poisson(5), h = 1, p = 9: optimal cost 4.2211 (base-stock, S = 8).
    params = LostSalesParams(lead_time=0)
    values, probs = params.demand.pmf()
    expected = min(
        np.sum(probs * (np.maximum(s - values, 0) + 9 * np.maximum(values - s, 0)))
        for s in range(20)
    )
    assert expected == pytest.approx(4.2211, abs=1e-4)
    cost, stderr = simulate_base_stock(8, lead_time=0, p=9)
    assert abs(cost - 4.2211) < 4 * stderr + 1e-3, (cost, stderr)


def test_best_base_stock_matches_zipkin_lead_time_four():
    # Zipkin (2008) Table 3: best base-stock for L = 4, p = 9 costs 7.27 (optimum 6.84).
    results = {s: simulate_base_stock(s, lead_time=4, p=9, num_envs=1000) for s in range(27, 33)}
    best = min(results, key=lambda s: results[s][0])
    cost, stderr = results[best]
    assert 27 < best < 32, results
    # The published figure is rounded to two decimals.
    assert abs(cost - 7.27) < 4 * stderr + 0.005, (best, cost, stderr)


# -- the tie rule -----------------------------------------------------------------------


def test_positive_part_derivative_at_zero_is_one_half():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    positive_part(x, namespace("torch")).sum().backward()
    assert x.grad.tolist() == [0.0, 0.5, 1.0]


def test_tie_gradient_through_the_differentiable_env():
    # L = 0, y = 0, z = 3, D = 3: stock equals demand. The derivative of the period's cost
    # with respect to the order is (h - p) / 2 = (1 - 9) / 2 = -4 under the documented rule
    # (the average of the one-sided derivatives h and -p), and sales/leftover/lost share it.
    env = gym.make_vec(
        "LostSales-v0",
        num_envs=1,
        vectorization_mode="vector_entry_point",
        backend="torch",
        differentiable=True,
        dtype="float64",
        demand=Replay(np.array([[3.0, 3.0]])),
        max_episode_steps=2,
    )
    env.reset(seed=0)
    order = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    _, reward, _, _, info = env.step(order)
    (-reward.sum()).backward(retain_graph=True)
    assert order.grad.item() == -4.0
    for name, expected in [("sales", 0.5), ("lost", -0.5)]:
        order.grad = None
        info[name].sum().backward(retain_graph=True)
        assert order.grad.item() == expected, name


# -- conservation, property-based -------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    lead_time=st.integers(0, 5),
    h=st.floats(0, 10),
    p=st.floats(0, 50),
    c=st.floats(0, 5),
    seed=st.integers(0, 2**31),
    integer=st.booleans(),
)
def test_conservation_and_nonnegativity(lead_time, h, p, c, seed, integer):
    params = LostSalesParams(
        lead_time=lead_time, holding_cost=h, lost_sales_cost=p, unit_cost=c, max_order=12
    )
    rng = np.random.default_rng(seed)
    n = 64
    features = rng.uniform(0, 30, size=(n, 1 + params.pipeline_length))
    features[:, 1:] = np.minimum(features[:, 1:], 12)
    actions = rng.uniform(-5, 20, size=(n, 1))
    demand = rng.uniform(0, 15, size=n)
    if integer:
        features, actions, demand = np.round(features), np.round(actions), np.round(demand)
    check_invariants(LOST_SALES, params, features, actions, demand)


# -- parameters and defaults ------------------------------------------------------------


def test_registered_defaults():
    params = gym.make("LostSalesLeadTime-v0").unwrapped.params
    assert (params.lead_time, params.holding_cost, params.lost_sales_cost) == (4, 1.0, 9.0)
    assert params.unit_cost == 0.0 and params.demand == Poisson(5)
    assert gym.make("LostSales-v0").unwrapped.params.lead_time == 0
    assert gym.spec("LostSalesLeadTime-v0").max_episode_steps == 1000
    # Every parameter is a gym.make keyword.
    env = gym.make("LostSalesLeadTime-v0", lead_time=2, lost_sales_cost=19, demand="geometric(5)")
    assert env.unwrapped.params.lost_sales_cost == 19.0
    assert env.observation_space.shape == (2,)


def test_default_order_cap_is_a_demand_quantile():
    params = LostSalesParams()
    # The 99.99% quantile of Poisson(5) is 15.
    assert params.order_cap == 15.0
    assert LostSalesParams(max_order=7).order_cap == 7.0


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"holding_cost": -1}, "holding_cost must be non-negative, got -1.0"),
        ({"lead_time": 1.5}, "lead_time must be an integer >= 0, got 1.5"),
        ({"lead_time": True}, "lead_time must be an integer >= 0, got True"),
        ({"lost_sales_cost": float("inf")}, "lost_sales_cost must be a finite real number"),
        ({"initial_pipeline": (1.0,)}, "initial_pipeline must hold lead_time - 1 = 3 values"),
        ({"demand": "uniform(3,1)"}, "demand:"),
        ({"max_order": -2}, "max_order must be positive, got -2.0"),
    ],
)
def test_invalid_parameters_name_field_and_value(kwargs, fragment):
    with pytest.raises(ValueError, match="LostSalesParams") as err:
        LostSalesParams(**kwargs)
    assert fragment in str(err.value)


def test_single_env_refuses_torch_backend_with_a_pointer():
    with pytest.raises(ValueError, match="make_vec"):
        gym.make("LostSalesLeadTime-v0", backend="torch")


# -- observation and action options -----------------------------------------------------


def test_demand_window_and_static_features():
    demand = np.arange(20, dtype=float)[None, :] % 7
    env = gym.make(
        "LostSalesLeadTime-v0",
        lead_time=2,
        unit_cost=0.5,
        demand=Replay(demand),
        demand_window=3,
        static_features=True,
    )
    names = env.unwrapped.layout.feature_names
    assert names == (
        "on_hand",
        "pipeline_1",
        "demand_lag_3",
        "demand_lag_2",
        "demand_lag_1",
        "holding_cost",
        "lost_sales_cost",
        "unit_cost",
        "lead_time",
    )
    obs, _ = env.reset(seed=0)
    # The first three periods of the series are history; the episode starts at period 3.
    assert obs.tolist() == [0, 0, 0, 1, 2, 1, 9, 0.5, 2]
    obs, _, _, _, info = env.step(np.array([4.0]))
    assert info["demand"] == 3.0
    assert obs[2:5].tolist() == [1, 2, 3]
    assert env.observation_space.contains(obs)


def test_integer_actions_round_in_the_shell():
    env = gym.make("LostSalesLeadTime-v0", integer_actions=True)
    env.reset(seed=0)
    assert env.step(np.array([2.6]))[4]["order"] == 3.0
    assert env.step(np.array([99.0]))[4]["order"] == 15.0


def test_discrete_action_space():
    env = gym.make("LostSalesLeadTime-v0", discrete_actions=True)
    assert env.action_space == gym.spaces.Discrete(16)
    env.reset(seed=0)
    assert env.step(7)[4]["order"] == 7.0
    assert env.step(np.int64(0))[4]["order"] == 0.0
    for bad in (16, -1, 2.5):
        with pytest.raises(ValueError, match="discrete action"):
            env.step(bad)
    with pytest.raises(ValueError, match="integer max_order"):
        gym.make("LostSalesLeadTime-v0", discrete_actions=True, max_order=7.5)


def test_ansi_render_is_one_line():
    env = gym.make("LostSalesLeadTime-v0", lead_time=2, render_mode="ansi")
    env.reset(seed=0)
    env.step(np.array([5.0]))
    text = env.render()
    assert text.startswith("t=1 order=5.0 demand=") and "cost=" in text and "\n" not in text


def test_initial_state_respects_parameters():
    params = LostSalesParams(lead_time=3, initial_on_hand=4.0, initial_pipeline=(1.0, 2.0))
    state = initial_state(params, 3, np)
    assert state.on_hand.tolist() == [4.0] * 3
    assert [col.tolist() for col in state.pipeline] == [[1.0] * 3, [2.0] * 3]


def test_replayed_demand_in_the_single_env():
    with pytest.raises(ValueError, match=r"Replay.row\(i\)"):
        gym.make("LostSalesLeadTime-v0", demand=Replay(np.ones((3, 50))))
    # The TimeLimit lives in a wrapper the env cannot see: running out of data is the error.
    env = gym.make("LostSalesLeadTime-v0", demand=Replay(np.ones((1, 5))))
    env.reset(seed=0)
    for _ in range(5):
        env.step(np.array([1.0]))
    with pytest.raises(ValueError, match="shorten max_episode_steps"):
        env.step(np.array([1.0]))
