"""Structural penalties: the known shape of optimal policies, as a loss on the gradients.

A penalty measures, by autograd on sampled states, how far a network's response to its state
departs from the known structure of the optimal policy of its problem. It is added to the
training loss with a weight (:attr:`dbp.TrainConfig.penalty_weight`); networks that have the
structure built in (``monotone``, ``base_stock``) pay nothing.

Each problem declares its own structure in its folder
(:attr:`inventory_gym.core.problem.Problem.structure`: a name and the violations of the order
gradients); the trainer reads it from the problem and holds no problem-specific code.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def structural_penalty(
    net: torch.nn.Module,
    state: torch.Tensor,
    history: torch.Tensor | None,
    static: torch.Tensor | None,
    check: Callable[..., torch.Tensor],
    dims: list[int],
    all_decisions: bool = False,
) -> torch.Tensor:
    """Mean violation of a structure at the given states (differentiable in the weights).

    Args:
        net: the policy network.
        state: (B, state_dim) states (detached); rows are split into groups of equal size,
            one per instance.
        history, static: the network's other inputs for those rows.
        check: the violations of the problem's structure (``problem.structure.violations``).
        dims: each group's own number of state features (the rest is padding, not checked).
        all_decisions: the structure's :attr:`~inventory_gym.core.problem.Structure.all_decisions`:
            ``check(jacobian, actions)`` on every decision instead of ``check(grad)`` on the
            first.
    """
    state = state.detach().requires_grad_(True)
    actions = net(state, history, static)
    if all_decisions:
        grads = [
            torch.autograd.grad(actions[:, j].sum(), state, create_graph=True)[0]
            for j in range(actions.shape[1])
        ]
        jacobian = torch.stack(grads, dim=1)
        n = len(dims)
        parts = zip(jacobian.split(jacobian.shape[0] // n), actions.split(actions.shape[0] // n))
        return torch.cat([check(j[:, :, :d], a) for (j, a), d in zip(parts, dims)]).mean()
    (grad,) = torch.autograd.grad(actions[:, 0].sum(), state, create_graph=True)
    groups = grad.split(grad.shape[0] // len(dims))
    return torch.cat([check(g[:, :d]) for g, d in zip(groups, dims)]).mean()
