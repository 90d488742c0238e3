"""A complete toy problem defined outside the package, to prove that a new problem touches only
its own files: periodic review with backlog, a one-period lead time and a fixed order cost.

Nothing in ``inventory_gym``, ``baselines``, ``dbp`` or the command line knows it: the tests
register it (:func:`inventory_gym.register_problem`) and the shared code finds its kernel,
state layout, conformance cases, heuristics and exact solver through the problem's name and
its ``baselines_package`` (``toy_backlog.baselines``).
"""

from toy_backlog.problem import PROBLEM, ToyBacklogEnv, ToyBacklogParams, ToyBacklogVectorEnv

__all__ = ["PROBLEM", "ToyBacklogEnv", "ToyBacklogParams", "ToyBacklogVectorEnv"]
