"""The training configuration of DirectBackprop: one frozen dataclass, saved with every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from inventory_gym.core.validation import check_fields, check_int, check_real
from inventory_gym.threads import DEFAULT_THREADS

_OWNER = "TrainConfig"

SCHEDULES = ("cosine", "constant")

DEFAULT_STEPS = 400
"""The default step budget: about the minute that ``inventory-gym compare``'s DBP entry and
``make demo`` trained for with their former 60-second budget. At one thread on the project's
shared 2-core machine the default network does 4.5 to 5.8 steps a second under the other jobs'
load (272 and 351 steps in 60 s) and about 9.6 without it (575), so 400 steps take 40 to 90 s
(see benchmarks/README.md, "Threads and budgets")."""


@dataclass(frozen=True)
class TrainConfig:
    """How DirectBackprop trains (every field is also a ``inventory-gym train`` option).

    The budget is ``max_steps`` gradient steps, so that a result does not depend on how
    loaded the machine is; ``max_seconds`` of wall-clock time (validation included) is an
    optional cap, and the learning-rate schedule follows the step budget (the seconds only
    when there is no step budget). At least one of the two must be set.
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
    max_steps: int | None = DEFAULT_STEPS
    """Budget in gradient steps (``None``: train until ``max_seconds``)."""
    max_seconds: float | None = None
    """Cap in seconds of wall-clock time, validation included (``None``: no cap)."""
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
    threads: int | None = DEFAULT_THREADS
    """torch intra-op and BLAS threads (:func:`inventory_gym.threads.set_threads`; ``None``:
    leave the process's settings)."""

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
            ("seed", 0),
            ("eval_seed", 0),
        ):
            check_int(_OWNER, name, getattr(self, name), low=low)
        for name in ("max_steps", "patience", "threads"):
            if getattr(self, name) is not None:
                check_int(_OWNER, name, getattr(self, name), low=1)
        for name in ("learning_rate", "min_learning_rate"):
            object.__setattr__(
                self, name, check_real(_OWNER, name, getattr(self, name), strict=True)
            )
        object.__setattr__(
            self, "penalty_weight", check_real(_OWNER, "penalty_weight", self.penalty_weight)
        )
        for name in ("grad_clip", "max_seconds"):
            if getattr(self, name) is not None:
                value = check_real(_OWNER, name, getattr(self, name), strict=True)
                object.__setattr__(self, name, value)
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


def season_settings(season: int) -> dict[str, Any]:
    """The :class:`TrainConfig` fields that train and validate on whole selling seasons of
    ``season`` periods: every step a fresh batch of seasons from the starting state (no
    burn-in, no state carried over), validated over one season. For a problem whose episode is
    a season (``Problem.season``); the command line applies them there by default."""
    season = check_int("season_settings", "season", season, low=1)
    return {
        "horizon": season,
        "burn_in": 0,
        "first_burn_in": 0,
        "carry_state": False,
        "eval_periods": season,
        "eval_burn_in": 0,
    }
