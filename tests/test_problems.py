"""Problem descriptors, instances as values, named state access and what finds them by name."""

from __future__ import annotations

import numpy as np
import pytest

import inventory_gym
from baselines.registry import entries
from dbp.kinds import KINDS, check_fits
from inventory_gym import make_instance, problem_of
from inventory_gym.core.problem import pipeline_length


def test_make_instance_reads_the_spec_without_an_env(monkeypatch):
    import gymnasium as gym

    def no_env(*args, **kwargs):
        raise AssertionError("make_instance built an env")

    monkeypatch.setattr(gym, "make", no_env)
    monkeypatch.setattr(gym, "make_vec", no_env)
    found = make_instance("LostSalesLeadTime-v0", lead_time=2, demand_window=3)
    assert found.params.lead_time == 2 and found.params.lost_sales_cost == 9.0  # registered
    assert found.shell.demand_window == 3 and found.params_kwargs == {"lead_time": 2}
    assert found.problem is problem_of("LostSalesLeadTime-v0")
    assert make_instance(found) is found
    assert make_instance(found, lead_time=3).params.lead_time == 3
    assert found.to_dict() == {
        "env_id": "LostSalesLeadTime-v0",
        "env_kwargs": {"lead_time": 2, "demand_window": 3},
        "problem": "lost_sales",
    }


@pytest.mark.parametrize(
    ("env_id", "kwargs", "message"),
    [
        ("NoSuchEnv-v0", {}, "NoSuchEnv-v0"),
        ("CartPole-v1", {}, "not an inventory-gym env"),
        ("LostSalesLeadTime-v0", {"lead_tim": 2}, "lead_tim=2"),
        ("LostSalesLeadTime-v0", {"lead_time": -1}, "lead_time"),
        ("LostSalesLeadTime-v0", {"num_envs": 4}, "num_envs"),
        ("Perishable-v0", {"issuing": "oldest"}, "issuing"),
    ],
)
def test_make_instance_errors_name_the_problem(env_id, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_instance(env_id, **kwargs)


def test_pipeline_length_is_one_rule():
    assert [pipeline_length(lead) for lead in (0, 1, 2, 5)] == [0, 0, 1, 4]
    for env_id, kwargs, names in [
        ("LostSalesLeadTime-v0", {"lead_time": 3}, ("on_hand", "pipeline_1", "pipeline_2")),
        ("LostSales-v0", {}, ("on_hand",)),
        ("Perishable-v0", {"useful_life": 2, "lead_time": 2}, ("stock_1", "stock_2", "pipeline_1")),
        (
            "DualSourcing-v0",
            {"regular_lead_time": 3, "expedited_lead_time": 2},
            ("inventory", "regular_1", "regular_2", "expedited_1"),
        ),
    ]:
        found = make_instance(env_id, **kwargs)
        assert found.problem.state_feature_names(found.params) == names
        assert found.state_dim == len(names)


def test_parts_read_the_state_by_name_and_check_the_width():
    found = make_instance("Perishable-v0", useful_life=3, lead_time=2, demand_window=2)
    obs = np.arange(12.0).reshape(2, 6)  # 3 stock, 1 pipeline, 2 demand lags
    parts = found.problem.parts(obs, found.params)
    np.testing.assert_array_equal(parts["stock"], obs[:, :3])
    np.testing.assert_array_equal(parts["pipeline"], obs[:, 3:4])
    np.testing.assert_array_equal(found.problem.inventory_position(obs, found.params), [6, 30])
    state = found.problem.observe_state(obs, found.params)
    assert len(state.stock) == 3 and len(state.pipeline) == 1
    with pytest.raises(ValueError, match="4 state columns"):
        found.problem.parts(obs[:, :3], found.params)


def test_every_packaged_problem_is_discovered_with_its_declarations():
    names = {problem.name for problem in inventory_gym.PROBLEMS}
    assert names == {"lost_sales", "perishable", "dual_sourcing", "procurement_removal"}
    for problem in inventory_gym.PROBLEMS:
        assert problem.registrations and all(reg.note for reg in problem.registrations)
        assert "optimal" in entries(problem)
        assert entries(problem) == entries(problem.name)


def test_network_kinds_say_which_problems_they_fit():
    assert set(KINDS) == {"mlp", "base_stock", "capped_base_stock", "monotone", "interval"}
    perishable = make_instance("Perishable-v0")
    dual = make_instance("DualSourcing-v0")
    lost = make_instance("LostSalesLeadTime-v0")
    for name in KINDS:
        if name != "interval":
            check_fits(name, lost.problem, lost.params)
    with pytest.raises(ValueError, match="'interval' network does not fit the lost_sales"):
        check_fits("interval", lost.problem, lost.params)
    check_fits("base_stock", perishable.problem, perishable.params)
    with pytest.raises(ValueError, match="'monotone' network does not fit the perishable"):
        check_fits("monotone", perishable.problem, perishable.params)
    with pytest.raises(ValueError, match=r"2 decisions.*kinds that fit: mlp"):
        check_fits("base_stock", dual.problem, dual.params)


def test_training_a_kind_on_a_problem_it_does_not_fit_is_an_error():
    from dbp import TrainConfig, train

    with pytest.raises(ValueError, match="'monotone' network does not fit"):
        train(("Perishable-v0", {}), "monotone", TrainConfig(max_steps=1), progress=False)
