"""The native batched Gymnasium shell: one kernel call advances every env (numpy or torch)."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from inventory_gym.core.memory import batch_refusal
from inventory_gym.core.problem import DEFAULT_MAX_EPISODE_STEPS, Problem
from inventory_gym.core.shell import action_box, make_layout, prepare_actions, split_kwargs
from inventory_gym.core.start import start_key, start_state
from inventory_gym.core.validation import check_int, check_render_mode
from inventory_gym.core.xp import namespace, tree_map
from inventory_gym.demand import DEMAND_SAMPLERS

BLOCK_ELEMENTS = 1 << 20
"""Demand is drawn in blocks of about this many numbers (all envs x several periods), so the
sampler's per-call overhead is paid once for many steps at small batch sizes."""


class InventoryVectorEnv(VectorEnv):
    """Generic native vector env over a problem's kernel; a problem subclass sets :attr:`problem`.

    All ``num_envs`` systems are advanced by one kernel call on batched arrays, with numpy or
    torch (``backend="torch"``, any ``device``). With ``differentiable=True`` (torch only) the
    actions may require grad, and the observations, rewards and infos keep the autograd graph
    through the whole trajectory until the next full ``reset``.

    Episodes are truncated after ``max_episode_steps`` periods; the autoreset mode is
    selectable (``autoreset_mode``): ``NEXT_STEP`` (Gymnasium's default), ``SAME_STEP`` (what
    stable-baselines3 expects; the last observation is in ``infos["final_obs"]``, a dense
    (num_envs, obs_dim) array whose rows are valid where ``infos["_final_obs"]`` is True) or
    ``DISABLED`` (rows keep running past the horizon, ``truncated`` staying True, until they
    are reset with ``reset(options={"reset_mask": mask})``). In next-step mode the rows that
    restart ignore their action, get reward 0 and have their info masks (``infos["_cost"]``
    etc.) set to False.

    Every row keeps its own period index (its clock), which a partial reset or an autoreset
    restarts at 0: a non-stationary demand model (``demand.is_stationary`` False: a replayed
    series, a seasonal model) draws each row's demand from the row's own period, and the
    ``demand_window`` history of a fresh row is periods ``0 .. demand_window - 1``, its first
    decision period ``demand_window`` (as in the single env). Stationary models are drawn in
    blocks of many periods.

    The numpy backend draws a stationary discrete demand (Poisson, geometric, uniform, gamma,
    negative binomial, empirical) from an exact table (``demand_sampler="table"``, the
    default: Walker's alias method, :class:`~inventory_gym.demand.AliasTable`), in
    ``(periods, num_envs)`` blocks, the layout the kernel reads; ``demand_sampler="model"``
    draws with the model's own :meth:`~inventory_gym.demand.DemandModel.sample` instead
    (numpy's Poisson, gamma... samplers: the same law, other random numbers; the evaluation
    harness uses it, so that its demand paths stay those of its published figures). Other
    models (continuous, non-stationary, replayed) always use their own sampler, and so does
    the torch backend (inverse CDF).

    The torch backend returns torch tensors for observations, rewards, terminations,
    truncations and infos (the spaces stay numpy-typed, as Gymnasium's are).
    """

    problem: ClassVar[Problem]
    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi"],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = DEFAULT_MAX_EPISODE_STEPS,
        backend: str = "numpy",
        device: Any = None,
        dtype: Any = None,
        differentiable: bool = False,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        demand_sampler: str = "table",
        **kwargs: Any,
    ):
        if demand_sampler not in DEMAND_SAMPLERS:
            raise ValueError(
                f"env: demand_sampler must be one of {DEMAND_SAMPLERS}, got {demand_sampler!r}"
            )
        self.demand_sampler = demand_sampler
        self.num_envs = check_int("env", "num_envs", num_envs, low=1)
        if max_episode_steps is None:
            max_episode_steps = DEFAULT_MAX_EPISODE_STEPS
        self.max_episode_steps = check_int("env", "max_episode_steps", max_episode_steps, low=1)
        self.xp = namespace(backend)
        self.backend = backend
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = check_render_mode(
            render_mode,
            self.metadata["render_modes"],
            "the vector env renders text only; for pictures (rgb_array, human) render a single "
            "env: gym.make(id, render_mode='rgb_array')",
        )
        if not isinstance(differentiable, bool):
            raise ValueError(f"differentiable must be True or False, got {differentiable!r}")
        if differentiable and backend != "torch":
            raise ValueError("differentiable=True needs backend='torch'")
        self.differentiable = differentiable
        self._setup_backend(device, dtype)

        self.config, params = split_kwargs(dict(kwargs))
        self.params = self.problem.make_params(**params)
        self.layout = make_layout(self.problem, self.params, self.config)
        reason = batch_refusal(self.num_envs, len(self.layout.feature_names), "the env batch")
        if reason is not None:
            raise ValueError(f"env: num_envs={self.num_envs:,}: {reason}")
        self._obs_width = len(self.layout.feature_names)
        self.single_observation_space = self.layout.observation_space
        self.single_action_space = self.layout.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._demand_model = self.problem.demand(self.params)
        self._alias = None
        if backend == "numpy" and demand_sampler == "table" and self._demand_model.is_stationary:
            self._alias = self._demand_model.alias_table()
        horizon = self._demand_model.horizon
        if horizon is not None and self.max_episode_steps + self.config.demand_window > horizon:
            raise ValueError(
                f"the demand series has {horizon} periods, fewer than max_episode_steps="
                f"{self.max_episode_steps} plus demand_window={self.config.demand_window}"
            )
        high = self.layout.action_high
        self._box = action_box(np.zeros_like(high), high, self._asarray)
        # The numpy path of _clip_on_numpy: Box decisions whose bounds do not move.
        self._fast_numpy_actions = (
            backend == "numpy"
            and not self.problem.state_dependent_bounds
            and not self.config.discrete_actions
        )
        d = self.problem.action_dim
        self._action_shapes = (
            ((self.num_envs,), (self.num_envs, 1)) if d == 1 else ((self.num_envs, d),)
        )
        self._low64 = np.zeros(d)
        self._high64 = np.asarray(high, dtype=np.float64).reshape(d)
        self._round_high = np.floor(self._high64)
        self._static = self._asarray(self.layout.static_row)[None, :]
        self._ones = np.ones(self.num_envs, dtype=bool)
        self._ones.flags.writeable = False
        self._state = None
        self._last_info: dict[str, Any] | None = None
        self._rng: np.random.Generator | None = None
        self._start_draws = self.problem.start_draws(self.params)

    # -- backend plumbing ------------------------------------------------------------------
    def _setup_backend(self, device: Any, dtype: Any) -> None:
        if self.backend == "numpy":
            if device not in (None, "cpu"):
                raise ValueError(f"device={device!r} needs backend='torch'")
            if dtype not in (None, "float64", np.float64):
                raise ValueError(f"the numpy backend computes in float64, got dtype={dtype!r}")
            self.device, self.dtype = None, np.float64
            return
        import torch

        self._torch = torch
        self.device = torch.device(device if device is not None else "cpu")
        names = {None: torch.float32, "float32": torch.float32, "float64": torch.float64}
        if isinstance(dtype, torch.dtype) and dtype in (torch.float32, torch.float64):
            self.dtype = dtype
        elif isinstance(dtype, str) or dtype is None:
            if dtype not in names:
                raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
            self.dtype = names[dtype]
        else:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")

    def _asarray(self, values: Any) -> Any:
        if self.backend == "numpy":
            return np.asarray(values, dtype=np.float64)
        return self._torch.as_tensor(np.asarray(values), dtype=self.dtype, device=self.device)

    def _mask(self, mask: np.ndarray) -> Any:
        if self.backend == "numpy":
            return mask
        return self._torch.as_tensor(mask, device=self.device)

    def _sample(self, periods: int, start: Any, *, history: bool = False) -> Any:
        # The starting demand window comes from its own stream, so that the demand paths of a
        # seed do not depend on the observation options (common random numbers between a
        # policy that reads the history and one that does not).
        if self.backend == "numpy":
            rng = self._history_rng if history else self._rng
            return self._demand_model.sample(rng, self.num_envs, periods, start=start)
        return self._demand_model.sample_torch(
            self._history_gen if history else self._gen,
            self.num_envs,
            periods,
            start=start,
            device=self.device,
            dtype=self.dtype,
        )

    def _where_rows(self, mask: Any, new: Any, old: Any) -> Any:
        """Per-row select between two states (trees of (B,) arrays)."""
        return tree_map(lambda a, b: self.xp.where(mask, a, b), new, old)

    # -- episode ---------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset every env, or only the rows of ``options["reset_mask"]`` (a bool array).

        Args:
            seed: seeds the demand generator (numpy ``Generator`` or ``torch.Generator``).
            options: ``{"reset_mask": np.ndarray of bool, shape (num_envs,)}`` for a partial
                reset; the other rows keep their state (and, with the differentiable backend,
                their graph).
        """
        if seed is not None or self._rng is None:
            self._rng = np.random.default_rng(seed)
            self._np_random = self._rng
            self._np_random_seed = seed
            # spawn() derives an independent stream without drawing from the parent.
            self._history_rng = self._rng.spawn(1)[0]
            # Random starting states (Problem.start_draws): counter-based, per row and episode.
            self._start_key = start_key(self._rng) if self._start_draws else None
            self._episodes = np.full(self.num_envs, -1, dtype=np.int64)
            if self.backend == "torch":
                self._gen = self._torch.Generator(device=self.device)
                self._gen.manual_seed(int(self._rng.integers(2**63 - 1)))
                self._history_gen = self._torch.Generator(device=self.device)
                self._history_gen.manual_seed(int(self._history_rng.integers(2**63 - 1)))
        mask = None if options is None else options.get("reset_mask")
        if mask is not None and self._state is not None:
            mask = np.asarray(mask)
            if mask.shape != (self.num_envs,) or mask.dtype != np.bool_:
                raise ValueError(
                    f"options['reset_mask'] must be a bool array of shape ({self.num_envs},), "
                    f"got {mask.dtype} {mask.shape}"
                )
            self._reset_rows(mask)
        else:
            self._episodes += 1
            self._state = self._start_state()
            # Row i's clock is self._steps - self._start[i]: a step advances one counter, not
            # an array of clocks, and a row restarts by recording the counter.
            self._steps = 0
            self._start = np.zeros(self.num_envs, dtype=np.int64)
            self._block = None
            self._pos = 0
            if self.config.demand_window:
                self._history = self._sample(self.config.demand_window, 0, history=True)
            self._needs_reset = None  # the rows to restart next step (next-step autoreset)
            self._last_info = None
        return self._observe(), {}

    def _reset_rows(self, mask: np.ndarray) -> None:
        if not mask.any():
            return
        xp_mask = self._mask(mask)
        self._episodes = np.where(mask, self._episodes + 1, self._episodes)
        initial = self._start_state()
        self._state = self._where_rows(xp_mask, initial, self._state)
        self._start = np.where(mask, self._steps, self._start)
        if self.config.demand_window:
            fresh = self._sample(self.config.demand_window, 0, history=True)
            self._history = self.xp.where(xp_mask[:, None], fresh, self._history)
        if self._needs_reset is not None:
            self._needs_reset = self._needs_reset & ~mask
            if not self._needs_reset.any():
                self._needs_reset = None

    @property
    def _t(self) -> np.ndarray:
        """Every row's clock: the periods since its episode started."""
        return self._steps - self._start

    def _start_state(self) -> Any:
        return start_state(
            self.problem,
            self.params,
            self.num_envs,
            self.xp,
            key=self._start_key,
            episodes=self._episodes,
            dtype=self.dtype,
            device=self.device,
        )

    def _next_demand(self) -> Any:
        if not self._demand_model.is_stationary:
            # Demand that changes over time (a replayed series, a season): every row draws
            # the period of its own clock, which partial resets and autoresets restart. The
            # episode's first period follows the demand_window periods of its history.
            start = self._t + self.config.demand_window
            return self._sample(1, start)[:, 0]
        # Stationary demand ignores the clock: blocks of many periods, one sampler call each,
        # periods first and contiguous, so that each step reads one contiguous row.
        if self._block is None or self._pos == self._block.shape[0]:
            periods = max(1, min(256, BLOCK_ELEMENTS // self.num_envs))
            if self._alias is not None:
                # Drawn straight into that layout. A new block each time: the infos of earlier
                # steps hold views of its rows.
                self._block = self._alias.fill(self._rng, np.empty((periods, self.num_envs)))
            elif self.backend == "numpy":
                self._block = np.ascontiguousarray(self._sample(periods, 0).T)
            else:
                self._block = self._sample(periods, 0).T.contiguous()
            self._pos = 0
        demand = self._block[self._pos]
        self._pos += 1
        return demand

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        """Advance every env by one period.

        Box actions outside the bounds are clipped to ``[0, max_order]`` (``infos["order"]`` is
        what was placed); NaN or infinite actions raise a ``ValueError``.
        """
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        xp = self.xp
        action = self._to_action(actions)
        restart = self._needs_reset  # set in next-step mode only, None when no row restarts
        self._needs_reset = None
        demand = self._next_demand()
        if self.config.demand_window:
            self._history = xp.concat([self._history[:, 1:], demand[:, None]], axis=1)
        state, costs, flows = self.problem.transition(self._state, action, demand, self.params, xp)
        self._state = state
        self._steps += 1
        total = costs.total()
        info: dict[str, Any] = dict(zip(costs._fields, costs))
        info.update(zip(flows._fields, flows))
        info["order"] = action if self.problem.action_dim == 1 else xp.stack(action, axis=1)
        info["demand"] = demand
        info["cost"] = total
        reward = -total
        if restart is not None:
            self._reset_rows(restart)
            reward = xp.where(self._mask(restart), xp.zeros_like(reward), reward)
        truncated = self._start <= self._steps - self.max_episode_steps
        terminated = np.zeros(self.num_envs, dtype=bool)
        self._last_info = info
        obs = self._observe()
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            if truncated.any():
                self._needs_reset = truncated.copy()
        elif self.autoreset_mode == AutoresetMode.SAME_STEP and truncated.any():
            info["final_obs"] = obs
            info["_final_obs"] = truncated.copy()
            info["final_info"] = {k: v for k, v in info.items() if not k.startswith("final")}
            info["_final_info"] = truncated.copy()
            self._reset_rows(truncated)
            obs = self._observe()
        # Gymnasium's masks: an entry is valid where its mask is True. Rows restarted by the
        # next-step autoreset did not play this period (their action was ignored).
        valid = self._ones if restart is None else ~restart
        # One mask object serves every key, so it is read-only, like ``self._ones``.
        valid.flags.writeable = False
        for key in list(info):
            if not key.startswith("_") and key not in ("final_obs", "final_info"):
                info["_" + key] = valid
        return obs, reward, self._mask(terminated), self._mask(truncated), info

    def _to_action(self, actions: Any) -> Any:
        if self._fast_numpy_actions and type(actions) is np.ndarray:
            action = self._clip_on_numpy(actions)
            if action is not None:
                return action
        if actions is None or isinstance(actions, (str, bytes)):
            raise ValueError(f"actions must be an array of numbers, got {actions!r}")
        if self.backend == "numpy":
            try:
                a = np.asarray(actions, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"actions must be an array of numbers, got {actions!r}") from None
        else:
            torch = self._torch
            a = (
                actions
                if isinstance(actions, torch.Tensor)
                else torch.as_tensor(np.asarray(actions))
            )
            a = a.to(device=self.device, dtype=self.dtype)
            if not self.differentiable:
                a = a.detach()
        a = prepare_actions(
            a,
            self.problem,
            self.params,
            self._state,
            self._box,
            self.xp,
            batch=self.num_envs,
            integer=self.config.integer_actions,
            discrete=self.config.discrete_actions,
        )
        return (
            a[:, 0] if self.problem.action_dim == 1 else tuple(a[:, i] for i in range(a.shape[1]))
        )

    def _clip_on_numpy(self, actions: np.ndarray) -> Any:
        """Box actions with static bounds, in float64, as
        :func:`~inventory_gym.core.shell.prepare_actions` computes them, in fewer passes (the
        clip converts to float64 on the way). ``None`` for anything else (shape, dtype,
        non-finite values): the shared path then handles it or raises its error."""
        if actions.dtype.kind != "f" or actions.shape not in self._action_shapes:
            return None
        if not np.isfinite(actions).all():
            return None
        d = self.problem.action_dim
        values = np.maximum(actions.reshape(self.num_envs) if d == 1 else actions, self._low64)
        np.minimum(values, self._high64, out=values)
        if self.config.integer_actions:
            np.rint(values, out=values)
            if not self._box.integral:
                np.minimum(values, self._round_high, out=values)
        return values if d == 1 else tuple(values[:, i] for i in range(d))

    def _observe(self) -> Any:
        xp = self.xp
        if self.backend == "numpy":
            # Each column written once, cast on the way, into a new float32 array: no stacked
            # float64 copy, and no view of the internal state (or of an earlier observation)
            # leaks out, as Gymnasium's checker requires.
            obs = np.empty((self.num_envs, self._obs_width), dtype=np.float32)
            columns = self.problem.state_columns(self._state, self.params)
            for j, column in enumerate(columns):
                obs[:, j] = column
            j = len(columns)
            if self.config.demand_window:
                obs[:, j : j + self.config.demand_window] = self._history
                j += self.config.demand_window
            if self.config.static_features:
                obs[:, j:] = self._static
            return obs
        parts = [self.problem.state_features(self._state, self.params, xp)]
        if self.config.demand_window:
            parts.append(self._history)
        if self.config.static_features:
            parts.append(xp.broadcast_to(self._static, (self.num_envs, self._static.shape[1])))
        # stack/concat/astype build a fresh array: no view of the internal state leaks out.
        obs = parts[0] if len(parts) == 1 else xp.concat(parts, axis=1)
        return obs.astype(np.float32) if self.backend == "numpy" else obs

    # -- rendering and pickling ------------------------------------------------------------
    def render(self) -> str | None:
        """``render_mode="ansi"``: one line per env (at most 8) with the last period's figures."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi'")
            return None
        feats = self.problem.state_features(self._state, self.params, self.xp)
        feats = np.asarray(feats.detach().cpu() if self.backend == "torch" else feats)
        names = self.layout.feature_names
        lines = []
        for i in range(min(self.num_envs, 8)):
            text = " ".join(f"{n}={v:g}" for n, v in zip(names, feats[i]))
            if self._last_info is not None:
                info = self._last_info
                vals = {
                    k: np.asarray(info[k].detach().cpu() if self.backend == "torch" else info[k])[i]
                    for k in ("order", "demand", "cost", *self.problem.render_keys)
                }
                text = " ".join(f"{k}={np.round(v, 4)}" for k, v in vals.items()) + " | " + text
            lines.append(f"env {i} t={self._t[i]} {text}")
        return "\n".join(lines)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("xp", None)
        state.pop("_torch", None)
        for key in ("_gen", "_history_gen"):
            if key in state:
                state[key] = state[key].get_state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.xp = namespace(self.backend)
        if self.backend == "torch":
            import torch

            self._torch = torch
            for key in ("_gen", "_history_gen"):
                if key in state:
                    gen = torch.Generator(device=self.device)
                    gen.set_state(state[key])
                    setattr(self, key, gen)
