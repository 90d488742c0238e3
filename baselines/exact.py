"""One interface to the exact solvers of every problem.

The command line and the benchmarks ask this module whether an instance can be solved
exactly, solve it, score a policy without simulation error and read a saved table back; they
hold no per-problem code, and neither does this module. A problem with an exact solver
declares it in its own baselines package, ``<package>/solver.py`` exporting ``SOLVER`` (an
:class:`ExactSolver`), found by :func:`baselines.problems.find_module` from the problem's name.

Size limits are memory limits: each solver estimates the bytes it needs
(:meth:`ExactSolver.memory`), and an instance is refused only when that is more than the memory
available (:func:`available_memory`), with both numbers in the message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from baselines.problems import find_module
from baselines.tables import Grid, TablePolicy, read_table
from inventory_gym.core.memory import (
    available_memory,
    check_memory,
    format_bytes,
    memory_refusal,
)
from inventory_gym.core.problem import Problem


@dataclass(frozen=True, eq=False)
class ExactResult:
    """An exact solution, the same type for every problem's solver (compared by identity:
    it holds arrays)."""

    grid: Grid
    """The states solved on (it holds the instance's params)."""
    orders: np.ndarray = field(repr=False)
    """The optimal orders over the grid: shape ``grid.shape`` (one decision per period) or
    ``grid.shape + (action_dim,)``."""
    value: np.ndarray = field(repr=False)
    """Optimal (discounted) or relative (average cost) values over the grid."""
    cost: float
    """The optimal long-run average cost per period (``discount=None``), else the optimal
    expected discounted cost from the env's starting state."""
    bounds: tuple[float, float]
    """Bounds on ``cost`` at the last iteration (Odoni's or MacQueen's; equal when the solver
    ends with an exact evaluation)."""
    discount: float | None
    iterations: int
    seconds: float
    name: str = "optimal"
    """The name of the optimal policy (:meth:`policy`)."""

    @property
    def params(self) -> Any:
        """The instance solved."""
        return self.grid.params

    @property
    def problem(self) -> Problem:
        return self.grid.problem

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return tuple(self.grid.shape)

    @property
    def lower(self) -> float:
        return self.bounds[0]

    @property
    def upper(self) -> float:
        return self.bounds[1]

    def policy(self) -> TablePolicy:
        """The optimal policy as a batched table lookup the harness can evaluate (of the
        grid's ``policy_class`` where it declares one: a table per period reads a clock)."""
        cls = getattr(self.grid, "policy_class", TablePolicy)
        return cls(self.grid, self.orders, name=self.name)

    def meta(self) -> dict[str, Any]:
        """The solver's results as JSON-ready values (a table file's header holds them)."""
        return {
            "cost": float(self.cost),
            "bounds": [float(b) for b in self.bounds],
            "discount": self.discount,
            "iterations": int(self.iterations),
            "seconds": float(self.seconds),
        }

    def save(self, path: str | Path) -> Path:
        """Write the policy table and the value function (``.npz``, no pickles; its header
        says the problem, the params and these results); returns the path written."""
        return self.policy().save(path, arrays={"value": self.value}, meta=self.meta())


class ExactSolver(ABC):
    """The exact solver of one problem, declared as ``SOLVER`` in ``<package>/solver.py``."""

    problem: Problem
    """The problem it solves."""
    grid: type[Grid]
    """The grid its tables are written on (what :meth:`load` rebuilds)."""
    discounted: bool = False
    """Whether :meth:`solve` takes a discount factor."""
    finite_horizon: bool = False
    """Whether :meth:`policy_cost` gives the harness's discounted metric exactly (the
    discounted cost of ``periods`` periods after ``burn_in``, from the starting state)."""

    @abstractmethod
    def unsupported(self, params: Any) -> str | None:
        """Why the solver does not handle the instance at all (continuous demand, a lead time
        it does not model...), or ``None``; size is :meth:`memory`'s business."""

    @abstractmethod
    def memory(self, params: Any, margin: int = 0) -> int:
        """An estimate of the peak bytes :meth:`solve` needs for the instance."""

    def unavailable(self, params: Any, margin: int = 0) -> str | None:
        """Why the instance cannot be solved exactly here, or ``None`` when it can."""
        reason = self.unsupported(params)
        if reason is not None:
            return reason
        return memory_refusal(self.memory(params, margin), f"the {self.problem.name} DP")

    @abstractmethod
    def solve(
        self, params: Any, *, discount: float | None, margin: int, progress: bool
    ) -> ExactResult:
        """Solve the instance (``margin`` widens the state bounds where the solver has any)."""

    @abstractmethod
    def average_cost(self, params: Any, policy: Any) -> float:
        """A stationary policy's exact long-run average cost (orders rounded to integers).

        Raises:
            ValueError: when its chain cannot be scored exactly (it leaves the solver's grid,
                or it reaches too many states).
        """

    def horizon_cost(
        self, params: Any, policy: Any, *, discount: float, burn_in: int, periods: int
    ) -> float:
        """The exact expectation of the harness's discounted metric (see
        :attr:`finite_horizon`)."""
        raise NotImplementedError(f"no exact finite-horizon cost for {self.problem.name}")

    def load(self, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> TablePolicy:
        """The table of a file written by :meth:`ExactResult.save` (header already checked
        by :func:`~baselines.tables.read_table`)."""
        return TablePolicy.from_file(self.grid, header, arrays)

    def scaling_series(self) -> tuple[ScalingCase, ...]:
        """Instances of growing size that ``benchmarks/dp_scaling.py`` times (a solver that
        declares none is timed on its problem's first registered id with its defaults)."""
        registrations = self.problem.registrations
        if not registrations:
            return ()
        return (ScalingCase("defaults", registrations[0].id, {}),)


@dataclass(frozen=True)
class ScalingCase:
    """One instance of a solver's :meth:`~ExactSolver.scaling_series`."""

    label: str
    """What distinguishes it in the series (``"L=4"``)."""
    env_id: str
    """The Gymnasium id whose defaults it starts from."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """The env keyword arguments that make the instance."""
    discount: float | None = None
    """The discount it is solved with (``None``: the average cost)."""


def _as_problem(problem: Problem | str) -> Any:
    """A problem, or a stand-in with the name of a packaged problem (``baselines.<name>``)."""
    if isinstance(problem, str):
        return SimpleNamespace(name=problem, baselines_package=None)
    return problem


def solver(problem: Problem | str) -> ExactSolver | None:
    """The exact solver a problem declares (``SOLVER`` in its package's ``solver`` module), or
    ``None``. ``problem``: a :class:`~inventory_gym.core.problem.Problem`, or the name of a
    problem whose baselines live in ``baselines.<name>``."""
    module = find_module(_as_problem(problem), "solver")
    if module is None:
        return None
    found = getattr(module, "SOLVER", None)
    if not isinstance(found, ExactSolver):
        raise TypeError(f"{module.__name__}.SOLVER must be an ExactSolver, got {found!r}")
    return found


def solvers() -> tuple[tuple[Problem, ExactSolver], ...]:
    """Every packaged problem (:data:`inventory_gym.registration.PROBLEMS`) that declares an
    exact solver, with it."""
    from inventory_gym.registration import PROBLEMS

    found = []
    for problem in PROBLEMS:
        declared = solver(problem)
        if declared is not None:
            found.append((problem, declared))
    return tuple(found)


def _name(problem: Problem | str) -> str:
    return problem if isinstance(problem, str) else problem.name


def unavailable(
    problem: Problem | str, params: Any, discount: float | None = None, margin: int = 0
) -> str | None:
    """Why the instance has no exact solution here (``None`` when it has one)."""
    found = solver(problem)
    if found is None:
        return f"no exact solver for the {_name(problem)!r} problem"
    if discount is not None and not found.discounted:
        return f"the {_name(problem)} solver is for the average cost (no discount)"
    return found.unavailable(params, margin)


def policy_cost(
    problem: Problem | str,
    params: Any,
    policy: Any,
    *,
    discount: float | None = None,
    burn_in: int = 0,
    periods: int | None = None,
) -> float | None:
    """A policy's exact cost in the harness's metric, or ``None`` where it has none here.

    ``discount=None``: the long-run average cost. Otherwise the expected discounted cost of
    ``periods`` periods after ``burn_in`` from the starting state, which only solvers with
    :attr:`ExactSolver.finite_horizon` compute. ``None`` also when the policy's chain cannot be
    scored exactly (it leaves the solver's grid).
    """
    found = solver(problem)
    if found is None or not params.demand.is_integer:
        return None
    try:
        if discount is None:
            return found.average_cost(params, policy)
        if not found.finite_horizon or periods is None:
            return None
        return found.horizon_cost(
            params, policy, discount=discount, burn_in=burn_in, periods=periods
        )
    except ValueError:
        return None


def load_table(path: str | Path, problem: Problem | None = None) -> TablePolicy:
    """Read a policy table saved by any problem's solver: the header names the problem, and
    that problem's solver rebuilds the table.

    Args:
        path: the ``.npz`` file.
        problem: the problem the table must belong to (``None``: whichever its header names;
            a problem outside ``baselines/`` is found through the package its header records).

    Raises:
        FileNotFoundError: when there is no such file.
        ValueError: one line naming the file and what is wrong (not a table, truncated,
            another format, an unknown problem, another problem than ``problem``).
    """
    header, arrays = read_table(path)
    name = header["problem"]
    if problem is not None and problem.name != name:
        raise ValueError(f"{path}: a table of the {name!r} problem, not {problem.name!r}")
    target = problem or SimpleNamespace(name=name, baselines_package=header.get("package"))
    found = solver(target)
    if found is None:
        raise ValueError(f"{path}: no exact solver declares the table's problem {name!r}")
    try:
        return found.load(header, arrays)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


# -- memory -----------------------------------------------------------------------------------
# The memory probe (available_memory, format_bytes, memory_refusal, check_memory) lives in
# inventory_gym.core.memory, which the envs and the command line use too; re-exported here.

__all__ = [
    "ExactResult",
    "ExactSolver",
    "ScalingCase",
    "available_memory",
    "check_memory",
    "format_bytes",
    "load_table",
    "memory_refusal",
    "policy_cost",
    "solver",
    "solvers",
    "unavailable",
]
