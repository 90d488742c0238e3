"""A complete new problem defined only under tests/ (``toy_backlog``): it passes the conformance
suite, is scored by the harness, solved by its exact solver and fitted through the shared
registry, trained by DirectBackprop and compared by ``inventory-gym compare``, with no edit to
any shared file (issue "One problem, one place")."""

from __future__ import annotations

import numpy as np
import pytest
from toy_backlog import PROBLEM
from toy_backlog.problem import ENV_ID

import inventory_gym
from baselines import exact
from baselines.fitting import FitConfig
from baselines.registry import entries, fit_policy
from inventory_gym import testing
from inventory_gym.evaluation import compare, evaluate

inventory_gym.register_problem(PROBLEM)
FIT = FitConfig(num_paths=100, periods=300, burn_in=50)
CASES = testing.conformance_cases([PROBLEM])


@pytest.mark.parametrize(
    "check",
    testing.CHECKS,
    ids=lambda c: c.__name__,
)
@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [(env_id, kwargs) for env_id, _, kwargs in CASES],
    ids=[label for _, label, _ in CASES],
)
def test_toy_problem_passes_the_conformance_suite(env_id, kwargs, check):
    check(env_id, **kwargs)


def test_toy_problem_is_found_by_name():
    instance = inventory_gym.make_instance(ENV_ID, fixed_cost=4.0)
    assert instance.problem is PROBLEM and instance.params.fixed_cost == 4.0
    assert inventory_gym.problem_of(ENV_ID) is PROBLEM
    assert list(entries(PROBLEM)) == ["optimal", "s_S"]
    assert exact.solver(PROBLEM) is not None
    assert ENV_ID not in inventory_gym.ENV_IDS  # not shipped: registered by this test


@pytest.fixture(scope="module")
def solved():
    params = inventory_gym.make_instance(ENV_ID).params
    return exact.solver(PROBLEM).solve(params, discount=None, margin=0, progress=False)


def test_toy_optimum_is_an_s_S_policy_and_the_fitted_heuristic_is_close(solved):
    x = np.arange(-8, 16)
    orders = solved.policy()(x[:, None].astype(np.float64))
    ordering = x[orders > 0]
    assert ordering.size and ordering.max() < x[orders == 0].min()  # order iff x <= s
    uncapped = (orders > 0) & (orders < 12)
    assert uncapped.any() and np.unique(x[uncapped] + orders[uncapped]).size == 1  # up to one S
    assert np.all(orders[(orders > 0) & ~uncapped] == 12)  # else the largest order
    s_S = fit_policy("s_S", ENV_ID, None, FIT)
    params = inventory_gym.make_instance(ENV_ID).params
    heuristic = exact.policy_cost(PROBLEM, params, s_S)
    assert solved.lower - 1e-9 <= heuristic <= solved.cost * 1.02
    # The harness agrees with the exact chain on the optimum.
    scored = evaluate(solved.policy(), ENV_ID, num_paths=400, periods=400, burn_in=50)
    assert abs(scored.cost - solved.cost) < 4 * scored.stderr
    paired = compare(evaluate(s_S, ENV_ID, num_paths=400, periods=400, burn_in=50), scored)
    assert paired.difference >= -4 * paired.stderr  # the fitted (s, S) may be the optimum


def test_toy_problem_trains_with_directbackprop(solved):
    from dbp import TrainConfig, train

    config = TrainConfig(
        max_steps=150, max_seconds=None, batch_size=64, horizon=32, eval_every=75, eval_paths=64
    )
    # The plain MLP: the base-stock networks order every period, and pay K every period.
    result = train((ENV_ID, {}), "mlp", config, progress=False)
    assert result.steps == 150
    scored = evaluate(result.policy, ENV_ID, num_paths=400, periods=400, burn_in=50)
    never = evaluate(lambda obs: np.zeros(len(obs)), ENV_ID, num_paths=400, periods=400)
    assert scored.cost < 0.5 * never.cost
    assert scored.cost < solved.cost * 1.25  # 150 steps: 10.01 against 8.83 when written


def test_toy_table_is_saved_and_loaded_through_the_shared_loader(solved, tmp_path):
    path = solved.save(tmp_path / "toy.npz")
    table = exact.load_table(path)
    assert table.problem is PROBLEM
    x = np.arange(-5, 10, dtype=np.float64)[:, None]
    np.testing.assert_array_equal(table(x), solved.policy()(x))


def test_toy_problem_appears_in_inventory_gym_compare(tmp_path, capsys):
    import json

    from inventory_gym_cli.main import main

    args = ["--paths", "200", "--periods", "200", "--burn-in", "50", "--fit-paths", "100"]
    args += ["--fit-periods", "200", "--dbp-steps", "30", "--quiet", "--json", "--no-plot"]
    assert main(["compare", ENV_ID, *args, "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["policies"]) == {"optimal", "s_S", "dbp"}
    assert doc["policies"]["optimal"]["exact_cost"] == pytest.approx(8.8331, abs=1e-3)
    assert doc["policies"]["s_S"]["gap_percent"] < 2.0
    assert main(["solve", ENV_ID, "--quiet", "--out", str(tmp_path / "t.npz")]) == 0
    capsys.readouterr()
    assert main(["evaluate", ENV_ID, "--load", str(tmp_path / "t.npz"), *args[:6], "--quiet"]) == 0
    assert "optimal" in capsys.readouterr().out
