"""DirectBackprop: neural ordering policies trained through the differentiable dynamics.

>>> from dbp import TrainConfig, train
>>> result = train(("LostSalesLeadTime-v0", {"lead_time": 2}), "mlp",
...                TrainConfig(max_seconds=30))                     # doctest: +SKIP
>>> result.policy.save("runs/l2")                                   # doctest: +SKIP

See :mod:`dbp.trainer` for the method, :mod:`dbp.policies` for the networks and
:mod:`dbp.structure` for the structural penalties.
"""

from dbp.config import TrainConfig
from dbp.policies import KINDS, PolicySpec, build_policy
from dbp.rollout import Instance, Simulator, resolve_instances
from dbp.trained import DBPPolicy, is_saved_policy, load
from dbp.trainer import Progress, TrainResult, make_spec, train, validate

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
    "is_saved_policy",
    "load",
    "make_spec",
    "resolve_instances",
    "train",
    "validate",
]
