"""inventory-gym: Gymnasium environments, differentiable dynamics and baselines for inventory
control. Importing the package registers the environment ids with Gymnasium."""

from inventory_gym.core.instance import Instance, make_instance, problem_of
from inventory_gym.registration import ENV_IDS, PROBLEMS, register_envs, register_problem

register_envs()

__version__ = "0.1.0"
__all__ = [
    "ENV_IDS",
    "PROBLEMS",
    "Instance",
    "__version__",
    "make_instance",
    "problem_of",
    "register_envs",
    "register_problem",
]
