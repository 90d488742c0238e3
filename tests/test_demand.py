"""Tests for inventory_gym.demand."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from inventory_gym.demand import (
    DEMAND_FORMS,
    DemandModel,
    DiscreteDemand,
    Empirical,
    Gamma,
    Geometric,
    NegativeBinomial,
    Poisson,
    Replay,
    TruncatedNormal,
    Uniform,
    make_demand,
)

MODELS: list[DemandModel] = [
    Poisson(5),
    Poisson(0.3),
    Geometric(5),
    Uniform(0, 4),
    Uniform(2, 7),
    Gamma(4, 0.5),
    Gamma(4, 0.5, 100),
    NegativeBinomial(5, 10),
    TruncatedNormal(5, 2),
    TruncatedNormal(-1, 2),  # heavy truncation: ~69% of the normal's mass is cut off
    Empirical((0, 1, 3), (0.2, 0.5, 0.3)),
]
DISCRETE = [m for m in MODELS if isinstance(m, DiscreteDemand)]
CONTINUOUS = [m for m in MODELS if not isinstance(m, DiscreteDemand)]

# 200k draws: the standard error of a frequency p is at most sqrt(0.25 / 2e5) ~ 1.1e-3.
N_BATCH, N_PERIODS = 400, 500
N_DRAWS = N_BATCH * N_PERIODS


def _ids(models: list[DemandModel]) -> list[str]:
    return [m.spec for m in models]


def _numpy_draws(model: DemandModel, seed: int = 0) -> np.ndarray:
    return model.sample(np.random.default_rng(seed), N_BATCH, N_PERIODS)


def _torch_draws(model: DemandModel, seed: int = 0) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    return model.sample_torch(gen, N_BATCH, N_PERIODS, dtype=torch.float64).numpy()


def _chi_square_pvalue(draws: np.ndarray, values: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square p-value of integer draws against a pmf table.

    Draws beyond the table are folded into its last point (the pmf folds its tail the same
    way); cells with fewer than 20 expected counts are pooled so the chi-square
    approximation holds.
    """
    draws = np.minimum(draws.ravel(), values[-1])
    assert np.isin(draws, values).all(), "draws outside the support"
    counts = np.bincount(np.searchsorted(values, draws), minlength=len(values))
    expected = probs * draws.size
    big = expected >= 20
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    stat = float(((obs - exp) ** 2 / exp).sum())
    return float(stats.chi2.sf(stat, len(obs) - 1))


# ----------------------------------------------------------------------------------------------
# Sampling basics
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_numpy_sample_shape_dtype_support(model: DemandModel) -> None:
    x = model.sample(np.random.default_rng(1), 7, 13)
    assert x.shape == (7, 13)
    assert x.dtype == np.float64
    assert np.isfinite(x).all() and (x >= 0).all()
    if model.is_integer:
        assert (x == np.round(x)).all()
    assert model.sample(np.random.default_rng(1), 3, 0).shape == (3, 0)


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_torch_sample_shape_dtype_support(model: DemandModel) -> None:
    gen = torch.Generator().manual_seed(1)
    t = model.sample_torch(gen, 7, 13)
    assert isinstance(t, torch.Tensor)
    assert t.shape == (7, 13)
    assert t.dtype == torch.float32
    assert t.device.type == "cpu"
    assert torch.isfinite(t).all() and (t >= 0).all()
    if model.is_integer:
        assert (t == torch.round(t)).all()
    t64 = model.sample_torch(gen, 2, 3, dtype=torch.float64)
    assert t64.dtype == torch.float64 and t64.shape == (2, 3)


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_seeded_determinism(model: DemandModel) -> None:
    a = model.sample(np.random.default_rng(42), 20, 30)
    b = model.sample(np.random.default_rng(42), 20, 30)
    c = model.sample(np.random.default_rng(43), 20, 30)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)

    ta = model.sample_torch(torch.Generator().manual_seed(42), 20, 30)
    tb = model.sample_torch(torch.Generator().manual_seed(42), 20, 30)
    tc = model.sample_torch(torch.Generator().manual_seed(43), 20, 30)
    assert torch.equal(ta, tb)
    assert not torch.equal(ta, tc)


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_sample_mean_matches_model_mean(model: DemandModel, backend: str) -> None:
    x = _numpy_draws(model) if backend == "numpy" else _torch_draws(model)
    stderr = x.std() / math.sqrt(x.size)
    # Gamma's mean is that of the gamma before rounding; rounding moves it by ~1e-4 here,
    # far below the ~4.5e-3 standard error.
    assert abs(x.mean() - model.mean) < 5 * stderr


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_discrete_frequencies_match_pmf(model: DiscreteDemand, backend: str) -> None:
    x = _numpy_draws(model) if backend == "numpy" else _torch_draws(model)
    values, probs = model.pmf()
    assert _chi_square_pvalue(x, values, probs) > 1e-4
    # A direct check as well: every frequency within 5 standard errors of its probability.
    freq = np.bincount(
        np.searchsorted(values, np.minimum(x.ravel(), values[-1])), minlength=len(values)
    )
    freq = freq / x.size
    stderr = np.sqrt(probs * (1 - probs) / x.size)
    assert np.all(np.abs(freq - probs) <= 5 * stderr + 1e-6)


def test_chi_square_check_detects_a_wrong_pmf() -> None:
    # Guards the frequency test above against being vacuous: a 2% mean shift is rejected.
    x = _numpy_draws(Poisson(5))
    values, probs = Poisson(5.1).pmf()
    assert _chi_square_pvalue(x, values, probs) < 1e-6


@pytest.mark.parametrize("model", CONTINUOUS, ids=_ids(CONTINUOUS))
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_truncated_normal_distribution(model: TruncatedNormal, backend: str) -> None:
    x = (_numpy_draws(model) if backend == "numpy" else _torch_draws(model)).ravel()
    a = -model.loc / model.scale
    ref = stats.truncnorm(a, np.inf, loc=model.loc, scale=model.scale)
    assert stats.kstest(x[:50_000], ref.cdf).pvalue > 1e-4
    # Exact truncation, not clipping: clipping N(-1, 2) would put ~69% of draws at 0.
    assert np.mean(x == 0) < 1e-3
    assert not model.is_integer


def test_torch_uses_float64_uniforms_for_tail_resolution() -> None:
    # Geometric(5) has P(D >= 100) ~ 1.2e-8: unreachable with float32 uniforms (grid 6e-8)
    # but the table must still reach it; check that the table does go that far.
    assert Geometric(5).support_max > 100


def test_generator_device_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match="generator is on cpu"):
        Poisson(5).sample_torch(torch.Generator(), 2, 3, device="meta")


@pytest.mark.parametrize(("batch", "periods"), [(-1, 3), (2, -1), (True, 3), (2.0, 3), (2, "3")])
def test_bad_batch_or_periods(batch: object, periods: object) -> None:
    with pytest.raises(ValueError, match=r"batch|periods"):
        Poisson(5).sample(np.random.default_rng(), batch, periods)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"batch|periods"):
        Poisson(5).sample_torch(None, batch, periods)  # type: ignore[arg-type]


def test_bad_rng_type() -> None:
    with pytest.raises(ValueError, match="Generator"):
        Poisson(5).sample(np.random.RandomState(0), 2, 3)  # type: ignore[arg-type]


def test_iid_models_ignore_start() -> None:
    a = Poisson(5).sample(np.random.default_rng(3), 4, 5, start=0)
    b = Poisson(5).sample(np.random.default_rng(3), 4, 5, start=np.array([9, 1, 2, 7]))
    np.testing.assert_array_equal(a, b)
    assert Poisson(5).is_stationary and Poisson(5).horizon is None


# ----------------------------------------------------------------------------------------------
# pmf, cdf, quantile, mean
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
def test_pmf_is_a_distribution(model: DiscreteDemand) -> None:
    values, probs = model.pmf()
    assert values.dtype == np.int64 and probs.dtype == np.float64
    assert values.shape == probs.shape and len(values) >= 1
    assert np.all(np.diff(values) > 0) and values[0] >= 0
    assert np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert model.support_max == values[-1]
    assert model.cdf(model.support_max) == 1.0
    assert model.cdf(values[0] - 1) == 0.0
    assert not values.flags.writeable and not probs.flags.writeable
    assert model.pmf()[0] is values  # default-tol result is cached


def test_poisson_pmf_tail_folding_matches_scipy() -> None:
    tol = 1e-9
    values, probs = Poisson(5).pmf(tol)
    k = int(values[-1])
    dist = stats.poisson(5)
    assert values[0] == 0
    # k is the first point whose remaining tail mass is below tol ...
    assert dist.sf(k) < tol <= dist.sf(k - 1)
    # ... and that tail is folded into k: its probability is P(D >= k).
    assert probs[-1] == pytest.approx(dist.sf(k - 1), rel=1e-9)
    np.testing.assert_allclose(probs[:-1], dist.pmf(values[:-1]), rtol=1e-12)
    # A looser tolerance truncates earlier.
    loose_values, loose_probs = Poisson(5).pmf(1e-3)
    assert loose_values[-1] < k and dist.sf(loose_values[-1]) < 1e-3
    assert loose_probs.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("tol", [0.0, 1.0, -1e-3, float("nan"), True])
def test_pmf_rejects_bad_tol(tol: float) -> None:
    with pytest.raises(ValueError, match="tol"):
        Poisson(5).pmf(tol)


def test_geometric_pmf_formula() -> None:
    m = 5.0
    q = m / (1 + m)
    values, probs = Geometric(m).pmf()
    np.testing.assert_allclose(probs[:-1], (1 - q) * q ** values[:-1], rtol=1e-12)
    # Folded tail of a geometric: P(D >= k) = q^k.
    assert probs[-1] == pytest.approx(q ** values[-1], rel=1e-9)
    assert q ** (values[-1] + 1) < 1e-9


def test_gamma_rounded_pmf() -> None:
    model = Gamma(4, 0.5)
    values, probs = model.pmf()
    dist = stats.gamma(4.0, scale=1.0)  # shape 1/cv^2 = 4, scale mean*cv^2 = 1
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert probs[0] == pytest.approx(dist.cdf(0.5), rel=1e-12)
    np.testing.assert_allclose(
        probs[1:-1],
        dist.cdf(values[1:-1] + 0.5) - dist.cdf(values[1:-1] - 0.5),
        rtol=1e-9,
        atol=1e-15,  # the cdf differences of the reference lose ~1e-16 in the tail
    )
    pmf_mean = float(values @ probs)
    assert pmf_mean == pytest.approx(4.0, abs=2e-3)
    # The cap is far in the tail for De Moor et al.'s setting: same pmf with upper=100.
    v100, p100 = Gamma(4, 0.5, 100).pmf()
    np.testing.assert_array_equal(v100, values)
    np.testing.assert_allclose(p100, probs)


def test_gamma_upper_folds_mass_into_cap() -> None:
    model = Gamma(4, 0.5, 6)
    values, probs = model.pmf()
    dist = stats.gamma(4.0, scale=1.0)
    np.testing.assert_array_equal(values, np.arange(7))
    assert probs[-1] == pytest.approx(dist.sf(5.5), rel=1e-9)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    x = model.sample(np.random.default_rng(0), 200, 1000)
    assert x.max() == 6
    assert _chi_square_pvalue(x, values, probs) > 1e-4
    t = model.sample_torch(torch.Generator().manual_seed(0), 200, 1000).numpy()
    assert _chi_square_pvalue(t, values, probs) > 1e-4


def test_uniform_pmf_is_flat() -> None:
    values, probs = Uniform(2, 7).pmf()
    np.testing.assert_array_equal(values, np.arange(2, 8))
    np.testing.assert_allclose(probs, np.full(6, 1 / 6), rtol=1e-12)
    assert Uniform(2, 7).mean == 4.5
    assert Uniform(3, 3).pmf()[0].tolist() == [3]


def test_negbin_pmf_moments() -> None:
    model = NegativeBinomial(5, 10)
    values, probs = model.pmf()
    mean = float(values @ probs)
    var = float(((values - mean) ** 2) @ probs)
    assert mean == pytest.approx(5.0, rel=1e-6)
    assert var == pytest.approx(10.0, rel=1e-5)
    assert model.n == pytest.approx(5.0) and model.p == pytest.approx(0.5)


def test_empirical_pmf_and_tail_truncation() -> None:
    values, probs = Empirical((3, 0, 1), (0.3, 0.2, 0.5)).pmf()
    assert values.tolist() == [0, 1, 3]
    np.testing.assert_allclose(probs, [0.2, 0.5, 0.3])
    # A trailing point with mass below tol is folded into its predecessor.
    values, probs = Empirical((0, 1, 2), (0.5, 0.5 - 1e-12, 1e-12)).pmf()
    assert values.tolist() == [0, 1]
    assert probs.sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
def test_pmf_mean_close_to_mean(model: DiscreteDemand) -> None:
    values, probs = model.pmf()
    assert float(values @ probs) == pytest.approx(model.mean, rel=1e-3)


def test_cdf_scalar_and_array() -> None:
    model = Poisson(5)
    assert model.cdf(3) == pytest.approx(stats.poisson(5).cdf(3), rel=1e-12)
    assert model.cdf(3.7) == model.cdf(3)
    assert model.cdf(-0.5) == 0.0
    ks = np.array([-1, 0, 2, 5, 100])
    np.testing.assert_allclose(
        model.cdf(ks), np.where(ks > 50, 1.0, stats.poisson(5).cdf(ks)), rtol=1e-12
    )


def test_poisson_quantile_matches_scipy() -> None:
    model = Poisson(5)
    for q in np.linspace(0.0005, 0.9995, 400):
        assert model.quantile(float(q)) == stats.poisson(5).ppf(q)
    assert model.quantile(0.0) == 0.0
    assert model.quantile(1.0) == model.support_max


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
def test_discrete_quantile_is_smallest_value_with_cdf_above_q(model: DiscreteDemand) -> None:
    values, _ = model.pmf()
    for q in (0.01, 0.25, 0.5, 0.9, 0.99):
        k = model.quantile(q)
        assert k in values
        assert model.cdf(k) >= q
        assert model.cdf(k - 1) < q


def test_truncated_normal_mean_and_quantile() -> None:
    model = TruncatedNormal(-1, 2)
    a = 0.5  # truncation point in standard units: (0 - loc) / scale
    closed_form = -1 + 2 * stats.norm.pdf(a) / stats.norm.sf(a)
    assert model.mean == pytest.approx(closed_form, rel=1e-12)
    ref = stats.truncnorm(a, np.inf, loc=-1, scale=2)
    for q in (0.0, 0.1, 0.5, 0.99):
        assert model.quantile(q) == pytest.approx(ref.ppf(q), rel=1e-12, abs=1e-12)
    assert model.quantile(0.0) == pytest.approx(0.0, abs=1e-12)


def test_truncated_normal_far_tail_is_stable() -> None:
    # Truncation 20 standard deviations above the location: inverting through the lower
    # cdf would lose all precision, the sampler must still give a sensible law.
    model = TruncatedNormal(-20, 1)
    x = model.sample(np.random.default_rng(0), 100, 100)
    t = model.sample_torch(torch.Generator().manual_seed(0), 100, 100, dtype=torch.float64)
    for draws in (x, t.numpy()):
        assert np.isfinite(draws).all() and (draws >= 0).all()
        # Conditional on exceeding 20 sd, the overshoot is roughly Exp(rate 20): mean ~0.05.
        assert draws.mean() == pytest.approx(model.mean, rel=0.05)
    assert model.mean == pytest.approx(0.0495, abs=1e-3)


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan"), True, "0.5"])
@pytest.mark.parametrize(
    "model", [Poisson(5), TruncatedNormal(5, 2), Replay([1.0, 2.0])], ids=["disc", "cont", "rep"]
)
def test_quantile_rejects_bad_q(model: DemandModel, q: object) -> None:
    with pytest.raises(ValueError, match="q must be"):
        model.quantile(q)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Specs and make_demand
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "spec"),
    [
        (Poisson(5), "poisson(5)"),
        (Poisson(2.5), "poisson(2.5)"),
        (Geometric(5), "geometric(5)"),
        (Uniform(0, 4), "uniform(0,4)"),
        (Gamma(4, 0.5), "gamma(4,0.5)"),
        (Gamma(4, 0.5, 100), "gamma(4,0.5,100)"),
        (NegativeBinomial(5, 10), "negbin(5,10)"),
        (TruncatedNormal(5, 2), "normal(5,2)"),
        (Empirical((0, 1, 3), (0.2, 0.5, 0.3)), "empirical(0:0.2,1:0.5,3:0.3)"),
    ],
)
def test_spec_strings(model: DemandModel, spec: str) -> None:
    assert model.spec == spec
    assert str(model) == spec
    assert make_demand(spec) == model


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_spec_round_trip(model: DemandModel) -> None:
    parsed = make_demand(model.spec)
    assert parsed == model
    assert type(parsed) is type(model)
    assert make_demand(model) is model


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(0.01, 1e4),
    cv=st.floats(0.05, 3.0),
    extra=st.floats(1e-3, 1e3),
    loc=st.floats(-30.0, 1e3),
    probs=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).filter(lambda p: sum(p) > 0.1),
)
def test_spec_round_trip_random(
    mean: float, cv: float, extra: float, loc: float, probs: list[float]
) -> None:
    total = math.fsum(probs)
    models = [
        Poisson(mean),
        Geometric(mean),
        Gamma(mean, cv),
        Gamma(mean, cv, 7),
        NegativeBinomial(mean, mean + extra),
        # The scale keeps loc/scale above the -37 the constructor requires (mass above zero).
        TruncatedNormal(loc, max(extra, -loc / 30)),
        Empirical(tuple(range(0, 3 * len(probs), 3)), tuple(p / total for p in probs)),
    ]
    for model in models:
        assert make_demand(model.spec) == model
    emp = models[-1]
    assert isinstance(emp, Empirical)
    assert math.fsum(emp.probs) == 1.0


def test_make_demand_is_lenient_about_case_and_whitespace() -> None:
    assert make_demand("  Poisson ( 5 ) ") == Poisson(5)
    assert make_demand("NEGATIVE_BINOMIAL(5, 10)") == NegativeBinomial(5, 10)
    assert make_demand("negbin(5.0,10.0)") == NegativeBinomial(5, 10)
    assert make_demand("Gamma(4, 0.5, 100)") == Gamma(4, 0.5, 100)
    assert make_demand("uniform(0, 4.0)") == Uniform(0, 4)
    assert make_demand("empirical( 3:0.3, 0 : 0.2,1:0.5 )") == Empirical((0, 1, 3), (0.2, 0.5, 0.3))
    assert make_demand("normal(-1.5,2e0)") == TruncatedNormal(-1.5, 2)


BAD_SPECS = [
    "poison(5)",
    "poisson()",
    "poisson(a)",
    "poisson(-1)",
    "poisson(nan)",
    "poisson(inf)",
    "poisson(5,6)",
    "poisson 5",
    "uniform(3,1)",
    "uniform(0,2.5)",
    "negbin(5,4)",
    "negbin(5,5)",
    "gamma(4)",
    "gamma(4,0.5,100,1)",
    "gamma(4,0.5,0)",
    "normal(5,0)",
    "empirical()",
    "empirical(0:0.5,1)",
    "empirical(0:0.5,1:0.6)",
    "empirical(0:0.5,0:0.5)",
    "",
    "replay(1 series x 3 periods)",
]


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_bad_specs_raise_with_valid_forms(spec: str) -> None:
    with pytest.raises(ValueError) as info:
        make_demand(spec)
    message = str(info.value)
    assert repr(spec) in message
    for form in DEMAND_FORMS:
        assert form in message


def test_unknown_name_message() -> None:
    with pytest.raises(ValueError, match=r"unknown demand spec 'poison\(5\)'; valid forms: "):
        make_demand("poison(5)")


@pytest.mark.parametrize("bad", [5, 5.0, None, b"poisson(5)", ["poisson(5)"]])
def test_make_demand_rejects_other_types(bad: object) -> None:
    with pytest.raises(ValueError, match=type(bad).__name__):
        make_demand(bad)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Constructor validation
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (lambda: Poisson(-1.0), ["Poisson", "mean", "-1.0"]),
        (lambda: Poisson(0), ["Poisson", "mean", "got 0"]),
        (lambda: Poisson(True), ["Poisson", "mean", "True"]),
        (lambda: Poisson("5"), ["Poisson", "mean", "'5'"]),
        (lambda: Poisson(float("nan")), ["Poisson", "mean", "nan"]),
        (lambda: Geometric(float("inf")), ["Geometric", "mean", "inf"]),
        (lambda: Uniform(-1, 3), ["Uniform", "low", "-1"]),
        (lambda: Uniform(0.5, 3), ["Uniform", "low", "0.5"]),
        (lambda: Uniform(3, 1), ["Uniform", "high", "got 1"]),
        (lambda: Uniform(0, np.True_), ["Uniform", "high", "True"]),
        (lambda: Gamma(4, 0), ["Gamma", "cv", "got 0"]),
        (lambda: Gamma(-4, 0.5), ["Gamma", "mean", "-4"]),
        (lambda: Gamma(4, 0.5, 0), ["Gamma", "upper", "got 0"]),
        (lambda: Gamma(4, 0.5, 2.5), ["Gamma", "upper", "2.5"]),
        (lambda: NegativeBinomial(5, 4), ["NegativeBinomial", "variance", "greater than", "4"]),
        (lambda: NegativeBinomial(5, 5), ["NegativeBinomial", "variance", "greater than"]),
        (lambda: NegativeBinomial(0, 5), ["NegativeBinomial", "mean", "got 0"]),
        (lambda: TruncatedNormal(5, 0), ["TruncatedNormal", "scale", "got 0"]),
        (lambda: TruncatedNormal(float("inf"), 1), ["TruncatedNormal", "loc", "inf"]),
        (lambda: TruncatedNormal(-50, 1), ["TruncatedNormal", "loc", "-50"]),
        (lambda: Empirical((0, 1), (0.5,)), ["Empirical", "same length"]),
        (lambda: Empirical((), ()), ["Empirical", "values", "non-empty"]),
        (lambda: Empirical((0, 0), (0.5, 0.5)), ["Empirical", "distinct"]),
        (lambda: Empirical((0, 1), (0.6, 0.6)), ["Empirical", "probs", "sum"]),
        (lambda: Empirical((0, -1), (0.5, 0.5)), ["Empirical", "values", "-1"]),
        (lambda: Empirical((0, 1.5), (0.5, 0.5)), ["Empirical", "values", "1.5"]),
        (lambda: Empirical((0, 1), (1.5, -0.5)), ["Empirical", "probs", "-0.5"]),
        (lambda: Empirical("01", (0.5, 0.5)), ["Empirical", "values", "sequence"]),
        (lambda: Replay([[1.0, -1.0]]), ["Replay", "non-negative", "-1"]),
        (lambda: Replay([1.0, float("nan")]), ["Replay", "finite", "nan"]),
        (lambda: Replay(np.zeros((0, 3))), ["Replay", "non-empty", "(0, 3)"]),
        (lambda: Replay(np.zeros((2, 2, 2))), ["Replay", "(2, 2, 2)"]),
        (lambda: Replay(["a", "b"]), ["Replay", "numeric"]),
        (lambda: Replay([True, False]), ["Replay", "numeric", "bool"]),
    ],
)
def test_invalid_constructor_args(build: object, fragments: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        build()  # type: ignore[operator]
    for fragment in fragments:
        assert fragment in str(info.value)


def test_constructors_normalise_types() -> None:
    assert Poisson(np.int64(5)) == Poisson(5.0)
    assert isinstance(Poisson(5).mean, float)
    assert Uniform(np.int32(1), 3.0) == Uniform(1, 3)
    assert isinstance(Uniform(1, 3.0).high, int)
    assert Gamma(4, 0.5, 100.0).upper == 100
    emp = Empirical(np.array([3, 1]), np.array([0.25, 0.75]))
    assert emp.values == (1, 3) and emp.probs == (0.75, 0.25)
    assert all(type(v) is int for v in emp.values)
    # Probabilities within 1e-9 of summing to 1 are accepted and normalised exactly.
    emp = Empirical((0, 1, 2), (0.1, 0.2, 0.7 + 5e-10))
    assert math.fsum(emp.probs) == 1.0


def test_models_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Poisson(5).mean = 3.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Replay([1.0]).series = np.zeros((1, 1))  # type: ignore[misc]


# ----------------------------------------------------------------------------------------------
# Pickling, equality, caching
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_pickle_round_trip_excludes_cache(model: DemandModel) -> None:
    # Populate the caches first: they must not leak into equality or the pickle.
    if isinstance(model, DiscreteDemand):
        model.pmf()
    model.sample_torch(torch.Generator().manual_seed(0), 2, 2)
    clone = pickle.loads(pickle.dumps(model))
    assert clone == model and hash(clone) == hash(model)
    assert "_cache" not in clone.__dict__
    assert clone == copy.deepcopy(model)
    assert model == make_demand(model.spec)  # a fresh instance without a cache
    a = clone.sample(np.random.default_rng(5), 3, 4)
    np.testing.assert_array_equal(a, model.sample(np.random.default_rng(5), 3, 4))


def test_equality_distinguishes_models() -> None:
    assert Poisson(5) != Geometric(5)
    assert Poisson(5) != Poisson(6)
    assert Gamma(4, 0.5) != Gamma(4, 0.5, 100)
    assert len({Poisson(5), Poisson(5.0), Geometric(5)}) == 2


def test_module_imports_without_torch() -> None:
    path = Path(__file__).resolve().parents[1] / "inventory_gym" / "demand.py"
    code = (
        "import sys, importlib.util, numpy as np\n"
        # A finder that refuses torch (setting sys.modules['torch'] = None confuses scipy).
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('torch blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"spec = importlib.util.spec_from_file_location('demand_no_torch', {str(path)!r})\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "sys.modules['demand_no_torch'] = mod\n"
        "spec.loader.exec_module(mod)\n"
        "m = mod.make_demand('poisson(5)')\n"
        "assert m.sample(np.random.default_rng(0), 2, 3).shape == (2, 3)\n"
        "assert m.pmf()[1].sum() > 0.999\n"
        "assert 'torch' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_huge_tables_fail_clearly() -> None:
    model = Poisson(1e9)
    assert model.sample(np.random.default_rng(0), 2, 2).shape == (2, 2)
    with pytest.raises(ValueError, match="pmf table"):
        model.pmf()


# ----------------------------------------------------------------------------------------------
# Replay
# ----------------------------------------------------------------------------------------------


def test_replay_basics() -> None:
    replay = Replay(np.array([[1, 2, 3], [4, 5, 6]]))
    assert replay.series.dtype == np.float64 and replay.series.shape == (2, 3)
    assert replay.n_series == 2 and replay.horizon == 3 and replay.length == 3
    assert not replay.is_stationary
    assert replay.is_integer
    assert not Replay([0.5, 1.0]).is_integer
    assert replay.mean == 3.5
    assert replay.spec == "replay(2 series x 3 periods)" and str(replay) == replay.spec
    assert "Replay(" in repr(replay)
    one = Replay([1.0, 2.0, 3.0])
    assert one.series.shape == (1, 3)
    for q in (0.0, 0.2, 0.5, 0.51, 1.0):
        assert replay.quantile(q) == np.quantile(replay.series, q, method="inverted_cdf")
    assert replay.quantile(0.5) == 3.0


def test_replay_storage_is_a_read_only_copy() -> None:
    source = np.array([[1.0, 2.0, 3.0]])
    replay = Replay(source)
    source[0, 0] = 99.0
    assert replay.series[0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        replay.series[0, 0] = 5.0
    # Samples are fresh arrays: mutating them cannot touch the stored series.
    out = replay.sample(np.random.default_rng(), 1, 3)
    out[0, 0] = 7.0
    assert replay.series[0, 0] == 1.0


def test_replay_rows_and_start() -> None:
    series = np.arange(20.0).reshape(2, 10)
    replay = Replay(series)
    rng = np.random.default_rng()
    np.testing.assert_array_equal(replay.sample(rng, 2, 3), series[:, :3])
    np.testing.assert_array_equal(replay.sample(rng, 2, 3, start=4), series[:, 4:7])
    out = replay.sample(rng, 2, 3, start=np.array([0, 5]))
    np.testing.assert_array_equal(out, [[0, 1, 2], [15, 16, 17]])
    # The whole series is reachable.
    np.testing.assert_array_equal(replay.sample(rng, 2, 10), series)
    np.testing.assert_array_equal(replay.sample(rng, 2, 2, start=8), series[:, 8:])


def test_replay_single_series_broadcasts() -> None:
    replay = Replay(np.arange(10.0))
    rng = np.random.default_rng()
    out = replay.sample(rng, 4, 3, start=2)
    np.testing.assert_array_equal(out, np.tile([2.0, 3.0, 4.0], (4, 1)))
    out = replay.sample(rng, 3, 2, start=np.array([0, 4, 8]))
    np.testing.assert_array_equal(out, [[0, 1], [4, 5], [8, 9]])


def test_replay_errors() -> None:
    replay = Replay(np.arange(20.0).reshape(2, 10))
    rng = np.random.default_rng()
    with pytest.raises(ValueError, match="length 10"):
        replay.sample(rng, 2, 3, start=8)
    with pytest.raises(ValueError, match="length 10"):
        replay.sample(rng, 2, 11)
    with pytest.raises(ValueError, match="length 10"):
        replay.sample(rng, 2, 3, start=np.array([0, 8]))
    with pytest.raises(ValueError, match=r"batch must equal the number of series \(2\)"):
        replay.sample(rng, 3, 2)
    with pytest.raises(ValueError, match="batch"):
        replay.sample_torch(None, 1, 2)
    with pytest.raises(ValueError, match="shape"):
        replay.sample(rng, 2, 2, start=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=">= 0"):
        replay.sample(rng, 2, 2, start=np.array([0, -1]))
    with pytest.raises(ValueError, match="start"):
        replay.sample(rng, 2, 2, start=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start"):
        replay.sample(rng, 2, 2, start=True)
    with pytest.raises(ValueError, match="start"):
        replay.sample_torch(None, 2, 2, start=torch.tensor([0.0, 1.0]))


def test_replay_torch_parity() -> None:
    rng = np.random.default_rng(0)
    series = rng.poisson(5, size=(3, 12)).astype(float)
    replay = Replay(series)
    starts = np.array([0, 4, 9])
    expected = replay.sample(rng, 3, 3, start=starts)
    gen = torch.Generator().manual_seed(0)
    for start in (starts, torch.tensor(starts)):
        got = replay.sample_torch(gen, 3, 3, start=start, dtype=torch.float64)
        assert got.dtype == torch.float64
        np.testing.assert_array_equal(got.numpy(), expected)
    got = replay.sample_torch(None, 3, 5, start=7)
    np.testing.assert_array_equal(got.numpy(), series[:, 7:].astype(np.float32))
    single = Replay(series[0])
    np.testing.assert_array_equal(
        single.sample_torch(None, 4, 2, start=1).numpy(), np.tile(series[0, 1:3], (4, 1))
    )


def test_replay_row_and_pickle() -> None:
    series = np.arange(12.0).reshape(3, 4)
    replay = Replay(series)
    row = replay.row(1)
    assert isinstance(row, Replay) and row.n_series == 1
    np.testing.assert_array_equal(row.series, series[1:2])
    np.testing.assert_array_equal(replay.row(-1).series, series[2:])
    with pytest.raises(IndexError):
        replay.row(3)
    with pytest.raises(ValueError, match="integer"):
        replay.row(1.0)  # type: ignore[arg-type]

    replay.sample_torch(None, 3, 2)  # populate the cache
    clone = pickle.loads(pickle.dumps(replay))
    np.testing.assert_array_equal(clone.series, series)
    assert not clone.series.flags.writeable
    assert "_cache" not in clone.__dict__
    assert clone.is_integer and clone.horizon == 4


# ----------------------------------------------------------------------------------------------
# The alias table (the shells' default sampler of stationary discrete demand)
# ----------------------------------------------------------------------------------------------


def _alias_draws(model: DiscreteDemand, rng: np.random.Generator) -> np.ndarray:
    table = model.alias_table()
    assert table is not None
    return table.fill(rng, np.empty((N_PERIODS, N_BATCH)))


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
def test_alias_table_holds_the_pmf_exactly(model: DiscreteDemand) -> None:
    # The law the cells encode, point by point, is the pmf (truncated at 2^-60) to rounding.
    table = model.alias_table()
    assert table.cells >= table.values.size and table.cells & (table.cells - 1) == 0
    np.testing.assert_allclose(table.law(), table.probs, rtol=0, atol=1e-15)
    values, probs = model.pmf()  # the default table (tail folded at 1e-9) is a prefix of it
    np.testing.assert_array_equal(table.values[: values.size - 1], values[:-1])
    np.testing.assert_allclose(table.probs[: values.size - 1], probs[:-1], rtol=1e-12)


@pytest.mark.parametrize("model", DISCRETE, ids=_ids(DISCRETE))
@pytest.mark.parametrize("bits", ["PCG64", "MT19937"])
def test_alias_table_frequencies_match_pmf(model: DiscreteDemand, bits: str) -> None:
    # PCG64's raw 64-bit output, and Generator.integers for MT19937 (32-bit raw output).
    rng = np.random.Generator(getattr(np.random, bits)(11))
    x = _alias_draws(model, rng)
    values, probs = model.pmf()
    assert _chi_square_pvalue(x, values, probs) > 1e-4
    freq = np.bincount(
        np.searchsorted(values, np.minimum(x.ravel(), values[-1])), minlength=len(values)
    )
    stderr = np.sqrt(probs * (1 - probs) / x.size)
    assert np.all(np.abs(freq / x.size - probs) <= 5 * stderr + 1e-6)
    stderr_mean = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - model.pmf_mean) < 5 * stderr_mean


def test_alias_table_check_detects_a_wrong_pmf() -> None:
    # Not vacuous: the table's draws of Poisson(5) are rejected as Poisson(5.1).
    x = _alias_draws(Poisson(5), np.random.default_rng(0))
    values, probs = Poisson(5.1).pmf()
    assert _chi_square_pvalue(x, values, probs) < 1e-6


def test_alias_table_is_seeded_and_fills_in_memory_order() -> None:
    table = Poisson(5).alias_table()
    a = table.fill(np.random.default_rng(3), np.empty((7, 50_000)))
    b = table.fill(np.random.default_rng(3), np.empty(350_000))
    np.testing.assert_array_equal(a.ravel(), b)  # chunks do not depend on the shape
    assert not np.array_equal(a, table.fill(np.random.default_rng(4), np.empty((7, 50_000))))


def test_alias_table_rejects_bad_output() -> None:
    table = Poisson(5).alias_table()
    with pytest.raises(ValueError, match="float64"):
        table.fill(np.random.default_rng(), np.empty(5, dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        table.fill(np.random.default_rng(), np.empty((4, 4)).T)
    with pytest.raises(ValueError, match="Generator"):
        table.fill(np.random.RandomState(0), np.empty(5))  # type: ignore[arg-type]


def test_models_without_a_table_keep_their_sampler() -> None:
    assert TruncatedNormal(5, 2).alias_table() is None
    assert make_demand("seasonal(5,0.5,12)").alias_table() is None
    assert Replay(np.ones((2, 3))).alias_table() is None
    assert Uniform(0, 100_000).alias_table() is None  # more than 65,536 points
    model = Poisson(5)
    assert model.alias_table() is model.alias_table()
