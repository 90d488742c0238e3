"""DirectBackprop across products (issue 15, item 4): the simulator draws time-varying demand
at its clock (the history window is periods 0 .. window - 1, the episode starts at period
window, as in the envs), and one network trains on several products from their history."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dbp import TrainConfig, train
from dbp.rollout import Simulator, resolve_instances
from inventory_gym.demand import Products, RegimeSwitch

ENV = "LostSalesLeadTime-v0"


class Constant(torch.nn.Module):
    def forward(self, features, history, static, encoded=None):
        return torch.zeros(features.shape[0], 1, dtype=features.dtype)


def test_simulator_draws_each_period_from_its_law():
    # Mean 0.5 before period 6, 40 from it: the window (4 periods) is low, the episode's first
    # two periods too, then the demand jumps.
    insts = resolve_instances([(ENV, {"lead_time": 1, "demand": RegimeSwitch(0.5, 40, 6)})])
    sim = Simulator(
        insts,
        2000,
        state_dim=1,
        window=4,
        static=False,
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
        dtype=torch.float64,
    )
    sim.reset()
    assert sim.clock == 4 and sim.history.mean() < 1
    demand = sim.sample(4)
    means = demand.mean(dim=0).numpy()
    assert means[0] < 1 and means[1] < 1 and means[2] > 35 and means[3] > 35
    for t in range(4):
        sim.step(Constant(), demand[:, t])
    assert sim.clock == 8 and sim.sample(1).mean() > 35
    # The history window now holds the episode's last demands.
    torch.testing.assert_close(sim.history, demand)


def test_products_per_row_and_replays_are_refused():
    with pytest.raises(ValueError, match="own instance"):
        resolve_instances([(ENV, {"demand": Products((RegimeSwitch(1, 2, 3),))})])


def test_one_network_trains_on_several_time_varying_products():
    products = ["seasonal(5,0.5,12)", "lifecycle(8,4,4,4,1,2)", "regime(3,7,10)"]
    config = TrainConfig(
        max_steps=3,
        batch_size=24,
        horizon=12,
        burn_in=0,
        carry_state=False,
        eval_every=3,
        eval_paths=8,
        eval_periods=12,
        eval_burn_in=0,
        threads=1,
    )
    result = train(
        [(ENV, {"lead_time": 1, "demand": d}) for d in products],
        "base_stock",
        config,
        window=12,
        progress=False,
    )
    assert np.all(np.isfinite(list(result.val_costs.values())))


@pytest.mark.slow
def test_dbp_on_two_seasonal_products_beats_the_moving_average_baseline():
    """One network trained on two seasonal products from their history window beats
    order-up-to on a moving average of the same window, on each product (paired paths)."""
    from baselines.pto import make_pto
    from inventory_gym import make_instance
    from inventory_gym.evaluation import compare, evaluate

    window, periods = 26, 39
    products = ["seasonal(5,0.5,13)", "seasonal(8,0.4,26,1)"]
    pairs = [(ENV, {"lead_time": 1, "demand": d, "demand_window": window}) for d in products]
    config = TrainConfig(
        max_steps=150,
        batch_size=256,
        horizon=periods,
        burn_in=0,
        carry_state=False,
        learning_rate=3e-3,
        eval_every=50,
        eval_paths=32,
        eval_periods=periods,
        eval_burn_in=0,
        threads=1,
        seed=0,
    )
    result = train(pairs, "mlp", config, window=window, progress=False)
    for env_id, kwargs in pairs:
        inst = make_instance(env_id, kwargs)
        options = {"num_paths": 400, "periods": periods, "burn_in": 0, "seed": 3}
        dbp = evaluate(result.policy, inst, **options)
        ma = evaluate(
            make_pto(inst, forecaster="moving_average", distribution="poisson", window=window),
            inst,
            **options,
        )
        diff = compare(dbp, ma)
        assert diff.ci95[1] < 0, (kwargs["demand"], dbp.cost, ma.cost, diff)
