"""Gymnasium shells of the perishable problem: ``Perishable-v0``."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from inventory_gym.core.env import InventoryEnv
from inventory_gym.core.problem import (
    ConformanceCase,
    Problem,
    Registration,
    StatePart,
    Structure,
)
from inventory_gym.core.vector import InventoryVectorEnv
from inventory_gym.core.xp import Array, positive_part
from inventory_gym.envs.perishable import dynamics
from inventory_gym.envs.perishable.params import (
    PerishableCosts,
    PerishableFlows,
    PerishableParams,
    PerishableState,
)


def decreasing_violations(grad: Any) -> Any:
    """Violations of the perishable structure (SCENARIOS.md section 2).

    ``grad`` (B, n) holds ``d order / d x_j`` (a torch tensor) for the state ``(X_1, ...,
    X_m, q_1, ..., q_{L-1})``. The optimal order decreases in the stock of every age and in
    every order in transit: the (B,) sum of the positive derivatives. SCENARIOS.md also says it
    "reacts more to fresher stock", but the exact optimum breaks that under LIFO with m = 3
    (one more unit of X_2 can cut the order by 3 where one more X_1 cuts it by 1; see
    ``tests/test_perishable.py``), so it is not imposed.
    """
    return grad.clamp(min=0).sum(dim=1)


def _life_labels(m: int) -> tuple[str, ...]:
    """Names of the stock columns in the pictures: the periods of life each has left."""
    return tuple(
        "stock, expires now" if m - i == 1 else f"stock, {m - i} periods left" for i in range(m)
    )


class PerishableProblem(Problem):
    """The perishable problem described for the shells (see :mod:`.dynamics`)."""

    name = "perishable"
    params_cls = PerishableParams
    action_names = ("order",)
    render_keys = ("sales", "lost", "expired", "held")
    registrations = (
        Registration(
            "Perishable-v0",
            f"{__name__}:PerishableEnv",
            f"{__name__}:PerishableVectorEnv",
            note="De Moor et al. (2022), scenario A: m = 2, L = 1, FIFO, c = 3, p = 5, w = 7, "
            "h = 1, rounded gamma demand (mean 4, cv 0.5), max order 10 (the parameters' "
            "defaults); optimal discounted return -1457 in Farrington et al.'s metric "
            "(gamma = 0.99)",
        ),
    )
    invalid_params = (
        ({"useful_life": 0}, "useful_life"),
        ({"useful_life": 2.5}, "useful_life"),
        ({"lead_time": 0}, "lead_time"),
        ({"issuing": "oldest"}, "issuing"),
        ({"issuing": 1}, "issuing"),
        ({"waste_cost": -7.0}, "waste_cost"),
        ({"unit_cost": float("nan")}, "unit_cost"),
        ({"holding_cost": "1"}, "holding_cost"),
        ({"max_order": 0.0}, "max_order"),
        ({"demand": "gamma(4,-0.5)"}, "demand"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    )
    conformance_cases = (
        ConformanceCase(
            "m3-L2-lifo+window",
            {"useful_life": 3, "lead_time": 2, "issuing": "LIFO", "demand_window": 2},
        ),
        ConformanceCase(
            "m1+static", {"useful_life": 1, "static_features": True, "waste_cost": 10.0}
        ),
        ConformanceCase(
            "m4-L3+integer",
            {"useful_life": 4, "lead_time": 3, "integer_actions": True, "demand": "poisson(4)"},
        ),
        ConformanceCase("lifo+discrete", {"issuing": "lifo", "discrete_actions": True}),
    )
    structure = Structure(
        "decreasing",
        decreasing_violations,
        "the order decreases in the stock of every age and in every order in transit",
    )

    def initial_state(self, params, batch, xp, *, dtype=None, device=None) -> PerishableState:
        return dynamics.initial_state(params, batch, xp, dtype=dtype, device=device)

    def transition(self, state, action, demand, params, xp):
        return dynamics.transition(state, action, demand, params, xp)

    def state_columns(self, state: PerishableState, params) -> tuple[Array, ...]:
        return (*state.stock, *state.pipeline)

    def state_from_columns(self, columns, params) -> PerishableState:
        m = params.useful_life
        return PerishableState(tuple(columns[:m]), tuple(columns[m:]))

    def state_parts(self, params) -> tuple[StatePart, ...]:
        return (
            StatePart(
                "stock",
                params.useful_life,
                doc="X_1..X_m: units on hand by remaining life, freshest first; X_m expires "
                "at the end of this period",
                labels=_life_labels(params.useful_life),
            ),
            StatePart(
                "pipeline",
                params.pipeline_length,
                doc="q_1..q_{L-1}: orders in transit, q_1 arrives next period",
                kind="pipeline",
            ),
        )

    def state_feature_bounds(self, params) -> tuple[np.ndarray, np.ndarray]:
        n = params.useful_life + params.pipeline_length
        return np.zeros(n), np.full(n, params.order_cap)

    def static_features(self, params) -> dict[str, float]:
        return {
            "holding_cost": params.holding_cost,
            "lost_sales_cost": params.lost_sales_cost,
            "unit_cost": params.unit_cost,
            "waste_cost": params.waste_cost,
            "lead_time": float(params.lead_time),
            "useful_life": float(params.useful_life),
            "lifo": float(params.issuing == "LIFO"),
        }

    def action_high(self, params) -> np.ndarray:
        return np.array([params.order_cap])

    def invariants(
        self,
        state: PerishableState,
        action: Array,
        demand: Array,
        next_state: PerishableState,
        costs: PerishableCosts,
        flows: PerishableFlows,
        xp: ModuleType,
    ) -> dict[str, Array]:
        before = sum(state.stock) + sum(state.pipeline) + action
        after = sum(next_state.stock) + sum(next_state.pipeline)
        carried = sum(next_state.stock[1:]) if len(next_state.stock) > 1 else 0.0 * flows.held
        negative = [
            *next_state.stock,
            *next_state.pipeline,
            flows.sales,
            flows.lost,
            flows.expired,
            flows.held,
            costs.lost_sales_cost,
            costs.waste_cost,
            costs.holding_cost,
        ]
        return {
            "units: stock + pipeline + order - sales - expired = next stock + next pipeline": (
                before - flows.sales - flows.expired - after
            ),
            "demand: sales + lost = demand": flows.sales + flows.lost - demand,
            "lost only when the stock runs out": xp.minimum(
                flows.lost, sum(state.stock) - flows.sales
            ),
            "held = the units that age into the next period": flows.held - carried,
            "expired <= the oldest class": positive_part(flows.expired - state.stock[-1], xp),
            **{f"non-negativity {i}": positive_part(-x, xp) for i, x in enumerate(negative)},
        }


PERISHABLE = PerishableProblem()


_DOC = """

    ## Description

    Perishable inventory with lost sales (De Moor, Gijsbrechts & Boute 2022; Farrington et al.
    2025; SCENARIOS.md section 2). Units have a useful life of m periods; stock is tracked by
    remaining life, and the units left in the oldest class at the end of a period expire.
    Orders arrive after a lead time L >= 1. Demand is issued oldest first (FIFO) or freshest
    first (LIFO). The dynamics are the pure kernel
    :func:`inventory_gym.envs.perishable.dynamics.transition`.

    ## Sequence of events (period t)

    1. place the order a; cost c a;
    2. issue the demand D from stock under the issuing rule;
    3. lost sales (D - sum X)^+, at p each;
    4. the units of the oldest class left after issuing expire, at w each;
    5. the units left in the other classes are held, at h each;
    6. ageing and arrival: X' = (arrival, X_1 left, ..., X_{m-1} left); the arrival is the
       order placed L - 1 periods ago (this period's order when L = 1).

    ## Action Space

    ``Box(0, max_order, (1,), float32)`` (``max_order`` 10). Actions outside the bounds are
    clipped (``info["order"]`` holds the order placed); NaN or infinite actions raise a
    ``ValueError``. ``integer_actions=True`` rounds them; ``discrete_actions=True`` gives
    ``Discrete(max_order + 1)``.

    ## Observation Space

    ``Box(0, max_order, float32)``: ``[stock_1, ..., stock_m, pipeline_1, ...,
    pipeline_{L-1}]``: the units on hand by remaining life, the freshest class first (stock_m
    expires at the end of this period), then the orders in transit, the next to arrive first.
    Then the last ``demand_window`` demands when ``demand_window > 0``, then
    ``[holding_cost, lost_sales_cost, unit_cost, waste_cost, lead_time, useful_life, lifo]``
    when ``static_features=True``.

    ## Rewards

    ``-cost`` of the period. ``info`` holds ``order_cost``, ``lost_sales_cost``,
    ``waste_cost``, ``holding_cost``, ``cost``, the flows ``sales``, ``lost``, ``expired``,
    ``held`` and ``arrivals``, ``order`` and ``demand``. De Moor's instances discount with
    gamma = 0.99 (``PerishableParams``' module constant ``DE_MOOR_DISCOUNT``); the env itself
    returns undiscounted per-period rewards.

    ## Starting State

    No stock and nothing in transit.

    ## Episode End

    No terminal state: episodes are truncated after ``max_episode_steps`` (default 1000).

    ## Arguments

    Problem: ``useful_life`` (2), ``lead_time`` (1), ``issuing`` (``"FIFO"`` or ``"LIFO"``),
    ``unit_cost`` (3), ``lost_sales_cost`` (5), ``waste_cost`` (7), ``holding_cost`` (1),
    ``demand`` (``"gamma(4,0.5,100)"``), ``max_order`` (10). Shell and vector options as for
    every inventory-gym env (``demand_window``, ``static_features``, ``integer_actions``,
    ``discrete_actions``, ``render_mode`` (``"ansi"``; the single env also ``"rgb_array"``,
    ``"human"`` and ``render_dpi``), ``num_envs``, ``backend``, ``device``,
    ``dtype``, ``differentiable``, ``autoreset_mode``, ``max_episode_steps``,
    ``demand_sampler``).

    ## Version History

    * v0: initial version.
"""


class PerishableEnv(InventoryEnv):
    problem: ClassVar[Problem] = PERISHABLE


class PerishableVectorEnv(InventoryVectorEnv):
    problem: ClassVar[Problem] = PERISHABLE


PerishableEnv.__doc__ = "Perishable inventory with lost sales (single system)." + _DOC
PerishableVectorEnv.__doc__ = (
    "Perishable inventory with lost sales, native batched env (numpy or torch)."
    + _DOC
    + InventoryVectorEnv.__doc__
)
