"""The toy problem's params, kernel and shells (everything ``inventory_gym`` needs).

Sequence of events in period t: the order ``z`` placed now arrives at the start of period
t + 1 (lead time 1, so nothing is in transit when the state is observed); demand ``D`` is
served from the net inventory ``x`` or backlogged; cost ``K min(z, 1) + c z + h (x - D)^+ +
b (D - x)^+``; next state ``x - D + z``. ``K min(z, 1)`` is the fixed cost ``K`` of an order of
at least one unit (every integer order), written without an indicator so that the kernel stays
pure arithmetic on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import ClassVar, NamedTuple

import numpy as np

from inventory_gym.core.env import InventoryEnv
from inventory_gym.core.problem import ConformanceCase, Problem, Registration, StatePart
from inventory_gym.core.validation import check_real
from inventory_gym.core.vector import InventoryVectorEnv
from inventory_gym.core.xp import Array, positive_part
from inventory_gym.demand import DemandModel, demand_field

ENV_ID = "ToyBacklog-v0"


@dataclass(frozen=True)
class ToyBacklogParams:
    """Backlog, lead time 1, fixed order cost."""

    fixed_cost: float = 8.0
    """K: cost of placing an order (of at least one unit)."""
    unit_cost: float = 0.0
    """c: cost per unit ordered."""
    holding_cost: float = 1.0
    """h: per unit left at the end of a period."""
    backlog_cost: float = 9.0
    """b: per unit backlogged at the end of a period."""
    demand: DemandModel | str = "poisson(3)"
    """Demand model or spec."""
    max_order: float = 12.0
    """Largest order per period."""

    def __post_init__(self) -> None:
        owner = "ToyBacklogParams"
        for name in ("fixed_cost", "unit_cost", "holding_cost", "backlog_cost"):
            check_real(owner, name, getattr(self, name))
        check_real(owner, "max_order", self.max_order, strict=True)
        object.__setattr__(self, "demand", demand_field(owner, self.demand))


class ToyState(NamedTuple):
    inventory: Array
    """Net inventory (negative: backlog), shape (B,)."""


class ToyCosts(NamedTuple):
    fixed_cost: Array
    purchase_cost: Array
    holding_cost: Array
    backlog_cost: Array

    def total(self) -> Array:
        return self.fixed_cost + self.purchase_cost + self.holding_cost + self.backlog_cost


class ToyFlows(NamedTuple):
    held: Array
    backlog: Array


def transition(state: ToyState, order: Array, demand: Array, params: ToyBacklogParams, xp):
    """The kernel (see the module docstring)."""
    after = state.inventory - demand
    held = positive_part(after, xp)
    backlog = held - after
    costs = ToyCosts(
        xp.minimum(order, 1.0) * params.fixed_cost,
        order * params.unit_cost,
        held * params.holding_cost,
        backlog * params.backlog_cost,
    )
    return ToyState(after + order), costs, ToyFlows(held, backlog)


class ToyBacklogProblem(Problem):
    name = "toy_backlog"
    params_cls = ToyBacklogParams
    action_names = ("order",)
    render_keys = ("held", "backlog")
    baselines_package = "toy_backlog.baselines"
    registrations = (
        Registration(
            ENV_ID,
            f"{__name__}:ToyBacklogEnv",
            f"{__name__}:ToyBacklogVectorEnv",
            note="backlog, L = 1, K = 8, h = 1, b = 9, Poisson(3) demand",
            max_episode_steps=200,
        ),
    )
    invalid_params = (
        ({"fixed_cost": -1.0}, "fixed_cost"),
        ({"max_order": 0.0}, "max_order"),
        ({"demand": "poisson(-1)"}, "mean"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    )
    conformance_cases = (
        ConformanceCase("integer+static", {"integer_actions": True, "static_features": True}),
        ConformanceCase("discrete+window", {"discrete_actions": True, "demand_window": 2}),
    )

    def initial_state(self, params, batch, xp, *, dtype=None, device=None) -> ToyState:
        return ToyState(xp.full((batch,), 0.0, dtype=dtype, device=device))

    def transition(self, state, action, demand, params, xp):
        return transition(state, action, demand, params, xp)

    def state_columns(self, state: ToyState, params) -> tuple[Array, ...]:
        return (state.inventory,)

    def state_from_columns(self, columns, params) -> ToyState:
        return ToyState(columns[0])

    def state_parts(self, params) -> tuple[StatePart, ...]:
        return (StatePart("inventory", 1, vector=False, doc="net inventory (negative: backlog)"),)

    def state_feature_bounds(self, params) -> tuple[np.ndarray, np.ndarray]:
        return np.array([-np.inf]), np.array([np.inf])

    def static_features(self, params) -> dict[str, float]:
        return {
            "fixed_cost": params.fixed_cost,
            "holding_cost": params.holding_cost,
            "backlog_cost": params.backlog_cost,
        }

    def action_high(self, params) -> np.ndarray:
        return np.array([params.max_order])

    def invariants(self, state, action, demand, next_state, costs, flows, xp: ModuleType):
        return {
            "units: inventory + order = next inventory + demand": state.inventory
            + action
            - next_state.inventory
            - demand,
            "held - backlog = inventory - demand": flows.held
            - flows.backlog
            - (state.inventory - demand),
            "non-negative holding": positive_part(-costs.holding_cost, xp),
            "non-negative backlog": positive_part(-costs.backlog_cost, xp),
        }


PROBLEM = ToyBacklogProblem()


class ToyBacklogEnv(InventoryEnv):
    """Toy: backlog, lead time 1, fixed order cost (single system)."""

    problem: ClassVar[Problem] = PROBLEM


class ToyBacklogVectorEnv(InventoryVectorEnv):
    """Toy: backlog, lead time 1, fixed order cost (native batched env)."""

    problem: ClassVar[Problem] = PROBLEM


def expected_period_cost(params: ToyBacklogParams, inventory: np.ndarray) -> np.ndarray:
    """``E[h (x - D)^+ + b (D - x)^+]`` for each net inventory ``x`` (exact, from the pmf)."""
    pmf = np.asarray(params.demand.dense_pmf(), dtype=np.float64)
    d = np.arange(pmf.size)
    x = np.asarray(inventory, dtype=np.float64)[:, None]
    per = params.holding_cost * np.maximum(x - d, 0) + params.backlog_cost * np.maximum(d - x, 0)
    return per @ pmf
