"""The interval structure, shown: whether a policy has it, where it breaks it, and the picture.

A policy of ProcurementRemoval-v0 has the *interval form* in period t when two levels
``S_lo(t) <= S_hi(t)`` exist such that it orders ``(S_lo(t) - y)^+`` and removes
``min((y - S_hi(t))^+, cap)`` at every stock ``y``: the optimal policy's form for L = 0
(Maggiar & Sadighian 2017). :func:`violations` measures how far a policy is from it, on the
states the policy itself visits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from baselines.procurement_removal import dp
from inventory_gym.envs.procurement_removal.env import ENV_ID
from inventory_gym.envs.procurement_removal.params import ProcurementRemovalParams


def interval_levels(actions: np.ndarray, cap: float = np.inf) -> tuple[int, int] | None:
    """``(S_lo, S_hi)`` when one period's integer actions over the stocks ``0 .. N``
    (an (N + 1, 2) array) have the interval form, else ``None``."""
    y = np.arange(actions.shape[0])
    z, r = actions[:, 0], actions[:, 1]
    if ((z > 0) & (r > 0)).any():
        return None
    s_lo = int(z[0])
    above = np.flatnonzero(r > 0)
    s_hi = int(above[0] - 1) if above.size else int(y[-1])
    fits = (z == np.maximum(s_lo - y, 0)).all() and (
        r == np.minimum(np.maximum(y - s_hi, 0), cap)
    ).all()
    return (s_lo, s_hi) if fits and s_lo <= s_hi else None


def visits(
    params_kwargs: dict[str, Any] | None, policy: Any, *, num_paths: int = 2000, seed: int = 0
) -> np.ndarray:
    """How often the policy visits each (stock, time left) state of the DP grid over a season,
    (N + 1, T + 1) counts, from ``num_paths`` simulated paths (integer actions)."""
    env = gym.make_vec(
        ENV_ID, num_envs=num_paths, vectorization_mode="vector_entry_point", **(params_kwargs or {})
    )
    params = env.unwrapped.params
    n = int(params.stock_cap)
    counts = np.zeros((n + 1, params.season_length + 1))
    obs, _ = env.reset(seed=seed)
    for _ in range(params.season_length):
        y = np.clip(np.rint(obs[:, 0]).astype(np.int64), 0, n)
        tau = np.rint(obs[:, -1]).astype(np.int64)
        np.add.at(counts, (y, tau), 1.0)
        obs, *_ = env.step(np.rint(np.asarray(policy(obs), np.float64)))
    env.close()
    return counts


def violations(
    params: ProcurementRemovalParams, policy: Any, counts: np.ndarray
) -> dict[str, float]:
    """How far a policy is from the interval form on the states it visits (``counts`` from
    :func:`visits`): for each period, the interval policy that agrees with it on the most
    visits, and the share of visits where even that one acts otherwise (``interval``); and the
    share of visits where it orders and removes at once (``both``)."""
    acts = dp.policy_tables(params, policy)
    n = acts.shape[0] - 1
    y = np.arange(n + 1)
    cap = params.removal_cap
    levels = np.arange(n + 1)
    agree_total = 0.0
    both = 0.0
    for tau in range(1, params.season_length + 1):
        w = counts[:, tau]
        if w.sum() == 0:
            continue
        z, r = acts[:, tau, 0], acts[:, tau, 1]
        both += float(w[(z > 0) & (r > 0)].sum())
        order_ok = z[None, :] == np.maximum(levels[:, None] - y[None, :], 0)  # (S_lo, y)
        remove_ok = r[None, :] == np.minimum(np.maximum(y[None, :] - levels[:, None], 0), cap)
        agree = (order_ok * w[None, :]).astype(np.float64) @ remove_ok.T.astype(np.float64)
        agree[np.tril_indices(n + 1, -1)] = -1.0  # only S_lo <= S_hi
        agree_total += float(agree.max())
    total = float(counts[:, 1:].sum())
    return {"interval": 1.0 - agree_total / total, "both": both / total}


def plot_decisions(
    params: ProcurementRemovalParams,
    policies: dict[str, Any],
    path: str | Path,
    max_stock: int = 40,
) -> Path:
    """A heat map per policy of its decision over (period, stock): the order (positive) or the
    removal (negative), as the paper's figure shows them; stocks up to ``max_stock``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T = params.season_length
    fig, axes = plt.subplots(1, len(policies), figsize=(5 * len(policies), 4), squeeze=False)
    for ax, (name, policy) in zip(axes[0], policies.items()):
        acts = dp.policy_tables(params, policy)[: max_stock + 1]
        net = acts[..., 0] - acts[..., 1]  # (stock, time left)
        picture = net[:, T:0:-1]  # columns: periods 0 .. T - 1
        bound = max(1.0, float(np.abs(picture).max()))
        image = ax.imshow(
            picture, origin="lower", aspect="auto", cmap="RdBu", vmin=-bound, vmax=bound
        )
        ax.set_title(f"{name}: order (blue) / remove (red)")
        ax.set_xlabel("period t")
        ax.set_ylabel("stock on hand")
        fig.colorbar(image, ax=ax)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
