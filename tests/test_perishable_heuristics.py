"""Perishable-v0 heuristics: hand-computed orders, the observation layout, validation, fitting
and the registry."""

from __future__ import annotations

import numpy as np
import pytest

import inventory_gym  # noqa: F401
from baselines import registry
from baselines.fitting import FitConfig
from baselines.perishable import heuristics as h
from inventory_gym.envs.perishable import PerishableParams
from inventory_gym.evaluation import evaluate

ENV = "Perishable-v0"
SMALL = FitConfig(num_paths=100, periods=300)


def layout(useful_life: int, lead_time: int, issuing: str, mean: float = 4.0) -> h.Layout:
    """A layout with a round mean demand, so that the orders are computed by hand."""
    params = PerishableParams(useful_life=useful_life, lead_time=lead_time, issuing=issuing)
    return h.Layout(params, mean)


# m = 2, L = 1: rows (X_1, X_2) with X_2 expiring at the end of this period; mean demand 4.
OBS_M2_L1 = np.array([[3.0, 6.0], [0.0, 0.0], [8.0, 1.0], [1.0, 5.0]])


def test_expected_waste_m2_l1_by_hand():
    # FIFO: demand 4 is taken from X_2 first: (3, 6) leaves 2 of X_2 to expire; (8, 1) and
    # (1, 5) leave 0 and 1. LIFO: X_1 first: (3, 6) -> 6 - 1 = 5 expire; (8, 1) -> 1; (1, 5)
    # -> 5 - 3 = 2.
    np.testing.assert_allclose(layout(2, 1, "FIFO").expected_waste(OBS_M2_L1), [2, 0, 0, 1])
    np.testing.assert_allclose(layout(2, 1, "LIFO").expected_waste(OBS_M2_L1), [5, 0, 1, 2])


def test_expected_waste_counts_the_pipeline_arrivals():
    """m = 2, L = 2: the order in transit arrives after this period and, under LIFO, is issued
    before the older stock of the second period."""
    obs = np.array([[6.0, 1.0, 3.0]])  # X_1 = 6, X_2 = 1, q_1 = 3
    # FIFO: t: X_2 gives 1, X_1 gives 3 -> (X_1, X_2) = (3, 3); t + 1: X_2 gives 3, X_1 1 -> 0.
    np.testing.assert_allclose(layout(2, 2, "FIFO").expected_waste(obs), [0])
    # LIFO: t: X_1 gives 4, X_2 = 1 expires -> (3, 2); t + 1: X_1 gives 3, X_2 gives 1, 1 left.
    np.testing.assert_allclose(layout(2, 2, "LIFO").expected_waste(obs), [2])


def test_layout_uses_the_mean_of_the_demand_pmf():
    params = PerishableParams()
    lay = h.Layout.of(params)
    values, probs = params.demand.pmf()
    assert lay.mean_demand == pytest.approx(float(np.dot(values, probs)), abs=1e-12)
    assert lay.mean_demand == pytest.approx(4.0, abs=1e-3)  # rounded gamma(4, 0.5)
    # FIFO, (3, 6): 6 - mean expire.
    ew = lay.expected_waste(np.array([[3.0, 6.0]]))
    np.testing.assert_allclose(ew, [6.0 - lay.mean_demand])


@pytest.mark.parametrize("issuing", ["FIFO", "LIFO"])
def test_base_stock_orders_up_to_the_position(issuing):
    lay = layout(2, 1, issuing)
    np.testing.assert_allclose(h.BaseStock(lay, 7)(OBS_M2_L1), [0, 7, 0, 1])
    lay = layout(3, 2, issuing)
    obs = np.array([[2.0, 3.0, 5.0, 4.0], [0.0, 1.0, 6.0, 0.0]])  # IP = 14, 7
    np.testing.assert_allclose(h.BaseStock(lay, 15)(obs), [1, 8])


def test_bsp_low_ew_m2_l1_by_hand():
    # S1 = 5, S2 = 8, b = 7: alpha = 1 - 3/7 = 4/7. IP = 9, 0, 9, 6.
    alpha = 4 / 7
    fifo = h.BSPLowEW(layout(2, 1, "FIFO"), 5, 8, 7)
    assert fifo.alpha == pytest.approx(alpha)
    # IP >= b: (8 - 9 + EW)^+; IP < b: 5 - alpha IP + EW. EW (FIFO) = 2, 0, 0, 1.
    np.testing.assert_allclose(fifo(OBS_M2_L1), [1, 5, 0, 5 - alpha * 6 + 1])
    lifo = h.BSPLowEW(layout(2, 1, "LIFO"), 5, 8, 7)  # EW (LIFO) = 5, 0, 1, 2
    np.testing.assert_allclose(lifo(OBS_M2_L1), [4, 5, 0, 5 - alpha * 6 + 2])
    assert fifo.params() == {"S1": 5, "S2": 8, "b": 7}


def test_bsp_low_ew_m3_l2_by_hand():
    obs = np.array([[2.0, 3.0, 5.0, 4.0], [0.0, 1.0, 6.0, 0.0]])  # IP = 14, 7
    # EW over t, t + 1 (q_1 arrives after t), demand 4 each period:
    # FIFO row 0: t: X_3 = 5 -> 1 expires; (4, 2, 3); t + 1: X_3 gives 3, X_2 1 -> 0. EW = 1.
    # FIFO row 1: t: X_3 = 6 -> 2 expire; (0, 0, 1); t + 1: nothing left. EW = 2.
    # LIFO row 0: t: X_1 gives 2, X_2 2 -> X_3 = 5 expire; (4, 0, 1); t + 1: X_1 gives 4,
    # X_3 = 1 expires. EW = 6.
    # LIFO row 1: t: X_2 gives 1, X_3 gives 3 -> 3 expire; nothing left. EW = 3.
    fifo_lay, lifo_lay = layout(3, 2, "FIFO"), layout(3, 2, "LIFO")
    np.testing.assert_allclose(fifo_lay.expected_waste(obs), [1, 2])
    np.testing.assert_allclose(lifo_lay.expected_waste(obs), [6, 3])
    # S1 = 10, S2 = 16, b = 12: alpha = 1/2. Row 0: IP >= b: 16 - 14 + EW; row 1: 10 - 3.5 + EW.
    np.testing.assert_allclose(h.BSPLowEW(fifo_lay, 10, 16, 12)(obs), [3, 8.5])
    np.testing.assert_allclose(h.BSPLowEW(lifo_lay, 10, 16, 12)(obs), [8, 9.5])


def test_bsp_low_ew_with_equal_levels_is_base_stock_plus_expected_waste():
    lay = layout(2, 1, "LIFO")
    for b in (1, 7, 30):
        np.testing.assert_allclose(
            h.BSPLowEW(lay, 6, 6, b)(OBS_M2_L1),
            np.maximum(6 - lay.position(OBS_M2_L1) + lay.expected_waste(OBS_M2_L1), 0),
        )


@pytest.mark.parametrize("issuing", ["FIFO", "LIFO"])
def test_waste_conscious_by_hand(issuing):
    # S = 10, mean 4: IP = 9, 0, 9, 6 < 10: 10 - IP + (X_2 - 4)^+, whatever the issuing rule.
    policy = h.WasteConsciousOrderUpTo(layout(2, 1, issuing), 10)
    np.testing.assert_allclose(policy(OBS_M2_L1), [1 + 2, 10, 1, 4 + 1])
    # Nothing when IP >= S, even with stock about to expire.
    np.testing.assert_allclose(h.WasteConsciousOrderUpTo(layout(2, 1, issuing), 9)(OBS_M2_L1)[0], 0)
    # m = 3, L = 2: the position includes the pipeline; X_3 is the expiring class.
    obs = np.array([[2.0, 3.0, 5.0, 4.0], [0.0, 1.0, 6.0, 0.0]])  # IP = 14, 7
    policy = h.WasteConsciousOrderUpTo(layout(3, 2, issuing), 15)
    np.testing.assert_allclose(policy(obs), [1 + 1, 8 + 2])


def test_extra_observation_columns_are_ignored():
    """The env's demand window and static features follow the state; policies read only
    the first m + L - 1 columns."""
    params = PerishableParams(useful_life=3, lead_time=2, issuing="LIFO")
    lay = h.Layout.of(params)
    state = np.array([[2.0, 3.0, 5.0, 4.0], [0.0, 1.0, 6.0, 0.0], [1.0, 0.0, 0.0, 9.0]])
    extra = np.column_stack([state, np.full((3, 9), 50.0)])
    for policy in (
        h.BaseStock(lay, 12),
        h.BSPLowEW(lay, 9, 13, 8),
        h.WasteConsciousOrderUpTo(lay, 12),
    ):
        np.testing.assert_array_equal(policy(extra), policy(state))
        assert policy(extra).shape == (3,)
    with pytest.raises(ValueError, match="4 state columns"):
        h.BaseStock(lay, 12)(state[:, :3])


def test_policies_run_in_the_harness_with_extra_columns():
    kwargs = {"useful_life": 3, "lead_time": 2, "demand_window": 2, "static_features": True}
    lay = h.Layout.of(h.perishable_params("test", ENV, kwargs))
    plain = evaluate(
        h.BSPLowEW(lay, 9, 13, 8),
        ENV,
        {"useful_life": 3, "lead_time": 2},
        num_paths=20,
        periods=50,
        burn_in=10,
    )
    extra = evaluate(h.BSPLowEW(lay, 9, 13, 8), ENV, kwargs, num_paths=20, periods=50, burn_in=10)
    assert extra.cost == pytest.approx(plain.cost)


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda lay: h.BSPLowEW(lay, 5, 8, 0), "b"),
        (lambda lay: h.BSPLowEW(lay, 5, 8, -2), "b"),
        (lambda lay: h.BSPLowEW(lay, -1, 8, 3), "s1"),
        (lambda lay: h.BSPLowEW(lay, 5, float("nan"), 3), "s2"),
        (lambda lay: h.BaseStock(lay, -1), "level"),
        (lambda lay: h.BaseStock(lay, "7"), "level"),
        (lambda lay: h.WasteConsciousOrderUpTo(lay, float("inf")), "level"),
    ],
)
def test_bad_parameters_are_refused(build, name):
    with pytest.raises(ValueError, match=rf"\b{name} must be"):
        build(layout(2, 1, "FIFO"))


def test_bad_b_message_names_the_value():
    with pytest.raises(ValueError, match=r"BSPLowEW: b must be positive, got 0"):
        h.BSPLowEW(layout(2, 1, "FIFO"), 5, 8, 0)


@pytest.mark.parametrize("fit", [h.fit_base_stock, h.fit_bsp_low_ew, h.fit_waste_conscious])
def test_fitting_refuses_another_problem(fit):
    with pytest.raises(ValueError, match=rf"{fit.__name__}: .* not perishable"):
        fit("LostSalesLeadTime-v0", None, SMALL)


@pytest.mark.parametrize("issuing, low, high", [("FIFO", 6, 7), ("LIFO", 4, 6)])
def test_fitted_base_stock_level_is_sensible(issuing, low, high):
    """De Moor's m = 2, L = 1, w = 7: the best discounted base-stock levels are 7 (FIFO) and
    5 (LIFO) (SCENARIOS.md); the average cost agrees (7 and 5 at the default FitConfig)."""
    policy = h.fit_base_stock(ENV, {"issuing": issuing}, SMALL)
    assert low <= policy.level <= high
    assert isinstance(policy.level, int) and policy.params() == {"S": policy.level}


def test_fitted_bsp_low_ew_beats_base_stock_and_waste_conscious_is_sensible():
    kwargs = {"issuing": "FIFO"}
    base = h.fit_base_stock(ENV, kwargs, SMALL)
    bsp = h.fit_bsp_low_ew(ENV, kwargs, SMALL)
    waste = h.fit_waste_conscious(ENV, kwargs, SMALL)
    assert 5 <= waste.level <= 8
    options = {"num_paths": 200, "periods": 500, "burn_in": 100}
    assert evaluate(bsp, ENV, kwargs, **options).cost < evaluate(base, ENV, kwargs, **options).cost


def test_registry_offers_the_perishable_policies():
    assert registry.problem_of(ENV) == "perishable"
    available = registry.entries("perishable")
    assert list(available) == ["optimal", "base_stock", "bsp_low_ew", "waste_conscious"]
    assert available["optimal"].optimal and not available["base_stock"].optimal
    policy = registry.fit_policy("waste_conscious", ENV, {"issuing": "LIFO"}, SMALL)
    assert isinstance(policy, h.WasteConsciousOrderUpTo)
