"""One interface to the exact solvers of every problem.

The command line and the benchmarks ask this module, by problem name, whether an instance can
be solved exactly, solve it, score a policy without simulation error and read a saved table
back; they hold no per-problem code. A new problem with an exact solver adds one
:class:`ExactSolver` subclass to :data:`SOLVERS`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines.chains import read_table


@dataclass(frozen=True)
class ExactResult:
    """An exact solution in a problem-independent form."""

    cost: float
    """The optimal long-run average cost per period (``discount=None``), else the optimal
    expected discounted cost from the env's starting state."""
    bounds: tuple[float, float]
    """Bounds on ``cost`` at the last iteration (equal when the solver is exact in one step)."""
    discount: float | None
    iterations: int
    seconds: float
    grid_shape: tuple[int, ...]
    policy: Any
    """The optimal policy as a table the harness evaluates."""
    saver: Callable[[Path], Path]

    def save(self, path: str | Path) -> Path:
        """Write the policy table (``.npz``, no pickles); returns the path written."""
        return self.saver(Path(path))


class ExactSolver(ABC):
    """The exact solver of one problem (``Problem.name``)."""

    problem: str
    discounted: bool = False
    """Whether :meth:`solve` takes a discount factor."""
    finite_horizon: bool = False
    """Whether :meth:`policy_cost` gives the harness's discounted metric exactly (the
    discounted cost of ``periods`` periods after ``burn_in``, from the starting state)."""

    @abstractmethod
    def unavailable(self, params: Any) -> str | None:
        """Why the instance cannot be solved exactly here, or ``None`` when it can."""

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
        raise NotImplementedError(f"no exact finite-horizon cost for {self.problem}")

    @abstractmethod
    def owns(self, header: dict[str, Any]) -> bool:
        """Whether a saved table's header was written by this solver."""

    @abstractmethod
    def load(self, path: Path) -> Any:
        """Read a table written by :meth:`ExactResult.save`."""


def _too_large(size: int, limit: int, what: str) -> str | None:
    if size > limit:
        return f"{what} {size:,} is above the limit of {limit:,}"
    return None


class _LostSales(ExactSolver):
    problem = "lost_sales"
    discounted = True

    def unavailable(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        from baselines.lost_sales.dp import make_grid

        grid = make_grid(params)
        return _too_large(grid.size * (grid.max_order + 1), 5_000_000, "(state, order) count")

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        from baselines.lost_sales.dp import solve

        sol = solve(params, discount=discount, margin=margin, progress=progress)
        return ExactResult(
            sol.cost,
            tuple(sol.bounds),
            sol.discount,
            sol.iterations,
            sol.seconds,
            tuple(sol.grid.shape),
            sol.policy(),
            sol.save,
        )

    def average_cost(self, params, policy) -> float:
        from baselines.lost_sales.dp import PolicyChain

        return PolicyChain(params, policy, max_states=300_000).average_cost()

    def owns(self, header) -> bool:
        return "max_stock" in header.get("grid", {})

    def load(self, path):
        from baselines.lost_sales.dp import TablePolicy

        return TablePolicy.load(path)


class _DualSourcing(ExactSolver):
    problem = "dual_sourcing"

    def unavailable(self, params: Any) -> str | None:
        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        if params.expedited_lead_time != 0:
            return "the DP solves expedited_lead_time=0 only"
        if params.order_cap != int(params.order_cap):
            return "the DP needs an integer max_order"
        from baselines.dual_sourcing.dp import default_grid

        grid = default_grid(params)
        return _too_large(grid.size * (grid.max_order + 1) ** 2, 50_000_000, "(state, orders)")

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        from baselines.dual_sourcing.dp import default_grid, solve

        if discount is not None:
            raise ValueError("the dual-sourcing DP is for the average cost (no discount)")
        t0 = time.perf_counter()
        sol = solve(params, default_grid(params, margin=margin))
        seconds = time.perf_counter() - t0
        policy = sol.policy()
        return ExactResult(
            sol.cost,
            (sol.lower, sol.upper),
            None,
            sol.iterations,
            seconds,
            tuple(sol.grid.shape),
            policy,
            lambda path: policy.save(path, meta={"cost": sol.cost}),
        )

    def average_cost(self, params, policy) -> float:
        from baselines.dual_sourcing.dp import policy_cost

        return policy_cost(params, policy)

    def owns(self, header) -> bool:
        return "regular_lead_time" in header.get("grid", {})

    def load(self, path):
        from baselines.dual_sourcing.dp import DualSourcingTable

        return DualSourcingTable.load(path)


class _Perishable(ExactSolver):
    problem = "perishable"
    discounted = True
    finite_horizon = True

    def unavailable(self, params: Any) -> str | None:
        from baselines.perishable.dp import MAX_STATES, Grid

        if not params.demand.is_integer:
            return "the DP needs discrete demand"
        if params.order_cap != int(params.order_cap):
            return "the DP needs an integer max_order"
        return _too_large(Grid.of(params).size, MAX_STATES, "state count")

    def solve(self, params, *, discount, margin, progress) -> ExactResult:
        from baselines.perishable.dp import solve

        sol = solve(params, discount=discount, progress=progress)
        policy = sol.policy()
        meta = {"cost": sol.cost, "discount": sol.discount}
        return ExactResult(
            sol.cost,
            sol.bounds,
            sol.discount,
            sol.iterations,
            sol.seconds,
            sol.grid.shape,
            policy,
            lambda path: policy.save(path, meta=meta),
        )

    def average_cost(self, params, policy) -> float:
        from baselines.perishable.dp import PolicyModel

        return PolicyModel(params, policy).average_cost()

    def horizon_cost(self, params, policy, *, discount, burn_in, periods) -> float:
        from baselines.perishable.dp import PolicyModel

        value = PolicyModel(params, policy).farrington(discount, burn_in, periods)
        return value.mean

    def owns(self, header) -> bool:
        return "useful_life" in header.get("grid", {})

    def load(self, path):
        from baselines.perishable.dp import PerishableTable

        return PerishableTable.load(path)


SOLVERS: dict[str, ExactSolver] = {
    solver.problem: solver for solver in (_LostSales(), _DualSourcing(), _Perishable())
}
"""The exact solver of each problem that has one."""


def solver(problem: str) -> ExactSolver | None:
    """The exact solver of a problem (``Problem.name``), or ``None``."""
    return SOLVERS.get(problem)


def unavailable(problem: str, params: Any, discount: float | None = None) -> str | None:
    """Why the instance has no exact solution here (``None`` when it has one)."""
    found = solver(problem)
    if found is None:
        return f"no exact solver for the {problem!r} problem"
    if discount is not None and not found.discounted:
        return f"the {problem} solver is for the average cost (no discount)"
    return found.unavailable(params)


def policy_cost(
    problem: str,
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


def load_table(path: str | Path) -> Any:
    """Read a policy table saved by any solver (its header says which).

    Raises:
        ValueError: when no solver recognises the file.
    """
    header, _ = read_table(path)
    for found in SOLVERS.values():
        if found.owns(header):
            return found.load(Path(path))
    raise ValueError(f"{path}: no solver recognises the table's grid {header.get('grid')}")


__all__ = [
    "SOLVERS",
    "ExactResult",
    "ExactSolver",
    "load_table",
    "policy_cost",
    "solver",
    "unavailable",
]
