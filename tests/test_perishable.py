"""Perishable-v0: the kernel's conventions, the exact DP against De Moor's tables and
Farrington's values."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import inventory_gym  # noqa: F401
from baselines.perishable import dp
from inventory_gym.envs.perishable import PerishableParams, PerishableState, dynamics, transition
from inventory_gym.envs.perishable.env import PERISHABLE
from inventory_gym.evaluation import evaluate

ENV = "Perishable-v0"


def state(*stock, pipeline=()):
    arr = np.array
    return PerishableState(
        tuple(arr([x], float) for x in stock), tuple(arr([x], float) for x in pipeline)
    )


def step(s, order, demand, params):
    return transition(s, np.array([float(order)]), np.array([float(demand)]), params, np)


def values(s):
    return [float(x[0]) for x in (*s.stock, *s.pipeline)]


def test_defaults_are_de_moor_scenario_a():
    p = PerishableParams()
    assert (p.useful_life, p.lead_time, p.issuing) == (2, 1, "FIFO")
    assert (p.unit_cost, p.lost_sales_cost, p.waste_cost, p.holding_cost) == (3, 5, 7, 1)
    assert p.demand.spec == "gamma(4,0.5,100)" and p.order_cap == 10
    assert PerishableParams(issuing="lifo").issuing == "LIFO"


@pytest.mark.parametrize(
    "issuing, expired, held, after",
    [("FIFO", 3, 2, [0, 2]), ("LIFO", 4, 1, [0, 1])],
)
def test_hand_computed_trajectory_m2_l1(issuing, expired, held, after):
    params = PerishableParams(issuing=issuing)  # c 3, p 5, w 7, h 1
    s = state(0, 0)
    # t0: order 5, demand 3 from empty: 3 lost; the order arrives at t1 as the fresh class
    s, costs, flows = step(s, 5, 3, params)
    assert costs.total()[0] == 3 * 5 + 3 * 5 and flows.lost[0] == 3 and flows.sales[0] == 0
    assert values(s) == [5, 0]
    # t1: order 2, demand 1: one fresh unit sold, 4 age into the class that expires at t2
    s, costs, flows = step(s, 2, 1, params)
    assert costs.total()[0] == 2 * 3 + 4 * 1 and flows.held[0] == 4 and flows.expired[0] == 0
    assert values(s) == [2, 4]
    # t2: demand 1: FIFO sells an old unit (3 old expire), LIFO a fresh one (4 old expire)
    s, costs, flows = step(s, 0, 1, params)
    assert flows.expired[0] == expired and flows.held[0] == held and flows.lost[0] == 0
    assert costs.waste_cost[0] == 7 * expired and costs.holding_cost[0] == held
    assert values(s) == after


@pytest.mark.parametrize(
    "issuing, next_state, cost",
    [("FIFO", [6, 1, 0, 4], 4 * 3 + 1), ("LIFO", [6, 0, 0, 4], 4 * 3 + 7)],
)
def test_hand_computed_step_m3_l2(issuing, next_state, cost):
    """(X_1, X_2, X_3) = (2, 3, 1), pipeline 6, order 4, demand 5: FIFO takes 1 + 3 + 1 and
    keeps one fresh unit; LIFO takes 2 + 3 and lets the oldest unit expire. The pipeline's
    order arrives as the fresh class and today's order enters the pipeline."""
    params = PerishableParams(useful_life=3, lead_time=2, issuing=issuing)
    s, costs, flows = step(state(2, 3, 1, pipeline=(6,)), 4, 5, params)
    assert values(s) == next_state and costs.total()[0] == cost
    assert flows.arrivals[0] == 6 and flows.sales[0] == 5


def test_useful_life_one_expires_everything_left():
    params = PerishableParams(useful_life=1)
    s, costs, flows = step(state(6), 3, 4, params)
    assert values(s) == [3] and flows.expired[0] == 2 and flows.held[0] == 0
    assert costs.total()[0] == 9 + 14


def test_env_observation_and_info():
    env = gym.make(ENV, useful_life=3, lead_time=2, issuing="LIFO")
    obs, _ = env.reset(seed=0)
    assert env.unwrapped.layout.feature_names == ("stock_1", "stock_2", "stock_3", "pipeline_1")
    assert obs.tolist() == [0, 0, 0, 0] and env.action_space.high.tolist() == [10.0]
    obs, reward, _, _, info = env.step(np.array([4.0]))
    assert obs.tolist() == [0, 0, 0, 4] and info["order"] == 4.0
    obs, reward, _, _, info = env.step(np.array([2.0]))
    assert obs.tolist() == [4, 0, 0, 2]
    assert reward == -info["cost"]
    assert info["cost"] == pytest.approx(
        info["order_cost"] + info["lost_sales_cost"] + info["waste_cost"] + info["holding_cost"]
    )


def test_vector_env_conserves_units_with_expiry():
    env = gym.make_vec(ENV, num_envs=64, useful_life=3, lead_time=2)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        order = rng.integers(0, 11, size=(64, 1)).astype(np.float64)
        nxt, _, _, _, info = env.step(order)
        before = obs.sum(axis=1) + order[:, 0]
        assert np.allclose(before - info["sales"] - info["expired"], nxt.sum(axis=1))
        obs = nxt


# ---------------------------------------------------------------------------------------
# Exact DP: De Moor et al.'s optimal order tables and Farrington et al.'s values (m = 2, L = 1,
# w = 7, gamma = 0.99). Rows: X_1 (fresh) = 8 down to 0; columns: X_2 (expiring) = 0..8.
FIFO_TABLE = [
    [1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0, 0, 0, 0],
    [2, 1, 1, 0, 0, 0, 0, 0, 0],
    [2, 2, 1, 1, 0, 0, 0, 0, 0],
    [3, 2, 2, 1, 1, 1, 1, 0, 0],
    [3, 3, 2, 2, 1, 1, 1, 1, 1],
    [4, 3, 3, 3, 2, 2, 2, 2, 2],
    [4, 4, 3, 3, 3, 3, 3, 3, 3],
    [4, 4, 4, 4, 4, 4, 4, 4, 4],
]


@pytest.fixture(scope="module", params=["FIFO", "LIFO"])
def solved(request):
    params = PerishableParams(issuing=request.param)
    return params, dp.solve(params)


def test_optimal_orders_are_de_moors_tables(solved):
    params, solution = solved
    table = solution.orders[:9, :9][::-1]  # rows X_1 = 8..0, columns X_2 = 0..8
    if params.issuing == "FIFO":
        expected = np.array(FIFO_TABLE)
    else:  # 3 if X_1 <= 2, 2 if X_1 = 3, 1 if X_1 = 4, 0 if X_1 >= 5, whatever X_2
        by_fresh = {0: 3, 1: 3, 2: 3, 3: 2, 4: 1}
        expected = np.array([[by_fresh.get(x1, 0)] * 9 for x1 in range(8, -1, -1)])
    np.testing.assert_array_equal(table, expected)


@pytest.mark.parametrize(
    "issuing, optimum, optimum_std, base_stock, level",
    [("LIFO", 1553, 61, 1565, 5), ("FIFO", 1457, 59, 1474, 7)],
)
def test_farrington_values_m2(issuing, optimum, optimum_std, base_stock, level):
    """Published: discounted return -1553 (61) LIFO, -1457 (59) FIFO over 365 periods after
    100 burn-in from empty; best base-stock -1565 (S = 5) and -1474 (S = 7). Our values are
    exact expectations; the published ones are means of 10,000 paths (s.e. about 0.6),
    rounded to integers."""
    params = PerishableParams(issuing=issuing)
    model = dp.Model(params)
    value = dp.PolicyModel(model, dp.solve(params).policy()).farrington()
    assert abs(value.mean - optimum) <= 0.5 + 2 * value.stderr()
    assert value.std == pytest.approx(optimum_std, rel=0.06)
    costs = {
        s: dp.PolicyModel(model, lambda obs, s=s: np.maximum(s - obs[:, :2].sum(axis=1), 0))
        .farrington()
        .mean
        for s in range(3, 10)
    }
    assert min(costs, key=costs.get) == level
    assert abs(costs[level] - base_stock) <= 0.5 + 2 * value.stderr()


def test_simulated_farrington_metric_matches_the_exact_one():
    """The harness (discount 0.99, 365 periods after 100 burn-in, from empty) agrees with the
    exact expectation of the chain within its confidence interval."""
    params = PerishableParams(issuing="LIFO")
    policy = dp.solve(params).policy()
    exact = dp.PolicyModel(params, policy).farrington()
    sim = evaluate(
        policy, ENV, {"issuing": "LIFO"}, num_paths=2000, periods=365, burn_in=100, discount=0.99
    )
    assert abs(sim.cost - exact.mean) < 4 * sim.stderr
    assert np.std(sim.path_costs) == pytest.approx(exact.std, rel=0.1)
    assert policy.misses == 0


@pytest.mark.parametrize("issuing", ["FIFO", "LIFO"])
@pytest.mark.parametrize("m, lead", [(3, 1), (2, 2)])
def test_value_iteration_agrees_with_the_policy_chain(m, lead, issuing):
    """The optimal value from empty equals the exact discounted cost of its greedy policy, no
    integer base-stock level beats it, and the average-cost optimum is no worse than the
    discounted policy's average cost."""
    params = PerishableParams(useful_life=m, lead_time=lead, issuing=issuing)
    solution = dp.solve(params)
    model = dp.Model(params)
    chain = dp.PolicyModel(model, solution.policy())
    assert chain.discounted_cost() == pytest.approx(solution.cost, abs=1e-6)
    for s in range(4, 14):
        base = dp.PolicyModel(model, lambda obs, s=s: np.maximum(s - obs.sum(axis=1), 0))
        assert base.discounted_cost() >= solution.cost - 1e-6
    average = dp.solve(params, discount=None)
    assert average.cost <= chain.average_cost() + 1e-8
    assert dp.PolicyModel(model, average.policy()).average_cost() == pytest.approx(
        average.cost, abs=1e-6
    )


def test_model_built_in_blocks_is_the_model_built_at_once(monkeypatch):
    """The transitions are built in blocks of states (no (states x demand values) array of
    the whole grid): blocks of 7 states give the same matrix, costs and optimum."""
    params = PerishableParams(useful_life=3, lead_time=1, issuing="FIFO")
    whole = dp.Model(params)
    monkeypatch.setattr(dp, "BLOCK_PAIRS", 7 * whole.probs.size)
    blocks = dp.Model(params)
    assert (whole.rest != blocks.rest).nnz == 0
    np.testing.assert_array_equal(whole.cost_weight, blocks.cost_weight)
    np.testing.assert_array_equal(whole.expected, blocks.expected)
    np.testing.assert_array_equal(whole.expected_sq, blocks.expected_sq)
    np.testing.assert_array_equal(dp.solve(blocks).orders, dp.solve(whole).orders)


@pytest.mark.parametrize("issuing", ["FIFO", "LIFO"])
def test_farrington_moments_match_a_recursion_over_every_demand_value(issuing):
    """The merged transitions give the same first two moments as the recursion over every
    (state, demand value) pair through the kernel, and the GMRES policy iteration's value
    lies in its MacQueen bounds and equals the policy's discounted cost."""
    params = PerishableParams(useful_life=2, lead_time=2, issuing=issuing, unit_cost=1.5)
    model = dp.Model(params)
    solution = dp.solve(model)
    low, high = solution.bounds
    assert low - 1e-9 <= solution.cost <= high + 1e-9 and high - low < 1e-6
    chain = dp.PolicyModel(model, solution.policy())
    assert chain.discounted_cost() == pytest.approx(solution.cost, abs=1e-6)
    value = chain.farrington(burn_in=5, periods=30)
    # The reference: every state and demand value through the kernel, no merging.
    states = model.states.astype(float)
    n, outcomes = states.shape[0], model.probs.size
    state = PERISHABLE.state_from_features(np.repeat(states, outcomes, axis=0), params)
    order = np.repeat(chain.orders.astype(float), outcomes)
    demand = np.tile(np.arange(outcomes, dtype=float), n)
    nxt, costs, _ = dynamics.transition(state, order, demand, params, np)
    nxt_index, inside = model.grid.locate(nxt)
    assert inside.all()
    nxt_index = nxt_index.reshape(n, outcomes)
    step = costs.total().reshape(n, outcomes)
    mu = np.zeros(n)
    mu[model.start] = 1.0
    for _ in range(5):
        mu = np.bincount(nxt_index.ravel(), (mu[:, None] * model.probs).ravel(), minlength=n)
    first, second = np.zeros(n), np.zeros(n)
    for _ in range(30):
        w1, w2 = first[nxt_index], second[nxt_index]
        first, second = (
            (step + 0.99 * w1) @ model.probs,
            (step**2 + 2 * 0.99 * step * w1 + 0.99**2 * w2) @ model.probs,
        )
    mean = mu @ first
    assert value.mean == pytest.approx(mean, rel=1e-12)
    assert value.std == pytest.approx(np.sqrt(mu @ second - mean**2), rel=1e-9)


def test_lifo_m2_order_ignores_the_expiring_class(solved):
    params, solution = solved
    if params.issuing == "LIFO":
        assert np.all(solution.orders == solution.orders[:, :1])
    else:  # FIFO: the order decreases in both classes, and more in the fresh one
        assert np.all(np.diff(solution.orders, axis=0) <= 0)
        assert np.all(np.diff(solution.orders, axis=1) <= 0)


def test_table_round_trip(tmp_path, solved):
    _, solution = solved
    path = solution.policy().save(tmp_path / "table")
    loaded = dp.TablePolicy.load(path)
    np.testing.assert_array_equal(loaded.orders, solution.orders)
    assert loaded([[2, 3, 99.0]]).tolist() == [float(solution.orders[2, 3])]


def test_dp_refuses_bad_input():
    with pytest.raises(ValueError, match="max_states"):
        dp.solve(PerishableParams(useful_life=3, lead_time=2), max_states=10_000)
    with pytest.raises(ValueError, match=r"too large for exact DP here: .* needs about"):
        dp.solve(PerishableParams(useful_life=8, lead_time=4))  # 11^11 states
    with pytest.raises(ValueError, match="integer max_order"):
        dp.solve(PerishableParams(max_order=7.5))
    with pytest.raises(ValueError, match="discount"):
        dp.solve(PerishableParams(), discount=1.5)
    with pytest.raises(ValueError, match="discrete"):
        dp.solve(PerishableParams(demand="normal(4,2)"))


@pytest.mark.parametrize("issuing", ["FIFO", "LIFO"])
@pytest.mark.parametrize("m, lead", [(2, 1), (3, 1), (2, 2)])
def test_optimal_order_decreases_in_every_class_and_pipeline_entry(m, lead, issuing):
    """The known structure: the order never rises with more stock of any age or more on order
    (the structural penalty ``Perishable-v0``'s ``Problem.structure`` encodes exactly this)."""
    orders = dp.solve(PerishableParams(useful_life=m, lead_time=lead, issuing=issuing)).orders
    for axis in range(orders.ndim):
        assert np.all(np.diff(orders.astype(int), axis=axis) <= 0)


def test_lifo_m3_optimum_reacts_more_to_older_stock_in_places():
    """SCENARIOS.md says the order "reacts more to fresher stock"; the exact LIFO m = 3 optimum
    does not everywhere: at (X_1, X_2, X_3) = (4, 0, 0) one more fresh unit cuts the order by
    one, one more unit of X_2 by three. So that part of the structure is not imposed on DBP."""
    orders = dp.solve(PerishableParams(useful_life=3, issuing="LIFO", waste_cost=10)).orders
    assert orders[4, 0, 0] - orders[5, 0, 0] == 1
    assert orders[4, 0, 0] - orders[4, 1, 0] == 3
