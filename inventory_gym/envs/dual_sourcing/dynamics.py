"""The dual-sourcing kernel: one pure, batched transition for numpy and torch.

Every consumer (the Gymnasium env, the native vector env, the differentiable backend,
DirectBackprop, the evaluation harness, the exact DP) calls :func:`transition`.
"""

from __future__ import annotations

from types import ModuleType

from inventory_gym.core.xp import Array, positive_part
from inventory_gym.envs.dual_sourcing.params import (
    DualSourcingCosts,
    DualSourcingFlows,
    DualSourcingParams,
    DualSourcingState,
)


def initial_state(
    params: DualSourcingParams, batch: int, xp: ModuleType, *, dtype=None, device=None
) -> DualSourcingState:
    """The starting state of ``batch`` systems: ``initial_inventory`` and empty pipelines."""

    def full(value: float) -> Array:
        return xp.full((batch,), value, dtype=dtype, device=device)

    return DualSourcingState(
        full(params.initial_inventory),
        tuple(full(0.0) for _ in range(params.regular_pipeline_length)),
        tuple(full(0.0) for _ in range(params.expedited_pipeline_length)),
    )


def _advance(pipeline: tuple[Array, ...], order: Array, lead_time: int):
    """(arrives now, arrives next period, next pipeline) for one supplier's orders."""
    if lead_time == 0:
        return order, None, pipeline
    arriving, *rest = (*pipeline, order)
    return None, arriving, tuple(rest)


def transition(
    state: DualSourcingState,
    action: tuple[Array, Array],
    demand: Array,
    params: DualSourcingParams,
    xp: ModuleType,
) -> tuple[DualSourcingState, DualSourcingCosts, DualSourcingFlows]:
    """Advance every system in the batch by one period.

    Sequence of events (SCENARIOS.md section 3):

    1. the orders ``q_r`` (regular) and ``q_e`` (expedited) are placed; cost
       ``c_r q_r + c_e q_e``;
    2. arrivals: the orders placed ``l_r`` and ``l_e`` periods ago (with ``l_e = 0``, today's
       expedited order arrives now). Orders placed in earlier periods that arrive today are
       already in ``state.inventory`` (the state is taken after them), so only a lead time of
       0 adds to the stock here;
    3. demand ``D``: ``I' = I + q_e [l_e = 0] - D``;
    4. cost ``h (I')^+ + b (I')^-``;
    5. next state: ``I'`` plus the orders that arrive at the start of the next period, and the
       pipelines shifted by one.

    Args:
        state: the state at the start of the period (after the arrivals of earlier orders).
        action: ``(q_r, q_e)``, two arrays of shape (B,), non-negative.
        demand: this period's demand, shape (B,), sampled by the caller.
        params: the problem parameters (only static values are read).
        xp: the array namespace (numpy, torch through array-api-compat, or
            :data:`~inventory_gym.core.xp.python_scalars`).

    Returns:
        The next state, the period's cost components and the flows of units.
    """
    q_r, q_e = action
    # l_r >= 1: the regular order never arrives at once.
    _, arriving_r, regular = _advance(state.regular, q_r, params.regular_lead_time)
    now_e, arriving_e, expedited = _advance(state.expedited, q_e, params.expedited_lead_time)
    level = state.inventory if now_e is None else state.inventory + now_e
    end = level - demand
    held = positive_part(end, xp)
    # (I')^- written as held - end: exact, and it shares the tie rule of ``held``.
    backlog = held - end
    costs = DualSourcingCosts(
        q_r * params.regular_cost,
        q_e * params.expedited_cost,
        held * params.holding_cost,
        backlog * params.backlog_cost,
    )
    incoming = arriving_r if arriving_e is None else arriving_r + arriving_e
    arrivals = incoming if now_e is None else incoming + now_e
    return (
        DualSourcingState(end + incoming, regular, expedited),
        costs,
        DualSourcingFlows(arrivals, held, backlog),
    )
