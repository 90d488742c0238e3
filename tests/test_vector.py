"""The native vector env: make_vec, autoreset modes, partial resets, backends, gradients."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode

import inventory_gym  # noqa: F401
from inventory_gym.demand import Replay
from inventory_gym.envs.lost_sales import LostSalesVectorEnv

ID = "LostSalesLeadTime-v0"


def make(num_envs=3, **kwargs):
    return gym.make_vec(ID, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)


def test_make_vec_returns_the_native_env():
    env = make(4, lead_time=2)
    assert isinstance(env, LostSalesVectorEnv)
    assert env.num_envs == 4 and env.params.lead_time == 2
    assert env.observation_space.shape == (4, 2)
    assert env.action_space.shape == (4, 1)
    assert env.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    assert env.max_episode_steps == gym.spec(ID).max_episode_steps


def test_next_step_autoreset():
    env = make(2, lead_time=1, max_episode_steps=3, initial_on_hand=4.0)
    env.reset(seed=0)
    actions = np.full((2, 1), 5.0)
    for _ in range(2):
        _, _, _, truncated, _ = env.step(actions)
        assert not truncated.any()
    obs, reward, terminated, truncated, _ = env.step(actions)
    assert truncated.all() and not terminated.any()
    obs, reward, terminated, truncated, info = env.step(actions)
    # The step after the truncation restarts: initial observation, zero reward, and the
    # period's info entries are masked out.
    assert obs.tolist() == [[4.0], [4.0]]
    assert reward.tolist() == [0.0, 0.0]
    assert not truncated.any()
    assert not info["_cost"].any() and not info["_sales"].any()
    _, _, _, truncated, _ = env.step(actions)
    assert not truncated.any()


def test_same_step_autoreset_keeps_the_final_observation():
    env = make(
        2,
        lead_time=1,
        max_episode_steps=2,
        initial_on_hand=4.0,
        max_order=10,
        autoreset_mode=AutoresetMode.SAME_STEP,
        demand=Replay(np.zeros((2, 10))),
    )
    assert env.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    env.reset(seed=0)
    env.step(np.full(2, 3.0))  # zero demand: y = 4 + 3
    obs, reward, _, truncated, info = env.step(np.full(2, 1.0))
    assert truncated.all()
    assert obs.tolist() == [[4.0], [4.0]]  # already reset
    assert info["final_obs"].tolist() == [[8.0], [8.0]]
    assert info["_final_obs"].tolist() == [True, True]
    assert reward.tolist() == [-7.0, -7.0]  # holding 7 units at h = 1


def test_disabled_autoreset_and_reset_mask():
    env = make(
        3,
        lead_time=1,
        max_episode_steps=2,
        autoreset_mode="Disabled",
        demand=Replay(np.tile(np.arange(10.0), (3, 1))),
    )
    env.reset(seed=0)
    for _ in range(2):
        env.step(np.full(3, 9.0))
    obs, _, _, truncated, info = env.step(np.full(3, 9.0))
    assert truncated.all()  # no automatic reset
    mask = np.array([True, False, False])
    obs, _ = env.reset(options={"reset_mask": mask})
    assert obs[0].tolist() == [0.0] and obs[1].tolist() != [0.0]
    # The reset row replays its series from the start, the others keep their clock.
    _, _, _, _, info = env.step(np.full(3, 0.0))
    assert info["demand"].tolist() == [0.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="reset_mask"):
        env.reset(options={"reset_mask": np.array([1, 0, 0])})


def test_infos_are_arrays_with_masks():
    env = make(5)
    env.reset(seed=1)
    _, reward, _, _, info = env.step(np.full(5, 5.0))
    for key in ("holding_cost", "lost_sales_cost", "purchase_cost", "sales", "lost", "cost"):
        assert info[key].shape == (5,) and info["_" + key].all()
    np.testing.assert_array_equal(-reward, info["cost"])
    np.testing.assert_array_equal(info["sales"] + info["lost"], info["demand"])


def test_actions_out_of_bounds_are_clipped_and_bad_shapes_rejected():
    env = make(3)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([-4.0, 7.0, 99.0]))
    assert info["order"].tolist() == [0.0, 7.0, 15.0]
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        env.step(np.array([1.0, np.inf, 2.0]))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"num_envs": 0}, "num_envs"),
        ({"backend": "jax"}, "backend"),
        ({"differentiable": True}, "backend='torch'"),
        ({"backend": "torch", "dtype": "float16"}, "dtype"),
        ({"device": "cuda"}, "backend='torch'"),
        ({"max_episode_steps": 0}, "max_episode_steps"),
        ({"demand": Replay(np.ones((3, 5)))}, "max_episode_steps"),
    ],
)
def test_bad_vector_options(kwargs, fragment):
    num_envs = kwargs.pop("num_envs", 3)
    with pytest.raises(ValueError, match=fragment):
        make(num_envs, **kwargs)


def test_torch_backend_returns_tensors():
    env = make(4, backend="torch")
    obs, _ = env.reset(seed=0)
    assert isinstance(obs, torch.Tensor) and obs.dtype == torch.float32 and obs.shape == (4, 4)
    obs, reward, terminated, truncated, info = env.step(torch.full((4, 1), 5.0))
    assert isinstance(reward, torch.Tensor) and isinstance(truncated, torch.Tensor)
    assert terminated.dtype == torch.bool and not terminated.any()
    assert isinstance(info["cost"], torch.Tensor)
    assert not obs.requires_grad
    # Actions that require grad are detached unless the env is differentiable.
    action = torch.full((4,), 5.0, requires_grad=True)
    _, reward, *_ = env.step(action)
    assert not reward.requires_grad


def test_differentiable_rollout_carries_the_graph_through_the_pipeline():
    # L = 3: the first order reaches on-hand stock after 3 periods and only affects the cost
    # from then on. The graph must survive the steps in between.
    env = make(2, lead_time=3, backend="torch", differentiable=True, dtype="float64")
    env.reset(seed=0)
    first = torch.tensor([6.3, 2.7], dtype=torch.float64, requires_grad=True)
    costs = []
    _, reward, *_ = env.step(first)
    costs.append(-reward)
    for _ in range(5):
        obs, reward, *_ = env.step(torch.full((2,), 4.2, dtype=torch.float64))
        costs.append(-reward)
    assert obs.requires_grad
    grads = [
        torch.autograd.grad(c.sum(), first, retain_graph=True, allow_unused=True)[0]
        if c.requires_grad
        else None
        for c in costs
    ]
    assert all(g is None or (g == 0).all() for g in grads[:3])
    assert any(g is not None and (g != 0).any() for g in grads[3:])
    # A full reset starts a fresh graph.
    obs, _ = env.reset()
    assert not obs.requires_grad


def test_gradient_at_the_order_bounds():
    # clamp semantics: an order exactly at max_order keeps its gradient, beyond it has none.
    env = make(
        3,
        lead_time=0,
        backend="torch",
        differentiable=True,
        dtype="float64",
        max_order=10,
        demand=Replay(np.full((3, 4), 20.0)),
        max_episode_steps=4,
    )
    env.reset(seed=0)
    orders = torch.tensor([10.0, 12.0, 5.0], dtype=torch.float64, requires_grad=True)
    _, reward, *_ = env.step(orders)
    (-reward.sum()).backward()
    # All demand is lost at the margin: each unit ordered saves p = 9.
    assert orders.grad.tolist() == [-9.0, 0.0, -9.0]


def test_vector_render_lists_envs():
    env = make(3, render_mode="ansi")
    env.reset(seed=0)
    env.step(np.full(3, 5.0))
    lines = env.render().splitlines()
    assert len(lines) == 3 and lines[0].startswith("env 0 t=1 order=")


# -- the demand sampler, the observation buffer, the numpy action path ---------------------------
def _demands(env, steps, action=5.0):
    out = []
    for _ in range(steps):
        info = env.step(np.full(env.num_envs, action))[4]
        out.append(info["demand"])
    return np.array(out)


def test_table_sampler_is_the_models_law_in_the_kernels_layout():
    from inventory_gym.demand import Poisson

    n, steps = 64, 300  # two blocks of 256 periods, the second one partly
    env = gym.make_vec(ID, num_envs=n, vectorization_mode="vector_entry_point")
    env.reset(seed=9)
    demand = _demands(env, steps)
    # The table's draws, (periods, envs) in memory order: each step reads one row.
    block = Poisson(5).alias_table().fill(np.random.default_rng(9), np.empty((256, n)))
    np.testing.assert_array_equal(demand[:256], block)
    assert abs(demand.mean() - 5.0) < 5 * np.sqrt(5.0 / demand.size)


def test_model_sampler_keeps_the_models_own_draws():
    from inventory_gym.demand import Poisson

    n = 16
    env = gym.make_vec(
        ID, num_envs=n, vectorization_mode="vector_entry_point", demand_sampler="model"
    )
    env.reset(seed=4)
    expected = Poisson(5).sample(np.random.default_rng(4), n, 256).T
    np.testing.assert_array_equal(_demands(env, 40), expected[:40])


def test_single_env_and_one_row_vector_env_see_the_same_demand():
    single = gym.make(ID)
    vec = gym.make_vec(ID, num_envs=1, vectorization_mode="vector_entry_point")
    single.reset(seed=2)
    vec.reset(seed=2)
    a = [single.step(np.array([5.0]))[4]["demand"] for _ in range(300)]
    np.testing.assert_array_equal(a, _demands(vec, 300)[:, 0])


@pytest.mark.parametrize("sampler", ["none", "Table"])
def test_bad_demand_sampler(sampler):
    for make in (gym.make, lambda i, **k: gym.make_vec(i, num_envs=2, **k)):
        with pytest.raises(ValueError, match=r"demand_sampler must be one of .*'table'"):
            make(ID, demand_sampler=sampler)


def test_observations_and_infos_never_share_memory_across_steps():
    env = gym.make_vec(ID, num_envs=8, vectorization_mode="vector_entry_point", demand_window=2)
    obs0, _ = env.reset(seed=0)
    obs1, _, _, _, info1 = env.step(np.full(8, 5.0))
    obs2, _, _, _, info2 = env.step(np.full(8, 5.0))
    assert obs1.dtype == np.float32 and obs1.flags.c_contiguous
    for a, b in ((obs0, obs1), (obs1, obs2), (info1["demand"], info2["demand"])):
        assert not np.shares_memory(a, b)
    kept = info1["demand"].copy()
    for _ in range(600):  # past several demand blocks
        env.step(np.full(8, 5.0))
    np.testing.assert_array_equal(info1["demand"], kept)


@pytest.mark.parametrize(
    "kwargs", [{}, {"integer_actions": True}, {"integer_actions": True, "max_order": 7.5}]
)
def test_numpy_action_path_matches_prepare_actions(kwargs):
    from inventory_gym.core.shell import prepare_actions

    env = gym.make_vec(ID, num_envs=6, vectorization_mode="vector_entry_point", **kwargs).unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(1)
    for dtype, shape in ((np.float32, (6,)), (np.float64, (6, 1)), (np.float16, (6,))):
        raw = (rng.normal(4, 8, size=shape) * 1.7).astype(dtype)
        raw[0] = 1e30 if dtype != np.float16 else 6e4  # far above the bound
        raw[1] = -0.0
        fast = env._to_action(raw)
        shared = prepare_actions(
            np.asarray(raw, dtype=np.float64),
            env.problem,
            env.params,
            env._state,
            env._box,
            np,
            batch=6,
            integer=env.config.integer_actions,
        )[:, 0]
        np.testing.assert_array_equal(fast, shared)
        assert fast.dtype == np.float64
    for bad in (np.inf, -np.inf, np.nan):
        raw = np.full(6, 3.0, dtype=np.float32)
        raw[3] = bad
        with pytest.raises(ValueError, match="finite"):
            env.step(raw)
    # Finite actions far above the bound are clipped, as the shared path does.
    huge = np.full(6, 1e308)
    high = np.floor(env.layout.action_high[0]) if kwargs else env.layout.action_high[0]
    np.testing.assert_array_equal(env._to_action(huge), np.full(6, high))
