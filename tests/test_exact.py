"""The exact-solver interface (baselines.exact): solvers declared by each problem's package and
found by its name, one result type, table files that carry their problem and format, and
limits that refuse by memory."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

import inventory_gym
from baselines import exact, tables
from baselines.problems import find_module
from inventory_gym import make_instance
from inventory_gym.evaluation import instance


def test_every_problem_declares_its_solver_in_its_own_package():
    for env_id in inventory_gym.ENV_IDS:
        problem = make_instance(env_id).problem
        found = exact.solver(problem)
        assert found is find_module(problem, "solver").SOLVER
        assert found.problem is problem
        assert exact.solver(problem.name) is found  # a packaged problem's name works too


def test_a_problem_without_a_solver_package_has_none():
    toy = SimpleNamespace(name="no_such_problem", baselines_package=None)
    assert exact.solver(toy) is None
    assert "no exact solver" in exact.unavailable(toy, params=None)


@pytest.mark.parametrize(
    "env_id, kwargs, expected",
    [
        ("LostSalesLeadTime-v0", {"lead_time": 1, "lost_sales_cost": 4.0}, None),
        ("DualSourcing-v0", {"expedited_cost": 5.0}, None),
        ("Perishable-v0", {"issuing": "LIFO"}, None),
        ("DualSourcing-v0", {"expedited_lead_time": 1}, "expedited_lead_time=0"),
        ("Perishable-v0", {"useful_life": 8, "lead_time": 4}, "needs about"),
        ("Perishable-v0", {"demand": "normal(4,2)"}, "discrete demand"),
    ],
)
def test_solve_and_score_through_one_interface(tmp_path, env_id, kwargs, expected):
    problem, params = instance(env_id, kwargs)
    reason = exact.unavailable(problem, params)
    if expected is not None:
        assert expected in reason
        return
    assert reason is None
    solution = exact.solver(problem).solve(params, discount=None, margin=0, progress=False)
    assert isinstance(solution, exact.ExactResult) and solution.problem is problem
    # The optimum's own chain gives back its cost, and its saved table loads by its header.
    policy = solution.policy()
    assert exact.policy_cost(problem, params, policy) == pytest.approx(solution.cost, rel=1e-7)
    path = solution.save(tmp_path / "table")
    loaded = exact.load_table(path)
    assert isinstance(loaded, tables.TablePolicy) and loaded.grid == solution.grid
    states = np.zeros((3, 8))  # extra observation columns (demand lags, statics) are ignored
    np.testing.assert_array_equal(loaded(states), policy(states))
    np.testing.assert_array_equal(loaded(solution.grid.states()), policy(solution.grid.states()))
    header, arrays = tables.read_table(path)
    assert header["format"] == tables.FORMAT and header["version"] == tables.VERSION
    assert header["problem"] == problem.name
    assert problem.make_params(**header["params"]) == params
    assert header["cost"] == pytest.approx(solution.cost)
    assert arrays["value"].shape == solution.grid.shape
    assert exact.load_table(path, problem).grid == solution.grid
    other = make_instance("Perishable-v0" if problem.name != "perishable" else "DualSourcing-v0")
    with pytest.raises(ValueError, match="a table of the"):
        exact.load_table(path, other.problem)


def test_grids_read_observations_through_the_problem():
    """Each grid maps a state to its index and back by the problem's state layout (the
    dual-sourcing inventory axis is offset by the backlog bound), and reads observations
    through ``problem.state_from_features``."""
    from baselines.dual_sourcing.dp import Grid as DualSourcingGrid
    from baselines.lost_sales.dp import StateGrid
    from baselines.perishable.dp import Grid as PerishableGrid

    grids = [
        StateGrid(instance("LostSalesLeadTime-v0", {"lead_time": 3})[1], 6, 3),
        DualSourcingGrid(instance("DualSourcing-v0", {"regular_lead_time": 3})[1], 4, 5, 3),
        PerishableGrid.of(instance("Perishable-v0", {"useful_life": 3, "lead_time": 2})[1]),
    ]
    for grid in grids:
        states = grid.states()
        assert states.shape == (grid.size, len(grid.problem.state_feature_names(grid.params)))
        idx, inside = grid.index(states.astype(float))
        assert inside.all() and np.array_equal(idx, np.arange(grid.size))
        assert np.array_equal(grid.locate(grid.state())[0], np.arange(grid.size))
        assert grid.start_index() == grid.index(np.zeros((1, states.shape[1])))[0][0]
    dual = grids[1]
    assert dual.states()[0].tolist() == [-4, 0, 0] and dual.start_index() == 4 * 16
    idx, inside = dual.index(np.array([[-5.0, 0.0, 0.0], [5.0, 3.0, 3.0]]))
    assert idx.tolist() == [0, dual.size - 1] and inside.tolist() == [False, True]


def test_discount_support_is_declared():
    problem, params = instance("DualSourcing-v0")
    assert "average cost" in exact.unavailable(problem, params, discount=0.9)
    problem, params = instance("LostSales-v0")
    # Lost sales solves a discounted problem, but its chain has no finite-horizon metric.
    assert exact.unavailable(problem, params, discount=0.9) is None
    solution = exact.solver(problem).solve(params, discount=None, margin=0, progress=False)
    assert exact.policy_cost(problem, params, solution.policy(), discount=0.9) is None


# -- memory limits ----------------------------------------------------------------------------
def test_memory_limit_accepts_what_fits():
    """Zipkin's L = 5 (6.8 million state-order pairs, about 0.3 GB) and the geometric L = 4,
    p = 39 instance were refused by a fixed count; on the real memory they are accepted (not
    solved here)."""
    for kwargs in (
        {"lead_time": 5, "lost_sales_cost": 39},
        {"lead_time": 4, "lost_sales_cost": 39, "demand": "geometric(5)"},
    ):
        problem, params = instance("LostSalesLeadTime-v0", kwargs)
        assert exact.solver(problem).memory(params) < 1e9
        assert exact.unavailable(problem, params) is None
    problem, params = instance("LostSalesLeadTime-v0", {"lead_time": 5, "lost_sales_cost": 39})
    assert exact.unavailable(problem.name, params) is None


def test_memory_limit_refuses_with_both_numbers(monkeypatch):
    from inventory_gym.core import memory

    # L = 5, p = 39 needs about 84 MB since the DP builds no (states x orders) array.
    monkeypatch.setattr(memory, "available_memory", lambda: 60_000_000)
    problem, params = instance("LostSalesLeadTime-v0", {"lead_time": 5, "lost_sales_cost": 39})
    reason = exact.unavailable(problem, params)
    needed = exact.format_bytes(exact.solver(problem).memory(params))
    assert reason == f"the lost_sales DP needs about {needed}, 60 MB available"
    # dp.solve refuses too, before allocating anything.
    from baselines.lost_sales import dp

    with pytest.raises(ValueError, match=r"too large for exact DP here: .*, 60 MB available"):
        dp.solve(params)
    # The small instances still fit.
    problem, params = instance("DualSourcing-v0")
    assert exact.unavailable(problem, params) is None


def test_memory_is_read_from_the_system(monkeypatch):
    found = exact.available_memory()
    assert found is not None and found > 0
    from inventory_gym.core import memory

    monkeypatch.setattr(memory, "_meminfo_available", lambda: None)
    fallback = exact.available_memory()
    if "SC_AVPHYS_PAGES" in getattr(os, "sysconf_names", {}):
        assert fallback is not None and fallback > 0  # os.sysconf's free pages
    assert exact.format_bytes(3.14e9) == "3.1 GB" and exact.format_bytes(341e6) == "341 MB"


def test_an_absurd_instance_is_refused_on_any_machine():
    problem, params = instance("LostSalesLeadTime-v0", {"lead_time": 8, "lost_sales_cost": 39})
    assert "needs about" in exact.unavailable(problem, params)


# -- table files ------------------------------------------------------------------------------
def _npy(path):
    with path.open("wb") as stream:
        np.save(stream, np.arange(3))


def _write(path, header, **arrays):
    np.savez(path, meta=np.array(json.dumps(header)), **arrays)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    problem, params = instance("LostSalesLeadTime-v0", {"lead_time": 2})
    solution = exact.solver(problem).solve(params, discount=None, margin=0, progress=False)
    return solution.save(tmp_path_factory.mktemp("tables") / "ls.npz")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p, good: p.write_text("not a table"), "not a policy table"),
        (lambda p, good: p.write_bytes(b""), "not a policy table"),
        (lambda p, good: p.write_bytes(good.read_bytes()[:300]), "truncated or damaged"),
        (lambda p, good: _npy(p), "not a policy table"),
        (lambda p, good: np.savez(p, orders=np.arange(3)), "no 'meta' header"),
        (
            lambda p, good: np.savez(p, meta=np.array([{"a": 1}], dtype=object)),
            "holds Python objects",
        ),
        (lambda p, good: _write(p, {"nothing": 1}), "no 'format'"),
        (
            lambda p, good: _write(p, {"grid": {"lead_time": 2, "max_stock": 3, "max_order": 2}}),
            "written before tables carried their format",
        ),
        (lambda p, good: _write(p, {"format": "other/thing", "version": 1}), "is not a policy"),
        (
            lambda p, good: _write(p, {"format": tables.FORMAT, "version": 99, "problem": "x"}),
            "newer than",
        ),
        (
            lambda p, good: _write(p, {"format": tables.FORMAT, "version": 1, "problem": "nope"}),
            "no exact solver declares the table's problem 'nope'",
        ),
        (
            lambda p, good: _write(
                p, {"format": tables.FORMAT, "version": 1, "problem": "lost_sales"}
            ),
            "not a valid lost_sales table",
        ),
    ],
)
def test_load_table_refuses_what_is_not_a_table_in_one_line(tmp_path, saved, make, message):
    path = tmp_path / "bad.npz"
    make(path, saved)
    with pytest.raises(ValueError) as err:
        exact.load_table(path)
    text = str(err.value)
    assert message in text and str(path) in text and "\n" not in text
    assert "allow_pickle" not in text


def test_table_of_wrong_shape_is_refused(tmp_path, saved):
    header, arrays = tables.read_table(saved)
    path = _write(tmp_path / "shape.npz", header, orders=arrays["orders"][:2])
    with pytest.raises(ValueError, match="orders must have shape"):
        exact.load_table(path)


# -- the scaling benchmark's discovery --------------------------------------------------------
def test_solvers_are_discovered_with_series_of_growing_size():
    """benchmarks/dp_scaling.py finds the solvers through exact.solvers() (no list of
    problems); each series is made of valid instances, smallest first."""
    found = {problem.name: solver for problem, solver in exact.solvers()}
    assert {"lost_sales", "perishable", "dual_sourcing"} <= set(found)
    for name, solver in found.items():
        series = solver.scaling_series()
        assert series, name
        sizes = [solver.memory(make_instance(case.env_id, case.kwargs).params) for case in series]
        assert sizes == sorted(sizes), name


def test_scaling_measurement_of_one_instance():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "dp_scaling.py"
    spec = importlib.util.spec_from_file_location("dp_scaling", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    row = module.measure("lost_sales", 1, threads=1)  # p = 39, L = 2: 264 states
    assert row["states"] == 264 and row["threads"] == 1
    assert row["traced_peak_bytes"] > 0 and row["max_rss_bytes"] >= row["rss_before_solve_bytes"]
    assert row["bounds"][0] <= row["cost"] <= row["bounds"][1]
    json.dumps(row)  # the result file's row
