"""PPO and the other stable-baselines3 algorithms on the inventory envs, with defaults for this
domain, scored by the same harness as every other policy.

:func:`train_sb3` trains any stable-baselines3 (or sb3-contrib) algorithm with an
``MlpPolicy`` from an :class:`SB3Config`: on-policy (PPO, A2C, TRPO) and off-policy (SAC, TD3,
DDPG, DQN, TQC, QRDQN...) share the env adapter, the action mapping, ``VecNormalize``, the
validation that keeps the best policy and the saved policy format below. Algorithms with
discrete actions only (DQN, QRDQN) get one action per integer order vector
(``InventorySB3VecEnv(flat_discrete=True)``). :func:`train_ppo` with its :class:`PPOConfig`
is PPO's front end (``inventory-gym train --algo ppo``).

:func:`train_ppo` collects experience from ``num_envs`` systems through the native batched
core (:class:`inventory_gym.sb3.InventorySB3VecEnv`: one kernel call per step), normalises
observations and rewards (``VecNormalize``), maps the Gaussian policy's actions in [-1, 1]
onto [0, max_order], validates the deterministic policy through the harness every
``eval_every`` environment steps on held-out demand paths, and keeps the best one, the same
protocol as DirectBackprop's trainer.

The result is a :class:`PPOPolicy`: a batched callable ``policy(obs) -> orders`` for
:func:`inventory_gym.evaluation.evaluate`, saved as ``policy.json`` (architecture, action
mapping, observation statistics) + ``weights.pt`` (``state_dict``, read with
``weights_only=True``). A training run directory also holds SB3's own ``model.zip`` and the
``VecNormalize`` statistics as plain arrays, ``vecnormalize.npz`` (to go on training:
``train_ppo(..., resume=True)``), ``run.json``, SB3's ``progress.csv`` and ``eval.csv`` (the
validation curve).
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from inventory_gym.core.instance import make_instance
from inventory_gym.core.validation import check_fields, check_int, check_real
from inventory_gym.evaluation import evaluate, jsonable
from inventory_gym.threads import DEFAULT_THREADS, set_threads

_OWNER = "PPOConfig"

ACTIVATIONS = ("tanh", "relu", "elu")
"""Hidden-layer activations (torch.nn.Tanh, ReLU, ELU)."""
SCHEDULES = ("linear", "constant")

FORMAT = "inventory-gym/ppo-policy"
VERSION = 3
"""Version 2 adds ``problem`` and ``instance`` to the header, version 3 ``algo``,
``net_arch`` and ``action_counts`` (any stable-baselines3 algorithm); versions 1 and 2 (PPO)
still load."""
READABLE = (1, 2, 3)
POLICY_FILE = "policy.json"
WEIGHTS_FILE = "weights.pt"
RUN_FILE = "run.json"
EVAL_FILE = "eval.csv"
MODEL_FILE = "model.zip"
VECNORM_FILE = "vecnormalize.npz"
"""The VecNormalize statistics at the end of a run (restored by ``resume``)."""
PROGRESS_FILE = "progress.csv"
BEST_DIR = "policy"
SHELL_OPTIONS = ("demand_window", "static_features")
"""Observation options of the env that a trained policy needs again at evaluation."""


ON_POLICY_EPISODES = 1000
DISCRETE_ONLY = ("DQN", "QRDQN")
"""Algorithms whose policies choose among discrete actions only: they get flat discrete
actions (one per integer order vector)."""
UNSUPPORTED = {
    "ARS": "its policies are not trained by gradient and have no lr_schedule",
    "MaskablePPO": "it needs action masks, which the envs do not define",
    "RecurrentPPO": "its LSTM policy carries a hidden state, and harness policies are "
    "functions of the observation",
    "HER": "it is a replay buffer, not an algorithm",
}
"""stable-baselines3 / sb3-contrib classes that :func:`sb3_class` refuses, with the reason."""


def sb3_class(name: str) -> type:
    """The algorithm class called ``name`` in ``stable_baselines3``, else in ``sb3_contrib``.

    Raises:
        ValueError: for a name neither package has as an algorithm with an ``MlpPolicy``
            (the message lists those available), or one of :data:`UNSUPPORTED`.
    """
    if name in UNSUPPORTED:
        raise ValueError(f"sb3 algorithm {name!r} is not supported: {UNSUPPORTED[name]}")
    for module in _sb3_modules():
        found = getattr(module, name, None)
        if _is_algorithm(found):
            return found
    raise ValueError(
        f"sb3 algorithm {name!r} not found in stable_baselines3"
        f"{'' if len(_sb3_modules()) > 1 else ' (sb3-contrib is not installed)'}"
        f" or sb3_contrib; choose from: {', '.join(sb3_algorithms())}"
    )


def sb3_algorithms() -> tuple[str, ...]:
    """The algorithm names :func:`sb3_class` accepts here (sb3-contrib's if installed)."""
    names: list[str] = []
    for module in _sb3_modules():
        for name in sorted(dir(module)):
            if (
                name not in names
                and name not in UNSUPPORTED
                and _is_algorithm(getattr(module, name))
            ):
                names.append(name)
    return tuple(names)


def _sb3_modules() -> list[Any]:
    import stable_baselines3

    modules = [stable_baselines3]
    try:
        import sb3_contrib
    except ImportError:
        pass
    else:
        modules.append(sb3_contrib)
    return modules


def _is_algorithm(obj: Any) -> bool:
    from stable_baselines3.common.base_class import BaseAlgorithm

    return (
        isinstance(obj, type)
        and issubclass(obj, BaseAlgorithm)
        and "MlpPolicy" in getattr(obj, "policy_aliases", {})
    )


def _is_on_policy(cls: type) -> bool:
    from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm

    return issubclass(cls, OnPolicyAlgorithm)


def _check_common(owner: str, config: Any) -> None:
    """The checks of the fields :class:`SB3Config` and :class:`PPOConfig` share."""
    for name, low in (
        ("timesteps", 1),
        ("num_envs", 1),
        ("max_episode_steps", 1),
        ("eval_every", 1),
        ("eval_paths", 1),
        ("eval_periods", 1),
        ("eval_burn_in", 0),
        ("seed", 0),
        ("eval_seed", 0),
    ):
        check_int(owner, name, getattr(config, name), low=low)
    if config.threads is not None:
        check_int(owner, "threads", config.threads, low=1)
    if config.max_seconds is not None:
        check_real(owner, "max_seconds", config.max_seconds, strict=True)
    check_real(owner, "learning_rate", config.learning_rate, strict=True)
    value = check_real(owner, "gamma", config.gamma)
    if value > 1.0:
        raise ValueError(f"{owner}: gamma must be in [0, 1], got {value!r}")
    check_real(owner, "log_std_init", config.log_std_init, low=None)
    hidden = tuple(config.hidden) if isinstance(config.hidden, (list, tuple)) else None
    if not hidden or any(not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in hidden):
        raise ValueError(
            f"{owner}: hidden must be a non-empty sequence of positive ints, got {config.hidden!r}"
        )
    object.__setattr__(config, "hidden", hidden)
    if config.activation not in ACTIVATIONS:
        raise ValueError(
            f"{owner}: activation must be one of {sorted(ACTIVATIONS)}, got {config.activation!r}"
        )
    if config.initial_policy is not None and not isinstance(config.initial_policy, str):
        raise ValueError(
            f"{owner}: initial_policy must be a policy name or None, got {config.initial_policy!r}"
        )
    check_int(owner, "imitation_steps", config.imitation_steps, low=0)
    if config.initial_spread is not None:
        check_real(owner, "initial_spread", config.initial_spread, strict=True)
    if config.initial_order not in (None, "mean_demand"):
        raise ValueError(
            f"{owner}: initial_order must be 'mean_demand' or None, got {config.initial_order!r}"
        )
    if config.schedule not in SCHEDULES:
        raise ValueError(f"{owner}: schedule must be one of {SCHEDULES}, got {config.schedule!r}")
    for name in ("normalize_observations", "normalize_rewards"):
        if not isinstance(getattr(config, name), bool):
            raise ValueError(
                f"{owner}: {name} must be True or False, got {getattr(config, name)!r}"
            )
    if not isinstance(config.device, str) or not config.device:
        raise ValueError(
            f"{owner}: device must be a string such as 'cpu' or 'cuda', got {config.device!r}"
        )


@dataclass(frozen=True)
class SB3Config:
    """How :func:`train_sb3` trains a stable-baselines3 algorithm.

    The fields every algorithm shares are here, with the domain's defaults (a discount close
    to 1, normalised observations and rewards, actions in [-1, 1] mapped onto the orders, the
    first policy at the mean demand where the algorithm allows it); anything else of the
    algorithm's constructor (``n_steps``, ``buffer_size``, ``train_freq``...) goes in
    ``algo_kwargs``, passed through unchanged.
    """

    algo: str = "PPO"
    """The algorithm's class name in ``stable_baselines3`` or ``sb3_contrib``."""
    timesteps: int = 2_000_000
    """Budget in environment steps (summed over the envs; SB3 rounds up to whole rollouts)."""
    max_seconds: float | None = None
    """Also stop after this many seconds of wall-clock time (validation included)."""
    num_envs: int = 256
    """Systems simulated in parallel (one batched kernel call per step)."""
    learning_rate: float = 3e-4
    """The optimiser's step size at the start."""
    schedule: str = "linear"
    """``linear`` (decays to 0 over the budget) or ``constant``."""
    gamma: float = 0.99
    """Discount of the value targets (episode ends are truncations, bootstrapped)."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden widths of the actor and of the critic(s) (or of the Q-network)."""
    activation: str = "tanh"
    """``tanh``, ``relu`` or ``elu``."""
    log_std_init: float = -1.0
    """Starting log standard deviation of Gaussian actions (on-policy algorithms only)."""
    initial_order: str | None = "mean_demand"
    """``mean_demand``: the untrained actor orders about the mean demand in its first
    decision and next to nothing in the others (actor-based algorithms with [-1, 1] actions);
    ``None``: the middle of the action range."""
    initial_order_scale: float = 1.0
    """With ``initial_order="mean_demand"``: the first decision starts at this multiple of the
    mean demand (above 1 where a backlog costs far more than stock: the system then drifts
    into holding, not into a runaway backlog)."""
    initial_spread: float | None = None
    """With ``initial_order="mean_demand"``: the first decision's exploration noise starts at
    a standard deviation of at most this multiple of the mean demand, the first entry of the
    Gaussian's log standard deviation lowered below ``log_std_init`` where the order range is
    wide against the mean demand (a heavy-tailed demand's order cap); on-policy actors with a
    state-independent log standard deviation only. ``None``: ``log_std_init`` everywhere."""
    initial_policy: str | None = None
    """A named policy of the problem (``baselines.registry``, e.g. ``"capped_dual_index"``)
    whose orders the actor imitates before training (behaviour cloning on states the policy
    visits, some of its orders perturbed by one unit to widen them); the imitating policy is
    validated at step 0. ``None``: start from ``initial_order``. Actor-based algorithms with
    [-1, 1] actions only."""
    imitation_steps: int = 3000
    """Gradient steps (Adam, 512 states each) of the behaviour cloning."""
    normalize_observations: bool = True
    """Normalise the observations by running statistics (frozen into the saved policy)."""
    normalize_rewards: bool = True
    """Scale the rewards by a running estimate of the return's standard deviation."""
    max_episode_steps: int = ON_POLICY_EPISODES
    """Periods per training episode (truncated, then restarted from the starting state)."""
    eval_every: int = 100_000
    """Validate every this many environment steps (and at the end)."""
    eval_paths: int = 256
    """Validation: demand paths (held out: their seed is eval_seed)."""
    eval_periods: int = 500
    """Validation: periods per path after the burn-in."""
    eval_burn_in: int = 100
    """Validation: burn-in periods."""
    eval_seed: int = 7919
    """Seed of the validation paths (not the harness's test seed 0)."""
    seed: int = 0
    """Seed of the weights, the exploration noise and the training paths."""
    device: str = "cpu"
    """Torch device; small MLPs train fastest on the CPU."""
    threads: int | None = DEFAULT_THREADS
    """torch intra-op and BLAS threads (``None``: leave the process's settings)."""
    algo_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Other keyword arguments of the algorithm's constructor (JSON values)."""

    def __post_init__(self) -> None:
        owner = "SB3Config"
        if not isinstance(self.algo, str) or not self.algo:
            raise ValueError(f"{owner}: algo must be an algorithm's class name, got {self.algo!r}")
        _check_common(owner, self)
        check_real(owner, "initial_order_scale", self.initial_order_scale, strict=True)
        if not isinstance(self.algo_kwargs, Mapping):
            raise ValueError(f"{owner}: algo_kwargs must be a mapping, got {self.algo_kwargs!r}")
        reserved = sorted(set(self.algo_kwargs) & _RESERVED)
        if reserved:
            raise ValueError(
                f"{owner}: algo_kwargs {reserved} are set by SB3Config's own fields "
                "(learning_rate, gamma, seed, device, hidden, activation...)"
            )
        object.__setattr__(self, "algo_kwargs", dict(self.algo_kwargs))

    def replace(self, **changes: Any) -> SB3Config:
        """A copy with some fields changed (``algo_kwargs`` are merged, not replaced)."""
        import dataclasses

        if "algo_kwargs" in changes:
            changes["algo_kwargs"] = {**self.algo_kwargs, **changes["algo_kwargs"]}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        out["algo_kwargs"] = {k: jsonable(v) for k, v in self.algo_kwargs.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SB3Config:
        check_fields("SB3Config", cls, data)
        return cls(**data)


_RESERVED = frozenset(
    {"policy", "env", "learning_rate", "gamma", "seed", "device", "verbose", "policy_kwargs"}
)


@dataclass(frozen=True)
class PPOConfig:
    """How PPO trains (every field is also an ``inventory-gym train --algo ppo`` option).

    The defaults are tuned for the average-cost inventory problems: a discount close to 1,
    normalised observations and rewards, a narrow starting exploration noise (in units of the
    [-1, 1] action range) and long rollouts from many envs.
    """

    timesteps: int = 2_000_000
    """Budget in environment steps (summed over the envs), rounded up to whole rollouts of
    ``num_envs * n_steps`` steps, as stable-baselines3 collects them."""
    max_seconds: float | None = None
    """Also stop after this many seconds of wall-clock time (validation included)."""
    num_envs: int = 256
    """Systems simulated in parallel (one batched kernel call per step)."""
    n_steps: int = 64
    """Steps per env in each rollout (the rollout holds ``num_envs * n_steps`` steps)."""
    batch_size: int = 1024
    """Minibatch size of the PPO updates."""
    n_epochs: int = 10
    """Passes over each rollout."""
    learning_rate: float = 3e-4
    """Adam's step size at the start."""
    schedule: str = "linear"
    """``linear`` (decays to 0 over the budget) or ``constant``."""
    gamma: float = 0.99
    """Discount of the value targets: close to 1 for the average-cost problems, which have no
    terminal state (episode ends are truncations, bootstrapped through the value)."""
    gae_lambda: float = 0.95
    """GAE's lambda: the bias-variance trade-off of the advantage estimates."""
    clip_range: float = 0.2
    """PPO's clip of the probability ratio."""
    ent_coef: float = 0.0
    """Weight of the entropy bonus."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Clip of the global gradient norm."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden widths of the policy and of the value network (separate networks)."""
    activation: str = "tanh"
    """``tanh``, ``relu`` or ``elu``."""
    log_std_init: float = -1.0
    """Log standard deviation of the Gaussian actions at the start (in the [-1, 1] scale:
    -1 gives a noise of about a fifth of the order range)."""
    initial_order: str | None = "mean_demand"
    """Where the untrained policy's mean orders start: ``mean_demand`` (the mean demand per
    period in the first decision, the primary order, and close to nothing in the others) or
    ``None`` (the middle of the action range)."""
    initial_spread: float | None = None
    """With ``initial_order="mean_demand"``: the first decision's exploration noise starts at
    a standard deviation of at most this multiple of the mean demand (see
    :attr:`SB3Config.initial_spread`); ``None``: ``log_std_init`` everywhere."""
    initial_policy: str | None = None
    """A named policy of the problem (e.g. ``"capped_dual_index"``) whose orders the actor
    imitates before training (see :attr:`SB3Config.initial_policy`); ``None``: start from
    ``initial_order``."""
    imitation_steps: int = 3000
    """Gradient steps of that behaviour cloning."""
    normalize_observations: bool = True
    """Normalise the observations by running statistics (frozen into the saved policy)."""
    normalize_rewards: bool = True
    """Scale the rewards by a running estimate of the return's standard deviation."""
    max_episode_steps: int = 1000
    """Periods per training episode (truncated, then restarted from the starting state)."""
    eval_every: int = 100_000
    """Validate every this many environment steps, at the start of the first rollout past
    each multiple (the policy only changes between rollouts), and at the end."""
    eval_paths: int = 256
    """Validation: demand paths (held out: their seed is eval_seed)."""
    eval_periods: int = 500
    """Validation: periods per path after the burn-in."""
    eval_burn_in: int = 100
    """Validation: burn-in periods."""
    eval_seed: int = 7919
    """Seed of the validation paths: distinct from the harness's test seed 0, so the kept
    policy is not chosen on the paths it is scored on."""
    seed: int = 0
    """Seed of the weights, the exploration noise and the training paths."""
    device: str = "cpu"
    """Torch device; small MLPs train fastest on the CPU."""
    threads: int | None = DEFAULT_THREADS
    """torch intra-op and BLAS threads (:func:`inventory_gym.threads.set_threads`; ``None``:
    leave the process's settings)."""

    def __post_init__(self) -> None:
        for name, low in (("n_steps", 1), ("batch_size", 2), ("n_epochs", 1)):
            check_int(_OWNER, name, getattr(self, name), low=low)
        _check_common(_OWNER, self)
        value = check_real(_OWNER, "gae_lambda", self.gae_lambda)
        if value > 1.0:
            raise ValueError(f"{_OWNER}: gae_lambda must be in [0, 1], got {value!r}")
        check_real(_OWNER, "clip_range", self.clip_range, strict=True)
        for name in ("ent_coef", "vf_coef"):
            check_real(_OWNER, name, getattr(self, name))
        check_real(_OWNER, "max_grad_norm", self.max_grad_norm, strict=True)
        if self.batch_size > self.num_envs * self.n_steps:
            raise ValueError(
                f"{_OWNER}: batch_size={self.batch_size} is larger than a rollout "
                f"(num_envs * n_steps = {self.num_envs * self.n_steps})"
            )

    def to_sb3(self) -> SB3Config:
        """The same settings as an :class:`SB3Config` of ``PPO`` (what :func:`train_ppo`
        trains)."""
        ppo_only = PPO_ONLY_FIELDS
        common = {k: v for k, v in asdict(self).items() if k not in ppo_only}
        common["hidden"] = tuple(self.hidden)
        return SB3Config(algo="PPO", **common, algo_kwargs={k: getattr(self, k) for k in ppo_only})

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PPOConfig:
        check_fields(_OWNER, cls, data)
        return cls(**data)


PPO_ONLY_FIELDS = (
    "n_steps",
    "batch_size",
    "n_epochs",
    "gae_lambda",
    "clip_range",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
)
"""PPOConfig fields that are PPO's constructor arguments (``SB3Config.algo_kwargs``)."""


# -- the trained policy ------------------------------------------------------------------------
class SB3Policy:
    """A stable-baselines3 policy behind the harness's interface: ``policy(obs) -> orders``.

    It normalises the observations with the statistics frozen at the end of training, takes
    the deterministic action (the Gaussian's mean, the squashed actor's output, a categorical
    policy's mode, the greedy Q-value) and maps it from [-1, 1] onto ``[0, max_order]``, from
    a flat discrete index onto its order vector, or reads the order off directly. Orders come
    back continuous; the harness rounds them when demand is integer.
    """

    continuous_orders = False

    def __init__(
        self,
        net: Any,
        *,
        obs_mean: np.ndarray | None,
        obs_var: np.ndarray | None,
        clip_obs: float = 10.0,
        epsilon: float = 1e-8,
        action_high: np.ndarray,
        unit_actions: bool,
        env_options: Mapping[str, Any] | None = None,
        name: str = "ppo",
        meta: Mapping[str, Any] | None = None,
        action_counts: Sequence[int] | None = None,
    ):
        import torch

        self.net = net.eval()
        self.obs_mean = None if obs_mean is None else np.asarray(obs_mean, np.float64)
        self.obs_var = None if obs_var is None else np.asarray(obs_var, np.float64)
        self.clip_obs = float(clip_obs)
        self.epsilon = float(epsilon)
        self.action_high = np.asarray(action_high, np.float64)
        self.unit_actions = bool(unit_actions)
        self.env_options = dict(env_options or {})
        self.name = name
        self.meta = dict(meta or {})
        self.action_counts = None if action_counts is None else tuple(int(c) for c in action_counts)
        """The order levels per decision of a flat discrete policy (``None`` otherwise)."""
        self.device = next(net.parameters()).device
        self._mean = self._std = None
        if self.obs_mean is not None:
            self._mean = torch.as_tensor(self.obs_mean, dtype=torch.float32, device=self.device)
            std = np.sqrt(self.obs_var + self.epsilon)
            self._std = torch.as_tensor(std, dtype=torch.float32, device=self.device)
        self._high = torch.as_tensor(self.action_high, dtype=torch.float32, device=self.device)

    @property
    def obs_dim(self) -> int:
        return int(self.net.observation_space.shape[0])

    def __call__(self, obs: Any) -> Any:
        import torch

        is_torch = isinstance(obs, torch.Tensor)
        x = obs if is_torch else torch.as_tensor(np.asarray(obs))
        x = x.to(device=self.device, dtype=torch.float32)
        if x.ndim != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(
                f"{self.name}: observations must be (batch, {self.obs_dim}), got "
                f"{tuple(x.shape)}; make the env with the options it was trained with "
                f"({self.env_options or 'none'})"
            )
        if self._mean is not None:
            x = torch.clamp((x - self._mean) / self._std, -self.clip_obs, self.clip_obs)
        with torch.no_grad():
            actions = self.net._predict(x, deterministic=True)
        if self.unit_actions:
            orders = (torch.clamp(actions, -1.0, 1.0) + 1.0) * 0.5 * self._high
        elif self.action_counts is not None:
            orders = _unflatten(actions.reshape(-1).long(), self.action_counts)
        else:
            orders = actions.to(torch.float32)
        if orders.ndim == 2 and orders.shape[1] == 1:
            orders = orders[:, 0]
        if is_torch:
            return orders.to(obs.device)
        return orders.cpu().numpy().astype(np.float64)

    @property
    def algo(self) -> str:
        """The stable-baselines3 algorithm that trained it (``"PPO"``...)."""
        return self.meta.get("algo", "PPO")

    def to(self, device: Any) -> SB3Policy:
        """Move the network (for evaluation with ``backend="torch"`` on a GPU)."""
        import torch

        self.net.to(device)
        self.device = torch.device(device)
        for key in ("_mean", "_std", "_high"):
            value = getattr(self, key)
            if value is not None:
                setattr(self, key, value.to(self.device))
        return self

    @property
    def problem(self) -> str | None:
        """The name of the problem it was trained on (``None`` if its file does not say)."""
        return self.meta.get("problem")

    def describe(self) -> dict[str, Any]:
        """The actor's architecture, for result tables."""
        return {"kind": self.algo.lower(), "hidden": list(self.meta.get("hidden", ()))}

    def state_policy(self, static_row: np.ndarray | None = None) -> Callable[[np.ndarray], Any]:
        """A callable on state features alone (for exact Markov-chain costs); refuses
        policies that observe more than the state."""
        if self.env_options.get("demand_window") or self.env_options.get("static_features"):
            raise ValueError(
                f"{self.name} observes {self.env_options}: it is not a function of the state alone"
            )
        return self

    # -- files -------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``policy.json`` and ``weights.pt`` into the directory ``path``."""
        import torch

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        net = self.net
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "problem": self.meta.get("problem"),
            "instance": self.meta.get("instance"),
            "name": self.name,
            "observation_dim": self.obs_dim,
            "action_space": _space_to_dict(net.action_space),
            "hidden": list(self.meta.get("hidden", ())),
            "activation": self.meta.get("activation", "tanh"),
            "obs_mean": None if self.obs_mean is None else self.obs_mean.tolist(),
            "obs_var": None if self.obs_var is None else self.obs_var.tolist(),
            "clip_obs": self.clip_obs,
            "epsilon": self.epsilon,
            "action_high": self.action_high.tolist(),
            "unit_actions": self.unit_actions,
            "action_counts": None if self.action_counts is None else list(self.action_counts),
            "algo": self.algo,
            "net_arch": self.meta.get("net_arch"),
            "env_options": {k: jsonable(v) for k, v in self.env_options.items()},
            "meta": self.meta,
        }
        (path / POLICY_FILE).write_text(json.dumps(doc, indent=2) + "\n")
        state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        torch.save(state, path / WEIGHTS_FILE)
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: Any = "cpu") -> SB3Policy:
        """Read a policy saved by :meth:`save` (or a training run's directory)."""
        path = Path(path)
        if not (path / POLICY_FILE).is_file() and (path / BEST_DIR / POLICY_FILE).is_file():
            path = path / BEST_DIR
        doc_path = path / POLICY_FILE
        if not doc_path.is_file():
            raise FileNotFoundError(f"no {POLICY_FILE} in {path}: not a saved PPO policy")
        doc = json.loads(doc_path.read_text())
        if doc.get("format") != FORMAT:
            raise ValueError(f"{doc_path}: not a PPO policy file (format {doc.get('format')!r})")
        if doc.get("version") not in READABLE:
            raise ValueError(
                f"{doc_path}: version {doc.get('version')!r}, this code reads {READABLE}"
            )
        meta = dict(doc["meta"] or {})
        for key in ("problem", "instance"):
            if doc.get(key) is not None:
                meta.setdefault(key, doc[key])
        obs_space = spaces.Box(-np.inf, np.inf, (int(doc["observation_dim"]),), np.float32)
        algo = doc.get("algo", "PPO")  # versions 1 and 2: PPO
        meta.setdefault("algo", algo)
        net = _build_policy(
            algo,
            obs_space,
            _space_from_dict(doc["action_space"]),
            doc.get("net_arch") or _net_arch(sb3_class(algo), algo, tuple(doc["hidden"])),
            doc["activation"],
            meta.get("policy_kwargs"),
        )
        import torch

        state = torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        return cls(
            net.to(device),
            obs_mean=doc["obs_mean"],
            obs_var=doc["obs_var"],
            clip_obs=doc["clip_obs"],
            epsilon=doc["epsilon"],
            action_high=np.asarray(doc["action_high"]),
            unit_actions=doc["unit_actions"],
            env_options=doc["env_options"],
            name=doc["name"],
            meta=meta,
            action_counts=doc.get("action_counts"),
        )


PPOPolicy = SB3Policy
"""The name of :class:`SB3Policy` from when PPO was the only algorithm."""


def _unflatten(index: Any, counts: tuple[int, ...]) -> Any:
    """Torch version of :func:`inventory_gym.sb3.flat_orders`."""
    import torch

    if len(counts) == 1:
        return index.to(torch.float32)
    columns = []
    rest = index
    for count in reversed(counts):
        columns.append(rest % count)
        rest = rest // count
    return torch.stack(columns[::-1], dim=1).to(torch.float32)


def is_saved_policy(path: str | Path) -> bool:
    """Whether ``path`` holds a saved PPO policy (or is a PPO run directory)."""
    path = Path(path)
    for candidate in (path / POLICY_FILE, path / BEST_DIR / POLICY_FILE):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text()).get("format") == FORMAT
            except (OSError, ValueError):
                return False
    return False


load = PPOPolicy.load


def _space_to_dict(space: spaces.Space) -> dict[str, Any]:
    if isinstance(space, spaces.Box):
        return {"type": "box", "low": space.low.tolist(), "high": space.high.tolist()}
    if isinstance(space, spaces.Discrete):
        return {"type": "discrete", "n": int(space.n)}
    raise ValueError(f"PPO policies support Box and Discrete actions, got {space}")


def _space_from_dict(doc: Mapping[str, Any]) -> spaces.Space:
    if doc["type"] == "box":
        low = np.asarray(doc["low"], np.float32)
        return spaces.Box(low, np.asarray(doc["high"], np.float32), low.shape, np.float32)
    return spaces.Discrete(int(doc["n"]))


def _net_arch(cls: type, algo: str, hidden: tuple[int, ...]) -> Any:
    """SB3's ``net_arch`` of an algorithm for these hidden widths: separate actor and critic
    networks (``pi``/``vf`` on-policy, ``pi``/``qf`` off-policy), a list for a Q-network."""
    if _is_on_policy(cls):
        return {"pi": list(hidden), "vf": list(hidden)}
    if algo in DISCRETE_ONLY:
        return list(hidden)
    return {"pi": list(hidden), "qf": list(hidden)}


def _activation(name: str) -> Any:
    import torch

    return {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "elu": torch.nn.ELU}[name]


def _policy_kwargs(cls: type, algo: str, config: SB3Config) -> dict:
    kwargs: dict[str, Any] = {
        "net_arch": _net_arch(cls, algo, config.hidden),
        "activation_fn": _activation(config.activation),
    }
    if _is_on_policy(cls):
        kwargs["log_std_init"] = config.log_std_init
    return kwargs


def _build_policy(
    algo: str,
    obs_space: spaces.Space,
    action_space: spaces.Space,
    net_arch: Any,
    activation: str,
    extra: Mapping[str, Any] | None = None,
) -> Any:
    """An untrained ``MlpPolicy`` of ``algo`` (to load saved weights into); ``extra``: other
    policy keywords the algorithm set (DDPG's ``n_critics=1``...)."""
    cls = sb3_class(algo)
    return cls.policy_aliases["MlpPolicy"](
        obs_space,
        action_space,
        lambda _: 0.0,
        net_arch=net_arch,
        activation_fn=_activation(activation),
        **dict(extra or {}),
    )


def _extra_policy_kwargs(model: Any) -> dict[str, Any]:
    """The policy keywords of a model beyond net_arch, activation_fn and log_std_init (plain
    JSON values only: DDPG's ``n_critics``...)."""
    skip = ("net_arch", "activation_fn", "log_std_init")
    return {
        k: v
        for k, v in (getattr(model, "policy_kwargs", None) or {}).items()
        if k not in skip and isinstance(v, (bool, int, float, str))
    }


# -- training ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PPOProgress:
    """What a callback sees after each validation."""

    timesteps: int
    seconds: float
    val_cost: float
    best_val_cost: float


Callback = Callable[[PPOProgress], bool | None]
"""Called after every validation; returning ``False`` stops the training."""


@dataclass(frozen=True)
class PPOResult:
    """The outcome of :func:`train_ppo`."""

    policy: PPOPolicy
    """The best policy found (by validation cost), ready for the harness."""
    best_val_cost: float
    timesteps: int
    """Environment steps collected."""
    seconds: float
    """Wall-clock seconds of training, validation included."""
    stopped: str
    """Why training ended: ``timesteps``, ``max_seconds`` or ``callback``."""
    evaluations: list[dict[str, float]] = field(repr=False)
    """The learning curve: one row per validation (``timesteps``, ``seconds``, ``val_cost``,
    ``val_stderr``, ``best_val_cost``)."""
    out: Path | None = None
    model: Any = field(default=None, repr=False)
    """The SB3 ``PPO`` model at the end of training (its last weights, not the best)."""


def train_ppo(
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    config: PPOConfig | None = None,
    *,
    out: str | Path | None = None,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    name: str = "ppo",
    resume: bool = False,
) -> PPOResult:
    """Train PPO on one instance and return the best validated policy.

    Args:
        env_id: a registered env id.
        env_kwargs: its keyword overrides (problem parameters and observation options).
        config: a :class:`PPOConfig` (defaults if ``None``).
        out: run directory for ``run.json``, ``eval.csv``, SB3's ``progress.csv`` and
            ``model.zip``, and the best policy in ``policy/``; nothing is written if ``None``.
        progress: a progress bar over the environment steps.
        callbacks: called after each validation; returning ``False`` stops.
        name: the policy's name in the harness's results.
        resume: continue the run saved in ``out`` (its ``model.zip``, VecNormalize
            statistics, best policy and ``eval.csv``) up to ``config.timesteps`` in all; the
            best policy so far is kept unless the resumed run beats it, and ``eval.csv`` goes
            on without repeating a step.
    """
    config = config or PPOConfig()
    return _train(
        env_id,
        env_kwargs,
        config.to_sb3(),
        record=config.to_dict(),
        caller="train_ppo",
        out=out,
        progress=progress,
        callbacks=callbacks,
        name=name,
        resume=resume,
    )


def train_sb3(
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    config: SB3Config | None = None,
    *,
    out: str | Path | None = None,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    name: str | None = None,
    resume: bool = False,
) -> PPOResult:
    """Train any stable-baselines3 algorithm (``config.algo``) on one instance and return the
    best validated policy; the arguments are :func:`train_ppo`'s (``name`` defaults to the
    algorithm's name in lower case)."""
    config = config or SB3Config()
    return _train(
        env_id,
        env_kwargs,
        config,
        record=config.to_dict(),
        caller="train_sb3",
        out=out,
        progress=progress,
        callbacks=callbacks,
        name=name or config.algo.lower(),
        resume=resume,
    )


def _train(
    env_id: str,
    env_kwargs: Mapping[str, Any] | None,
    config: SB3Config,
    *,
    record: dict[str, Any],
    caller: str,
    out: str | Path | None,
    progress: bool,
    callbacks: Sequence[Callback],
    name: str,
    resume: bool,
) -> PPOResult:
    """The training loop every algorithm shares (``record`` is the config as the caller
    writes it into ``run.json``)."""
    import torch
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from inventory_gym.sb3 import InventorySB3VecEnv

    algo_cls = sb3_class(config.algo)
    env_kwargs = dict(env_kwargs or {})
    if "max_episode_steps" in env_kwargs:
        owner = "PPOConfig" if caller == "train_ppo" else "SB3Config"
        raise ValueError(f"{caller}: set the episode length with {owner}.max_episode_steps")
    out_path = None if out is None else Path(out)
    previous = _previous_run(out_path, env_id, env_kwargs, record, caller) if resume else None
    threads = set_threads(config.threads, torch=True)
    inst = make_instance(env_id, env_kwargs)
    native_discrete = bool(env_kwargs.get("discrete_actions", False))
    flat = config.algo in DISCRETE_ONLY
    if flat and native_discrete:
        raise ValueError(
            f"{caller}: {config.algo} gets one discrete action per order vector by itself; "
            "drop discrete_actions=True"
        )
    base = InventorySB3VecEnv(
        env_id,
        config.num_envs,
        unit_actions=not (native_discrete or flat),
        flat_discrete=flat,
        seed=config.seed,
        max_episode_steps=config.max_episode_steps,
        **env_kwargs,
    )
    venv = VecNormalize(
        VecMonitor(base),
        norm_obs=config.normalize_observations,
        norm_reward=config.normalize_rewards,
        gamma=config.gamma,
    )
    if previous is not None and (out_path / VECNORM_FILE).is_file():
        _load_normalization(venv, out_path / VECNORM_FILE)
    lr: Any = config.learning_rate
    if config.schedule == "linear":
        lr = _linear(config.learning_rate)
    with torch.random.fork_rng(devices=[]):
        if previous is not None:
            model = algo_cls.load(
                out_path / MODEL_FILE,
                env=venv,
                device=config.device,
                custom_objects={"learning_rate": lr, "lr_schedule": lr},
            )
        else:
            model = _new_model(algo_cls, venv, config, lr)
            if config.initial_order == "mean_demand" and base.unit_actions:
                _start_at_mean_demand(
                    model.policy,
                    base,
                    getattr(config, "initial_order_scale", 1.0),
                    config.initial_spread,
                )
        if out_path is not None:
            out_path.mkdir(parents=True, exist_ok=True)
            old_progress = _read_csv(out_path / PROGRESS_FILE) if previous is not None else []
            model.set_logger(configure(str(out_path), ["csv"]))
        else:
            model.set_logger(configure(None, []))
        options = {k: env_kwargs[k] for k in SHELL_OPTIONS if k in env_kwargs}
        meta = {
            "env_id": env_id,
            "env_kwargs": {k: jsonable(v) for k, v in env_kwargs.items()},
            "problem": inst.problem.name,
            "instance": inst.to_dict(),
            "algo": config.algo,
            "hidden": list(config.hidden),
            "activation": config.activation,
            "net_arch": _net_arch(algo_cls, config.algo, config.hidden),
            "policy_kwargs": _extra_policy_kwargs(model),
        }

        def snapshot() -> SB3Policy:
            rms = venv.obs_rms if config.normalize_observations else None
            net = _build_policy(
                config.algo,
                venv.observation_space,
                venv.action_space,
                meta["net_arch"],
                config.activation,
                meta["policy_kwargs"],
            )
            net.load_state_dict(model.policy.state_dict())
            net.to(model.device)
            return SB3Policy(
                net,
                obs_mean=None if rms is None else rms.mean.copy(),
                obs_var=None if rms is None else rms.var.copy(),
                clip_obs=venv.clip_obs,
                epsilon=venv.epsilon,
                action_high=base.action_high,
                unit_actions=base.unit_actions,
                env_options=options,
                name=name,
                meta=meta,
                action_counts=base.action_counts,
            )

        tracker = _Validation(
            env_id, env_kwargs, config, snapshot, callbacks, progress, name, _chunk(model)
        )
        start = tracker.start
        done = 0
        if previous is None and config.initial_policy is not None:
            if not base.unit_actions:
                raise ValueError(
                    f"{caller}: initial_policy imitates orders with [-1, 1] actions; "
                    f"{config.algo} here has {base.action_space}"
                )
            meta["imitation"] = _imitate(model, venv, base, env_id, env_kwargs, config)
            tracker.validate(0)
        if previous is not None:
            done = int(model.num_timesteps)
            tracker.resume(previous, SB3Policy.load(out_path / BEST_DIR), done)
        try:
            if done < config.timesteps:
                # SB3 adds the steps done to the budget: the total (and the learning-rate
                # schedule over it) stays config.timesteps.
                model.learn(
                    total_timesteps=config.timesteps - done,
                    callback=tracker.sb3_callback(),
                    reset_num_timesteps=previous is None,
                )
        except KeyboardInterrupt:
            # Ctrl-C: the best policy so far, the model and the logs are saved below.
            tracker.stopped = "interrupted"
        last = tracker.rows[-1]["timesteps"] if tracker.rows else None
        if tracker.validated != tracker.version and last != model.num_timesteps:
            tracker.validate(model.num_timesteps)
        tracker.close()
    seconds = time.perf_counter() - start + tracker.offset
    best = tracker.best
    assert best is not None
    if out_path is not None:
        best.save(out_path / BEST_DIR)
        model.save(out_path / MODEL_FILE, exclude=["replay_buffer"])
        _save_normalization(venv, out_path / VECNORM_FILE)
        if old_progress:
            model.logger.close()
            _write_csv(out_path / PROGRESS_FILE, old_progress + _read_csv(out_path / PROGRESS_FILE))
        with open(out_path / EVAL_FILE, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(tracker.rows[0]))
            writer.writeheader()
            writer.writerows(tracker.rows)
        run = {
            "algo": "ppo" if caller == "train_ppo" else f"sb3:{config.algo}",
            "env_id": env_id,
            "env_kwargs": meta["env_kwargs"],
            "problem": inst.problem.name,
            "instance": inst.to_dict(),
            "config": record,
            "timesteps": int(model.num_timesteps),
            "threads": threads.get("torch_threads"),
            "seed": config.seed,
            "eval_seed": config.eval_seed,
            "seconds": seconds,
            "best_val_cost": tracker.best_cost,
            "stopped": tracker.stopped,
        }
        (out_path / RUN_FILE).write_text(json.dumps(run, indent=2) + "\n")
    venv.close()
    return PPOResult(
        policy=best,
        best_val_cost=tracker.best_cost,
        timesteps=int(model.num_timesteps),
        seconds=seconds,
        stopped=tracker.stopped,
        evaluations=tracker.rows,
        out=out_path,
        model=model,
    )


def _imitate(
    model: Any, venv: Any, base: Any, env_id: str, env_kwargs: Mapping[str, Any], config: SB3Config
) -> dict[str, Any]:
    """Behaviour cloning of ``config.initial_policy``'s orders into the actor's deterministic
    action (see :attr:`SB3Config.initial_policy`); the observation statistics of
    ``VecNormalize`` start from the states seen. Returns what was done (for ``run.json``)."""
    import gymnasium as gym
    import torch

    from baselines.registry import fit_policy

    teacher = fit_policy(config.initial_policy, env_id, env_kwargs)
    rows, periods, burn_in = 256, 300, 50
    vec = gym.make_vec(
        env_id,
        num_envs=rows,
        vectorization_mode="vector_entry_point",
        max_episode_steps=periods + 1,
        **env_kwargs,
    )
    rng = np.random.default_rng(config.seed)
    obs, _ = vec.reset(seed=config.seed + 1)
    high = base.action_high
    states, targets = [], []
    for t in range(periods):
        orders = np.asarray(teacher(obs), np.float64).reshape(rows, -1)
        if t >= burn_in:
            states.append(obs.copy())
            targets.append(orders)
        nudge = rng.integers(-1, 2, size=orders.shape) * (rng.random(orders.shape) < 0.2)
        executed = np.clip(np.round(orders) + nudge, 0.0, high)
        obs, *_ = vec.step(executed[:, 0] if executed.shape[1] == 1 else executed)
    vec.close()
    x = np.concatenate(states).astype(np.float64)
    y = np.concatenate(targets)
    if config.normalize_observations:
        venv.obs_rms.update(x)
        x = np.clip(
            (x - venv.obs_rms.mean) / np.sqrt(venv.obs_rms.var + venv.epsilon),
            -venv.clip_obs,
            venv.clip_obs,
        )
    a = np.clip(2.0 * y / np.maximum(high, 1e-12) - 1.0, -1.0, 1.0)
    policy = model.policy
    device = policy.device
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    at = torch.as_tensor(a, dtype=torch.float32, device=device)
    params = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    gen = torch.Generator().manual_seed(config.seed)
    loss = torch.zeros(())
    policy.set_training_mode(True)
    for _ in range(config.imitation_steps):
        idx = torch.randint(0, len(xt), (512,), generator=gen).to(device)
        pred = policy._predict(xt[idx], deterministic=True).reshape(at[idx].shape)
        loss = torch.mean((pred - at[idx]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    policy.set_training_mode(False)
    target_actor = getattr(policy, "actor_target", None)
    if target_actor is not None:
        target_actor.load_state_dict(policy.actor.state_dict())
    return {
        "teacher": config.initial_policy,
        "teacher_params": jsonable(getattr(teacher, "params", lambda: None)()),
        "states": len(x),
        "steps": config.imitation_steps,
        "final_mse": float(loss.detach()),
    }


def _chunk(model: Any) -> int:
    """Environment steps SB3 collects between two policy updates (a rollout)."""
    n_steps = getattr(model, "n_steps", None)
    if n_steps is None:
        freq = getattr(model, "train_freq", None)
        unit = getattr(getattr(freq, "unit", None), "value", "step")
        n_steps = int(getattr(freq, "frequency", 1)) if unit == "step" else 1
    return int(n_steps) * model.n_envs


def _new_model(cls: type, venv: Any, config: SB3Config, lr: Any) -> Any:
    import inspect

    kwargs: dict[str, Any] = {
        "learning_rate": lr,
        "gamma": config.gamma,
        "policy_kwargs": _policy_kwargs(cls, config.algo, config),
        "seed": config.seed,
        "device": config.device,
        "verbose": 0,
    }
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    algo_kwargs = dict(config.algo_kwargs)
    if "train_freq" in algo_kwargs and isinstance(algo_kwargs["train_freq"], list):
        algo_kwargs["train_freq"] = tuple(algo_kwargs["train_freq"])  # from JSON
    unknown = sorted(k for k in algo_kwargs if k not in accepted)
    if unknown:
        raise ValueError(
            f"SB3Config: algo_kwargs {unknown} are not arguments of {config.algo}; it takes "
            f"{', '.join(k for k in accepted if k not in ('self', 'policy', 'env', 'kwargs'))}"
        )
    return cls("MlpPolicy", venv, **kwargs, **algo_kwargs)


def _previous_run(
    out: Path | None,
    env_id: str,
    env_kwargs: Mapping[str, Any],
    now: Mapping[str, Any],
    caller: str = "train_ppo",
) -> dict:
    """What ``resume`` continues: the run.json of ``out`` (checked against this instance and
    the config ``now``, as a dict), with the rows of its eval.csv."""
    if out is None:
        raise ValueError(f"{caller}: resume needs out, the run directory to continue")
    for name in (MODEL_FILE, RUN_FILE, BEST_DIR + "/" + POLICY_FILE):
        if not (out / name).is_file():
            raise FileNotFoundError(f"{caller}: resume: no {name} in {out} to continue from")
    run = json.loads((out / RUN_FILE).read_text())
    kwargs = {k: jsonable(v) for k, v in env_kwargs.items()}
    if run.get("env_id") != env_id or run.get("env_kwargs") != kwargs:
        raise ValueError(
            f"{caller}: resume: {out} holds a run of {run.get('env_id')} "
            f"{run.get('env_kwargs')}, not of {env_id} {kwargs}"
        )
    saved = run.get("config") or {}
    differ = [
        f"{name}={now[name]!r} (the run has {saved[name]!r})"
        for name in now
        if name in saved and name not in RESUME_MAY_CHANGE and saved[name] != now[name]
    ]
    if differ:
        # The model keeps the settings it was built with: other values would be ignored.
        raise ValueError(
            f"{caller}: resume: {out} was trained with other settings: {', '.join(differ)}; "
            "resume with the run's settings, or train afresh with --overwrite"
        )
    run["rows"] = [
        {k: float(v) if k != "timesteps" else int(float(v)) for k, v in row.items()}
        for row in _read_csv(out / EVAL_FILE)
    ]
    return run


RESUME_MAY_CHANGE = ("timesteps", "max_seconds", "threads", "device")
"""PPOConfig fields a resumed run may change (its budget and where it runs); any other
difference is refused, since the saved model keeps the settings it was built with."""


def _save_normalization(venv: Any, path: Path) -> None:
    """The running statistics of ``VecNormalize`` as plain arrays (``.npz``, no pickle)."""
    arrays = {"returns": np.asarray(venv.returns, dtype=np.float64)}
    for name in ("obs_rms", "ret_rms"):
        rms = getattr(venv, name)
        arrays[f"{name}_mean"] = np.asarray(rms.mean, dtype=np.float64)
        arrays[f"{name}_var"] = np.asarray(rms.var, dtype=np.float64)
        arrays[f"{name}_count"] = np.asarray(rms.count, dtype=np.float64)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _load_normalization(venv: Any, path: Path) -> None:
    """Restore :func:`_save_normalization`'s statistics into a fresh ``VecNormalize``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            for name in ("obs_rms", "ret_rms"):
                rms = getattr(venv, name)
                mean = data[f"{name}_mean"]
                if np.shape(mean) != np.shape(rms.mean):
                    raise ValueError(f"{name} has shape {np.shape(mean)}")
                rms.mean, rms.var = mean.copy(), data[f"{name}_var"].copy()
                rms.count = float(data[f"{name}_count"])
            if data["returns"].shape == np.shape(venv.returns):
                venv.returns = data["returns"].copy()
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{path}: not readable normalisation statistics ({err})") from None


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _start_at_mean_demand(
    policy: Any, venv: Any, scale: float = 1.0, spread: float | None = None
) -> None:
    """Shift the actor's output bias so that the first policy orders about the mean demand
    per period in its first decision (the problem's primary order: the only one of lost
    sales, the regular supplier of dual sourcing) and next to nothing in the others. An
    untrained policy otherwise orders half the maximum order in every decision, often far
    above the mean demand, and its stock grows without bound over a long episode.

    On-policy actors (``action_net``) start with near-zero output weights, so their output is
    their bias; the squashed actors of SAC/TD3-like algorithms (``actor.mu``) get their output
    weights scaled down to the same effect and the bias at the target's ``atanh``. Policies
    without either (Q-networks) are left as they are.

    ``spread`` (``SB3Config.initial_spread``) caps the first decision's starting noise at that
    multiple of the mean demand, in orders: the action range is set by the demand's tail, so
    the same ``log_std_init`` is a wider noise against the mean where the tail is heavy
    (geometric demand of mean 5: an order cap of 50, and a noise of 9 units, against 2.8 under
    Poisson(5) with its cap of 15). Only a state-independent ``log_std`` (PPO, A2C) is lowered,
    never raised."""
    import torch

    env = venv.env
    mean = float(env.problem.demand(env.params).mean)
    orders = np.zeros(env.problem.action_dim)
    orders[0] = scale * mean
    log_std = getattr(policy, "log_std", None)
    if spread is not None and isinstance(log_std, torch.nn.Parameter) and log_std.ndim == 1:
        # orders = (a + 1) / 2 * high: a noise of s in a is s * high / 2 in orders.
        limit = math.log(max(2.0 * spread * mean / max(float(venv.action_high[0]), 1e-12), 1e-12))
        with torch.no_grad():
            log_std[0] = min(float(log_std[0]), limit)
    target = np.clip(2.0 * orders / np.maximum(venv.action_high, 1e-12) - 1.0, -0.95, 0.95)
    layer, squashed = getattr(policy, "action_net", None), False
    if layer is None:
        mu = getattr(getattr(policy, "actor", None), "mu", None)
        if isinstance(mu, torch.nn.Sequential):  # TD3/DDPG: Linear, Tanh
            mu = next((m for m in reversed(mu) if isinstance(m, torch.nn.Linear)), None)
        layer, squashed = mu, True
    if not isinstance(layer, torch.nn.Linear):
        return
    if squashed:
        target = np.arctanh(target)
    with torch.no_grad():
        if squashed:
            layer.weight.mul_(0.01)
        layer.bias.copy_(torch.as_tensor(target, dtype=layer.bias.dtype).to(layer.bias.device))
    target_actor = getattr(policy, "actor_target", None)
    if target_actor is not None:
        target_actor.load_state_dict(policy.actor.state_dict())


def _linear(initial: float) -> Callable[[float], float]:
    def schedule(progress_remaining: float) -> float:
        return initial * progress_remaining

    return schedule


class _Validation:
    """Validates through the harness every ``eval_every`` steps and keeps the best policy."""

    def __init__(self, env_id, env_kwargs, config, snapshot, callbacks, progress, name, chunk):
        self.env_id, self.env_kwargs, self.config = env_id, env_kwargs, config
        self.snapshot = snapshot
        self.callbacks = list(callbacks)
        self.best: SB3Policy | None = None
        self.best_cost = math.inf
        self.rows: list[dict[str, float]] = []
        self.version = 0
        """Policy updates so far (one per completed rollout)."""
        self.validated = -1
        """The version last validated."""
        self.halt = False
        self.next_eval = config.eval_every
        self.stopped = "timesteps"
        self.start = time.perf_counter()
        self.offset = 0.0
        """Seconds of the run resumed (its eval.csv's clock goes on from there)."""
        self.bar = None
        if progress:
            from inventory_gym.progress import bar as tqdm

            total = -(-config.timesteps // chunk) * chunk  # SB3 collects whole rollouts
            self.bar = tqdm(total=total, desc=name, unit="step", unit_scale=True)

    def resume(self, previous: Mapping[str, Any], best: SB3Policy, timesteps: int) -> None:
        """Go on from a saved run: its validation rows, its best policy, its clock."""
        self.rows = list(previous["rows"])
        self.best, self.best_cost = best, float(previous["best_val_cost"])
        self.offset = float(previous.get("seconds", 0.0))
        every = self.config.eval_every
        self.next_eval = (timesteps // every + 1) * every
        if self.bar is not None:
            self.bar.update(timesteps)

    def validate(self, timesteps: int) -> bool:
        policy = self.snapshot()
        result = evaluate(
            policy,
            self.env_id,
            self.env_kwargs,
            num_paths=self.config.eval_paths,
            periods=self.config.eval_periods,
            burn_in=self.config.eval_burn_in,
            seed=self.config.eval_seed,
        )
        if result.cost < self.best_cost:
            self.best, self.best_cost = policy, result.cost
        seconds = time.perf_counter() - self.start + self.offset
        self.rows.append(
            {
                "timesteps": timesteps,
                "seconds": round(seconds, 3),
                "val_cost": result.cost,
                "val_stderr": result.stderr,
                "best_val_cost": self.best_cost,
            }
        )
        self.validated = self.version
        if self.bar is not None:
            self.bar.set_postfix(val=f"{result.cost:.4g}", best=f"{self.best_cost:.4g}")
        keep_going = True
        info = PPOProgress(timesteps, seconds, result.cost, self.best_cost)
        for callback in self.callbacks:
            if callback(info) is False:
                keep_going = False
                self.stopped = "callback"
        return keep_going

    def sb3_callback(self) -> Any:
        from stable_baselines3.common.callbacks import BaseCallback

        tracker = self

        class _Callback(BaseCallback):
            # The policy changes only in the update after each rollout, so it is validated
            # when the next rollout starts (and once more at the end if it changed since).
            def _on_rollout_start(self) -> None:
                steps = self.num_timesteps
                if steps >= tracker.next_eval:
                    while tracker.next_eval <= steps:
                        tracker.next_eval += tracker.config.eval_every
                    if not tracker.validate(steps):
                        tracker.halt = True
                    self.logger.record("eval/cost", tracker.rows[-1]["val_cost"])

            def _on_rollout_end(self) -> None:
                tracker.version += 1

            def _on_step(self) -> bool:
                if tracker.bar is not None:
                    tracker.bar.update(self.num_timesteps - tracker.bar.n)
                limit = tracker.config.max_seconds
                if limit is not None and time.perf_counter() - tracker.start >= limit:
                    tracker.stopped = "max_seconds"
                    return False
                return not tracker.halt

        return _Callback()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
