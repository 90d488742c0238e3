"""The conformance suite of ``inventory_gym.testing`` over every registered id."""

from __future__ import annotations

import pytest

import inventory_gym
from inventory_gym import testing

IDS = inventory_gym.ENV_IDS
CHECKS = [
    testing.check_gymnasium_api,
    testing.check_sb3_api,
    testing.check_determinism,
    testing.check_pickle,
    testing.check_backend_parity,
    testing.check_single_matches_vector,
    testing.check_demand_clock,
    testing.check_random_invariants,
    testing.check_gradients,
    testing.check_bad_input,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("env_id", IDS)
def test_conformance(env_id, check):
    check(env_id)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"lead_time": 2, "demand_window": 3, "static_features": True},
        {"lead_time": 1, "integer_actions": True, "unit_cost": 2.0},
        {"lead_time": 3, "demand": "geometric(4)", "max_order": 12},
        {"lead_time": 2, "discrete_actions": True, "demand": "uniform(0,4)"},
    ],
    ids=["window+static", "integer+L1", "geometric", "discrete"],
)
def test_conformance_with_options(kwargs, check):
    check("LostSalesLeadTime-v0", **kwargs)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"regular_lead_time": 3, "expedited_lead_time": 1, "demand_window": 2},
        {"regular_lead_time": 4, "expedited_lead_time": 2, "static_features": True},
        {"regular_lead_time": 1, "integer_actions": True, "initial_inventory": -3.0},
        {"discrete_actions": True, "expedited_cost": 5.0},
    ],
    ids=["lr3-le1+window", "lr4-le2+static", "lr1+integer", "discrete"],
)
def test_dual_sourcing_conformance_with_options(kwargs, check):
    check("DualSourcing-v0", **kwargs)


def test_every_registered_id_is_checked():
    import gymnasium as gym

    ours = {
        env_id
        for env_id, spec in gym.envs.registry.items()
        if str(spec.entry_point).startswith("inventory_gym.")
    }
    assert ours == set(IDS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"useful_life": 3, "lead_time": 2, "issuing": "LIFO", "demand_window": 2},
        {"useful_life": 1, "static_features": True, "waste_cost": 10.0},
        {"useful_life": 4, "lead_time": 3, "integer_actions": True, "demand": "poisson(4)"},
        {"issuing": "lifo", "discrete_actions": True},
    ],
    ids=["m3-L2-lifo+window", "m1+static", "m4-L3+integer", "lifo+discrete"],
)
def test_perishable_conformance_with_options(kwargs, check):
    check("Perishable-v0", **kwargs)
