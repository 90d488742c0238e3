"""Training logs: ``record(key, value)`` then ``dump(step)``, to CSV and optionally TensorBoard
(the way stable-baselines3 logs)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any


class Logger:
    """Collects values with :meth:`record` and writes one row per :meth:`dump`.

    Args:
        path: CSV file (appended to, with a header when new); ``None``: keep rows in memory
            only.
        columns: the CSV columns, in order (a recorded key outside them is an error, so no
            value is silently dropped).
        tensorboard: a directory for TensorBoard event files (needs the ``tensorboard``
            package), or ``None``.
    """

    def __init__(
        self, path: str | Path | None, columns: list[str], tensorboard: str | Path | None = None
    ):
        self.columns = ["step", *[c for c in columns if c != "step"]]
        self.rows: list[dict[str, Any]] = []
        self._current: dict[str, Any] = {}
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            new = not self.path.exists() or self.path.stat().st_size == 0
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=self.columns)
            if new:
                self._writer.writeheader()
        self._tb = None
        if tensorboard is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as err:
                raise ImportError(
                    "tensorboard logging needs the tensorboard package: pip install tensorboard"
                ) from err
            self._tb = SummaryWriter(str(tensorboard))

    def record(self, key: str, value: float) -> None:
        """Set a value of the current row."""
        if key not in self.columns:
            raise KeyError(f"Logger: unknown column {key!r}; columns are {self.columns}")
        self._current[key] = float(value)

    def dump(self, step: int) -> dict[str, Any]:
        """Write the current row with its step and start a new one; returns the row."""
        row = {"step": int(step), **self._current}
        self.rows.append(row)
        if self.path is not None:
            self._writer.writerow(row)
            self._file.flush()
        if self._tb is not None:
            for key, value in self._current.items():
                if math.isfinite(value):
                    self._tb.add_scalar(key, value, step)
        self._current = {}
        return row

    def close(self) -> None:
        if self.path is not None:
            self._file.close()
        if self._tb is not None:
            self._tb.close()
