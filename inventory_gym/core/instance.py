"""An instance is a value: the problem, its validated params and the shell options of an id.

``make_instance(env_id, **kwargs)`` reads the registered spec (its entry point and default
keywords) and validates the overrides without building an env, the way gymnax's
``make(name) -> (env, params)`` hands out the params as a value. The harness, the heuristics,
the exact solvers, DirectBackprop, PPO, the command line and the benchmarks all take it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from inventory_gym.core.problem import Problem
from inventory_gym.core.shell import SHELL_OPTIONS, ShellConfig, split_kwargs
from inventory_gym.core.validation import jsonable

VECTOR_OPTIONS = (
    "num_envs",
    "max_episode_steps",
    "backend",
    "device",
    "dtype",
    "differentiable",
    "autoreset_mode",
    "render_mode",
)
"""Keywords of the vector env that are neither problem parameters nor shell options: they say
how an instance is simulated, not what it is, and an instance refuses them."""


@dataclass(frozen=True)
class Instance:
    """One problem instance of a registered id: what every method is fitted, solved, trained
    and scored on."""

    env_id: str
    """The registered id, e.g. ``"LostSalesLeadTime-v0"``."""
    kwargs: dict[str, Any]
    """The keyword overrides as given (problem parameters and shell options)."""
    problem: Problem = field(repr=False, compare=False)
    """The problem descriptor (kernel, state layout, declarations)."""
    params: Any = field(repr=False)
    """The validated params, registered defaults included."""
    shell: ShellConfig = field(default_factory=ShellConfig)
    """The shell options (observation options, action handling)."""
    max_episode_steps: int | None = None
    """The registered truncation horizon."""

    @property
    def name(self) -> str:
        """The problem's name (``"lost_sales"``...)."""
        return self.problem.name

    @property
    def params_kwargs(self) -> dict[str, Any]:
        """The overrides that are problem parameters (not shell options)."""
        return {k: v for k, v in self.kwargs.items() if k not in SHELL_OPTIONS}

    @property
    def state_dim(self) -> int:
        """Number of state features of the observation."""
        return len(self.problem.state_feature_names(self.params))

    @property
    def static_row(self) -> np.ndarray:
        """The static features as a float64 row."""
        return self.problem.static_row(self.params)

    @property
    def label(self) -> str:
        """``env_id`` plus its keyword overrides, for logs and tables."""
        extra = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.env_id}({extra})" if extra else self.env_id

    def with_kwargs(self, **kwargs: Any) -> Instance:
        """The same id with more (or other) keyword overrides."""
        return make_instance(self.env_id, **{**self.kwargs, **kwargs})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"env_id", "env_kwargs", "problem"}`` (demand models as their specs)."""
        return {
            "env_id": self.env_id,
            "env_kwargs": {k: jsonable(v) for k, v in self.kwargs.items()},
            "problem": self.problem.name,
        }


def problem_class(env_id: str) -> type:
    """The env class registered as the entry point of ``env_id``.

    Raises:
        ValueError: for an id that is not registered, or not one of inventory-gym's shells.
    """
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as err:
        raise ValueError(f"env_id {env_id!r}: {err}") from None
    entry = spec.entry_point
    cls = gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry
    if not isinstance(getattr(cls, "problem", None), Problem):
        raise ValueError(f"env_id {env_id!r} is not an inventory-gym env (entry point {entry!r})")
    return cls


def problem_of(env_id: str) -> Problem:
    """The :class:`~inventory_gym.core.problem.Problem` behind a registered id (no env built)."""
    return problem_class(env_id).problem


def make_instance(env_id: str | Instance, env_kwargs: Mapping[str, Any] | None = None, /, **kwargs):
    """The instance of a registered id with keyword overrides, validated, without an env.

    ``make_instance("LostSalesLeadTime-v0", lead_time=2)`` and
    ``make_instance("LostSalesLeadTime-v0", {"lead_time": 2})`` are the same; an
    :class:`Instance` given as ``env_id`` is returned as it is (with further overrides applied).

    Raises:
        ValueError: for an unknown id, a keyword that is neither a parameter nor a shell option
            (the message lists the valid ones), or a bad value (named with the value).
    """
    if isinstance(env_id, Instance):
        merged = {**env_id.kwargs, **dict(env_kwargs or {}), **kwargs}
        return env_id if merged == env_id.kwargs else make_instance(env_id.env_id, merged)
    given = {**dict(env_kwargs or {}), **kwargs}
    simulation = sorted(set(given) & set(VECTOR_OPTIONS))
    if simulation:
        raise ValueError(
            f"{env_id}: {', '.join(simulation)} say how an instance is simulated, not what it "
            "is; pass them to gym.make_vec or to the harness"
        )
    cls = problem_class(env_id)
    spec = gym.spec(env_id)
    shell, params = split_kwargs({**dict(spec.kwargs), **given})
    return Instance(
        env_id=env_id,
        kwargs=given,
        problem=cls.problem,
        params=cls.problem.make_params(**params),
        shell=shell,
        max_episode_steps=spec.max_episode_steps,
    )
