"""Gymnasium shells of the dual-sourcing problem: ``DualSourcing-v0``."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

import numpy as np

from inventory_gym.core.env import InventoryEnv
from inventory_gym.core.problem import ConformanceCase, Problem, Registration, StatePart
from inventory_gym.core.vector import InventoryVectorEnv
from inventory_gym.core.xp import Array, positive_part
from inventory_gym.envs.dual_sourcing import dynamics
from inventory_gym.envs.dual_sourcing.params import (
    DualSourcingCosts,
    DualSourcingFlows,
    DualSourcingParams,
    DualSourcingState,
)


class DualSourcingProblem(Problem):
    """The dual-sourcing problem described for the shells (see :mod:`.dynamics`)."""

    name = "dual_sourcing"
    params_cls = DualSourcingParams
    action_names = ("regular_order", "expedited_order")
    render_keys = ("held", "backlog")
    registrations = (
        Registration(
            "DualSourcing-v0",
            f"{__name__}:DualSourcingEnv",
            f"{__name__}:DualSourcingVectorEnv",
            note="Boettcher et al. (2023): l_r = 2, l_e = 0, c_r = 0, c_e = 10, h = 5, b = 495, "
            "demand uniform on {0, ..., 4} (the parameters' defaults); optimal long-run "
            "average cost 19.73",
        ),
    )
    invalid_params = (
        ({"regular_lead_time": 0}, "regular_lead_time"),
        ({"regular_lead_time": 2.5}, "regular_lead_time"),
        ({"expedited_lead_time": -1}, "expedited_lead_time"),
        ({"regular_lead_time": 2, "expedited_lead_time": 2}, "expedited_lead_time"),
        ({"expedited_cost": -1.0}, "expedited_cost"),
        ({"regular_cost": float("nan")}, "regular_cost"),
        ({"holding_cost": "5"}, "holding_cost"),
        ({"backlog_cost": -495.0}, "backlog_cost"),
        ({"max_order": 0.0}, "max_order"),
        ({"initial_inventory": float("inf")}, "initial_inventory"),
        ({"demand": "uniform(4,0)"}, "demand"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    )
    conformance_cases = (
        ConformanceCase(
            "lr3-le1+window",
            {"regular_lead_time": 3, "expedited_lead_time": 1, "demand_window": 2},
        ),
        ConformanceCase(
            "lr4-le2+static",
            {"regular_lead_time": 4, "expedited_lead_time": 2, "static_features": True},
        ),
        ConformanceCase(
            "lr1+integer",
            {"regular_lead_time": 1, "integer_actions": True, "initial_inventory": -3.0},
        ),
        ConformanceCase("discrete", {"discrete_actions": True, "expedited_cost": 5.0}),
    )

    def initial_state(self, params, batch, xp, *, dtype=None, device=None) -> DualSourcingState:
        return dynamics.initial_state(params, batch, xp, dtype=dtype, device=device)

    def transition(self, state, action, demand, params, xp):
        return dynamics.transition(state, action, demand, params, xp)

    def state_columns(self, state: DualSourcingState, params) -> tuple[Array, ...]:
        return (state.inventory, *state.regular, *state.expedited)

    def state_from_columns(self, columns, params) -> DualSourcingState:
        n_r = params.regular_pipeline_length
        return DualSourcingState(columns[0], tuple(columns[1 : 1 + n_r]), tuple(columns[1 + n_r :]))

    def state_parts(self, params) -> tuple[StatePart, ...]:
        return (
            StatePart(
                "inventory",
                1,
                vector=False,
                doc="net inventory after this period's arrivals (negative: backlog)",
            ),
            StatePart(
                "regular",
                params.regular_pipeline_length,
                doc="regular orders in transit, the next to arrive first",
                kind="pipeline",
            ),
            StatePart(
                "expedited",
                params.expedited_pipeline_length,
                doc="expedited orders in transit, the next to arrive first",
                kind="pipeline",
            ),
        )

    def state_feature_bounds(self, params) -> tuple[np.ndarray, np.ndarray]:
        n = params.regular_pipeline_length + params.expedited_pipeline_length
        low = np.concatenate([[-np.inf], np.zeros(n)])
        high = np.concatenate([[np.inf], np.full(n, params.order_cap)])
        return low, high

    def static_features(self, params) -> dict[str, float]:
        return {
            "holding_cost": params.holding_cost,
            "backlog_cost": params.backlog_cost,
            "regular_cost": params.regular_cost,
            "expedited_cost": params.expedited_cost,
            "regular_lead_time": float(params.regular_lead_time),
            "expedited_lead_time": float(params.expedited_lead_time),
        }

    def action_high(self, params) -> np.ndarray:
        return np.array([params.order_cap, params.order_cap])

    def invariants(
        self,
        state: DualSourcingState,
        action,
        demand: Array,
        next_state: DualSourcingState,
        costs: DualSourcingCosts,
        flows: DualSourcingFlows,
        xp: ModuleType,
    ) -> dict[str, Array]:
        q_r, q_e = action
        before = state.inventory + sum(state.regular) + sum(state.expedited) + q_r + q_e
        after = next_state.inventory + sum(next_state.regular) + sum(next_state.expedited)
        negative = [
            *next_state.regular,
            *next_state.expedited,
            flows.held,
            flows.backlog,
            flows.arrivals,
            costs.holding_cost,
            costs.backlog_cost,
        ]
        return {
            "units: stock + pipelines + orders - demand = next stock + next pipelines": (
                before - demand - after
            ),
            "end of period: on hand or backlogged, not both": xp.minimum(flows.held, flows.backlog),
            **{f"non-negativity {i}": positive_part(-x, xp) for i, x in enumerate(negative)},
        }


DUAL_SOURCING = DualSourcingProblem()


_DOC = """

    ## Description

    Dual sourcing with backlog (Veeraraghavan & Scheller-Wolf 2008; Boettcher et al. 2023;
    SCENARIOS.md section 3). Each period the agent orders from a regular supplier (lead time
    l_r, unit cost c_r) and an expedited one (lead time l_e < l_r, unit cost c_e > c_r).
    Demand that the stock cannot serve is backlogged. The dynamics are the pure kernel
    :func:`inventory_gym.envs.dual_sourcing.dynamics.transition`.

    ## Sequence of events (period t)

    1. place q_r and q_e; cost c_r q_r + c_e q_e;
    2. arrivals: the regular order placed l_r periods ago and the expedited order placed l_e
       periods ago (with l_e = 0, today's expedited order arrives now);
    3. demand D: I' = I + arrivals - D;
    4. cost h (I')^+ + b (I')^-.

    ## Action Space

    ``Box(0, max_order, (2,), float32)``: ``[regular_order, expedited_order]``. Actions outside
    the bounds are clipped (``info["order"]`` holds the orders placed); NaN or infinite actions
    raise a ``ValueError``. ``integer_actions=True`` rounds them; ``discrete_actions=True``
    gives ``MultiDiscrete([max_order + 1, max_order + 1])``. ``max_order`` defaults to twice
    the 99.99% quantile of one period's demand, rounded up (8 for the default demand).

    ## Observation Space

    ``Box(float32)``: ``[inventory, regular_1, ..., regular_{l_r-1}, expedited_1, ...,
    expedited_{l_e-1}]``: the net inventory (negative = backlog) after this period's arrivals
    of earlier orders, then the orders in transit, the next to arrive first. Then the last
    ``demand_window`` demands when ``demand_window > 0``, then ``[holding_cost, backlog_cost,
    regular_cost, expedited_cost, regular_lead_time, expedited_lead_time]`` when
    ``static_features=True``.

    ## Rewards

    ``-cost`` of the period. ``info`` holds ``regular_cost``, ``expedited_cost``,
    ``holding_cost``, ``backlog_cost``, ``cost``, the flows ``arrivals``, ``held`` and
    ``backlog`` (units on hand and backlogged at the end of the period), ``order`` (both
    orders) and ``demand``.

    ## Starting State

    ``initial_inventory`` (default 0) and no orders in transit.

    ## Episode End

    No terminal state: episodes are truncated after ``max_episode_steps`` (default 1000).

    ## Arguments

    Problem: ``regular_lead_time`` (2), ``expedited_lead_time`` (0), ``regular_cost`` (0),
    ``expedited_cost`` (10), ``holding_cost`` (5), ``backlog_cost`` (495), ``demand``
    (``"uniform(0,4)"``), ``max_order``, ``initial_inventory``. Shell and vector options as for
    every inventory-gym env (``demand_window``, ``static_features``, ``integer_actions``,
    ``discrete_actions``, ``render_mode`` (``"ansi"``; the single env also ``"rgb_array"``,
    ``"human"`` and ``render_dpi``), ``num_envs``, ``backend``, ``device``,
    ``dtype``, ``differentiable``, ``autoreset_mode``, ``max_episode_steps``,
    ``demand_sampler``).

    ## Version History

    * v0: initial version.
"""


class DualSourcingEnv(InventoryEnv):
    problem: ClassVar[Problem] = DUAL_SOURCING


class DualSourcingVectorEnv(InventoryVectorEnv):
    problem: ClassVar[Problem] = DUAL_SOURCING


DualSourcingEnv.__doc__ = "Dual sourcing with backlog (single system)." + _DOC
DualSourcingVectorEnv.__doc__ = (
    "Dual sourcing with backlog, native batched env (numpy or torch)."
    + _DOC
    + InventoryVectorEnv.__doc__
)
