"""The exact lost-sales optimum under time-varying demand (issue 15, item 2): the finite-horizon
DP over (period, state), its periodic variant, the exact cost of any integer policy over the
horizon by backward recursion, and `inventory-gym solve` on these instances."""

from __future__ import annotations

import json

import numpy as np
import pytest

from baselines import exact
from baselines.lost_sales import dp, horizon
from inventory_gym import make_instance
from inventory_gym.evaluation import evaluate
from inventory_gym_cli.main import main

ENV = "LostSalesLeadTime-v0"


def params(**kwargs):
    return make_instance(ENV, kwargs).params


@pytest.mark.parametrize(
    "lead, demand, periods",
    [
        (0, "lifecycle(8,4,6,5,1,2)", 15),
        (1, "regime(3,8,6)", 14),
        (2, "seasonal(5,0.5,12,0,1.5)", 20),
        (3, "trend(3,0.2)", 10),
    ],
)
def test_horizon_dp_cost_is_the_harness_cost(lead, demand, periods):
    p = params(lead_time=lead, demand=demand)
    result = horizon.solve(p, periods)
    assert result.grid_shape[0] == periods and result.bounds == (result.cost, result.cost)
    policy = result.policy()
    ev = evaluate(
        policy,
        ENV,
        {"lead_time": lead, "demand": demand},
        num_paths=3000,
        periods=periods,
        burn_in=0,
        seed=5,
    )
    assert policy.misses == 0 and policy.clock == periods
    assert abs(ev.cost - result.cost) < 4 * ev.stderr, (ev.cost, ev.stderr, result.cost)
    # The backward recursion of the optimal table gives its own cost back; a wider grid does
    # not move the optimum.
    assert horizon.policy_cost(p, policy, periods) == pytest.approx(result.cost, rel=1e-12)
    assert horizon.solve(p, periods, margin=3).cost == pytest.approx(result.cost, abs=1e-9)


def test_policy_cost_of_a_heuristic_is_exact_and_not_below_the_optimum():
    p = params(lead_time=2, demand="lifecycle(8,5,5,5,1)")
    level = 16

    def order_up_to(obs):
        obs = np.asarray(obs, dtype=np.float64)
        return np.maximum(level - obs[:, :2].sum(axis=1), 0.0)

    cost = horizon.policy_cost(p, order_up_to, 15)
    assert cost > horizon.solve(p, 15).cost
    ev = evaluate(
        order_up_to,
        ENV,
        {"lead_time": 2, "demand": "lifecycle(8,5,5,5,1)"},
        num_paths=3000,
        periods=15,
        burn_in=0,
        seed=1,
    )
    assert abs(ev.cost - cost) < 4 * ev.stderr
    with pytest.raises(ValueError, match="leaves the grid"):
        horizon.policy_cost(p, lambda obs: np.full(len(obs), 40.0), 15, margin=0)


def test_offset_is_the_demand_window():
    """With a demand window of w the episode starts at demand period w: the table solved with
    offset w asks the env for that window and matches the harness."""
    demand = "regime(3,9,8)"
    p = params(lead_time=1, demand=demand)
    result = horizon.solve(p, 10, offset=6)
    policy = result.policy()
    assert policy.env_options == {"demand_window": 6}
    ev = evaluate(
        policy,
        ENV,
        {"lead_time": 1, "demand": demand},
        num_paths=3000,
        periods=10,
        burn_in=0,
        seed=2,
    )
    assert ev.env_kwargs["demand_window"] == 6
    assert abs(ev.cost - result.cost) < 4 * ev.stderr
    assert result.cost != pytest.approx(horizon.solve(p, 10).cost, rel=1e-3)


def test_periodic_dp_matches_the_stationary_one_without_a_season_and_the_harness_with_one():
    flat = params(lead_time=2, lost_sales_cost=4, demand="seasonal(5,0,4)")
    stationary = dp.solve(params(lead_time=2, lost_sales_cost=4, demand="poisson(5)"))
    assert horizon.solve_periodic(flat).cost == pytest.approx(stationary.cost, abs=1e-6)
    demand = "seasonal(5,0.6,6)"
    p = params(lead_time=1, demand=demand)
    result = horizon.solve_periodic(p)
    assert result.upper - result.lower < 1e-6 and result.name == "dp_periodic"
    ev = evaluate(
        result.policy(),
        ENV,
        {"lead_time": 1, "demand": demand},
        num_paths=400,
        periods=600,
        burn_in=60,
        seed=3,
    )
    assert abs(ev.cost - result.cost) < 4 * ev.stderr
    # The finite-horizon values grow by the periodic optimum per period (the start-up cost of
    # the empty system cancels in the difference).
    grow = (horizon.solve(p, 240).cost * 240 - horizon.solve(p, 120).cost * 120) / 120
    assert grow == pytest.approx(result.cost, rel=1e-3)


def test_a_52_period_seasonal_instance_with_lead_time_2_is_solved():
    """The instance of issue 15's speed target (its time is measured in
    benchmarks/nonstationary.py, never asserted here)."""
    p = params(lead_time=2, demand="seasonal(8,0.5,52,0,2)")
    result = horizon.solve(p, 52)
    assert result.grid_shape[0] == 52 and np.isfinite(result.cost)


def test_solver_interface_and_saved_tables(tmp_path):
    solver = exact.solver("lost_sales")
    p = params(lead_time=1, demand="lifecycle(6,3,4,3)")
    assert solver.unavailable(p) is None
    result = solver.solve(p, discount=None, margin=0, progress=False)
    assert result.grid_shape[0] == 10  # the life cycle's reference periods
    with pytest.raises(ValueError, match="undiscounted"):
        solver.solve(p, discount=0.9, margin=0, progress=False)
    path = result.save(tmp_path / "life.npz")
    table = exact.load_table(path)
    assert isinstance(table, horizon.HorizonPolicy)
    np.testing.assert_array_equal(table.orders, result.orders)
    season = params(lead_time=1, demand="seasonal(4,0.5,8)")
    assert solver.solve(season, discount=None, margin=0, progress=False).name == "dp_periodic"
    assert "known law" in solver.unsupported(
        params(
            demand=__import__("inventory_gym.demand", fromlist=["Replay"]).Replay(np.arange(5.0))
        )
    )


def test_cli_solves_time_varying_instances(capsys, tmp_path):
    out = tmp_path / "season.npz"
    code = main(
        [
            "solve",
            ENV,
            "--set",
            "lead_time=2",
            "--set",
            "demand=seasonal(5,0.5,52)",
            "--json",
            "--out",
            str(out),
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["grid"][0] == 52 and out.exists()
    assert doc["cost"] == pytest.approx(
        horizon.solve_periodic(params(lead_time=2, demand="seasonal(5,0.5,52)")).cost
    )
