"""Pictures of policies and trajectories (issue 21, item 2): the decision grids are the
policies' decisions, the optimum's grid is the DP's table, errors name what is wrong, the
commands write images, and a trajectory's numbers are the dynamics' own."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from baselines import exact
from baselines.lost_sales.heuristics import BaseStock
from baselines.plots import (
    components,
    decision_grid,
    default_axes,
    observations,
    plot_policy,
    plot_policy_slice,
    plot_trajectory,
    policy_grids,
    simulate_trajectory,
)
from inventory_gym.core.instance import make_instance
from inventory_gym_cli.main import main

LS = "LostSalesLeadTime-v0"
PNG = b"\x89PNG\r\n\x1a\n"


def solve(env, **kwargs):
    inst = make_instance(env, kwargs)
    return exact.solver(inst.problem).solve(inst.params, discount=None, margin=0, progress=False)


def test_components_and_default_axes_come_from_the_state_layout():
    assert components(LS, {"lead_time": 4}) == ("on_hand", "pipeline_1", "pipeline_2", "pipeline_3")
    assert default_axes(LS, {"lead_time": 2}) == ("on_hand", "pipeline_1")
    assert default_axes("LostSales-v0") == ("on_hand", None)
    assert default_axes("Perishable-v0", {"useful_life": 3}) == ("stock_1", "stock_2")
    assert default_axes("DualSourcing-v0") == ("inventory", "regular_1")
    assert default_axes("ProcurementRemoval-v0") == ("on_hand", "time_left")
    window = components(LS, {"lead_time": 2, "demand_window": 2})
    assert window == ("on_hand", "pipeline_1", "demand_lag_2", "demand_lag_1")


def test_decision_grid_is_the_policy_on_hand_built_observations():
    policy = BaseStock(4, 17)
    grid = decision_grid(
        policy,
        LS,
        {"lead_time": 4},
        x="on_hand",
        y="pipeline_2",
        fix={"pipeline_1": 3, "pipeline_3": 1},
        x_values=[0, 2, 4, 6, 8],
        y_values=[0, 5, 10],
    )
    assert grid.decisions.shape == (3, 5, 1)
    assert grid.fixed == {"pipeline_1": 3.0, "pipeline_3": 1.0}
    for i, q2 in enumerate([0, 5, 10]):
        for j, y in enumerate([0, 2, 4, 6, 8]):
            obs = np.array([[y, 3, q2, 1]], dtype=np.float64)
            assert grid.decisions[i, j, 0] == policy(obs)[0] == max(17 - y - 3 - q2 - 1, 0)
    # The observations a grid was asked about hold the named values in the named columns.
    built = observations(LS, {"pipeline_2": [7.0], "on_hand": [2.0]}, {"lead_time": 4})
    assert built.tolist() == [[2.0, 0.0, 7.0, 0.0]]


def test_decision_grid_clips_and_rounds_like_the_env():
    class Wild:
        name = "wild"

        def __call__(self, obs):
            return 100.0 - obs[:, 0] + 0.4

    grid = decision_grid(
        Wild(), LS, {"lead_time": 2, "max_order": 20}, x_values=[0, 85, 99], y_values=[0]
    )
    assert grid.decisions[0, :, 0].tolist() == [20.0, 15.0, 1.0]


def test_optimal_heatmap_is_the_dp_table():
    result = solve("Perishable-v0")  # De Moor et al.'s scenario A: m = 2, L = 1
    states = result.grid.states().reshape(*result.grid_shape, 2)
    xs, ys = states[:, 0, 0], states[0, :, 1]
    found = policy_grids(
        [],
        "Perishable-v0",
        against="optimal",
        x="stock_1",
        y="stock_2",
        x_values=xs,
        y_values=ys,
    )
    grid = found.grids["optimal"]
    assert found.against == "optimal" and grid.x == "stock_1" and grid.y == "stock_2"
    np.testing.assert_array_equal(grid.decisions[..., 0], result.orders.T)
    assert result.orders.min() < result.orders.max()  # a table that is not constant


def test_multi_decision_grid_has_one_layer_per_decision():
    kwargs = {"demand": "uniform(0,2)"}
    result = solve("DualSourcing-v0", **kwargs)
    policy = result.policy()
    states = result.grid.states().reshape(*result.grid_shape, 2)
    xs, ys = states[:, 0, 0], states[0, :, 1]
    grid = decision_grid(policy, "DualSourcing-v0", kwargs, x_values=xs, y_values=ys)
    assert grid.action_names == ("regular_order", "expedited_order")
    np.testing.assert_array_equal(grid.decisions, np.swapaxes(result.orders, 0, 1))
    np.testing.assert_array_equal(grid.decision("expedited_order"), result.orders[..., 1].T)


def test_states_off_a_table_are_blank():
    policy = solve(LS, lead_time=2, lost_sales_cost=4, demand="poisson(2)").policy()
    high = policy.grid.shape[0]
    grid = decision_grid(
        policy,
        LS,
        {"lead_time": 2, "lost_sales_cost": 4, "demand": "poisson(2)"},
        x_values=[0, high - 1, high + 3],
        y_values=[0],
    )
    assert np.isfinite(grid.decisions[0, :2, 0]).all() and np.isnan(grid.decisions[0, 2, 0])


def test_unknown_components_and_policies_are_named():
    with pytest.raises(ValueError, match=r"no state component 'onhand'.*on_hand, pipeline_1"):
        decision_grid(BaseStock(2, 12), LS, {"lead_time": 2}, x="onhand")
    with pytest.raises(ValueError, match="fix: 'on_hand' is on an axis"):
        decision_grid(BaseStock(2, 12), LS, {"lead_time": 2}, fix={"on_hand": 1})
    with pytest.raises(ValueError, match=r"one component .*slice"):
        plot_policy(BaseStock(0, 8), "LostSales-v0")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--policy", "nope"], "'nope' is not available for LostSalesLeadTime-v0.*myopic2"),
        (["--policy", "myopic1", "--x", "stock"], "--x stock: .*components are on_hand"),
        (["--policy", "myopic1", "--fix", "pipeline_7=1"], "--fix pipeline_7: .*pipeline_3"),
        (["--policy", "myopic1", "--fix", "on_hand"], "--fix expects COMPONENT=NUMBER"),
        (["--policy", "myopic1", "--out", "x.txt"], r"write a \.png, \.pdf or \.svg"),
        ([], "give --policy"),
    ],
)
def test_plot_policy_errors_are_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as err:
        main(["plot-policy", LS, *argv])
    assert err.value.code == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line
    assert re.search(message, line), line


def test_plot_trajectory_refuses_an_unknown_policy(capsys):
    with pytest.raises(SystemExit):
        main(["plot-trajectory", "Perishable-v0", "--policy", "myopic2"])
    assert "choose from optimal, base_stock" in capsys.readouterr().err


def test_plot_policy_command_writes_a_png(tmp_path, capsys):
    table = tmp_path / "opt.npz"
    solve("Perishable-v0").save(table)
    out = tmp_path / "heat.png"
    code = main(
        [
            "plot-policy",
            "Perishable-v0",
            "--load",
            str(table),
            "--against",
            "optimal",
            "--out",
            str(out),
            "--json",
            "--quiet",
            "--dpi",
            "40",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and out.read_bytes()[:8] == PNG
    assert doc["x"] == "stock_1" and doc["y"] == "stock_2"
    # the saved table and the optimum solved again agree cell by cell
    labels = list(doc["decisions"])
    assert labels == ["optimal", "optimal (solved)"] and doc["against"] == "optimal (solved)"
    assert doc["decisions"]["optimal"]["order"] == doc["decisions"]["optimal (solved)"]["order"]


def test_plot_policy_slice_of_several_policies(tmp_path, capsys):
    out = tmp_path / "slice.png"
    code = main(
        [
            "plot-policy",
            LS,
            "--set",
            "lead_time=2",
            "--policy",
            "myopic1,myopic2",
            "--x",
            "on_hand",
            "--fix",
            "pipeline_1=4",
            "--out",
            str(out),
            "--json",
            "--quiet",
            "--dpi",
            "40",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and out.read_bytes()[:8] == PNG
    assert doc["y"] is None and doc["fixed"] == {"pipeline_1": 4.0}
    assert list(doc["decisions"]) == ["myopic1", "myopic2"]
    assert len(doc["decisions"]["myopic2"]["order"]) == len(doc["x_values"])


def test_plot_trajectory_command_writes_a_png(tmp_path, capsys):
    out = tmp_path / "traj.png"
    code = main(
        [
            "plot-trajectory",
            "DualSourcing-v0",
            "--policy",
            "optimal",
            "--seed",
            "2",
            "--out",
            str(out),
            "--json",
            "--quiet",
            "--dpi",
            "40",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and out.read_bytes()[:8] == PNG
    assert doc["periods"] == list(range(52))  # the default for a long-run problem
    assert set(doc["decisions"]) == {"regular_order", "expedited_order"}


@pytest.mark.parametrize(
    "env, kwargs",
    [
        (LS, {"lead_time": 2}),
        ("Perishable-v0", {"useful_life": 3}),
        ("ProcurementRemoval-v0", {"season_length": 8}),
    ],
)
def test_trajectory_is_the_kernel_rollout(env, kwargs):
    inst = make_instance(env, kwargs)
    problem, params = inst.problem, inst.params

    def policy(obs):  # orders up to 9 units of stock in the system, removes nothing
        position = (
            obs[:, :-1].sum(axis=1) if problem.name == "procurement_removal" else obs.sum(axis=1)
        )
        order = np.maximum(9 - position, 0)
        return order if problem.action_dim == 1 else np.stack([order, 0 * order], axis=1)

    traj = simulate_trajectory(policy, env, kwargs, periods=8, seed=4)
    state = problem.state_from_features(traj.states[:1], params)
    for t in range(8):
        features = np.stack(problem.state_columns(state, params), axis=1)
        np.testing.assert_array_equal(features[0], traj.states[t])
        action = np.rint(policy(features))
        np.testing.assert_array_equal(action.reshape(-1), traj.decisions[t])
        act = action if problem.action_dim == 1 else tuple(action.T)
        state, costs, flows = problem.transition(state, act, traj.demand[t : t + 1], params, np)
        assert float(costs.total()[0]) == pytest.approx(traj.cost[t])
        for name in flows._fields:
            assert float(getattr(flows, name)[0]) == pytest.approx(traj.flows[name][t])
    if traj.position is not None:
        np.testing.assert_allclose(traj.position, traj.states @ problem.position_weights(params))


def test_the_figures_have_titles_and_labels():
    fig = plot_policy_slice([BaseStock(2, 14)], LS, {"lead_time": 2}, x="on_hand")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "on hand (units)" and ax.get_ylabel() == "order (units)"
    assert "fixed: pipeline_1 = " in fig.get_suptitle()
    fig = plot_trajectory(BaseStock(2, 14), LS, {"lead_time": 2}, periods=10)
    assert [a.get_ylabel() for a in fig.axes] == ["units", "units", "units", "cost per period"]
    assert fig.axes[-1].get_xlabel() == "period t"
