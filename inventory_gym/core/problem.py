"""The interface between a problem's pure kernel and the generic environment shells.

A problem module (``inventory_gym/envs/<problem>/``) writes its dynamics once, as pure batched
functions, and describes them to the shells with a :class:`Problem` subclass. The single env,
the native vector env (numpy or torch) and the conformance checks only talk to this interface,
so a new problem needs no new shell code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, NamedTuple

import numpy as np

from inventory_gym.core.xp import Array

DEFAULT_MAX_EPISODE_STEPS = 1000
"""Truncation horizon when none is given (the problems have no terminal state)."""


def pipeline_length(lead_time: int) -> int:
    """Orders in transit in a state for a lead time: ``max(L - 1, 0)``.

    The state is observed after the period's arrival, so an order placed ``L`` periods ago has
    just arrived and the ``L - 1`` placed since are in transit (none for ``L = 0``, whose order
    arrives before demand). Every problem's params compute their pipelines with this one rule.
    """
    return max(int(lead_time) - 1, 0)


STATE_PART_KINDS = ("stock", "pipeline", "other")
"""The kinds of :class:`StatePart`."""


@dataclass(frozen=True)
class StatePart:
    """A named part of a problem's state, as it appears in the observation (jumanji documents
    its ``Observation`` the same way)."""

    name: str
    """The part's name (``"on_hand"``, ``"pipeline"``...): the key of :meth:`Problem.parts`."""
    size: int
    """Number of columns (0 for an empty pipeline)."""
    vector: bool = True
    """Whether the columns are named ``<name>_1 .. <name>_<size>`` (else one column ``<name>``)."""
    doc: str = ""
    """What the columns hold, in the problem's units and order."""
    kind: str = "stock"
    """What the columns are, for the pictures of ``render_mode="rgb_array"``: ``"stock"``
    (units on hand; several columns are stock by age or by kind), ``"pipeline"`` (orders in
    transit, column ``i`` arriving ``i`` periods from now) or ``"other"`` (a number that is not
    units, such as the periods left in a season: shown as text)."""
    labels: tuple[str, ...] = ()
    """Optional names of the columns in the pictures (default: :meth:`column_names`)."""

    def __post_init__(self) -> None:
        if self.kind not in STATE_PART_KINDS:
            raise ValueError(
                f"StatePart {self.name!r}: kind must be one of {STATE_PART_KINDS}, "
                f"got {self.kind!r}"
            )
        if self.labels and len(self.labels) != (self.size if self.vector else 1):
            raise ValueError(
                f"StatePart {self.name!r}: {len(self.labels)} labels for "
                f"{self.size if self.vector else 1} column(s)"
            )

    def column_names(self) -> tuple[str, ...]:
        """The names of the part's columns in the observation."""
        if not self.vector:
            return (self.name,)
        return tuple(f"{self.name}_{i}" for i in range(1, self.size + 1))


@dataclass(frozen=True)
class Registration:
    """One Gymnasium id of a problem: its entry points and its default keywords."""

    id: str
    entry_point: str
    """``"module:Class"`` of the single env."""
    vector_entry_point: str
    """``"module:Class"`` of the native vector env."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Default keywords on top of the params' own defaults."""
    note: str = ""
    """What the defaults are and what they reproduce (shown by ``inventory-gym list``)."""
    max_episode_steps: int = DEFAULT_MAX_EPISODE_STEPS


@dataclass(frozen=True)
class ConformanceCase:
    """An option set the conformance suite runs on, besides the registered defaults."""

    label: str
    kwargs: Mapping[str, Any]
    env_id: str | None = None
    """The id to run it on (default: the problem's first registration)."""


@dataclass(frozen=True)
class Structure:
    """The known shape of a problem's optimal policy, as a loss on the order's gradients.

    ``violations(grad)`` takes the (B, n) derivatives of the (first) order with respect to the
    n state features and returns the (B,) amounts by which each row breaks the structure (0
    where it has it); DirectBackprop adds their mean to its loss
    (``TrainConfig.penalty_weight``). ``name`` identifies the shape, so that networks which
    build it in by construction can say which problems they fit.
    """

    name: str
    violations: Callable[..., Any]
    doc: str = ""
    all_decisions: bool = False
    """Whether the structure constrains every decision: ``violations(jacobian, actions)`` then
    takes the (B, d, n) derivatives of all ``d`` decisions and the (B, d) decisions themselves
    (a problem with two decisions that must not both be positive)."""


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
    registrations: ClassVar[tuple[Registration, ...]] = ()
    """The Gymnasium ids of the problem (registered by :func:`inventory_gym.register_problem`)."""
    invalid_params: ClassVar[tuple[tuple[dict[str, Any], str], ...]] = ()
    """Invalid keyword arguments and a text their ``ValueError`` must contain (the parameter's
    name), for the conformance suite's bad-input check."""
    conformance_cases: ClassVar[tuple[ConformanceCase, ...]] = ()
    """Option sets the conformance suite runs on besides the defaults."""
    structure: ClassVar[Structure | None] = None
    """The known structure of the optimal policy, if any (see :class:`Structure`)."""
    baselines_package: ClassVar[str | None] = None
    """The package of the problem's baselines (heuristics, exact solver); ``None``:
    ``baselines.<name>`` (see :mod:`baselines.problems`)."""

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

    def season(self, params: Any) -> int | None:
        """The length of the problem's episode when a score means a finite season, else None.

        None (the default): scores are long-run averages, and the harness runs a burn-in and
        then many periods. A problem whose episode is a selling season (with a terminal value
        at its end) returns the season's length: the command line then scores exactly one
        season from the starting state (``--periods T --burn-in 0`` by default), and trains
        DirectBackprop on whole seasons, since periods past the season's end mean nothing.
        """
        return None

    def start_draws(self, params: Any) -> int:
        """How many uniform numbers on [0, 1) the starting state of one episode is drawn from.

        0 (the default): every episode starts from :meth:`initial_state`. A problem with a
        random start (a starting stock drawn per episode) returns how many it needs and
        implements :meth:`random_start`; the shells then draw them per row and per episode
        from counter-based streams (:mod:`inventory_gym.core.start`), so that the single env
        and row 0 of the vector env start every episode from the same state.
        """
        return 0

    def random_start(
        self,
        params: Any,
        uniforms: np.ndarray,
        xp: ModuleType,
        *,
        dtype: Any = None,
        device: Any = None,
    ) -> NamedTuple:
        """The starting states of a batch of episodes from ``uniforms``, a float64 numpy array
        of shape (B, :meth:`start_draws`) on [0, 1) (a state of Python floats when ``xp`` is
        :data:`~inventory_gym.core.xp.python_scalars`)."""
        raise NotImplementedError(f"{self.name}: start_draws > 0 needs random_start")

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
    def state_parts(self, params: Any) -> tuple[StatePart, ...]:
        """The named parts of the state, in the order of :meth:`state_columns`: the documented
        layout of the state part of the observation."""

    def state_feature_names(self, params: Any) -> tuple[str, ...]:
        """Names of the columns of :meth:`state_columns`."""
        return tuple(name for part in self.state_parts(params) for name in part.column_names())

    def state_dim(self, params: Any) -> int:
        """Number of state features (the leading columns of every observation)."""
        return sum(part.size if part.vector else 1 for part in self.state_parts(params))

    def parts(self, observations: Any, params: Any) -> dict[str, Any]:
        """A batch of observations (B, n >= state_dim) split into the named state parts, each a
        (B, size) array (a (B,) array for a part with ``vector=False``).

        This is how policies read the state: by name, never by column position.

        Raises:
            ValueError: when the observations are not a (B, n) array with enough columns.
        """
        shape = tuple(getattr(observations, "shape", ()))
        need = self.state_dim(params)
        if len(shape) != 2 or shape[1] < need:
            names = ", ".join(self.state_feature_names(params))
            raise ValueError(
                f"{self.name}: observations must be a (batch, n) array with at least {need} "
                f"state columns ({names}), got shape {shape}"
            )
        out: dict[str, Any] = {}
        start = 0
        for part in self.state_parts(params):
            if part.vector:
                out[part.name] = observations[:, start : start + part.size]
                start += part.size
            else:
                out[part.name] = observations[:, start]
                start += 1
        return out

    def observe_state(self, observations: Any, params: Any) -> NamedTuple:
        """The state NamedTuple of a batch of observations (B, n >= state_dim)."""
        need = self.state_dim(params)
        self.parts(observations, params)  # checks the shape
        return self.state_from_columns(tuple(observations[:, i] for i in range(need)), params)

    def position_weights(self, params: Any) -> np.ndarray | None:
        """The inventory position as a linear function of the state features: the weights
        ``w`` with ``IP = features @ w``, or ``None`` when the problem has no such position.
        The default counts every state feature once (stock on hand, or net of backlog, plus
        every order in transit)."""
        return np.ones(self.state_dim(params))

    def inventory_position(self, observations: Any, params: Any) -> Any:
        """The inventory position of a batch of observations (B,), by
        :meth:`position_weights`.

        Raises:
            ValueError: when the problem declares none.
        """
        weights = self.position_weights(params)
        if weights is None:
            raise ValueError(f"the {self.name} problem has no inventory position")
        self.parts(observations, params)  # checks the shape
        return observations[:, : weights.size] @ np.asarray(weights, np.float64)

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
