"""Exact costs of a stationary policy's finite Markov chain, shared by every problem's DP.

A chain is a ``scipy.sparse`` transition matrix ``P`` (rows: from, columns: to) and the
expected cost of a period in each state; the solvers build them (from their kernels) and
score policies here without simulation error. (Grids, policy tables and their files:
:mod:`baselines.tables`.)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def stationary_law(
    transition: Any, start: int, *, owner: str, tol: float, max_iter: int = 1_000_000
) -> np.ndarray:
    """The long-run distribution of the chain started in state ``start``: power iteration of
    the lazy chain ``(I + P) / 2`` (the same stationary law, and aperiodic), until the L1
    change of a step is below ``tol``.

    Raises:
        RuntimeError: naming ``owner`` when ``max_iter`` steps do not converge.
    """
    mu = np.zeros(transition.shape[0])
    mu[start] = 1.0
    pt = transition.T.tocsr()
    for _ in range(max_iter):
        new = 0.5 * (mu + pt @ mu)
        if np.abs(new - mu).sum() < tol:
            return new
        mu = new
    raise RuntimeError(f"{owner}: the stationary distribution did not converge")


def discounted_cost(
    transition: Any, cost: np.ndarray, discount: float, start: int, *, tol: float
) -> float:
    """Expected discounted cost ``sum_t discount^t cost_t`` from state ``start``: value
    iteration until MacQueen's bounds are within ``tol``, then their midpoint."""
    value = np.zeros(transition.shape[0])
    factor = discount / (1.0 - discount)
    while True:
        new = cost + discount * (transition @ value)
        delta = new - value
        value = new
        if factor * float(delta.max() - delta.min()) < tol:
            return float(value[start] + factor * 0.5 * (delta.max() + delta.min()))


__all__ = ["discounted_cost", "stationary_law"]
