"""Gymnasium shells of joint procurement and removal: ``ProcurementRemoval-v0``."""

from __future__ import annotations

import math
from types import ModuleType
from typing import ClassVar

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
from inventory_gym.envs.procurement_removal import dynamics
from inventory_gym.envs.procurement_removal.params import (
    ProcurementRemovalCosts,
    ProcurementRemovalFlows,
    ProcurementRemovalParams,
    ProcurementRemovalState,
)

ENV_ID = "ProcurementRemoval-v0"


def interval_violations(jacobian: Array, actions: Array) -> Array:
    """Violations of the interval structure (SCENARIOS.md section 4) by a policy's raw
    decisions ``actions`` (B, 2) = (order, remove) and their derivatives ``jacobian`` (B, 2, n)
    with respect to the state features (the last one the time left): ordering and removing in
    the same period (``min(order, remove)``, in units), an order that rises with the stock on
    hand or in transit, a removal that falls with it."""
    position = slice(0, jacobian.shape[2] - 1)
    rising_order = jacobian[:, 0, position].clamp(min=0.0).sum(dim=1)
    falling_removal = (-jacobian[:, 1, position]).clamp(min=0.0).sum(dim=1)
    both = actions.clamp(min=0.0).min(dim=1).values
    return rising_order + falling_removal + both


class ProcurementRemovalProblem(Problem):
    """Joint procurement and removal over a selling season (see :mod:`.dynamics`)."""

    name = "procurement_removal"
    params_cls = ProcurementRemovalParams
    action_names = ("order", "remove")
    render_keys = ("sales", "lost", "removed", "held")
    registrations = (
        Registration(
            ENV_ID,
            f"{__name__}:ProcurementRemovalEnv",
            f"{__name__}:ProcurementRemovalVectorEnv",
            note="SCENARIOS.md section 4: T = 52, Poisson demand 12 then 3 from t = 26, c = 5, "
            "s = 3, h = 2, p = 10, L = 0, start stock uniform on 0..100; the exact DP "
            "(inventory-gym solve) is the reference",
            max_episode_steps=52,
        ),
    )
    invalid_params = (
        ({"season_length": 0}, "season_length"),
        ({"lead_time": -1}, "lead_time"),
        ({"salvage_value": 6.0}, "salvage_value"),
        ({"unit_cost": float("nan")}, "unit_cost"),
        ({"holding_cost": -2.0}, "holding_cost"),
        ({"max_removal": 0.0}, "max_removal"),
        ({"max_order": -1.0}, "max_order"),
        ({"initial_stock": (5, 2)}, "initial_stock"),
        ({"initial_stock": -1.0}, "initial_stock"),
        ({"demand": "poisson(-1)"}, "mean"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    )
    conformance_cases = (
        ConformanceCase(
            "L2-cap+window+static+discrete",
            {
                "lead_time": 2,
                "max_removal": 5.0,
                "demand_window": 2,
                "static_features": True,
                "discrete_actions": True,
                "season_length": 20,
            },
        ),
        ConformanceCase(
            "L1+integer+fixed-start",
            {"lead_time": 1, "integer_actions": True, "initial_stock": 30.0, "season_length": 25},
        ),
    )

    structure = Structure(
        "interval",
        interval_violations,
        "order up to S_lo(t) below it, remove down to S_hi(t) >= S_lo(t) above it, nothing in "
        "between: never both, the order falling and the removal rising with the stock "
        "(Maggiar & Sadighian 2017, Thm 3.4)",
        all_decisions=True,
    )

    def initial_state(self, params, batch, xp, *, dtype=None, device=None):
        return dynamics.initial_state(params, batch, xp, dtype=dtype, device=device)

    def season(self, params) -> int:
        return params.season_length

    def start_draws(self, params) -> int:
        return 1 if params.random_start else 0

    def random_start(self, params, uniforms, xp, *, dtype=None, device=None):
        return dynamics.random_start(params, uniforms, xp, dtype=dtype, device=device)

    def transition(self, state, action, demand, params, xp):
        return dynamics.transition(state, action, demand, params, xp)

    def action_bounds(self, state: ProcurementRemovalState, params, xp):
        # At most the stock on hand can be removed (the shells intersect this with the static
        # box, so the cap max_removal applies too). The order has no bound of the state: its
        # cap is the static box's (inf here, not params.order_cap, whose default is a quantile
        # of the demand computed anew on each call, every period of the single env).
        return (0.0, 0.0), (math.inf, state.on_hand)

    def state_columns(self, state: ProcurementRemovalState, params) -> tuple[Array, ...]:
        return (state.on_hand, *state.pipeline, state.time_left)

    def state_from_columns(self, columns, params) -> ProcurementRemovalState:
        return ProcurementRemovalState(columns[0], tuple(columns[1:-1]), columns[-1])

    def state_parts(self, params) -> tuple[StatePart, ...]:
        return (
            StatePart("on_hand", 1, vector=False, doc="stock on hand after this period's arrival"),
            StatePart(
                "pipeline",
                params.pipeline_length,
                doc="orders in transit, the next to arrive first",
                kind="pipeline",
            ),
            StatePart(
                "time_left",
                1,
                vector=False,
                doc="periods left in the season, this one included (T first, 1 last)",
                kind="other",
            ),
        )

    def position_weights(self, params) -> np.ndarray:
        return np.concatenate([np.ones(1 + params.pipeline_length), [0.0]])

    def state_feature_bounds(self, params) -> tuple[np.ndarray, np.ndarray]:
        n = params.pipeline_length
        low = np.zeros(n + 2)
        high = np.concatenate([[np.inf], np.full(n, params.order_cap), [params.season_length]])
        return low, high

    def static_features(self, params) -> dict[str, float]:
        return {
            "unit_cost": params.unit_cost,
            "salvage_value": params.salvage_value,
            "holding_cost": params.holding_cost,
            "lost_sales_cost": params.lost_sales_cost,
            "lead_time": float(params.lead_time),
            "season_length": float(params.season_length),
        }

    def action_high(self, params) -> np.ndarray:
        return np.array([params.order_cap, params.removal_cap])

    def invariants(
        self,
        state: ProcurementRemovalState,
        action,
        demand: Array,
        next_state: ProcurementRemovalState,
        costs: ProcurementRemovalCosts,
        flows: ProcurementRemovalFlows,
        xp: ModuleType,
    ) -> dict[str, Array]:
        order, removed = action
        before = state.on_hand + sum(state.pipeline) + order
        after = next_state.on_hand + sum(next_state.pipeline)
        out = flows.sales + flows.removed + flows.salvaged
        negative = [
            next_state.on_hand,
            *next_state.pipeline,
            state.on_hand - removed,
            flows.sales,
            flows.lost,
            flows.removed,
            flows.held,
            flows.salvaged,
            costs.holding_cost,
            costs.lost_sales_cost,
            -costs.removal_cost,
            -costs.salvage_cost,
        ]
        return {
            "units: stock + pipeline + order = sold + removed + salvaged + next stock + pipeline": (
                before - out - after
            ),
            "demand = sales + lost": demand - flows.sales - flows.lost,
            **{f"non-negativity {i}": positive_part(-x, xp) for i, x in enumerate(negative)},
        }


PROCUREMENT_REMOVAL = ProcurementRemovalProblem()


_DOC = """

    ## Description

    Joint procurement and removal over a selling season (Maggiar & Sadighian 2017;
    arXiv 2507.22040 Sec. 4.6; SCENARIOS.md section 4). The lost-sales system with a second
    decision: each period the agent orders ``z`` units (cost c) and removes ``r`` units of the
    stock on hand (returned or liquidated for the salvage value s < c). At the end of the
    season the stock left is salvaged at s. The dynamics are the pure kernel
    :func:`inventory_gym.envs.procurement_removal.dynamics.transition`.

    ## Sequence of events (period t)

    1. order z (cost c z), remove r <= on hand (value s r);
    2. L = 0: y' = y + z - r; L >= 1: the order joins the pipeline, y' = y - r;
    3. demand D: sales min(y', D), lost (D - y')^+, held (y' - D)^+; cost h held + p lost;
    4. in the season's last period, the stock left (on hand and in transit) is salvaged at s.

    ## Action Space

    ``Box(0, [max_order, removal_cap], (2,), float32)``: ``[order, remove]``. The removal is
    also bounded by the stock on hand (a state-dependent bound): actions outside the bounds
    are clipped and ``info["order"]`` holds what was done. NaN or infinite actions raise a
    ``ValueError``; ``integer_actions=True`` rounds them; ``discrete_actions=True`` gives
    ``MultiDiscrete([max_order + 1, removal_cap + 1])``. ``removal_cap`` is ``max_removal``, or
    without a cap the larger of the highest starting stock and twice ``max_order``.

    ## Observation Space

    ``Box(float32)``: ``[on_hand, pipeline_1, ..., pipeline_{L-1}, time_left]``: the stock on
    hand after this period's arrival, the orders in transit (next to arrive first), and the
    periods left in the season (T at the start, 1 in the last period). Then the last
    ``demand_window`` demands, then ``[unit_cost, salvage_value, holding_cost,
    lost_sales_cost, lead_time, season_length]`` with ``static_features=True``. With
    ``demand_window = w`` the season's demand is periods ``w, w + 1, ...`` of the demand
    model (its first ``w`` periods are the history), so the default's drop comes ``w``
    periods earlier in the season.

    ## Rewards

    ``-cost`` of the period (revenues are negative costs). ``info`` holds ``purchase_cost``,
    ``removal_cost`` (-s r), ``holding_cost``, ``lost_sales_cost``, ``salvage_cost`` (-s x at
    the season's end), ``cost``, the flows ``sales``, ``lost``, ``removed``, ``held``,
    ``arrivals``, ``salvaged``, ``order`` (``[order, remove]`` done) and ``demand``.

    ## Starting State

    ``initial_stock`` on hand (default: uniform on the integers 0 .. 100, drawn per episode
    and per row from counter-based streams, so a seed fixes every episode's start), no order
    in transit, ``time_left = season_length``.

    ## Episode End

    The registered id truncates at the season's end (``max_episode_steps = 52``). Run past it,
    the system goes on from an empty stock without a further salvage (``time_left = 0``).

    ## Arguments

    Problem: ``season_length`` (52), ``lead_time`` (0), ``unit_cost`` (5), ``salvage_value``
    (3), ``holding_cost`` (2), ``lost_sales_cost`` (10), ``demand`` (``"regime(12,3,26)"``),
    ``max_order``, ``max_removal`` (None), ``initial_stock`` ((0, 100)). Shell and vector
    options as for every inventory-gym env.

    ## Version History

    * v0: initial version.
"""


class ProcurementRemovalEnv(InventoryEnv):
    problem: ClassVar[Problem] = PROCUREMENT_REMOVAL


class ProcurementRemovalVectorEnv(InventoryVectorEnv):
    problem: ClassVar[Problem] = PROCUREMENT_REMOVAL


ProcurementRemovalEnv.__doc__ = "Joint procurement and removal (single system)." + _DOC
ProcurementRemovalVectorEnv.__doc__ = (
    "Joint procurement and removal, native batched env (numpy or torch)."
    + _DOC
    + InventoryVectorEnv.__doc__
)
