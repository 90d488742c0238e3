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
WEIGHTS_FILE = "weights.pt"
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
    instances: tuple[dict[str, Any], ...] = ()
    """The instances it was made for, as ``Instance.to_dict()`` (``()``: the file does not
    say); a DBP policy trained on several instances declares that it generalises."""
    params: Any = None
    """The params of the instance it was made for (DP tables, whose header stores them)."""

    @property
    def generalises(self) -> bool:
        """Whether the policy was trained across instances (so it may be scored on others)."""
        return len(self.instances) > 1


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
            weights = doc_path.parent / WEIGHTS_FILE
            if isinstance(err, RuntimeError) and weights.is_file():
                # torch's message on a damaged file is a paragraph that names no file.
                raise ArtifactError(
                    f"{weights}: truncated or damaged weights ({weights.stat().st_size} bytes, "
                    f"not a readable torch file); save the {fmt} again"
                ) from None
            raise ArtifactError(
                f"{doc_path.parent}: unreadable {fmt} ({_one_line(err, doc_path.parent)})"
            ) from None
        return Artifact(policy, fmt, doc_path.parent, _problem(doc), _instances(doc))
    from baselines.exact import load_table

    try:
        policy = load_table(path)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as err:
        raise ArtifactError(f"{path}: not a saved policy table ({_one_line(err, path)})") from None
    grid = getattr(policy, "grid", None)
    return Artifact(
        policy,
        TABLE_FORMAT,
        path,
        _table_problem(path, policy),
        params=getattr(grid, "params", None),
    )


def _instances(doc: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The instances a policy header records (DBP: ``instances``; PPO: ``instance``)."""
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    found = doc.get("instances") or meta.get("instances")
    if found is None:
        one = doc.get("instance") or meta.get("instance")
        found = [one] if one else []
    if not isinstance(found, list):
        return ()
    return tuple(d for d in found if isinstance(d, dict) and isinstance(d.get("env_id"), str))


def _params_key(params: Any) -> Any:
    from baselines.tables import params_header

    return params_header(params)


def _label(inst_doc: dict[str, Any]) -> str:
    kwargs = inst_doc.get("env_kwargs") or {}
    extra = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{inst_doc['env_id']}({extra})" if extra else inst_doc["env_id"]


def _params_of(inst_doc: dict[str, Any]) -> Any:
    """The params of a recorded instance (``None`` when they cannot be rebuilt here)."""
    from inventory_gym.core.instance import make_instance

    try:
        return make_instance(inst_doc["env_id"], dict(inst_doc.get("env_kwargs") or {})).params
    except (ValueError, TypeError, KeyError):
        return None


def check_instance(artifact: Artifact, inst: Any) -> str | None:
    """Refuse a saved policy made for another problem or another instance than ``inst``.

    Returns:
        ``None`` when the policy was made for ``inst``; for a policy that generalises (trained
        across instances), a line naming the instances it was trained on.

    Raises:
        ArtifactError: for another problem, or another instance of a policy that does not
            generalise (the message names both instances).
    """
    if artifact.problem is not None and artifact.problem != inst.problem.name:
        raise ArtifactError(
            f"{artifact.path} was made for the {artifact.problem} problem, and "
            f"{inst.env_id} is a {inst.problem.name} problem"
        )
    here = _params_key(inst.params)
    if artifact.params is not None:
        if _params_key(artifact.params) != here:
            raise ArtifactError(
                f"{artifact.path} was solved for another instance than {inst.label} "
                f"(its params {_diff(_params_key(artifact.params), here)}); solve this "
                "instance, or give the --set options it was solved with"
            )
        return None
    if not artifact.instances:
        return None
    trained = ", ".join(_label(d) for d in artifact.instances)
    keys = [_params_of(d) for d in artifact.instances]
    if any(k is not None and _params_key(k) == here for k in keys):
        return None if not artifact.generalises else f"trained on {trained}"
    if artifact.generalises:
        return f"trained on {trained} (a cross-instance policy, scored here on {inst.label})"
    theirs = keys[0]
    why = _diff(_params_key(theirs), here) if theirs is not None else "cannot be rebuilt"
    raise ArtifactError(
        f"{artifact.path} was trained on {trained}, not on {inst.label} (its params {why}); "
        "train it on this instance, or give the --set options it was trained with"
    )


def _diff(theirs: dict[str, Any], ours: dict[str, Any]) -> str:
    keys = [k for k in theirs if theirs.get(k) != ours.get(k)]
    return ", ".join(f"{k}={theirs.get(k)!r} where this one has {ours.get(k)!r}" for k in keys)


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


def _one_line(err: BaseException, path: Path | None = None) -> str:
    """The first line of an error, without the file name the message already starts with."""
    lines = str(err).strip().splitlines()
    text = lines[0] if lines else type(err).__name__
    if path is not None:
        for prefix in (f"{path / POLICY_FILE}: ", f"{path}: "):
            if text.startswith(prefix):
                text = text[len(prefix) :]
    return text


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
