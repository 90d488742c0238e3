"""The results folder of a sweep: one suite version, one file per trial, written atomically.

A record is written to a temporary file in the trial's own folder, flushed to disk, then moved
onto its name with :func:`os.replace` (atomic on one file system): an interrupted write leaves
a ``*.tmp`` file that no reader takes for a result, never half a record. ``suite.json`` names
the suite version and fingerprint a folder holds; a sweep of another version or fingerprint
is refused (:class:`FolderMismatch`) rather than mixed in.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from baselines.benchmark.trial import IDENTITY, Trial

MANIFEST = "suite.json"
"""The file naming the suite version a results folder holds."""
TRIALS = "trials"
"""The folder of the trial files."""


class FolderMismatch(ValueError):
    """A results folder holds trials of another suite version, or a file that is not the
    trial its path says."""


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Write ``doc`` to ``path`` atomically: a temporary file beside it, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide results from others
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def manifest(suite: Any) -> dict[str, Any]:
    """What ``suite.json`` says of a suite."""
    ev = suite.evaluation
    return {
        "suite": suite.name,
        "version": suite.version,
        "fingerprint": suite.fingerprint,
        "problem": suite.problem,
        "evaluation": {
            "num_paths": ev.num_paths,
            "periods": ev.periods,
            "burn_in": ev.burn_in,
            "seed": ev.seed,
        },
        "instances": [i.name for i in suite.instances],
    }


def open_folder(out: str | Path, suite: Any) -> Path:
    """Check (or start) the results folder ``out`` for ``suite``.

    Raises:
        FolderMismatch: when ``out`` holds results of another suite, version or fingerprint
            (in its ``suite.json`` or in any trial file).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FolderMismatch(f"results folder {out} is a file, not a folder")
    want = manifest(suite)
    path = out / MANIFEST
    if path.exists():
        try:
            have = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise FolderMismatch(
                f"results folder {out}: {path.name} is unreadable ({err})"
            ) from None
        _check_same(out, have.get("suite"), have.get("version"), have.get("fingerprint"), want)
    else:
        for record_path in _trial_files(out):
            record = read_record(record_path)
            _check_same(
                out,
                record.get("suite"),
                record.get("suite_version"),
                record.get("suite_fingerprint"),
                want,
            )
    write_json(path, want)
    return out


def _check_same(out: Path, name: Any, version: Any, fingerprint: Any, want: dict) -> None:
    if (name, version, fingerprint) != (want["suite"], want["version"], want["fingerprint"]):
        raise FolderMismatch(
            f"results folder {out} holds trials of suite {name!r} v{version} (fingerprint "
            f"{fingerprint}), not of {want['suite']!r} v{want['version']} (fingerprint "
            f"{want['fingerprint']}): results of two suite definitions are never mixed; "
            "give another --out (the default folder is named after the suite and version)"
        )


def _trial_files(out: Path) -> Iterable[Path]:
    root = out / TRIALS
    if not root.is_dir():
        return []
    return sorted(root.glob("*/*/*.json"))


REQUIRED = tuple(k for k in IDENTITY if k != "settings")
"""The fields every trial file has (``settings`` came later)."""


def read_record(path: Path) -> dict[str, Any]:
    """A trial file's record.

    Raises:
        FolderMismatch: for a file that is not a JSON record (it was not written by a sweep:
            an atomic write leaves a whole record or none).
    """
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise FolderMismatch(
            f"trial file {path} is unreadable ({err}); remove it and rerun to redo the trial"
        ) from None
    if not isinstance(record, dict) or any(k not in record for k in REQUIRED):
        raise FolderMismatch(f"trial file {path} is not a trial record; remove it and rerun")
    record.setdefault("settings", None)  # written before trials recorded their settings
    return record


def is_done(out: Path, trial: Trial) -> bool:
    """Whether ``trial``'s file exists (and is that trial).

    Raises:
        FolderMismatch: when the file at the trial's path records another trial.
    """
    path = out / trial.relpath
    if not path.exists():
        return False
    record = read_record(path)
    want = trial.identity()
    differ = [k for k in IDENTITY if record.get(k) != want[k]]
    if differ == ["settings"]:
        raise FolderMismatch(
            f"trial file {path} was trained with other settings of {trial.algo} (digest "
            f"{record['settings']!r}; they are now {want['settings']!r}: a default changed, "
            "see its train_info.config); remove the file to redo the trial with the new "
            "settings, or give another --out"
        )
    if differ:
        detail = ", ".join(f"{k}: {record.get(k)!r} vs {want[k]!r}" for k in differ)
        raise FolderMismatch(
            f"trial file {path} records another trial ({detail}); remove it or give another --out"
        )
    return True


def write_record(out: Path, record: Mapping[str, Any]) -> Path:
    """Write a trial's record to its file (atomically) and return the path."""
    trial = Trial(**{k: record[k] for k in Trial.__dataclass_fields__})
    path = Path(out) / trial.relpath
    write_json(path, record)
    return path


def load_records(out: str | Path, suite: Any = None) -> list[dict[str, Any]]:
    """Every trial record of a results folder (checked against ``suite`` when given).

    Raises:
        FolderMismatch: for a record of another suite version than ``suite``'s, or trials of
            one algorithm and budget trained with different settings (they would be averaged
            as one).
    """
    out = Path(out)
    records = [read_record(p) for p in _trial_files(out)]
    if suite is not None:
        want = manifest(suite)
        for r in records:
            _check_same(out, r["suite"], r["suite_version"], r["suite_fingerprint"], want)
    seen: dict[tuple[Any, Any], set[Any]] = {}
    for r in records:
        seen.setdefault((r["algo"], r["budget"]), set()).add(r["settings"])
    mixed = {k: v for k, v in seen.items() if len(v) > 1}
    if mixed:
        (algo, budget), digests = next(iter(mixed.items()))
        raise FolderMismatch(
            f"{out}: the trials of {algo} (budget {budget}) were trained with different "
            f"settings ({', '.join(sorted(map(str, digests)))}): a default changed between "
            "them; remove the older files (their train_info.config says what they ran) or "
            "move them to another folder"
        )
    return records
