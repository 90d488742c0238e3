"""Gymnasium shells of the lost-sales problem: ``LostSales-v0`` and ``LostSalesLeadTime-v0``."""

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
from inventory_gym.envs.lost_sales import dynamics
from inventory_gym.envs.lost_sales.params import (
    LostSalesCosts,
    LostSalesFlows,
    LostSalesParams,
    LostSalesState,
)


def pipeline_monotone_violations(grad: Any) -> Any:
    """Violations of the lost-sales structure (SCENARIOS.md section 1, Zipkin 2008).

    ``grad`` (B, n) holds ``d order / d x_j`` (a torch tensor) for the state ``(y, q_1, ...,
    q_{L-1})``. The optimal order decreases in every component and reacts more to recent
    orders: ``-1 <= d/dq_{L-1} <= ... <= d/dq_1 <= d/dy <= 0``. Returns the (B,) sum of the
    amounts by which a row breaks these inequalities (0 when it has the structure).
    """
    total = grad.clamp(min=0).sum(dim=1)
    if grad.shape[1] > 1:
        total = total + (grad[:, 1:] - grad[:, :-1]).clamp(min=0).sum(dim=1)
    return total + (-1.0 - grad[:, -1]).clamp(min=0)


class LostSalesProblem(Problem):
    """The lost-sales problem described for the shells (see :mod:`.dynamics`)."""

    name = "lost_sales"
    params_cls = LostSalesParams
    action_names = ("order",)
    render_keys = ("sales", "lost", "arrivals")
    registrations = (
        Registration(
            "LostSales-v0",
            f"{__name__}:LostSalesEnv",
            f"{__name__}:LostSalesVectorEnv",
            dict(lead_time=0, holding_cost=1.0, lost_sales_cost=9.0, demand="poisson(5)"),
            note="newsvendor-like lost sales, the order arrives before demand: L = 0, h = 1, "
            "p = 9, c = 0, Poisson(5) demand; base stock S = 8 is optimal (cost 4.2211)",
        ),
        Registration(
            "LostSalesLeadTime-v0",
            f"{__name__}:LostSalesEnv",
            f"{__name__}:LostSalesVectorEnv",
            dict(lead_time=4, holding_cost=1.0, lost_sales_cost=9.0, demand="poisson(5)"),
            note="Zipkin (2008), Table 3, middle instance: L = 4, h = 1, p = 9, c = 0, "
            "Poisson(5) demand; optimal long-run average cost 6.84",
        ),
    )
    invalid_params = (
        ({"holding_cost": -1.0}, "holding_cost"),
        ({"lost_sales_cost": -0.5}, "lost_sales_cost"),
        ({"unit_cost": float("nan")}, "unit_cost"),
        ({"lead_time": -1}, "lead_time"),
        ({"lead_time": 2.5}, "lead_time"),
        ({"lead_time": "2"}, "lead_time"),
        ({"holding_cost": "1"}, "holding_cost"),
        ({"max_order": 0.0}, "max_order"),
        ({"initial_on_hand": -3.0}, "initial_on_hand"),
        ({"demand": "poisson(0)"}, "mean"),
        ({"demand": "poisson(-5)"}, "mean"),
        ({"demand": "poison(5)"}, "poisson(mean)"),
        ({"demand": 5}, "demand"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    )
    conformance_cases = (
        ConformanceCase(
            "window+static", {"lead_time": 2, "demand_window": 3, "static_features": True}
        ),
        ConformanceCase("integer+L1", {"lead_time": 1, "integer_actions": True, "unit_cost": 2.0}),
        ConformanceCase("geometric", {"lead_time": 3, "demand": "geometric(4)", "max_order": 12}),
        ConformanceCase(
            "discrete", {"lead_time": 2, "discrete_actions": True, "demand": "uniform(0,4)"}
        ),
    )
    structure = Structure(
        "pipeline_monotone",
        pipeline_monotone_violations,
        "the order decreases in every state component and reacts more to recent orders than "
        "to stock on hand, falling at most one for one (Zipkin 2008)",
    )

    def initial_state(self, params, batch, xp, *, dtype=None, device=None) -> LostSalesState:
        return dynamics.initial_state(params, batch, xp, dtype=dtype, device=device)

    def transition(self, state, action, demand, params, xp):
        return dynamics.transition(state, action, demand, params, xp)

    def state_columns(self, state: LostSalesState, params) -> tuple[Array, ...]:
        return (state.on_hand, *state.pipeline)

    def state_from_columns(self, columns, params) -> LostSalesState:
        return LostSalesState(columns[0], tuple(columns[1:]))

    def state_parts(self, params) -> tuple[StatePart, ...]:
        return (
            StatePart("on_hand", 1, vector=False, doc="y: units on hand after the arrival"),
            StatePart(
                "pipeline",
                params.pipeline_length,
                doc="q_1..q_{L-1}: orders in transit, q_1 arrives next period, q_{L-1} was "
                "ordered last period",
                kind="pipeline",
            ),
        )

    def state_feature_bounds(self, params) -> tuple[np.ndarray, np.ndarray]:
        n = params.pipeline_length
        high = np.concatenate([[np.inf], np.full(n, params.order_cap)])
        return np.zeros(n + 1), high

    def static_features(self, params) -> dict[str, float]:
        return {
            "holding_cost": params.holding_cost,
            "lost_sales_cost": params.lost_sales_cost,
            "unit_cost": params.unit_cost,
            "lead_time": float(params.lead_time),
        }

    def action_high(self, params) -> np.ndarray:
        return np.array([params.order_cap])

    def invariants(
        self,
        state: LostSalesState,
        action: Array,
        demand: Array,
        next_state: LostSalesState,
        costs: LostSalesCosts,
        flows: LostSalesFlows,
        xp: ModuleType,
    ) -> dict[str, Array]:
        before = state.on_hand + sum(state.pipeline) + action
        after = next_state.on_hand + sum(next_state.pipeline) + flows.sales
        negative = [
            next_state.on_hand,
            *next_state.pipeline,
            flows.sales,
            flows.lost,
            costs.holding_cost,
            costs.lost_sales_cost,
        ]
        return {
            "units: stock + pipeline + order = next stock + next pipeline + sales": before - after,
            "demand: sales + lost = demand": flows.sales + flows.lost - demand,
            **{f"non-negativity {i}": positive_part(-x, xp) for i, x in enumerate(negative)},
        }


LOST_SALES = LostSalesProblem()


_DOC = """

    ## Description

    A single-item inventory with lost sales and a lead time (Zipkin 2008; SCENARIOS.md
    section 1). Each period the agent orders; demand that the on-hand stock cannot serve is
    lost. The dynamics are the pure kernel
    :func:`inventory_gym.envs.lost_sales.dynamics.transition`.

    ## Sequence of events (period t, lead time L >= 1)

    1. place the order z (arrives at the start of period t + L); cost c z;
    2. serve demand D from on-hand y: sales = min(y, D), lost = (D - y)^+;
    3. cost = c z + h (y - D)^+ + p (D - y)^+;
    4. next state: (leftover + q_1, q_2, ..., q_{L-1}, z).
    With L = 0 the order arrives before demand and demand is served from y + z.

    ## Action Space

    ``Box(0, max_order, (1,), float32)``: the order quantity. Actions outside the bounds are
    clipped (``info["order"]`` is the order placed); NaN or infinite actions raise a
    ``ValueError``. ``integer_actions=True`` rounds orders to the nearest integer in the shell.
    ``discrete_actions=True`` gives ``Discrete(max_order + 1)`` (action k orders k units).
    ``max_order`` defaults to the 99.99% quantile of one period's demand, rounded up.

    ## Observation Space

    ``Box(float32)``: ``[on_hand, pipeline_1, ..., pipeline_{L-1}]`` (pipeline_1 arrives
    next period), then the last ``demand_window`` demands (oldest first) when
    ``demand_window > 0``, then ``[holding_cost, lost_sales_cost, unit_cost, lead_time]`` when
    ``static_features=True``.

    ## Rewards

    ``-cost`` of the period. ``info`` holds ``purchase_cost``, ``holding_cost``,
    ``lost_sales_cost``, ``cost`` and the flows ``sales``, ``lost``, ``arrivals``, ``held``
    (units left on hand at the end of the period), ``order`` and ``demand``.

    ## Starting State

    ``initial_on_hand`` units on hand (default 0) and ``initial_pipeline`` in transit (default
    none).

    ## Episode End

    No terminal state: episodes are truncated after ``max_episode_steps`` (default 1000).

    ## Arguments

    Problem: ``lead_time``, ``holding_cost``, ``lost_sales_cost``, ``unit_cost``, ``demand``
    (a model or a spec such as ``"poisson(5)"``), ``max_order``, ``initial_on_hand``,
    ``initial_pipeline``. Shell: ``demand_window``, ``static_features``,
    ``integer_actions``, ``discrete_actions``, ``render_mode="ansi" | "rgb_array" | "human"``,
    ``render_dpi`` (the size of the pictures). Vector env also (renders ``"ansi"`` only):
    ``num_envs``, ``backend="numpy" | "torch"``, ``device``, ``dtype``, ``differentiable``,
    ``autoreset_mode``, ``max_episode_steps``. Both: ``demand_sampler="table" | "model"``
    (how a stationary discrete demand is drawn; see the vector env's notes).

    ## Version History

    * v0: initial version.
"""


class LostSalesEnv(InventoryEnv):
    problem: ClassVar[Problem] = LOST_SALES


class LostSalesVectorEnv(InventoryVectorEnv):
    problem: ClassVar[Problem] = LOST_SALES


LostSalesEnv.__doc__ = "Lost-sales inventory control (single system)." + _DOC
LostSalesVectorEnv.__doc__ = (
    "Lost-sales inventory control, native batched env (numpy or torch)."
    + _DOC
    + InventoryVectorEnv.__doc__
)
