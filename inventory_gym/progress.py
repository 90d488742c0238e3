"""Progress bars: tqdm on a terminal, plain lines otherwise.

Every progress bar of the project comes from :func:`bar`. When stderr is a terminal it is a
``tqdm`` bar; when it is not (a log file, a CI job, a pipe), escape codes and redrawn nested
bars would be noise, so it is a :class:`PlainBar` that prints one plain line every
:data:`PLAIN_INTERVAL` seconds and a last line when a bar that is kept (``leave=True``) closes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

PLAIN_INTERVAL = 10.0
"""Seconds between two plain progress lines of one bar."""


def bar(iterable: Iterable[Any] | None = None, **options: Any) -> Any:
    """A ``tqdm`` bar when stderr is a terminal, else a :class:`PlainBar` (same options)."""
    stream = options.get("file") or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        from tqdm.auto import tqdm

        return tqdm(iterable, **options)
    return PlainBar(iterable, **options)


class PlainBar:
    """The part of tqdm's interface the project uses, printed as plain lines."""

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        *,
        total: float | None = None,
        desc: str | None = None,
        unit: str = "it",
        leave: bool = True,
        file: Any = None,
        interval: float = PLAIN_INTERVAL,
        **_: Any,
    ):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total = total
        self.desc = desc or ""
        self.unit = unit
        self.leave = leave
        self.file = file
        self.interval = interval
        self.n: float = 0
        self.postfix = ""
        self.start = time.perf_counter()
        self._last = self.start
        self._closed = False

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()

    def update(self, n: float = 1) -> None:
        self.n += n
        self.refresh(force=False)

    def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **values: Any) -> None:
        items = dict(ordered_dict or {}, **values)
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self.postfix = str(text)

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def refresh(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self._last >= self.interval:
            self._last = now
            self._print()

    def line(self) -> str:
        """The progress line: ``desc: n/total unit (p%), s s, about s s left, postfix``."""
        count = f"{self.n:g}" if self.total is None else f"{self.n:g}/{self.total:g}"
        share = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        elapsed = time.perf_counter() - self.start
        left = ""
        if self.total and 0 < self.n < self.total:
            left = f", about {elapsed * (self.total - self.n) / self.n:.0f} s left"
        tail = f", {self.postfix}" if self.postfix else ""
        return f"{self.desc}: {count} {self.unit}{share}, {elapsed:.0f} s{left}{tail}"

    def _print(self) -> None:
        print(self.line(), file=self.file or sys.stderr, flush=True)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.leave:
            self._print()

    def __enter__(self) -> PlainBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
