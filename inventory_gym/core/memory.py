"""How much memory a new allocation may take, and refusals that say what would be needed.

The exact solvers (:mod:`baselines.exact`), the envs (their observation layout) and the command
line (its path counts) check their sizes against :func:`available_memory` before allocating, so
that a size that cannot fit ends in one line naming what it needs instead of a MemoryError.
"""

from __future__ import annotations

import os
from pathlib import Path


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available() -> int | None:
    """What a cgroup v2 memory limit leaves (``memory.max - memory.current``), if any."""
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation: ``MemAvailable`` of /proc/meminfo
    (capped by a cgroup's limit), else free physical pages from ``os.sysconf``; ``None`` when
    neither can be read."""
    found = _meminfo_available()
    if found is None:
        try:
            found = int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            found = None
    cgroup = _cgroup_available()
    if cgroup is not None:
        found = cgroup if found is None else min(found, cgroup)
    return found


def format_bytes(count: float) -> str:
    """``"341 MB"``, ``"3.1 GB"``, ``"48 TB"`` (powers of 1000)."""
    if count >= 1e12:
        return f"{count / 1e12:,.0f} TB"
    if count >= 1e9:
        return f"{count / 1e9:.1f} GB"
    if count >= 1e6:
        return f"{count / 1e6:.0f} MB"
    return f"{count / 1e3:.0f} kB"


def memory_refusal(needed: int, what: str) -> str | None:
    """Why ``what`` cannot run here (``"... needs about 3.1 GB, 1.2 GB available"``), or
    ``None`` when ``needed`` bytes fit in :func:`available_memory` (or it is unknown)."""
    available = available_memory()
    if available is None or needed <= available:
        return None
    return f"{what} needs about {format_bytes(needed)}, {format_bytes(available)} available"


def check_memory(needed: int, what: str) -> None:
    """Raise ``ValueError`` with :func:`memory_refusal`'s message when ``needed`` does not
    fit."""
    reason = memory_refusal(needed, what)
    if reason is not None:
        raise ValueError(reason)


BYTES_PER_ROW = 512
"""Memory of one row of a batched env apart from its observation (costs, flows, demand)."""
BYTES_PER_CELL = 48
"""Memory per observation feature and row of a batched env (the state, the observation in two
dtypes, the next state and the temporaries of a step): measured about 5 float64 copies."""


def batch_bytes(rows: int, width: int) -> int:
    """About the memory a batched env of ``rows`` rows and ``width`` observation features
    needs (what :class:`~inventory_gym.core.vector.InventoryVectorEnv` checks)."""
    return int(rows) * (int(width) * BYTES_PER_CELL + BYTES_PER_ROW)


def batch_refusal(rows: int, width: int, what: str = "a batch") -> str | None:
    """Why a batch of ``rows`` x ``width`` cannot be simulated here, with what it needs and
    the most rows that fit; ``None`` when it fits (or the memory is unknown)."""
    needed = batch_bytes(rows, width)
    reason = memory_refusal(needed, f"{what} of {rows:,} rows x {width:,} features")
    if reason is None:
        return None
    available = available_memory() or 0
    fit = max(available // max(batch_bytes(1, width), 1), 0)
    if fit == 0:
        return f"{reason} (not one row fits: each has {width:,} features)"
    return f"{reason} (about {fit:,} rows fit)"
