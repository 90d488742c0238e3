"""One interface for sb3 algorithms, DBP, the heuristics and a user's function
(baselines.algorithms)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import inventory_gym  # noqa: F401  (registers the envs)
from baselines import algorithms
from baselines.algorithms import EnvFactory, algorithm, algorithm_specs, sb3_config
from baselines.ppo import SB3Config
from inventory_gym.evaluation import evaluate

LOST = EnvFactory("LostSalesLeadTime-v0", {"lead_time": 1})
DUAL = EnvFactory("DualSourcing-v0", {})
TINY_SB3 = {
    "num_envs": 4,
    "eval_every": 256,
    "eval_paths": 8,
    "eval_periods": 20,
    "eval_burn_in": 5,
}
TINY_ALGO_KWARGS = {
    "PPO": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
    "A2C": {"n_steps": 8},
    "SAC": {"learning_starts": 64, "batch_size": 32},
    "TD3": {"learning_starts": 64, "batch_size": 32},
    "DQN": {"learning_starts": 64, "batch_size": 32},
}


@pytest.fixture
def tiny(monkeypatch):
    """Tiny settings for every sb3 algorithm (the defaults train for minutes)."""
    for algo, kwargs in TINY_ALGO_KWARGS.items():
        layer = dict(algorithms.SB3_DEFAULTS.get(algo, {}))
        layer.update(TINY_SB3)
        layer["algo_kwargs"] = {**layer.get("algo_kwargs", {}), **kwargs}
        monkeypatch.setitem(algorithms.SB3_DEFAULTS, algo, layer)
    monkeypatch.setattr(algorithms, "VALIDATION", {**algorithms.VALIDATION, "num_paths": 8})


def score(policy, envs):
    return evaluate(policy, envs.env_id, envs.kwargs, num_paths=8, periods=20, burn_in=5).cost


def test_every_listed_spec_resolves():
    specs = algorithm_specs()
    for needed in ("sb3:PPO", "sb3:A2C", "sb3:SAC", "sb3:TD3", "sb3:DQN", "dbp"):
        assert needed in specs
    for spec in specs:
        concrete = {
            "heuristic:NAME": "heuristic:base_stock",
            "package.module:function": "baselines.algorithms:best_heuristic",
        }.get(spec, spec)
        found = algorithm(concrete)
        assert found.spec == concrete and found.summary
        assert found.budget_unit in ("env steps", "gradient steps", "none", "user")


def test_default_budgets_come_from_the_problem():
    assert algorithm("sb3:PPO").default_budget("lost_sales") == 2_000_000
    assert algorithm("sb3:SAC").default_budget("lost_sales") == 200_000
    assert algorithm("dbp").default_budget("dual_sourcing") == 600
    assert algorithm("dbp").default_budget("perishable") == 1100
    assert algorithm("dbp").default_budget("lost_sales") == 400
    assert algorithm("heuristic:base_stock").default_budget("lost_sales") is None
    # A problem's SB3 overrides apply to every algorithm ("*") and to its own.
    assert sb3_config("PPO", "dual_sourcing").max_episode_steps == 256
    assert sb3_config("PPO", "lost_sales").max_episode_steps == 1000
    assert sb3_config("PPO", "dual_sourcing").initial_policy == "capped_dual_index"
    assert sb3_config("A2C", "dual_sourcing").initial_policy == "capped_dual_index"
    assert sb3_config("SAC", "dual_sourcing").initial_policy is None
    assert sb3_config("PPO", "lost_sales").initial_policy is None
    config = sb3_config("SAC", "lost_sales", budget=5000, seed=3)
    assert (config.timesteps, config.seed, config.threads) == (5000, 3, 1)
    assert config.algo_kwargs["learning_starts"] == 5000
    assert algorithms.dbp_config("perishable", 7).eval_every == 50
    assert algorithms.dbp_config("dual_sourcing").first_burn_in == 16
    assert algorithms.dbp_config("lost_sales").first_burn_in == 100
    assert sb3_config("PPO", "lost_sales").initial_spread == 1.0
    assert sb3_config("A2C", "perishable").initial_spread is None


def test_a_setting_at_its_neutral_value_is_left_out_of_the_trial_identity():
    """A field added after trials were recorded (``initial_spread``) leaves the settings of
    every problem that keeps its neutral value as they were (their old trial files stay
    valid), and is part of them where a problem sets it."""
    ppo = algorithm("sb3:PPO")
    assert "initial_spread" not in ppo.settings_of("perishable", None)
    assert ppo.settings_of("lost_sales", None)["initial_spread"] == 1.0
    assert set(algorithms.NEUTRAL_SETTINGS) <= {f.name for f in dataclasses.fields(SB3Config)} | {
        f.name for f in dataclasses.fields(algorithms.dbp_config("lost_sales"))
    }


@pytest.mark.parametrize(
    "spec, message",
    [
        ("sb3:Nope", r"'sb3:Nope'.*choose from: .*PPO"),
        ("sb3:RecurrentPPO", "not supported: its LSTM policy"),
        ("heuristic:nope", r"no problem has a policy named 'nope'; choose from: .*base_stock"),
        ("ppo", r"unknown algorithm spec 'ppo'; choose from: sb3:"),
        ("", "non-empty string"),
        ("no_such_package.module:train", "cannot import module 'no_such_package.module'"),
        ("baselines.algorithms:nothing_here", "has no 'nothing_here'"),
        ("baselines.algorithms:VALIDATION", "is not callable"),
    ],
)
def test_bad_specs_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        algorithm(spec)


def test_env_factory_makes_single_and_vector_envs():
    env = LOST.make(max_episode_steps=5)
    assert env.unwrapped.params.lead_time == 1 and env.spec.max_episode_steps in (5, None)
    vec = LOST.make_vec(3)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, 1)
    assert LOST.problem == "lost_sales"


@pytest.mark.parametrize(
    "spec, envs",
    [
        ("sb3:PPO", LOST),
        ("sb3:A2C", LOST),
        ("sb3:SAC", LOST),
        ("sb3:DQN", DUAL),  # two decisions: one discrete action per order vector
    ],
)
def test_tiny_sb3_training_gives_a_harness_policy(tiny, spec, envs):
    policy = algorithm(spec).train(envs, 256, 0)
    assert np.isfinite(score(policy, envs))
    assert policy.algo == spec.split(":")[1]
    info = policy.train_info
    assert info["steps"] >= 256 and (info["threads"], info["seed"]) == (1, 0)
    assert info["config"]["algo"] == spec.split(":")[1]


def test_dqn_orders_are_order_vectors(tiny):
    policy = algorithm("sb3:DQN").train(DUAL, 256, 0)
    orders = policy(np.array([[-3.0, 1.0], [5.0, 2.0]], np.float32))
    assert orders.shape == (2, 2)
    assert np.all((orders >= 0) & (orders <= 8)) and np.array_equal(orders, np.round(orders))


@pytest.fixture
def quick_fit(monkeypatch):
    from baselines.fitting import FitConfig

    monkeypatch.setattr(
        algorithms,
        "_fit_config",
        lambda seed, episode=None: FitConfig(num_paths=20, periods=60, burn_in=10),
    )


def test_a_named_heuristic(quick_fit):
    base = algorithm("heuristic:base_stock").train(LOST, None, 0)
    assert np.isfinite(score(base, LOST))
    with pytest.raises(ValueError, match="not available for DualSourcing-v0"):
        algorithm("heuristic:base_stock").train(DUAL, None, 0)


@pytest.mark.slow
def test_tiny_dbp_and_the_best_heuristic(tiny, quick_fit):
    policy = algorithm("dbp").train(LOST, 3, 0)
    assert np.isfinite(score(policy, LOST))
    assert policy.train_info["steps"] == 3 and policy.train_info["threads"] == 1
    best = algorithm("best-heuristic").train(LOST, None, 0)
    chosen = best.best_heuristic
    assert chosen["chosen"] in chosen["val_costs"] and "optimal" not in chosen["val_costs"]
    assert chosen["val_costs"][chosen["chosen"]] == min(chosen["val_costs"].values())


def test_a_users_function_is_an_algorithm(tmp_path, monkeypatch):
    (tmp_path / "my_algo.py").write_text(
        "import numpy as np\n"
        "def train(envs, budget, seed):\n"
        '    """Order the budget every period."""\n'
        "    return lambda obs: np.full(len(obs), float(budget))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = algorithm("my_algo:train")
    assert found.budget_unit == "user" and found.summary == "Order the budget every period."
    assert found.default_budget("lost_sales") is None
    policy = found.train(LOST, 5, 0)
    assert score(policy, LOST) > 0


def test_imitation_needs_continuous_actions(tiny):
    config = sb3_config("DQN", "dual_sourcing", budget=256).replace(
        initial_policy="capped_dual_index"
    )
    from baselines.ppo import train_sb3

    with pytest.raises(ValueError, match="initial_policy imitates orders with \\[-1, 1\\] actions"):
        train_sb3(DUAL.env_id, DUAL.kwargs, config, progress=False)


@pytest.mark.slow
def test_imitation_starts_ppo_at_the_teachers_cost():
    """Behaviour cloning of the capped dual index: the policy validated at step 0 orders as
    the teacher does (its exact cost is the teacher's to 0.5%)."""
    from baselines.exact import policy_cost
    from baselines.ppo import train_sb3
    from baselines.registry import fit_policy

    inst = DUAL.instance()
    config = sb3_config("PPO", "dual_sourcing", budget=2048).replace(
        initial_policy="capped_dual_index",
        num_envs=16,
        algo_kwargs={"n_steps": 64, "batch_size": 256, "n_epochs": 1},
        learning_rate=1e-9,
    )
    result = train_sb3(DUAL.env_id, DUAL.kwargs, config, progress=False)
    assert result.evaluations[0]["timesteps"] == 0
    assert result.policy.meta["imitation"]["teacher"] == "capped_dual_index"
    teacher = fit_policy("capped_dual_index", DUAL.env_id, DUAL.kwargs)
    ours = policy_cost(inst.problem, inst.params, result.policy)
    theirs = policy_cost(inst.problem, inst.params, teacher)
    assert ours == pytest.approx(theirs, rel=5e-3)


def test_sb3_config_round_trips_and_names_bad_fields():
    import json

    from baselines.ppo import SB3Config

    for algo in ("PPO", "SAC", "DQN"):
        config = sb3_config(algo, "dual_sourcing")
        assert SB3Config.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError, match=r"SB3Config: algo_kwargs \['gamma'\] are set by"):
        SB3Config(algo_kwargs={"gamma": 0.5})
    with pytest.raises(ValueError, match="SB3Config: imitation_steps must be an integer"):
        SB3Config(imitation_steps=-1)
    with pytest.raises(ValueError, match="SB3Config: initial_policy must be a policy name"):
        SB3Config(initial_policy=3)


def test_finite_horizons_train_on_whole_episodes():
    """A suite scored on a horizon from the start (or a problem whose episode is a season)
    trains and fits on episodes of that length, not on a carried long-run state."""
    from baselines.algorithms import EnvFactory, _fit_config, _validation
    from baselines.benchmark import plan
    from inventory_gym.suites import get_suite

    assert EnvFactory("LostSalesLeadTime-v0").episode() is None
    assert EnvFactory("LostSalesLeadTime-v0", horizon=52).episode() == 52
    season = EnvFactory("ProcurementRemoval-v0").episode()
    assert isinstance(season, int) and season > 1
    with pytest.raises(ValueError, match="horizon must be an integer >= 1, got 0"):
        EnvFactory("LostSalesLeadTime-v0", horizon=0)
    config = algorithms.dbp_config("lost_sales", 10, episode=52)
    assert config.eval_every == 25
    assert (config.horizon, config.burn_in, config.carry_state, config.eval_periods) == (
        52,
        0,
        False,
        52,
    )
    config = sb3_config("PPO", "lost_sales", 1000, episode=52)
    assert (config.max_episode_steps, config.eval_periods, config.eval_burn_in) == (52, 52, 0)
    fit = _fit_config(0, 52)
    assert (fit.periods, fit.burn_in) == (52, 0) and _validation(52)["periods"] == 52
    # The suite's horizon is part of what a trial's settings digest says.
    horizon = {t.algo: t.settings for t in plan(get_suite("nonstationary"), ["dbp"], 1, 5)}
    long_run = {t.algo: t.settings for t in plan(get_suite("zipkin-poisson"), ["dbp"], 1, 5)}
    assert horizon["dbp"] != long_run["dbp"]
