"""One loader for every saved policy, dispatching on the format its header declares.

A saved policy is

- a directory with ``policy.json`` + ``weights.pt``: a DirectBackprop network
  (``"format": "inventory-gym/dbp-policy"``, :mod:`dbp.trained`) or a PPO actor
  (``"format": "inventory-gym/ppo-policy"``, :mod:`baselines.ppo`); a training run's directory
  stands for its best policy in ``policy/``;
- an ``.npz`` policy table of an exact solver, read by :func:`baselines.exact.load_table`.

Every header also names the problem and the instance the policy was made for. A corrupt or
foreign file raises :class:`ArtifactError`, one line naming the file and what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLICY_FILE = "policy.json"
BEST_DIR = "policy"
DBP_FORMAT = "inventory-gym/dbp-policy"
PPO_FORMAT = "inventory-gym/ppo-policy"
TABLE_FORMAT = "inventory-gym/dp-table"


class ArtifactError(ValueError):
    """A file that is not a readable saved policy: the message names it and what is wrong."""


@dataclass(frozen=True)
class Artifact:
    """A policy read back, with what its header says about it."""

    policy: Any
    format: str
    path: Path
    problem: str | None
    """The problem's name it was made for (``None``: an older file that does not say)."""


def _loaders() -> dict[str, Any]:
    # Imported on use: reading a DP table must not import torch.
    def dbp(path: Path) -> Any:
        from dbp.trained import load

        return load(path)

    def ppo(path: Path) -> Any:
        from baselines.ppo import load

        return load(path)

    return {DBP_FORMAT: dbp, PPO_FORMAT: ppo}


FORMATS = (DBP_FORMAT, PPO_FORMAT)
"""The formats of saved policy directories."""


def read_header(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """The ``policy.json`` of a saved policy directory (or of a run's ``policy/``) and its
    parsed header."""
    path = Path(path)
    candidates = [path / POLICY_FILE, path / BEST_DIR / POLICY_FILE]
    if path.is_file() and path.name == POLICY_FILE:
        candidates = [path]
    doc_path = next((c for c in candidates if c.is_file()), None)
    if doc_path is None:
        raise ArtifactError(f"{path}: no {POLICY_FILE} here or in {path / BEST_DIR}")
    try:
        doc = json.loads(doc_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArtifactError(f"{doc_path}: not a readable JSON policy header ({err})") from None
    if not isinstance(doc, dict):
        raise ArtifactError(f"{doc_path}: not a policy header (a JSON {type(doc).__name__})")
    return doc_path, doc


def load_policy(path: str | Path) -> Artifact:
    """Read any saved policy back (see the module's docstring for what it accepts).

    Raises:
        ArtifactError: for a missing, corrupt or foreign file (one line naming it).
    """
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: no such file or directory")
    if path.is_dir() or path.name == POLICY_FILE:
        doc_path, doc = read_header(path)
        fmt = doc.get("format")
        loader = _loaders().get(fmt)
        if loader is None:
            raise ArtifactError(
                f"{doc_path}: unknown format {fmt!r} (expected one of {', '.join(FORMATS)})"
            )
        try:
            policy = loader(doc_path.parent)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as err:
            raise ArtifactError(f"{doc_path.parent}: unreadable {fmt} ({_one_line(err)})") from None
        return Artifact(policy, fmt, doc_path.parent, _problem(doc))
    from baselines.exact import load_table

    try:
        policy = load_table(path)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as err:
        raise ArtifactError(f"{path}: not a saved policy table ({_one_line(err)})") from None
    return Artifact(policy, TABLE_FORMAT, path, _table_problem(path, policy))


def _problem(doc: dict[str, Any]) -> str | None:
    if isinstance(doc.get("problem"), str):
        return doc["problem"]
    instance = doc.get("instance")
    if isinstance(instance, dict) and isinstance(instance.get("problem"), str):
        return instance["problem"]
    return None


def _table_problem(path: Path, policy: Any) -> str | None:
    """The problem of a DP table (its header names it; :func:`baselines.exact.load_table`
    refuses a table that does not)."""
    problem = getattr(policy, "problem", None)
    return getattr(problem, "name", problem) if problem is not None else None


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def describe(policy: Any) -> dict[str, Any]:
    """What a policy says about itself: ``describe()`` (trained networks) or ``params()``
    (heuristics, policy tables); ``{}`` for a callable that says nothing."""
    for method in ("describe", "params"):
        found = getattr(policy, method, None)
        if callable(found):
            try:
                return dict(found())
            except TypeError:
                return {}
    return {}
