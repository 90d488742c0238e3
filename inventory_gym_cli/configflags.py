"""Command-line flags generated from the training config dataclasses.

Each field of :class:`dbp.TrainConfig` and :class:`baselines.ppo.PPOConfig` has a docstring
(the string right after it in the class body); the flags of ``inventory-gym train`` are made
from the fields, their types, defaults and docstrings, so a default or a help text has one
source. A flag is ``--<field-name>`` with dashes, except for the names in :data:`ALIASES`
(the command line's shorter, older names). Every generated flag defaults to ``None``: an option
not given keeps the config class's default, and options of the other algorithm can be told
apart from defaults and refused.

Conventions: a field that may be ``None`` takes ``0`` (numbers) or ``none`` (strings) for
``None``; a boolean field gets ``--flag`` and ``--no-flag``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import textwrap
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

ALIASES = {
    "learning_rate": "lr",
    "min_learning_rate": "min_lr",
    "max_steps": "steps",
    "max_seconds": "seconds",
    "burn_in": "train_burn_in",
    "penalty_weight": "penalty",
    "seed": "train_seed",
    "max_episode_steps": "episode_steps",
}
"""Field name -> option name (its ``dest``) where the flag is not the field's own name."""


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstrings of a dataclass's fields, read from its source (``""`` where none)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for stmt, after in zip(body, [*body[1:], None]):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = _plain_doc(after.value.value)
    return docs


def _plain_doc(text: str) -> str:
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)  # :class:`X` -> X
    text = text.replace("``", "")
    return " ".join(text.split())


def dest(name: str) -> str:
    """The argparse ``dest`` of a config field."""
    return ALIASES.get(name, name)


def flag(name: str) -> str:
    """The command-line flag of a config field."""
    return "--" + dest(name).replace("_", "-")


def _kind(field: dataclasses.Field) -> tuple[str, bool]:
    """(base type name, may be None) of a field, from its annotation."""
    text = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    parts = [p.strip() for p in str(text).split("|")]
    optional = "None" in parts
    base = next((p for p in parts if p != "None"), "str")
    return base, optional


def _converter(base: str, optional: bool):
    def convert(text: str) -> Any:
        if base == "int":
            value: Any = int(text)
        elif base == "float":
            value = float(text)
        else:
            value = text
        if optional and base not in ("int", "float") and text.lower() == "none":
            return NONE
        return value

    convert.__name__ = base  # argparse names the type in its error message
    return convert


NONE = type("NoneGiven", (), {"__repr__": lambda self: "none"})()
"""What a string flag of an optional field holds when ``none`` was given (``None`` means "not
given")."""


def _default_text(value: Any, optional: bool, base: str) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def add_config_flags(
    parser: argparse.ArgumentParser,
    configs: dict[str, type],
    *,
    skip: Iterable[str] = (),
    titles: dict[str, str] | None = None,
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Add one flag per field of the config classes, grouped by which classes have it.

    Args:
        parser: the (sub)parser.
        configs: label -> config dataclass, e.g. ``{"dbp": TrainConfig, "ppo": PPOConfig}``.
        skip: fields given a flag elsewhere.
        titles: argument-group title per label, and ``"shared"`` for the fields of several.

    Returns:
        ``(only, groups)``: label -> the fields that only that config has (for refusing them
        with another), and label (or ``"shared"``) -> its argument group.
    """
    skip = set(skip)
    titles = titles or {}
    owners: dict[str, list[str]] = {}
    for label, cls in configs.items():
        for field in dataclasses.fields(cls):
            if field.name not in skip:
                owners.setdefault(field.name, []).append(label)
    groups = {
        key: parser.add_argument_group(title)
        for key, title in {"shared": titles.get("shared", "training"), **titles}.items()
    }
    only: dict[str, list[str]] = {label: [] for label in configs}
    for name, labels in owners.items():
        group_key = "shared" if len(labels) > 1 else labels[0]
        group = groups.get(group_key) or groups.setdefault(
            group_key, parser.add_argument_group(group_key)
        )
        if len(labels) == 1:
            only[labels[0]].append(name)
        fields = {label: _field(configs[label], name) for label in labels}
        base, optional = _kind(next(iter(fields.values())))
        helps = []
        for label, field in fields.items():
            doc = field_docs(configs[label]).get(name, "")
            default = _default_text(_default(field), optional, base)
            text = f"{doc} (default {default})" if doc else f"(default {default})"
            helps.append(f"{label}: {text}" if len(labels) > 1 else text)
        help_text = "; ".join(helps)
        if optional and base in ("int", "float"):
            help_text += "; 0: none"
        help_text = help_text.replace("%", "%%")
        if base == "bool":
            group.add_argument(
                flag(name),
                dest=dest(name),
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            group.add_argument(
                flag(name),
                dest=dest(name),
                type=_converter(base, optional),
                default=None,
                metavar=dest(name).upper() if base != "str" else "TEXT",
                help=help_text,
            )
    return only, groups


def only_fields(configs: dict[str, type], skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """label -> the fields of that config class that none of the others has."""
    names = {
        label: [f.name for f in dataclasses.fields(cls) if f.name not in set(skip)]
        for label, cls in configs.items()
    }
    return {
        label: [n for n in own if not any(n in names[o] for o in names if o != label)]
        for label, own in names.items()
    }


def _field(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def given(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    """The flags of the config fields ``names`` that were given on the command line."""
    return [flag(name) for name in names if getattr(args, dest(name), None) is not None]


def config_from_args(
    cls: type, args: argparse.Namespace, *, skip: Iterable[str] = (), **fixed: Any
) -> Any:
    """An instance of the config class from the flags given (the rest keep its defaults)."""
    skip = set(skip)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in skip or not hasattr(args, dest(field.name)):
            continue
        value = getattr(args, dest(field.name))
        if value is None:
            continue
        base, optional = _kind(field)
        if value is NONE or (optional and base in ("int", "float") and value == 0):
            value = None
        values[field.name] = value
    values.update(fixed)
    try:
        return cls(**values)
    except (ValueError, TypeError) as err:
        # The config names its field; say which flag that is (a CLIError-like ValueError).
        text = str(err)
        named = [
            flag(f.name)
            for f in dataclasses.fields(cls)
            if f.name not in skip and re.search(rf"\b{f.name}\b", text)
        ]
        raise ValueError(f"{', '.join(named)}: {text}" if named else text) from None
