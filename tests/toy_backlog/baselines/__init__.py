"""The toy problem's baselines: an (s, S) policy fitted by simulation, and the exact optimum
(:mod:`.solver`). The shared registry finds them through ``Problem.baselines_package``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from baselines.fitting import DEFAULT_FIT_CONFIG, FitConfig, Objective, coordinate_search
from inventory_gym import make_instance
from toy_backlog.problem import ENV_ID, PROBLEM, ToyBacklogParams


@dataclass(frozen=True)
class SS:
    """Order up to ``S`` when the net inventory is at or below ``s``, else nothing."""

    instance_params: ToyBacklogParams
    s: int
    S: int
    name: str = "s_S"

    def params(self) -> dict[str, int]:
        return {"s": self.s, "S": self.S}

    def __call__(self, obs: Any) -> np.ndarray:
        p = self.instance_params
        x = PROBLEM.parts(np.asarray(obs, dtype=np.float64), p)["inventory"]
        return np.where(x <= self.s, np.clip(self.S - x, 0.0, p.max_order), 0.0)


def fit_s_S(
    env_id: str = ENV_ID,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> SS:
    """Best ``(s, S)`` by simulation on the fitting paths (integer coordinate search)."""
    params = make_instance(env_id, env_kwargs).params
    mean = params.demand.mean

    def build(x: tuple[int, int]) -> SS:
        return SS(params, x[0] - 5, max(x[0] - 5, x[0] - 5 + x[1]))

    with Objective(build, env_id, env_kwargs, config, desc="fit_s_S") as objective:
        x, _ = coordinate_search(objective, (int(mean) + 5, int(mean) + 2), (0, 0), (40, 20))
    return build(x)


def policies() -> list[Any]:
    """The toy problem's named policies, in the order the comparison lists them."""
    from baselines.registry import PolicyEntry
    from toy_backlog.baselines import solver

    return [
        PolicyEntry("optimal", PROBLEM.name, solver.fit_optimal, "exact average-cost DP", True),
        PolicyEntry("s_S", PROBLEM.name, fit_s_S, "(s, S) fitted by simulation"),
    ]
