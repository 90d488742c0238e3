"""The one evaluation harness every method is scored by.

A *policy* is any batched callable from observations to orders: ``policy(obs)`` takes a
(B, obs_dim) array of the env's observations and returns a (B,) or (B, action_dim) array of
orders. Heuristics, DP policy tables, DirectBackprop networks and stable-baselines3 models
all reach the harness through that one interface. A policy may declare two optional
attributes:

- ``continuous_orders = True``: never round its orders (a constant order of 4.6 units is a
  different policy from one of 5);
- ``env_options``: a dict of observation options the policy needs from the env (for example
  ``{"demand_window": 32}`` for a network that reads the demand history);
- ``reset()``: called at the start of every evaluation, for a policy that keeps a clock (a
  finite-horizon DP's tables, one per period: every row of the batch is in the same period).

:func:`evaluate` runs a policy on ``num_paths`` independent demand paths of ``burn_in +
periods`` periods on the native batched core (one kernel call per period for all paths) and
averages the cost of the ``periods`` after the burn-in. Common random numbers: demand does not
depend on the orders, so two evaluations with the same ``seed`` (and env) see exactly the same
demand paths, and :func:`compare` turns the per-path costs of two such evaluations into a
paired interval on their difference, far tighter than the two intervals apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from inventory_gym.core.instance import Instance, make_instance
from inventory_gym.core.shell import OBSERVATION_OPTIONS
from inventory_gym.core.validation import check_int, jsonable

_OWNER = "evaluate"

Policy = Callable[[Any], Any]
"""A batched policy: observations (B, obs_dim) -> orders (B,) or (B, action_dim)."""


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`: one policy on one instance and one set of paths.

    ``cost`` is the mean over paths of each path's average cost per period after the burn-in
    (or of its discounted cost when ``discount`` is set); ``stderr`` and ``ci95`` describe the
    spread of that mean over the independent paths.
    """

    policy: str
    """Name of the policy."""
    env_id: str
    """The registered env id."""
    env_kwargs: dict[str, Any]
    """Keyword overrides of the env (as given, plus the policy's ``env_options``)."""
    cost: float
    """Mean cost per period after the burn-in (discounted cost of the periods when
    ``discount`` is set), averaged over paths."""
    stderr: float
    """Standard error of ``cost`` over the paths."""
    ci95: tuple[float, float]
    """95% confidence interval of ``cost`` (Student t over the paths)."""
    num_paths: int
    periods: int
    burn_in: int
    seed: int
    discount: float | None
    integer_orders: bool
    """Whether the orders were rounded to the nearest integer."""
    breakdown: dict[str, float]
    """Mean per period of each cost component (undiscounted)."""
    metrics: dict[str, float]
    """Service and operations metrics, per period: ``fill_rate`` (units sold / demand, when
    the problem has sales), the mean of every flow (``sales``, ``lost``, ``held`` = units on
    hand at the end of a period...), ``order_mean``, ``order_std`` (over periods, averaged over
    paths) and ``bullwhip`` (variance of orders / variance of demand)."""
    path_costs: np.ndarray = field(repr=False)
    """Each path's cost (the quantity averaged in ``cost``), shape (num_paths,)."""

    @property
    def relative_stderr(self) -> float:
        """``stderr / |cost|``."""
        return self.stderr / abs(self.cost) if self.cost else math.inf

    def gap(self, optimum: float) -> float:
        """Relative gap to a known optimal cost, in percent."""
        return 100.0 * (self.cost - optimum) / abs(optimum)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the per-path costs)."""
        out = asdict(self)
        out.pop("path_costs")
        out["ci95"] = list(self.ci95)
        out["env_kwargs"] = {k: jsonable(v) for k, v in self.env_kwargs.items()}
        return out

    def __str__(self) -> str:
        low, high = self.ci95
        kind = "discounted cost" if self.discount is not None else "cost/period"
        return (
            f"{self.policy}: {kind} {self.cost:.4f} ± {self.stderr:.4f} "
            f"(95% CI {low:.4f}..{high:.4f}, {self.num_paths} paths x {self.periods} periods)"
        )


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of two evaluations on the same demand paths: ``a - b``."""

    a: str
    b: str
    difference: float
    """Mean over paths of (cost of a - cost of b)."""
    stderr: float
    ci95: tuple[float, float]
    relative: float
    """``difference / cost of b``, in percent."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci95"] = list(self.ci95)
        return out

    def __str__(self) -> str:
        low, high = self.ci95
        return (
            f"{self.a} - {self.b}: {self.difference:+.4f} ± {self.stderr:.4f} "
            f"(95% CI {low:+.4f}..{high:+.4f}; {self.relative:+.2f}%)"
        )


def _interval(values: np.ndarray) -> tuple[float, float, tuple[float, float]]:
    n = values.shape[0]
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, (math.nan, math.nan)
    se = float(values.std(ddof=1) / math.sqrt(n))
    from scipy import stats  # on use: it takes over a second to import

    half = float(stats.t.ppf(0.975, n - 1)) * se
    return mean, se, (mean - half, mean + half)


def policy_name(policy: Any) -> str:
    """A readable name for a policy: its ``name`` attribute, else its repr or function name."""
    name = getattr(policy, "name", None)
    if isinstance(name, str):
        return name
    return getattr(policy, "__name__", None) or type(policy).__name__


def make_eval_env(
    env_id: str,
    num_paths: int,
    horizon: int,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    backend: str = "numpy",
    device: Any = None,
) -> Any:
    """The native vector env the harness runs: ``num_paths`` rows, no autoreset.

    Its demand is drawn with the model's own sampler (``demand_sampler="model"``), not the
    vector env's faster table: the same law, and the demand paths of a seed stay those that
    every published figure of the harness was computed on."""
    try:
        return gym.make_vec(
            env_id,
            num_envs=num_paths,
            vectorization_mode="vector_entry_point",
            max_episode_steps=horizon,
            autoreset_mode="Disabled",
            backend=backend,
            device=device,
            demand_sampler="model",
            **dict(env_kwargs or {}),
        )
    except gym.error.Error as err:
        raise ValueError(f"{_OWNER}: env_id {env_id!r}: {err}") from None


def integer_demand(env: Any) -> bool:
    """Whether the env's demand takes integer values only."""
    return bool(env.unwrapped.params.demand.is_integer)


def evaluate(
    policy: Policy,
    env_id: str | Instance = "LostSalesLeadTime-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    num_paths: int = 1000,
    periods: int = 1000,
    burn_in: int = 100,
    seed: int = 0,
    discount: float | None = None,
    integer_orders: bool | None = None,
    backend: str = "numpy",
    device: Any = None,
    name: str | None = None,
    progress: bool = False,
) -> Evaluation:
    """Evaluate a batched policy on a registered env over common random demand paths.

    Args:
        policy: observations (B, obs_dim) -> orders (B,) or (B, action_dim); see the module
            docstring for its optional attributes.
        env_id: a registered id, e.g. ``"LostSalesLeadTime-v0"``, or an
            :class:`~inventory_gym.core.instance.Instance` (its keywords come first).
        env_kwargs: keyword overrides for the env (``lead_time=1``, ``demand="geometric(5)"``,
            observation options...).
        num_paths: independent demand paths (batch rows); the standard error is over them.
        periods: periods averaged per path, after the burn-in.
        burn_in: periods simulated first and discarded (from the env's starting state).
        seed: seed of the demand paths; the same seed gives the same paths to every policy.
        discount: if given, ``cost`` is the discounted cost ``sum_k discount^k cost_k`` of the
            ``periods`` periods after the burn-in (k = 0 at the first one), not the average.
        integer_orders: round orders to the nearest integer. ``None`` (default): round when
            the demand is integer-valued, unless the policy declares
            ``continuous_orders = True``.
        backend: ``"numpy"`` (the policy gets numpy arrays) or ``"torch"`` (torch tensors on
            ``device``, for policies that run on a GPU).
        device: torch device with ``backend="torch"``.
        name: the policy's name in the result (default: :func:`policy_name`).
        progress: show a progress bar over the periods.

    Returns:
        An :class:`Evaluation`.

    Raises:
        ValueError: for a bad argument (named with its value), an unknown env id or bad env
            keyword, or a policy that returns actions of the wrong shape or non-finite ones.
    """
    check_int(_OWNER, "num_paths", num_paths, low=1)
    check_int(_OWNER, "periods", periods, low=1)
    check_int(_OWNER, "burn_in", burn_in, low=0)
    check_int(_OWNER, "seed", seed)
    if discount is not None and not (
        isinstance(discount, (int, float)) and 0.0 < float(discount) <= 1.0
    ):
        raise ValueError(f"{_OWNER}: discount must be in (0, 1] or None, got {discount!r}")
    if integer_orders not in (None, True, False):
        raise ValueError(
            f"{_OWNER}: integer_orders must be True, False or None, got {integer_orders!r}"
        )
    if isinstance(env_id, Instance):
        env_kwargs = {**env_id.kwargs, **dict(env_kwargs or {})}
        env_id = env_id.env_id
    kwargs = dict(getattr(policy, "env_options", None) or {})
    kwargs.update(env_kwargs or {})
    horizon = burn_in + periods
    env = make_eval_env(env_id, num_paths, horizon, kwargs, backend=backend, device=device)
    base = env.unwrapped
    if integer_orders is None:
        integer_orders = integer_demand(env) and not getattr(policy, "continuous_orders", False)
    to_numpy = _to_numpy if backend == "torch" else np.asarray
    round_orders = _rounder(backend) if integer_orders else None

    obs, _ = env.reset(seed=seed)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset()
    sums: dict[str, np.ndarray] = {}
    path_cost = np.zeros(num_paths)
    order_sq = np.zeros(num_paths)
    demand_sq = np.zeros(num_paths)
    weight = 1.0
    steps = range(horizon)
    if progress:
        from inventory_gym.progress import bar as tqdm

        steps = tqdm(steps, desc=name or policy_name(policy), unit="period", leave=False)
    for t in steps:
        actions = policy(obs)
        if round_orders is not None:
            actions = round_orders(actions)
        obs, _reward, _, _, info = env.step(actions)
        if t < burn_in:
            continue
        cost = to_numpy(info["cost"])
        if discount is None:
            path_cost += cost
        else:
            path_cost += weight * cost
            weight *= discount
        values = {k: to_numpy(v) for k, v in info.items() if not k.startswith("_") and k != "cost"}
        for key, value in values.items():
            if value.ndim == 2:  # several decisions: one sum per column
                for j in range(value.shape[1]):
                    _accumulate(sums, f"{key}_{j + 1}", value[:, j])
            else:
                _accumulate(sums, key, value)
        order = values["order"]
        order_sq += (order if order.ndim == 1 else order.sum(axis=1)) ** 2
        demand_sq += values["demand"] ** 2
    env.close()

    if discount is None:
        path_cost /= periods
    cost, se, ci = _interval(path_cost)
    means = {key: value / periods for key, value in sums.items()}
    cost_names = _cost_names(base)
    breakdown = {key: float(means[key].mean()) for key in cost_names if key in means}
    metrics = {key: float(value.mean()) for key, value in means.items() if key not in cost_names}
    if "sales" in means and "demand" in means:
        metrics["fill_rate"] = float(sums["sales"].sum() / max(sums["demand"].sum(), 1e-12))
    order_mean = (
        means["order"]
        if "order" in means
        else sum(v for k, v in means.items() if k.startswith("order_"))
    )
    order_var = np.maximum(order_sq / periods - order_mean**2, 0.0)
    demand_var = np.maximum(demand_sq / periods - means["demand"] ** 2, 0.0)
    metrics["order_mean"] = float(np.mean(order_mean))
    metrics["order_std"] = float(np.sqrt(order_var).mean())
    metrics["bullwhip"] = float(order_var.mean() / max(demand_var.mean(), 1e-12))
    metrics.pop("order", None)
    return Evaluation(
        policy=name or policy_name(policy),
        env_id=env_id,
        env_kwargs=kwargs,
        cost=cost,
        stderr=se,
        ci95=ci,
        num_paths=num_paths,
        periods=periods,
        burn_in=burn_in,
        seed=seed,
        discount=None if discount is None else float(discount),
        integer_orders=bool(integer_orders),
        breakdown=breakdown,
        metrics=metrics,
        path_costs=path_cost,
    )


def _accumulate(sums: dict[str, np.ndarray], key: str, value: np.ndarray) -> None:
    if key in sums:
        sums[key] += value
    else:
        sums[key] = np.array(value, dtype=np.float64)


def _to_numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy().astype(np.float64)


def _rounder(backend: str) -> Callable[[Any], Any]:
    if backend == "torch":
        import torch

        return lambda a: torch.round(torch.as_tensor(a))
    return lambda a: np.rint(np.asarray(a, dtype=np.float64))


def _cost_names(env: Any) -> tuple[str, ...]:
    """Names of the cost components of the env's problem (from one kernel call)."""
    problem, params = env.problem, env.params
    state = problem.initial_state(params, 1, np)
    zero = np.zeros(1)
    action = zero if problem.action_dim == 1 else (zero,) * problem.action_dim
    _, costs, _ = problem.transition(state, action, zero, params, np)
    return tuple(costs._fields)


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    """Paired comparison ``a - b`` of two evaluations on the same demand paths.

    Raises:
        ValueError: when the two evaluations did not run on the same env, paths and horizon
            (then they are not paired and their difference has no paired interval).
    """
    keys = ("env_id", "num_paths", "periods", "burn_in", "seed", "discount")
    differ = [k for k in keys if getattr(a, k) != getattr(b, k)]
    if _params_kwargs(a.env_kwargs) != _params_kwargs(b.env_kwargs):
        differ.append("env_kwargs")
    elif _window(a) != _window(b) and not _stationary(a):
        # The episode starts at demand period ``demand_window``: under demand that changes
        # over time, two windows put the policies in different periods of the season.
        raise ValueError(
            "compare: the evaluations are not paired (demand_window: "
            f"{_window(a)} vs {_window(b)}, and the demand changes over time, so each policy's "
            "episode starts at its own demand period); evaluate both with the same "
            "demand_window (a policy that reads fewer periods can ignore the oldest ones)"
        )
    if differ:
        detail = ", ".join(f"{k}: {getattr(a, k)!r} vs {getattr(b, k)!r}" for k in differ)
        raise ValueError(f"compare: the evaluations are not paired ({detail})")
    mean, se, ci = _interval(a.path_costs - b.path_costs)
    return Comparison(a.policy, b.policy, mean, se, ci, 100.0 * mean / abs(b.cost))


def _window(ev: Evaluation) -> int:
    return int(ev.env_kwargs.get("demand_window", 0) or 0)


def _stationary(ev: Evaluation) -> bool:
    """Whether the evaluations' demand ignores the clock (then the draws of every period are
    the same whatever the window, and evaluations with different windows stay paired)."""
    demand = getattr(
        make_instance(ev.env_id, _dynamics_kwargs(ev.env_kwargs)).params, "demand", None
    )
    return bool(getattr(demand, "is_stationary", True))


def _dynamics_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The env keywords that change the dynamics (observation options do not)."""
    return {k: v for k, v in kwargs.items() if k not in OBSERVATION_OPTIONS}


def _params_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_dynamics_kwargs` as strings, for comparing two evaluations' instances."""
    return {k: str(v) for k, v in _dynamics_kwargs(kwargs).items()}


def evaluate_many(
    policies: Mapping[str, Policy],
    env_id: str = "LostSalesLeadTime-v0",
    env_kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> dict[str, Evaluation]:
    """Evaluate several policies on the same demand paths (same ``seed``); ``options`` are
    those of :func:`evaluate`."""
    return {
        label: evaluate(policy, env_id, env_kwargs, name=label, **options)
        for label, policy in policies.items()
    }


def instance(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """The ``(problem, params)`` of a registered env id with keyword overrides (see
    :func:`inventory_gym.make_instance`, which returns the whole instance as a value).

    Raises:
        ValueError: for an unknown id, a bad keyword or value.
    """
    found = make_instance(env_id, env_kwargs)
    return found.problem, found.params


def instance_params(
    owner: str, env_id: str, env_kwargs: Mapping[str, Any] | None, problem: str
) -> Any:
    """The params of :func:`instance`, checked to belong to ``problem`` (``Problem.name``).

    Raises:
        ValueError: naming ``owner`` when the env is another problem (or as :func:`instance`).
    """
    found, params = instance(env_id, env_kwargs)
    if found.name != problem:
        wanted = problem.replace("_", " ")
        raise ValueError(f"{owner}: {env_id} is a {found.name!r} problem, not {wanted}")
    return params
