"""The exact-solver interface (baselines.exact): one entry per problem, no branches in callers."""

from __future__ import annotations

import numpy as np
import pytest

import inventory_gym
from baselines import exact
from inventory_gym.evaluation import instance


def test_every_problem_with_a_solver_is_registered():
    problems = {instance(env_id)[0].name for env_id in inventory_gym.ENV_IDS}
    assert set(exact.SOLVERS) == problems
    for name, solver in exact.SOLVERS.items():
        assert solver.problem == name


@pytest.mark.parametrize(
    "env_id, kwargs, expected",
    [
        ("LostSalesLeadTime-v0", {"lead_time": 1, "lost_sales_cost": 4.0}, None),
        ("DualSourcing-v0", {"expedited_cost": 5.0}, None),
        ("Perishable-v0", {"issuing": "LIFO"}, None),
        ("DualSourcing-v0", {"expedited_lead_time": 1}, "expedited_lead_time=0"),
        ("Perishable-v0", {"useful_life": 5, "lead_time": 3}, "state count"),
        ("Perishable-v0", {"demand": "normal(4,2)"}, "discrete demand"),
    ],
)
def test_solve_and_score_through_one_interface(tmp_path, env_id, kwargs, expected):
    problem, params = instance(env_id, kwargs)
    reason = exact.unavailable(problem.name, params)
    if expected is not None:
        assert expected in reason
        return
    assert reason is None
    solution = exact.solver(problem.name).solve(params, discount=None, margin=0, progress=False)
    # The optimum's own chain gives back its cost, and its saved table loads by its header.
    assert exact.policy_cost(problem.name, params, solution.policy) == pytest.approx(
        solution.cost, rel=1e-7
    )
    loaded = exact.load_table(solution.save(tmp_path / "table"))
    states = np.zeros((3, 8))
    np.testing.assert_array_equal(loaded(states), solution.policy(states))


def test_discount_support_is_declared():
    _, params = instance("DualSourcing-v0")
    assert "average cost" in exact.unavailable("dual_sourcing", params, discount=0.9)
    _, params = instance("LostSales-v0")
    # Lost sales solves a discounted problem, but its chain has no finite-horizon metric.
    assert exact.unavailable("lost_sales", params, discount=0.9) is None
    policy = exact.solver("lost_sales").solve(params, discount=None, margin=0, progress=False)
    assert exact.policy_cost("lost_sales", params, policy.policy, discount=0.9) is None


def test_load_table_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, meta=np.array('{"grid": {"nothing": 1}}'))
    with pytest.raises(ValueError, match="no solver recognises"):
        exact.load_table(path)
