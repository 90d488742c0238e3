"""The conformance suite of ``inventory_gym.testing`` over every registered id and every option
set the problems declare (``Problem.conformance_cases``)."""

from __future__ import annotations

import gymnasium as gym
import pytest

import inventory_gym
from inventory_gym import testing

CHECKS = testing.CHECKS
CASES = testing.conformance_cases()


# Drawing is slow next to stepping: the pictures are checked on every id's defaults, the
# other checks on every option set.
PICTURE_CHECKS = {"check_render"}


@pytest.mark.parametrize(
    ("env_id", "kwargs", "check"),
    [
        pytest.param(env_id, kwargs, check, id=f"{env_id}-{label}-{check.__name__}")
        for check in CHECKS
        for env_id, label, kwargs in CASES
        if label == "defaults" or check.__name__ not in PICTURE_CHECKS
    ],
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
