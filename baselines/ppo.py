"""PPO (stable-baselines3) on the inventory envs, with defaults for this domain, scored by the
same harness as every other policy.

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
VERSION = 2
"""Version 2 adds ``problem`` and ``instance`` to the header; version 1 files still load."""
READABLE = (1, 2)
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
        for name, low in (
            ("timesteps", 1),
            ("num_envs", 1),
            ("n_steps", 1),
            ("batch_size", 2),
            ("n_epochs", 1),
            ("max_episode_steps", 1),
            ("eval_every", 1),
            ("eval_paths", 1),
            ("eval_periods", 1),
            ("eval_burn_in", 0),
            ("seed", 0),
            ("eval_seed", 0),
        ):
            check_int(_OWNER, name, getattr(self, name), low=low)
        if self.threads is not None:
            check_int(_OWNER, "threads", self.threads, low=1)
        if self.max_seconds is not None:
            check_real(_OWNER, "max_seconds", self.max_seconds, strict=True)
        check_real(_OWNER, "learning_rate", self.learning_rate, strict=True)
        for name in ("gamma", "gae_lambda"):
            value = check_real(_OWNER, name, getattr(self, name))
            if value > 1.0:
                raise ValueError(f"{_OWNER}: {name} must be in [0, 1], got {value!r}")
        check_real(_OWNER, "clip_range", self.clip_range, strict=True)
        for name in ("ent_coef", "vf_coef"):
            check_real(_OWNER, name, getattr(self, name))
        check_real(_OWNER, "max_grad_norm", self.max_grad_norm, strict=True)
        check_real(_OWNER, "log_std_init", self.log_std_init, low=None)
        hidden = tuple(self.hidden) if isinstance(self.hidden, (list, tuple)) else None
        if not hidden or any(
            not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in hidden
        ):
            raise ValueError(
                f"{_OWNER}: hidden must be a non-empty sequence of positive ints, "
                f"got {self.hidden!r}"
            )
        object.__setattr__(self, "hidden", hidden)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"{_OWNER}: activation must be one of {sorted(ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )
        if self.initial_order not in (None, "mean_demand"):
            raise ValueError(
                f"{_OWNER}: initial_order must be 'mean_demand' or None, got {self.initial_order!r}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"{_OWNER}: schedule must be one of {SCHEDULES}, got {self.schedule!r}"
            )
        for name in ("normalize_observations", "normalize_rewards"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    f"{_OWNER}: {name} must be True or False, got {getattr(self, name)!r}"
                )
        if self.batch_size > self.num_envs * self.n_steps:
            raise ValueError(
                f"{_OWNER}: batch_size={self.batch_size} is larger than a rollout "
                f"(num_envs * n_steps = {self.num_envs * self.n_steps})"
            )
        if not isinstance(self.device, str) or not self.device:
            raise ValueError(
                f"{_OWNER}: device must be a string such as 'cpu' or 'cuda', got {self.device!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PPOConfig:
        check_fields(_OWNER, cls, data)
        return cls(**data)


# -- the trained policy ------------------------------------------------------------------------
class PPOPolicy:
    """A PPO actor behind the harness's interface: ``policy(obs) -> orders``.

    It normalises the observations with the statistics frozen at the end of training, takes
    the Gaussian's mean (the deterministic action) and maps it from [-1, 1] onto
    ``[0, max_order]`` (or reads the order off a categorical policy's mode). Orders come back
    continuous; the harness rounds them when demand is integer.
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
            actions = self.net.get_distribution(x).mode()
        if self.unit_actions:
            orders = (torch.clamp(actions, -1.0, 1.0) + 1.0) * 0.5 * self._high
        else:
            orders = actions.to(torch.float32)
        if orders.ndim == 2 and orders.shape[1] == 1:
            orders = orders[:, 0]
        if is_torch:
            return orders.to(obs.device)
        return orders.cpu().numpy().astype(np.float64)

    def to(self, device: Any) -> PPOPolicy:
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
        return {"kind": "ppo", "hidden": list(self.meta.get("hidden", ()))}

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
            "env_options": {k: jsonable(v) for k, v in self.env_options.items()},
            "meta": self.meta,
        }
        (path / POLICY_FILE).write_text(json.dumps(doc, indent=2) + "\n")
        state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        torch.save(state, path / WEIGHTS_FILE)
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: Any = "cpu") -> PPOPolicy:
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
        net = _actor_critic(
            obs_space,
            _space_from_dict(doc["action_space"]),
            tuple(doc["hidden"]),
            doc["activation"],
            log_std_init=0.0,
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
        )


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


def _actor_critic(
    obs_space: spaces.Space,
    action_space: spaces.Space,
    hidden: tuple[int, ...],
    activation: str,
    *,
    log_std_init: float,
) -> Any:
    from stable_baselines3.common.policies import ActorCriticPolicy

    return ActorCriticPolicy(
        obs_space,
        action_space,
        lambda _: 0.0,
        **_policy_kwargs(hidden, activation, log_std_init),
    )


def _policy_kwargs(hidden: tuple[int, ...], activation: str, log_std_init: float) -> dict:
    import torch

    return {
        "net_arch": {"pi": list(hidden), "vf": list(hidden)},
        "activation_fn": {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "elu": torch.nn.ELU}[
            activation
        ],
        "log_std_init": log_std_init,
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
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from inventory_gym.sb3 import InventorySB3VecEnv

    config = config or PPOConfig()
    env_kwargs = dict(env_kwargs or {})
    if "max_episode_steps" in env_kwargs:
        raise ValueError("train_ppo: set the episode length with PPOConfig.max_episode_steps")
    out_path = None if out is None else Path(out)
    previous = _previous_run(out_path, env_id, env_kwargs, config) if resume else None
    threads = set_threads(config.threads, torch=True)
    inst = make_instance(env_id, env_kwargs)
    base = InventorySB3VecEnv(
        env_id,
        config.num_envs,
        unit_actions=not env_kwargs.get("discrete_actions", False),
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
            model = PPO.load(
                out_path / MODEL_FILE,
                env=venv,
                device=config.device,
                custom_objects={"learning_rate": lr, "lr_schedule": lr},
            )
        else:
            model = _new_model(PPO, venv, config, lr)
            if config.initial_order == "mean_demand" and base.unit_actions:
                _start_at_mean_demand(model.policy, base)
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
            "hidden": list(config.hidden),
            "activation": config.activation,
        }

        def snapshot() -> PPOPolicy:
            rms = venv.obs_rms if config.normalize_observations else None
            net = _actor_critic(
                venv.observation_space,
                venv.action_space,
                config.hidden,
                config.activation,
                log_std_init=config.log_std_init,
            )
            net.load_state_dict(model.policy.state_dict())
            return PPOPolicy(
                net.to(model.device),
                obs_mean=None if rms is None else rms.mean.copy(),
                obs_var=None if rms is None else rms.var.copy(),
                clip_obs=venv.clip_obs,
                epsilon=venv.epsilon,
                action_high=base.action_high,
                unit_actions=base.unit_actions,
                env_options=options,
                name=name,
                meta=meta,
            )

        tracker = _Validation(env_id, env_kwargs, config, snapshot, callbacks, progress, name)
        start = tracker.start
        done = 0
        if previous is not None:
            done = int(model.num_timesteps)
            tracker.resume(previous, PPOPolicy.load(out_path / BEST_DIR), done)
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
        model.save(out_path / MODEL_FILE)
        _save_normalization(venv, out_path / VECNORM_FILE)
        if old_progress:
            model.logger.close()
            _write_csv(out_path / PROGRESS_FILE, old_progress + _read_csv(out_path / PROGRESS_FILE))
        with open(out_path / EVAL_FILE, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(tracker.rows[0]))
            writer.writeheader()
            writer.writerows(tracker.rows)
        run = {
            "algo": "ppo",
            "env_id": env_id,
            "env_kwargs": meta["env_kwargs"],
            "problem": inst.problem.name,
            "instance": inst.to_dict(),
            "config": config.to_dict(),
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


def _new_model(ppo: Any, venv: Any, config: PPOConfig, lr: Any) -> Any:
    return ppo(
        "MlpPolicy",
        venv,
        learning_rate=lr,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        clip_range=config.clip_range,
        ent_coef=config.ent_coef,
        vf_coef=config.vf_coef,
        max_grad_norm=config.max_grad_norm,
        policy_kwargs=_policy_kwargs(config.hidden, config.activation, config.log_std_init),
        seed=config.seed,
        device=config.device,
        verbose=0,
    )


def _previous_run(
    out: Path | None, env_id: str, env_kwargs: Mapping[str, Any], config: PPOConfig
) -> dict:
    """What ``resume`` continues: the run.json of ``out`` (checked against this instance),
    with the rows of its eval.csv."""
    if out is None:
        raise ValueError("train_ppo: resume needs out, the run directory to continue")
    for name in (MODEL_FILE, RUN_FILE, BEST_DIR + "/" + POLICY_FILE):
        if not (out / name).is_file():
            raise FileNotFoundError(f"train_ppo: resume: no {name} in {out} to continue from")
    run = json.loads((out / RUN_FILE).read_text())
    kwargs = {k: jsonable(v) for k, v in env_kwargs.items()}
    if run.get("env_id") != env_id or run.get("env_kwargs") != kwargs:
        raise ValueError(
            f"train_ppo: resume: {out} holds a run of {run.get('env_id')} "
            f"{run.get('env_kwargs')}, not of {env_id} {kwargs}"
        )
    saved = run.get("config") or {}
    now = config.to_dict()
    differ = [
        f"{name}={now[name]!r} (the run has {saved[name]!r})"
        for name in now
        if name in saved and name not in RESUME_MAY_CHANGE and saved[name] != now[name]
    ]
    if differ:
        # The model keeps the settings it was built with: other values would be ignored.
        raise ValueError(
            f"train_ppo: resume: {out} was trained with other settings: {', '.join(differ)}; "
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


def _start_at_mean_demand(policy: Any, venv: Any) -> None:
    """Shift the actor's output bias so that the first policy orders about the mean demand
    per period in its first decision (the problem's primary order: the only one of lost
    sales, the regular supplier of dual sourcing) and next to nothing in the others (the
    action layer starts with near-zero weights, so its output is its bias). An untrained
    policy otherwise orders half the maximum order in every decision, often far above the
    mean demand, and its stock grows without bound over a long episode."""
    import torch

    env = venv.env
    orders = np.zeros(env.problem.action_dim)
    orders[0] = float(env.problem.demand(env.params).mean)
    target = 2.0 * orders / np.maximum(venv.action_high, 1e-12) - 1.0
    with torch.no_grad():
        bias = torch.as_tensor(np.clip(target, -0.95, 0.95), dtype=policy.action_net.bias.dtype)
        policy.action_net.bias.copy_(bias.to(policy.action_net.bias.device))


def _linear(initial: float) -> Callable[[float], float]:
    def schedule(progress_remaining: float) -> float:
        return initial * progress_remaining

    return schedule


class _Validation:
    """Validates through the harness every ``eval_every`` steps and keeps the best policy."""

    def __init__(self, env_id, env_kwargs, config, snapshot, callbacks, progress, name):
        self.env_id, self.env_kwargs, self.config = env_id, env_kwargs, config
        self.snapshot = snapshot
        self.callbacks = list(callbacks)
        self.best: PPOPolicy | None = None
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

            rollout = config.num_envs * config.n_steps
            total = -(-config.timesteps // rollout) * rollout  # SB3 collects whole rollouts
            self.bar = tqdm(total=total, desc=name, unit="step", unit_scale=True)

    def resume(self, previous: Mapping[str, Any], best: PPOPolicy, timesteps: int) -> None:
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
