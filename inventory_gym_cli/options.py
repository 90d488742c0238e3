"""Argument helpers shared by the commands: ``--set`` values, the instance, the evaluation and
fitting options, ``--threads``, and how output is printed."""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym

import inventory_gym
from inventory_gym.core.instance import Instance, make_instance
from inventory_gym.threads import DEFAULT_THREADS

PROG = "inventory-gym"


class CLIError(Exception):
    """A bad argument or parameter: printed as one line, exit status 2."""


def parse_value(text: str) -> Any:
    """``--set`` values: ints, floats, booleans, ``none``, comma lists (tuples), else strings
    (demand specs such as ``geometric(5)`` stay strings)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if "," in text and "(" not in text and ":" not in text:
        return tuple(parse_value(part) for part in text.split(","))
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """``["lead_time=1", "demand=geometric(5)"]`` -> keyword overrides."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key.strip()):
            raise CLIError(f"--set expects key=value (e.g. lead_time=1), got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def slug(env_id: str, kwargs: dict[str, Any]) -> str:
    """A file-name-safe name of an instance."""
    parts = [env_id] + [f"{k}-{v}" for k, v in sorted(kwargs.items())]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts))


DEFAULT_PERIODS = 1000
"""Periods scored per path after the burn-in, for long-run averages."""
DEFAULT_BURN_IN = 500
"""Periods discarded first, for long-run averages."""


def instance_of(args: argparse.Namespace) -> Instance:
    """The instance of ``ENV --set ...``, or a one-line error naming what is wrong."""
    kwargs = parse_sets(args.set)
    if args.env not in gym.envs.registry:
        raise CLIError(f"unknown env {args.env!r}; registered: {', '.join(inventory_gym.ENV_IDS)}")
    try:
        inst = make_instance(args.env, kwargs)
    except (ValueError, TypeError) as err:
        raise CLIError(f"{args.env}: {err}") from None
    season_defaults(args, inst)
    check_sizes(args, inst)
    return inst


def season_defaults(args: argparse.Namespace, inst: Instance) -> None:
    """Fill ``--periods`` and ``--burn-in`` left unset: one season from the starting state for
    a problem whose episode is a season (:meth:`Problem.season`), else the long-run defaults."""
    if not hasattr(args, "periods"):
        return
    season = inst.problem.season(inst.params)
    if args.periods is None:
        args.periods = season if season is not None else DEFAULT_PERIODS
    if args.burn_in is None:
        args.burn_in = 0 if season is not None else DEFAULT_BURN_IN


def season_training(inst: Instance) -> dict[str, Any]:
    """DirectBackprop's settings for a problem whose episode is a season
    (:func:`dbp.config.season_settings`; empty for long-run problems)."""
    season = inst.problem.season(inst.params)
    if season is None:
        return {}
    from dbp.config import season_settings

    return season_settings(season)


def eval_options(args: argparse.Namespace) -> dict[str, Any]:
    """The harness's keyword arguments of the test paths."""
    return dict(
        num_paths=args.paths,
        periods=args.periods,
        burn_in=args.burn_in,
        seed=args.seed,
        discount=args.discount,
    )


def fit_config(args: argparse.Namespace) -> Any:
    from baselines.fitting import FitConfig

    return FitConfig(
        num_paths=args.fit_paths,
        periods=args.fit_periods,
        seed=args.fit_seed,
        progress=progress(args),
    )


def check_policy_name(inst: Any, name: str) -> None:
    """Refuse (:class:`CLIError`, listing the names) a ``--policy`` the instance's problem
    does not offer."""
    from baselines.registry import entries

    available = entries(inst.problem)
    if name not in available:
        raise CLIError(
            f"--policy {name!r} is not available for {inst.env_id} ({inst.problem.name}); "
            f"choose from {', '.join(available) or 'none'}"
        )


def fit_named(args: argparse.Namespace, inst: Any, name: str) -> Any:
    """The named policy fitted on the instance with the command's fitting options."""
    from baselines.registry import fit_policy

    check_policy_name(inst, name)
    say(args, f"fitting {name} on {inst.label} ...")
    return fit_policy(name, inst.env_id, inst.kwargs, fit_config(args))


def progress(args: argparse.Namespace) -> bool:
    return not args.quiet and not args.json


def say(args: argparse.Namespace, text: str) -> None:
    """Human-readable output (stderr when --json keeps stdout for the document)."""
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def threads(args: argparse.Namespace) -> int | None:
    """``--threads`` (0: leave the libraries' own defaults)."""
    value = getattr(args, "threads", DEFAULT_THREADS)
    return None if value == 0 else value


def int_list(flag: str, text: str | None) -> list[int] | None:
    """``"64,64"`` -> ``[64, 64]``; ``None`` stays ``None``."""
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CLIError(
            f"{flag} expects comma-separated integers such as 64,64, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise CLIError(f"{flag} expects positive integers, got {text!r}")
    return values


def plain(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"torch and BLAS/OpenMP threads (default {DEFAULT_THREADS}: on a shared machine a "
        "second thread gains little and loses much to other load; 0: the libraries' defaults)",
    )


def add_instance_args(
    p: argparse.ArgumentParser, *, simulate: bool = True, fit: bool = True
) -> None:
    """The options every command but ``list`` has: the instance, output, ``--threads``, and
    (``simulate``) the test paths and (``fit``) the fitting paths."""
    p.add_argument("env", metavar="ENV", help="registered env id, e.g. LostSalesLeadTime-v0")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="env keyword override, repeatable (lead_time=1, lost_sales_cost=4, "
        "demand=geometric(5), max_order=20, ...)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--discount",
        type=float,
        default=None,
        help="score the discounted cost (e.g. 0.99) instead of the average cost per period",
    )
    add_threads(p)
    if not simulate:
        return
    g = p.add_argument_group("evaluation (common random numbers)")
    g.add_argument("--paths", type=int, default=1000, help="demand paths (default 1000)")
    g.add_argument(
        "--periods",
        type=int,
        default=None,
        help=f"periods per path after the burn-in (default {DEFAULT_PERIODS}; for a problem "
        "whose episode is a selling season, its length)",
    )
    g.add_argument(
        "--burn-in",
        type=int,
        default=None,
        help=f"periods discarded first (default {DEFAULT_BURN_IN}: the constant order, whose "
        "stock relaxes slowly, needs a long one; 0 for a selling season)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the evaluation paths (default 0)")
    g.add_argument(
        "--no-exact",
        dest="exact",
        action="store_false",
        help="skip the exact cost of integer policies (Markov chain, lost sales)",
    )
    if fit:
        add_fit_args(p)


def add_fit_args(
    p: argparse.ArgumentParser, title: str = "fitting (on other paths than the evaluation)"
) -> None:
    """The fitting paths of the named heuristics (read by :func:`fit_config`)."""
    f = p.add_argument_group(title)
    f.add_argument("--fit-paths", type=int, default=500, help="paths per candidate (default 500)")
    f.add_argument(
        "--fit-periods", type=int, default=1000, help="periods per candidate (default 1000)"
    )
    f.add_argument("--fit-seed", type=int, default=20261126, help="seed of the fitting paths")


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Range checks of the shared options (``parser.error`` names the flag)."""
    for name in ("paths", "periods", "fit_paths", "fit_periods"):
        if getattr(args, name, 1) is not None and getattr(args, name, 1) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    for name in ("seed", "fit_seed"):
        if getattr(args, name, 0) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    if (getattr(args, "burn_in", 0) or 0) < 0:
        parser.error(f"--burn-in must be >= 0, got {args.burn_in}")
    if getattr(args, "threads", 0) < 0:
        parser.error(f"--threads must be >= 0 (0: the libraries' defaults), got {args.threads}")
    discount = getattr(args, "discount", None)
    if discount is not None and not (0.0 < discount < 1.0 or math.isclose(discount, 1.0)):
        parser.error(f"--discount must be in (0, 1], got {discount}")


def check_out_folder(flag: str, path: str | Path) -> Path:
    """An output folder that is not a file (checked before any work)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{flag} {path}: is a file, not a folder (give a folder to write into)")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise CLIError(f"{flag} {path}: {parent} is a file, not a folder")
    return path


def check_out_file(flag: str, path: str | Path) -> Path:
    """An output file whose folder can be made (checked before any work)."""
    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{flag} {path}: is a folder, not a file name")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise CLIError(f"{flag} {path}: {parent} is a file, not a folder")
    return path


def check_run_dir(
    path: str | Path, files: Sequence[str], *, resume: bool, overwrite: bool, checkpoint: str
) -> Path:
    """The run directory of ``train --out``, checked before any work.

    A directory holding a previous run (any of ``files``) is refused unless ``--resume``
    (continue it: its ``checkpoint`` must be there) or ``--overwrite`` (its run files are
    removed first) is given.
    """
    path = check_out_folder("--out", path)
    if resume and overwrite:
        raise CLIError("--resume continues the run in --out and --overwrite replaces it: give one")
    found = [name for name in files if (path / name).exists()]
    if resume:
        if not (path / checkpoint).is_file():
            have = f" (it holds {', '.join(found)})" if found else ""
            raise CLIError(
                f"--resume: no checkpoint {path / checkpoint} to continue from{have}; "
                "train without --resume (add --overwrite to replace what is there)"
            )
        return path
    if found and not overwrite:
        raise CLIError(
            f"--out {path} holds a previous run ({', '.join(found)}); continue it with "
            "--resume, replace it with --overwrite, or give another --out"
        )
    for name in found:
        target = path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    return path


def check_device(flag: str, value: str | None) -> None:
    """A torch device that exists here (``cuda`` on a CPU-only torch is refused up front)."""
    if value is None:
        return
    import torch

    try:
        device = torch.device(value)
    except (RuntimeError, ValueError, TypeError):
        raise CLIError(
            f"{flag} {value!r}: not a torch device (cpu, cuda, cuda:1, mps, ...)"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            built = "without CUDA" if not torch.backends.cuda.is_built() else "with no GPU visible"
            raise CLIError(f"{flag} {value}: this torch {torch.__version__} runs {built}; use cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise CLIError(
                f"{flag} {value}: there are {torch.cuda.device_count()} CUDA device(s) here"
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise CLIError(f"{flag} {value}: MPS is not available here; use cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise CLIError(f"{flag} {value}: inventory-gym trains on cpu, cuda or mps")


def check_sizes(args: argparse.Namespace, inst: Instance) -> None:
    """Refuse, before any work, path counts whose simulation does not fit in memory (the
    message says what it would need, what is available and how many paths fit)."""
    from inventory_gym.core.memory import batch_bytes, batch_refusal, memory_refusal

    width = inst.problem.state_dim(inst.params) + inst.shell.demand_window
    if inst.shell.static_features:
        width += len(inst.problem.static_features(inst.params))
    reason = memory_refusal(batch_bytes(1, width), f"one path of its {width:,} state features")
    if reason is not None:
        raise CLIError(f"{inst.label}: {reason}; choose --set values with a smaller state")
    for name in ("paths", "fit_paths", "eval_paths"):
        rows = getattr(args, name, None)
        if rows is None:
            continue
        flag = "--" + name.replace("_", "-")
        reason = batch_refusal(rows, width, "the simulation")
        if reason is not None:
            raise CLIError(f"{flag} {rows}: {reason}; lower {flag}")
