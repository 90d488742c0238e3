"""The evaluation harness: common random numbers, exact accounting, intervals, pairing, errors."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import inventory_gym  # noqa: F401
from inventory_gym.evaluation import compare, evaluate, evaluate_many, instance

ENV = "LostSalesLeadTime-v0"
SMALL = dict(num_paths=50, periods=60, burn_in=10)


def base_stock(level: float, columns: int | None = None):
    def policy(obs):
        state = obs if columns is None else obs[:, :columns]
        return np.maximum(level - state.sum(axis=1), 0.0)

    policy.__name__ = f"S={level}"
    return policy


def manual_costs(policy, kwargs, *, num_paths, periods, burn_in, seed, discount=None):
    """An independent loop over the vector env, for comparison."""
    env = gym.make_vec(
        ENV,
        num_envs=num_paths,
        vectorization_mode="vector_entry_point",
        max_episode_steps=periods + burn_in,
        autoreset_mode="Disabled",
        **kwargs,
    )
    obs, _ = env.reset(seed=seed)
    total = np.zeros(num_paths)
    for t in range(periods + burn_in):
        obs, reward, *_ = env.step(np.rint(policy(obs)))
        if t >= burn_in:
            weight = 1.0 if discount is None else discount ** (t - burn_in)
            total += -reward * weight
    return total if discount is not None else total / periods


def test_cost_matches_an_independent_loop():
    kwargs = {"lead_time": 2}
    result = evaluate(base_stock(15), ENV, kwargs, seed=3, **SMALL)
    expected = manual_costs(base_stock(15), kwargs, seed=3, **SMALL)
    np.testing.assert_allclose(result.path_costs, expected)
    assert result.cost == pytest.approx(expected.mean())
    assert result.stderr == pytest.approx(expected.std(ddof=1) / math.sqrt(SMALL["num_paths"]))
    low, high = result.ci95
    assert low < result.cost < high
    # The breakdown adds up to the cost, and the flows balance.
    assert sum(result.breakdown.values()) == pytest.approx(result.cost)
    m = result.metrics
    assert m["sales"] + m["lost"] == pytest.approx(m["demand"])
    assert m["fill_rate"] == pytest.approx(m["sales"] / m["demand"])
    assert result.breakdown["holding_cost"] == pytest.approx(m["held"])  # h = 1


def test_discounted_cost_matches_an_independent_loop():
    kwargs = {"lead_time": 1}
    result = evaluate(base_stock(11), ENV, kwargs, seed=1, discount=0.9, **SMALL)
    expected = manual_costs(base_stock(11), kwargs, seed=1, discount=0.9, **SMALL)
    np.testing.assert_allclose(result.path_costs, expected)
    assert result.discount == 0.9


def test_common_random_numbers_pair_the_paths():
    options = dict(num_paths=100, periods=300, burn_in=50)
    a = evaluate(base_stock(28), ENV, seed=5, **options)
    b = evaluate(base_stock(29), ENV, seed=5, **options)
    c = evaluate(base_stock(28), ENV, seed=6, **options)
    assert a.metrics["demand"] == b.metrics["demand"]  # the very same demand paths
    assert a.metrics["demand"] != c.metrics["demand"]
    paired = compare(b, a)
    assert paired.difference == pytest.approx(b.cost - a.cost)
    # Pairing removes the common noise: the paired error is far below either one.
    assert paired.stderr < 0.5 * min(a.stderr, b.stderr)
    assert paired.relative == pytest.approx(100 * paired.difference / a.cost)
    with pytest.raises(ValueError, match="seed"):
        compare(a, c)


def test_evaluate_many_uses_the_same_paths():
    results = evaluate_many({"low": base_stock(20), "high": base_stock(30)}, ENV, seed=2, **SMALL)
    assert list(results) == ["low", "high"]
    assert results["low"].metrics["demand"] == results["high"].metrics["demand"]
    assert results["low"].policy == "low"


def test_orders_are_rounded_for_integer_demand_unless_the_policy_says_not():
    def half(obs):
        return np.full(obs.shape[0], 4.4)

    assert evaluate(half, ENV, **SMALL).metrics["order_mean"] == pytest.approx(4.0)
    half.continuous_orders = True
    assert evaluate(half, ENV, **SMALL).metrics["order_mean"] == pytest.approx(4.4)
    assert evaluate(half, ENV, integer_orders=True, **SMALL).integer_orders
    # Continuous demand: no rounding by default.
    del half.continuous_orders
    result = evaluate(half, ENV, {"demand": "normal(5,1)"}, **SMALL)
    assert not result.integer_orders
    assert result.metrics["order_mean"] == pytest.approx(4.4)
    assert result.metrics["order_std"] == pytest.approx(0.0, abs=1e-9)
    assert result.metrics["bullwhip"] == pytest.approx(0.0, abs=1e-9)


def test_policy_env_options_reach_the_observation():
    seen = {}

    def windowed(obs):
        seen["shape"] = obs.shape
        return np.maximum(28 - obs[:, :4].sum(axis=1), 0.0)

    windowed.env_options = {"demand_window": 3}
    result = evaluate(windowed, ENV, **SMALL)
    assert seen["shape"] == (SMALL["num_paths"], 4 + 3)
    plain = evaluate(base_stock(28), ENV, **SMALL)
    assert result.cost == pytest.approx(plain.cost)  # same paths, same policy
    compare(result, plain)  # observation options do not break the pairing


def test_torch_backend_hands_tensors_to_the_policy():
    torch = pytest.importorskip("torch")

    def policy(obs):
        assert isinstance(obs, torch.Tensor)
        return torch.clamp(28 - obs.sum(dim=1), min=0)

    result = evaluate(policy, ENV, backend="torch", **SMALL)
    assert math.isfinite(result.cost) and result.cost > 0


def test_to_dict_is_json_ready():
    import json

    result = evaluate(base_stock(28), ENV, {"demand": "poisson(5)"}, **SMALL)
    doc = json.loads(json.dumps(result.to_dict()))
    assert {"cost", "stderr", "ci95", "breakdown", "metrics"} <= set(doc)
    assert "S=28" in str(result)
    assert result.gap(result.cost / 2) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_paths": 0}, "num_paths"),
        ({"periods": 1.5}, "periods"),
        ({"burn_in": -1}, "burn_in"),
        ({"discount": 1.5}, "discount"),
        ({"integer_orders": "yes"}, "integer_orders"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate(base_stock(28), ENV, **{**SMALL, **kwargs})


def test_bad_env_and_policy_errors():
    with pytest.raises(ValueError, match="NoSuchEnv"):
        evaluate(base_stock(28), "NoSuchEnv-v0", **SMALL)
    with pytest.raises(ValueError, match="lost_sales_cost"):
        evaluate(base_stock(28), ENV, {"lost_sales_cost": -1}, **SMALL)
    with pytest.raises(ValueError, match="shape"):
        evaluate(lambda obs: np.zeros((obs.shape[0], 3)), ENV, **SMALL)
    with pytest.raises(ValueError, match="finite"):
        evaluate(lambda obs: np.full(obs.shape[0], np.nan), ENV, **SMALL)


def test_instance_reads_the_registered_defaults():
    problem, params = instance(ENV, {"lead_time": 2})
    assert problem.name == "lost_sales"
    assert (params.lead_time, params.lost_sales_cost, params.demand.spec) == (2, 9.0, "poisson(5)")


def test_replayed_integer_history_is_rounded_like_integer_demand():
    from inventory_gym.demand import Replay

    series = np.tile(np.arange(8.0), (SMALL["num_paths"], 20))
    result = evaluate(
        lambda obs: np.full(obs.shape[0], 2.6),
        ENV,
        {"demand": Replay(series), "max_order": 10},
        **SMALL,
    )
    assert result.integer_orders and result.metrics["order_mean"] == pytest.approx(3.0)


def test_windows_that_shift_a_seasons_clock_are_not_paired():
    """The episode starts at demand period ``demand_window``: under demand that changes over
    time, evaluations with different windows see different periods and are not paired; under
    stationary demand the draws are the same and the comparison stands."""
    import numpy as np
    import pytest

    from inventory_gym.evaluation import compare, evaluate

    def zero(obs):
        return np.zeros(len(obs))

    opts = {"num_paths": 8, "periods": 6, "burn_in": 0, "seed": 3}
    for demand, paired in (("poisson(5)", True), ("seasonal(5,0.5,13)", False)):
        evs = [
            evaluate(zero, "LostSales-v0", {"demand": demand, "demand_window": w}, **opts)
            for w in (0, 4)
        ]
        if paired:
            assert compare(*evs).difference == 0.0  # same draws, same (zero) orders
        else:
            with pytest.raises(ValueError, match=r"demand_window: 0 vs 4"):
                compare(*evs)
