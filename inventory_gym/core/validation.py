"""Validation helpers for the parameter dataclasses: every error names the field and the value."""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any


class RenderModeError(ValueError, TypeError):
    """An unsupported ``render_mode``. It is also a ``TypeError`` because that is what
    stable-baselines3's ``make_vec_env`` catches to retry without its default
    ``render_mode="rgb_array"``; the vector envs render text (``"ansi"``) only."""


def check_render_mode(render_mode: Any, modes: list[str], hint: str = "") -> str | None:
    """Return ``render_mode`` after checking it is one of ``modes`` or None.

    Raises:
        RenderModeError: naming the value and the modes (then ``hint``, if given).
    """
    if render_mode is not None and render_mode not in modes:
        raise RenderModeError(
            f"render_mode must be one of {modes} or None, got {render_mode!r}"
            + (f": {hint}" if hint else "")
        )
    return render_mode


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(
    owner: str, name: str, value: Any, *, low: float | None = 0.0, strict: bool = False
) -> float:
    """Return ``value`` as a float after checking it is a finite real number above ``low``.

    Args:
        owner: the class the field belongs to, for the message.
        name: the field name.
        value: the value given.
        low: the lower bound (``None`` for none).
        strict: whether ``low`` itself is excluded.

    Raises:
        ValueError: naming ``owner.name`` and the value.
    """
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{owner}: {name} must be a finite real number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (strict and value == low)):
        bound = "positive" if strict and low == 0 else f"{'>' if strict else '>='} {low:g}"
        if not strict and low == 0:
            bound = "non-negative"
        raise ValueError(f"{owner}: {name} must be {bound}, got {value!r}")
    return value


def check_int(owner: str, name: str, value: Any, *, low: int = 0) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool) ``>= low``.

    Raises:
        ValueError: naming ``owner.name`` and the value.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(owner: str, name: str, value: Any, choices: Any) -> Any:
    """Return ``value`` after checking it is one of ``choices``.

    Raises:
        ValueError: naming ``owner.name``, the value and the choices.
    """
    if value not in tuple(choices):
        raise ValueError(f"{owner}: {name} must be one of {tuple(choices)}, got {value!r}")
    return value


def store(obj: Any, name: str, value: Any) -> None:
    """Store a validated value on a frozen dataclass (in ``__post_init__``), so that the value
    kept is the checked one (``1`` given for a cost is stored as ``1.0``)."""
    object.__setattr__(obj, name, value)


def check_fields(owner: str, cls: type, data: Any) -> None:
    """Refuse keys of ``data`` that are not fields of the dataclass ``cls`` (a config read
    back from JSON): the ``ValueError`` names ``owner`` and lists them."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{owner}: unknown field(s) {unknown}")


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of an env keyword value (demand models become their spec)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)
