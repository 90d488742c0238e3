"""What the single env and the vector env share: shell options, spaces, observation layout."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from inventory_gym.core.memory import memory_refusal
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


LAYOUT_BYTES_PER_FEATURE = 128
"""Memory per observation feature of one env's layout and state (its name, bounds in two
dtypes, the state column): what :func:`make_layout` checks against the memory available."""


def make_layout(problem: Problem, params: Any, config: ShellConfig) -> Layout:
    """Build the single-env spaces and the names of the observation's columns.

    Raises:
        ValueError: when the observation is too wide for the memory available (a lead time
            of 10**9 would need about 128 GB), before anything is allocated.
    """
    width = problem.state_dim(params) + config.demand_window
    reason = memory_refusal(
        width * LAYOUT_BYTES_PER_FEATURE, f"an observation of {width:,} features"
    )
    if reason is not None:
        raise ValueError(f"{_OWNER}: {reason}")
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


@dataclass(frozen=True)
class ActionBox:
    """The static bounds of the actions on one backend, built once by a shell
    (:func:`action_box`) and handed to :func:`prepare_actions` every period."""

    low: Any
    """Lower bounds, shape (d,) or (B, d) (one row per batch row), in the shell's backend."""
    high: Any
    """Upper bounds, same shape."""
    integral: bool
    """Whether every bound is an integer, so that rounding a clipped action stays inside."""


def action_box(low: np.ndarray, high: np.ndarray, asarray: Any = np.asarray) -> ActionBox:
    """An :class:`ActionBox` from numpy bounds; ``asarray`` moves them to the shell's backend."""
    low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
    finite = np.isfinite(low).all() and np.isfinite(high).all()
    integral = bool(finite and (low == np.round(low)).all() and (high == np.round(high)).all())
    return ActionBox(asarray(low), asarray(high), integral)


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _bound_columns(entries: tuple, static: Any, values: Any, xp: Any, pick_lower: bool) -> Any:
    """(B, d) bounds: each decision's state bound (``entries``, from the problem's hook),
    within the static bounds ``static`` ((d,) or (B, d))."""
    batch = values.shape[0]
    columns = []
    for i, entry in enumerate(entries):
        fixed = static[i] if static.ndim == 1 else static[:, i]
        if _is_torch(entry):
            col = entry.to(dtype=values.dtype).reshape(-1)
        elif isinstance(entry, np.ndarray):
            col = np.asarray(entry, dtype=np.float64).reshape(-1)
        else:
            col = xp.full_like(values[:, i], float(entry))
        if col.shape[0] != batch:
            col = xp.broadcast_to(col, (batch,))
        # The state's bound where it is the tighter one, ties included, so that a bound that
        # carries a gradient (the stock on hand) keeps it; the static bound elsewhere.
        tighter = col <= fixed if pick_lower else col >= fixed
        columns.append(xp.where(tighter, col, fixed))
    return xp.stack(columns, axis=1)


def prepare_actions(
    values: Any,
    problem: Problem,
    params: Any,
    state: Any,
    box: ActionBox,
    xp: Any,
    *,
    batch: int | None,
    integer: bool = False,
    discrete: bool = False,
    check_finite: bool = True,
    state_xp: Any = None,
) -> Any:
    """Turn raw actions into what is done, the one place where every shell does it.

    The single env, the vector env (numpy and torch) and DirectBackprop's simulator all call
    this; ``info["order"]`` and the kernel get its result. In order:

    1. shape: ``batch=None`` (the single env) takes any array of ``action_dim`` numbers;
       otherwise (B,) or (B, 1) for one decision, (B, d) for several;
    2. finiteness: NaN or infinite actions raise a ``ValueError`` (``check_finite``);
    3. the static box: with ``discrete``, every action must be an integer inside it, else a
       ``ValueError`` (an out-of-range index is the caller's bug, not clipped); Box actions
       are clipped to it, on torch with ``torch.clamp``, which passes the gradient at the
       bounds themselves (an order equal to ``max_order`` keeps its gradient);
    4. the state's bounds: when the problem overrides
       :meth:`~inventory_gym.core.problem.Problem.action_bounds`, the actions (discrete ones
       too) are clipped again to the bounds it gives for ``state``, with ``torch.clamp`` on
       torch (a bound that carries a gradient, the stock on hand, passes it on);
    5. ``integer`` (Box actions only): rounded half to even, to the nearest integer inside
       the bounds (7.6 on hand: at most 7 removed); on torch straight-through (the rounded
       value forward, the identity backward).

    Args:
        values: raw actions, an array of ``xp`` (float64 numpy, or a torch tensor already on
            the shell's device and dtype, carrying its graph when differentiable).
        problem, params, state: what the bounds are computed from.
        box: the static bounds (:func:`action_box`).
        xp: the namespace of ``values``.
        batch: the number of rows, or None for the single env.
        integer: round (``integer_actions``, or DirectBackprop's ``straight_through``).
        discrete: ``discrete_actions``.
        check_finite: DirectBackprop skips the check (it would synchronise the device every
            period; the trainer checks the loss once per step instead).
        state_xp: the namespace of ``state`` when it differs from ``xp`` (the single env
            holds its state as Python floats).

    Returns:
        (B, d) actions (B = 1 for the single env).
    """
    d = problem.action_dim
    shape = tuple(values.shape)
    if batch is None:
        if values.size != d:
            raise ValueError(f"action must have shape ({d},), got {shape}")
        values = values.reshape(1, d)
    else:
        expected = ((batch,), (batch, 1)) if d == 1 else ((batch, d),)
        if shape not in expected:
            raise ValueError(f"actions must have shape {expected[-1]}, got {shape}")
        values = xp.reshape(values, (batch, d))
    torch_path = type(values) is not np.ndarray
    if check_finite and not bool(xp.isfinite(values).all()):
        raise non_finite_error(values.tolist() if batch is None else values)
    low, high = box.low, box.high
    if discrete:
        check_discrete(values.detach() if torch_path else values, low, high, xp)
    elif torch_path:
        import torch

        values = torch.clamp(values, min=low, max=high)
    else:
        # np.minimum/np.maximum: np.clip's result (the values are finite) for less overhead.
        values = np.minimum(np.maximum(values, low), high)
    integral = box.integral
    if problem.state_dependent_bounds:
        s_low, s_high = problem.action_bounds(state, params, xp if state_xp is None else state_xp)
        low = _bound_columns(s_low, low, values, xp, pick_lower=False)
        high = _bound_columns(s_high, high, values, xp, pick_lower=True)
        integral = False
        if torch_path:
            import torch

            values = torch.clamp(values, min=low, max=high)
        else:
            values = np.minimum(np.maximum(values, low), high)
    if integer and not discrete:
        if torch_path:
            import torch

            rounded = torch.round(values)
            if not integral:
                rounded = torch.clamp(rounded, min=torch.ceil(low), max=torch.floor(high))
            # Straight-through: the rounded value forward, the identity backward.
            values = values + (rounded - values).detach()
        else:
            values = np.rint(values)
            if not integral:
                values = np.minimum(np.maximum(values, np.ceil(low)), np.floor(high))
    return values


def check_discrete(values: Any, low: Any, high: Any, xp: Any = np) -> None:
    """Raise a ``ValueError`` unless every discrete action is an integer in ``[low, high]``."""
    if not bool(xp.all((values >= low) & (values <= high) & (values == xp.round(values)))):
        raise ValueError(
            f"discrete action must be integers in [{low.tolist()}, {high.tolist()}], got "
            f"{values.tolist()}"
        )


def non_finite_error(action: Any) -> ValueError:
    """The error for a NaN or infinite action."""
    return ValueError(f"action must be finite (no NaN or inf), got {action!r}")
