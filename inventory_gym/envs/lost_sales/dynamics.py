"""The lost-sales kernel: one pure, batched transition for numpy and torch.

Every consumer (the Gymnasium env, the native vector env, the differentiable backend,
DirectBackprop, the evaluation harness, the exact DP) calls :func:`transition`.
"""

from __future__ import annotations

from types import ModuleType

from inventory_gym.core.xp import Array, positive_part
from inventory_gym.envs.lost_sales.params import (
    LostSalesCosts,
    LostSalesFlows,
    LostSalesParams,
    LostSalesState,
)


def initial_state(
    params: LostSalesParams, batch: int, xp: ModuleType, *, dtype=None, device=None
) -> LostSalesState:
    """The starting state of ``batch`` systems: ``initial_on_hand`` and ``initial_pipeline``."""
    pipeline = params.initial_pipeline or (0.0,) * params.pipeline_length
    return LostSalesState(
        xp.full((batch,), params.initial_on_hand, dtype=dtype, device=device),
        tuple(xp.full((batch,), value, dtype=dtype, device=device) for value in pipeline),
    )


def transition(
    state: LostSalesState,
    order: Array,
    demand: Array,
    params: LostSalesParams,
    xp: ModuleType,
) -> tuple[LostSalesState, LostSalesCosts, LostSalesFlows]:
    """Advance every system in the batch by one period.

    Sequence of events (SCENARIOS.md section 1, Zipkin 2008), for L >= 1:

    1. the order ``z`` is placed (it arrives at the start of period t + L); purchase cost ``c z``;
    2. demand ``D`` is served from on-hand stock ``y``: sales = min(y, D), lost = (D - y)^+,
       leftover = (y - D)^+;
    3. cost = c z + h leftover + p lost;
    4. next state: (leftover + q_1, q_2, ..., q_{L-1}, z).

    For L = 0 the order arrives before demand: demand is served from ``y + z`` and the next
    on-hand stock is what is left.

    The kinks use :func:`~inventory_gym.core.xp.positive_part` and ``xp.minimum``, whose
    derivative at a tie (stock == demand) is 1/2 (see that helper for why).

    Args:
        state: the state at the start of the period (after its arrival).
        order: orders ``z``, shape (B,), non-negative (the shells clip and round them).
        demand: this period's demand, shape (B,), sampled by the caller.
        params: the problem parameters (only static values are read).
        xp: the array namespace of the arrays (numpy, torch through array-api-compat, or
            :data:`~inventory_gym.core.xp.python_scalars` for a batch of one as floats).

    Returns:
        The next state, the period's cost components and the flows of units.
    """
    if params.lead_time == 0:
        available = state.on_hand + order
    else:
        available = state.on_hand
    excess = available - demand
    leftover = positive_part(excess, xp)
    # (D - y)^+ written as leftover - excess: exact in floating point and it shares the tie
    # rule of ``leftover`` instead of adding a second kink.
    lost = leftover - excess
    sales = xp.minimum(available, demand)
    # Positional construction and array-times-scalar order: at batch size one these calls
    # are the whole cost of a step.
    costs = LostSalesCosts(
        order * params.unit_cost, leftover * params.holding_cost, lost * params.lost_sales_cost
    )
    if params.lead_time == 0:
        next_state = LostSalesState(leftover, state.pipeline)
        arrivals = order
    else:
        # The pipeline is a tuple of per-period arrays: shifting it moves references, no copy.
        arrivals, *pipeline = (*state.pipeline, order)
        next_state = LostSalesState(leftover + arrivals, tuple(pipeline))
    return next_state, costs, LostSalesFlows(sales, lost, arrivals, leftover)
