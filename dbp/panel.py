"""DirectBackprop across the series of a real demand panel (issue 17).

One network is trained on every series at once, on windows of their history: each batch row
is one series from one start period (:class:`PanelSource`, a demand source of
:class:`dbp.rollout.Simulator`), with its last ``window`` periods of demand as the history the
network reads, its static features (the instance's costs and lead time, the master file's
attributes with ``master=True``) and the following ``burn_in + horizon`` periods as the demand
the kernel serves. Only periods before ``until`` are drawn.

Censoring: the demand of the history and of the simulated periods is the panel's sales with
the out-of-stock periods imputed from the series' own earlier in-stock periods
(:func:`inventory_gym.data.panel.impute`): a stock-out is missing demand, not zero. The
backtest policy (:class:`PanelPolicy`) imputes its window by the same rule from the in-stock
flags the backtest hands it.

Scale: series differ by two orders of magnitude (VN2: 0.6 to 99 units a week), so the network
reads every row in units of that row's own level, the mean of its history window (at least
:data:`MIN_LEVEL`): states and history are divided by it, the order multiplied by it, and
its logarithm is one more static feature (:class:`ScaledNet`). Orders are integers: rounded
in the forward pass with a straight-through gradient when ``straight_through`` is set, and
always rounded in the backtest.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from dbp.config import TrainConfig
from dbp.policies import PolicySpec, build_policy
from dbp.rollout import Simulator
from inventory_gym.core.instance import make_instance
from inventory_gym.data.panel import Panel, impute
from inventory_gym.threads import set_threads

FORMAT = "inventory-gym/dbp-panel-policy"
VERSION = 1
POLICY_FILE = "policy.json"
WEIGHTS_FILE = "weights.pt"
MIN_LEVEL = 0.1
"""The smallest per-row level the network's inputs are divided by (units per period)."""

__all__ = [
    "PanelOptions",
    "PanelPolicy",
    "PanelSource",
    "ScaledNet",
    "last_year_features",
    "load_panel_policy",
    "train_panel",
]


@dataclass(frozen=True)
class PanelOptions:
    """How the network reads a panel (saved with the policy)."""

    window: int = 32
    """Periods of history the network reads."""
    kind: str = "mlp"
    """The network (:data:`dbp.kinds.KINDS`; ``base_stock`` is the structured variant)."""
    hidden: tuple[int, ...] = (64, 64)
    master: bool = False
    """Read the master file's attributes as static features."""
    calendar: bool = True
    """Read the week of the year of the decision period (its sine and cosine, from the
    period's date) as two more static features: the seasons are common to the series, and
    this is how the network can learn them across the panel."""
    last_year: int = 0
    """With ``m > 0``: two more static features from one season (``season`` periods) earlier,
    the seasonal lift ahead: the log of the mean demand of the ``m`` periods from the decision
    period one season back, over the mean of the ``window`` periods before those (the season's
    turn, as it went last year), for the series itself and for the mean over all series
    (:func:`last_year_features`); 0 when the history is not that long. 0: off."""
    season: int = 52
    """Periods of a season (52 weeks) for ``last_year``."""
    recent: float = 0.0
    """Weight of recent start periods: a start ``s`` is drawn with probability proportional to
    ``exp(recent * s / T)`` (0: uniform over the history)."""


class ScaledNet(nn.Module):
    """A policy network that reads each row in units of the row's own level (see the module
    docstring): ``forward(state, history, static) -> (B, 1)`` orders in units."""

    def __init__(self, spec: PolicySpec):
        super().__init__()
        self.inner = build_policy(spec)
        self.spec = spec

    def forward(self, state: torch.Tensor, history: torch.Tensor, static: torch.Tensor) -> Any:
        level = torch.clamp(history.mean(dim=1, keepdim=True), min=MIN_LEVEL)
        extra = torch.cat([static, torch.log(level)], dim=1)
        return self.inner(state / level, history / level, extra) * level


class PanelSource:
    """Contiguous windows of a panel's imputed demand, one series and start period per row."""

    def __init__(
        self,
        panel: Panel,
        *,
        until: int,
        window: int,
        length: int,
        master: bool,
        recent: float,
        last_year: int = 0,
        season: int = 52,
    ):
        self.demand = torch.as_tensor(panel.imputed()[:, :until], dtype=torch.float64)
        self.season = torch.as_tensor(season_features(panel.dates[:until]))
        self.last_year = None
        if last_year:
            feats = last_year_features(panel.imputed()[:, :until], window, last_year, season)
            self.last_year = torch.as_tensor(feats[:, :until])
        self.static = torch.as_tensor(panel.static if master else np.zeros((panel.n_series, 0)))
        self.window, self.length = window, length
        first, last = window, until - length
        if last < first:
            raise ValueError(
                f"train: the history before the cut holds {until} periods; a window of {window} "
                f"plus {length} simulated periods needs {window + length}"
            )
        starts = np.arange(first, last + 1)
        weights = np.exp(recent * starts / max(until, 1))
        self.starts = torch.as_tensor(starts)
        self.weights = torch.as_tensor(weights / weights.sum())
        self.rows: torch.Tensor | None = None
        self.cursor: torch.Tensor | None = None

    def reset(self, batch: int, gen: torch.Generator, device: Any, dtype: Any) -> tuple[Any, Any]:
        n = self.demand.shape[0]
        self.rows = torch.randint(0, n, (batch,), generator=gen)
        pick = torch.multinomial(self.weights, batch, replacement=True, generator=gen)
        self.cursor = self.starts[pick]
        self.first = self.cursor.clone()
        self.device, self.dtype = device, dtype
        hist = self._take(self.cursor - self.window, self.window)
        return hist, self.static[self.rows].to(device=device, dtype=dtype)

    def _take(self, first: torch.Tensor, periods: int) -> torch.Tensor:
        cols = first[:, None] + torch.arange(periods)[None, :]
        return self.demand[self.rows[:, None], cols].to(device=self.device, dtype=self.dtype)

    def calendar(self, k: int, *, week: bool = True) -> torch.Tensor:
        """(B, 2 or 4) the per-period features of the k-th period after the last reset: the
        week's sine and cosine (``week``), then the ``last_year`` features (when on)."""
        parts = [self.season[self.first + k]] if week else []
        if self.last_year is not None:
            parts.append(self.last_year[self.rows, self.first + k])
        out = torch.cat(parts, dim=1) if parts else torch.zeros((self.rows.shape[0], 0))
        return out.to(device=self.device, dtype=self.dtype)

    def sample(self, periods: int) -> torch.Tensor:
        out = self._take(self.cursor, periods)
        self.cursor = self.cursor + periods
        return out


def last_year_features(demand: np.ndarray, window: int, ahead: int, season: int) -> np.ndarray:
    """(N, T + 1, 2) the ``last_year`` features of every series at every decision period
    t = 0..T of an (N, T) imputed demand history (read strictly before t): the log of
    (mean of periods t - season .. t - season + ahead - 1 + 0.1) / (mean of the ``window``
    periods before those + 0.1), of the series and of the mean over the N series; 0 where the
    history does not reach back to t - season - window."""
    demand = np.asarray(demand, dtype=np.float64)
    n, t = demand.shape
    both = np.concatenate([demand, demand.mean(axis=0, keepdims=True)], axis=0)
    csum = np.concatenate([np.zeros((n + 1, 1)), np.cumsum(both, axis=1)], axis=1)
    out = np.zeros((n + 1, t + 1))
    d = np.arange(t + 1)
    lo, mid, hi = d - season - window, d - season, d - season + ahead
    ok = (lo >= 0) & (hi <= d)
    idx = np.flatnonzero(ok)
    if idx.size:
        last = (csum[:, hi[idx]] - csum[:, mid[idx]]) / ahead
        base = (csum[:, mid[idx]] - csum[:, lo[idx]]) / window
        out[:, idx] = np.log((last + 0.1) / (base + 0.1))
    return np.stack([out[:n], np.broadcast_to(out[n : n + 1], (n, t + 1))], axis=2)


def season_features(dates: np.ndarray) -> np.ndarray:
    """(T, 2) sine and cosine of the ISO week of the year of each date."""
    from baselines.backtest import iso_weeks

    angle = 2 * np.pi * (iso_weeks(dates) - 1) / 52.0
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


class PanelPolicy:
    """A trained panel network as a backtest policy (:mod:`inventory_gym.data.backtest`): it
    asks for the window's in-stock flags (and the master attributes when trained on them),
    imputes the out-of-stock periods of the window as in training and orders integers."""

    name = "dbp"

    def __init__(self, net: ScaledNet, options: PanelOptions, instance: Any, meta: dict):
        self.net = net.eval()
        self.options = options
        self.instance = instance
        self.meta = meta
        wants = ["in_stock", "dates"] if options.calendar else ["in_stock"]
        self.per_period = (2 if options.calendar else 0) + (2 if options.last_year else 0)
        self.backtest_inputs = (*wants, "static") if options.master else tuple(wants)

    def __call__(
        self, obs: np.ndarray, *, in_stock: np.ndarray, static: Any = None, dates: Any = None
    ) -> np.ndarray:
        problem, params = self.instance.problem, self.instance.params
        d, w = problem.state_dim(params), in_stock.shape[1]
        if w < self.options.window:
            raise ValueError(
                f"dbp: the backtest window ({w}) is shorter than the network's "
                f"({self.options.window})"
            )
        full = impute(obs[:, d : d + w], in_stock)
        history = full[:, -self.options.window :]
        fixed = obs[:, d + w : d + w + self.instance.static_row.shape[0]]
        want = self.net.spec.static_dim - fixed.shape[1] - self.per_period - 1
        have = 0 if static is None else np.asarray(static).shape[1]
        if self.options.master and have != want:
            raise ValueError(
                f"dbp was trained with {want} master attributes, the panel has {have} "
                "(give the same --master file)"
            )
        parts = [fixed] + ([np.asarray(static, np.float64)] if self.options.master else [])
        if self.options.calendar:
            season = season_features(np.asarray(dates)[w : w + 1])
            parts.append(np.repeat(season, obs.shape[0], axis=0))
        if self.options.last_year:
            o = self.options
            parts.append(last_year_features(full, o.window, o.last_year, o.season)[:, w])
        with torch.no_grad():
            out = self.net(
                torch.as_tensor(obs[:, :d], dtype=torch.float32),
                torch.as_tensor(history, dtype=torch.float32),
                torch.as_tensor(np.concatenate(parts, axis=1), dtype=torch.float32),
            )
        return np.rint(out[:, 0].numpy().astype(np.float64))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "problem": self.instance.problem.name,
            "instance": self.instance.to_dict(),
            "options": {**asdict(self.options), "hidden": list(self.options.hidden)},
            "spec": self.net.spec.to_dict(),
            "meta": self.meta,
        }
        tmp = path / (POLICY_FILE + ".tmp")
        torch.save(
            {k: v.detach().cpu() for k, v in self.net.state_dict().items()}, path / WEIGHTS_FILE
        )
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(path / POLICY_FILE)
        return path


def load_panel_policy(path: str | Path) -> PanelPolicy:
    """Read a policy saved by :meth:`PanelPolicy.save` (``inventory-gym train --data``)."""
    path = Path(path)
    doc_path = path / POLICY_FILE
    if (path / "policy" / POLICY_FILE).is_file():
        doc_path, path = path / "policy" / POLICY_FILE, path / "policy"
    if not doc_path.is_file():
        raise FileNotFoundError(f"no {POLICY_FILE} in {path}: not a saved panel policy")
    doc = json.loads(doc_path.read_text())
    if doc.get("format") != FORMAT:
        raise ValueError(f"{doc_path}: not a panel DBP policy (format {doc.get('format')!r})")
    if doc.get("version") != VERSION:
        raise ValueError(f"{doc_path}: version {doc.get('version')!r}, this code reads {VERSION}")
    options = doc["options"]
    options["hidden"] = tuple(options["hidden"])
    net = ScaledNet(PolicySpec.from_dict(doc["spec"]))
    net.load_state_dict(torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True))
    inst = doc["instance"]
    instance = make_instance(inst["env_id"], inst.get("env_kwargs"))
    return PanelPolicy(net, PanelOptions(**options), instance, doc.get("meta") or {})


def train_panel(
    panel: Panel,
    instance: Any,
    *,
    until: int | None = None,
    options: PanelOptions = PanelOptions(),
    config: TrainConfig | None = None,
    progress: bool = False,
    out: str | Path | None = None,
) -> PanelPolicy:
    """Train one network across every series of ``panel`` on its periods before ``until``.

    Each gradient step draws ``config.batch_size`` rows (series and start period), simulates
    ``config.burn_in`` periods without gradient from an empty state and ``config.horizon``
    periods with it, and takes an Adam step on the mean cost per period (cosine schedule over
    the step budget). The network after the last step is returned (and saved to ``out``).
    """
    from dbp.trainer import _learning_rate, budget_fraction

    config = config or TrainConfig(batch_size=256, horizon=24, burn_in=8, max_steps=300)
    until = panel.periods if until is None else int(until)
    if config.threads is not None:
        set_threads(config.threads)
    torch.manual_seed(config.seed)
    length = config.burn_in + config.horizon
    source = PanelSource(
        panel,
        until=until,
        window=options.window,
        length=length,
        master=options.master,
        recent=options.recent,
        last_year=options.last_year,
        season=options.season,
    )
    season = (2 if options.calendar else 0) + (2 if options.last_year else 0)
    static_dim = instance.static_row.shape[0] + source.static.shape[1] + season + 1
    spec = PolicySpec(
        kind=options.kind,
        hidden=options.hidden,
        state_dim=instance.state_dim,
        window=options.window,
        static_dim=static_dim,
        action_dim=1,
        scale=1.0,
    )
    net = ScaledNet(spec)
    gen = torch.Generator()
    gen.manual_seed(config.seed * 1_000_003 + 17)
    sim = Simulator(
        [instance],
        config.batch_size,
        state_dim=spec.state_dim,
        window=options.window,
        static=True,
        generator=gen,
        device=torch.device("cpu"),
        dtype=torch.float32,
        source=source,
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.max_steps, desc="dbp (panel)", unit="step", leave=False)
    begin = time.perf_counter()
    costs: list[float] = []
    step = 0
    while True:
        elapsed = time.perf_counter() - begin
        if config.max_steps is not None and step >= config.max_steps:
            break
        if config.max_seconds is not None and elapsed >= config.max_seconds:
            break
        lr = _learning_rate(config, budget_fraction(config, step, elapsed))
        for group in optimizer.param_groups:
            group["lr"] = lr
        sim.reset()
        demand = sim.sample(length)
        fixed = sim.static

        def period(t: int, fixed: Any = fixed, demand: Any = demand) -> Any:
            if season:  # the season of the period decided (and last year's lift)
                sim.static = torch.cat([fixed, source.calendar(t, week=options.calendar)], dim=1)
            return sim.step(net, demand[:, t], straight_through=config.straight_through)

        with torch.no_grad():
            for t in range(config.burn_in):
                period(t)
        total = torch.zeros(())
        for t in range(config.burn_in, length):
            total = total + period(t).cost.sum()
        loss = total / (sim.batch * config.horizon)
        if not math.isfinite(float(loss.detach())):
            raise FloatingPointError(
                f"train: the loss became {float(loss.detach())} at step {step}"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
        optimizer.step()
        costs.append(float(loss.detach()))
        step += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(cost=f"{np.mean(costs[-10:]):.3f}")
    if bar is not None:
        bar.close()
    meta = {
        "trained_until": str(panel.dates[until - 1]),
        "series": panel.n_series,
        "steps": step,
        "seconds": round(time.perf_counter() - begin, 1),
        "threads": config.threads,
        "seed": config.seed,
        "config": config.to_dict(),
        "final_train_cost": float(np.mean(costs[-10:])) if costs else None,
    }
    policy = PanelPolicy(net, options, instance, meta)
    if out is not None:
        policy.save(Path(out) / "policy")
        (Path(out) / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    return policy
