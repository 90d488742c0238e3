"""A stable-baselines3 ``VecEnv`` over the native batched core: many envs, one process.

stable-baselines3 (2.x) has no adapter for Gymnasium vector envs; its own ``DummyVecEnv``
steps single envs one by one in a Python loop, and ``SubprocVecEnv`` adds process hops.
:class:`InventorySB3VecEnv` instead advances all ``num_envs`` systems with one kernel call
per step (the native :class:`~inventory_gym.core.vector.InventoryVectorEnv` in its
same-step autoreset mode) and follows SB3's ``VecEnv`` contract:

- ``reset()`` returns the observations only; a seed set with ``seed(s)`` applies to the next
  ``reset()`` (all rows share one demand stream, seeded with ``s``);
- ``step_wait()`` returns ``(obs, rewards, dones, infos)``; an env whose episode ended is reset
  in the same step, its last observation in ``infos[i]["terminal_observation"]`` and
  ``infos[i]["TimeLimit.truncated"] = True`` (the problems have no terminal state: every
  episode end is a truncation, which PPO bootstraps through the value of that observation);
- ``infos`` holds a dict per env, empty except for the episode ends and any of the env's
  ``info`` keys asked for with ``info_keywords`` (``("cost",)`` for example);
- it works under ``VecNormalize``, ``VecMonitor`` and ``VecFrameStack``.

With ``unit_actions=True`` the action space is ``Box(-1, 1)``: action ``a`` orders
``(a + 1) / 2 * max_order`` (clipped to the bounds), the scale that Gaussian policies of
PPO/A2C/SAC learn best on. With ``flat_discrete=True`` the action space is ``Discrete(n)``, one
action per integer order vector ``(0..max_order_1) x ... x (0..max_order_k)`` (row-major, as
:func:`numpy.unravel_index` reads it): what DQN needs on problems with several decisions, which
the env's own ``discrete_actions=True`` exposes as ``MultiDiscrete``.

This module needs stable-baselines3 (``pip install inventory-gym[train]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from inventory_gym.core.vector import InventoryVectorEnv


class InventorySB3VecEnv(VecEnv):
    """SB3 ``VecEnv`` over one native batched env (see the module docstring).

    Args:
        env: a registered env id (``"LostSalesLeadTime-v0"``) or a numpy
            :class:`InventoryVectorEnv` in same-step autoreset mode.
        num_envs: number of systems (with an env id).
        unit_actions: expose ``Box(-1, 1)`` actions mapped linearly onto ``[0, max_order]``.
        flat_discrete: expose ``Discrete(n)`` actions, one per integer order vector (needs an
            integer ``max_order`` and at most :data:`MAX_FLAT_ACTIONS` vectors).
        info_keywords: keys of the env's ``info`` copied into each env's info dict (e.g.
            ``("cost", "lost")``); empty by default, since building them costs a Python loop
            over the envs at every step.
        seed: seed of the first ``reset()``.
        **env_kwargs: problem and shell options of the env (``lead_time=4``,
            ``max_episode_steps=1000``, ``demand_window=8``...).
    """

    def __init__(
        self,
        env: str | InventoryVectorEnv,
        num_envs: int = 64,
        *,
        unit_actions: bool = False,
        flat_discrete: bool = False,
        info_keywords: Sequence[str] = (),
        seed: int | None = None,
        **env_kwargs: Any,
    ):
        if isinstance(env, str):
            try:
                env = gym.make_vec(
                    env,
                    num_envs=num_envs,
                    vectorization_mode="vector_entry_point",
                    autoreset_mode=AutoresetMode.SAME_STEP,
                    **env_kwargs,
                )
            except gym.error.Error as err:
                raise ValueError(f"InventorySB3VecEnv: env {env!r}: {err}") from None
        elif env_kwargs:
            raise ValueError(
                "InventorySB3VecEnv: env keyword arguments "
                f"{sorted(env_kwargs)} apply to an env id, not to an env instance"
            )
        native = env.unwrapped
        if not isinstance(native, InventoryVectorEnv):
            raise ValueError(
                f"InventorySB3VecEnv: env must be an inventory-gym env id or native vector env, "
                f"got {type(native).__name__}"
            )
        if native.backend != "numpy":
            raise ValueError(
                f"InventorySB3VecEnv: stable-baselines3 works on numpy arrays; the env has "
                f"backend={native.backend!r}"
            )
        if native.autoreset_mode != AutoresetMode.SAME_STEP:
            raise ValueError(
                "InventorySB3VecEnv: stable-baselines3 expects same-step autoreset; make the "
                f"env with autoreset_mode='SameStep', got {native.autoreset_mode.value!r}"
            )
        if not isinstance(unit_actions, bool):
            raise ValueError(f"unit_actions must be True or False, got {unit_actions!r}")
        if not isinstance(flat_discrete, bool):
            raise ValueError(f"flat_discrete must be True or False, got {flat_discrete!r}")
        if unit_actions and flat_discrete:
            raise ValueError("unit_actions and flat_discrete exclude each other: choose one")
        single = native.single_action_space
        if flat_discrete and not isinstance(single, spaces.Box):
            raise ValueError(
                "flat_discrete=True enumerates Box actions; this env has "
                f"{type(single).__name__} actions (discrete_actions=True?)"
            )
        if unit_actions and not isinstance(single, spaces.Box):
            raise ValueError(
                "unit_actions=True rescales Box actions; this env has "
                f"{type(single).__name__} actions (discrete_actions=True?)"
            )
        self.env = native
        self.unit_actions = unit_actions
        self.info_keywords = tuple(info_keywords)
        self.flat_discrete = flat_discrete
        self.action_high = native.layout.action_high.astype(np.float64)
        """The env's largest orders, what action 1 maps onto with ``unit_actions``."""
        self._dim = native.problem.action_dim
        self.action_counts: tuple[int, ...] | None = None
        """With ``flat_discrete``: the number of order levels of each decision."""
        if flat_discrete:
            self.action_counts = flat_action_counts(self.action_high)
        if unit_actions:
            action_space: spaces.Space = spaces.Box(-1.0, 1.0, single.shape, np.float32)
        elif self.action_counts is not None:
            action_space = spaces.Discrete(int(np.prod(self.action_counts)))
        else:
            action_space = single
        super().__init__(native.num_envs, native.single_observation_space, action_space)
        if seed is not None:
            self.seed(seed)
        self._actions: np.ndarray | None = None

    # -- the VecEnv contract -----------------------------------------------------------------
    def reset(self) -> np.ndarray:
        """Reset every env (with the seed given to :meth:`seed`, if any) and return obs."""
        seed = self._seeds[0]
        obs, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def orders(self, actions: np.ndarray) -> np.ndarray:
        """The orders the env places for a batch of actions of :attr:`action_space`."""
        a = np.asarray(actions)
        if self.action_counts is not None:
            return flat_orders(a.reshape(self.num_envs), self.action_counts)
        if not self.unit_actions:
            return a
        a = np.clip(a.reshape(self.num_envs, -1).astype(np.float64), -1.0, 1.0)
        orders = (a + 1.0) * 0.5 * self.action_high
        return orders[:, 0] if self._dim == 1 else orders

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = self.orders(actions)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        obs, reward, terminated, truncated, info = self.env.step(self._actions)
        self._actions = None
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for key in self.info_keywords:
            values = info[key]
            for i in range(self.num_envs):
                infos[i][key] = values[i]
        if dones.any():
            final = info["final_obs"]
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = final[i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, reward.astype(np.float32), dones, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of the one underlying env, once per selected index."""
        value = getattr(self.env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute of the underlying env; all rows share it, so ``indices`` must
        select every env."""
        self._all_indices("set_attr", indices)
        setattr(self.env, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Call a method of the underlying env once (all rows share it); the result is
        repeated for each selected index."""
        self._all_indices("env_method", indices)
        result = getattr(self.env, method_name)(*method_args, **method_kwargs)
        return [result for _ in range(self.num_envs)]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """Always False: the rows are one native env, not wrapped single envs."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        raise NotImplementedError(
            "InventorySB3VecEnv renders text only: make the env with render_mode='ansi' and "
            "call env.env.render()"
        )

    def _all_indices(self, what: str, indices: VecEnvIndices) -> None:
        chosen = list(self._get_indices(indices))
        if sorted(chosen) != list(range(self.num_envs)):
            raise ValueError(
                f"{what}: the {self.num_envs} envs share one native env, so indices must select "
                f"all of them, got {indices!r}"
            )

    def __repr__(self) -> str:
        return (
            f"InventorySB3VecEnv({self.env.spec.id if self.env.spec else type(self.env).__name__},"
            f" num_envs={self.num_envs}, unit_actions={self.unit_actions},"
            f" flat_discrete={self.flat_discrete})"
        )


MAX_FLAT_ACTIONS = 65_536
"""The most order vectors ``flat_discrete`` enumerates."""


def flat_action_counts(action_high: Sequence[float]) -> tuple[int, ...]:
    """The order levels ``0..max_order`` of each decision, for ``flat_discrete`` actions.

    Raises:
        ValueError: for a non-integer ``max_order`` or more than :data:`MAX_FLAT_ACTIONS`
            order vectors.
    """
    high = np.asarray(action_high, dtype=np.float64).reshape(-1)
    if not all(np.isfinite(high)) or not all(float(v).is_integer() for v in high):
        raise ValueError(f"flat_discrete=True needs integer max orders, got {high.tolist()}")
    counts = tuple(int(v) + 1 for v in high)
    total = int(np.prod(counts))
    if total > MAX_FLAT_ACTIONS:
        raise ValueError(
            f"flat_discrete=True: {' x '.join(map(str, counts))} = {total} order vectors, more "
            f"than {MAX_FLAT_ACTIONS}; lower max_order"
        )
    return counts


def flat_orders(index: Any, counts: Sequence[int]) -> np.ndarray:
    """The order vectors of flat action indices (``(batch,)`` for one decision, else
    ``(batch, len(counts))``)."""
    idx = np.asarray(index).astype(np.int64).reshape(-1)
    if len(counts) == 1:
        return idx.astype(np.float64)
    return np.stack(np.unravel_index(idx, tuple(counts)), axis=1).astype(np.float64)


def make_sb3_vec_env(
    env_id: str,
    num_envs: int = 64,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    unit_actions: bool = False,
    flat_discrete: bool = False,
    info_keywords: Iterable[str] = (),
    seed: int | None = None,
) -> InventorySB3VecEnv:
    """``InventorySB3VecEnv(env_id, num_envs, **env_kwargs)``, with the kwargs as a mapping."""
    return InventorySB3VecEnv(
        env_id,
        num_envs,
        unit_actions=unit_actions,
        flat_discrete=flat_discrete,
        info_keywords=tuple(info_keywords),
        seed=seed,
        **dict(env_kwargs or {}),
    )
