"""PPO from stable-baselines3 through the native batched env and the harness (baselines.ppo)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from baselines.ppo import PPOConfig, PPOPolicy, is_saved_policy, load, train_ppo
from inventory_gym.evaluation import compare, evaluate

ENV = "LostSalesLeadTime-v0"
TINY = {
    "timesteps": 2048,
    "num_envs": 8,
    "n_steps": 64,
    "batch_size": 128,
    "n_epochs": 2,
    "eval_every": 512,
    "eval_paths": 32,
    "eval_periods": 50,
    "eval_burn_in": 10,
    "threads": 1,
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo")
    result = train_ppo(ENV, {"lead_time": 2}, PPOConfig(**TINY), out=out, progress=False)
    return result, out


def test_training_writes_the_run_and_keeps_the_best_policy(tiny_run):
    result, out = tiny_run
    rollout = TINY["num_envs"] * TINY["n_steps"]
    assert result.timesteps == 2048 and result.stopped == "timesteps"
    # One validation per policy update: at the start of rollouts 2, 3, 4 and at the end.
    assert [row["timesteps"] for row in result.evaluations] == [
        rollout,
        2 * rollout,
        3 * rollout,
        4 * rollout,
    ]
    assert result.best_val_cost == min(row["val_cost"] for row in result.evaluations)
    for name in ("run.json", "eval.csv", "progress.csv", "model.zip", "policy/policy.json"):
        assert (out / name).is_file(), name
    run = json.loads((out / "run.json").read_text())
    assert run["algo"] == "ppo" and run["env_kwargs"] == {"lead_time": 2}
    assert PPOConfig.from_dict(run["config"]) == PPOConfig(**TINY)
    assert (run["timesteps"], run["threads"], run["seed"], run["eval_seed"]) == (2048, 1, 0, 7919)
    with open(out / "eval.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["val_cost"]) for r in rows] == [r["val_cost"] for r in result.evaluations]
    # The kept policy scores its validation cost again on the validation paths.
    again = evaluate(
        result.policy, ENV, {"lead_time": 2}, num_paths=32, periods=50, burn_in=10, seed=7919
    )
    assert again.cost == pytest.approx(result.best_val_cost, rel=1e-9)


def test_saved_policy_gives_the_same_orders(tiny_run):
    result, out = tiny_run
    assert is_saved_policy(out) and is_saved_policy(out / "policy")
    assert not is_saved_policy(out / "nothing")
    loaded = load(out)  # a run directory reads its best policy
    obs = np.random.default_rng(0).uniform(0, 15, size=(100, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded(obs), result.policy(obs))
    assert loaded.env_options == {} and loaded.name == "ppo"
    # The header says what the file is and what it was trained on.
    header = json.loads((out / "policy" / "policy.json").read_text())
    assert header["format"] == "inventory-gym/ppo-policy" and header["version"] == 3
    assert header["algo"] == "PPO"
    assert header["problem"] == "lost_sales" == loaded.problem
    assert header["instance"] == {
        "env_id": ENV,
        "env_kwargs": {"lead_time": 2},
        "problem": "lost_sales",
    }
    assert loaded.describe() == {"kind": "ppo", "hidden": list(result.policy.meta["hidden"])}
    orders = result.policy(obs)
    assert orders.shape == (100,) and orders.dtype == np.float64
    assert (orders >= 0).all() and (orders <= loaded.action_high[0]).all()


def test_torch_observations_and_shape_errors(tiny_run):
    import torch

    policy = tiny_run[0].policy
    obs = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    out = policy(torch.as_tensor(obs))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), policy(obs), rtol=1e-6)
    with pytest.raises(ValueError, match=r"observations must be \(batch, 2\)"):
        policy(np.zeros((4, 3), np.float32))


def test_untrained_policy_orders_the_mean_demand():
    """The domain default: the first policy orders about the mean demand in every state,
    not half the maximum order."""
    config = PPOConfig(**{**TINY, "timesteps": 512, "learning_rate": 1e-12})
    result = train_ppo(ENV, {"lead_time": 1}, config, progress=False)
    obs = np.array([[0.0], [5.0], [30.0]], np.float32)
    np.testing.assert_allclose(result.policy(obs), 5.0, atol=0.3)
    middle = train_ppo(
        ENV,
        {"lead_time": 1},
        PPOConfig(**{**TINY, "timesteps": 512, "learning_rate": 1e-12, "initial_order": None}),
        progress=False,
    )
    high = middle.policy.action_high[0]
    np.testing.assert_allclose(middle.policy(obs), high / 2, atol=0.3)


@pytest.mark.parametrize(
    "demand, spread, log_std",
    [
        ("geometric(5)", 1.0, np.log(2 * 5 / 50)),  # order cap 50: lowered to a noise of 5 units
        ("geometric(5)", None, -1.0),  # no cap: log_std_init, a noise of 9.2 units
        ("poisson(5)", 1.0, -1.0),  # order cap 15: -1 is a noise of 2.8 units, under the cap
        ("poisson(5)", 0.25, np.log(2 * 0.25 * 5 / 15)),
    ],
)
def test_initial_spread_caps_the_first_noise_at_a_multiple_of_the_mean_demand(
    demand, spread, log_std
):
    """``initial_spread``: the first order's starting noise is at most that multiple of the mean
    demand, in orders; ``log_std_init`` is only ever lowered, and the mean order stays the
    mean demand."""
    config = PPOConfig(
        **{**TINY, "timesteps": 512, "learning_rate": 1e-12, "initial_spread": spread}
    )
    kwargs = {"lead_time": 1, "lost_sales_cost": 4, "demand": demand}
    result = train_ppo(ENV, kwargs, config, progress=False)
    np.testing.assert_allclose(result.model.policy.log_std.detach().numpy(), [log_std], atol=1e-5)
    obs = np.array([[0.0], [5.0], [30.0]], np.float32)
    np.testing.assert_allclose(result.policy(obs), 5.0, atol=0.3)


def test_discrete_actions_train_a_categorical_policy():
    result = train_ppo(
        ENV, {"lead_time": 1, "discrete_actions": True}, PPOConfig(**TINY), progress=False
    )
    orders = result.policy(np.array([[0.0], [7.0]], np.float32))
    np.testing.assert_array_equal(orders, np.round(orders))
    assert not result.policy.unit_actions


def test_time_budget_and_callback_stop_training():
    config = PPOConfig(**{**TINY, "timesteps": 10**7, "max_seconds": 1.0})
    result = train_ppo(ENV, {"lead_time": 1}, config, progress=False)
    assert result.stopped == "max_seconds" and result.timesteps < 10**7
    assert result.evaluations  # the policy at the stop is validated
    seen = []
    result = train_ppo(
        ENV,
        {"lead_time": 1},
        PPOConfig(**{**TINY, "timesteps": 10**7}),
        progress=False,
        callbacks=[lambda p: seen.append(p.timesteps) or len(seen) < 2],
    )
    assert result.stopped == "callback" and len(result.evaluations) == 2
    assert seen == [row["timesteps"] for row in result.evaluations]


def test_a_policy_that_reads_history_needs_it_from_the_env():
    kwargs = {"lead_time": 1, "demand_window": 3}
    result = train_ppo(ENV, kwargs, PPOConfig(**{**TINY, "timesteps": 512}), progress=False)
    assert result.policy.env_options == {"demand_window": 3}
    evaluation = evaluate(result.policy, ENV, {"lead_time": 1}, num_paths=8, periods=20)
    assert evaluation.env_kwargs["demand_window"] == 3
    with pytest.raises(ValueError, match="not a function of the state alone"):
        result.policy.state_policy()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("timesteps", 0, "timesteps must be an integer >= 1"),
        ("gamma", 1.5, "gamma must be in [0, 1]"),
        ("learning_rate", 0.0, "learning_rate must be positive"),
        ("hidden", (), "hidden must be a non-empty sequence"),
        ("hidden", (64, 0), "hidden must be a non-empty sequence"),
        ("activation", "gelu", "activation must be one of"),
        ("schedule", "cosine", "schedule must be one of"),
        ("batch_size", 10**6, "larger than a rollout"),
        ("initial_order", "max", "initial_order must be"),
        ("initial_spread", 0.0, "initial_spread must be positive"),
        ("normalize_rewards", 1, "normalize_rewards must be True or False"),
        ("max_seconds", -1.0, "max_seconds must be positive"),
        ("device", "", "device must be a string"),
    ],
)
def test_config_errors_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=rf"PPOConfig: .*{message[:20]}".replace("[", r"\[")):
        PPOConfig(**{field: value})


def test_config_round_trips_and_rejects_unknown_fields():
    config = PPOConfig(hidden=[32, 32], gamma=0.995)
    assert config.hidden == (32, 32)
    assert PPOConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['nope'\]"):
        PPOConfig.from_dict({"nope": 1})


def test_train_refuses_an_episode_length_in_the_env_kwargs():
    with pytest.raises(ValueError, match=r"PPOConfig\.max_episode_steps"):
        train_ppo(ENV, {"max_episode_steps": 10}, PPOConfig(**TINY), progress=False)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved PPO policy"):
        PPOPolicy.load(tmp_path)
    (tmp_path / "policy.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not a PPO policy file"):
        PPOPolicy.load(tmp_path)


@pytest.mark.slow
def test_ppo_beats_the_best_constant_order():
    """A short PPO run (300k steps) on L=1, p=4 beats the best constant order (exact cost
    5.07) on common random numbers, by a paired interval that excludes zero."""
    from baselines.lost_sales.heuristics import fit_constant_order

    kwargs = {"lead_time": 1, "lost_sales_cost": 4}
    config = PPOConfig(timesteps=300_000, eval_every=50_000, threads=1)
    ppo = train_ppo(ENV, kwargs, config, progress=False).policy
    constant = fit_constant_order(ENV, kwargs)
    runs = [
        evaluate(p, ENV, kwargs, num_paths=500, periods=500, burn_in=500, seed=0)
        for p in (ppo, constant)
    ]
    paired = compare(*runs)
    assert paired.ci95[1] < 0, paired


def test_untrained_policy_orders_the_mean_demand_from_the_primary_supplier():
    """With two decisions (dual sourcing), the first policy orders the mean demand from the
    regular supplier and next to nothing expedited."""
    config = PPOConfig(**{**TINY, "timesteps": 512, "learning_rate": 1e-12})
    policy = train_ppo("DualSourcing-v0", {}, config, progress=False).policy
    orders = policy(np.array([[-5.0, 0.0], [0.0, 2.0], [9.0, 4.0]], np.float32))
    assert orders.shape == (3, 2)
    np.testing.assert_allclose(orders[:, 0], 2.0, atol=0.3)  # mean of uniform{0..4}
    np.testing.assert_allclose(orders[:, 1], 0.05 * 0.5 * 8.0, atol=0.3)


def test_resume_refuses_other_settings_and_reads_no_pickle(tmp_path):
    """A resumed PPO run keeps the settings its model was built with: another value is an
    error, not silently ignored; its normalisation statistics are plain arrays."""
    from baselines.ppo import VECNORM_FILE, PPOConfig, train_ppo

    small = dict(num_envs=16, n_steps=32, batch_size=256, eval_every=1024, threads=1)
    config = PPOConfig(timesteps=1024, **small)
    train_ppo("LostSalesLeadTime-v0", {"lead_time": 1}, config, out=tmp_path, progress=False)
    with np.load(tmp_path / VECNORM_FILE, allow_pickle=False) as data:
        assert data["obs_rms_mean"].shape == (1,)
    other = PPOConfig(timesteps=2048, gamma=0.9, **small)
    with pytest.raises(ValueError, match=r"gamma=0\.9 \(the run has 0\.99\)"):
        train_ppo(
            "LostSalesLeadTime-v0",
            {"lead_time": 1},
            other,
            out=tmp_path,
            resume=True,
            progress=False,
        )
