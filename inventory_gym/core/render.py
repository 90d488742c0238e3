"""Pictures of one system: ``render_mode="rgb_array"`` and ``"human"`` (matplotlib, optional).

The frame is drawn from the problem's descriptor alone, so that a new problem renders without
code here: the state parts (:class:`~inventory_gym.core.problem.StatePart`, whose ``kind``
says whether a part is stock on hand, orders in transit or another number), the decision
names, and the period's flows and costs as the env's ``info`` reports them. Four panels:

* the state at the start of the current period: stock on hand (by age where the part has
  several columns), each pipeline with the period in which each order arrives;
* the last period's decisions, demand and flows (sales, lost units, removal...);
* the last period's cost by component, with the episode's running total;
* the last :data:`HISTORY` periods of stock, demand and decisions.

matplotlib is imported here only, when a picture is first drawn (the ``plot`` extra). One
figure is made per env and its artists are updated in place at each frame; the axes, ticks
and legend are drawn once and kept as a background (blitting), redrawn only when a scale
grows, so a frame redraws the bars, numbers and lines only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from inventory_gym.core.problem import Problem

PICTURE_MODES = ("rgb_array", "human")
"""The render modes that draw with matplotlib."""

HISTORY = 20
"""Periods shown in the running history."""

DEFAULT_DPI = 80
"""Dots per inch of a frame: 800 x 450 pixels (a 10 x 5.6 inch figure)."""

FIGSIZE = (10.0, 5.625)

_COLORS = {
    "stock": "#1f77b4",
    "pipeline": "#9ecae1",
    "demand": "#555555",
    "sales": "#2ca02c",
    "lost": "#d62728",
    "backlog": "#d62728",
    "expired": "#8c564b",
    "removed": "#9467bd",
    "salvaged": "#9467bd",
    "held": "#1f77b4",
    "arrivals": "#17becf",
}
"""Colours of generic quantities (by flow name, not by problem); decisions are orange."""
_DECISION_COLORS = ("#ff7f0e", "#e377c2", "#bcbd22", "#7f7f7f")


def _label(name: str) -> str:
    return name.replace("_", " ")


def import_matplotlib() -> Any:
    """matplotlib with the Agg canvas class, or an ImportError naming the ``plot`` extra."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError(
            "render_mode='rgb_array' and 'human' draw with matplotlib, which is not installed: "
            "pip install 'inventory-gym[plot]'"
        ) from err
    return matplotlib, Figure, FigureCanvasAgg


class Trace:
    """What a picture needs of the periods played: filled by the env at each step (only when
    it renders pictures), read by :class:`Renderer`."""

    def __init__(self) -> None:
        self.periods: deque[tuple[float, float, tuple[float, ...]]] = deque(maxlen=HISTORY)
        """(stock at the start of the period, demand, decisions) of the last periods."""
        self.total_cost = 0.0

    def clear(self) -> None:
        self.periods.clear()
        self.total_cost = 0.0


def stock_columns(problem: Problem, params: Any) -> tuple[int, ...]:
    """The state columns of units on hand: those of the ``"stock"`` parts."""
    out: list[int] = []
    i = 0
    for part in problem.state_parts(params):
        n = part.size if part.vector else 1
        if part.kind == "stock":
            out += range(i, i + n)
        i += n
    return tuple(out)


class Renderer:
    """The figure of one env, updated in place at each frame."""

    def __init__(
        self, problem: Problem, params: Any, title: str, mode: str, dpi: int = DEFAULT_DPI
    ):
        matplotlib, Figure, FigureCanvasAgg = import_matplotlib()
        self.mode = mode
        self.parts = problem.state_parts(params)
        self.actions = tuple(problem.action_names)
        if mode == "human":
            import matplotlib.pyplot as plt

            self._plt = plt
            self.fig = plt.figure(figsize=FIGSIZE, dpi=dpi)
            self.interactive = (
                getattr(self.fig.canvas, "required_interactive_framework", None) is not None
            )
            # A resized window needs a new background.
            self.fig.canvas.mpl_connect("resize_event", lambda _: self._forget_background())
            if not self.interactive:
                import warnings

                warnings.warn(
                    f"render_mode='human': matplotlib's backend {matplotlib.get_backend()!r} "
                    "shows no window (no display?); render_mode='rgb_array' returns the frames",
                    stacklevel=5,
                )
        else:
            self.fig = Figure(figsize=FIGSIZE, dpi=dpi)
            FigureCanvasAgg(self.fig)
            self.interactive = False
        self.fig.suptitle(title, fontsize=12, fontweight="bold")
        self._dynamic: list[Any] = []
        self._background = None
        self.full_draws = 0
        """Frames drawn from scratch (the first, and one each time a scale grows)."""
        # Fixed positions (no layout engine at each frame), room on the left of each panel
        # for its labels.
        self.state_ax = self.fig.add_axes((0.2, 0.56, 0.19, 0.32))
        self.flow_ax = self.fig.add_axes((0.52, 0.56, 0.18, 0.32))
        self.cost_ax = self.fig.add_axes((0.8, 0.56, 0.18, 0.32))
        self.history_ax = self.fig.add_axes((0.07, 0.08, 0.91, 0.36))
        self.state_title = self._title(self.state_ax)
        self.flow_title = self._title(self.flow_ax)
        self.cost_title = self._title(self.cost_ax)
        self._build_state()
        self._flow_names: list[str] | None = None
        self._cost_names: list[str] | None = None
        self._build_history()
        # Scales only grow (doubling what nears their end), so that the background is redrawn
        # rarely and the bars of successive frames compare.
        high = float(np.max(problem.action_high(params)))
        high = 1.5 * high if np.isfinite(high) and high > 0 else 1.0
        self.limits = {"units": [0.0, high], "cost": [0.0, 1.0], "history": [0.0, high]}

    def _forget_background(self) -> None:
        self._background = None

    # -- layout ----------------------------------------------------------------------------
    def _animated(self, artist: Any) -> Any:
        artist.set_animated(True)
        self._dynamic.append(artist)
        return artist

    def _title(self, ax: Any) -> Any:
        return self._animated(
            ax.text(0.5, 1.04, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        )

    def _bars(self, ax: Any, labels: Sequence[str], colors: Sequence[str]) -> tuple:
        """Horizontal bars, top to bottom, with their labels and values as text artists."""
        n = max(len(labels), 1)
        y = np.arange(n)[::-1].astype(float)[: len(labels)]
        bars = ax.barh(y, np.zeros(len(labels)), color=colors, height=0.7)
        for bar in bars:
            self._animated(bar)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_yticks(y, [_label(x) for x in labels], fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.axvline(0.0, color="black", linewidth=0.6)
        values = [
            self._animated(ax.text(0, yi, "", ha="left", va="center", fontsize=7)) for yi in y
        ]
        return bars, values

    def _build_state(self) -> None:
        ax = self.state_ax
        labels, colors, self._state_rows = [], [], []
        self._others = []
        i = 0
        for part in self.parts:
            n = part.size if part.vector else 1
            if part.kind == "other":
                self._others.append((part.name, i))
            else:
                names = part.labels or part.column_names()
                for j in range(n):
                    # A pipeline's label names its arrival period: drawn at each frame.
                    labels.append("" if part.kind == "pipeline" else names[j])
                    colors.append(_COLORS[part.kind])
                    self._state_rows.append((i + j, part.kind, j + 1, part.name))
            i += n
        self.state_bars, self.state_values = self._bars(ax, labels, colors)
        self.arrival_labels = [
            (
                self._animated(
                    ax.text(
                        -0.04,
                        bar.get_y() + bar.get_height() / 2,
                        "",
                        fontsize=8,
                        ha="right",
                        va="center",
                        transform=ax.get_yaxis_transform(),
                    )
                ),
                name,
                j,
            )
            for bar, (_, kind, j, name) in zip(self.state_bars, self._state_rows)
            if kind == "pipeline"
        ]
        ax.tick_params(axis="y", length=0)

    def _make_flow_bars(self, cost_names: Sequence[str], flow_names: Sequence[str]) -> None:
        self._flow_names = list(flow_names)
        labels = [*self.actions, "demand", *self._flow_names]
        colors = [_DECISION_COLORS[k % len(_DECISION_COLORS)] for k in range(len(self.actions))]
        colors += [_COLORS["demand"]] + [_COLORS.get(n, "#7f7f7f") for n in self._flow_names]
        self.flow_bars, self.flow_values = self._bars(self.flow_ax, labels, colors)
        self._cost_names = list(cost_names)
        labels = [name.removesuffix("_cost") for name in self._cost_names]
        self.cost_bars, self.cost_values = self._bars(
            self.cost_ax, labels, ["#d62728"] * len(labels)
        )
        self._background = None

    def _build_history(self) -> None:
        from matplotlib.ticker import FuncFormatter, MultipleLocator

        ax = self.history_ax
        ax.set_title(f"last {HISTORY} periods", fontsize=9)
        ax.set_xlabel("period (t: now)", fontsize=8)
        ax.set_ylabel("units", fontsize=8)
        ax.set_xlim(-HISTORY - 0.5, -0.5)
        ax.xaxis.set_major_locator(MultipleLocator(2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"t{round(x):+d}"))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        line = {"marker": "o", "ms": 3, "animated": True}
        self.stock_line = ax.plot([], [], color=_COLORS["stock"], label="stock", **line)[0]
        self.demand_line = ax.plot([], [], color=_COLORS["demand"], label="demand", **line)[0]
        self.action_lines = [
            ax.plot([], [], color=_DECISION_COLORS[k], label=_label(name), **line)[0]
            for k, name in enumerate(self.actions)
        ]
        self._dynamic += [self.stock_line, self.demand_line, *self.action_lines]
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=7, ncol=2 + len(self.actions), framealpha=0.8)

    # -- a frame ---------------------------------------------------------------------------
    def _grow(self, key: str, values: Sequence[float]) -> None:
        """Widen the scale ``key`` to twice ``values`` when they near its end, redrawing then."""
        low, high = self.limits[key]
        top, bottom = max(values, default=0.0), min(values, default=0.0)
        if top > 0.8 * high:  # room for the number right of the bar
            high = 2.0 * top
        if bottom < 0.8 * low:
            low = 2.0 * bottom
        if [low, high] != self.limits[key]:
            self.limits[key] = [low, high]
            self._background = None

    @staticmethod
    def _set_bars(bars: Any, texts: Any, values: Sequence[float], scale: float) -> None:
        for bar, text, value in zip(bars, texts, values):
            bar.set_width(value)
            text.set_text(f"{value:.4g}")
            # Right of the bar; right of the zero line for a negative one (its label is left).
            text.set_x(max(value, 0.0) + 0.02 * scale)

    def update(
        self,
        t: int,
        columns: Sequence[float],
        last: dict[str, Any] | None,
        names: tuple[Sequence[str], Sequence[str]] | None,
        trace: Trace,
    ) -> None:
        """Set the state after ``t`` periods, the last period's ``info`` (``None`` right after
        a reset), whose ``(cost names, flow names)`` are ``names``, and the history."""
        state = [float(columns[i]) for i, *_ in self._state_rows]
        extra = ", ".join(f"{_label(name)} = {float(columns[i]):g}" for name, i in self._others)
        self.state_title.set_text(f"start of period t = {t}" + (f"\n{extra}" if extra else ""))
        for text, name, j in self.arrival_labels:
            text.set_text(f"{_label(name)}: arrives t={t + j}")
        if names is not None and self._flow_names is None:
            self._make_flow_bars(*names)
        flows: list[float] = []
        costs: list[float] = []
        if self._flow_names is not None:
            if last is None:
                flows = [0.0] * (len(self.actions) + 1 + len(self._flow_names))
                costs = [0.0] * len(self._cost_names)
            else:
                orders = np.atleast_1d(np.asarray(last["order"], dtype=np.float64)).tolist()
                flows = [*orders, float(last["demand"])]
                flows += [float(last[n]) for n in self._flow_names]
                costs = [float(last[n]) for n in self._cost_names]
        if last is None:
            self.flow_title.set_text(f"period t = {t - 1}: none yet")
            self.cost_title.set_text("cost: none yet")
        else:
            self.flow_title.set_text(f"period t = {t - 1}: decisions and flows")
            self.cost_title.set_text(
                f"cost of period {t - 1}: {float(last['cost']):.4g}\n"
                f"episode total: {trace.total_cost:.5g}"
            )
        self._grow("units", [*state, *flows])
        self._grow("cost", costs)
        units, cost = self.limits["units"], self.limits["cost"]
        self._set_bars(self.state_bars, self.state_values, state, units[1])
        if self._flow_names is not None:
            self._set_bars(self.flow_bars, self.flow_values, flows, units[1])
            self._set_bars(self.cost_bars, self.cost_values, costs, cost[1])

        periods = list(trace.periods)
        x = np.arange(-len(periods), 0)
        self.stock_line.set_data(x, [p[0] for p in periods])
        self.demand_line.set_data(x, [p[1] for p in periods])
        for k, line in enumerate(self.action_lines):
            line.set_data(x, [p[2][k] for p in periods])
        self._grow("history", [v for p in periods for v in (p[0], p[1], *p[2])])

    def _draw(self) -> None:
        canvas = self.fig.canvas
        if self._background is None:
            for ax in (self.state_ax, self.flow_ax):
                ax.set_xlim(*self.limits["units"])
            self.cost_ax.set_xlim(*self.limits["cost"])
            low, high = self.limits["history"]
            self.history_ax.set_ylim(low, high * 1.2)  # room for the legend
            canvas.draw()  # everything but the animated artists
            self.full_draws += 1
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.fig.draw_artist(artist)

    def frame(self) -> np.ndarray:
        """The figure as a new (H, W, 3) uint8 array."""
        self._draw()
        return np.asarray(self.fig.canvas.buffer_rgba())[:, :, :3].copy()

    def show(self, fps: float) -> None:
        """Draw the figure in its window (``"human"``), at most ``fps`` frames a second; without
        a window (a non-interactive backend, already warned about) nothing is drawn."""
        if self.interactive:
            self._draw()
            canvas = self.fig.canvas
            self._plt.show(block=False)
            canvas.blit(self.fig.bbox)
            canvas.start_event_loop(1.0 / fps)

    def close(self) -> None:
        if self.mode == "human":
            self._plt.close(self.fig)
        self.fig = None
