"""Batched simulation of a policy network through the problems' kernels, with gradients.

The simulator knows nothing of any particular problem: it reads the :class:`Problem` interface
(initial state, kernel, state features, static features, action bounds, demand model), so every
problem that provides a kernel trains without changes here. A batch can mix instances (other
costs, lead times, demand): each instance is a *group* of rows that runs through the kernel
with its own params, while the network sees all rows in one forward pass, their states padded
with zeros to the widest instance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from inventory_gym.core.instance import Instance, make_instance
from inventory_gym.core.shell import action_box, prepare_actions
from inventory_gym.core.xp import namespace, tree_map

InstanceLike = str | tuple[str, Mapping[str, Any] | None] | Instance
"""An env id, ``(env_id, env_kwargs)``, or an :class:`~inventory_gym.core.instance.Instance`."""

__all__ = ["Instance", "InstanceLike", "Simulator", "Step", "resolve_instances"]


def resolve_instances(instances: InstanceLike | Sequence[InstanceLike]) -> list[Instance]:
    """Turn env ids and ``(env_id, kwargs)`` pairs into validated :class:`Instance` objects.

    Raises:
        ValueError: for an empty list, an unknown id, a bad keyword, instances of different
            problems, or a demand model without a law per period (replayed series) or with a
            model per row.
    """
    if isinstance(instances, str) or (
        isinstance(instances, tuple)
        and len(instances) == 2
        and isinstance(instances[0], str)
        and (instances[1] is None or isinstance(instances[1], Mapping))
    ):
        instances = [instances]
    out = []
    for item in instances:
        if isinstance(item, Instance):
            _check_trainable_demand(item.env_id, item.problem.demand(item.params))
            out.append(item)
            continue
        if isinstance(item, str):
            env_id, kwargs = item, {}
        elif isinstance(item, Mapping) and "env_id" in item:
            env_id, kwargs = item["env_id"], dict(item.get("env_kwargs") or {})
        else:
            try:
                env_id, kwargs = item
            except (TypeError, ValueError):
                raise ValueError(
                    f"instances: expected an env id or (env_id, kwargs), got {item!r}"
                ) from None
            kwargs = dict(kwargs or {})
        found = make_instance(env_id, kwargs)
        _check_trainable_demand(env_id, found.problem.demand(found.params))
        out.append(found)
    if not out:
        raise ValueError("instances: at least one instance is needed")
    names = {inst.problem.name for inst in out}
    if len(names) > 1:
        raise ValueError(f"instances: all instances must be of one problem, got {sorted(names)}")
    dims = {inst.problem.action_dim for inst in out}
    if len(dims) > 1:
        raise ValueError(f"instances: all instances must have one action size, got {dims}")
    return out


def _check_trainable_demand(env_id: str, model: Any) -> None:
    """DirectBackprop draws fresh paths: of any model with a law per period (stationary, or a
    time-varying one drawn at the rows' clock), not of replayed series nor of a model per row
    (each product is its own instance)."""
    from inventory_gym.demand import Products

    if model.is_stationary:
        return
    reason = None
    if isinstance(model, Products):
        reason = "a model per row (give each product as its own instance)"
    else:
        try:
            model.mean_at(0)
        except ValueError:
            reason = "replayed series are not supported (no law per period)"
    if reason is not None:
        raise ValueError(
            f"instances: {env_id} with demand={model.spec}: DirectBackprop draws fresh demand "
            f"paths; {reason}"
        )


class Step(NamedTuple):
    """What one simulated period returns."""

    cost: torch.Tensor
    """(B,) total cost of the period, rows in group order."""
    order: torch.Tensor
    """(B, action_dim) orders placed (after clipping and rounding)."""


class StackedParams:
    """The params of several instances that share a kernel call: the fields declared ``float``
    that differ between them are (B,) tensors, one value per row; every other attribute is the
    first instance's. The kernels are plain arithmetic on these fields, so they broadcast."""

    def __init__(self, base: Any, columns: dict[str, torch.Tensor]):
        self._base = base
        self._columns = columns

    def __getattr__(self, name: str) -> Any:
        columns = self.__dict__["_columns"]
        if name in columns:
            return columns[name]
        return getattr(self.__dict__["_base"], name)


def _kernel_key(params: Any) -> tuple:
    """Instances with equal keys can share one kernel call: they differ only in ``float``
    fields (costs, ...) or in their demand model, which the kernel never reads (demand is
    sampled outside it and passed in)."""
    return tuple(
        (f.name, repr(getattr(params, f.name)))
        for f in dataclasses.fields(params)
        if f.type != "float" and f.name != "demand"
    )


class Simulator:
    """Rolls a batch of systems (one or several instances) forward under a policy network.

    Instances whose params differ only in ``float`` fields (costs) or demand share one kernel
    call per period (:class:`StackedParams`); others (another lead time) get their own. The
    instances are reordered so that each kernel call's rows are contiguous: read
    :attr:`instances` for the order of the rows.

    Args:
        instances: the instances; each gets ``rows`` consecutive rows of the batch.
        rows: rows (demand paths) per instance.
        state_dim: width the states are padded to (at least the widest instance's).
        window: demand history carried for the network (0: none).
        static: whether the network reads the static features.
        generator: torch generator of the demand paths.
        device, dtype: where and in what precision to simulate.
        source: a demand source that replaces the instances' demand models (one instance
            only): ``source.reset(batch, generator, device, dtype) -> (history, static)`` picks
            the rows afresh (a real series and a start period each, :mod:`dbp.panel`) and
            returns their (B, window) history and (B, k) static features (appended to the
            instance's), and ``source.sample(periods)`` the next ``periods`` demands of every
            row, contiguous with what came before.
    """

    def __init__(
        self,
        instances: Sequence[Instance],
        rows: int,
        *,
        state_dim: int,
        window: int,
        static: bool,
        generator: torch.Generator,
        device: torch.device,
        dtype: torch.dtype,
        source: Any = None,
    ):
        if source is not None and len(instances) != 1:
            raise ValueError("Simulator: a demand source serves one instance")
        self.source = source
        keys = [_kernel_key(inst.params) for inst in instances]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}
        order = sorted(range(len(instances)), key=lambda i: (first[keys[i]], i))
        self.instances = [instances[i] for i in order]
        self.rows = rows
        self.state_dim = state_dim
        self.window = window
        self.gen = generator
        self.device, self.dtype = device, dtype
        self.xp = namespace("torch")
        self.batch = rows * len(self.instances)
        self.problem = self.instances[0].problem
        # Kernel groups: (first row, last row + 1, params shared by those rows).
        self.groups: list[tuple[int, int, Any]] = []
        start = 0
        for key in dict.fromkeys(keys[i] for i in order):
            members = [inst for inst, i in zip(self.instances, order) if keys[i] == key]
            stop = start + rows * len(members)
            self.groups.append((start, stop, self._stack(members)))
            start = stop
        highs = np.stack([inst.problem.action_high(inst.params) for inst in self.instances])
        rows_high = np.repeat(highs, rows, axis=0)

        def asarray(values: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(values, dtype=dtype, device=device)

        # The static order bounds of each kernel group: (d,) when the group is one instance,
        # else one row per batch row (the instances may differ in max_order).
        self.boxes = [
            action_box(
                np.zeros(highs.shape[1]),
                rows_high[a] if stop - a == rows else rows_high[a:stop],
                asarray,
            )
            for a, stop, _ in self.groups
        ]
        self.models = [inst.problem.demand(inst.params) for inst in self.instances]
        self.static = (
            torch.as_tensor(
                np.repeat(np.stack([inst.static_row for inst in self.instances]), rows, axis=0),
                dtype=dtype,
                device=device,
            )
            if static
            else None
        )
        self._instance_static = 0 if self.static is None else self.static.shape[1]
        self.action_dim = self.problem.action_dim
        self.states: list[Any] = []
        self.history: torch.Tensor | None = None
        # The demand period of the next step (one clock for every row: they reset together).
        # Time-varying models are drawn at it; stationary ones ignore it. The history window
        # holds periods 0 .. window - 1, so an episode starts at period ``window``, as in the
        # envs.
        self.clock = 0

    def _stack(self, members: list[Instance]) -> Any:
        base = members[0].params
        if len(members) == 1:
            return base
        columns = {}
        for f in dataclasses.fields(base):
            values = [getattr(inst.params, f.name) for inst in members]
            if f.type == "float" and len(set(values)) > 1:
                columns[f.name] = torch.as_tensor(
                    np.repeat(np.asarray(values, np.float64), self.rows),
                    dtype=self.dtype,
                    device=self.device,
                )
        return StackedParams(base, columns) if columns else base

    def reset(self) -> None:
        """Every row back to its instance's starting state, with a fresh demand history."""
        self.states = []
        for start, stop, _ in self.groups:
            parts = [
                self._start(inst) for inst in self.instances[start // self.rows : stop // self.rows]
            ]
            self.states.append(
                parts[0] if len(parts) == 1 else tree_map(lambda *a: torch.cat(a), *parts)
            )
        self.clock = self.window
        if self.source is not None:
            self.history, extra = self.source.reset(self.batch, self.gen, self.device, self.dtype)
            if self.static is not None:
                self.static = torch.cat([self.static[:, : self._instance_static], extra], dim=1)
            return
        self.history = self.sample(self.window, start=0) if self.window else None

    def _start(self, inst: Instance) -> Any:
        """The starting states of one instance's rows: its initial state, or a random start
        (``Problem.start_draws``) from the training generator."""
        draws = inst.problem.start_draws(inst.params)
        if not draws:
            return inst.problem.initial_state(
                inst.params, self.rows, self.xp, dtype=self.dtype, device=self.device
            )
        uniforms = torch.rand(
            (self.rows, draws), generator=self.gen, device=self.device, dtype=torch.float64
        )
        return inst.problem.random_start(
            inst.params, uniforms.cpu().numpy(), self.xp, dtype=self.dtype, device=self.device
        )

    def detach(self) -> None:
        """Cut the graph: the next periods start from the current values, without history."""
        self.states = [tree_map(lambda a: a.detach(), s) for s in self.states]
        if self.history is not None:
            self.history = self.history.detach()

    def sample(self, periods: int, start: int | None = None) -> torch.Tensor:
        """(B, periods) demand, each instance from its own model (rows in instance order),
        from demand period ``start`` on (default :attr:`clock`, the next step's period); or
        the next periods of the demand source, which keeps its own windows' clock."""
        if self.source is not None:
            return self.source.sample(periods)
        start = self.clock if start is None else start
        parts = [
            model.sample_torch(
                self.gen, self.rows, periods, start=start, device=self.device, dtype=self.dtype
            )
            for model in self.models
        ]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)

    def features(self) -> torch.Tensor:
        """(B, state_dim) state features, zero-padded to ``state_dim``."""
        parts = []
        for (_, _, params), state in zip(self.groups, self.states):
            f = self.problem.state_features(state, params, self.xp)
            if f.shape[1] < self.state_dim:
                f = torch.nn.functional.pad(f, (0, self.state_dim - f.shape[1]))
            parts.append(f)
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)

    def encode(self, net: torch.nn.Module, demand: torch.Tensor) -> torch.Tensor | None:
        """The network's history encodings for the coming periods of ``demand`` (B, T), all in
        one pass: entry ``t`` (on axis 1) is the encoding of the window the network sees before
        period ``t``. ``None`` when the network has no sequence encoder."""
        if not self.window:
            return None
        encode = getattr(net, "encode_sequence", None)
        if encode is None:
            return None
        full = encode(torch.cat([self.history, demand[:, :-1]], dim=1))
        return None if full is None else full[:, self.window - 1 :]

    def step(
        self,
        net: torch.nn.Module,
        demand: torch.Tensor,
        *,
        straight_through: bool = False,
        encoded: torch.Tensor | None = None,
    ) -> Step:
        """Advance every row one period: the network orders, the kernel serves ``demand``.

        The network's orders go through the shells' own
        :func:`~inventory_gym.core.shell.prepare_actions`: clipped to the bounds (``[0,
        max_order]``, and the state's bounds where the problem declares them) with
        ``torch.clamp`` (the gradient passes at the bounds, as in the env) and, with
        ``straight_through``, rounded in the forward pass only.
        ``encoded``: this period's history encoding from :meth:`encode`, if computed.
        """
        if encoded is None:
            order = net(self.features(), self.history, self.static)
        else:
            order = net(self.features(), self.history, self.static, encoded)
        costs = []
        new_states = []
        orders = []
        for (start, stop, params), state, box in zip(self.groups, self.states, self.boxes):
            # The shells' own action preparation: clipping to the (state's) bounds with
            # torch.clamp, straight-through rounding.
            o = prepare_actions(
                order[start:stop],
                self.problem,
                params,
                state,
                box,
                self.xp,
                batch=stop - start,
                integer=straight_through,
                check_finite=False,
            )
            orders.append(o)
            action = o[:, 0] if self.action_dim == 1 else tuple(o.unbind(dim=1))
            nxt, c, _ = self.problem.transition(state, action, demand[start:stop], params, self.xp)
            new_states.append(nxt)
            costs.append(c.total())
        order = orders[0] if len(orders) == 1 else torch.cat(orders)
        self.states = new_states
        self.clock += 1
        if self.window:
            self.history = torch.cat([self.history[:, 1:], demand[:, None]], dim=1)
        cost = costs[0] if len(costs) == 1 else torch.cat(costs)
        return Step(cost, order)
