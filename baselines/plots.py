"""Pictures of policies and of simulated trajectories, for any problem (matplotlib: ``plot``).

Three pictures, each a function returning a matplotlib ``Figure`` (drawn without pyplot, so
that nothing global is touched; in a notebook, show one by leaving it last in a cell):

- :func:`plot_policy`: the decision over two state components with the others fixed, as a
  heatmap with the numbers in the cells (the way De Moor et al. show the optimal orders of a
  perishable product by the stock of each age), one panel per decision, beside the exact
  optimum and the difference when asked;
- :func:`plot_policy_slice`: the decisions of several policies along one state component, on
  one axis per decision;
- :func:`plot_trajectory`: one simulated episode: stock (on hand, inventory position, orders
  in transit), each decision, demand with the units sold and lost (or backlogged, expired,
  removed), and the cost of each period by component, on shared time axes.

What is drawn is computed by functions that return arrays (:func:`decision_grid`, and
:func:`policy_grids` for several policies on the same states; :func:`simulate_trajectory`), so
that it can be tested; :func:`draw_policy` and :func:`draw_policy_slice` draw grids already
computed (the command line prints them as JSON too). State components are the observation's
columns named by the problem's state layout (``on_hand``, ``pipeline_1``, ``stock_2``...,
:meth:`~inventory_gym.core.problem.Problem.state_feature_names`, and ``demand_lag_k`` when the
observation holds a demand window), never column numbers. The decisions are those the env
carries out: clipped to the action bounds of the state and, with integer demand, rounded as
the evaluation harness rounds them (unless the policy declares ``continuous_orders``).

Nothing here knows a problem by name: the default axes are the first two state components
(on hand and the first order in transit for lost sales, the two youngest ages of a perishable
stock, on hand and the periods left of a season), the other components are fixed at their
median along simulated paths of the policies drawn, and the axes span the states those paths
visit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inventory_gym.core.instance import Instance, make_instance
from inventory_gym.core.render import import_matplotlib
from inventory_gym.core.shell import action_box, make_layout, prepare_actions
from inventory_gym.evaluation import make_eval_env, policy_name

_OWNER = "plots"

MAX_CELLS = 16
"""The most cells along one axis of a heatmap (a wider range of states is sampled with a
step), so that the numbers in the cells stay readable."""

MAX_POINTS = 41
"""The most points along the axis of a slice."""

TYPICAL_PATHS = 32
"""Simulated paths that find the typical states (axis ranges and fixed values)."""
TYPICAL_PERIODS = 300
"""Periods per path, after :data:`TYPICAL_BURN_IN`, that find the typical states."""
TYPICAL_BURN_IN = 100
"""Periods discarded first (the starting state is rarely typical)."""
TYPICAL_QUANTILES = (0.01, 0.99)
"""The range of an axis: these quantiles of the component along the simulated paths (from the
smallest value visited unless it is an outlier far below the first)."""

_DIVERGING = "RdBu_r"
_SEQUENTIAL = "YlGnBu"


# -- components -----------------------------------------------------------------------------


def _instance(env: str | Instance, env_kwargs: Mapping[str, Any] | None) -> Instance:
    return make_instance(env, dict(env_kwargs or {}))


def _with_options(inst: Instance, policies: Sequence[Any]) -> Instance:
    """The instance with the observation options the policies ask for (``env_options``)."""
    options: dict[str, Any] = {}
    for policy in policies:
        options.update(getattr(policy, "env_options", None) or {})
    extra = {k: v for k, v in options.items() if inst.kwargs.get(k) != v}
    return inst.with_kwargs(**extra) if extra else inst


def components(env: str | Instance, env_kwargs: Mapping[str, Any] | None = None) -> tuple:
    """The names of the components of an instance's observation that a picture can vary or
    fix: the state's columns, then ``demand_lag_k`` when the observation holds a demand
    window (the static features, constants of the instance, are not components)."""
    inst = _instance(env, env_kwargs)
    layout = make_layout(inst.problem, inst.params, inst.shell)
    n = inst.state_dim + inst.shell.demand_window
    return tuple(layout.feature_names[:n])


def default_axes(env: str | Instance, env_kwargs: Mapping[str, Any] | None = None) -> tuple:
    """``(x, y)``: the first two state components (``y`` is None when the state has one)."""
    inst = _instance(env, env_kwargs)
    names = inst.problem.state_feature_names(inst.params)
    return names[0], (names[1] if len(names) > 1 else None)


def _check_component(flag: str, name: str, names: Sequence[str], inst: Instance) -> int:
    if name not in names:
        raise ValueError(
            f"{flag}: {inst.env_id} has no state component {name!r}; its components are "
            f"{', '.join(names)}"
        )
    return list(names).index(name)


def component_label(env: str | Instance, name: str, env_kwargs: Mapping | None = None) -> str:
    """An axis label for a component, with its units: ``"pipeline_1: in transit, arrives in
    1 period (units)"``, from the problem's state layout."""
    inst = _instance(env, env_kwargs)
    if name.startswith("demand_lag_"):
        lag = int(name.rsplit("_", 1)[1])
        return f"{name}: demand {lag} period{'s' if lag > 1 else ''} ago (units)"
    for part in inst.problem.state_parts(inst.params):
        columns = part.column_names()
        if name not in columns:
            continue
        j = columns.index(name)
        if part.kind == "pipeline":
            when = "next period" if j == 0 else f"in {j + 1} periods"
            return f"{name}: in transit, arrives {when} (units)"
        if part.kind == "other":
            doc = part.doc.split("(")[0].split(";")[0].strip().rstrip(",")
            return f"{name}: {doc}" if doc else name
        text = part.labels[j] if part.labels else name.replace("_", " ")
        return f"{name}: {text} (units)" if part.labels else f"{text} (units)"
    return name


def decision_label(name: str) -> str:
    """A label for a decision (an action name), with its units."""
    return f"{name.replace('_', ' ')} (units)"


# -- decisions of a policy on built observations --------------------------------------------


def observations(
    env: str | Instance,
    values: Mapping[str, Any],
    env_kwargs: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """A batch of observations with the given component values (each a number or a (B,)
    array; a component not given is 0), the static features filled in: what a policy is
    asked about in a picture.

    Raises:
        ValueError: for a name that is not a component (the message lists them).
    """
    inst = _instance(env, env_kwargs)
    names = components(inst)
    layout = make_layout(inst.problem, inst.params, inst.shell)
    columns = {}
    for name, value in values.items():
        _check_component("observations", name, names, inst)
        columns[name] = np.asarray(value, dtype=np.float64).reshape(-1)
    batch = max([c.size for c in columns.values()] + [1])
    obs = np.zeros((batch, len(layout.feature_names)), dtype=np.float64)
    for name, column in columns.items():
        obs[:, names.index(name)] = column
    if layout.static_row.size:
        obs[:, len(names) :] = layout.static_row
    return obs


def integer_decisions(policy: Any, inst: Instance) -> bool:
    """Whether the harness rounds the policy's decisions (integer demand, and the policy does
    not declare ``continuous_orders``)."""
    return bool(inst.params.demand.is_integer) and not getattr(policy, "continuous_orders", False)


def decisions(
    policy: Any,
    env: str | Instance,
    obs: np.ndarray,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    period: int = 0,
    integer: bool | None = None,
) -> np.ndarray:
    """The decisions the env carries out when the policy sees ``obs``: (B, action_dim),
    clipped to the bounds of each state and rounded like the harness rounds them.

    Args:
        policy: a batched policy (observations -> orders).
        env: the env id or instance.
        obs: (B, n) observations (:func:`observations`).
        period: for a policy that keeps a clock (``reset()``: one table per period), the
            period asked about: the policy is reset and called ``period`` times first.
        integer: round (None: :func:`integer_decisions`).
    """
    inst = _instance(env, env_kwargs)
    problem, params = inst.problem, inst.params
    obs = np.asarray(obs, dtype=np.float64)
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset()
        for _ in range(int(period)):
            policy(obs)
    raw = np.asarray(_to_numpy(policy(obs)), dtype=np.float64)
    batch = obs.shape[0]
    if raw.ndim == 2 and raw.shape[1] == 1 and problem.action_dim == 1:
        raw = raw[:, 0]
    state = problem.observe_state(obs, params)
    high = np.asarray(problem.action_high(params), dtype=np.float64)
    box = action_box(np.zeros_like(high), high)
    if integer is None:
        integer = integer_decisions(policy, inst)
    return np.asarray(
        prepare_actions(raw, problem, params, state, box, np, batch=batch, integer=integer)
    )


def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def _off_grid(policy: Any, obs: np.ndarray, period: int) -> np.ndarray | None:
    """A mask of the observations a table policy was not built for (its lookup clips them
    onto its grid's border), or None for a policy that is not a table."""
    grid = getattr(policy, "grid", None)
    if grid is None or not hasattr(grid, "locate"):
        return None
    try:
        if hasattr(policy, "clock"):
            state = grid.read(obs, period)
        else:
            state = grid.read(obs)
        _, inside = grid.locate(state)
    except (TypeError, ValueError):
        return None
    return ~np.asarray(inside, dtype=bool)


@dataclass(frozen=True, eq=False)
class DecisionGrid:
    """A policy's decisions over a grid of states (what :func:`plot_policy` draws)."""

    env_label: str
    """The instance (``env_id`` and its keyword overrides)."""
    policy: str
    """The policy's name."""
    x: str
    """The component along the x axis."""
    y: str | None
    """The component along the y axis (None: a one-dimensional slice)."""
    x_values: np.ndarray
    y_values: np.ndarray | None
    fixed: dict[str, float]
    """Every other component and the value it is fixed at."""
    decisions: np.ndarray = field(repr=False)
    """Shape ``(len(y_values), len(x_values), d)`` (``(len(x_values), d)`` for a slice): the
    decisions carried out, NaN where a table policy was asked about a state off its grid."""
    action_names: tuple[str, ...]
    period: int = 0
    """The period asked about (policies with a clock)."""
    observations: np.ndarray = field(default=None, repr=False)
    """The observations the policy was asked about, row-major over the grid (y outer)."""

    def decision(self, name: str) -> np.ndarray:
        """The grid of one decision (by its action name)."""
        if name not in self.action_names:
            raise ValueError(f"no decision {name!r}; the decisions are {self.action_names}")
        return self.decisions[..., self.action_names.index(name)]


def typical_states(
    policies: Any | Sequence[Any],
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    paths: int = TYPICAL_PATHS,
    periods: int = TYPICAL_PERIODS,
    burn_in: int = TYPICAL_BURN_IN,
    seed: int = 0,
) -> np.ndarray:
    """The observations' components along simulated paths of the policies (stacked): what
    the axes' ranges and the fixed values are taken from. A problem whose episode is a
    season is simulated over whole seasons from its starting states, without a burn-in."""
    if not isinstance(policies, (list, tuple)):
        policies = [policies]
    inst = _with_options(_instance(env, env_kwargs), list(policies))
    season = inst.problem.season(inst.params)
    if season is not None:
        periods, burn_in = season, 0
    n = len(components(inst))
    out = []
    for policy in policies:
        for t, (obs, _, _) in enumerate(_rollout(policy, inst, paths, burn_in + periods, seed)):
            if t >= burn_in:
                out.append(obs[:, :n])
    return np.concatenate(out, axis=0)


def _rollout(policy: Any, inst: Instance, paths: int, horizon: int, seed: int):
    """Yield ``(obs, actions, info)`` of each period of the harness's simulation (numpy)."""
    env = make_eval_env(inst.env_id, paths, horizon, inst.kwargs)
    integer = integer_decisions(policy, inst)
    try:
        obs, _ = env.reset(seed=seed)
        reset = getattr(policy, "reset", None)
        if callable(reset):
            reset()
        for _ in range(horizon):
            obs = np.asarray(obs, dtype=np.float64)
            actions = np.asarray(_to_numpy(policy(obs)), dtype=np.float64)
            if integer:
                actions = np.rint(actions)
            next_obs, _, _, _, info = env.step(actions)
            yield obs, actions, info
            obs = next_obs
    finally:
        env.close()


def _axis_values(column: np.ndarray, integer: bool, most: int) -> np.ndarray:
    """The values along an axis: from the smallest state visited (or its 1% quantile when a
    few outliers lie far below) to the 99% quantile, at most ``most`` of them."""
    low, high = np.quantile(column, TYPICAL_QUANTILES)
    smallest = float(column.min())
    if low - smallest <= 0.5 * (high - low):
        low = smallest
    if integer:
        low, high = math.floor(low), math.ceil(high)
        if high <= low:
            high = low + 2
        step = max(1, math.ceil((high - low + 1) / most))
        return np.arange(low, high + 1, step, dtype=np.float64)
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, min(most, 11))


def _fixed_value(column: np.ndarray, integer: bool) -> float:
    value = float(np.median(column))
    return float(round(value)) if integer else round(value, 2)


def decision_grid(
    policy: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    x: str | None = None,
    y: str | None = None,
    fix: Mapping[str, float] | None = None,
    x_values: Sequence[float] | None = None,
    y_values: Sequence[float] | None = None,
    slice_only: bool = False,
    period: int = 0,
    typical: np.ndarray | None = None,
    name: str | None = None,
) -> DecisionGrid:
    """A policy's decisions over a grid of two components (or one: ``slice_only``, or a
    state with one component), the others fixed.

    Args:
        policy: a batched policy.
        env: the env id or instance (``env_kwargs``: keyword overrides).
        x, y: the components along the axes (default :func:`default_axes`).
        fix: values of other components (default: their median along simulated paths).
        x_values, y_values: the grid (default: the range the simulated paths visit, at most
            :data:`MAX_CELLS` values, integers when demand is).
        slice_only: vary ``x`` only.
        period: the period asked about, for a policy with a clock.
        typical: the states the defaults are taken from (default: :func:`typical_states` of
            the policy).
        name: the policy's name (default: its ``name``).

    Raises:
        ValueError: for an unknown component (the message lists them), a component both on
            an axis and fixed, or the same component on both axes.
    """
    inst = _with_options(_instance(env, env_kwargs), [policy])
    names = components(inst)
    default_x, default_y = default_axes(inst)
    x = x or default_x
    _check_component("x", x, names, inst)
    if slice_only:
        y = None
    elif y is None:
        y = default_y if default_y != x else next((n for n in names if n != x), None)
    if y is not None:
        _check_component("y", y, names, inst)
        if y == x:
            raise ValueError(f"x and y are both {x!r}: choose two different components")
    fix = dict(fix or {})
    for key in fix:
        _check_component("fix", key, names, inst)
        if key in (x, y):
            raise ValueError(f"fix: {key!r} is on an axis; fix only the other components")
    integer_state = bool(inst.params.demand.is_integer)
    need_typical = (
        x_values is None
        or (y is not None and y_values is None)
        or any(n not in fix for n in names if n not in (x, y))
    )
    if typical is None and need_typical:
        typical = typical_states(policy, inst)
    most = MAX_CELLS if y is not None else MAX_POINTS
    if x_values is None:
        x_values = _axis_values(typical[:, names.index(x)], integer_state, most)
    x_values = np.asarray(x_values, dtype=np.float64)
    if y is not None:
        if y_values is None:
            y_values = _axis_values(typical[:, names.index(y)], integer_state, most)
        y_values = np.asarray(y_values, dtype=np.float64)
    fixed = {}
    for n in names:
        if n in (x, y):
            continue
        fixed[n] = (
            float(fix[n]) if n in fix else _fixed_value(typical[:, names.index(n)], integer_state)
        )
    if y is None:
        values = {x: x_values, **fixed}
        shape: tuple[int, ...] = (x_values.size,)
    else:
        yy, xx = np.meshgrid(y_values, x_values, indexing="ij")
        values = {x: xx.ravel(), y: yy.ravel(), **fixed}
        shape = (y_values.size, x_values.size)
    obs = observations(inst, values)
    acts = decisions(policy, inst, obs, period=period)
    off = _off_grid(policy, obs, period)
    if off is not None and off.any():
        acts = acts.copy()
        acts[off] = np.nan
    d = inst.problem.action_dim
    return DecisionGrid(
        env_label=inst.label,
        policy=name or policy_name(policy),
        x=x,
        y=y,
        x_values=x_values,
        y_values=y_values,
        fixed=fixed,
        decisions=acts.reshape(*shape, d),
        action_names=tuple(inst.problem.action_names),
        period=int(period),
        observations=obs,
    )


# -- the exact optimum --------------------------------------------------------------------------


def optimal_policy(
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    discount: float | None = None,
    progress: bool = False,
) -> Any:
    """The exact optimal policy of an instance (its problem's solver in
    :mod:`baselines.exact`), as a table.

    Raises:
        ValueError: when the instance has no exact solution here (the message says why).
    """
    from baselines import exact

    inst = _instance(env, env_kwargs)
    reason = exact.unavailable(inst.problem, inst.params, discount)
    if reason is not None:
        raise ValueError(f"no exact optimum of {inst.label}: {reason}")
    solver = exact.solver(inst.problem)
    return solver.solve(inst.params, discount=discount, margin=0, progress=progress).policy()


def _policies(policies: Any) -> dict[str, Any]:
    if isinstance(policies, Mapping):
        return dict(policies)
    if not isinstance(policies, (list, tuple)):
        policies = [policies]
    out: dict[str, Any] = {}
    for policy in policies:
        label = policy_name(policy)
        while label in out:
            label += "'"
        out[label] = policy
    return out


def _against(against: Any, inst: Instance, discount: float | None) -> tuple[str, Any] | None:
    if against is None:
        return None
    if isinstance(against, str):
        if against != "optimal":
            raise ValueError(f"against: only 'optimal' is known by name, got {against!r}")
        return "optimal", optimal_policy(inst, discount=discount)
    return policy_name(against), against


# -- drawing --------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    _, Figure, FigureCanvasAgg = import_matplotlib()
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _fixed_text(fixed: Mapping[str, float], period: int, clock: bool) -> str:
    parts = [f"{k} = {_fmt(v)}" for k, v in fixed.items()]
    if clock:
        parts.append(f"period {period}")
    return "fixed: " + ", ".join(parts) if parts else "(no other state component)"


def _limits(values: Sequence[np.ndarray]) -> tuple[float, float]:
    """One colour scale for several panels of the same decision (so that equal colours mean
    equal decisions across the policies)."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return low, max(high, low + 1e-9)


def _heatmap(
    ax: Any,
    grid: DecisionGrid,
    values: np.ndarray,
    title: str,
    diff: bool,
    limits: tuple[float, float],
) -> Any:
    finite = values[np.isfinite(values)]
    if diff:
        span = max(float(np.abs(finite).max()) if finite.size else 0.0, 1.0)
        kwargs = dict(cmap=_DIVERGING, vmin=-span, vmax=span)
    else:
        kwargs = dict(cmap=_SEQUENTIAL, vmin=limits[0], vmax=limits[1])
    image = ax.imshow(
        np.ma.masked_invalid(values),
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        **kwargs,
    )
    ny, nx = values.shape
    size = 8 if max(nx, ny) <= 12 else 7 if max(nx, ny) <= 16 else 6
    norm, cmap = image.norm, image.cmap
    for i in range(ny):
        for j in range(nx):
            v = values[i, j]
            if not np.isfinite(v):
                continue
            r, g, b, _ = cmap(norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            text = (f"{v:+.0f}" if v else "0") if diff and float(v).is_integer() else _fmt(v)
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark else "black",
            )
    ax.set_xticks(np.arange(nx), [_fmt(v) for v in grid.x_values], fontsize=7)
    ax.set_yticks(np.arange(ny), [_fmt(v) for v in grid.y_values], fontsize=7)
    ax.set_title(title, fontsize=10)
    return image


@dataclass(frozen=True, eq=False)
class PolicyGrids:
    """The decision grids of several policies on one instance, on the same states (what
    :func:`draw_policy` and :func:`draw_policy_slice` draw; JSON-ready by :meth:`to_dict`)."""

    instance: Instance = field(repr=False)
    grids: dict[str, DecisionGrid]
    """Label -> the policy's grid (the optimum last, under its label, with ``against``)."""
    against: str | None = None
    """The label of the policy compared with (the optimum), if any."""
    clock: bool = False
    """Whether a policy keeps a clock (then the period asked about is stated)."""

    @property
    def first(self) -> DecisionGrid:
        return next(iter(self.grids.values()))

    def to_dict(self) -> dict[str, Any]:
        """The grids as JSON-ready values (decisions per label and action, ``null`` off a
        table's grid)."""
        first = self.first
        return {
            "env": self.instance.label,
            "x": first.x,
            "y": first.y,
            "x_values": first.x_values.tolist(),
            "y_values": None if first.y_values is None else first.y_values.tolist(),
            "fixed": dict(first.fixed),
            "period": first.period,
            "against": self.against,
            "decisions": {
                label: {action: _json_array(g.decision(action)) for action in g.action_names}
                for label, g in self.grids.items()
            },
        }


def _json_array(values: np.ndarray) -> list:
    """Nested lists of floats, ``None`` where a value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values.astype(object), None).tolist()


def policy_grids(
    policies: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    against: Any = None,
    x: str | None = None,
    y: str | None = None,
    fix: Mapping[str, float] | None = None,
    x_values: Sequence[float] | None = None,
    y_values: Sequence[float] | None = None,
    slice_only: bool = False,
    period: int = 0,
    discount: float | None = None,
) -> PolicyGrids:
    """One :func:`decision_grid` per policy (and the optimum with ``against``), on the same
    states: the axes' ranges and the fixed values come from simulated paths of all of them.

    Args:
        policies: a policy, a list of policies, or a mapping label -> policy.
        env: the env id or instance (``env_kwargs``: keyword overrides).
        against: ``"optimal"`` (solve the instance exactly, :func:`optimal_policy`) or a
            policy to compare with.
        x, y, fix, x_values, y_values, slice_only, period: see :func:`decision_grid`.
        discount: the discount of the exact optimum (None: the average cost).
    """
    inst = _instance(env, env_kwargs)
    drawn = _policies(policies)
    other = _against(against, inst, discount)
    if other is not None:
        label = other[0]
        if label in drawn:  # a loaded table named "optimal": the optimum solved here differs
            label = f"{label} (solved)"
        while label in drawn:
            label += "'"
        other = (label, other[1])
        drawn[label] = other[1]
    run = _with_options(inst, list(drawn.values()))
    names = components(run)
    for flag, name in (("x", x), ("y", y)):
        if name is not None:
            _check_component(flag, name, names, run)
    for name in fix or {}:
        _check_component("fix", name, names, run)
    typical = typical_states(list(drawn.values()), run)
    (label, policy), *rest = drawn.items()
    first = decision_grid(
        policy,
        run,
        x=x,
        y=y,
        fix=fix,
        x_values=x_values,
        y_values=y_values,
        slice_only=slice_only,
        period=period,
        typical=typical,
        name=label,
    )
    out: dict[str, DecisionGrid] = {label: first}
    for label, policy in rest:  # the same axes and fixed values as the first
        out[label] = decision_grid(
            policy,
            run,
            x=first.x,
            y=first.y,
            fix=first.fixed,
            x_values=first.x_values,
            y_values=first.y_values,
            slice_only=slice_only,
            period=period,
            name=label,
        )
    clock = any(callable(getattr(p, "reset", None)) for p in drawn.values())
    return PolicyGrids(run, out, None if other is None else other[0], clock)


def plot_policy(
    policies: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    against: Any = None,
    x: str | None = None,
    y: str | None = None,
    fix: Mapping[str, float] | None = None,
    x_values: Sequence[float] | None = None,
    y_values: Sequence[float] | None = None,
    period: int = 0,
    discount: float | None = None,
    difference: bool = True,
) -> Any:
    """Heatmaps of the decisions over two state components, the others fixed, with the
    numbers in the cells: one row of panels per decision, one column per policy, then the
    optimum and (for one policy) the policy minus the optimum.

    Args:
        policies: a policy, a list of policies, or a mapping label -> policy.
        env: the env id or instance (``env_kwargs``: keyword overrides).
        against: ``"optimal"`` (solve the instance exactly, :func:`optimal_policy`) or a
            policy to compare with.
        x, y, fix, x_values, y_values, period: see :func:`decision_grid`; the defaults are
            taken from the simulated paths of every policy drawn, so the panels share a grid.
        discount: the discount of the exact optimum (None: the average cost).
        difference: add the panel of the policy minus the optimum (one policy).

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: for a state with one component (draw a slice), an unknown component (the
            message lists them), or an instance without an exact optimum with ``against``.
    """
    inst = _instance(env, env_kwargs)
    if y is None and len(inst.problem.state_feature_names(inst.params)) < 2:
        raise ValueError(
            f"{inst.env_id}: its state has one component "
            f"({inst.problem.state_feature_names(inst.params)[0]}); draw a slice "
            "(plot_policy_slice, or plot-policy with --x only)"
        )
    found = policy_grids(
        policies,
        inst,
        against=against,
        x=x,
        y=y,
        fix=fix,
        x_values=x_values,
        y_values=y_values,
        period=period,
        discount=discount,
    )
    return draw_policy(found, difference=difference)


def draw_policy(found: PolicyGrids, *, difference: bool = True) -> Any:
    """The heatmaps of :func:`plot_policy` from grids already computed
    (:func:`policy_grids`, two axes)."""
    inst, grids, first = found.instance, found.grids, found.first
    if first.y is None:
        raise ValueError(f"{inst.env_id}: a heatmap needs two components (x and y)")
    labels = list(grids)
    panels = [(label, grids[label], False) for label in labels]
    if found.against is not None and difference and len(labels) == 2:
        mine, opt = grids[labels[0]], grids[found.against]
        delta = DecisionGrid(**{**_fields(mine), "decisions": mine.decisions - opt.decisions})
        panels.append((f"{labels[0]} - {found.against}", delta, True))
    d = len(first.action_names)
    nx, ny = first.x_values.size, first.y_values.size
    width = max(3.6, 0.3 * nx + 1.4)
    height = max(3.0, 0.3 * ny + 1.2)
    fig = _figure(width * len(panels) + 0.8, height * d + 1.0)
    axes = np.asarray(fig.subplots(d, len(panels), squeeze=False))
    from matplotlib.ticker import MaxNLocator

    for i, action in enumerate(first.action_names):
        limits = _limits([g.decisions[..., i] for _, g, diff in panels if not diff])
        integral = all(
            float(v).is_integer()
            for _, g, _ in panels
            for v in g.decisions[..., i][np.isfinite(g.decisions[..., i])]
        )
        for j, (label, grid, diff) in enumerate(panels):
            ax = axes[i, j]
            title = f"{label}: {action.replace('_', ' ')}"
            if diff:
                title += " (difference)"
            image = _heatmap(ax, grid, grid.decisions[..., i], title, diff, limits)
            bar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
            if integral:
                bar.locator = MaxNLocator(integer=True)
                bar.update_ticks()
            bar.set_label(
                f"difference in {decision_label(action)}" if diff else decision_label(action),
                fontsize=8,
            )
            bar.ax.tick_params(labelsize=7)
            if i == d - 1:
                ax.set_xlabel(component_label(inst, first.x), fontsize=9)
            if j == 0:
                ax.set_ylabel(component_label(inst, first.y), fontsize=9)
    what = " and ".join(a.replace("_", " ") for a in first.action_names)
    blank = any(np.isnan(g.decisions).any() for _, g, _ in panels)
    note = "; blank cells: states off the table's grid" if blank else ""
    fig.suptitle(
        f"{what} by {first.x} and {first.y}, {inst.label}\n"
        f"{_fixed_text(first.fixed, first.period, found.clock)}{note}",
        fontsize=11,
    )
    return fig


def _fields(grid: DecisionGrid) -> dict[str, Any]:
    return {f: getattr(grid, f) for f in DecisionGrid.__dataclass_fields__}


_LINE_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def plot_policy_slice(
    policies: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    against: Any = None,
    x: str | None = None,
    fix: Mapping[str, float] | None = None,
    x_values: Sequence[float] | None = None,
    period: int = 0,
    discount: float | None = None,
) -> Any:
    """The decisions of several policies along one state component, the others fixed: one
    panel per decision, one curve per policy (the optimum among them, in black, with
    ``against``).

    Arguments as for :func:`plot_policy`. Returns the matplotlib ``Figure``.
    """
    found = policy_grids(
        policies,
        env,
        env_kwargs,
        against=against,
        x=x,
        fix=fix,
        x_values=x_values,
        slice_only=True,
        period=period,
        discount=discount,
    )
    return draw_policy_slice(found)


def draw_policy_slice(found: PolicyGrids) -> Any:
    """The curves of :func:`plot_policy_slice` from grids already computed
    (:func:`policy_grids` with ``slice_only=True``)."""
    inst, grids, first = found.instance, found.grids, found.first
    if first.y is not None:
        raise ValueError("a slice varies one component: compute the grids with slice_only=True")
    from matplotlib.ticker import MaxNLocator

    d = len(first.action_names)
    fig = _figure(max(6.0, 4.6 * d), 4.4)
    axes = np.asarray(fig.subplots(1, d, squeeze=False))[0]
    for i, action in enumerate(first.action_names):
        ax = axes[i]
        for k, (label, grid) in enumerate(grids.items()):
            optimum = label == found.against
            ax.plot(
                grid.x_values,
                grid.decisions[:, i],
                _LINE_STYLES[k % len(_LINE_STYLES)] if not optimum else "-",
                marker=_MARKERS[k % len(_MARKERS)],
                markersize=4 if not optimum else 6,
                linewidth=1.4 if not optimum else 2.6,
                color="black" if optimum else None,
                alpha=0.9,
                label=label,
                zorder=3 if not optimum else 2,
            )
        ax.set_xlabel(component_label(inst, first.x), fontsize=9)
        ax.set_ylabel(decision_label(action), fontsize=9)
        if np.all(first.x_values == np.round(first.x_values)):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        values = np.concatenate([g.decisions[:, i] for g in grids.values()])
        values = values[np.isfinite(values)]
        if np.all(values == np.round(values)):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(action.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.tick_params(labelsize=8)
    what = " and ".join(a.replace("_", " ") for a in first.action_names)
    fig.suptitle(
        f"{what} by {first.x}, {inst.label}\n{_fixed_text(first.fixed, first.period, found.clock)}",
        fontsize=11,
    )
    return fig


# -- trajectories ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One simulated episode, period by period (what :func:`plot_trajectory` draws): the
    numbers are the env's own (its observations and its ``info``)."""

    env_label: str
    policy: str
    state_names: tuple[str, ...]
    states: np.ndarray = field(repr=False)
    """(T, n): the state at the start of each period (after the period's arrivals)."""
    position: np.ndarray | None = field(repr=False)
    """(T,): the inventory position at the start of each period (None: the problem has
    none)."""
    action_names: tuple[str, ...]
    decisions: np.ndarray = field(repr=False)
    """(T, d): the decisions carried out (``info["order"]``)."""
    demand: np.ndarray = field(repr=False)
    flows: dict[str, np.ndarray] = field(repr=False)
    """Each flow of the period (units sold, lost, backlogged, expired, removed...)."""
    costs: dict[str, np.ndarray] = field(repr=False)
    """Each cost component of the period."""
    cost: np.ndarray = field(repr=False)
    """(T,): the total cost of each period."""
    start: int = 0
    """The first period shown (after the burn-in)."""
    expected_demand: np.ndarray | None = field(default=None, repr=False)
    """(T,): the mean demand of each period, for demand whose law changes over time."""

    @property
    def periods(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.cost.size)

    def column(self, name: str) -> np.ndarray:
        """A state component along the episode."""
        return self.states[:, self.state_names.index(name)]

    def to_dict(self) -> dict[str, Any]:
        """The episode as JSON-ready lists, period by period."""
        out: dict[str, Any] = {
            "env": self.env_label,
            "policy": self.policy,
            "periods": self.periods.tolist(),
            "states": {n: self.column(n).tolist() for n in self.state_names},
            "inventory_position": None if self.position is None else self.position.tolist(),
            "decisions": {
                a: self.decisions[:, k].tolist() for k, a in enumerate(self.action_names)
            },
            "demand": self.demand.tolist(),
            "flows": {k: v.tolist() for k, v in self.flows.items()},
            "costs": {k: v.tolist() for k, v in self.costs.items()},
            "cost": self.cost.tolist(),
        }
        if self.expected_demand is not None:
            out["expected_demand"] = self.expected_demand.tolist()
        return out


def _names(inst: Instance) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of the problem's costs and flows (from one kernel call)."""
    problem, params = inst.problem, inst.params
    state = problem.initial_state(params, 1, np)
    zero = np.zeros(1)
    action = zero if problem.action_dim == 1 else (zero,) * problem.action_dim
    _, costs, flows = problem.transition(state, action, zero, params, np)
    return tuple(costs._fields), tuple(flows._fields)


def _expected_demand(inst: Instance, periods: np.ndarray) -> np.ndarray | None:
    """The mean demand of each period shown, for demand whose law changes over time (None
    for stationary demand, or a model without a known law per period)."""
    model = inst.problem.demand(inst.params)
    if getattr(model, "is_stationary", True):
        return None
    # The model's clock: the first decision follows the observed demand window.
    clock = inst.shell.demand_window + periods
    try:
        return np.asarray(model.mean_at(clock), dtype=np.float64)
    except (ValueError, AttributeError, NotImplementedError):
        return None


def simulate_trajectory(
    policy: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    periods: int | None = None,
    seed: int = 0,
    burn_in: int = 0,
    name: str | None = None,
) -> Trajectory:
    """Simulate one episode of a policy in the harness's env (one path, its rounding).

    Args:
        policy: a batched policy.
        env: the env id or instance (``env_kwargs``: keyword overrides).
        periods: periods kept (default: the season of a seasonal problem, else 52).
        seed: the seed of the demand path (the harness's path 0 of that seed).
        burn_in: periods simulated first and not kept.
        name: the policy's name (default: its ``name``).
    """
    inst = _with_options(_instance(env, env_kwargs), [policy])
    if periods is None:
        periods = inst.problem.season(inst.params) or 52
    if periods < 1 or burn_in < 0:
        raise ValueError(
            f"{_OWNER}: periods must be >= 1 and burn_in >= 0, got {periods} and {burn_in}"
        )
    cost_names, flow_names = _names(inst)
    n = inst.state_dim
    rows: dict[str, list] = {"states": [], "decisions": [], "demand": [], "cost": []}
    flows: dict[str, list] = {k: [] for k in flow_names}
    costs: dict[str, list] = {k: [] for k in cost_names}
    for t, (obs, _, info) in enumerate(_rollout(policy, inst, 1, burn_in + periods, seed)):
        if t < burn_in:
            continue
        rows["states"].append(obs[0, :n])
        order = np.asarray(info["order"], dtype=np.float64).reshape(1, -1)[0]
        rows["decisions"].append(order)
        rows["demand"].append(float(np.asarray(info["demand"])[0]))
        rows["cost"].append(float(np.asarray(info["cost"])[0]))
        for k in flow_names:
            flows[k].append(float(np.asarray(info[k])[0]))
        for k in cost_names:
            costs[k].append(float(np.asarray(info[k])[0]))
    states = np.asarray(rows["states"])
    weights = inst.problem.position_weights(inst.params)
    position = None if weights is None else states @ np.asarray(weights, dtype=np.float64)
    return Trajectory(
        env_label=inst.label,
        policy=name or policy_name(policy),
        state_names=tuple(inst.problem.state_feature_names(inst.params)),
        states=states,
        position=position,
        action_names=tuple(inst.problem.action_names),
        decisions=np.asarray(rows["decisions"]),
        demand=np.asarray(rows["demand"]),
        flows={k: np.asarray(v) for k, v in flows.items()},
        costs={k: np.asarray(v) for k, v in costs.items()},
        cost=np.asarray(rows["cost"]),
        start=int(burn_in),
        expected_demand=_expected_demand(inst, burn_in + np.arange(len(rows["cost"]))),
    )


_FLOW_COLORS = {
    "sales": "#2ca02c",
    "lost": "#d62728",
    "backlog": "#d62728",
    "expired": "#8c564b",
    "removed": "#9467bd",
    "salvaged": "#e377c2",
}
_SHOWN_FLOWS = tuple(_FLOW_COLORS)
"""The flows drawn with the demand (``held`` is the stock, ``arrivals`` the orders)."""
_DECISION_COLORS = ("#ff7f0e", "#9467bd", "#bcbd22", "#7f7f7f")
_AGE_COLORS = ("#9ecae1", "#6baed6", "#3182bd", "#08519c", "#c6dbef")
_OUTSIDE = dict(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
_COST_COLORS = ("#ff7f0e", "#fdae6b", "#bcbd22", "#7f7f7f", "#17becf")
_COST_WORDS = (
    ("lost", "#d62728"),
    ("backlog", "#d62728"),
    ("hold", "#1f77b4"),
    ("waste", "#8c564b"),
    ("expir", "#8c564b"),
    ("remov", "#9467bd"),
    ("salvag", "#e377c2"),
)
"""Colours of the cost components whose names say what they charge for (the colour of that
flow in the other panels); the others (purchases) take orange shades, the orders' colour."""


def _cost_color(name: str, k: int) -> str:
    for word, color in _COST_WORDS:
        if word in name:
            return color
    return _COST_COLORS[k % len(_COST_COLORS)]


def _bars(ax: Any, t: np.ndarray, values: np.ndarray, bottom: np.ndarray, **kwargs: Any) -> Any:
    """A bar per period from ``bottom`` to ``bottom + values``, drawn as one filled step
    outline (one artist, not one per period: an episode of hundreds of periods draws fast)."""
    edges = np.append(t - 0.5, t[-1] + 0.5)
    base = np.array(bottom, dtype=np.float64)  # a copy: the caller stacks onto its own
    return ax.stairs(base + values, edges, baseline=base, fill=True, **kwargs)


def plot_trajectory(
    policy: Any,
    env: str | Instance,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    periods: int | None = None,
    seed: int = 0,
    burn_in: int = 0,
    name: str | None = None,
    trajectory: Trajectory | None = None,
) -> Any:
    """Four panels over one simulated episode on a shared time axis: the stock, the
    decisions, the demand with the units sold and lost (or backlogged, expired, removed), and
    the cost of each period by component.

    Arguments as for :func:`simulate_trajectory` (or a ``trajectory`` already simulated).
    Returns the matplotlib ``Figure``.
    """
    inst = _instance(env, env_kwargs)
    traj = trajectory or simulate_trajectory(
        policy, inst, periods=periods, seed=seed, burn_in=burn_in, name=name
    )
    t = traj.periods
    fig = _figure(11.0, 9.0)
    axes = fig.subplots(4, 1, sharex=True)
    parts = inst.problem.state_parts(inst.params)

    # 1. stock
    ax = axes[0]
    col = 0
    stock = np.zeros(t.size)
    pipeline = np.zeros(t.size)
    stock_columns = []
    for part in parts:
        width = part.size if part.vector else 1
        block = traj.states[:, col : col + width]
        if part.kind == "stock":
            stock += block.sum(axis=1)
            labels = part.labels or part.column_names()
            stock_columns += list(zip(labels, block.T, strict=True))
        elif part.kind == "pipeline":
            pipeline += block.sum(axis=1)
        col += width
    if len(stock_columns) > 1:
        bottom = np.zeros(t.size)
        for k, (label, values) in enumerate(stock_columns):
            _bars(
                ax,
                t,
                values,
                bottom,
                alpha=0.55,
                label=label.replace("_", " "),
                color=_AGE_COLORS[k % len(_AGE_COLORS)],
            )
            bottom += values
    stock_parts = [p for p in parts if p.kind == "stock"]
    total = (
        stock_parts[0].name.replace("_", " ") if len(stock_columns) == 1 else "on hand (all ages)"
    )
    ax.step(t, stock, where="mid", color="#1f77b4", linewidth=2.0, label=total)
    has_pipeline = any(p.kind == "pipeline" and p.size for p in parts)
    if has_pipeline:
        ax.step(t, pipeline, where="mid", color="#17becf", linewidth=1.5, label="in transit")
    if traj.position is not None and has_pipeline:
        ax.step(
            t,
            traj.position,
            where="mid",
            color="black",
            linestyle="--",
            linewidth=1.2,
            label="inventory position",
        )
    if stock.min() < 0:
        ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_ylabel("units", fontsize=9)
    ax.set_title("stock at the start of each period (the state observed)", fontsize=10, loc="left")
    ax.legend(**_OUTSIDE)

    # 2. decisions
    ax = axes[1]
    for k, action in enumerate(traj.action_names):
        ax.step(
            t,
            traj.decisions[:, k],
            where="mid",
            linewidth=1.8,
            color=_DECISION_COLORS[k % len(_DECISION_COLORS)],
            label=action.replace("_", " "),
        )
    ax.set_ylabel("units", fontsize=9)
    ax.set_title("decisions of each period", fontsize=10, loc="left")
    ax.legend(**_OUTSIDE)

    # 3. demand and flows
    ax = axes[2]
    # Lost (or backlogged) units are always shown, a total of 0 included; the others
    # (expired, removed, salvaged) when they happen.
    shown = [
        k
        for k in _SHOWN_FLOWS
        if k in traj.flows and k != "sales" and (k in ("lost", "backlog") or traj.flows[k].any())
    ]
    bottom = np.zeros(t.size)
    for k in shown:
        _bars(
            ax,
            t,
            traj.flows[k],
            bottom,
            color=_FLOW_COLORS[k],
            alpha=0.75,
            label=f"{k} (total {traj.flows[k].sum():.0f})",
        )
        bottom += traj.flows[k]
    ax.step(
        t,
        traj.demand,
        where="mid",
        color="#555555",
        linewidth=1.6,
        label=f"demand (total {traj.demand.sum():.0f})",
    )
    expected = traj.expected_demand
    if expected is not None:
        ax.plot(t, expected, color="#555555", linestyle=":", linewidth=1.4, label="expected demand")
    if "sales" in traj.flows:
        ax.step(
            t,
            traj.flows["sales"],
            where="mid",
            color=_FLOW_COLORS["sales"],
            linewidth=1.2,
            linestyle="--",
            label=f"sales (total {traj.flows['sales'].sum():.0f})",
        )
    ax.set_ylabel("units", fontsize=9)
    ax.set_title("demand, and where it went", fontsize=10, loc="left")
    ax.legend(**_OUTSIDE)

    # 4. cost
    ax = axes[3]
    up = np.zeros(t.size)
    down = np.zeros(t.size)
    for k, (key, values) in enumerate(traj.costs.items()):
        if not np.any(values):
            continue
        base = np.where(values >= 0, up, down)
        _bars(
            ax,
            t,
            values,
            base,
            color=_cost_color(key, k),
            alpha=0.8,
            label=f"{key.replace('_', ' ')} (mean {values.mean():.2f})",
        )
        up = up + np.maximum(values, 0)
        down = down + np.minimum(values, 0)
    ax.plot(
        t,
        traj.cost,
        color="black",
        linewidth=1.0,
        marker=".",
        markersize=3,
        label=f"total (mean {traj.cost.mean():.2f})",
    )
    ax.set_ylabel("cost per period", fontsize=9)
    ax.set_xlabel("period t", fontsize=9)
    ax.set_title("cost of each period, by component", fontsize=10, loc="left")
    ax.legend(**_OUTSIDE)
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    if inst.params.demand.is_integer:
        for ax in axes[:3]:  # units
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(
        f"{traj.policy} on {traj.env_label}: one simulated episode "
        f"(seed {seed}, periods {t[0]}..{t[-1]})",
        fontsize=11,
    )
    return fig


__all__ = [
    "DecisionGrid",
    "PolicyGrids",
    "Trajectory",
    "component_label",
    "components",
    "decision_grid",
    "decision_label",
    "decisions",
    "default_axes",
    "draw_policy",
    "draw_policy_slice",
    "observations",
    "optimal_policy",
    "plot_policy",
    "plot_policy_slice",
    "plot_trajectory",
    "policy_grids",
    "simulate_trajectory",
    "typical_states",
]
