"""Policy names for the command line and the comparison: each maps to a fitting function.

Each problem declares its named policies in its own baselines package (``policies()`` in
``baselines/<problem>/__init__.py``, see :mod:`baselines.problems`); this module finds them by
the problem's name and holds no table of problems.

A fitting function has the signature ``fit(env_id, env_kwargs, config) -> policy`` (see
:class:`baselines.fitting.FitConfig`); the policy is a batched callable that the evaluation
harness (:mod:`inventory_gym.evaluation`) scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from baselines.fitting import DEFAULT_FIT_CONFIG, FitConfig
from baselines.problems import declared
from inventory_gym.core.instance import make_instance


@dataclass(frozen=True)
class PolicyEntry:
    """One named policy of one problem."""

    name: str
    problem: str
    """The problem it applies to (``Problem.name``, e.g. ``"lost_sales"``)."""
    fit: Callable[..., Any]
    """``fit(env_id, env_kwargs, config) -> policy``."""
    summary: str
    """One line for ``inventory-gym list``."""
    optimal: bool = False
    """The exact optimum (the reference of the gaps)."""


def entries(problem: Any) -> dict[str, PolicyEntry]:
    """The named policies of a problem, in the order the comparison lists them.

    Args:
        problem: a :class:`~inventory_gym.core.problem.Problem` (or, for the problems this
            package ships, its name); its baselines package declares them in ``policies()``
            (see :mod:`baselines.problems`).
    """
    if isinstance(problem, str):
        problem = _Named(problem)
    declare = declared(problem, "policies")
    if declare is None:
        return {}
    return {entry.name: entry for entry in declare()}


@dataclass(frozen=True)
class _Named:
    """A problem known by its name only (the packaged problems' baselines are found by it)."""

    name: str


def problem_of(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """The problem name of an env id (``"lost_sales"``...)."""
    return make_instance(env_id, env_kwargs).problem.name


def fit_policy(
    name: str,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> Any:
    """Fit the named policy on an instance.

    Raises:
        ValueError: for a name the env's problem does not offer (the message lists them).
    """
    found = make_instance(env_id, env_kwargs)
    known = entries(found.problem)
    if name not in known:
        raise ValueError(
            f"policy {name!r} is not available for {found.env_id} ({found.problem.name}); "
            f"choose from: {', '.join(known) or 'none'}"
        )
    return known[name].fit(found.env_id, found.kwargs, config)
