"""Random starting states: counter-based uniforms per row and per episode.

A problem whose episodes start from a random state (:meth:`Problem.start_draws` > 0) gets its
uniform numbers from here. Each number is a hash of (the shell's key, the row, the row's
episode count, the draw's index), not the next number of a stream, so the start of episode
``k`` of row ``i`` does not depend on the batch size or on the other rows' resets: the single
env (row 0) and row 0 of the vector env start every episode from the same state, and two
policies evaluated with one seed start from the same stocks (common random numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_gym.core.problem import Problem

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea & Flood 2014), elementwise on uint64 arrays."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def start_key(rng: np.random.Generator) -> int:
    """A key for :func:`start_uniforms` from a shell's generator, through a spawned child
    (``spawn`` draws nothing from the parent, so the demand streams are unchanged)."""
    return int(rng.spawn(1)[0].integers(2**63 - 1))


def start_uniforms(key: int, rows: np.ndarray, episodes: np.ndarray, n: int) -> np.ndarray:
    """(B, n) uniforms on [0, 1): entry (b, j) is a function of (key, rows[b], episodes[b], j)
    only."""
    rows = np.asarray(rows, dtype=np.uint64)[:, None]
    episodes = np.asarray(episodes, dtype=np.uint64)[:, None]
    j = np.arange(n, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        x = np.full(rows.shape, np.uint64(key), dtype=np.uint64)
        for part in (rows, episodes, j):
            x = _mix(x + _GOLDEN + part * _M1)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def start_state(
    problem: Problem,
    params: Any,
    batch: int,
    xp: Any,
    *,
    key: int | None,
    episodes: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Any:
    """The starting state of ``batch`` rows: :meth:`Problem.initial_state`, or the problem's
    :meth:`Problem.random_start` from :func:`start_uniforms` when it draws one."""
    n = problem.start_draws(params)
    if n == 0 or key is None:
        return problem.initial_state(params, batch, xp, dtype=dtype, device=device)
    rows = np.arange(batch) if rows is None else rows
    episodes = np.zeros(batch, np.int64) if episodes is None else episodes
    uniforms = start_uniforms(key, rows, episodes, n)
    return problem.random_start(params, uniforms, xp, dtype=dtype, device=device)
