"""The single-system Gymnasium shell around a problem kernel (numpy, batch of one)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from inventory_gym.core.problem import Problem
from inventory_gym.core.render import DEFAULT_DPI, PICTURE_MODES, Renderer, Trace, stock_columns
from inventory_gym.core.shell import (
    action_box,
    make_layout,
    non_finite_error,
    prepare_actions,
    split_kwargs,
)
from inventory_gym.core.start import start_key, start_state
from inventory_gym.core.validation import check_int, check_render_mode
from inventory_gym.core.xp import python_scalars
from inventory_gym.demand import DEMAND_SAMPLERS

DEMAND_BLOCK = 256
"""Periods of demand sampled at a time: one sampler call per step would cost more than the
kernel itself at batch size one."""


class InventoryEnv(gym.Env):
    """Generic single-system env; a problem subclass sets :attr:`problem` and documents it.

    Runs the problem's kernel on a batch of one held as Python floats
    (:data:`~inventory_gym.core.xp.python_scalars`: float64, the same numbers as numpy, without
    numpy's per-call overhead). The episode never terminates (the problems have no terminal
    state); ``gym.make`` adds the ``TimeLimit`` that truncates it.
    For the torch backend, use the native vector env (``gym.make_vec``), also with one env.

    Demand is drawn as the numpy vector env draws it (``demand_sampler``, the same option): a
    stationary discrete model from its exact table (:class:`~inventory_gym.demand.AliasTable`)
    by default, so that ``gym.make(id)`` and ``gym.make_vec(id, num_envs=1)`` reset with the
    same seed see the same demand path; ``demand_sampler="model"`` uses the model's own
    sampler.
    """

    problem: ClassVar[Problem]
    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "rgb_array", "human"],
        "render_fps": 4,
    }

    def __init__(
        self,
        render_mode: str | None = None,
        backend: str = "numpy",
        demand_sampler: str = "table",
        render_dpi: int = DEFAULT_DPI,
        **kwargs: Any,
    ):
        if demand_sampler not in DEMAND_SAMPLERS:
            raise ValueError(
                f"env: demand_sampler must be one of {DEMAND_SAMPLERS}, got {demand_sampler!r}"
            )
        self.demand_sampler = demand_sampler
        if backend != "numpy":
            raise ValueError(
                f"backend={backend!r}: the single env runs on the CPU in float64; for the "
                "torch (and differentiable) backend use gym.make_vec(id, num_envs=N, "
                "vectorization_mode='vector_entry_point', backend='torch') (N may be 1)"
            )
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.render_dpi = check_int("env", "render_dpi", render_dpi, low=1)
        # The pictures (rgb_array, human) need a short history, kept while stepping; the
        # figure itself is made at the first frame (matplotlib is imported then).
        self._trace = Trace() if self.render_mode in PICTURE_MODES else None
        self._human = self.render_mode == "human"
        self._renderer: Renderer | None = None
        self._names: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self.config, params = split_kwargs(dict(kwargs))
        self.params = self.problem.make_params(**params)
        self._stock_columns = stock_columns(self.problem, self.params)
        layout = make_layout(self.problem, self.params, self.config)
        self.layout = layout
        self.observation_space = layout.observation_space
        self.action_space = layout.action_space
        self._demand_model = self.problem.demand(self.params)
        self._alias = None
        if demand_sampler == "table" and self._demand_model.is_stationary:
            self._alias = self._demand_model.alias_table()
        n_series = getattr(self._demand_model, "n_series", 1)
        if n_series != 1:
            raise ValueError(
                f"the single env replays one demand series, got {n_series}: pick one with "
                f"Replay.row(i), or use the vector env with num_envs={n_series}"
            )
        self._box = action_box(np.zeros_like(layout.action_high), layout.action_high)
        self._action_high_list = layout.action_high.tolist()
        self._scalar_action = self.problem.action_dim == 1
        # The Python-float paths serve static bounds (one decision, or several as a flat
        # sequence of numbers); every other case goes through the shared prepare_actions.
        static = not self.problem.state_dependent_bounds
        self._state_bounds = not static
        self._fast_action = self._scalar_action and static
        self._fast_orders = not self._fast_action
        # With integer actions, a rounded order above a fractional max_order comes back to the
        # largest integer below it (as prepare_actions does).
        self._round_high = float(math.floor(self._action_high_list[0]))
        self._static = tuple(layout.static_row.tolist())
        self._state = None
        self._t = 0
        self._last: dict[str, Any] | None = None
        # Random starting states (Problem.start_draws): one counter-based draw per episode.
        self._start_draws = self.problem.start_draws(self.params)

    # -- episode ---------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode from the problem's initial state.

        Args:
            seed: seeds ``self.np_random``, which draws all demand.
            options: unused.
        """
        super().reset(seed=seed)
        window = self.config.demand_window
        self._t = 0
        self._offset = window
        self._block: list[float] = []
        self._pos = 0
        if seed is not None or not hasattr(self, "_history_rng"):
            # The starting demand window comes from its own stream (spawn() draws nothing from
            # the parent), so the demand path of a seed does not depend on demand_window.
            self._history_rng = self.np_random.spawn(1)[0]
            self._start_key = self._start_draws and start_key(self.np_random)
            self._episode = 0
        else:
            self._episode += 1
        self._state = start_state(
            self.problem,
            self.params,
            1,
            python_scalars,
            key=self._start_key if self._start_draws else None,
            episodes=np.array([self._episode]),
        )
        self._history = tuple(self._sample(0, window, self._history_rng)) if window else ()
        self._last = None
        if self._trace is not None:
            self._trace.clear()
        if self._human:
            self.render()
        return self._observe(), {}

    def _sample(
        self, start: int, periods: int, rng: np.random.Generator | None = None
    ) -> list[float]:
        horizon = self._demand_model.horizon
        if horizon is not None:
            if start >= horizon:
                raise ValueError(
                    f"the demand series has {horizon} periods and the episode needs period "
                    f"{start}: shorten max_episode_steps (demand_window={self.config.demand_window}"
                    " periods of it are used as history)"
                )
            periods = min(periods, horizon - start)
        rng = self.np_random if rng is None else rng
        # ``start`` is this env's clock: a non-stationary model (a season, a replayed series)
        # draws periods start, start + 1, ... of its law; a stationary one ignores it.
        if self._alias is not None:
            # A (periods, 1) block: the draws of the vector env with one env, in its order.
            return self._alias.fill(rng, np.empty(periods)).tolist()
        return self._demand_model.sample(rng, 1, periods, start=start)[0].tolist()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Place the order(s) ``action``, serve one period of demand, return ``-cost``.

        Box actions outside the bounds are clipped to ``[0, max_order]`` (the order actually
        placed is ``info["order"]``); NaN or infinite actions raise a ``ValueError``.
        """
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        order = self._to_order(action)
        if self._pos == len(self._block):
            self._block = self._sample(self._offset + self._t, DEMAND_BLOCK)
            self._pos = 0
        demand = self._block[self._pos]
        self._pos += 1
        self._t += 1
        if self._trace is not None:
            columns = self.problem.state_columns(self._state, self.params)
            stock = sum(float(columns[i]) for i in self._stock_columns)
        state, costs, flows = self.problem.transition(
            self._state, order, demand, self.params, python_scalars
        )
        self._state = state
        if self.config.demand_window:
            self._history = (*self._history[1:], demand)
        info = dict(zip(costs._fields, costs))
        info.update(zip(flows._fields, flows))
        info["order"] = order if self._scalar_action else list(order)
        info["demand"] = demand
        cost = info["cost"] = costs.total()
        self._last = info
        if self._trace is not None:
            self._names = (costs._fields, flows._fields)
            orders = (order,) if self._scalar_action else tuple(order)
            self._trace.periods.append((stock, demand, orders))
            self._trace.total_cost += cost
            if self._human:
                self.render()
        return self._observe(), -cost, False, False, info

    def _to_order(self, action: Any) -> float | tuple[float, ...]:
        if self._fast_action:
            # A Python-float path: at batch size one, numpy calls would dominate the step. It
            # does what prepare_actions does, for one decision with static bounds.
            if isinstance(action, (str, bytes)):
                raise ValueError(f"action must be a number or a 1-element array, got {action!r}")
            try:
                value = float(action[0]) if len(action) == 1 else None
            except TypeError:  # a scalar, as Discrete actions and plain numbers are
                try:
                    value = float(action) if np.ndim(action) == 0 else None
                except (TypeError, ValueError):  # None, an object
                    value = None
            except (ValueError, IndexError):
                value = None
            if value is None:
                raise ValueError(f"action must be a number or a 1-element array, got {action!r}")
            if not math.isfinite(value):
                raise non_finite_error(action)
            high = self._action_high_list[0]
            if self.config.discrete_actions:
                if not (0 <= value <= high and value.is_integer()):
                    raise ValueError(
                        f"discrete action must be an integer in [0, {high:g}], got {action!r}"
                    )
            else:
                value = min(max(value, 0.0), high)
                if self.config.integer_actions:
                    value = float(round(value))
                    if value > high:
                        value = self._round_high
            return value
        if self._fast_orders:
            orders = self._orders_on_floats(action)
            if orders is not None:
                return orders[0] if self._scalar_action else orders
        if isinstance(action, (str, bytes)) or action is None:
            raise ValueError(f"action must be an array of numbers, got {action!r}")
        try:
            array = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"action must be an array of numbers, got {action!r}") from None
        values = prepare_actions(
            array,
            self.problem,
            self.params,
            self._state,
            self._box,
            np,
            batch=None,
            integer=self.config.integer_actions,
            discrete=self.config.discrete_actions,
            state_xp=python_scalars,
        )
        order = values[0].tolist()
        return order[0] if self._scalar_action else tuple(order)

    def _orders_on_floats(self, action: Any) -> tuple[float, ...] | None:
        """The decisions on Python floats, as :func:`prepare_actions` computes them (the static
        box, then the state's bounds of :meth:`~Problem.action_bounds`, then rounding half to
        even), or ``None`` for anything but a flat sequence (or a scalar, for one decision) of
        ``action_dim`` finite numbers inside the discrete bounds, or state bounds that are not
        plain numbers: the shared path then handles it or raises its error."""
        kind = type(action)
        if kind is np.ndarray:
            values = action.tolist()
            if type(values) is not list:  # a 0-d array
                values = [values]
        elif kind is list or kind is tuple:
            values = action
        elif kind is float or kind is int:
            values = [action]
        else:  # None, a string, a numpy scalar, another sequence
            return None
        n = len(self._action_high_list)
        if len(values) != n:
            return None
        for v in values:
            if type(v) is not float and type(v) is not int:  # nested lists, strings, None
                return None
        discrete, integer = self.config.discrete_actions, self.config.integer_actions
        s_low = s_high = None
        if self._state_bounds:
            s_low, s_high = self.problem.action_bounds(self._state, self.params, python_scalars)
            if len(s_low) != n or len(s_high) != n:
                return None
            for b in (*s_low, *s_high):
                if type(b) is not float and type(b) is not int:  # arrays: the shared path
                    return None
        out = []
        for i in range(n):
            value, high = float(values[i]), self._action_high_list[i]
            if not math.isfinite(value):
                return None
            if discrete:
                if not (0.0 <= value <= high and value.is_integer()):
                    return None
            else:
                value = min(max(value, 0.0), high)
            low = 0.0
            if s_low is not None:
                # The state's bound where it is the tighter one (ties included), as
                # prepare_actions picks them; then clipped again.
                state_low, state_high = float(s_low[i]), float(s_high[i])
                if state_low >= 0.0:
                    low = state_low
                if state_high <= high:
                    high = state_high
                value = min(max(value, low), high)
            if integer and not discrete:
                value = float(round(value))
                if s_low is not None:
                    value = min(max(value, float(math.ceil(low))), float(math.floor(high)))
                elif value > high:
                    value = float(math.floor(high))
            out.append(value)
        return tuple(out)

    def _observe(self) -> np.ndarray:
        columns = self.problem.state_columns(self._state, self.params)
        return np.array((*columns, *self._history, *self._static), dtype=np.float32)

    # -- rendering -------------------------------------------------------------------------
    def render(self) -> str | np.ndarray | None:
        """The picture of the system, by ``render_mode``.

        * ``"ansi"``: a one-line summary of the last period;
        * ``"rgb_array"``: a new (H, W, 3) uint8 frame (matplotlib, the ``plot`` extra): stock
          on hand (by age), the pipeline(s) with their arrival periods, the last period's
          decisions, demand, flows and cost, and the last 20 periods;
        * ``"human"``: the same figure in a matplotlib window, drawn by ``reset`` and
          ``step`` (Gymnasium's convention); returns ``None``.

        Raises:
            gymnasium.error.ResetNeeded: before the first ``reset``.
        """
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; pass render_mode='ansi', 'rgb_array' "
                "or 'human' to gym.make"
            )
            return None
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before render()")
        if self.render_mode in PICTURE_MODES:
            return self._picture()
        names = self.layout.feature_names
        state = self.problem.state_columns(self._state, self.params)
        text = " ".join(f"{n}={v:g}" for n, v in zip(names, state))
        if self._last is None:
            return f"t={self._t} {text}"
        last = self._last
        flows = " ".join(f"{k}={last[k]:g}" for k in self.problem.render_keys)
        return f"t={self._t} order={last['order']} demand={last['demand']:g} {flows} " + (
            f"cost={last['cost']:.2f} | next: {text}"
        )

    def _picture(self) -> np.ndarray | None:
        if self._renderer is None:
            title = self.spec.id if self.spec is not None else type(self).__name__
            self._renderer = Renderer(
                self.problem, self.params, title, self.render_mode, dpi=self.render_dpi
            )
            if self._names is None:
                # The names of the costs and flows, for the panels drawn before the first
                # step: one period from the current state with nothing ordered, thrown away.
                order = 0.0 if self._scalar_action else (0.0,) * self.problem.action_dim
                _, costs, flows = self.problem.transition(
                    self._state, order, 0.0, self.params, python_scalars
                )
                self._names = (costs._fields, flows._fields)
        columns = self.problem.state_columns(self._state, self.params)
        self._renderer.update(self._t, columns, self._last, self._names, self._trace)
        if self._human:
            self._renderer.show(self.metadata["render_fps"])
            return None
        return self._renderer.frame()

    def close(self) -> None:
        """Close the figure of ``render_mode="rgb_array"`` or ``"human"``, if one was drawn."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        # The figure is not pickled: a restored env draws a new one at its first frame.
        state = self.__dict__.copy()
        state["_renderer"] = None
        return state
