"""Lost-sales heuristics and the fitting helpers: orders on hand-made states (numbers worked out
by hand in the comments), an independent brute-force check of myopic-1 and of the projected
stock, bad inputs, and Zipkin's (2008) published costs."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

import inventory_gym  # noqa: F401  (registers the ids)
from baselines.fitting import (
    FitConfig,
    Objective,
    coordinate_search,
    golden_section_search,
    integer_search,
    scalar_search,
)
from baselines.lost_sales import zipkin
from baselines.lost_sales.heuristics import (
    FITTERS,
    BaseStock,
    CappedBaseStock,
    ConstantOrder,
    Myopic1,
    ProjectedInventoryLevel,
    VectorBaseStock,
    fit_base_stock,
    fit_better_vector_base_stock,
    fit_capped_base_stock,
    fit_constant_order,
    fit_myopic1,
    fit_projected_inventory_level,
    fit_standard_vector_base_stock,
    standard_vector_base_stock,
    vector_targets,
)
from baselines.lost_sales.projection import demand_pmf
from inventory_gym.evaluation import Evaluation, evaluate, instance

ENV = "LostSalesLeadTime-v0"

# A three-point demand used for the hand computations: P(D = 0, 1, 2) = 0.2, 0.5, 0.3.
SMALL_PMF = (0.2, 0.5, 0.3)

# Zipkin (2008), Table 3 (SCENARIOS.md section 1): cost by p, then L = 1..4.
BEST_BASE_STOCK, MYOPIC1 = zipkin.BEST_BASE_STOCK, zipkin.MYOPIC1
CONSTANT_ORDER = zipkin.BEST_CONSTANT_ORDER

ROUNDING = 0.005  # the published costs are rounded to two decimals


def agrees(result: Evaluation, published: float) -> bool:
    """Within simulation error (2.6 standard errors) plus the published rounding."""
    return abs(result.cost - published) <= 2.6 * result.stderr + ROUNDING


def obs(*rows: list[float]) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


# ----------------------------------------------------------------------------------------------
# Orders on hand-made states
# ----------------------------------------------------------------------------------------------


def test_base_stock_orders_up_to_the_inventory_position():
    # L = 3: columns y, q1, q2. IP = 12, 22, 0, 20 -> orders 8, 0, 20, 0.
    policy = BaseStock(lead_time=3, level=20)
    x = obs([5, 3, 4], [15, 4, 3], [0, 0, 0], [20, 0, 0])
    np.testing.assert_array_equal(policy(x), [8, 0, 20, 0])
    assert policy.name == "base_stock(S=20)"
    assert policy.params() == {"lead_time": 3, "level": 20.0}
    assert not getattr(policy, "continuous_orders", False)


def test_extra_observation_columns_are_ignored():
    # A demand window and the static features after the state must not change any order.
    state = obs([5, 3, 4], [15, 4, 3], [0, 0, 0], [2, 9, 1])
    extra = np.concatenate([state, np.full((4, 6), 77.0, np.float32)], axis=1)
    policies = [
        BaseStock(3, 20),
        CappedBaseStock(3, 20, 6),
        VectorBaseStock(3, (6, 11, 16, 20)),
        Myopic1(3, 1.0, 4.0, SMALL_PMF),
        ProjectedInventoryLevel(3, 3.5, SMALL_PMF),
        ConstantOrder(4.5),
    ]
    for policy in policies:
        np.testing.assert_array_equal(policy(extra), policy(state), err_msg=policy.name)


def test_base_stock_lead_times_zero_and_one_read_on_hand_only():
    # No pipeline columns: IP = y. The second column (a demand window, say) is ignored.
    x = obs([3, 50], [9, 50], [12, 50])
    for lead_time in (0, 1):
        np.testing.assert_array_equal(BaseStock(lead_time, 10)(x), [7, 1, 0])
        np.testing.assert_array_equal(CappedBaseStock(lead_time, 10, 4)(x), [4, 1, 0])


def test_capped_base_stock_caps_the_base_stock_order():
    # L = 3, S = 20, r = 6: uncapped orders 8, 0, 20, 3 -> 6, 0, 6, 3.
    policy = CappedBaseStock(lead_time=3, level=20, cap=6)
    x = obs([5, 3, 4], [15, 4, 3], [0, 0, 0], [10, 5, 2])
    np.testing.assert_array_equal(policy(x), [6, 0, 6, 3])
    assert policy.name == "capped_base_stock(S=20,r=6)"
    assert policy.params() == {"lead_time": 3, "level": 20.0, "cap": 6.0}


def test_constant_order_is_continuous_and_never_rounded():
    policy = ConstantOrder(4.5)
    np.testing.assert_array_equal(policy(obs([0, 1, 2], [40, 0, 0])), [4.5, 4.5])
    assert ConstantOrder.continuous_orders is True
    assert policy.params() == {"rate": 4.5}
    result = evaluate(policy, ENV, {"lead_time": 2}, num_paths=4, periods=20, burn_in=0)
    assert not result.integer_orders
    assert result.metrics["order_mean"] == pytest.approx(4.5)


def test_vector_base_stock_partial_sums_and_orders():
    # L = 3, targets (s0, s1, s2, s3) = (6, 11, 16, 20); columns y, q1, q2 (q2 ordered last).
    # v = (0, q2, q2 + q1, IP); z = min_l (s_l - v_l)^+.
    #   [4, 3, 5]:  v = (0, 5, 8, 12)  -> gaps (6, 6, 8, 8)    -> 6
    #   [12, 2, 3]: v = (0, 3, 5, 17)  -> gaps (6, 8, 11, 3)   -> 3
    #   [0, 0, 9]:  v = (0, 9, 9, 9)   -> gaps (6, 2, 7, 11)   -> 2
    #   [0, 9, 0]:  v = (0, 0, 9, 9)   -> gaps (6, 11, 7, 11)  -> 6
    #   [20, 3, 3]: v = (0, 3, 6, 26)  -> gaps (6, 8, 10, -6)  -> 0
    policy = VectorBaseStock(3, (6, 11, 16, 20))
    x = obs([4, 3, 5], [12, 2, 3], [0, 0, 9], [0, 9, 0], [20, 3, 3])
    np.testing.assert_array_equal(
        policy.partial_sums(x)[:3], [[0, 5, 8, 12], [0, 3, 5, 17], [0, 9, 9, 9]]
    )
    np.testing.assert_array_equal(policy(x), [6, 3, 2, 6, 0])
    assert policy.name == "vector_base_stock(s=6,11,16,20)"


def test_vector_base_stock_small_lead_times():
    x = obs([3, 50], [9, 50], [12, 50])
    # L = 0: one term, v_0 = IP = y: base stock.
    np.testing.assert_array_equal(VectorBaseStock(0, (10,))(x), [7, 1, 0])
    # L = 1: min(s_0, (s_1 - y)^+): the capped base-stock policy (S = s_1, r = s_0).
    np.testing.assert_array_equal(VectorBaseStock(1, (4, 10))(x), [4, 1, 0])


def test_vector_base_stock_last_term_is_the_backlog_base_stock():
    # With the first L targets out of reach, only the l = L term binds: base stock on IP.
    rng = np.random.default_rng(1)
    x = rng.integers(0, 12, size=(200, 4)).astype(np.float32)
    np.testing.assert_array_equal(VectorBaseStock(4, (99, 99, 99, 99, 30))(x), BaseStock(4, 30)(x))
    # The standard policy's last target is the backlog base-stock level: the p/(p+h) fractile
    # of Poisson(5 (L + 1)) demand over L + 1 periods; its first, that of one period.
    for lead_time, p in ((1, 9), (4, 9), (3, 39)):
        _, params = instance(ENV, {"lead_time": lead_time, "lost_sales_cost": p})
        targets = standard_vector_base_stock(params).targets
        ratio = p / (p + 1)
        assert len(targets) == lead_time + 1
        assert targets[-1] == stats.poisson.ppf(ratio, 5 * (lead_time + 1))
        assert targets[0] == stats.poisson.ppf(ratio, 5)
        policy = fit_standard_vector_base_stock(ENV, {"lead_time": lead_time, "lost_sales_cost": p})
        assert policy.targets == targets


def test_myopic1_at_lead_time_zero_is_the_newsvendor_base_stock():
    # Poisson(5), h = 1, p = 9: the 0.9 fractile is 8 (P(D <= 7) = 0.867, P(D <= 8) = 0.932).
    policy = fit_myopic1("LostSales-v0", {"lost_sales_cost": 9})
    y = np.arange(12, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(policy(y), np.maximum(8 - np.arange(12), 0))
    np.testing.assert_array_equal(policy(y), BaseStock(0, 8)(y))


def test_myopic1_hand_computed():
    # D in {0, 1, 2} w.p. 0.2, 0.5, 0.3; h = 1, p = 4, c = 0: ratio 0.8.
    # L = 1, X = (y - D)^+; z = smallest z with P(D - X <= z) >= 0.8.
    #   y = 0: X = 0, P(D <= z) = 0.2, 0.7, 1.0                               -> z = 2
    #   y = 1: X = 1 w.p. 0.2, else 0: z=0: .8*.2 + .2*.7 = .30; z=1: .8*.7 + .2 = .76 -> z = 2
    #   y = 2: X = 2, 1, 0 w.p. .2, .5, .3: z=0: .3*.2 + .5*.7 + .2 = .61; z=1: .91  -> z = 1
    #   y = 3: X = 3, 2, 1 w.p. .2, .5, .3: z=0: .3*.7 + .7 = .91                  -> z = 0
    policy = Myopic1(1, 1.0, 4.0, SMALL_PMF)
    np.testing.assert_array_equal(policy(obs([0], [1], [2], [3])), [2, 2, 1, 0])
    # L = 2, state (y, q1) = (2, 0): u = (2 - D)^+ is 2, 1, 0 w.p. .2, .5, .3; X = (u - D)^+:
    # P(X = 2) = .04, P(X = 1) = .2*.5 + .5*.2 = .20, P(X = 0) = .76.
    # z = 0: .76*.2 + .2*.7 + .04 = .332; z = 1: .76*.7 + .2 + .04 = .772 < .8; z = 2: 1 -> 2.
    # (0, 1): u = 1 surely, X = (1 - D)^+ as for y = 1 at L = 1 -> 2.
    policy = Myopic1(2, 1.0, 4.0, SMALL_PMF)
    np.testing.assert_array_equal(policy(obs([2, 0], [0, 1])), [2, 2])
    # A purchase cost c = 1 lowers the ratio to (4 - 1) / (4 + 1) = 0.6: .772 >= .6 -> 1.
    np.testing.assert_array_equal(Myopic1(2, 1.0, 4.0, SMALL_PMF, unit_cost=1.0)(obs([2, 0])), [1])
    # A purchase cost above p: never order.
    np.testing.assert_array_equal(Myopic1(2, 1.0, 4.0, SMALL_PMF, unit_cost=5.0)(obs([0, 0])), [0])


def _brute_force_arrival(state: tuple[int, ...], pmf: tuple[float, ...]) -> dict[int, float]:
    """Pmf of X (stock just before the order arrives) by enumerating every demand sequence
    and stepping the kernel's rule ``y' = (y - D)^+ + q_1`` by hand."""
    y, pipeline = state[0], state[1:]
    out: dict[int, float] = {}
    for demands in itertools.product(range(len(pmf)), repeat=len(pipeline) + 1):
        prob = math.prod(pmf[d] for d in demands)
        u = y
        for q, d in zip(pipeline, demands[:-1]):
            u = max(u - d, 0) + q
        x = max(u - demands[-1], 0)
        out[x] = out.get(x, 0.0) + prob
    return out


def test_myopic1_and_pil_against_brute_force_enumeration():
    # Independent of the projection module: enumerate the demands of the L periods, then
    # minimise the myopic cost c z + E[h (X + z - D)^+ + p (D - X - z)^+] over z directly.
    pmf = (0.1, 0.25, 0.3, 0.2, 0.15)
    h, p, c = 1.0, 6.0, 0.5
    rng = np.random.default_rng(7)
    for lead_time in (1, 2, 3):
        states = rng.integers(0, 6, size=(40, lead_time)).astype(np.float32)
        myopic = Myopic1(lead_time, h, p, pmf, unit_cost=c)(states)
        expected_stock = ProjectedInventoryLevel(lead_time, 0.0, pmf).expected_stock_at_arrival(
            states
        )
        for row, z_policy, mean_policy in zip(states, myopic, expected_stock):
            arrival = _brute_force_arrival(tuple(int(v) for v in row), pmf)
            costs = []
            for z in range(len(pmf) + 1):
                cost = c * z
                for x, px in arrival.items():
                    for d, pd in enumerate(pmf):
                        cost += px * pd * (h * max(x + z - d, 0) + p * max(d - x - z, 0))
                costs.append(cost)
            best = min(costs)
            first = next(z for z, v in enumerate(costs) if v <= best + 1e-12)
            assert z_policy == first, (lead_time, row, costs)
            assert mean_policy == pytest.approx(sum(x * px for x, px in arrival.items()))


def test_myopic1_against_monte_carlo_on_poisson_state():
    # Zipkin's instance, L = 3, p = 9, state (y, q1, q2) = (4, 6, 3): simulate X by the kernel's
    # recursion and compare the myopic costs of the policy's order and its neighbours.
    rng = np.random.default_rng(3)
    n = 400_000
    demand = rng.poisson(5.0, size=(n, 3))
    u = np.maximum(4 - demand[:, 0], 0) + 6
    u = np.maximum(u - demand[:, 1], 0) + 3
    x = np.maximum(u - demand[:, 2], 0)
    d = rng.poisson(5.0, size=n)

    def cost(z: int) -> tuple[float, float]:
        sample = np.maximum(x + z - d, 0) + 9 * np.maximum(d - x - z, 0)
        return float(sample.mean()), float(sample.std() / math.sqrt(n))

    policy = fit_myopic1(ENV, {"lead_time": 3, "lost_sales_cost": 9})
    z = int(policy(obs([4, 6, 3]))[0])
    here, _ = cost(z)
    for other in (z - 1, z + 1):
        there, _ = cost(other)
        # Paired on the same samples: the difference is measured much more sharply.
        assert here < there, (z, other, here, there)
    # And the exact pmf's mean agrees with the simulated mean of X.
    pil = ProjectedInventoryLevel(3, 0.0, policy.demand_pmf)
    assert pil.expected_stock_at_arrival(obs([4, 6, 3]))[0] == pytest.approx(x.mean(), abs=0.01)


def test_projected_inventory_level_orders():
    # L = 0: E[X] = y; z = (S - y)^+ (real: the harness rounds it).
    policy = ProjectedInventoryLevel(0, 7.5, SMALL_PMF)
    np.testing.assert_allclose(policy(obs([3], [7], [9])), [4.5, 0.5, 0.0])
    # L = 1 with D in {0, 1, 2} (.2, .5, .3): E[(y - D)^+] = 0, .2, .9, 1.9 for y = 0..3.
    policy = ProjectedInventoryLevel(1, 3.5, SMALL_PMF)
    np.testing.assert_allclose(policy(obs([0], [1], [2], [3])), [3.5, 3.3, 2.6, 1.6])
    # L = 2, (y, q1) = (2, 0): E[X] = 2 * .04 + 1 * .20 = .28.
    policy = ProjectedInventoryLevel(2, 3.5, SMALL_PMF)
    np.testing.assert_allclose(policy(obs([2, 0])), [3.22])
    assert policy.name == "pil(S=3.5)"
    assert policy.params() == {"lead_time": 2, "target": 3.5}


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: BaseStock(-1, 5), "lead_time"),
        (lambda: BaseStock(1.5, 5), "lead_time"),
        (lambda: BaseStock(1, -2), "level"),
        (lambda: BaseStock(1, float("nan")), "level"),
        (lambda: CappedBaseStock(1, 10, -1), "cap"),
        (lambda: ConstantOrder(-0.5), "rate"),
        (lambda: ConstantOrder(float("inf")), "rate"),
        (lambda: VectorBaseStock(2, (1, 2)), "targets"),
        (lambda: VectorBaseStock(1, "12"), "targets"),
        (lambda: VectorBaseStock(1, (1, -2)), "targets"),
        (lambda: VectorBaseStock(1, (1, 2), fractile=1.5), "fractile"),
        (lambda: Myopic1(1, 1.0, 4.0, (0.5, 0.2)), "demand_pmf"),
        (lambda: Myopic1(1, 1.0, 4.0, (0.5, -0.5, 1.0)), "demand_pmf"),
        (lambda: Myopic1(1, -1.0, 4.0, SMALL_PMF), "holding_cost"),
        (lambda: Myopic1(1, 0.0, 0.0, SMALL_PMF), "holding_cost"),
        (lambda: ProjectedInventoryLevel(1, float("nan"), SMALL_PMF), "target"),
        (lambda: FitConfig(num_paths=0), "num_paths"),
        (lambda: FitConfig(periods=2.5), "periods"),
        (lambda: FitConfig(seed=-1), "seed"),
        (lambda: FitConfig(progress="yes"), "progress"),
        (lambda: fit_myopic1(ENV, {"demand": "normal(5,2)"}), "discrete"),
        (lambda: fit_projected_inventory_level(ENV, {"demand": "normal(5,2)"}), "discrete"),
        (lambda: fit_base_stock(ENV, {"lead_time": 1}, config="fast"), "config"),
        (lambda: fit_base_stock("NoSuchEnv-v0"), "NoSuchEnv"),
        (lambda: integer_search(abs, 5, lower=0, upper=3), "start"),
        (lambda: integer_search(abs, 2.5), "start"),
        (lambda: golden_section_search(abs, 1.0, 0.0), "upper"),
        (lambda: scalar_search(abs, 0.0, 1.0, grid=2), "grid"),
        (lambda: coordinate_search(lambda x: 0.0, (1, 2), lower=(0,)), "lower"),
    ],
)
def test_bad_input_raises_naming_the_parameter(build, name):
    with pytest.raises(ValueError, match=name):
        build()


def test_bad_observations_raise():
    with pytest.raises(ValueError, match="obs"):
        BaseStock(3, 10)(np.zeros((2, 2)))  # L = 3 needs on-hand and two pipeline columns
    with pytest.raises(ValueError, match="obs"):
        Myopic1(2, 1.0, 4.0, SMALL_PMF)(np.zeros(3))  # not a batch


def test_fitting_rejects_a_problem_that_is_not_lost_sales():
    # Every lost-sales fit reads its instance through baselines.lost_sales.lost_sales_params.
    for fit in FITTERS.values():
        with pytest.raises(ValueError, match="not lost sales"):
            fit("Perishable-v0")


# ----------------------------------------------------------------------------------------------
# Search helpers
# ----------------------------------------------------------------------------------------------


def test_integer_search_descends_both_ways_and_respects_bounds():
    calls: list[int] = []

    def f(x: int) -> float:
        calls.append(x)
        return (x - 7) ** 2

    assert integer_search(f, 0) == (7, 0)
    assert len(calls) == len(set(calls))  # cached: no point simulated twice
    assert integer_search(f, 20) == (7, 0)
    assert integer_search(f, 2, upper=5) == (5, 4)
    assert integer_search(lambda x: (x + 3) ** 2, 4, lower=-10) == (-3, 0)
    assert integer_search(lambda x: 1.0, 4) == (4, 1.0)  # a plateau does not move it


def test_coordinate_search_follows_a_diagonal_valley():
    # A narrow valley along x = y: single-coordinate moves stall at once; diagonal moves don't.
    def f(point: tuple[int, int]) -> float:
        x, y = point
        return 10.0 * (x - y) ** 2 + 0.1 * (x + y - 14) ** 2

    assert coordinate_search(f, (2, 2)) == ((7, 7), 0.0)
    assert coordinate_search(f, (2, 2), upper=(5, None))[0] == (5, 5)


def test_real_searches():
    x, value = golden_section_search(lambda t: (t - 1.234) ** 2, 0.0, 5.0, tol=1e-4)
    assert x == pytest.approx(1.234, abs=1e-4)
    assert value < 1e-8

    def two_valleys(t: float) -> float:
        return min((t - 1.0) ** 2 + 0.5, (t - 4.0) ** 2)

    x, value = scalar_search(two_valleys, 0.0, 5.0, grid=11, tol=1e-4)
    assert x == pytest.approx(4.0, abs=1e-3)


def test_objective_caches_and_uses_the_fitting_seed():
    config = FitConfig(num_paths=8, periods=20, burn_in=5)
    built: list[int] = []

    def build(level: int) -> BaseStock:
        built.append(level)
        return BaseStock(1, level)

    with Objective(build, ENV, {"lead_time": 1}, config) as objective:
        first = objective(10)
        assert objective(10) == first
        assert built == [10]
        assert objective.evaluations == 1
        assert objective.best == (10, first)
    direct = evaluate(
        BaseStock(1, 10),
        ENV,
        {"lead_time": 1},
        num_paths=8,
        periods=20,
        burn_in=5,
        seed=config.seed,
    )
    assert direct.cost == first


# ----------------------------------------------------------------------------------------------
# Fitting and Zipkin's published numbers
# ----------------------------------------------------------------------------------------------


def test_fitted_base_stock_reproduces_zipkin_l1_p4():
    kwargs = {"lead_time": 1, "lost_sales_cost": 4}
    policy = fit_base_stock(ENV, kwargs)
    assert policy.level == 12
    result = evaluate(policy, ENV, kwargs, seed=0)
    assert agrees(result, BEST_BASE_STOCK[4][0]), result


def test_myopic1_reproduces_zipkin_l1_p4():
    kwargs = {"lead_time": 1, "lost_sales_cost": 4}
    result = evaluate(fit_myopic1(ENV, kwargs), ENV, kwargs, seed=0)
    assert agrees(result, MYOPIC1[4][0]), result


def test_constant_order_four_reproduces_zipkin_p4_p9():
    # Zipkin's best constant-order costs for p = 4 and 9 are those of r = 4: an exact Markov
    # chain on the leftover stock gives 5.2748 and 10.2748 (see the slow test below for the
    # best real rate, which does better).
    for p in (4, 9):
        result = evaluate(
            ConstantOrder(4.0), ENV, {"lead_time": 1, "lost_sales_cost": p}, burn_in=1000
        )
        assert agrees(result, CONSTANT_ORDER[p]), result


def test_other_fits_run_and_beat_their_starting_points():
    kwargs = {"lead_time": 2, "lost_sales_cost": 9}
    config = FitConfig(num_paths=100, periods=300, burn_in=50)
    best = fit_base_stock(ENV, kwargs, config)
    capped = fit_capped_base_stock(ENV, kwargs, config)
    standard = fit_standard_vector_base_stock(ENV, kwargs, config)
    better = fit_better_vector_base_stock(ENV, kwargs, config)
    pil = fit_projected_inventory_level(ENV, kwargs, config)
    assert 0.5 <= better.fractile <= 0.999
    _, params = instance(ENV, kwargs)
    fractile_targets = vector_targets(demand_pmf(params.demand), 2, better.fractile)
    assert better.targets == tuple(s + better.offset for s in fractile_targets)
    costs = {
        policy.name: evaluate(
            policy, ENV, kwargs, num_paths=100, periods=300, burn_in=50, seed=config.seed
        ).cost
        for policy in (best, capped, standard, better, pil)
    }
    # On the fitting paths each search ends no worse than where it started: the capped
    # search starts from the best base stock, the better vector one from the standard one.
    assert costs[capped.name] <= costs[best.name]
    assert costs[better.name] <= costs[standard.name]
    assert costs[pil.name] < costs[standard.name]
    for policy in (best, capped, better, pil):
        assert json.loads(json.dumps(policy.params())) == policy.params()


def test_fit_constant_order_finds_the_interior_rate():
    # p = 9: the cost of r = 4 is 10.27, that of r = 4.5 about 8.2 (rates near 5 explode).
    config = FitConfig(num_paths=50, periods=300)
    policy = fit_constant_order(ENV, {"lead_time": 1, "lost_sales_cost": 9}, config)
    assert 4.3 < policy.rate < 4.7
    assert policy.continuous_orders


# ----------------------------------------------------------------------------------------------
# Slow: every published number
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("p", [4, 9, 19, 39])
@pytest.mark.parametrize("lead_time", [1, 2, 3, 4])
def test_slow_best_base_stock_and_myopic1_reproduce_zipkin(lead_time, p):
    kwargs = {"lead_time": lead_time, "lost_sales_cost": p}
    best = evaluate(fit_base_stock(ENV, kwargs), ENV, kwargs, num_paths=2000, seed=0)
    assert agrees(best, BEST_BASE_STOCK[p][lead_time - 1]), best
    myopic = evaluate(fit_myopic1(ENV, kwargs), ENV, kwargs, num_paths=2000, seed=0)
    assert agrees(myopic, MYOPIC1[p][lead_time - 1]), myopic


def exact_constant_order_cost(rate: float, p: float, h: float = 1.0) -> float:
    """Exact long-run cost of the constant order ``rate`` (rounded to 0.01) under Poisson(5)
    demand, independent of the harness: the leftover stock follows the Lindley recursion
    ``U' = (U + r - D)^+`` on the lattice of hundredths; in steady state every unit ordered is
    sold, so lost sales are ``E[D] - r`` per period and the cost is ``p (5 - r) + h E[U]``."""
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    k, top = 100, 150  # lattice step 1/k, leftover truncated at ``top`` units
    step = round(rate * k)
    pmf = stats.poisson(5.0).pmf(np.arange(31))
    pmf[-1] += 1.0 - pmf.sum()
    n = top * k + 1
    u = np.arange(n)
    rows = np.tile(u, pmf.shape[0])
    cols = np.concatenate([np.clip(u + step - d * k, 0, n - 1) for d in range(pmf.shape[0])])
    vals = np.repeat(pmf, n)
    chain = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    # Stationary distribution: (P^T - I) pi = 0 with one equation replaced by sum(pi) = 1.
    system = (chain.T - sparse.identity(n)).tolil()
    system[n - 1, :] = np.ones(n)
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    pi = spsolve(system.tocsr(), rhs)
    assert abs(pi[-10 * k :]).sum() < 1e-5  # the truncation is harmless
    return p * (5.0 - step / k) + h * float(pi @ (u / k))


@pytest.mark.slow
@pytest.mark.parametrize("p", [4, 9, 19, 39])
def test_slow_best_constant_order_is_the_exact_optimum(p):
    """The fitted rate is the best real rate (checked against the exact chain), and the harness
    reproduces its exact cost. Zipkin's published constant-order costs are NOT reproduced by
    the best rate: 5.27 and 10.27 (p = 4, 9) are exactly the cost of r = 4, which the best
    real rates (about 4.23 and 4.48) beat by 0.2 and 2.1; for p = 19 the best rate (about 4.64)
    costs 12.42, not 15.78; for p = 39 (about 4.75) 18.35, above the published 18.21, which
    no constant rate reaches under these dynamics."""
    kwargs = {"lead_time": 1, "lost_sales_cost": p}
    rate = round(fit_constant_order(ENV, kwargs).rate, 2)
    here = exact_constant_order_cost(rate, p)
    # The exact cost is convex in the rate: a local check on the hundredths grid suffices.
    assert here <= exact_constant_order_cost(rate - 0.01, p) + 2e-3
    assert here <= exact_constant_order_cost(rate + 0.01, p) + 2e-3
    result = evaluate(
        ConstantOrder(rate), ENV, kwargs, num_paths=2000, periods=2000, burn_in=1000, seed=0
    )
    assert abs(result.cost - here) <= 2.6 * result.stderr, (result, here)
    if p in (4, 9):
        assert round(exact_constant_order_cost(4.0, p), 2) == CONSTANT_ORDER[p]
