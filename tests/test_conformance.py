"""The conformance suite of ``inventory_gym.testing`` over every registered id and every option
set the problems declare (``Problem.conformance_cases``)."""

from __future__ import annotations

import gymnasium as gym
import pytest

import inventory_gym
from inventory_gym import testing

CHECKS = testing.CHECKS
CASES = testing.conformance_cases()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [(env_id, kwargs) for env_id, _, kwargs in CASES],
    ids=[f"{env_id}-{label}" for env_id, label, _ in CASES],
)
def test_conformance(env_id, kwargs, check):
    check(env_id, **kwargs)


def test_every_registered_id_is_checked():
    ours = {
        env_id
        for env_id, spec in gym.envs.registry.items()
        if str(spec.entry_point).startswith("inventory_gym.")
    }
    assert ours == set(inventory_gym.ENV_IDS)
    assert {env_id for env_id, label, _ in CASES if label == "defaults"} == ours


def test_every_problem_declares_bad_input_and_options():
    for problem in inventory_gym.PROBLEMS:
        assert problem.invalid_params, problem.name
        assert problem.conformance_cases, problem.name
