"""The procurement-and-removal kernel: one pure, batched transition for numpy and torch.

Every consumer (the Gymnasium env, the native vector env, the differentiable backend,
DirectBackprop, the evaluation harness) calls :func:`transition`; the exact DP
(:mod:`baselines.procurement_removal.dp`) is checked against it.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from inventory_gym.core.xp import Array, positive_part, python_scalars
from inventory_gym.envs.procurement_removal.params import (
    ProcurementRemovalCosts,
    ProcurementRemovalFlows,
    ProcurementRemovalParams,
    ProcurementRemovalState,
)


def initial_state(
    params: ProcurementRemovalParams, batch: int, xp: ModuleType, *, dtype=None, device=None
) -> ProcurementRemovalState:
    """The starting state with the lowest starting stock (the fixed one when
    ``initial_stock`` is a number), an empty pipeline and the whole season left."""

    def full(value: float) -> Array:
        return xp.full((batch,), value, dtype=dtype, device=device)

    return ProcurementRemovalState(
        full(params.stock_range[0]),
        tuple(full(0.0) for _ in range(params.pipeline_length)),
        full(float(params.season_length)),
    )


def random_start(
    params: ProcurementRemovalParams,
    uniforms: np.ndarray,
    xp: ModuleType,
    *,
    dtype=None,
    device=None,
) -> ProcurementRemovalState:
    """Starting states whose stock is uniform on the integers ``low .. high`` of
    ``initial_stock``, one uniform number per row."""
    low, high = params.stock_range
    stock = np.minimum(low + np.floor(uniforms[:, 0] * (high - low + 1)), high)
    state = initial_state(params, stock.shape[0], xp, dtype=dtype, device=device)
    if xp is python_scalars:
        on_hand = float(stock[0])
    elif xp is np:
        on_hand = stock
    else:
        import torch

        on_hand = torch.as_tensor(stock, dtype=dtype, device=device)
    return state._replace(on_hand=on_hand)


def transition(
    state: ProcurementRemovalState,
    action: tuple[Array, Array],
    demand: Array,
    params: ProcurementRemovalParams,
    xp: ModuleType,
) -> tuple[ProcurementRemovalState, ProcurementRemovalCosts, ProcurementRemovalFlows]:
    """Advance every system in the batch by one period.

    Sequence of events (SCENARIOS.md section 4):

    1. the order ``z`` is placed (cost ``c z``) and ``r`` units are removed from the stock on
       hand (value ``s r``; the shells keep ``r`` within the stock on hand and the cap);
    2. L = 0: the order arrives, demand is served from ``y' = y + z - r``; L >= 1: it joins the
       pipeline and demand is served from ``y' = y - r``;
    3. sales ``min(y', D)``, lost ``(D - y')^+``, leftover ``(y' - D)^+``; cost ``h leftover +
       p lost``;
    4. next state: the leftover plus the order that arrives next (L >= 1), the pipeline
       shifted, one period less left;
    5. in the season's last period (``time_left == 1``) the stock left, on hand and in
       transit, is salvaged at ``s`` per unit (``salvage_cost = -s x``) and the next state is
       empty. Past the season (``time_left == 0``) the system runs on without a salvage.

    The last-period weight ``min(t, 1) * min(2 - t, 1)`` clipped at 0 (1 at ``t == 1``, 0 at
    every other integer) is plain arithmetic, so the kernel needs no ``where``.

    Args:
        state: the state at the start of the period (after its arrival).
        action: ``(z, r)``, two (B,) arrays, non-negative, ``r`` at most the stock on hand.
        demand: this period's demand, shape (B,), sampled by the caller.
        params: the problem parameters (only static values are read).
        xp: the array namespace (numpy, torch through array-api-compat, or
            :data:`~inventory_gym.core.xp.python_scalars`).

    Returns:
        The next state, the period's cost components and the flows of units.
    """
    order, removed = action
    on_hand = state.on_hand - removed
    available = on_hand + order if params.lead_time == 0 else on_hand
    excess = available - demand
    leftover = positive_part(excess, xp)
    lost = leftover - excess
    sales = xp.minimum(available, demand)
    if params.lead_time == 0:
        arrivals = order
        next_on_hand = leftover
        pipeline = state.pipeline
    else:
        arrivals, *rest = (*state.pipeline, order)
        pipeline = tuple(rest)
        next_on_hand = leftover + arrivals
    t = state.time_left
    last = xp.minimum(positive_part(t, xp), 1.0) * xp.minimum(positive_part(2.0 - t, xp), 1.0)
    keep = 1.0 - last
    salvaged = next_on_hand * last
    for q in pipeline:
        salvaged = salvaged + q * last
    costs = ProcurementRemovalCosts(
        order * params.unit_cost,
        0.0 - removed * params.salvage_value,
        leftover * params.holding_cost,
        lost * params.lost_sales_cost,
        0.0 - salvaged * params.salvage_value,
    )
    next_state = ProcurementRemovalState(
        next_on_hand * keep,
        tuple(q * keep for q in pipeline),
        positive_part(t - 1.0, xp),
    )
    flows = ProcurementRemovalFlows(sales, lost, removed, leftover, arrivals, salvaged)
    return next_state, costs, flows
