"""Exact distributions of the lost-sales stock ahead in time, shared by the heuristics that
look ahead (myopic-1, myopic-2, projected inventory level) and by the exact DP.

With lost sales the stock does not go below zero, so the stock at the arrival of an order is
not ``inventory position - lead-time demand``; it is computed here exactly, by propagating its
pmf through the recursion ``u' = (u - D)^+ + q`` with the orders already in the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inventory_gym.demand import DiscreteDemand


def demand_pmf(demand: DiscreteDemand) -> np.ndarray:
    """The demand pmf as a dense vector over ``0..support_max`` (tail mass below 1e-9 folded
    into the last point, as the samplers do)."""
    if not isinstance(demand, DiscreteDemand):
        raise ValueError(
            f"demand must be a discrete (integer) model for exact computations, got {demand}"
        )
    return demand.dense_pmf()


RATIO_TOL = 1e-12
"""Cdf values are sums of floats: a fractile that equals the target ratio on paper may miss it
by a few ulps, so comparisons against a ratio allow this slack."""


def fractile(pmf: np.ndarray, ratio: float) -> int:
    """The smallest ``k`` with ``P(D <= k) >= ratio`` for the dense pmf ``pmf`` over ``0..n-1``.

    A ratio of 0 or less gives 0; a ratio of 1 gives the last support point.
    """
    cdf = np.cumsum(pmf)
    return int(min(np.searchsorted(cdf, ratio - RATIO_TOL, side="left"), pmf.shape[0] - 1))


def convolved_pmf(pmf: np.ndarray, periods: int) -> np.ndarray:
    """The dense pmf of the demand over ``periods`` (>= 1) independent periods."""
    if not isinstance(periods, (int, np.integer)) or isinstance(periods, bool) or periods < 1:
        raise ValueError(f"convolved_pmf: periods must be an integer >= 1, got {periods!r}")
    total = np.asarray(pmf, dtype=np.float64)
    for _ in range(periods - 1):
        total = np.convolve(total, pmf)
    return total


def depletion_matrix(pmf: np.ndarray, size: int) -> np.ndarray:
    """``K[i, j] = P((i - D)^+ = j)`` for stock levels ``i, j`` in ``0..size-1``."""
    n = pmf.shape[0]
    i = np.arange(size)[:, None]
    d = i - np.arange(size)[None, :]
    k = np.where((d >= 0) & (d < n), pmf[np.clip(d, 0, n - 1)], 0.0)
    # j = 0 collects every demand of at least i: P(D >= i).
    tail = np.concatenate([np.cumsum(pmf[::-1])[::-1], np.zeros(max(size - n, 0))])
    k[:, 0] = tail[:size]
    return k


def period_cost(pmf: np.ndarray, holding: float, lost: float, size: int) -> np.ndarray:
    """``C[x] = E[h (x - D)^+ + p (D - x)^+]`` for stock ``x`` in ``0..size-1``."""
    d = np.arange(pmf.shape[0])
    x = np.arange(size)[:, None]
    left = np.maximum(x - d, 0)
    short = np.maximum(d - x, 0)
    return (holding * left + lost * short) @ pmf


def shift_rows(probs: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Row ``b`` of the result is row ``b`` of ``probs`` moved right by ``shift[b]`` places
    (a pmf of ``u`` becomes the pmf of ``u + shift``); mass past the end is folded into the
    last column, so each row stays a pmf (callers size the table so that none spills)."""
    batch, size = probs.shape
    shift = np.asarray(shift, dtype=np.int64)
    width = size + max(int(shift.max(initial=0)), 0)
    # One scatter into a wider table (each row written at its offset), then the fold: about
    # five times faster than a gather with per-row clipped indices.
    wide = np.zeros((batch, width))
    starts = np.arange(batch) * width + shift
    wide.ravel()[(starts[:, None] + np.arange(size)[None, :]).ravel()] = probs.ravel()
    out = wide[:, :size].copy()
    if width > size:
        out[:, -1] += wide[:, size:].sum(axis=1)
    return out


def stock_at_arrival_pmf(
    on_hand: np.ndarray,
    pipeline: Sequence[np.ndarray],
    pmf: np.ndarray,
    size: int | None = None,
) -> np.ndarray:
    """Pmf of the on-hand stock just before an order placed now arrives (``L`` periods ahead).

    With the state ``(y, q_1, ..., q_{L-1})`` and ``L = len(pipeline) + 1``: ``u_0 = y``,
    ``u_k = (u_{k-1} - D)^+ + q_k``, and the stock when the order arrives is
    ``(u_{L-1} - D)^+``. (For ``L = 0`` the order arrives at once, on top of ``y``.)

    Args:
        on_hand: y, shape (B,), non-negative integers.
        pipeline: the ``L - 1`` pipeline columns, each of shape (B,), integers.
        pmf: dense demand pmf (:func:`demand_pmf`).
        size: support of the result ``0..size-1``; default ``max(y + sum q) + 1``.

    Returns:
        (B, size) array of probabilities.
    """
    y = np.rint(np.asarray(on_hand, dtype=np.float64)).astype(np.int64)
    qs = [np.rint(np.asarray(q, dtype=np.float64)).astype(np.int64) for q in pipeline]
    if size is None:
        size = int((y + sum(qs, np.zeros_like(y))).max(initial=0)) + 1
    probs = np.zeros((y.shape[0], size))
    probs[np.arange(y.shape[0]), np.minimum(y, size - 1)] = 1.0
    k = depletion_matrix(pmf, size)
    for q in qs:
        probs = shift_rows(probs @ k, q)
    return probs @ k
