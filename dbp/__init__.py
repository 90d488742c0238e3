"""DirectBackprop: neural ordering policies trained through the differentiable dynamics.

>>> from dbp import TrainConfig, train
>>> result = train(("LostSalesLeadTime-v0", {"lead_time": 2}), "mlp",
...                TrainConfig(max_seconds=30))                     # doctest: +SKIP
>>> result.policy.save("runs/l2")                                   # doctest: +SKIP

See :mod:`dbp.trainer` for the method, :mod:`dbp.policies` for the networks and
:mod:`dbp.structure` for the structural penalties.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so that reading the configuration
# (``from dbp import TrainConfig``, as the command line does to show its defaults) does not
# import torch.
_EXPORTS = {
    "TrainConfig": "dbp.config",
    "KINDS": "dbp.kinds",
    "check_fits": "dbp.kinds",
    "PolicySpec": "dbp.policies",
    "build_policy": "dbp.policies",
    "Instance": "dbp.rollout",
    "Simulator": "dbp.rollout",
    "resolve_instances": "dbp.rollout",
    "DBPPolicy": "dbp.trained",
    "is_saved_policy": "dbp.trained",
    "load": "dbp.trained",
    "Progress": "dbp.trainer",
    "TrainResult": "dbp.trainer",
    "make_spec": "dbp.trainer",
    "train": "dbp.trainer",
    "validate": "dbp.trainer",
}

if TYPE_CHECKING:
    from dbp.config import TrainConfig
    from dbp.kinds import KINDS, check_fits
    from dbp.policies import PolicySpec, build_policy
    from dbp.rollout import Instance, Simulator, resolve_instances
    from dbp.trained import DBPPolicy, is_saved_policy, load
    from dbp.trainer import Progress, TrainResult, make_spec, train, validate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dbp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "KINDS",
    "DBPPolicy",
    "Instance",
    "PolicySpec",
    "Progress",
    "Simulator",
    "TrainConfig",
    "TrainResult",
    "build_policy",
    "check_fits",
    "is_saved_policy",
    "load",
    "make_spec",
    "resolve_instances",
    "train",
    "validate",
]
