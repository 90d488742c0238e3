"""Predict-then-optimize policies of the panel backtest (issue 17): forecast every series of a
real demand panel from its history, then order up to the critical-ratio quantile.

Each is an ordinary backtest policy (:mod:`inventory_gym.data.backtest`, registered in
:data:`baselines.backtest.BACKTEST_POLICIES`): at the decision of period ``t`` it sees the
state, the sales of the periods before ``t`` with their in-stock flags, their dates and the
master file's attributes, nothing later. :class:`PanelOrderUpTo` is the one order-up-to code
path: a :class:`PanelForecaster` gives every series' mean demand in each of the ``coverage``
coming periods (default ``L + 1``: the lead time plus the review period, the periods an
order placed now is the last to serve), their sum and a variance make a
:class:`~baselines.pto.forecasters.Forecast`, and the quantile is the one of
:class:`~baselines.pto.policies.OrderUpTo` (:func:`~baselines.pto.policies.quantile`, Poisson,
negative binomial or normal) at the ratio ``p / (p + h)``; the order is that level minus the
inventory position, never below zero.

Variance (``negbin``, ``normal``): the forecast total times the series' dispersion, the
variance-to-mean ratio of its in-stock sales over the last ``spread`` periods (at least 1, so
never below Poisson).

Censoring: out-of-stock periods are missing demand. The moving average and ETS/Croston drop
them from each series (masking); LightGBM masks them from its targets and its lag features
(missing values, which LightGBM handles natively).

Seasonality (``seasonal=True``, weekly panels): the ISO-week seasonal index over all series of
:func:`baselines.backtest.seasonal_index` (the VN2 benchmark's): the moving average and ETS
forecast the deseasonalised series and multiply by the index of each coming week.

Refit cadence (``refit``): a forecaster with parameters (ETS, LightGBM) is fitted at a
decision and reused for the next ``refit - 1`` decisions, each of which forecasts from its own,
longer history with the fitted parameters (``refit=1``: refit every decision). A fit is reused
only when the history it was fitted on is the start of the current one, so a policy object can
run several backtests.

The forecasters:

- :class:`MovingAverageForecaster` (``pto_moving_average``): the mean of the last ``n``
  in-stock periods (:class:`~baselines.pto.forecasters.MovingAverage`);
- :class:`ETSForecaster` (``pto_ets``, statsforecast): per series, by the Syntetos-Boylan rule
  on its in-stock history, an ETS model (statsforecast's ``AutoETS``, model selected by AICc)
  for a smooth series (average inter-demand interval ADI < ``adi_cut`` = 1.32), Croston's
  method (SBA) or TSB for an intermittent one (ADI >= 1.32; ``intermittent``), whatever its
  squared coefficient of variation of the non-zero sizes (CV^2, which separates erratic from
  smooth and lumpy from intermittent, and changes the method only with ``cv2_cut``);
- :class:`LightGBMForecaster` (``pto_lightgbm``): one global LightGBM model over all series
  and the coming periods (the horizon is a feature), on lags, last year's same weeks, rolling
  means, standard deviations and in-stock fractions, the ISO week of the target period and the
  master file's attributes (categorical); features and target are in units of each series'
  recent level, rows weighted by it.

statsforecast and lightgbm come with the ``forecast`` extra; they are imported when a policy is
built, with an error naming the extra when they are missing.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from baselines.pto.forecasters import Forecast, MovingAverage
from baselines.pto.policies import quantile

__all__ = [
    "PANEL_DISTRIBUTIONS",
    "ETSForecaster",
    "LightGBMForecaster",
    "MovingAverageForecaster",
    "PanelForecaster",
    "PanelOrderUpTo",
    "classify",
]

PANEL_DISTRIBUTIONS = ("poisson", "negbin", "normal")
MIN_LEVEL = 0.1
"""The smallest per-series level LightGBM's scaled features are divided by."""


def _needs(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is not installed: the predict-then-optimize forecasters need the "
            "'forecast' extra: pip install 'inventory-gym[forecast]'"
        ) from None


@dataclass(frozen=True)
class History:
    """What a forecaster reads at a decision: every series' periods before it."""

    sales: np.ndarray
    """(N, W) sales, oldest first."""
    in_stock: np.ndarray
    """(N, W) in-stock flags (False: censored, missing demand)."""
    dates: np.ndarray
    """(W + H,) the window's dates, then the decision period's and those after it."""
    static: np.ndarray
    """(N, k) master attributes (k = 0 without a master file)."""

    @property
    def window(self) -> int:
        return int(self.sales.shape[1])

    def ahead(self, k: int) -> np.ndarray:
        """The dates of the decision period and the ``k - 1`` after it."""
        return self.dates[self.window : self.window + k]


class PanelForecaster(Protocol):
    """Fits on a :class:`History` (``fit -> model``, ``None`` for one without parameters) and
    forecasts ``(N, k)`` mean demand of the decision period and the ``k - 1`` after it."""

    name: str

    def fit(self, history: History) -> Any: ...

    def predict(self, model: Any, history: History, k: int) -> np.ndarray: ...


def _seasonal(history: History, k: int, seasonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(W,) index of the window's periods and (k,) of the coming ones (ones when off)."""
    if not seasonal:
        return np.ones(history.window), np.ones(k)
    from baselines.backtest import seasonal_index

    past, coming = seasonal_index(
        history.sales, history.in_stock, history.dates[: history.window], history.ahead(k)
    )
    return past, coming


def _deseasonalise(history: History, past: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(past[None] > 0, history.sales / past[None], 0.0)


# ----------------------------------------------------------------------------------------------
# The order-up-to policy
# ----------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    date: np.datetime64
    sales: np.ndarray
    in_stock: np.ndarray
    static_digest: str
    model: Any


def _digest(a: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()


class PanelOrderUpTo:
    """Order up to the ``ratio``-quantile of a panel forecaster's demand over ``coverage``
    periods, minus the inventory position (see the module docstring).

    Args:
        instance: the problem instance (costs, lead time; it must have an inventory position).
        forecaster: a :class:`PanelForecaster`.
        distribution: ``poisson``, ``negbin`` or ``normal`` (:data:`PANEL_DISTRIBUTIONS`).
        refit: decisions a fitted forecaster serves (>= 1).
        coverage: periods of the order-up-to level (default ``L + 1``).
        ratio: the quantile (default the instance's ``p / (p + h)``).
        spread: periods of the dispersion estimate (negbin, normal).
        name: the policy's name in tables.
    """

    backtest_inputs = ("in_stock", "dates", "static")

    def __init__(
        self,
        instance: Any,
        forecaster: PanelForecaster,
        *,
        distribution: str = "negbin",
        refit: int = 1,
        coverage: int | None = None,
        ratio: float | None = None,
        spread: int = 26,
        name: str | None = None,
    ):
        problem, params = instance.problem, instance.params
        if distribution not in PANEL_DISTRIBUTIONS:
            raise ValueError(
                f"PanelOrderUpTo: distribution must be one of {PANEL_DISTRIBUTIONS}, got "
                f"{distribution!r}"
            )
        for label, value in (("refit", refit), ("spread", spread)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"PanelOrderUpTo: {label} must be an integer >= 1, got {value!r}")
        if problem.position_weights(params) is None:
            raise ValueError(
                f"PanelOrderUpTo: the {problem.name} problem has no inventory position"
            )
        lead = int(getattr(params, "lead_time", 0))
        coverage = lead + 1 if coverage is None else coverage
        if (
            isinstance(coverage, bool)
            or not isinstance(coverage, (int, np.integer))
            or coverage < 1
        ):
            raise ValueError(f"PanelOrderUpTo: coverage must be an integer >= 1, got {coverage!r}")
        if ratio is None:
            ratio = getattr(params, "shortage_fractile", None)
        if ratio is None or not 0.0 < float(ratio) < 1.0:
            raise ValueError(f"PanelOrderUpTo: ratio must be in (0, 1), got {ratio!r}")
        self.instance, self.forecaster = instance, forecaster
        self.distribution, self.refit, self.coverage = distribution, int(refit), int(coverage)
        self.ratio, self.spread = float(ratio), int(spread)
        self.name = name or f"pto_{forecaster.name}"
        self._fits: list[_Fit] = []
        self.fits = 0
        """Fits made so far (the refit cadence at work)."""

    # -- the fitted model, reused for `refit` decisions ------------------------------------------

    def _model(self, history: History) -> Any:
        date = history.dates[history.window]
        w = history.window
        step = (history.dates[1] - history.dates[0]) if history.dates.size > 1 else None
        static = _digest(history.static)
        for fit in reversed(self._fits):
            if step is None or fit.sales.shape != history.sales.shape:
                continue
            offset = int((date - fit.date) / step)
            if not 0 <= offset < self.refit or fit.static_digest != static:
                continue
            # The fit's history must be the start of this one: the same periods, the same data.
            if np.array_equal(fit.sales[:, offset:], history.sales[:, : w - offset]) and (
                np.array_equal(fit.in_stock[:, offset:], history.in_stock[:, : w - offset])
            ):
                return fit.model
        model = self.forecaster.fit(history)
        self.fits += 1
        self._fits = [*self._fits[-7:], _Fit(date, history.sales, history.in_stock, static, model)]
        return model

    # -- the policy --------------------------------------------------------------------------------

    def level(self, history: History) -> np.ndarray:
        """(N,) order-up-to levels."""
        model = self._model(history)
        means = np.asarray(self.forecaster.predict(model, history, self.coverage), np.float64)
        means = np.maximum(np.nan_to_num(means, nan=0.0), 0.0)
        total = means.sum(axis=1)
        variance = total * self.dispersion(history)
        return quantile(Forecast(total, variance), self.ratio, self.distribution)

    def dispersion(self, history: History) -> np.ndarray:
        """(N,) variance-to-mean ratio of the in-stock sales of the last ``spread`` periods,
        at least 1 (1 for a series with fewer than two in-stock periods)."""
        x = history.sales[:, -self.spread :]
        ok = history.in_stock[:, -self.spread :]
        count = ok.sum(axis=1)
        mean = np.where(ok, x, 0.0).sum(axis=1) / np.maximum(count, 1)
        var = np.where(ok, (x - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(count - 1, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where((count >= 2) & (mean > 0), var / np.maximum(mean, 1e-12), 1.0)
        return np.maximum(ratio, 1.0)

    def __call__(
        self, obs: np.ndarray, *, in_stock: np.ndarray, dates: np.ndarray, static: np.ndarray
    ) -> np.ndarray:
        problem, params = self.instance.problem, self.instance.params
        d, w = problem.state_dim(params), in_stock.shape[1]
        obs = np.asarray(obs, dtype=np.float64)
        history = History(obs[:, d : d + w], np.asarray(in_stock, bool), dates, static)
        position = problem.inventory_position(obs, params)
        return np.maximum(self.level(history) - position, 0.0)


# ----------------------------------------------------------------------------------------------
# Moving average
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovingAverageForecaster:
    """The mean of the last ``n`` in-stock periods of each series (censored ones dropped;
    none in stock: 0), times the seasonal index of each coming period with ``seasonal``."""

    n: int = 8
    seasonal: bool = False
    name: str = "moving_average"

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"MovingAverageForecaster: n must be an integer >= 1, got {self.n!r}")

    def fit(self, history: History) -> None:
        return None

    def predict(self, model: Any, history: History, k: int) -> np.ndarray:
        past, coming = _seasonal(history, k, self.seasonal)
        x = _deseasonalise(history, past)
        n = min(self.n, history.window)
        if n < 2:  # MovingAverage needs two periods; pad with a censored one
            x = np.concatenate([np.zeros((x.shape[0], 1)), x], axis=1)
            mask = np.concatenate([np.zeros((x.shape[0], 1), bool), history.in_stock], axis=1)
            n = 2
        else:
            mask = history.in_stock
        base = MovingAverage(n).forecast(x, 1, mask).mean
        return base[:, None] * coming[None, :]


# ----------------------------------------------------------------------------------------------
# ETS and Croston/TSB (statsforecast)
# ----------------------------------------------------------------------------------------------


def classify(
    sales: np.ndarray, in_stock: np.ndarray, *, adi_cut: float = 1.32, cv2_cut: float = 0.49
) -> np.ndarray:
    """Syntetos-Boylan classes of each series from its in-stock periods (censored ones
    dropped): ``"smooth"`` (ADI < ``adi_cut``, CV^2 < ``cv2_cut``), ``"erratic"`` (ADI <
    cut, CV^2 >= cut), ``"intermittent"`` (ADI >= cut, CV^2 < cut), ``"lumpy"`` (both >=) and
    ``"empty"`` (no non-zero in-stock sale). ADI: in-stock periods per non-zero sale; CV^2:
    the squared coefficient of variation of the non-zero sales."""
    out = np.empty(sales.shape[0], dtype=object)
    for i in range(sales.shape[0]):
        y = sales[i][in_stock[i]]
        nz = y[y > 0]
        if nz.size == 0:
            out[i] = "empty"
            continue
        adi = y.size / nz.size
        cv2 = float(nz.var() / nz.mean() ** 2) if nz.size > 1 else 0.0
        if adi < adi_cut:
            out[i] = "smooth" if cv2 < cv2_cut else "erratic"
        else:
            out[i] = "intermittent" if cv2 < cv2_cut else "lumpy"
    return out


INTERMITTENT = ("croston_sba", "tsb", "croston")


@dataclass(frozen=True)
class ETSForecaster:
    """Per series: ETS (statsforecast ``AutoETS``, additive or multiplicative error and trend
    selected by AICc, no seasonal component: the seasonal index handles the season with
    ``seasonal``) for the smooth and erratic series, ``intermittent`` (Croston SBA, TSB or
    classic Croston) for the intermittent and lumpy ones (:func:`classify`), each on the
    series' in-stock periods only. ``min_points``: fewer in-stock periods than this give the
    moving average of all of them instead. ``last``: the periods of history fitted (the
    most recent; ``None``: all)."""

    intermittent: str = "croston_sba"
    seasonal: bool = False
    adi_cut: float = 1.32
    cv2_cut: float = 0.49
    ets_model: str = "ZZN"
    tsb_alpha_d: float = 0.2
    tsb_alpha_p: float = 0.2
    min_points: int = 6
    last: int | None = 104
    name: str = "ets"

    def __post_init__(self) -> None:
        if self.intermittent not in INTERMITTENT:
            raise ValueError(
                f"ETSForecaster: intermittent must be one of {INTERMITTENT}, got "
                f"{self.intermittent!r}"
            )
        _needs("statsforecast")

    def _series(self, history: History, past: np.ndarray) -> list[np.ndarray]:
        x = _deseasonalise(history, past)
        lo = 0 if self.last is None else max(history.window - self.last, 0)
        return [x[i, lo:][history.in_stock[i, lo:]] for i in range(x.shape[0])]

    def _model(self, kind: str) -> Any:
        models = _needs("statsforecast.models")
        if kind in ("smooth", "erratic"):
            return models.AutoETS(model=self.ets_model)
        if self.intermittent == "tsb":
            return models.TSB(alpha_d=self.tsb_alpha_d, alpha_p=self.tsb_alpha_p)
        if self.intermittent == "croston":
            return models.CrostonClassic()
        return models.CrostonSBA()

    def fit(self, history: History) -> list[Any]:
        past, _ = _seasonal(history, 1, self.seasonal)
        lo = 0 if self.last is None else max(history.window - self.last, 0)
        kinds = classify(
            history.sales[:, lo:],
            history.in_stock[:, lo:],
            adi_cut=self.adi_cut,
            cv2_cut=self.cv2_cut,
        )
        fitted: list[Any] = []
        failed = 0
        for y, kind in zip(self._series(history, past), kinds):
            if y.size < self.min_points or kind == "empty":
                fitted.append(None)
                continue
            model = self._model(kind)
            if isinstance(model, _needs("statsforecast.models").AutoETS):
                try:
                    model.fit(y=y.astype(np.float64))
                except Exception:  # statsforecast's optimiser fails on a degenerate series
                    model, failed = None, failed + 1
            fitted.append(model)
        if failed:
            warnings.warn(
                f"ETSForecaster: ETS failed to fit {failed} series; they use the mean of "
                "their in-stock periods",
                RuntimeWarning,
                stacklevel=2,
            )
        return fitted

    def predict(self, model: list[Any], history: History, k: int) -> np.ndarray:
        """ETS: the fitted model run forward on the current history (its parameters kept);
        Croston/TSB (no fitted parameters, or fixed ones): forecast from the current history."""
        past, coming = _seasonal(history, k, self.seasonal)
        out = np.zeros((history.sales.shape[0], k))
        failed = 0
        for i, (y, m) in enumerate(zip(self._series(history, past), model)):
            if m is None or y.size < self.min_points:
                out[i] = y.mean() if y.size else 0.0
                continue
            y = y.astype(np.float64)
            try:
                mean = m.forward(y=y, h=k) if hasattr(m, "forward") else m.forecast(y=y, h=k)
                out[i] = np.asarray(mean["mean"], dtype=np.float64)[:k]
            except Exception:  # statsforecast fails on this history: say so, use the mean
                out[i], failed = y.mean(), failed + 1
        if failed:
            warnings.warn(
                f"ETSForecaster: the forecast failed for {failed} series; they use the mean of "
                "their in-stock periods",
                RuntimeWarning,
                stacklevel=2,
            )
        return np.maximum(np.nan_to_num(out, nan=0.0), 0.0) * coming[None, :]


# ----------------------------------------------------------------------------------------------
# LightGBM: one global model over all series
# ----------------------------------------------------------------------------------------------


def _rolling(eff: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every origin s = 0..W (features of periods before s): nan-mean, nan-std and the
    in-stock count of the ``m`` periods s - m .. s - 1. Each (N, W + 1)."""
    ok = np.isfinite(eff)
    x = np.where(ok, eff, 0.0)
    zero = np.zeros((eff.shape[0], 1))
    c1 = np.concatenate([zero, np.cumsum(x, axis=1)], axis=1)
    c2 = np.concatenate([zero, np.cumsum(x * x, axis=1)], axis=1)
    cn = np.concatenate([zero, np.cumsum(ok, axis=1)], axis=1)
    s = np.arange(eff.shape[1] + 1)
    lo = np.maximum(s - m, 0)
    n = cn[:, s] - cn[:, lo]
    tot, sq = c1[:, s] - c1[:, lo], c2[:, s] - c2[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, tot / np.maximum(n, 1), np.nan)
        var = np.where(n > 1, (sq - n * mean**2) / np.maximum(n - 1, 1), np.nan)
    return mean, np.sqrt(np.maximum(var, 0.0)), n


@dataclass(frozen=True)
class LightGBMForecaster:
    """One global LightGBM regressor over all series and horizons (see the module docstring).

    Training rows: every series, origin ``s`` (the last ``train_periods`` origins whose
    targets are in the history) and horizon ``h = 0 .. k - 1``; the target is the sales of
    period ``s + h`` divided by the series' level at ``s`` (the mean of its in-stock sales of
    the 13 periods before ``s``, else of the 52, at least :data:`MIN_LEVEL`), and a row whose
    target period is out of stock is left out (stockout-aware target). Features at ``s``
    (periods before ``s`` only, censored periods missing): the last ``lags`` periods, the
    periods one season (``season``) before the target period and one either side, rolling
    means over 4, 8, 13, 26 and 52 periods and standard deviations over 13 and 52 (all scaled
    by the level), the in-stock fraction of the last 13, the log level, the horizon, the ISO
    week of the target period and the master attributes (categorical). Rows are weighted by
    the level, so the loss is in units. Hyperparameters: ``params`` (LightGBM's names) and
    ``rounds`` boosting rounds; one thread unless ``params`` says otherwise."""

    rounds: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.8
    lags: int = 8
    season: int = 52
    train_periods: int = 104
    horizon: int = 3
    objective: str = "l2"
    seed: int = 0
    num_threads: int = 1
    extra: dict = field(default_factory=dict)
    name: str = "lightgbm"

    def __post_init__(self) -> None:
        _needs("lightgbm")

    # features of every origin 0..W and horizon 0..k-1, (N, W + 1, k, F), and the level (N, W+1)
    def _features(self, history: History, k: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        from baselines.backtest import iso_weeks

        eff = np.where(history.in_stock, history.sales, np.nan)
        n, w = eff.shape
        s = np.arange(w + 1)
        pad = max(self.season + 1 + k, self.lags, 52) + 1
        padded = np.concatenate([np.full((n, pad), np.nan), eff, np.full((n, k), np.nan)], axis=1)

        def at(idx: np.ndarray) -> np.ndarray:  # eff at period idx (may be < 0: missing)
            return padded[:, idx + pad]

        m13, sd13, c13 = _rolling(eff, 13)
        m52, sd52, _ = _rolling(eff, 52)
        level = np.where(np.isfinite(m13), m13, np.where(np.isfinite(m52), m52, 0.0))
        level = np.maximum(level, MIN_LEVEL)
        names: list[str] = []
        base: list[np.ndarray] = []  # (N, W+1) each, common to all horizons
        for j in range(1, self.lags + 1):
            base.append(at(s - j) / level)
            names.append(f"lag_{j}")
        for m in (4, 8, 26):
            base.append(_rolling(eff, m)[0] / level)
            names.append(f"mean_{m}")
        base += [m13 / level, m52 / level, sd13 / level, sd52 / level, c13 / 13.0, np.log(level)]
        names += ["mean_13", "mean_52", "std_13", "std_52", "in_stock_13", "log_level"]
        per_h: list[list[np.ndarray]] = []
        ahead = history.dates[: w + k]
        week = iso_weeks(ahead).astype(np.float64) if ahead.size == w + k else None
        for h in range(k):
            cols = []
            for off in (-1, 0, 1):  # last season's target period and its neighbours
                cols.append(at(s + h - self.season + off) / level)
            cols.append(np.full((n, w + 1), float(h)))
            if week is not None:
                idx = np.minimum(s + h, w + k - 1)
                cols.append(np.broadcast_to(week[idx], (n, w + 1)))
            else:
                cols.append(np.full((n, w + 1), np.nan))
            per_h.append(cols)
        names += ["season_lag_m1", "season_lag", "season_lag_p1", "horizon", "iso_week"]
        static = np.asarray(history.static, dtype=np.float64)
        names += [f"static_{j}" for j in range(static.shape[1])]
        f = len(names)
        out = np.empty((n, w + 1, k, f))
        for h in range(k):
            stack = [*base, *per_h[h]]
            for j, col in enumerate(stack):
                out[:, :, h, j] = col
            for j in range(static.shape[1]):
                out[:, :, h, len(stack) + j] = static[:, j : j + 1]
        return out, level, names

    def _params(self, static_cols: list[int]) -> dict[str, Any]:
        p = {
            "objective": self.objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_seed": self.seed,
            "feature_fraction_seed": self.seed,
            "seed": self.seed,
            "num_threads": self.num_threads,
            "deterministic": True,
            "verbosity": -1,
        }
        p.update(self.extra)
        return p

    def fit(self, history: History) -> Any:
        lgb = _needs("lightgbm")
        k = self.horizon
        feats, level, names = self._features(history, k)
        w = history.sales.shape[1]
        s = np.arange(w + 1)
        lo = max(w - self.train_periods - k, 1)
        xs, ys, ws = [], [], []
        for h in range(k):
            origins = s[(s >= lo) & (s + h < w)]
            target = history.sales[:, origins + h]
            ok = history.in_stock[:, origins + h]
            lv = level[:, origins]
            xs.append(feats[:, origins, h][ok])
            ys.append((target / lv)[ok])
            ws.append(lv[ok])
        x, y, weight = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        static_cols = [names.index(c) for c in names if c.startswith("static_")]
        if y.size == 0:
            return None
        data = lgb.Dataset(
            x,
            label=y,
            weight=weight,
            feature_name=names,
            categorical_feature=static_cols or "auto",
            free_raw_data=True,
        )
        return lgb.train(self._params(static_cols), data, num_boost_round=self.rounds)

    def predict(self, model: Any, history: History, k: int) -> np.ndarray:
        n, w = history.sales.shape
        if k > self.horizon:
            raise ValueError(
                f"LightGBMForecaster: fitted for {self.horizon} periods ahead, asked for {k}"
            )
        if model is None:
            return np.zeros((n, k))
        feats, level, _ = self._features(history, k)
        x = feats[:, w, :k].reshape(n * k, -1)
        pred = np.asarray(model.predict(x), dtype=np.float64).reshape(n, k)
        return np.maximum(pred, 0.0) * level[:, w : w + 1]
