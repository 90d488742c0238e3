"""A trained DirectBackprop policy: a batched callable for the harness, saved as JSON + weights.

On disk a policy is a directory with ``policy.json`` (its ``"format"`` and ``"version"``, the
problem and the instances it was trained on, the network's :class:`PolicySpec` and its name)
and ``weights.pt`` (the ``state_dict``, loaded with
``weights_only=True``): no pickled code, so a policy file can be shared and inspected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dbp.policies import PolicyNet, PolicySpec, build_policy

FORMAT = "inventory-gym/dbp-policy"
VERSION = 2
"""Version 2 adds ``problem`` and ``instances`` to the header; version 1 files still load."""
READABLE = (1, 2)
POLICY_FILE = "policy.json"
WEIGHTS_FILE = "weights.pt"


class DBPPolicy:
    """A policy network behind the harness's interface: ``policy(obs) -> orders``.

    ``obs`` is a batch of the env's observations (numpy, or torch on any device): state
    features, then the demand window, then the static features; the policy asks the env for
    the last two through :attr:`env_options`. States narrower than the network's (a shorter lead
    time than the widest one trained on) are padded with zeros, as in training. Orders come back
    continuous; the harness rounds them when demand is integer, as the policy was meant to be
    used.
    """

    continuous_orders = False

    def __init__(self, net: PolicyNet, *, name: str | None = None, meta: dict | None = None):
        self.net = net.eval()
        self.spec: PolicySpec = net.spec
        self.name = name or f"dbp-{self.spec.kind}"
        self.meta = dict(meta or {})
        param = next(iter(net.parameters()), None)
        self.device = param.device if param is not None else torch.device("cpu")
        self.dtype = param.dtype if param is not None else torch.float32

    @property
    def env_options(self) -> dict[str, Any]:
        """The observation options the env must provide for this policy."""
        options: dict[str, Any] = {}
        if self.spec.window:
            options["demand_window"] = self.spec.window
        if self.spec.static_dim:
            options["static_features"] = True
        return options

    def split(self, obs: torch.Tensor) -> tuple[torch.Tensor, Any, Any]:
        """Split observations into (padded state, history, static) network inputs."""
        spec = self.spec
        if obs.ndim != 2:
            raise ValueError(
                f"{self.name}: observations must be (batch, features), got shape {tuple(obs.shape)}"
            )
        n_state = obs.shape[1] - spec.window - spec.static_dim
        if not 1 <= n_state <= spec.state_dim:
            raise ValueError(
                f"{self.name}: observations of {obs.shape[1]} features do not fit the network "
                f"(at most {spec.state_dim} state features + demand_window={spec.window} + "
                f"{spec.static_dim} static features); make the env with env_options="
                f"{self.env_options}"
            )
        state = obs[:, :n_state]
        if n_state < spec.state_dim:
            state = torch.nn.functional.pad(state, (0, spec.state_dim - n_state))
        history = obs[:, n_state : n_state + spec.window] if spec.window else None
        static = obs[:, n_state + spec.window :] if spec.static_dim else None
        return state, history, static

    def __call__(self, obs: Any) -> Any:
        is_torch = isinstance(obs, torch.Tensor)
        x = obs if is_torch else torch.as_tensor(np.asarray(obs))
        x = x.to(device=self.device, dtype=self.dtype)
        with torch.no_grad():
            orders = self.net(*self.split(x))
        if self.spec.action_dim == 1:
            orders = orders[:, 0]
        if is_torch:
            return orders.to(obs.device)
        return orders.cpu().numpy().astype(np.float64)

    def state_policy(self, static_row: np.ndarray | None = None) -> Any:
        """A callable on state features alone (for exact Markov-chain costs), with the static
        features of one instance appended; refuses policies that read the demand history."""
        if self.spec.window:
            raise ValueError(
                f"{self.name} reads the demand history: it is not a function of the state alone"
            )
        row = np.zeros(0) if static_row is None else np.asarray(static_row, np.float64)
        if row.shape[0] != self.spec.static_dim:
            raise ValueError(
                f"{self.name}: expected {self.spec.static_dim} static features, got {row.shape[0]}"
            )

        def policy(states: np.ndarray) -> np.ndarray:
            states = np.asarray(states, np.float64)
            full = np.concatenate([states, np.broadcast_to(row, (states.shape[0], row.size))], 1)
            return self(full)

        return policy

    @property
    def problem(self) -> str | None:
        """The name of the problem it was trained on (``None`` if its file does not say)."""
        return self.meta.get("problem")

    def describe(self) -> dict[str, Any]:
        """The network's architecture, for result tables."""
        return {
            "kind": self.spec.kind,
            "hidden": list(self.spec.hidden),
            "window": self.spec.window,
            "static_dim": self.spec.static_dim,
        }

    def to(self, device: Any) -> DBPPolicy:
        """Move the network (for evaluation with ``backend="torch"`` on a GPU)."""
        self.net.to(device)
        self.device = torch.device(device)
        return self

    def save(self, path: str | Path) -> Path:
        """Write ``policy.json`` and ``weights.pt`` into the directory ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "problem": self.meta.get("problem"),
            "instances": self.meta.get("instances"),
            "name": self.name,
            "spec": self.spec.to_dict(),
            "meta": self.meta,
        }
        (path / POLICY_FILE).write_text(json.dumps(doc, indent=2) + "\n")
        state = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
        torch.save(state, path / WEIGHTS_FILE)
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: Any = "cpu") -> DBPPolicy:
        """Read a policy saved by :meth:`save` (or a training run's directory)."""
        path = Path(path)
        doc_path = path / POLICY_FILE
        if not doc_path.is_file():
            raise FileNotFoundError(f"no {POLICY_FILE} in {path}: not a saved DBP policy")
        doc = json.loads(doc_path.read_text())
        if doc.get("format") != FORMAT:
            raise ValueError(f"{doc_path}: not a DBP policy file (format {doc.get('format')!r})")
        if doc.get("version") not in READABLE:
            raise ValueError(
                f"{doc_path}: version {doc.get('version')!r}, this code reads {READABLE}"
            )
        net = build_policy(PolicySpec.from_dict(doc["spec"]))
        state = torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        meta = dict(doc.get("meta") or {})
        if doc.get("problem"):
            meta.setdefault("problem", doc["problem"])
        return cls(net.to(device), name=doc.get("name"), meta=meta)


def is_saved_policy(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding a saved DBP policy."""
    return (Path(path) / POLICY_FILE).is_file()


load = DBPPolicy.load
