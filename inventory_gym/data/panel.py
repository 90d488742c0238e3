"""Demand panels: real sales of many series, read from files (DESIGN.md section 8).

A :class:`Panel` holds ``N`` series over ``T`` periods: the sales (units), whether each
series was in stock in each period, the series' ids (one or more id columns, e.g. ``Store``
and ``Product``), optional static attributes per series (a master file) and an optional
calendar (numeric features per period). :func:`read_panel` reads it from CSV files with pandas
(the optional ``data`` extra):

- **sales**, wide (the id columns, then one column per period labelled by its date, as VN2's
  files are) or long (the id columns, a ``date`` column and a ``quantity`` (or ``sales``)
  column, one row per series and period);
- **in stock** (optional), the same shape as the sales with ``True``/``False`` (or 1/0)
  values; it may hold periods after the last sales period (VN2's file covers the competition
  weeks too): those carry no sales and are listed in :attr:`Panel.notes`, not used. Without
  it, every period counts as in stock;
- **master** (optional): the id columns and one column per attribute; numeric attributes are
  kept as numbers, others are coded ``0, 1, ...`` in order of appearance (said in the notes);
  series of the master file that have no sales are listed in the notes;
- **calendar** (optional): a ``date`` column and numeric columns, one row per period; it must
  cover every sales period.

Every problem in a file is a ``PanelError`` (a ``ValueError``) of one line that names the
file, the row (the line of the file, 1 = header) or the column, and the problem: non-numeric,
negative or missing quantities, duplicate series, an in-stock file that does not match the
sales, dates out of order. Nothing is silently dropped.

Censoring. When a series is out of stock, its sales are 0 whatever the demand: those periods
are *missing demand*, not zero demand. :meth:`Panel.masked` gives the sales with ``NaN`` there
(what the masked methods, such as the VN2 benchmark, average over); :func:`impute` fills them
causally from the series' own in-stock periods (what DirectBackprop learns from and what the
backtest serves as the demand of an out-of-stock period).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["IMPUTE_LOOKBACK", "Panel", "PanelError", "impute", "read_panel"]

IMPUTE_LOOKBACK = 8
"""Periods looked back by :func:`impute` for in-stock values (see there)."""

LONG_DATE = ("date", "week", "period")
LONG_QUANTITY = ("quantity", "sales", "qty", "units", "demand")


class PanelError(ValueError):
    """A malformed panel file: one line naming the file, the row or column, and the problem."""


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the install
        raise PanelError(
            "reading sales files needs pandas: pip install 'inventory-gym[data]'"
        ) from None
    return pd


@dataclass(frozen=True, eq=False)
class Panel:
    """Sales of ``N`` series over ``T`` periods, with their in-stock flags and attributes.

    Attributes:
        id_columns: names of the id columns (``("Store", "Product")``).
        ids: (N, len(id_columns)) object array of the series' ids, in file order.
        dates: (T,) ``datetime64[D]`` labels of the periods, strictly increasing.
        sales: (N, T) float64 units sold, finite and non-negative.
        in_stock: (N, T) bool, True where the series was in stock.
        static: (N, k) float64 attributes from the master file (k = 0 without one).
        static_names: their names.
        calendar: (T, c) float64 calendar features (c = 0 without a calendar file).
        calendar_names: their names.
        notes: what was read but not used (later in-stock periods, master rows without
            sales, coded attributes), one line each.
    """

    id_columns: tuple[str, ...]
    ids: np.ndarray
    dates: np.ndarray
    sales: np.ndarray
    in_stock: np.ndarray
    static: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    static_names: tuple[str, ...] = ()
    calendar: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    calendar_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n, t = self.sales.shape
        if self.in_stock.shape != (n, t):
            raise ValueError(f"Panel: in_stock has shape {self.in_stock.shape}, sales {(n, t)}")
        if self.static.shape[0] != n:
            object.__setattr__(self, "static", np.zeros((n, 0)))
        if self.calendar.shape[0] != t:
            object.__setattr__(self, "calendar", np.zeros((t, 0)))

    @property
    def n_series(self) -> int:
        return int(self.sales.shape[0])

    @property
    def periods(self) -> int:
        return int(self.sales.shape[1])

    def label(self, i: int) -> str:
        """``Store=0 Product=126``: the ids of series ``i``."""
        return " ".join(f"{c}={v}" for c, v in zip(self.id_columns, self.ids[i]))

    def masked(self) -> np.ndarray:
        """(N, T) sales with ``NaN`` in the out-of-stock periods (missing demand)."""
        return np.where(self.in_stock, self.sales, np.nan)

    def imputed(self, lookback: int = IMPUTE_LOOKBACK) -> np.ndarray:
        """(N, T) demand: the sales, out-of-stock periods filled by :func:`impute`."""
        return impute(self.sales, self.in_stock, lookback)

    def index(self, date: Any) -> int:
        """The index of the period labelled ``date`` (a string such as ``"2024-04-08"``).

        Raises:
            ValueError: when no period has that label.
        """
        try:
            day = np.datetime64(str(date), "D")
        except ValueError:
            raise ValueError(f"date {date!r} is not a date such as 2024-04-08") from None
        hits = np.flatnonzero(self.dates == day)
        if hits.size == 0:
            raise ValueError(
                f"date {date} is not a period of the panel ({self.dates[0]} .. {self.dates[-1]})"
            )
        return int(hits[0])

    def until(self, stop: int) -> Panel:
        """The panel cut to its first ``stop`` periods (the history known before ``stop``)."""
        if not 1 <= stop <= self.periods:
            raise ValueError(f"Panel.until: stop must be in 1..{self.periods}, got {stop}")
        return replace(
            self,
            dates=self.dates[:stop],
            sales=self.sales[:, :stop],
            in_stock=self.in_stock[:, :stop],
            calendar=self.calendar[:stop],
        )

    def replay(
        self, rows: Any, starts: Any, periods: int, window: int = 0, *, imputed: bool = True
    ) -> Any:
        """A :class:`~inventory_gym.demand.Replay` demand model of windows of the panel, one
        batch row each: row ``b`` holds series ``rows[b]`` from period ``starts[b] - window``
        to ``starts[b] + periods - 1``, so that an env with ``demand_window=window`` and this
        demand starts each row at period ``starts[b]`` with the ``window`` periods before it
        as its history (the panel as a demand source of the envs; the static attributes of
        the rows are ``panel.static[rows]``). ``imputed``: out-of-stock periods filled by
        :func:`impute` (else the censored sales).

        Raises:
            ValueError: when a window reaches outside the panel.
        """
        from inventory_gym.demand import Replay

        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        starts = np.broadcast_to(np.asarray(starts, dtype=np.int64), rows.shape)
        if rows.size and (rows.min() < 0 or rows.max() >= self.n_series):
            raise ValueError(f"Panel.replay: rows must be in 0..{self.n_series - 1}")
        if rows.size and (starts.min() - window < 0 or starts.max() + periods > self.periods):
            raise ValueError(
                f"Panel.replay: windows of {window} + {periods} periods must lie in the "
                f"panel's {self.periods} periods"
            )
        source = self.imputed() if imputed else self.sales
        cols = starts[:, None] + np.arange(-window, periods)[None, :]
        return Replay(source[rows[:, None], cols])

    def id_frame(self) -> Any:
        """The ids as a pandas DataFrame (one row per series, the id columns)."""
        pd = _pandas()
        return pd.DataFrame(self.ids, columns=list(self.id_columns))


def impute(sales: np.ndarray, in_stock: np.ndarray, lookback: int = IMPUTE_LOOKBACK) -> np.ndarray:
    """Fill the out-of-stock periods of (N, T) sales causally, from each series' own history.

    An out-of-stock period ``t`` gets the mean of the series' in-stock sales in periods
    ``t - lookback .. t - 1``; when there are none, the mean of all its in-stock periods before
    ``t``; when there are none either (a series not yet in stock), 0. Only periods before ``t``
    are read, so the filled history a policy sees at a decision depends on nothing later.
    In-stock periods keep their sales.
    """
    sales = np.asarray(sales, dtype=np.float64)
    ok = np.asarray(in_stock, dtype=bool)
    if sales.ndim == 1:
        return impute(sales[None], ok[None], lookback)[0]
    kept = np.where(ok, sales, 0.0)
    zero = np.zeros((sales.shape[0], 1))
    csum = np.concatenate([zero, np.cumsum(kept, axis=1)], axis=1)  # csum[:, t] = sum < t
    ccnt = np.concatenate([zero, np.cumsum(ok, axis=1)], axis=1)
    t = np.arange(sales.shape[1])
    lo = np.maximum(t - lookback, 0)
    near_sum, near_cnt = csum[:, t] - csum[:, lo], ccnt[:, t] - ccnt[:, lo]
    all_sum, all_cnt = csum[:, t], ccnt[:, t]
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(
            near_cnt > 0,
            near_sum / np.maximum(near_cnt, 1),
            np.where(all_cnt > 0, all_sum / np.maximum(all_cnt, 1), 0.0),
        )
    return np.where(ok, sales, fill)


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def _read_csv(path: str | os.PathLike, what: str) -> Any:
    pd = _pandas()
    p = Path(path)
    if not p.is_file():
        raise PanelError(f"{p}: no such {what} file")
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as err:  # pandas' parser errors are of several types
        raise PanelError(f"{p}: cannot be read as CSV ({str(err).splitlines()[0]})") from None
    if frame.shape[1] == 0:
        raise PanelError(f"{p}: the file has no columns")
    frame.columns = [str(c).strip() for c in frame.columns]
    dupes = frame.columns[frame.columns.duplicated()]
    if len(dupes):
        raise PanelError(f"{p}: column {dupes[0]!r} appears twice in the header")
    return frame


def _as_date(label: str) -> np.datetime64 | None:
    """A column label read as an ISO date, or ``None`` when it is not one."""
    text = label.strip()
    if len(text) < 8 or not text[:4].isdigit() or "-" not in text:
        return None
    try:
        return np.datetime64(text[:10], "D")
    except ValueError:
        return None


def _check_order(path: Path, dates: list[np.datetime64], labels: list[str], where: str) -> None:
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            raise PanelError(
                f"{path}: {where} {labels[i]!r} is not after {labels[i - 1]!r} "
                "(dates must be strictly increasing)"
            )


def _numbers(path: Path, frame: Any, columns: list[str], what: str, *, row0: int = 2) -> np.ndarray:
    """The (rows, columns) block as float64; a missing, non-numeric or negative cell is an
    error naming its row (file line) and column."""
    pd = _pandas()
    raw = frame[columns]
    empty = raw.apply(lambda c: c.str.strip() == "")
    if empty.to_numpy().any():
        r, c = np.argwhere(empty.to_numpy())[0]
        raise PanelError(f"{path}: row {r + row0}, column {columns[c]!r}: missing {what}")
    values = raw.apply(lambda c: pd.to_numeric(c, errors="coerce")).to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise PanelError(
            f"{path}: row {r + row0}, column {columns[c]!r}: non-numeric {what} {raw.iat[r, c]!r}"
        )
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise PanelError(
            f"{path}: row {r + row0}, column {columns[c]!r}: negative {what} {raw.iat[r, c]}"
        )
    return values


_TRUE = {"true", "1", "1.0", "yes", "t", "y"}
_FALSE = {"false", "0", "0.0", "no", "f", "n"}


def _flags(path: Path, frame: Any, columns: list[str]) -> np.ndarray:
    raw = frame[columns].to_numpy(dtype=str)
    low = np.char.lower(np.char.strip(raw))
    yes = np.isin(low, list(_TRUE))
    no = np.isin(low, list(_FALSE))
    bad = ~(yes | no)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        cell = str(raw[r, c])
        what = "missing in-stock flag" if not cell.strip() else f"in-stock flag {cell!r}"
        raise PanelError(
            f"{path}: row {r + 2}, column {columns[c]!r}: {what} (expected True/False or 1/0)"
        )
    return yes


def _ids(path: Path, frame: Any, id_columns: list[str]) -> np.ndarray:
    if not id_columns:
        raise PanelError(f"{path}: no id columns before the first date column")
    ids = frame[id_columns].to_numpy(dtype=object)
    for j, name in enumerate(id_columns):
        blank = np.array([str(v).strip() == "" for v in ids[:, j]])
        if blank.any():
            raise PanelError(
                f"{path}: row {int(np.argmax(blank)) + 2}, column {name!r}: missing id"
            )
    keys = [tuple(str(v).strip() for v in row) for row in ids]
    seen: dict[tuple, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            label = " ".join(f"{c}={v}" for c, v in zip(id_columns, key))
            raise PanelError(
                f"{path}: row {i + 2}: duplicate series {label} (first at row {seen[key] + 2})"
            )
        seen[key] = i
    return np.array(keys, dtype=object).reshape(len(keys), len(id_columns))


def _wide(path: Path, frame: Any) -> tuple[list[str], list[str], list[np.datetime64]]:
    """Split a wide frame's header into id columns and date columns."""
    cols = list(frame.columns)
    dates = [_as_date(c) for c in cols]
    first = next((i for i, d in enumerate(dates) if d is not None), None)
    if first is None:
        raise PanelError(f"{path}: no date columns (a wide file has one column per period)")
    for c, d in zip(cols[first:], dates[first:]):
        if d is None:
            raise PanelError(f"{path}: column {c!r} after the first date column is not a date")
    labels = cols[first:]
    days = [d for d in dates[first:] if d is not None]
    _check_order(path, days, labels, "column")
    return cols[:first], labels, days


def _long_to_wide(path: Path, frame: Any, value_kind: str) -> Any:
    """Pivot a long file (ids, date, quantity) into the wide layout (one column per date)."""
    pd = _pandas()
    lower = {c.lower(): c for c in frame.columns}
    date_col = next((lower[k] for k in LONG_DATE if k in lower), None)
    names = LONG_QUANTITY if value_kind == "quantity" else ("in_stock", "instock", "in stock")
    value_col = next((lower[k] for k in names if k in lower), None)
    if date_col is None or value_col is None:
        raise PanelError(
            f"{path}: neither a wide file (no date columns) nor a long one (needs a "
            f"{'/'.join(LONG_DATE)} column and a {'/'.join(names)} column)"
        )
    id_columns = [c for c in frame.columns if c not in (date_col, value_col)]
    if not id_columns:
        raise PanelError(f"{path}: a long file needs id columns besides {date_col!r}")
    days = []
    for i, text in enumerate(frame[date_col]):
        day = _as_date(str(text))
        if day is None:
            raise PanelError(f"{path}: row {i + 2}, column {date_col!r}: {text!r} is not a date")
        days.append(day)
    frame = frame.assign(**{date_col: pd.to_datetime(np.array(days))})
    dup = frame.duplicated(subset=[*id_columns, date_col])
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise PanelError(f"{path}: row {i + 2}: a second value for the same series and date")
    wide = frame.pivot(index=id_columns, columns=date_col, values=value_col)
    wide = wide.sort_index(axis=1)
    if wide.isna().to_numpy().any():
        r, c = np.argwhere(wide.isna().to_numpy())[0]
        key = wide.index[r] if isinstance(wide.index[r], tuple) else (wide.index[r],)
        label = " ".join(f"{n}={v}" for n, v in zip(id_columns, key))
        raise PanelError(
            f"{path}: series {label} has no row for date {wide.columns[c].date()} "
            "(every series needs a value for every date)"
        )
    # Keep the series in order of first appearance.
    order = frame.drop_duplicates(subset=id_columns)[id_columns]
    wide = wide.loc[[tuple(r) if len(id_columns) > 1 else r[0] for r in order.to_numpy()]]
    wide.columns = [str(c.date()) for c in wide.columns]
    return wide.reset_index()


def _load(path: Path, value_kind: str) -> tuple[Any, list[str], list[str], list[np.datetime64]]:
    frame = _read_csv(path, "sales" if value_kind == "quantity" else "in-stock")
    if not any(_as_date(c) is not None for c in frame.columns):
        frame = _long_to_wide(path, frame, value_kind)
    ids, labels, days = _wide(path, frame)
    return frame, ids, labels, days


def read_panel(
    sales: str | os.PathLike,
    *,
    in_stock: str | os.PathLike | None = None,
    master: str | os.PathLike | None = None,
    calendar: str | os.PathLike | None = None,
) -> Panel:
    """Read a panel from CSV files (see the module docstring for the layouts).

    Raises:
        PanelError: for any malformed file, naming the file, the row or column and the problem.
    """
    spath = Path(sales)
    frame, id_columns, labels, days = _load(spath, "quantity")
    ids = _ids(spath, frame, id_columns)
    if len(ids) == 0:
        raise PanelError(f"{spath}: the file has no series (no rows)")
    values = _numbers(spath, frame, labels, "quantity")
    dates = np.array(days, dtype="datetime64[D]")
    notes: list[str] = []
    keys = [tuple(r) for r in ids]

    if in_stock is None:
        flags = np.ones(values.shape, dtype=bool)
    else:
        ipath = Path(in_stock)
        iframe, icols, ilabels, idays = _load(ipath, "in_stock")
        if icols != id_columns:
            raise PanelError(
                f"{ipath}: id columns {icols} do not match the sales file's {id_columns}"
            )
        iids = _ids(ipath, iframe, icols)
        ikeys = {tuple(r): i for i, r in enumerate(iids)}
        missing = [k for k in keys if k not in ikeys]
        if missing:
            label = " ".join(f"{c}={v}" for c, v in zip(id_columns, missing[0]))
            raise PanelError(f"{ipath}: no row for series {label} of the sales file")
        extra = [k for k in ikeys if k not in set(keys)]
        if extra:
            label = " ".join(f"{c}={v}" for c, v in zip(id_columns, extra[0]))
            raise PanelError(f"{ipath}: series {label} is not in the sales file")
        have = {d: lab for d, lab in zip(idays, ilabels)}
        absent = [str(d) for d in days if d not in have]
        if absent:
            raise PanelError(f"{ipath}: no column for period {absent[0]} of the sales file")
        later = [lab for d, lab in zip(idays, ilabels) if d > days[-1]]
        inner = [lab for d, lab in zip(idays, ilabels) if d <= days[-1] and d not in set(days)]
        if inner:
            raise PanelError(f"{ipath}: column {inner[0]!r} is not a period of the sales file")
        if later:
            notes.append(
                f"{ipath.name}: {len(later)} periods after the last sales period "
                f"({later[0]} .. {later[-1]}) are not used"
            )
        block = _flags(ipath, iframe, [have[d] for d in days])
        flags = block[[ikeys[k] for k in keys]]

    static = np.zeros((len(ids), 0))
    static_names: tuple[str, ...] = ()
    if master is not None:
        mpath = Path(master)
        mframe = _read_csv(mpath, "master")
        absent_cols = [c for c in id_columns if c not in mframe.columns]
        if absent_cols:
            raise PanelError(f"{mpath}: no id column {absent_cols[0]!r} (the sales file's ids)")
        mids = _ids(mpath, mframe, id_columns)
        mkeys = {tuple(r): i for i, r in enumerate(mids)}
        missing = [k for k in keys if k not in mkeys]
        if missing:
            label = " ".join(f"{c}={v}" for c, v in zip(id_columns, missing[0]))
            raise PanelError(f"{mpath}: no row for series {label} of the sales file")
        extra = len(mkeys) - len(keys)
        if extra:
            notes.append(f"{mpath.name}: {extra} series without sales are not used")
        attrs = [c for c in mframe.columns if c not in id_columns]
        cols = []
        pd = _pandas()
        for name in attrs:
            col = mframe[name].str.strip()
            if (col == "").any():
                r = int(np.argmax((col == "").to_numpy()))
                raise PanelError(f"{mpath}: row {r + 2}, column {name!r}: missing value")
            num = pd.to_numeric(col, errors="coerce")
            if num.isna().any():
                codes, _ = pd.factorize(col)
                num = codes.astype(np.float64)
                notes.append(f"{mpath.name}: column {name!r} is not numeric, coded 0, 1, ...")
            cols.append(np.asarray(num, dtype=np.float64))
        static = np.stack(cols, axis=1)[[mkeys[k] for k in keys]] if cols else static
        static_names = tuple(attrs)

    cal = np.zeros((len(days), 0))
    cal_names: tuple[str, ...] = ()
    if calendar is not None:
        cpath = Path(calendar)
        cframe = _read_csv(cpath, "calendar")
        lower = {c.lower(): c for c in cframe.columns}
        dcol = next((lower[k] for k in LONG_DATE if k in lower), None)
        if dcol is None:
            raise PanelError(f"{cpath}: no date column (one of {', '.join(LONG_DATE)})")
        cdays = []
        for i, text in enumerate(cframe[dcol]):
            day = _as_date(str(text))
            if day is None:
                raise PanelError(f"{cpath}: row {i + 2}, column {dcol!r}: {text!r} is not a date")
            cdays.append(day)
        _check_order(cpath, cdays, list(cframe[dcol]), "date")
        rows = {d: i for i, d in enumerate(cdays)}
        absent = [str(d) for d in days if d not in rows]
        if absent:
            raise PanelError(f"{cpath}: no row for period {absent[0]} of the sales file")
        names = [c for c in cframe.columns if c != dcol]
        block = _numbers(cpath, cframe, names, "value") if names else np.zeros((len(cdays), 0))
        cal = block[[rows[d] for d in days]]
        cal_names = tuple(names)
        if len(cdays) > len(days):
            notes.append(f"{cpath.name}: {len(cdays) - len(days)} dates without sales not used")

    return Panel(
        id_columns=tuple(id_columns),
        ids=ids,
        dates=dates,
        sales=values,
        in_stock=flags,
        static=static,
        static_names=static_names,
        calendar=cal,
        calendar_names=cal_names,
        notes=tuple(notes),
    )
