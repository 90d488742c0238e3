"""The interface between a problem's pure kernel and the generic environment shells.

A problem module (``inventory_gym/envs/<problem>/``) writes its dynamics once, as pure batched
functions, and describes them to the shells with a :class:`Problem` subclass. The single env,
the native vector env (numpy or torch) and the conformance checks only talk to this interface,
so a new problem needs no new shell code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from inventory_gym.core.xp import Array


class Problem(ABC):
    """Description of one inventory problem for the shells.

    Subclasses are stateless: every method takes the frozen params object.
    """

    name: str
    """Short name, e.g. ``"lost_sales"``."""
    params_cls: type
    """The frozen, validated params dataclass."""
    action_names: tuple[str, ...]
    """Names of the decision variables of one period (one action dimension each)."""
    render_keys: tuple[str, ...] = ()
    """Flow and cost names shown by ``render_mode="ansi"`` after the order and the demand."""

    @property
    def action_dim(self) -> int:
        """Number of decision variables per period."""
        return len(self.action_names)

    def make_params(self, **kwargs: Any) -> Any:
        """Build validated params; an unknown keyword is a ``ValueError`` listing the valid ones."""
        fields = self.params_cls.__dataclass_fields__
        unknown = sorted(set(kwargs) - set(fields))
        if unknown:
            given = ", ".join(f"{name}={kwargs[name]!r}" for name in unknown)
            raise ValueError(
                f"unknown parameter(s) {given} for {self.params_cls.__name__}; "
                f"valid: {', '.join(sorted(fields))}"
            )
        return self.params_cls(**kwargs)

    @abstractmethod
    def initial_state(
        self, params: Any, batch: int, xp: ModuleType, *, dtype: Any = None, device: Any = None
    ) -> NamedTuple:
        """The state of ``batch`` systems at the start of an episode."""

    @abstractmethod
    def transition(
        self, state: NamedTuple, action: Array, demand: Array, params: Any, xp: ModuleType
    ) -> tuple[NamedTuple, NamedTuple, NamedTuple]:
        """The kernel: ``(next_state, costs, flows)``; ``action`` has shape (B,) when
        ``action_dim == 1``, else it is a tuple of ``action_dim`` arrays of shape (B,)."""

    @abstractmethod
    def state_columns(self, state: NamedTuple, params: Any) -> tuple[Array, ...]:
        """The state as a flat tuple of (B,) arrays (or floats for a batch of one), in the
        order of :meth:`state_feature_names`: the part of the observation that is the state."""

    @abstractmethod
    def state_from_columns(self, columns: tuple[Array, ...], params: Any) -> NamedTuple:
        """Inverse of :meth:`state_columns`."""

    @abstractmethod
    def state_feature_names(self, params: Any) -> tuple[str, ...]:
        """Names of the columns of :meth:`state_columns`."""

    @abstractmethod
    def state_feature_bounds(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the state features (for the observation space)."""

    def state_features(self, state: NamedTuple, params: Any, xp: ModuleType) -> Array:
        """The state as one (B, n) array."""
        return xp.stack(self.state_columns(state, params), axis=1)

    def state_from_features(self, features: Array, params: Any) -> NamedTuple:
        """Build a state from a (B, n) array of features (for tests and DP)."""
        return self.state_from_columns(
            tuple(features[:, i] for i in range(features.shape[1])), params
        )

    @abstractmethod
    def static_features(self, params: Any) -> dict[str, float]:
        """Features that describe the instance (costs, lead time), for cross-product policies."""

    def static_row(self, params: Any) -> np.ndarray:
        """The values of :meth:`static_features` as a float64 row (what the observation holds
        with ``static_features=True``)."""
        return np.asarray(list(self.static_features(params).values()), dtype=np.float64)

    @abstractmethod
    def action_high(self, params: Any) -> np.ndarray:
        """Upper bounds of the action, shape (action_dim,)."""

    @abstractmethod
    def invariants(
        self,
        state: NamedTuple,
        action: Array,
        demand: Array,
        next_state: NamedTuple,
        costs: NamedTuple,
        flows: NamedTuple,
        xp: ModuleType,
    ) -> dict[str, Array]:
        """Named (B,) arrays that must be zero for a correct transition: balances of units
        (conservation) and violations of non-negativity."""

    def demand(self, params: Any) -> Any:
        """The demand model of the instance."""
        return params.demand

    def action_bounds(self, state: NamedTuple, params: Any, xp: ModuleType) -> tuple[tuple, tuple]:
        """The bounds of each decision given the state: ``(low, high)``, each a tuple of
        ``action_dim`` entries, an entry being a (B,) array of ``xp`` or a number (the same for
        every row).

        Every shell clips each action to these bounds, intersected with the static box (0,
        :meth:`action_high`), before the kernel sees it (then rounds it, with integer actions:
        :func:`~inventory_gym.core.shell.prepare_actions`), so a bound that depends on the
        state (a removal capped by the stock on hand: ``high = (max_order, state.on_hand)``)
        is enforced in one place and the kernel may trust its actions. The default is the
        static box itself, and the shells then never call this. An override is called once a
        period, with :data:`~inventory_gym.core.xp.python_scalars` and a state of floats in the
        single env, so it uses only arithmetic and ``xp.minimum``/``xp.maximum``; in
        DirectBackprop ``params`` may hold (B,) tensors for the float fields that differ
        between the instances of a batch. A bound computed from the state keeps its gradient.
        """
        return (0.0,) * self.action_dim, tuple(float(v) for v in self.action_high(params))

    @property
    def state_dependent_bounds(self) -> bool:
        """Whether :meth:`action_bounds` is overridden (depends on the state). When it is not,
        the shells use the static box they computed once, without calling it every period."""
        return type(self).action_bounds is not Problem.action_bounds
