"""How the shared baselines code finds what a problem declares, by the problem's name.

A problem's baselines live in one package, ``baselines.<problem.name>`` by default (a problem
defined elsewhere, a test's toy problem for instance, names its own package in
``Problem.baselines_package``). The shared code (the policy registry, the exact-solver
interface, the command line, the benchmarks) imports the modules of that package by name and
reads what they declare; it holds no table of problems:

- ``<package>/__init__.py``: ``policies() -> list[PolicyEntry]``, the named heuristics (and
  the exact optimum) of the problem, in the order the comparison lists them;
- ``<package>/solver.py``: ``SOLVER``, the problem's :class:`baselines.exact.ExactSolver`.

A missing package or module means "nothing declared" (a problem may have no heuristics or no
exact solver); an import error inside one is raised, never hidden.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any


def package_of(problem: Any) -> str:
    """The baselines package of a problem (a :class:`~inventory_gym.core.problem.Problem`)."""
    declared = getattr(problem, "baselines_package", None)
    return declared or f"baselines.{problem.name}"


def find_module(problem: Any, module: str | None = None) -> ModuleType | None:
    """Import ``<package>`` (``module=None``) or ``<package>.<module>`` of a problem, or return
    ``None`` when it does not exist. Errors raised while importing an existing module propagate.
    """
    name = package_of(problem)
    if module:
        name = f"{name}.{module}"
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # the parent package itself is missing
        return None
    if spec is None:
        return None
    return importlib.import_module(name)


def declared(problem: Any, attribute: str, module: str | None = None, default: Any = None) -> Any:
    """The value of ``attribute`` in the problem's ``module`` (see :func:`find_module`), or
    ``default`` when the module or the attribute does not exist."""
    found = find_module(problem, module)
    if found is None:
        return default
    return getattr(found, attribute, default)
