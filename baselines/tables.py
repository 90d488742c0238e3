"""The scaffold every problem's exact DP builds on: state grids, policy tables and their file.

- :class:`Grid`: a finite grid of one problem's states. It maps a batch of states to flat
  indices and back, and reads a batch of observations through the problem
  (:meth:`~inventory_gym.core.problem.Problem.state_from_features`), never by column position.
  :class:`BoxGrid` is the grid the three DPs use: one axis per state feature, each a range of
  integers. A grid holds the instance's params, so a table knows the state layout it reads.
- :class:`TablePolicy`: a policy given by a table of orders over a grid (one order per grid
  state, or one per decision variable and grid state), with :meth:`~TablePolicy.save` and
  :meth:`~TablePolicy.load`.
- The table file: an ``.npz`` of plain arrays (no pickles) and a JSON header under ``meta``
  that says what the file is (:data:`FORMAT`, :data:`VERSION`), the problem that wrote it
  (``Problem.name``), the instance's params, the grid's bounds and the solver's results.
  :func:`baselines.exact.load_table` dispatches on the header's problem.

A next problem's DP declares its grid (a :class:`BoxGrid` subclass naming its problem and its
bounds), solves on ``grid.shape`` arrays, and returns a :class:`baselines.exact.ExactResult`;
the table, its file and its lookup come from here.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
import zlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np

from inventory_gym.core.problem import Problem
from inventory_gym.core.validation import jsonable

FORMAT = "inventory-gym/dp-table"
"""The ``format`` of every table file's header."""
VERSION = 1
"""The version of the table format this code writes and reads (tables written before the
header carried its format, problem and params are refused with a message saying so)."""

_ZIP_MAGIC = b"PK\x03\x04"
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def params_header(params: Any) -> dict[str, Any]:
    """The params of an instance as JSON-ready values (demand models as their spec strings,
    which parse back exactly): what a table's header stores to rebuild them."""
    return {f.name: jsonable(getattr(params, f.name)) for f in dataclasses.fields(params)}


class Grid(ABC):
    """A finite grid of the states of one problem's instance (the protocol of every DP).

    Arrays over the grid have shape :attr:`shape`; a state's flat index is its C-order
    position. Subclasses are frozen dataclasses whose first field is ``params`` (the instance)
    and whose other fields are the bounds that :meth:`bounds` writes to a table's header.

    What :meth:`read` returns is what :meth:`coordinates` takes: a grid over more than the
    state (a finite-horizon DP's ``(state, period)``) overrides both, and the table, its file
    and its lookup stay the same.
    """

    problem: ClassVar[Problem]
    """The problem whose states the grid holds."""
    params: Any

    @property
    @abstractmethod
    def shape(self) -> tuple[int, ...]:
        """The grid's shape: one axis per coordinate."""

    @abstractmethod
    def coordinates(self, state: NamedTuple) -> tuple[np.ndarray, ...]:
        """The integer grid coordinates (one (B,) int64 array per axis, not clipped: values
        outside ``0..shape[i] - 1`` mean the state lies off the grid) of a batch of states."""

    @abstractmethod
    def state_at(self, coordinates: tuple[np.ndarray, ...]) -> NamedTuple:
        """The batch of states at integer grid coordinates (inverse of :meth:`coordinates`)."""

    @property
    def size(self) -> int:
        """Number of grid states."""
        return int(np.prod(self.shape))

    def bounds(self) -> dict[str, Any]:
        """The grid's bounds (every field but ``params``), as written to a table's header."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "params"
        }

    @classmethod
    def from_header(cls, params: Any, bounds: dict[str, Any]) -> Grid:
        """The grid of ``params`` with the bounds of :meth:`bounds`."""
        return cls(params, **bounds)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The names of the state features (the observation's first columns)."""
        return tuple(self.problem.state_feature_names(self.params))

    def read(self, obs: Any) -> NamedTuple:
        """The batch of states in a batch of observations (their state features come first;
        demand lags and static features after them are ignored), through the problem."""
        obs = np.atleast_2d(np.asarray(obs, dtype=np.float64))
        return self.problem.observe_state(obs, self.params)

    def locate(self, state: NamedTuple) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of a batch of states and a mask of those on the grid (the others are
        clipped onto its border)."""
        coords = self.coordinates(state)
        high = np.asarray(self.shape) - 1
        stacked = np.stack([np.asarray(c, dtype=np.int64) for c in coords], axis=1)
        inside = np.all((stacked >= 0) & (stacked <= high), axis=1)
        clipped = np.clip(stacked, 0, high)
        return np.ravel_multi_index(tuple(clipped.T), self.shape), inside

    def index(self, obs: Any) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of a batch of observations' states (see :meth:`locate`)."""
        return self.locate(self.read(obs))

    def start_index(self) -> int:
        """The flat index of the env's starting state (``problem.initial_state``).

        Raises:
            ValueError: when the starting state lies off the grid.
        """
        state = self.problem.initial_state(self.params, 1, np, dtype=np.float64)
        idx, inside = self.locate(state)
        if not inside[0]:
            values = [
                float(np.asarray(c).reshape(-1)[0])
                for c in self.problem.state_columns(state, self.params)
            ]
            raise ValueError(f"the starting state {values} lies outside the grid {self.shape}")
        return int(idx[0])

    def state(self) -> NamedTuple:
        """Every grid state as one batch, in flat-index order."""
        return self.state_at(np.unravel_index(np.arange(self.size), self.shape))

    def states(self) -> np.ndarray:
        """Every grid state as a (size, n) int64 array of state features (the observation's
        state columns), in flat-index order: what policies are asked about."""
        columns = self.problem.state_columns(self.state(), self.params)
        return np.rint(np.stack(columns, axis=1)).astype(np.int64)


class BoxGrid(Grid):
    """A grid with one axis per state feature, each the integers ``low[i]..low[i] +
    shape[i] - 1``: the grid of every problem whose state is a vector of integer counts."""

    @property
    def low(self) -> tuple[int, ...]:
        """The smallest value of each state feature on the grid (0 unless overridden)."""
        return (0,) * len(self.shape)

    def coordinates(self, state: NamedTuple) -> tuple[np.ndarray, ...]:
        columns = self.problem.state_columns(state, self.params)
        return tuple(
            np.rint(np.asarray(c, dtype=np.float64)).astype(np.int64) - low
            for c, low in zip(columns, self.low, strict=True)
        )

    def state_at(self, coordinates: tuple[np.ndarray, ...]) -> NamedTuple:
        columns = tuple(
            (np.asarray(c, dtype=np.int64) + low).astype(np.float64)
            for c, low in zip(coordinates, self.low, strict=True)
        )
        return self.problem.state_from_columns(columns, self.params)


class TablePolicy:
    """A policy given by a table of orders over a :class:`Grid`.

    ``orders`` has shape ``grid.shape`` for a problem with one decision per period, else
    ``grid.shape + (action_dim,)``. Calling the policy reads each observation's state through
    the problem, looks it up and returns (B,) orders (or (B, action_dim)). States outside the
    grid are clipped onto its border and counted in :attr:`misses`, so a user can tell when a
    table was asked about states it was not built for.
    """

    def __init__(self, grid: Grid, orders: Any, name: str = "table"):
        orders = np.asarray(orders)
        dim = grid.problem.action_dim
        expected = grid.shape if dim == 1 else (*grid.shape, dim)
        if orders.shape != expected:
            raise ValueError(
                f"{grid.problem.name} table: orders must have shape {expected}, got {orders.shape}"
            )
        self.grid = grid
        self.orders = orders.astype(np.float64)
        self.name = name
        self.misses = 0
        self.lookups = 0
        self._flat = self.orders.reshape(grid.size, -1)

    @property
    def problem(self) -> Problem:
        return self.grid.problem

    def __call__(self, obs: Any) -> np.ndarray:
        idx, inside = self.grid.index(obs)
        self.lookups += inside.size
        self.misses += int(inside.size - inside.sum())
        out = self._flat[idx]
        return out[:, 0] if self.problem.action_dim == 1 else out

    def params(self) -> dict[str, Any]:
        """What the table is (JSON-ready): its problem, grid shape and bounds."""
        return {
            "problem": self.problem.name,
            "grid": list(self.grid.shape),
            **{k: jsonable(v) for k, v in self.grid.bounds().items()},
        }

    def header(self) -> dict[str, Any]:
        """The header of the table's file (see the module docstring)."""
        header = {
            "format": FORMAT,
            "version": VERSION,
            "problem": self.problem.name,
            "name": self.name,
            "action_names": list(self.problem.action_names),
            "params": params_header(self.grid.params),
            "grid": {k: jsonable(v) for k, v in self.grid.bounds().items()},
        }
        package = getattr(self.problem, "baselines_package", None)
        if package:
            header["package"] = package
        return header

    def save(
        self,
        path: str | Path,
        *,
        arrays: dict[str, np.ndarray] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Path:
        """Write the table to ``path`` (suffix ``.npz``, no pickles), with more ``arrays``
        (a value function) and ``meta`` (the solver's results) if given; returns the path."""
        header = {**self.header(), **(meta or {})}
        return write_table(path, header, orders=self.orders.astype(np.int32), **(arrays or {}))

    @classmethod
    def load(cls, path: str | Path) -> TablePolicy:
        """Read a table written by :meth:`save` (any problem: see
        :func:`baselines.exact.load_table`)."""
        from baselines.exact import load_table

        table = load_table(path)
        if not isinstance(table, cls):
            raise ValueError(f"{path}: not a {cls.__name__} table")
        return table

    @classmethod
    def from_file(cls, grid_cls: type[Grid], header: dict[str, Any], arrays: dict) -> TablePolicy:
        """The table of a file's header and arrays (from :func:`read_table`), on a grid of
        ``grid_cls``: what a solver's ``load`` does. Raises ``ValueError`` on a bad file."""
        problem = grid_cls.problem
        try:
            params = problem.make_params(**header["params"])
            grid = grid_cls.from_header(params, dict(header["grid"]))
            return cls(grid, arrays["orders"], name=str(header.get("name", "table")))
        except (KeyError, TypeError, ValueError) as err:
            what = f"missing {err}" if isinstance(err, KeyError) else str(err).split("\n")[0]
            raise ValueError(f"not a valid {problem.name} table ({what})") from None


def write_table(path: str | Path, header: dict[str, Any], **arrays: np.ndarray) -> Path:
    """Write a table file: ``path`` with the suffix ``.npz``, the header as JSON."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(header)), **arrays)
    return path


def read_table(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(header, arrays)`` of a table file, its header checked to be this format's.

    Raises:
        FileNotFoundError: when there is no such file.
        ValueError: one line naming the file and what is wrong: not an ``.npz`` file, a
            truncated or damaged one, no header, another format, a newer version, or a table
            written before tables carried their format.
    """
    path = Path(path)
    with path.open("rb") as stream:
        magic = stream.read(4)
    if magic != _ZIP_MAGIC:
        raise ValueError(f"{path}: not a policy table (an .npz file written by a solver)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "meta" not in data.files:
                raise ValueError(f"{path}: not a policy table (no 'meta' header)")
            arrays = {name: data[name] for name in data.files}
    except ValueError as err:
        if str(err).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a policy table (an array holds Python objects)") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
        raise ValueError(f"{path}: truncated or damaged table file ({err})") from None
    meta = arrays.pop("meta")
    try:
        header = json.loads(str(meta))
    except json.JSONDecodeError:
        raise ValueError(f"{path}: the table's header is not JSON") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the table's header is not a JSON object")
    _check_header(path, header)
    return header, arrays


def _check_header(path: Path, header: dict[str, Any]) -> None:
    found = header.get("format")
    if found is None:
        if "grid" in header:
            raise ValueError(
                f"{path}: a table written before tables carried their format, problem and "
                f"params (format {FORMAT!r} version {VERSION}); solve the instance again"
            )
        raise ValueError(f"{path}: not a policy table (its header has no 'format')")
    if found != FORMAT:
        raise ValueError(f"{path}: format {found!r} is not a policy table ({FORMAT!r})")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{path}: bad table format version {version!r}")
    if version > VERSION:
        raise ValueError(
            f"{path}: table format version {version} is newer than this inventory-gym reads "
            f"({VERSION}); upgrade inventory-gym"
        )
    problem = header.get("problem")
    if not isinstance(problem, str) or not problem.isidentifier():
        raise ValueError(f"{path}: the table's header names no problem (got {problem!r})")
    package = header.get("package")
    if package is not None and not (isinstance(package, str) and _PACKAGE.match(package)):
        raise ValueError(f"{path}: bad baselines package {package!r} in the table's header")


__all__ = [
    "FORMAT",
    "VERSION",
    "BoxGrid",
    "Grid",
    "TablePolicy",
    "params_header",
    "read_table",
    "write_table",
]
