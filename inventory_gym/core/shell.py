"""What the single env and the vector env share: shell options, spaces, observation layout."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from inventory_gym.core.problem import Problem
from inventory_gym.core.validation import check_int

_OWNER = "env"


@dataclass(frozen=True)
class ShellConfig:
    """Options of the Gymnasium shells, on top of the problem's parameters."""

    demand_window: int = 0
    """Append the last ``demand_window`` demands to the observation (oldest first). At reset
    the window holds demands drawn before the first period (for a replayed series, the
    episode starts ``demand_window`` periods into the series)."""
    static_features: bool = False
    """Append the instance's static features (costs, lead time) to the observation, for
    policies that learn across products."""
    integer_actions: bool = False
    """Round orders to the nearest integer in the shell (after clipping). With the
    differentiable torch backend the rounding is straight-through: the forward pass uses the
    rounded order, the gradient is that of the unrounded one."""
    discrete_actions: bool = False
    """Use a ``Discrete(max_order + 1)`` action space (``MultiDiscrete`` for several decisions):
    action ``k`` orders ``k`` units. Needs an integer ``max_order``."""

    def __post_init__(self) -> None:
        check_int(_OWNER, "demand_window", self.demand_window)
        for name in ("static_features", "integer_actions", "discrete_actions"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{_OWNER}: {name} must be True or False, got {value!r}")


OBSERVATION_OPTIONS: tuple[str, ...] = ("demand_window", "static_features")
"""The shell options that change only what a policy observes, never the dynamics or the costs:
two evaluations that differ in them are still paired (same paths, same costs for the same
orders). The other shell options change how actions are read."""

SHELL_OPTIONS: tuple[str, ...] = tuple(ShellConfig.__dataclass_fields__)
"""Every shell option (the fields of :class:`ShellConfig`): the keywords of an env that are not
the problem's parameters."""


def split_kwargs(kwargs: dict[str, Any]) -> tuple[ShellConfig, dict[str, Any]]:
    """Split keyword arguments into the shell options and the problem parameters."""
    shell = {k: kwargs.pop(k) for k in list(kwargs) if k in SHELL_OPTIONS}
    return ShellConfig(**shell), kwargs


@dataclass(frozen=True)
class Layout:
    """Spaces and observation layout of one (problem, params, config) combination."""

    observation_space: spaces.Box
    action_space: spaces.Space
    feature_names: tuple[str, ...]
    action_high: np.ndarray
    static_row: np.ndarray
    """The static features as a float64 row (empty when not observed)."""


def make_layout(problem: Problem, params: Any, config: ShellConfig) -> Layout:
    """Build the single-env spaces and the names of the observation's columns."""
    low, high = problem.state_feature_bounds(params)
    names = list(problem.state_feature_names(params))
    lows, highs = [np.asarray(low, np.float64)], [np.asarray(high, np.float64)]
    if config.demand_window:
        names += [f"demand_lag_{lag}" for lag in range(config.demand_window, 0, -1)]
        lows.append(np.zeros(config.demand_window))
        highs.append(np.full(config.demand_window, np.inf))
    static = problem.static_features(params) if config.static_features else {}
    static_row = np.asarray(list(static.values()), dtype=np.float64)
    names += list(static)
    lows.append(static_row)
    highs.append(static_row)
    observation_space = spaces.Box(
        np.concatenate(lows).astype(np.float32),
        np.concatenate(highs).astype(np.float32),
        dtype=np.float32,
    )
    action_high = np.asarray(problem.action_high(params), dtype=np.float64)
    if config.discrete_actions:
        if not all(math.isfinite(v) and float(v).is_integer() for v in action_high):
            raise ValueError(
                f"{_OWNER}: discrete_actions=True needs an integer max_order, got "
                f"{action_high.tolist()}"
            )
        counts = action_high.astype(np.int64) + 1
        action_space: spaces.Space = (
            spaces.Discrete(int(counts[0]))
            if problem.action_dim == 1
            else spaces.MultiDiscrete(counts)
        )
    else:
        action_space = spaces.Box(
            np.zeros(problem.action_dim, np.float32), action_high.astype(np.float32)
        )
    return Layout(observation_space, action_space, tuple(names), action_high, static_row)


def prepare_actions(values: np.ndarray, high: np.ndarray, config: ShellConfig) -> np.ndarray:
    """Validate and map raw numpy actions (last axis: the decisions) to what is ordered.

    NaN or infinite actions raise a ``ValueError``; discrete actions must be integers in
    ``[0, high]``; Box actions are clipped to ``[0, high]`` and rounded when
    ``config.integer_actions``.
    """
    if not np.isfinite(values).all():
        raise non_finite_error(values)
    if config.discrete_actions:
        check_discrete(values, high)
        return values
    values = np.clip(values, 0.0, high)
    return np.rint(values) if config.integer_actions else values


def check_discrete(values: np.ndarray, high: np.ndarray) -> None:
    """Raise a ``ValueError`` unless every discrete action is an integer in ``[0, high]``."""
    if not np.all((values >= 0) & (values <= high) & (values == np.round(values))):
        raise ValueError(
            f"discrete action must be integers in [0, {high.tolist()}], got {values.tolist()}"
        )


def non_finite_error(action: Any) -> ValueError:
    """The error for a NaN or infinite action."""
    return ValueError(f"action must be finite (no NaN or inf), got {action!r}")
