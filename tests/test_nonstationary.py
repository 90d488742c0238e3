"""Non-stationary demand (issue 15, item 1): the trend, regime-switch and life-cycle models and
the seasonal one over a Poisson or negative-binomial base, their per-period laws, per-row clocks
in numpy and torch, spec strings and errors, and the product generator."""

from __future__ import annotations

import math
import pickle

import gymnasium as gym
import numpy as np
import pytest
import torch
from scipy import stats

from inventory_gym.demand import (
    DEMAND_FORMS,
    LifeCycle,
    Poisson,
    ProductGenerator,
    Products,
    RegimeSwitch,
    Seasonal,
    TimeVarying,
    Trend,
    make_demand,
)

MODELS = [
    Seasonal(5, 0.5, 12),
    Seasonal(6, 0.4, 8, 1.0, 2.5),
    Trend(4, 0.1),
    Trend(10, -0.3, 1.5, 2),
    RegimeSwitch(4, 9, 10),
    RegimeSwitch(8, 3, 5, 1.8),
    LifeCycle(8, 5, 10, 6),
    LifeCycle(6, 3, 0, 4, 1, 2),
]


def test_mean_paths():
    t = np.arange(60)
    np.testing.assert_allclose(Trend(4, 0.1).mean_at(t), 4 + 0.1 * t)
    np.testing.assert_allclose(Trend(10, -0.3, 1.5).mean_at(t), np.maximum(10 - 0.3 * t, 1.5))
    np.testing.assert_array_equal(RegimeSwitch(4, 9, 10).mean_at(t), np.where(t < 10, 4, 9))
    life = LifeCycle(8, 5, 10, 6, 1)
    path = life.mean_at(t)
    assert path[0] == 1 and path[5] == 8 and path[15] == 8 and path[21] == 1 and path[40] == 1
    assert path[2] == pytest.approx(1 + 7 * 2 / 5)
    assert path[18] == pytest.approx(8 - 7 * 3 / 6)
    assert isinstance(life.mean_at(3), float)
    assert life.mean == pytest.approx(path[:21].mean())
    assert Seasonal(6, 0.4, 8, 1.0, 2.5).mean == 6.0
    for model in MODELS:
        assert isinstance(model, TimeVarying) and not model.is_stationary and model.is_integer


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_pmf_at_is_the_period_law(model):
    for t in (0, 3, 11, 30):
        values, probs = model.pmf_at(t)
        mu = model.mean_at(t)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.dot(values, probs) == pytest.approx(mu, rel=1e-6)
        var = np.dot(values**2, probs) - np.dot(values, probs) ** 2
        assert var == pytest.approx(model.vmr * mu, rel=1e-5)
        if model.vmr == 1:
            np.testing.assert_allclose(probs[:-1], stats.poisson(mu).pmf(values[:-1]), rtol=1e-9)
        else:
            n, p = mu / (model.vmr - 1), 1 / model.vmr
            np.testing.assert_allclose(probs[:-1], stats.nbinom(n, p).pmf(values[:-1]), rtol=1e-9)


@pytest.mark.parametrize("model", MODELS, ids=str)
def test_spec_round_trips_and_pickles(model):
    assert make_demand(model.spec) == model
    assert pickle.loads(pickle.dumps(model)) == model


def test_spec_strings():
    assert Seasonal(5, 0.5, 12, 0, 2).spec == "seasonal(5,0.5,12,0,2)"
    assert Trend(4, 0.1).spec == "trend(4,0.1)"
    assert Trend(4, 0.1, 0.1, 2).spec == "trend(4,0.1,0.1,2)"
    assert RegimeSwitch(4, 9, 10).spec == "regime(4,9,10)"
    assert LifeCycle(8, 5, 10, 6).spec == "lifecycle(8,5,10,6)"
    assert make_demand("lifecycle(8,5,10,6,1,2)") == LifeCycle(8, 5, 10, 6, 1, 2)
    for form in (
        "trend(",
        "regime(",
        "lifecycle(",
        "seasonal(mean,amplitude,period[,phase[,vmr]])",
    ):
        assert any(f.startswith(form) for f in DEMAND_FORMS), form


@pytest.mark.parametrize(
    "spec, name, value",
    [
        ("seasonal(5,0.5,12,0,0.5)", "vmr", "0.5"),
        ("trend(0,0.1)", "start", "0"),
        ("trend(4,inf)", "slope", "inf"),
        ("trend(4,0.1,-1)", "floor", "-1"),
        ("regime(4,-9,10)", "after", "-9"),
        ("regime(4,9,2.5)", "change", "2.5"),
        ("regime(4,9,-1)", "change", "-1"),
        ("lifecycle(8,0,10,6)", "ramp", "0"),
        ("lifecycle(8,5,-1,6)", "plateau", "-1"),
        ("lifecycle(8,5,10,0)", "decline", "0"),
        ("lifecycle(1,5,10,6,2)", "peak", "1"),
    ],
)
def test_errors_name_the_parameter_and_the_value(spec, name, value):
    with pytest.raises(ValueError, match=name) as err:
        make_demand(spec)
    assert value in str(err.value)


def test_errors_in_env_params_and_counts():
    with pytest.raises(ValueError, match="regime takes 3 or 4 arguments"):
        make_demand("regime(4,9)")
    with pytest.raises(ValueError, match=r"LostSalesParams: .*change"):
        gym.make("LostSalesLeadTime-v0", demand="regime(4,9,-3)")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "model", [RegimeSwitch(2, 9, 1, 2.0), LifeCycle(9, 1, 0, 1, 2, 1.5)], ids=str
)
def test_each_row_samples_its_own_period(model, backend):
    """Rows at clocks 0 and 1 draw from their own periods' laws (mean and variance)."""
    rows = 40000
    start = np.arange(rows) % 2
    if backend == "numpy":
        draws = model.sample(np.random.default_rng(0), rows, 2, start=start)
    else:
        gen = torch.Generator().manual_seed(0)
        draws = model.sample_torch(gen, rows, 2, start=start, dtype=torch.float64).numpy()
    assert np.all(draws == np.round(draws)) and draws.min() >= 0
    for clock in (0, 1):
        for col in range(2):
            x = draws[start == clock, col]
            mu = model.mean_at(clock + col)
            var = model.vmr * mu
            assert abs(x.mean() - mu) < 5 * math.sqrt(var / x.size), (clock, col, x.mean(), mu)
            assert x.var() == pytest.approx(var, rel=0.08), (clock, col, x.var(), var)


def test_negbin_torch_sampling_uses_the_generator():
    model = Seasonal(5, 0.5, 4, 0, 2)
    a = model.sample_torch(torch.Generator().manual_seed(3), 5, 6, start=2)
    b = model.sample_torch(torch.Generator().manual_seed(3), 5, 6, start=2)
    torch.testing.assert_close(a, b)


def test_products_one_model_per_row():
    models = (Poisson(2), Seasonal(5, 0.9, 2, math.pi / 2), RegimeSwitch(1, 20, 3))
    products = Products(models)
    assert len(products) == 3 and products.row(1) is models[1] and not products.is_stationary
    rng = np.random.default_rng(0)
    start = np.array([0, 1, 2])
    draws = np.stack([products.sample(rng, 3, 2, start=start) for _ in range(3000)])
    means = draws.mean(axis=0)
    np.testing.assert_allclose(means[0], [2, 2], rtol=0.1)
    np.testing.assert_allclose(means[1], [models[1].mean_at(1), models[1].mean_at(2)], rtol=0.1)
    np.testing.assert_allclose(means[2], [1, 20], rtol=0.1)
    gen = torch.Generator().manual_seed(0)
    assert products.sample_torch(gen, 3, 4, start=start).shape == (3, 4)
    np.testing.assert_allclose(products.mean_at(0), [2, models[1].mean_at(0), 1])
    assert products.quantile(0.99) == max(m.quantile(0.99) for m in models)
    with pytest.raises(ValueError, match="batch must equal the number of products"):
        products.sample(rng, 4, 1)
    with pytest.raises(ValueError, match="models"):
        Products(())


def test_product_generator_draws_each_family_with_its_parameters():
    gen = ProductGenerator()
    models = gen.models(np.random.default_rng(1), 200)
    assert {type(m) for m in models} == {Seasonal, Trend, RegimeSwitch, LifeCycle}
    assert any(m.vmr > 1 for m in models) and any(m.vmr == 1 for m in models)
    for m in models:
        assert make_demand(m.spec) == m
        if isinstance(m, RegimeSwitch):
            assert 0.25 * 52 - 1 <= m.change <= 0.75 * 52 + 1
        if isinstance(m, LifeCycle):
            assert m.reference_periods == 52 or m.plateau == 0
    # Reproducible from the seed, and a Products for the vector envs.
    again = ProductGenerator().models(np.random.default_rng(1), 200)
    assert again == models
    products = gen(np.random.default_rng(1), 6)
    assert isinstance(products, Products) and len(products) == 6
    only = ProductGenerator(families=("seasonal",), mean=(2, 3))
    assert all(
        isinstance(m, Seasonal) and 2 <= m.mean <= 3
        for m in only.models(np.random.default_rng(0), 20)
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"families": ("weekly",)}, "families"),
        ({"mean": (5, 2)}, "mean"),
        ({"amplitude": (0.2, 1.0)}, "amplitude"),
        ({"negbin_share": 2}, "negbin_share"),
        ({"vmr": (0.5, 2)}, "vmr"),
        ({"change": (0.1, 1.5)}, "change"),
    ],
)
def test_product_generator_errors(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ProductGenerator(**kwargs)


def test_vector_env_draws_each_product_at_its_own_clock():
    products = ProductGenerator(families=("regime",), negbin_share=0).models(
        np.random.default_rng(2), 4
    )
    env = gym.make_vec(
        "LostSalesLeadTime-v0",
        num_envs=4,
        vectorization_mode="vector_entry_point",
        demand=Products(tuple(products)),
        max_order=40.0,
    )
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.zeros((4, 1)))
    assert info["demand"].shape == (4,)
