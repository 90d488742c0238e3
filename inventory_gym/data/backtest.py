"""The causal backtest: real periods replayed through a problem's kernel (DESIGN.md section 8).

:func:`backtest` runs one policy over ``rounds`` decisions on every series of a
:class:`~inventory_gym.data.panel.Panel` at once, from period ``start`` on:

- at the decision of period ``t`` the policy is called on a batch of observations in the
  harness's layout, one row per series: the state (the problem's state features), then the
  ``window`` sales of periods ``t - window .. t - 1`` (oldest first; periods before the panel's
  first are 0 and out of stock), then the problem's static features (costs, lead time), then,
  with ``panel_static=True``, the master file's attributes. Nothing of period ``t`` or later is
  in it: the harness, not the policy, holds the future;
- a policy that wants more declares it in a ``backtest_inputs`` attribute, a tuple of names,
  and receives them as keywords: ``in_stock`` ((N, window) bool flags of the window's periods,
  True = in stock, aligned with the window columns), ``dates`` ((window + 16,)
  ``datetime64[D]``: the window's periods, then the decision period and the 15 after it,
  extrapolated with the panel's step past its end), ``static`` ((N, k) master attributes) and
  ``future`` ((N, periods left) the demand the harness will serve from ``t`` on: only for
  :class:`bounds <BacktestResult>`, such as perfect foresight, whose results are labelled so);
- the orders are rounded to integers and clipped to ``[0, max_order]``; the kernel then serves
  the period's demand: the actual sales in an in-stock period, and, in an out-of-stock period
  (whose sales are censored), the demand imputed from the series' own earlier in-stock periods
  (:func:`~inventory_gym.data.panel.impute`);
- decisions are taken in periods ``start .. start + rounds - 1``; the simulation runs until
  ``start + rounds - 1 + L``, when the last order arrives, and the score counts the periods the
  decisions can reach: ``start + L`` on (VN2: 6 rounds, L = 2, weeks 3 to 8 scored).

The start state comes from :func:`read_initial_state` (VN2's ``initial_state.csv``: on hand =
``End Inventory`` + ``In Transit W+1``, ``q_l`` = ``In Transit W+(l+1)``, SCENARIOS.md section
6) or is empty.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inventory_gym.core.instance import make_instance
from inventory_gym.data.panel import Panel, PanelError, _ids, _numbers, _read_csv, impute

__all__ = [
    "BACKTEST_INPUTS",
    "BacktestResult",
    "InitialState",
    "backtest",
    "backtest_instance",
    "observation",
    "read_initial_state",
    "warm_state",
]

BACKTEST_INPUTS = ("in_stock", "dates", "static", "future")
"""The extra inputs a policy can ask for through its ``backtest_inputs`` attribute."""
DATES_AHEAD = 16
"""Periods from the decision period on whose dates the ``dates`` input carries."""


@dataclass(frozen=True)
class InitialState:
    """The state of every series on the morning of the first decision.

    Attributes:
        on_hand: (N,) units on hand after that morning's arrival.
        pipeline: (N, L - 1) orders in transit, the soonest first.
    """

    on_hand: np.ndarray
    pipeline: np.ndarray

    @classmethod
    def empty(cls, n: int, lead_time: int) -> InitialState:
        return cls(np.zeros(n), np.zeros((n, max(lead_time - 1, 0))))


def read_initial_state(path: str | os.PathLike, panel: Panel, lead_time: int) -> InitialState:
    """Read a start state per series (VN2's ``initial_state.csv`` layout).

    The file has the panel's id columns, ``End Inventory`` (on hand at the end of the last
    period) and ``In Transit W+k`` (units arriving at the start of the k-th period from now,
    k = 1, 2, ...). In this project's convention (SCENARIOS.md sections 1 and 6): on hand =
    ``End Inventory`` + ``In Transit W+1``, and ``q_l`` = ``In Transit W+(l+1)`` for l = 1 ..
    L - 1. Other columns (VN2's costs so far) are not read.

    Raises:
        PanelError: a missing column or series, a bad value, or stock in transit further ahead
            than the lead time allows (it would be lost).
    """
    p = Path(path)
    frame = _read_csv(p, "initial-state")
    for col in (*panel.id_columns, "End Inventory"):
        if col not in frame.columns:
            raise PanelError(f"{p}: no column {col!r}")
    ids = _ids(p, frame, list(panel.id_columns))
    rows = {tuple(r): i for i, r in enumerate(ids)}
    keys = [tuple(r) for r in panel.ids]
    missing = [k for k in keys if k not in rows]
    if missing:
        label = " ".join(f"{c}={v}" for c, v in zip(panel.id_columns, missing[0]))
        raise PanelError(f"{p}: no row for series {label} of the sales file")
    transit = {}
    for col in frame.columns:
        if col.startswith("In Transit W+") and col[len("In Transit W+") :].isdigit():
            transit[int(col[len("In Transit W+") :])] = col
    order = [rows[k] for k in keys]
    end = _numbers(p, frame, ["End Inventory"], "quantity")[order, 0]
    values = {k: _numbers(p, frame, [c], "quantity")[order, 0] for k, c in transit.items()}
    arrive_now = values.get(1, np.zeros(len(keys)))
    for k, v in values.items():
        if k >= 2 and k > lead_time and np.any(v > 0):
            i = int(np.argmax(v > 0))
            raise PanelError(
                f"{p}: column {transit[k]!r}: series {panel.label(i)} has stock arriving in "
                f"{k} periods, beyond lead time {lead_time} (the state cannot hold it)"
            )
    n_pipe = max(lead_time - 1, 0)
    pipeline = np.zeros((len(keys), n_pipe))
    for j in range(1, n_pipe + 1):
        if j + 1 not in values:
            raise PanelError(
                f"{p}: no column 'In Transit W+{j + 1}' (needed for lead time {lead_time})"
            )
        pipeline[:, j - 1] = values[j + 1]
    return InitialState(end + arrive_now, pipeline)


@dataclass(frozen=True)
class BacktestResult:
    """What one policy's backtest measured, every series at once.

    Attributes:
        policy: the policy's name.
        orders: (N, rounds) integer orders placed.
        holding, shortage, total: (N, periods) costs of every simulated period.
        first_scored: index (into the periods) of the first scored period (``L``).
        dates: (periods,) labels of the simulated periods.
        bound: True when the policy saw the future (a bound for reports, not a policy).
    """

    policy: str
    orders: np.ndarray
    holding: np.ndarray
    shortage: np.ndarray
    total: np.ndarray
    first_scored: int
    dates: np.ndarray
    bound: bool = False

    @property
    def periods(self) -> np.ndarray:
        """(scored periods,) cost of each scored period, summed over the series."""
        return self.total[:, self.first_scored :].sum(axis=0)

    @property
    def cost(self) -> float:
        """The score: cost of the scored periods, summed over the series."""
        return float(self.total[:, self.first_scored :].sum())

    @property
    def holding_cost(self) -> float:
        return float(self.holding[:, self.first_scored :].sum())

    @property
    def shortage_cost(self) -> float:
        return float(self.shortage[:, self.first_scored :].sum())

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` entry: cost, holding, shortage and the per-period costs."""
        return {
            "cost": self.cost,
            "holding": self.holding_cost,
            "shortage": self.shortage_cost,
            "periods": [float(c) for c in self.periods],
        }


def backtest_instance(env_id: str, env_kwargs: dict[str, Any] | None, panel: Panel) -> Any:
    """The instance a backtest runs: ``env_id`` with ``env_kwargs``; without a ``max_order``,
    the order cap is ten times the panel's largest sale (the default cap follows the env's
    demand model, which a panel replaces)."""
    kwargs = dict(env_kwargs or {})
    if kwargs.get("max_order") is None:
        kwargs["max_order"] = float(max(10.0 * float(panel.sales.max()), 10.0))
    return make_instance(env_id, kwargs)


def _dates(panel: Panel, t: int, window: int) -> np.ndarray:
    step = (panel.dates[1] - panel.dates[0]) if panel.periods > 1 else np.timedelta64(7, "D")
    idx = np.arange(t - window, t + DATES_AHEAD)
    last = panel.periods - 1
    return (
        panel.dates[np.clip(idx, 0, last)]
        + np.maximum(idx - last, 0) * step
        + np.minimum(idx, 0) * step
    )


def observation(
    panel: Panel,
    instance: Any,
    state: Any,
    t: int,
    window: int,
    *,
    panel_static: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The observations of the decision of period ``t`` (see the module docstring) and the
    (N, window) in-stock flags of their window. Reads ``panel`` strictly before ``t``."""
    problem, params = instance.problem, instance.params
    n = panel.n_series
    feats = np.asarray(problem.state_features(state, params, np), dtype=np.float64)
    hist = np.zeros((n, window))
    flags = np.zeros((n, window), dtype=bool)
    lo = max(t - window, 0)
    if t > lo:
        hist[:, window - (t - lo) :] = panel.sales[:, lo:t]
        flags[:, window - (t - lo) :] = panel.in_stock[:, lo:t]
    parts = [feats, hist, np.repeat(instance.static_row[None], n, axis=0)]
    if panel_static:
        parts.append(panel.static)
    return np.concatenate(parts, axis=1), flags


def _cost_part(costs: Any, names: tuple[str, ...]) -> np.ndarray:
    total = 0.0
    for name in names:
        if name in costs._fields:
            total = total + np.asarray(getattr(costs, name), dtype=np.float64)
    return np.asarray(total, dtype=np.float64)


def backtest(
    panel: Panel,
    policy: Callable[..., Any],
    instance: Any,
    *,
    start: int,
    rounds: int,
    window: int | None = None,
    initial: InitialState | None = None,
    panel_static: bool = False,
    on_decision: Callable[[int], None] | None = None,
) -> BacktestResult:
    """Replay periods ``start ..`` of ``panel`` through ``instance``'s kernel under ``policy``.

    Args:
        panel: the series (its sales after ``start`` are served as demand, never shown).
        policy: a batched policy ``policy(obs, **inputs) -> (N,)`` orders.
        instance: a :class:`~inventory_gym.core.instance.Instance` (see
            :func:`backtest_instance`); its demand model is not used.
        start: index of the first decision period.
        rounds: number of decisions.
        window: sales periods in each observation (default: ``start``, all the history).
        initial: the start state (default: empty).
        panel_static: append the master attributes to the observation.
        on_decision: called with the round index after each decision (progress).

    Raises:
        ValueError: when the simulated periods run past the panel's end, or a bad argument.
    """
    lead = int(getattr(instance.params, "lead_time", 0))
    if rounds < 1:
        raise ValueError(f"backtest: rounds must be >= 1, got {rounds}")
    if not 0 <= start < panel.periods:
        raise ValueError(f"backtest: start must be a period index in 0..{panel.periods - 1}")
    periods = rounds + lead
    if start + periods > panel.periods:
        raise ValueError(
            f"backtest: {rounds} rounds from {panel.dates[start]} with lead time {lead} need "
            f"{periods} periods of sales, the panel has {panel.periods - start} from there"
        )
    window = start if window is None else int(window)
    result, _ = _run(
        panel, policy, instance, start, rounds, periods, window, initial, panel_static, on_decision
    )
    return result


def policy_inputs(policy: Any) -> tuple[str, ...]:
    """The extra inputs a policy asks for (its ``backtest_inputs``), checked.

    Raises:
        ValueError: for an input the backtest does not know.
    """
    wants = tuple(getattr(policy, "backtest_inputs", ()))
    unknown = [w for w in wants if w not in BACKTEST_INPUTS]
    if unknown:
        raise ValueError(f"backtest: the policy asks for unknown inputs {unknown}")
    return wants


def decide(
    policy: Callable[..., Any],
    wants: tuple[str, ...],
    panel: Panel,
    instance: Any,
    state: Any,
    t: int,
    window: int,
    *,
    panel_static: bool = False,
    future: np.ndarray | None = None,
) -> np.ndarray:
    """The (N,) orders of the decision of period ``t``: the policy is handed the observations
    and the inputs it asks for (:func:`policy_inputs`), all from strictly before ``t`` but for
    ``future`` (a bound's), and its orders are checked finite, rounded and clipped to
    ``[0, max_order]``. The backtest and ``inventory-gym order`` both decide through here.

    Raises:
        ValueError: for a non-finite order, or a policy that asks for the future where none is
            given.
    """
    obs, flags = observation(panel, instance, state, t, window, panel_static=panel_static)
    extra: dict[str, Any] = {}
    if "in_stock" in wants:
        extra["in_stock"] = flags
    if "dates" in wants:
        extra["dates"] = _dates(panel, t, window)
    if "static" in wants:
        extra["static"] = panel.static
    if "future" in wants:
        if future is None:
            raise ValueError("backtest: the policy needs the future, which is not known here")
        extra["future"] = future.copy()
    z = np.asarray(policy(obs, **extra), dtype=np.float64).reshape(panel.n_series, -1)[:, 0]
    if not np.all(np.isfinite(z)):
        day = _dates(panel, t, 0)[0]
        raise ValueError(f"backtest: the policy returned a non-finite order in {day}")
    cap = float(instance.problem.action_high(instance.params)[0])
    return np.clip(np.rint(z), 0.0, cap)


def warm_state(
    panel: Panel,
    policy: Callable[..., Any],
    instance: Any,
    *,
    start: int,
    periods: int,
    window: int | None = None,
) -> InitialState:
    """The state on the morning of ``start`` after ``policy`` ran the ``periods`` before it
    from an empty state (the start state of a pseudo-competition cut from the history: the
    state a reference policy would have left). Reads the panel strictly before ``start``."""
    lead = int(getattr(instance.params, "lead_time", 0))
    first = start - periods
    if first < 0 or periods < 1:
        raise ValueError(f"warm_state: {periods} periods before period {start} are not there")
    window = first if window is None else int(window)
    _, state = _run(panel, policy, instance, first, periods, periods, window, None, False, None)
    columns = instance.problem.state_columns(state, instance.params)
    pipe = (
        np.stack([np.asarray(c, np.float64) for c in columns[1:]], axis=1)
        if lead > 1
        else (np.zeros((panel.n_series, 0)))
    )
    return InitialState(np.asarray(columns[0], np.float64).copy(), pipe)


def _run(
    panel: Panel,
    policy: Callable[..., Any],
    instance: Any,
    start: int,
    rounds: int,
    periods: int,
    window: int,
    initial: InitialState | None,
    panel_static: bool,
    on_decision: Callable[[int], None] | None,
) -> tuple[BacktestResult, Any]:
    problem, params = instance.problem, instance.params
    lead = int(getattr(params, "lead_time", 0))
    n = panel.n_series
    initial = initial or InitialState.empty(n, lead)
    state = problem.state_from_columns(
        (initial.on_hand.astype(np.float64), *initial.pipeline.astype(np.float64).T), params
    )
    served = impute(panel.sales, panel.in_stock)
    wants = policy_inputs(policy)
    orders = np.zeros((n, rounds))
    hold = np.zeros((n, periods))
    short = np.zeros((n, periods))
    total = np.zeros((n, periods))
    for k in range(periods):
        t = start + k
        if k < rounds:
            future = served[:, t : start + periods] if "future" in wants else None
            z = decide(
                policy,
                wants,
                panel,
                instance,
                state,
                t,
                window,
                panel_static=panel_static,
                future=future,
            )
            orders[:, k] = z
            if on_decision is not None:
                on_decision(k)
        else:
            z = np.zeros(n)
        state, costs, _ = problem.transition(state, z, served[:, t], params, np)
        total[:, k] = np.asarray(costs.total(), dtype=np.float64)
        hold[:, k] = _cost_part(costs, ("holding_cost",))
        short[:, k] = _cost_part(costs, ("lost_sales_cost", "backlog_cost", "shortage_cost"))
    result = BacktestResult(
        policy=str(getattr(policy, "name", type(policy).__name__)),
        orders=orders,
        holding=hold,
        shortage=short,
        total=total,
        first_scored=lead,
        dates=panel.dates[start : start + periods],
        bound="future" in wants,
    )
    return result, state
