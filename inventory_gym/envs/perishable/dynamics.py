"""The perishable-inventory kernel: one pure, batched transition for numpy and torch.

Every consumer (the Gymnasium env, the native vector env, the differentiable backend,
DirectBackprop, the evaluation harness, the exact DP) calls :func:`transition`.
"""

from __future__ import annotations

from types import ModuleType

from inventory_gym.core.xp import Array, positive_part
from inventory_gym.envs.perishable.params import (
    PerishableCosts,
    PerishableFlows,
    PerishableParams,
    PerishableState,
)


def initial_state(
    params: PerishableParams, batch: int, xp: ModuleType, *, dtype=None, device=None
) -> PerishableState:
    """The starting state of ``batch`` systems: no stock and nothing in transit (Farrington
    et al. start every path empty)."""

    def zero() -> Array:
        return xp.full((batch,), 0.0, dtype=dtype, device=device)

    return PerishableState(
        tuple(zero() for _ in range(params.useful_life)),
        tuple(zero() for _ in range(params.pipeline_length)),
    )


def issue(
    stock: tuple[Array, ...], demand: Array, issuing: str, xp: ModuleType
) -> tuple[tuple[Array, ...], Array]:
    """Serve ``demand`` from the age classes (freshest first in ``stock``) under the issuing
    rule: ``(stock left per class, demand left unserved)``.

    Each class gives ``min(X_i, r)`` to the demand ``r`` still open, written as
    ``left = (X_i - r)^+`` and ``r' = (r - X_i)^+``, so that ``left - r' = X_i - r`` holds for
    values and gradients alike (see :func:`~inventory_gym.core.xp.positive_part`).
    """
    order = range(len(stock) - 1, -1, -1) if issuing == "FIFO" else range(len(stock))
    left = list(stock)
    open_demand = demand
    for i in order:
        left[i] = positive_part(stock[i] - open_demand, xp)
        open_demand = positive_part(open_demand - stock[i], xp)
    return tuple(left), open_demand


def transition(
    state: PerishableState,
    action: Array,
    demand: Array,
    params: PerishableParams,
    xp: ModuleType,
) -> tuple[PerishableState, PerishableCosts, PerishableFlows]:
    """Advance every system in the batch by one period.

    Sequence of events (SCENARIOS.md section 2):

    1. the order ``a`` is placed; cost ``c a``;
    2. demand ``D`` is issued from stock, oldest class first (FIFO) or freshest first (LIFO);
    3. the unserved demand ``(D - sum X)^+`` is lost, at ``p`` each;
    4. the units of the oldest class X_m left after issuing expire, at ``w`` each;
    5. the units left in the other classes are held, at ``h`` each;
    6. ageing and arrival: ``X' = (arrival, X_1 left, ..., X_{m-1} left)``, where the arrival
       is the order placed ``L - 1`` periods ago (this period's order when ``L = 1``).

    Args:
        state: the state at the start of the period.
        action: the order ``a``, shape (B,), non-negative.
        demand: this period's demand, shape (B,), sampled by the caller.
        params: the problem parameters (only static values are read).
        xp: the array namespace (numpy, torch through array-api-compat, or
            :data:`~inventory_gym.core.xp.python_scalars`).

    Returns:
        The next state, the period's cost components and the flows of units.
    """
    left, lost = issue(state.stock, demand, params.issuing, xp)
    expired = left[-1]
    carried = left[:-1]
    held = sum(carried) if carried else expired * 0.0
    sales = demand - lost
    arriving, *pipeline = (*state.pipeline, action)
    costs = PerishableCosts(
        action * params.unit_cost,
        lost * params.lost_sales_cost,
        expired * params.waste_cost,
        held * params.holding_cost,
    )
    flows = PerishableFlows(sales, lost, expired, held, arriving)
    return PerishableState((arriving, *carried), tuple(pipeline)), costs, flows
