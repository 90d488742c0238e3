"""The stable-baselines3 VecEnv adapter over the native batched core (inventory_gym.sb3)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecFrameStack, VecMonitor, VecNormalize

import inventory_gym  # noqa: F401  (registers the envs)
from inventory_gym.sb3 import InventorySB3VecEnv, make_sb3_vec_env

ENV = "LostSalesLeadTime-v0"


def test_reset_and_step_follow_the_vecenv_contract():
    env = InventorySB3VecEnv(ENV, 6, lead_time=3, seed=1)
    obs = env.reset()
    assert obs.shape == (6, 3) and obs.dtype == np.float32
    assert env.observation_space.contains(obs[0])
    obs, rewards, dones, infos = env.step(np.full((6, 1), 4.0, np.float32))
    assert obs.shape == (6, 3) and obs.dtype == np.float32
    assert rewards.shape == (6,) and rewards.dtype == np.float32
    assert dones.shape == (6,) and dones.dtype == np.bool_ and not dones.any()
    assert isinstance(infos, list) and len(infos) == 6
    assert all(info == {} for info in infos)
    assert len({id(info) for info in infos}) == 6  # one dict per env, safe to mutate


def test_matches_the_native_env_step_for_step():
    """Same seed and orders: the adapter's observations and rewards are the native env's."""
    native = gym.make_vec(
        ENV,
        num_envs=5,
        vectorization_mode="vector_entry_point",
        lead_time=2,
        autoreset_mode="SameStep",
    )
    env = InventorySB3VecEnv(ENV, 5, lead_time=2, seed=11)
    obs_a = env.reset()
    obs_b, _ = native.reset(seed=11)
    np.testing.assert_array_equal(obs_a, obs_b)
    orders = np.random.default_rng(0).integers(0, 10, size=(30, 5, 1)).astype(np.float32)
    for action in orders:
        obs_a, reward_a, _, _ = env.step(action)
        obs_b, reward_b, _, _, _ = native.step(action[:, 0])
        np.testing.assert_array_equal(obs_a, obs_b)
        np.testing.assert_array_equal(reward_a, reward_b.astype(np.float32))


def test_same_step_reset_reports_the_terminal_observation():
    env = InventorySB3VecEnv(ENV, 4, lead_time=2, max_episode_steps=3, seed=0)
    first = env.reset()
    trajectory = [first]
    action = np.full((4, 1), 6.0, np.float32)
    for _ in range(2):
        obs, _, dones, infos = env.step(action)
        assert not dones.any()
        trajectory.append(obs)
    # The third period ends the episode: the env restarts in the same step.
    obs, _, dones, infos = env.step(action)
    assert dones.all()
    np.testing.assert_array_equal(obs, first)  # the starting state (empty)
    for i, info in enumerate(infos):
        assert info["TimeLimit.truncated"] is True
        terminal = info["terminal_observation"]
        assert terminal.shape == (2,) and terminal.dtype == np.float32
        # The terminal observation is the state after the third period: the pipeline holds
        # the last order, and it differs from the restarted observation.
        assert terminal[1] == 6.0
        assert not np.array_equal(terminal, obs[i])
    # ...and the next episode runs on.
    obs, _, dones, _ = env.step(action)
    assert not dones.any()


def test_unit_actions_map_onto_zero_to_max_order():
    env = InventorySB3VecEnv(ENV, 4, unit_actions=True, lead_time=1, max_order=20, seed=0)
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    actions = np.array([[-1.0], [0.0], [1.0], [3.0]], np.float32)
    np.testing.assert_allclose(env.orders(actions), [0.0, 10.0, 20.0, 20.0])
    env.reset()
    env.step(actions)
    np.testing.assert_allclose(env.env._last_info["order"], [0.0, 10.0, 20.0, 20.0])


def test_seed_applies_at_the_next_reset():
    def run(env):
        env.seed(5)
        env.reset()
        return [env.step(np.full((3, 1), 5.0, np.float32))[1] for _ in range(20)]

    a, b = InventorySB3VecEnv(ENV, 3), InventorySB3VecEnv(ENV, 3)
    np.testing.assert_array_equal(run(a), run(b))
    a.seed(6)
    a.reset()
    other = [a.step(np.full((3, 1), 5.0, np.float32))[1] for _ in range(20)]
    assert not np.array_equal(run(b), other)


def test_info_keywords_copy_the_envs_info():
    env = make_sb3_vec_env(ENV, 3, {"lead_time": 2}, info_keywords=("cost", "lost"), seed=0)
    env.reset()
    _, rewards, _, infos = env.step(np.zeros((3, 1), np.float32))
    np.testing.assert_allclose([info["cost"] for info in infos], -rewards, rtol=1e-6)
    assert all("lost" in info for info in infos)


def test_works_under_vecmonitor_vecnormalize_and_framestack():
    env = VecNormalize(
        VecMonitor(InventorySB3VecEnv(ENV, 4, lead_time=2, max_episode_steps=5, seed=0)),
        gamma=0.99,
    )
    env = VecFrameStack(env, n_stack=2)
    obs = env.reset()
    assert obs.shape == (4, 4)
    returns = np.zeros(4)
    raw = env.venv.venv  # VecMonitor
    for _ in range(5):
        obs, _, dones, infos = env.step(np.full((4, 1), 5.0, np.float32))
        returns += env.venv.get_original_reward()
    assert dones.all()
    for i, info in enumerate(infos):
        # VecMonitor's episode summary: the undiscounted return and the length.
        assert info["episode"]["l"] == 5
        assert info["episode"]["r"] == pytest.approx(returns[i], rel=1e-5)
        assert "terminal_observation" in info
    assert isinstance(raw, VecMonitor)


def test_attribute_access_and_methods():
    env = InventorySB3VecEnv(ENV, 3, lead_time=2, render_mode="ansi")
    assert env.get_attr("max_episode_steps") == [1000, 1000, 1000]
    assert env.get_attr("num_envs", indices=[0]) == [3]
    assert env.env_is_wrapped(gym.Wrapper) == [False, False, False]
    env.set_attr("max_episode_steps", 7)
    assert env.env.max_episode_steps == 7
    with pytest.raises(ValueError, match="indices must select all of them"):
        env.set_attr("max_episode_steps", 7, indices=[0])
    env.reset()
    text = env.env_method("render")
    assert len(text) == 3 and text[0].startswith("env 0 t=0")
    with pytest.raises(NotImplementedError, match="ansi"):
        env.get_images()
    assert "LostSalesLeadTime-v0" in repr(env)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: InventorySB3VecEnv(ENV, 2, backend="torch"), "backend='torch'"),
        (
            lambda: InventorySB3VecEnv(
                gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
            ),
            "same-step autoreset",
        ),
        (
            lambda: InventorySB3VecEnv(ENV, 2, unit_actions=True, discrete_actions=True),
            "Discrete actions",
        ),
        (lambda: InventorySB3VecEnv(ENV, 2, unit_actions=1), "unit_actions must be True or False"),
        (lambda: InventorySB3VecEnv("NoSuchEnv-v0", 2), "NoSuchEnv-v0"),
        (
            lambda: InventorySB3VecEnv(
                gym.make_vec(
                    ENV,
                    num_envs=2,
                    vectorization_mode="vector_entry_point",
                    autoreset_mode="SameStep",
                ),
                lead_time=2,
            ),
            "apply to an env id",
        ),
        (lambda: InventorySB3VecEnv(ENV, 2, lead_time=-1), "lead_time"),
    ],
)
def test_bad_input_is_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_step_wait_without_step_async():
    env = InventorySB3VecEnv(ENV, 2)
    env.reset()
    with pytest.raises(RuntimeError, match="step_async"):
        env.step_wait()


@pytest.mark.filterwarnings("ignore:.*render_mode='rgb_array'")
def test_sb3_make_vec_env_works_on_the_registered_ids():
    """SB3's make_vec_env asks for render_mode='rgb_array' first (and retries without it on a
    TypeError, which the envs' render-mode error is): the single envs accept it, and draw
    nothing until render() is called."""
    env = make_vec_env(ENV, n_envs=2, env_kwargs={"lead_time": 2})
    obs = env.reset()
    assert obs.shape == (2, 2)


def test_flat_discrete_actions_enumerate_the_order_vectors():
    env = InventorySB3VecEnv("DualSourcing-v0", 3, flat_discrete=True, max_order=3, seed=0)
    assert env.action_space == gym.spaces.Discrete(16) and env.action_counts == (4, 4)
    np.testing.assert_array_equal(env.orders(np.array([0, 6, 15])), [[0, 0], [1, 2], [3, 3]])
    env.reset()
    env.step(np.array([0, 6, 15]))
    np.testing.assert_array_equal(env.env._last_info["order"], [[0, 0], [1, 2], [3, 3]])
    one = InventorySB3VecEnv(ENV, 2, flat_discrete=True, max_order=4)
    assert one.action_space == gym.spaces.Discrete(5)
    np.testing.assert_array_equal(one.orders(np.array([1, 4])), [1.0, 4.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"flat_discrete": True, "unit_actions": True}, "exclude each other"),
        ({"flat_discrete": True, "max_order": 2.5}, "integer max orders"),
        ({"flat_discrete": True, "discrete_actions": True}, "enumerates Box actions"),
        ({"flat_discrete": 1}, "flat_discrete must be True or False"),
    ],
)
def test_flat_discrete_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InventorySB3VecEnv(ENV, 2, **kwargs)


def test_flat_discrete_refuses_too_many_order_vectors():
    from inventory_gym.sb3 import flat_action_counts

    assert flat_action_counts([2.0, 3.0]) == (3, 4)
    with pytest.raises(ValueError, match="301 x 301 = 90601 order vectors"):
        flat_action_counts([300.0, 300.0])
