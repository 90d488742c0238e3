"""ProcurementRemoval-v0: the kernel's conventions through the env, the random start, the
exact DP and the heuristics."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import inventory_gym  # noqa: F401
from inventory_gym.demand import Replay

ENV = "ProcurementRemoval-v0"


def run(actions, demand, **kwargs):
    """The single env on one replayed demand path; the (obs, cost, info) of every step."""
    env = gym.make(ENV, demand=Replay(np.array([demand], float)), max_order=20.0, **kwargs)
    obs, _ = env.reset(seed=0)
    out = [(obs, None, None)]
    for a in actions:
        obs, reward, _, truncated, info = env.step(np.array(a, float))
        out.append((obs, -reward, info))
    return out, truncated


def test_hand_computed_season_lead_time_0():
    """T = 3, L = 0, start 10: remove, order, then the last period's salvage."""
    steps, truncated = run(
        [[0, 4], [8, 0], [6, 5]], [5, 12, 2], season_length=3, initial_stock=10.0
    )
    assert steps[0][0].tolist() == [10, 3]  # on hand, time left
    obs, cost, info = steps[1]
    # 10 - 4 removed = 6 serve 5: 1 held; -3 * 4 + 2 * 1
    assert (info["removed"], info["sales"], info["held"]) == (4, 5, 1)
    assert cost == -10 and info["removal_cost"] == -12 and obs.tolist() == [1, 2]
    obs, cost, info = steps[2]
    # 1 + 8 = 9 serve 12: 3 lost; 5 * 8 + 10 * 3
    assert (info["sales"], info["lost"], cost) == (9, 3, 70) and obs.tolist() == [0, 1]
    obs, cost, info = steps[3]
    # the removal of 5 from an empty stock is clipped to 0 (info says so); 6 serve 2: 4 held,
    # then salvaged at 3: 5 * 6 + 2 * 4 - 3 * 4
    assert info["order"] == [6, 0] and info["removed"] == 0
    assert (info["held"], info["salvaged"], info["salvage_cost"], cost) == (4, 4, -12, 26)
    assert obs.tolist() == [0, 0] and truncated is False  # max_episode_steps is 52 here


def test_hand_computed_season_lead_time_1():
    """L = 1: removal acts on the stock on hand, the order arrives next period, and the order
    still in transit at the season's end is salvaged with the stock."""
    steps, _ = run([[7, 2], [3, 0]], [1, 4], season_length=2, initial_stock=5.0, lead_time=1)
    obs, cost, info = steps[1]
    # 5 - 2 = 3 serve 1: 2 held; next 2 + 7. Cost 5 * 7 - 3 * 2 + 2 * 2
    assert cost == 33 and obs.tolist() == [9, 1] and info["arrivals"] == 7
    obs, cost, info = steps[2]
    # 9 serve 4: 5 held, + 3 arriving = 8 salvaged. Cost 5 * 3 + 2 * 5 - 3 * 8
    assert info["salvaged"] == 8 and cost == 1 and obs.tolist() == [0, 0]


def test_removal_is_capped_by_the_stock_and_the_cap():
    steps, _ = run([[0, 50], [0, 50]], [0, 0], initial_stock=30.0, max_removal=12.0)
    assert steps[1][2]["removed"] == 12 and steps[2][2]["removed"] == 12
    steps, _ = run([[0, 50]], [0], initial_stock=7.5, integer_actions=True)
    assert steps[1][2]["removed"] == 7  # rounded inside the bound


def test_the_registered_season_and_the_random_start():
    env = gym.make_vec(ENV, num_envs=4000, vectorization_mode="vector_entry_point")
    obs, _ = env.reset(seed=1)
    stock = obs[:, 0]
    assert env.unwrapped.layout.feature_names == ("on_hand", "time_left")
    assert (obs[:, 1] == 52).all() and (stock == np.round(stock)).all()
    assert stock.min() == 0 and stock.max() == 100
    assert abs(stock.mean() - 50) < 3 * 29.2 / np.sqrt(4000)
    again, _ = env.reset(seed=1)
    np.testing.assert_array_equal(again, obs)
    other, _ = env.reset()  # the next episode of every row: a fresh draw
    assert (other[:, 0] != stock).mean() > 0.9
    # A season: truncated after 52 periods, everything salvaged in the last one.
    env = gym.make_vec(ENV, num_envs=8, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    for t in range(52):
        obs, _, _, truncated, info = env.step(np.tile([10.0, 0.0], (8, 1)))
        assert truncated.all() == (t == 51)
    assert (info["salvaged"] == info["held"]).all() and (obs[:, 0] == 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"salvage_value": 5.0}, "salvage_value must be below unit_cost=5"),
        ({"initial_stock": (3, 1)}, "initial_stock"),
        ({"initial_stock": (0.5, 1)}, "pair of integers"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gym.make(ENV, **kwargs)


# -- the exact DP ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_solution():
    from baselines.procurement_removal import dp
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams

    params = ProcurementRemovalParams()
    return params, dp.solve(params), dp.solve(params, removal=False)


def interval_levels(orders, max_stock, cap=np.inf):
    """(S_lo, S_hi) if the (stock, 2) actions of one period have the interval form, else None:
    order up to S_lo below it, remove down to S_hi (at most ``cap`` a period) above it."""
    y = np.arange(orders.shape[0])
    z, r = orders[:, 0], orders[:, 1]
    if ((z > 0) & (r > 0)).any():
        return None
    s_lo = int(z[0])  # from an empty stock: order up to S_lo
    above = np.flatnonzero(r > 0)
    s_hi = int(above[0] - 1) if above.size else max_stock
    expected_z = np.maximum(s_lo - y, 0)
    expected_r = np.minimum(np.maximum(y - s_hi, 0), cap)
    if s_lo > s_hi or (z != expected_z).any() or (r != expected_r).any():
        return None
    return s_lo, s_hi


def test_dp_reproduces_the_scenario_figures(default_solution):
    """SCENARIOS.md section 4: optimum about 6.4% below the best never-remove policy over
    the 101 starting stocks; first-period levels 14 and 21, about 4 and 6 after the drop."""
    params, best, never = default_solution
    assert never.cost / best.cost - 1 == pytest.approx(0.064, abs=0.001)
    T = params.season_length
    assert interval_levels(best.orders[:, T], 104) == (14, 21)
    assert interval_levels(best.orders[:, T - 26], 104) == (4, 6)
    assert best.name == "optimal" and never.name == "never_remove"
    from baselines.procurement_removal import dp
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams

    empty = ProcurementRemovalParams(initial_stock=0.0)  # removal is worth almost nothing
    assert 0 <= dp.solve(empty, removal=False).cost / dp.solve(empty).cost - 1 < 1e-4


def test_dp_optimal_policy_has_the_interval_form(default_solution):
    params, best, _ = default_solution
    for tau in range(1, params.season_length + 1):
        levels = interval_levels(best.orders[:, tau], 104)
        assert levels is not None, f"time left {tau}: not an interval policy"


def test_dp_interval_form_with_a_removal_cap():
    from baselines.procurement_removal import dp
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams

    params = ProcurementRemovalParams(max_removal=5.0)
    best = dp.solve(params)
    assert (best.orders[..., 1] <= 5).all()
    for tau in range(1, params.season_length + 1):
        assert interval_levels(best.orders[:, tau], 104, cap=5) is not None, tau


@pytest.mark.parametrize("lead_time", [0, 1])
def test_dp_cost_is_what_the_harness_measures(lead_time):
    """The DP's expected season cost of its policy (per period, averaged over the starting
    stock) against the simulation harness on 3000 fresh paths of the season."""
    from baselines.procurement_removal import dp
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams
    from inventory_gym.evaluation import evaluate

    params = ProcurementRemovalParams(lead_time=lead_time)
    best = dp.solve(params)
    assert dp.season_cost(params, best.policy()) == pytest.approx(best.cost, rel=1e-12)
    ev = evaluate(
        best.policy(), ENV, {"lead_time": lead_time}, num_paths=3000, periods=52, burn_in=0
    )
    assert abs(ev.cost - best.cost) < 4 * ev.stderr
    # Removal is worth something; a do-nothing policy is worse than the optimum.
    assert dp.season_cost(params, lambda obs: np.zeros((len(obs), 2))) > best.cost + 1


def test_dp_table_round_trips_and_refuses_what_it_does_not_solve(tmp_path, default_solution):
    from baselines import exact
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams

    params, best, _ = default_solution
    loaded = exact.load_table(best.save(tmp_path / "pr.npz"))
    obs = np.array([[0, 52], [30, 52], [10, 26]], np.float32)
    np.testing.assert_array_equal(loaded(obs), best.policy()(obs))
    np.testing.assert_array_equal(loaded(obs), [[14, 0], [0, 9], [0, 4]])
    solver = exact.solver("procurement_removal")
    assert "lead_time 0 and 1" in solver.unavailable(ProcurementRemovalParams(lead_time=2))
    with pytest.raises(ValueError, match="undiscounted"):
        solver.solve(params, discount=0.99, margin=0, progress=False)


def test_heuristics_follow_their_definitions(default_solution):
    from baselines.procurement_removal import dp
    from baselines.procurement_removal import heuristics as h

    params, best, never = default_solution
    myopic = h.fit_myopic()
    # Poisson(12): the 5/7 and 7/9 quantiles are 14 and 15; Poisson(3) after the drop: 4, 4
    assert (myopic.low[0], myopic.high[0], myopic.low[30], myopic.high[30]) == (14, 15, 4, 4)
    np.testing.assert_array_equal(
        myopic(np.array([[3, 52], [20, 52], [20, 10]])), [[11, 0], [0, 5], [0, 16]]
    )
    assert dp.season_cost(params, h.fit_never_remove()) == pytest.approx(never.cost)
    for policy in (myopic, h.fit_never_remove()):
        assert dp.season_cost(params, policy) >= best.cost - 1e-9


# -- DirectBackprop -------------------------------------------------------------------------
def _net(kind, seed=0):
    import torch

    from dbp.policies import PolicySpec, build_policy

    torch.manual_seed(seed)
    return build_policy(PolicySpec(kind=kind, state_dim=2, action_dim=2, scale=7.5))


def test_the_interval_network_has_the_structure_by_construction():
    import torch

    from baselines.procurement_removal import dp
    from baselines.procurement_removal.structure import interval_levels, violations, visits
    from dbp.kinds import check_fits
    from dbp.structure import structural_penalty
    from dbp.trained import DBPPolicy
    from inventory_gym import make_instance

    found = make_instance(ENV)
    check_fits("interval", found.problem, found.params)
    with pytest.raises(ValueError, match="kinds that fit: mlp, interval"):
        check_fits("base_stock", found.problem, found.params)
    net = _net("interval")
    with torch.no_grad():  # a random clock response, so that the levels move over the season
        net.head[0].weight.normal_(0, 2.0)
    policy = DBPPolicy(net)
    table = dp.policy_tables(found.params, policy)
    for tau in range(1, 53):
        assert interval_levels(table[:, tau]) is not None, tau
    check = found.problem.structure.violations
    states = torch.rand(256, 2) * torch.tensor([60.0, 52.0])
    pen = structural_penalty(net, states, None, None, check, [2], all_decisions=True)
    assert float(pen.detach()) == 0.0
    plain = _net("mlp")
    pen = structural_penalty(plain, states, None, None, check, [2], all_decisions=True)
    assert float(pen.detach()) > 0 and pen.requires_grad
    # A fresh plain network orders and removes at once everywhere (softplus outputs).
    broken = violations(found.params, DBPPolicy(plain), visits({}, DBPPolicy(plain), num_paths=50))
    assert 0 < broken["interval"] <= 1


def test_dbp_trains_on_seasons_from_the_random_start():
    from dbp import TrainConfig, train

    config = TrainConfig(
        batch_size=16,
        horizon=52,
        burn_in=0,
        first_burn_in=0,
        carry_state=False,
        max_steps=2,
        eval_every=2,
        eval_paths=8,
        eval_periods=52,
        eval_burn_in=0,
        penalty_weight=1.0,
        penalty_rows=16,
    )
    result = train((ENV, {"season_length": 52}), "mlp", config, progress=False)
    assert result.steps == 2 and np.isfinite(result.best_val_cost)


@pytest.mark.slow
def test_dbp_lands_within_two_percent_of_the_optimum():
    """A short DBP run of the interval network on a small season (T = 20, demand 8 then 2
    from t = 10, start stock uniform on 0..40): the exact expected season cost of the rounded
    policy is within 2% of the DP optimum."""
    from baselines.procurement_removal import dp
    from dbp import TrainConfig, train
    from inventory_gym import make_instance

    kwargs = {"season_length": 20, "demand": "regime(8,2,10)", "initial_stock": (0, 40)}
    config = TrainConfig(
        batch_size=128,
        horizon=20,
        burn_in=0,
        first_burn_in=0,
        carry_state=False,
        max_steps=150,
        eval_every=50,
        eval_paths=256,
        eval_periods=20,
        eval_burn_in=0,
        learning_rate=0.03,
    )
    result = train((ENV, kwargs), "interval", config, progress=False)
    params = make_instance(ENV, kwargs).params
    optimum = dp.solve(params).cost
    cost = dp.season_cost(params, result.policy)
    assert cost <= 1.02 * optimum, f"DBP {cost:.4f} vs optimum {optimum:.4f}"


def test_with_lead_time_1_the_optimum_is_not_an_interval_policy_in_the_stock():
    """The interval form is the L = 0 theorem's: with L = 1 the optimal order stays flat over
    the low stocks that demand will clear anyway (so the interval network is misspecified)."""
    from baselines.procurement_removal import dp
    from baselines.procurement_removal.structure import interval_levels
    from inventory_gym.envs.procurement_removal import ProcurementRemovalParams

    best = dp.solve(ProcurementRemovalParams(lead_time=1))
    assert best.orders[0, 12, 0] == best.orders[4, 12, 0] > 0
    assert sum(interval_levels(best.orders[:, tau]) is None for tau in range(1, 53)) > 40


def test_the_command_line_scores_and_trains_one_season_by_default(capsys):
    """A season problem's scores mean one season from the start: the command line's default
    periods and burn-in follow ``Problem.season``, and DBP trains on whole seasons; long-run
    problems keep their defaults."""
    import argparse
    import json

    from inventory_gym import make_instance
    from inventory_gym_cli import options as o
    from inventory_gym_cli.commands.train import dbp_config
    from inventory_gym_cli.main import main

    argv = ["evaluate", "ProcurementRemoval-v0", "--policy", "myopic", "--paths", "20"]
    code = main([*argv, "--json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)["policies"]["myopic"]
    assert code == 0 and (doc["periods"], doc["burn_in"]) == (52, 0)
    inst = make_instance("ProcurementRemoval-v0", {"season_length": 30})
    args = argparse.Namespace(periods=None, burn_in=None)
    o.season_defaults(args, inst)
    assert (args.periods, args.burn_in) == (30, 0)
    args = argparse.Namespace(periods=None, burn_in=7)
    o.season_defaults(args, make_instance("LostSales-v0", {}))
    assert (args.periods, args.burn_in) == (o.DEFAULT_PERIODS, 7)
    season = o.season_training(inst)
    assert season["horizon"] == 30 and season["carry_state"] is False
    assert o.season_training(make_instance("LostSales-v0", {})) == {}
    from inventory_gym_cli.main import build_parser

    argv = ["train", "ProcurementRemoval-v0", "--steps", "5", "--eval-periods", "40"]
    config = dbp_config(build_parser().parse_args(argv), inst)
    assert (config.horizon, config.burn_in, config.carry_state) == (30, 0, False)
    assert config.eval_periods == 40  # a flag given keeps its value
