"""Structural penalties: the known shape of optimal policies, as a loss on the gradients.

A penalty measures, by autograd on sampled states, how far a network's response to its state
departs from the known structure of the optimal policy of its problem. It is added to the
training loss with a weight (:attr:`dbp.TrainConfig.penalty_weight`); networks that have the
structure built in (``monotone``, ``base_stock``) pay nothing.

Each problem registers its own check in :data:`STRUCTURES` (by ``Problem.name``); the trainer
looks it up and never needs problem-specific code.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def lost_sales_violations(grad: torch.Tensor) -> torch.Tensor:
    """Violations of the lost-sales structure (SCENARIOS.md section 1, Zipkin 2008).

    ``grad`` (B, n) holds ``d order / d x_j`` for the state ``(y, q_1, ..., q_{L-1})``. The
    optimal order decreases in every component and reacts more to recent orders:
    ``-1 <= d/dq_{L-1} <= ... <= d/dq_1 <= d/dy <= 0``. Returns the (B,) sum of the amounts
    by which a row breaks these inequalities (0 when it has the structure).
    """
    total = torch.relu(grad).sum(dim=1)
    if grad.shape[1] > 1:
        total = total + torch.relu(grad[:, 1:] - grad[:, :-1]).sum(dim=1)
    return total + torch.relu(-1.0 - grad[:, -1])


def perishable_violations(grad: torch.Tensor) -> torch.Tensor:
    """Violations of the perishable structure (SCENARIOS.md section 2).

    ``grad`` (B, n) holds ``d order / d x_j`` for the state ``(X_1, ..., X_m, q_1, ...,
    q_{L-1})``. The optimal order decreases in the stock of every age and in every order in
    transit: the (B,) sum of the positive derivatives. SCENARIOS.md also says it "reacts more
    to fresher stock", but the exact optimum breaks that under LIFO with m = 3 (one more unit
    of X_2 can cut the order by 3 where one more X_1 cuts it by 1; see
    ``tests/test_perishable.py``), so it is not imposed.
    """
    return torch.relu(grad).sum(dim=1)


STRUCTURES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "lost_sales": lost_sales_violations,
    "perishable": perishable_violations,
}
"""Problem name -> violations of its structure, from the (B, state_dim) order gradients."""


def structural_penalty(
    net: torch.nn.Module,
    state: torch.Tensor,
    history: torch.Tensor | None,
    static: torch.Tensor | None,
    check: Callable[[torch.Tensor], torch.Tensor],
    dims: list[int],
) -> torch.Tensor:
    """Mean violation of a structure at the given states (differentiable in the weights).

    Args:
        net: the policy network.
        state: (B, state_dim) states (detached); rows are split into groups of equal size,
            one per instance.
        history, static: the network's other inputs for those rows.
        check: the problem's entry of :data:`STRUCTURES`.
        dims: each group's own number of state features (the rest is padding, not checked).
    """
    state = state.detach().requires_grad_(True)
    order = net(state, history, static)[:, 0]
    (grad,) = torch.autograd.grad(order.sum(), state, create_graph=True)
    groups = grad.split(grad.shape[0] // len(dims))
    return torch.cat([check(g[:, :d]) for g, d in zip(groups, dims)]).mean()
