"""The training configuration of DirectBackprop: one frozen dataclass, saved with every run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from inventory_gym.core.validation import check_fields

_OWNER = "TrainConfig"

SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainConfig:
    """How DirectBackprop trains (every field is also a ``inventory-gym train`` option).

    The budget is ``max_steps`` gradient steps or ``max_seconds`` of wall-clock time
    (validation included), whichever ends first; at least one must be set.
    """

    batch_size: int = 512
    """Demand paths per gradient step (split evenly over the instances)."""
    horizon: int = 64
    """Periods per path whose cost is backpropagated (truncated backpropagation through
    time)."""
    burn_in: int = 16
    """Periods simulated without gradient before the ``horizon`` in every step. The first step
    starts from the env's starting state and runs ``first_burn_in`` periods instead."""
    first_burn_in: int = 100
    """Burn-in of the first step, from the env's starting state."""
    carry_state: bool = True
    """Start each step where the previous one ended (detached), so the states follow the
    current policy's long-run distribution without a long burn-in every step."""
    learning_rate: float = 1e-2
    """Adam's step size at the start."""
    schedule: str = "cosine"
    """``cosine`` (decays to ``min_learning_rate`` over the budget) or ``constant``."""
    min_learning_rate: float = 1e-5
    """Final step size of the cosine schedule."""
    grad_clip: float | None = 10.0
    """Clip the global gradient norm to this value (``None``: no clipping)."""
    straight_through: bool = False
    """Round orders to integers in the forward pass (straight-through gradient). Off: train on
    continuous orders; the harness rounds them at evaluation when demand is integer."""
    penalty_weight: float = 0.0
    """Weight of the structural penalty (0: off; see :mod:`dbp.structure`)."""
    penalty_rows: int = 256
    """States sampled per step for the structural penalty."""
    max_steps: int | None = None
    """Budget in gradient steps."""
    max_seconds: float | None = 60.0
    """Budget in seconds of wall-clock time."""
    eval_every: int = 200
    """Validate every this many gradient steps (and at the end)."""
    eval_paths: int = 256
    """Validation: demand paths per instance (held out: their seed is ``eval_seed``)."""
    eval_periods: int = 500
    """Validation: periods per path after the burn-in."""
    eval_burn_in: int = 100
    """Validation: burn-in periods."""
    eval_seed: int = 7919
    """Seed of the validation paths, distinct from the training paths and from the harness's
    default test seed 0, so the checkpoint is not chosen on the paths it is scored on."""
    patience: int | None = None
    """Stop after this many validations without improvement (``None``: run the budget)."""
    seed: int = 0
    """Seed of the weights and of the training paths."""
    device: str = "cpu"
    """Torch device (``cpu``, ``cuda``, ``cuda:1``...)."""
    dtype: str = "float32"
    """``float32`` or ``float64``."""
    threads: int | None = None
    """torch intra-op threads (``None``: leave torch's setting)."""

    def __post_init__(self) -> None:
        for name, low in (
            ("batch_size", 1),
            ("horizon", 1),
            ("burn_in", 0),
            ("first_burn_in", 0),
            ("penalty_rows", 1),
            ("eval_every", 1),
            ("eval_paths", 1),
            ("eval_periods", 1),
            ("eval_burn_in", 0),
        ):
            _check_int(name, getattr(self, name), low)
        _check_int("seed", self.seed, None)
        _check_int("eval_seed", self.eval_seed, None)
        for name in ("max_steps", "patience", "threads"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), 1)
        for name in ("learning_rate", "min_learning_rate"):
            _check_real(name, getattr(self, name), positive=True)
        _check_real("penalty_weight", self.penalty_weight, positive=False)
        if self.grad_clip is not None:
            _check_real("grad_clip", self.grad_clip, positive=True)
        if self.max_seconds is not None:
            _check_real("max_seconds", self.max_seconds, positive=True)
        if self.max_steps is None and self.max_seconds is None:
            raise ValueError(f"{_OWNER}: set max_steps or max_seconds (both are None)")
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"{_OWNER}: schedule must be one of {SCHEDULES}, got {self.schedule!r}"
            )
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"{_OWNER}: dtype must be 'float32' or 'float64', got {self.dtype!r}")
        for name in ("carry_state", "straight_through"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    f"{_OWNER}: {name} must be True or False, got {getattr(self, name)!r}"
                )
        if not isinstance(self.device, str) or not self.device:
            raise ValueError(
                f"{_OWNER}: device must be a string such as 'cpu' or 'cuda', got {self.device!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        check_fields(_OWNER, cls, data)
        return cls(**data)


def _check_int(name: str, value: Any, low: int | None) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or (low is not None and value < low):
        bound = "" if low is None else f" >= {low}"
        raise ValueError(f"{_OWNER}: {name} must be an int{bound}, got {value!r}")


def _check_real(name: str, value: Any, *, positive: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        kind = "> 0" if positive else ">= 0"
        raise ValueError(f"{_OWNER}: {name} must be a finite number {kind}, got {value!r}")
