"""Registration of every problem's ids, found in the problems' own packages.

Each problem package under :mod:`inventory_gym.envs` exposes its descriptor as ``PROBLEM``
(a :class:`~inventory_gym.core.problem.Problem`), whose ``registrations`` list its ids with
their entry points and defaults. Importing :mod:`inventory_gym` registers them all; a problem
defined elsewhere (a plugin, a test's toy problem) calls :func:`register_problem` itself. There
is no table of ids here: adding a problem touches only its own folder.
"""

from __future__ import annotations

import importlib
import pkgutil

import gymnasium as gym

from inventory_gym.core.problem import Problem


def packaged_problems() -> tuple[Problem, ...]:
    """The problems of the packages under :mod:`inventory_gym.envs`, by package name."""
    import inventory_gym.envs as envs

    found = []
    for info in sorted(pkgutil.iter_modules(envs.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{envs.__name__}.{info.name}")
        problem = getattr(module, "PROBLEM", None)
        if isinstance(problem, Problem):
            found.append(problem)
    return tuple(found)


def register_problem(problem: Problem) -> tuple[str, ...]:
    """Register a problem's ids with Gymnasium (idempotent: ids already registered are left
    alone); returns the ids."""
    registry = gym.envs.registry
    for reg in problem.registrations:
        if reg.id in registry:
            continue
        gym.register(
            id=reg.id,
            entry_point=reg.entry_point,
            vector_entry_point=reg.vector_entry_point,
            max_episode_steps=reg.max_episode_steps,
            kwargs=dict(reg.kwargs),
        )
    return tuple(reg.id for reg in problem.registrations)


PROBLEMS: tuple[Problem, ...] = packaged_problems()
"""The problems this package ships."""

ENV_IDS: tuple[str, ...] = tuple(reg.id for p in PROBLEMS for reg in p.registrations)
"""Every id this package registers."""


def register_envs() -> None:
    """Register the ids of every packaged problem with Gymnasium (idempotent)."""
    for problem in PROBLEMS:
        register_problem(problem)
