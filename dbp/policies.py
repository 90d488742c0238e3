"""Policy networks for DirectBackprop: plain and structure-informed.

Every network maps the parts of an observation to the orders of one period:
``forward(state, history, static) -> (B, action_dim)`` orders, non-negative, in units.

- ``state``: (B, state_dim) state features, padded with zeros to the widest instance when one
  network serves instances of several lead times;
- ``history``: (B, window) the last demands, oldest first (``window = 0``: none);
- ``static``: (B, n_static) the instance's static features (costs, lead time), or none.

Inputs are scaled by one constant, :attr:`PolicySpec.scale` (the mean demand over the training
instances): a network that serves many products never sees a product's own demand parameters,
only its state, its history and its static features.

Kinds (:data:`KINDS`):

- ``mlp``: an MLP over all inputs; the history, when present, goes through a WaveNet-style
  encoder first (``encoder="wavenet"``, the paper's choice) or straight into the MLP.
- ``base_stock``: the network outputs a base-stock level ``S`` from the context (history and
  static features, not the state) and orders ``(S - IP)^+``: monotone in the inventory
  position by construction.
- ``capped_base_stock``: outputs ``S`` and a cap ``r`` and orders ``min((S - IP)^+, r)``
  (Xin 2021).
- ``interval``: two levels ``S_lo <= S_hi`` from the clock and the context; orders up to
  ``S_lo`` and removes down to ``S_hi`` (joint procurement and removal).
- ``monotone``: a monotone network in which the order decreases in every state component and
  reacts more to recent orders than to older stock, by construction (the structure of the
  optimal lost-sales policy, SCENARIOS.md section 1).

The base-stock kinds take the inventory position as the sum of the state features, and the
monotone kind reads the state columns as "oldest first, most recent order last": each kind
says which problems it fits (:mod:`dbp.kinds`), and training one on another is an error.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dbp.kinds import KINDS
from inventory_gym.core.validation import (
    check_choice,
    check_fields,
    check_int,
    check_real,
    store,
)

ENCODERS = ("wavenet", "flat")
ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU}

_OWNER = "PolicySpec"


@dataclass(frozen=True)
class PolicySpec:
    """Everything needed to rebuild a policy network (saved as JSON next to its weights)."""

    kind: str = "mlp"
    """One of :data:`KINDS`."""
    hidden: tuple[int, ...] = (64, 64)
    """Widths of the hidden layers of the MLP head."""
    activation: str = "elu"
    """Activation of the MLP head (``elu``, ``relu``, ``tanh``, ``silu``); the monotone kind
    always uses ``tanh``, which keeps a positive-weight network able to bend both ways."""
    state_dim: int = 1
    """Width of the (padded) state part of the input."""
    window: int = 0
    """Number of past demands the policy reads (0: none)."""
    static_dim: int = 0
    """Number of static features the policy reads (0: none)."""
    action_dim: int = 1
    """Decisions per period."""
    scale: float = 1.0
    """Units are divided by this constant on the way in and multiplied on the way out."""
    encoder: str = "wavenet"
    """How the history is read: ``wavenet`` (dilated causal convolutions) or ``flat``."""
    channels: int = 16
    """Channels of the WaveNet encoder."""

    def __post_init__(self) -> None:
        check_choice(_OWNER, "kind", self.kind, KINDS)
        hidden = tuple(self.hidden) if isinstance(self.hidden, (tuple, list)) else ()
        if not hidden:
            raise ValueError(f"{_OWNER}: hidden must be positive ints, got {self.hidden!r}")
        store(
            self,
            "hidden",
            tuple(check_int(_OWNER, f"hidden[{i}]", h, low=1) for i, h in enumerate(hidden)),
        )
        check_choice(_OWNER, "activation", self.activation, ACTIVATIONS)
        for name, low in (("state_dim", 1), ("window", 0), ("static_dim", 0), ("action_dim", 1)):
            store(self, name, check_int(_OWNER, name, getattr(self, name), low=low))
        store(self, "scale", check_real(_OWNER, "scale", self.scale, strict=True))
        check_choice(_OWNER, "encoder", self.encoder, ENCODERS)
        store(self, "channels", check_int(_OWNER, "channels", self.channels, low=1))
        if self.kind == "interval" and self.action_dim != 2:
            raise ValueError(
                f"{_OWNER}: kind='interval' orders and removes (action_dim 2), got action_dim="
                f"{self.action_dim}"
            )
        if self.kind not in ("mlp", "interval") and self.action_dim != 1:
            raise ValueError(
                f"{_OWNER}: kind={self.kind!r} orders one quantity, got action_dim="
                f"{self.action_dim}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicySpec:
        check_fields(_OWNER, cls, data)
        data = dict(data)
        if "hidden" in data:
            data["hidden"] = tuple(data["hidden"])
        return cls(**data)


def squash_static(static: torch.Tensor) -> torch.Tensor:
    """Static features on a log scale, ``sign(x) log(1 + |x|)``: costs from 1 to 100 and lead
    times from 0 to 10 all land within a few units of zero."""
    return torch.sign(static) * torch.log1p(torch.abs(static))


def mlp(sizes: list[int], activation: str) -> nn.Sequential:
    """Linear layers with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class WaveNetEncoder(nn.Module):
    """Dilated causal convolutions over the demand history (WaveNet-style, as in the paper).

    Kernel size 2 and dilations 1, 2, 4, ... (the last one trimmed) so that the receptive
    field is exactly the window: ``1 + sum(dilations) == window``. Each layer is a residual ELU
    block. The encoding of a window is the last time step's channels.

    Because the receptive field is exactly the window, running the stack once over a longer
    sequence (:meth:`sequence`) gives at every position ``p >= window - 1`` the encoding of the
    window that ends there, bit for bit what :meth:`forward` gives on that window alone. Demand
    is exogenous, so training encodes a whole path in one pass instead of once per period.
    """

    def __init__(self, window: int, channels: int):
        super().__init__()
        self.window = window
        self.inp = nn.Conv1d(1, channels, kernel_size=1)
        dilations, total, d = [], 0, 1
        while total + d <= window - 1:
            dilations.append(d)
            total, d = total + d, 2 * d
        if total < window - 1:
            dilations.append(window - 1 - total)
        self.dilations = tuple(dilations)
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size=2, dilation=d) for d in self.dilations
        )
        self.out_dim = channels

    def sequence(self, values: torch.Tensor) -> torch.Tensor:
        """(B, T) scaled demands -> (B, T, channels): position ``p`` encodes the window ending
        at ``p`` (valid from ``p = window - 1`` on)."""
        x = self.inp(values[:, None, :])
        for d, conv in zip(self.dilations, self.convs):
            # Left padding keeps the convolution causal and the length unchanged.
            x = x + F.elu(conv(F.pad(x, (d, 0))))
        return x.transpose(1, 2)

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        return self.sequence(history)[:, -1, :]


class PolicyNet(nn.Module):
    """Base of the policy networks: input scaling and the context encoder (history, static)."""

    def __init__(self, spec: PolicySpec):
        super().__init__()
        self.spec = spec
        self.encoder: nn.Module | None = None
        context = spec.static_dim
        if spec.window:
            if spec.encoder == "wavenet":
                self.encoder = WaveNetEncoder(spec.window, spec.channels)
                context += self.encoder.out_dim
            else:
                context += spec.window
        self.context_dim = context

    def encode_sequence(self, demands: torch.Tensor) -> torch.Tensor | None:
        """Encodings of every window of a demand sequence at once, (B, T, channels), position
        ``p`` for the window ending at ``p``; ``None`` without a WaveNet encoder (then the
        network reads each window itself)."""
        if self.encoder is None:
            return None
        return self.encoder.sequence(demands / self.spec.scale - 1.0)

    def context(
        self,
        history: torch.Tensor | None,
        static: torch.Tensor | None,
        encoded: torch.Tensor | None = None,
    ) -> list:
        """The context inputs: encoded history and squashed static features (a list of parts).
        ``encoded`` is the history's encoding when it was computed ahead
        (:meth:`encode_sequence`)."""
        parts = []
        if self.spec.window:
            if encoded is not None:
                parts.append(encoded)
            else:
                h = history / self.spec.scale - 1.0
                parts.append(self.encoder(h) if self.encoder is not None else h)
        if self.spec.static_dim:
            parts.append(squash_static(static))
        return parts

    def forward(
        self,
        state: torch.Tensor,
        history: torch.Tensor | None = None,
        static: torch.Tensor | None = None,
        encoded: torch.Tensor | None = None,
    ) -> torch.Tensor:
        raise NotImplementedError


INPUT_LINEAR = 20.0
"""State inputs (in units of the mean demand) are passed as they are within this many units
of zero and compressed logarithmically beyond (:func:`compress`)."""

SECONDARY_START = 0.05
"""An MLP's decisions after the first (the expedited order of dual sourcing) start at this
fraction of the mean demand, the first at about the mean demand itself."""


def compress(x: torch.Tensor, linear: float = INPUT_LINEAR) -> torch.Tensor:
    """Identity on ``[-linear, linear]``, ``sign(x) (linear + log1p(|x| - linear))`` beyond:
    continuous with slope 1 at the joints. Lost-sales states stay in the linear part; a
    backlog that runs away early in training (dual sourcing) no longer feeds the network
    inputs of thousands that saturate its activations and stop its gradient for good."""
    magnitude = x.abs()
    outer = torch.sign(x) * (linear + torch.log1p(torch.clamp(magnitude - linear, min=0.0)))
    return torch.where(magnitude <= linear, x, outer)


class MLPPolicy(PolicyNet):
    """Orders = ``scale * softplus(MLP(compress(state / scale - 1), context))``."""

    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        self.head = mlp(
            [spec.state_dim + self.context_dim, *spec.hidden, spec.action_dim], spec.activation
        )
        if spec.action_dim > 1:
            with torch.no_grad():  # softplus(b) = SECONDARY_START for the later decisions
                last = self.head[-1]
                last.bias[1:] = math.log(math.expm1(SECONDARY_START))

    def forward(self, state, history=None, static=None, encoded=None):
        x = torch.cat(
            [compress(state / self.spec.scale - 1.0), *self.context(history, static, encoded)],
            dim=1,
        )
        return F.softplus(self.head(x)) * self.spec.scale


class BaseStockPolicy(PolicyNet):
    """Orders ``(S - IP)^+`` with ``S`` (and the cap ``r`` when ``capped``) a function of the
    context only, so the order falls one for one with the inventory position ``IP``."""

    def __init__(self, spec: PolicySpec, capped: bool):
        super().__init__(spec)
        self.capped = capped
        outputs = 2 if capped else 1
        if self.context_dim:
            self.head = mlp([self.context_dim, *spec.hidden, outputs], spec.activation)
        else:
            self.head = None
        # Starting points: S at a few periods of demand, the cap near one period's demand.
        self.bias = nn.Parameter(torch.tensor([4.0, 1.0][:outputs]))

    def levels(self, history=None, static=None, batch: int = 1, encoded=None) -> torch.Tensor:
        """(B, 1 or 2): the base-stock level ``S`` (and the cap ``r``), in units."""
        raw = self.bias.expand(batch, -1)
        parts = self.context(history, static, encoded)
        if self.head is not None:
            raw = raw + self.head(torch.cat(parts, dim=1))
        return F.softplus(raw) * self.spec.scale

    def forward(self, state, history=None, static=None, encoded=None):
        levels = self.levels(history, static, state.shape[0], encoded)
        position = state.sum(dim=1, keepdim=True)
        order = torch.clamp(levels[:, :1] - position, min=0.0)
        if self.capped:
            order = torch.minimum(order, levels[:, 1:])
        return order


class MonotonePolicy(PolicyNet):
    """An order that decreases in every state component, faster in the more recent ones, and
    never lifts the inventory position above a learned level.

    The state ``(x_0, ..., x_{n-1})`` (oldest first) enters through its reverse partial sums
    ``t_k = x_{n-1} + ... + x_{n-k}`` (``t_n`` is the inventory position ``IP``). The network
    ``f`` is non-increasing in each ``t_k``: every weight on the path from ``-t`` to the output
    is the absolute value of a free parameter and every activation is increasing (half the
    units convex, ``elu(x)``, half concave, ``-elu(-x)``, so that positive combinations still
    bend both ways: the constrained monotone networks of Runje and Shankaranarayana, 2023).
    Then ``d f / d x_j = sum over the t_k containing x_j of d f / d t_k``: every term is <= 0
    and a more recent component appears in more partial sums, so
    ``d/dx_{n-1} <= ... <= d/dx_0 <= 0``. Every weight row also sums to at most 1 and the
    activations (and the output's softplus) are 1-Lipschitz, so ``sum_k |d f / d t_k| <= 1``
    and ``d/dx_{n-1} >= -1``: a unit more on order never lowers the inventory position after
    ordering. That bound is also what keeps backpropagation through long horizons stable: with
    a steeper response, a deviation of the state grows from period to period.

    The order is ``min(f, (S - IP)^+)`` with ``S`` learned: the optimal lost-sales policy never
    raises the inventory position above the backlog system's base-stock level, and the cap
    makes the policy order nothing at large stocks (so its Markov chain is finite). The minimum
    keeps every property above. Context features (history, static) enter the first layer with
    free weights and set ``S``: they move the policy without breaking its shape in the state.
    """

    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        sizes = [spec.state_dim, *spec.hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))
        with torch.no_grad():
            # The order starts at about one period's mean demand (softplus(0.54) = 1).
            self.layers[-1].bias.fill_(0.54)
        # t_k is centred on k periods of mean demand (a constant shift: the shape is unchanged).
        self.register_buffer("centre", torch.arange(1, spec.state_dim + 1, dtype=torch.float32))
        self.context_layer = (
            nn.Linear(self.context_dim, spec.hidden[0], bias=False) if self.context_dim else None
        )
        self.level = (
            mlp([self.context_dim, *spec.hidden, 1], spec.activation) if self.context_dim else None
        )
        # S starts at (n + 2) periods of demand: above any sensible level, so it binds late.
        self.level_bias = nn.Parameter(torch.tensor([math.log(math.expm1(spec.state_dim + 2.0))]))

    def forward(self, state, history=None, static=None, encoded=None):
        sums = torch.cumsum(torch.flip(state, dims=[1]), dim=1)
        # Negated and scaled: the network is non-decreasing in every input column.
        x = self.centre - sums / self.spec.scale
        context = self.context(history, static, encoded) if self.context_dim else []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = F.linear(x, _contraction(layer.weight), layer.bias)
            if i == 0 and self.context_layer is not None:
                x = x + self.context_layer(torch.cat(context, dim=1))
            if i < last:
                half = x.shape[1] // 2
                x = torch.cat([F.elu(x[:, :half]), -F.elu(-x[:, half:])], dim=1)
        order = F.softplus(x) * self.spec.scale
        raw = self.level_bias.expand(state.shape[0], 1)
        if self.level is not None:
            raw = raw + self.level(torch.cat(context, dim=1))
        level = F.softplus(raw) * self.spec.scale
        return torch.minimum(order, torch.clamp(level - sums[:, -1:], min=0.0))


def _contraction(weight: torch.Tensor) -> torch.Tensor:
    """Non-negative weights whose rows sum to at most 1: with 1-Lipschitz activations the layer
    cannot amplify a change of its inputs (in the max norm)."""
    w = torch.abs(weight)
    return w / torch.clamp(w.sum(dim=1, keepdim=True), min=1.0)


class IntervalPolicy(PolicyNet):
    """Order ``(S_lo - IP)^+`` and remove ``(IP - S_hi)^+`` with ``S_hi = S_lo + softplus(.)
    >= S_lo``, both levels a function of the clock (the last state feature, the time left)
    and the context only: an interval policy by construction (the optimal structure of joint
    procurement and removal, SCENARIOS.md section 4). ``IP`` is the sum of the other state
    features; the shell caps the removal at the stock on hand."""

    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        self.head = mlp([1 + self.context_dim, *spec.hidden, 2], spec.activation)
        with torch.no_grad():  # start near S_lo = 1.5 and S_hi = 3 periods of demand
            self.head[-1].bias[:] = torch.tensor([math.log(math.expm1(1.5))] * 2)

    def levels(self, state, history=None, static=None, encoded=None) -> torch.Tensor:
        """(B, 2): ``S_lo`` and ``S_hi``, in units."""
        clock = state[:, -1:] / self.spec.scale - 1.0
        raw = self.head(torch.cat([compress(clock), *self.context(history, static, encoded)], 1))
        low = F.softplus(raw[:, :1]) * self.spec.scale
        return torch.cat([low, low + F.softplus(raw[:, 1:]) * self.spec.scale], dim=1)

    def forward(self, state, history=None, static=None, encoded=None):
        levels = self.levels(state, history, static, encoded)
        position = state[:, :-1].sum(dim=1, keepdim=True)
        order = torch.clamp(levels[:, :1] - position, min=0.0)
        remove = torch.clamp(position - levels[:, 1:], min=0.0)
        return torch.cat([order, remove], dim=1)


def build_policy(spec: PolicySpec) -> PolicyNet:
    """The network of a spec (weights freshly initialised)."""
    if spec.kind == "mlp":
        return MLPPolicy(spec)
    if spec.kind == "interval":
        return IntervalPolicy(spec)
    if spec.kind == "monotone":
        return MonotonePolicy(spec)
    return BaseStockPolicy(spec, capped=spec.kind == "capped_base_stock")


def count_parameters(net: nn.Module) -> int:
    """Number of trainable numbers."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


__all__ = [
    "KINDS",
    "BaseStockPolicy",
    "IntervalPolicy",
    "MLPPolicy",
    "MonotonePolicy",
    "PolicyNet",
    "PolicySpec",
    "WaveNetEncoder",
    "build_policy",
    "count_parameters",
]
