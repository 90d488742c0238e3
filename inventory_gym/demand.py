"""Demand models for inventory control environments.

Every model draws a ``(batch, periods)`` block of non-negative demands, either with a numpy
``Generator`` (:meth:`DemandModel.sample`) or with a ``torch.Generator``
(:meth:`DemandModel.sample_torch`). Stationary models ignore the ``start`` period; the
non-stationary ones use it as the clock, one per batch row when it is an array: the
:class:`Replay` model plays back historical series; the :class:`TimeVarying` models
(:class:`Seasonal`, :class:`Trend`, :class:`RegimeSwitch`, :class:`LifeCycle`) draw Poisson or
negative-binomial demand around a known mean path ``mu_t`` (SCENARIOS.md section 5);
:class:`Products` holds one model per batch row and :class:`ProductGenerator` draws them. A
model gives the law of one period with :meth:`DemandModel.mean_at` and
:meth:`DemandModel.pmf_at` (stationary models ignore ``t``).

Models can be written as short spec strings (``"poisson(5)"``, ``"gamma(4,0.5,100)"``, ...)
that :func:`make_demand` parses; ``model.spec`` gives the canonical string back.

torch is imported lazily inside the torch methods, so this module imports without it.
"""

from __future__ import annotations

import abc
import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from inventory_gym.core.validation import check_int, check_real


class _LazyModule:
    """A module imported on first use: scipy.stats takes about 1.5 s to import, and
    ``inventory-gym --help`` (which imports this module to list the envs) needs none of it."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


stats = _LazyModule("scipy.stats")
special = _LazyModule("scipy.special")

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEMAND_FORMS",
    "DEMAND_SAMPLERS",
    "FAMILIES",
    "AliasTable",
    "DemandModel",
    "DiscreteDemand",
    "Empirical",
    "Gamma",
    "Geometric",
    "LifeCycle",
    "NegativeBinomial",
    "Poisson",
    "ProductGenerator",
    "Products",
    "RegimeSwitch",
    "Replay",
    "Seasonal",
    "TimeVarying",
    "Trend",
    "TruncatedNormal",
    "Uniform",
    "demand_field",
    "make_demand",
]

DEMAND_FORMS: tuple[str, ...] = (
    "poisson(mean)",
    "geometric(mean)",
    "uniform(low,high)",
    "gamma(mean,cv[,upper])",
    "negbin(mean,variance)",
    "normal(loc,scale)",
    "empirical(v:p,...)",
    "seasonal(mean,amplitude,period[,phase[,vmr]])",
    "trend(start,slope[,floor[,vmr]])",
    "regime(before,after,change[,vmr])",
    "lifecycle(peak,ramp,plateau,decline[,floor[,vmr]])",
)

_DEFAULT_TOL = 1e-9
# A pmf table is materialised in full (pmf, quantile, torch sampling); past this size the
# parameters are far outside inventory-control scales and we prefer a clear error to an OOM.
_MAX_TABLE = 10_000_000
_CACHE_ATTR = "_cache"


# ----------------------------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------------------------


def _is_real(value: object) -> bool:
    # bool is an int subclass; a True "mean" is almost certainly a bug, so it is rejected.
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _real(
    model: str,
    name: str,
    value: object,
    *,
    positive: bool = False,
    nonnegative: bool = False,
) -> float:
    """Return ``value`` as a finite float or raise ``ValueError`` naming the parameter."""
    if positive:
        what = "a positive finite number"
    elif nonnegative:
        what = "a non-negative finite number"
    else:
        what = "a finite number"
    if not _is_real(value):
        raise ValueError(f"{model}: {name} must be {what}, got {value!r}")
    out = float(value)  # type: ignore[arg-type]
    if not math.isfinite(out) or (positive and out <= 0) or (nonnegative and out < 0):
        raise ValueError(f"{model}: {name} must be {what}, got {value!r}")
    return out


def _integer(model: str, name: str, value: object, *, minimum: int = 0) -> int:
    """Return ``value`` as an int (integral floats accepted) or raise ``ValueError``."""
    what = f"an integer >= {minimum}"
    if not _is_real(value):
        raise ValueError(f"{model}: {name} must be {what}, got {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        out = int(value)  # type: ignore[arg-type]
    else:
        as_float = float(value)  # type: ignore[arg-type]
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise ValueError(f"{model}: {name} must be {what}, got {value!r}")
        out = int(as_float)
    if out < minimum:
        raise ValueError(f"{model}: {name} must be {what}, got {value!r}")
    return out


def _count(name: str, value: object) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    out = int(value)
    if out < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return out


def _check_q(q: object) -> float:
    if not _is_real(q) or not 0.0 <= float(q) <= 1.0:  # type: ignore[arg-type]
        raise ValueError(f"quantile: q must be a number in [0, 1], got {q!r}")
    return float(q)  # type: ignore[arg-type]


def _periods(model: str, t: object, *, scalar: bool = False) -> np.ndarray:
    """``t`` as an int64 array after checking it holds period indices (integers >= 0)."""
    if isinstance(t, np.ndarray) and not scalar:
        if t.dtype.kind not in "iu" or (t.size and int(t.min()) < 0):
            raise ValueError(f"{model}: t must hold integers >= 0, got {t!r}")
        return t.astype(np.int64, copy=False)
    return np.asarray(check_int(model, "t", t), dtype=np.int64)


def _fmt(x: float) -> str:
    """Shortest string that parses back to exactly ``x`` (``5.0`` -> ``"5"``)."""
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# ----------------------------------------------------------------------------------------------
# Base classes
# ----------------------------------------------------------------------------------------------


class DemandModel(abc.ABC):
    """Abstract demand model: draws ``(batch, periods)`` blocks of non-negative demand.

    Subclasses are frozen dataclasses. ``mean`` is either a dataclass field (for models
    parametrised by their mean) or a property; it is always a float.

    Derived data (pmf tables, torch tensors) is cached in a private dict that is excluded
    from equality and from pickling.
    """

    mean: float

    # -- caching --------------------------------------------------------------------------------

    def _cached(self, key: Any, build: Callable[[], Any]) -> Any:
        # Frozen dataclasses forbid normal assignment; the cache is not a field, so
        # writing it through __dict__ keeps equality, hashing and repr untouched.
        cache = self.__dict__.get(_CACHE_ATTR)
        if cache is None:
            cache = {}
            object.__setattr__(self, _CACHE_ATTR, cache)
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state: the instance dict without the (rebuildable) cache."""
        state = dict(self.__dict__)
        state.pop(_CACHE_ATTR, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore pickled state, bypassing the frozen ``__setattr__``."""
        self.__dict__.update(state)

    # -- description ----------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def spec(self) -> str:
        """Canonical short string; :func:`make_demand` parses it back to an equal model."""

    @property
    @abc.abstractmethod
    def is_integer(self) -> bool:
        """True when every sample is a non-negative integer."""

    @property
    def is_stationary(self) -> bool:
        """True for i.i.d. models whose samples do not depend on ``start``."""
        return True

    @property
    def horizon(self) -> int | None:
        """Number of periods available (``None``: unbounded, i.i.d. models)."""
        return None

    def mean_at(self, t: int | np.ndarray) -> float | np.ndarray:
        """The mean demand of period ``t`` (an int, or an int array: one mean per entry).

        Stationary models ignore ``t`` and give :attr:`mean`; a non-stationary model that has
        a known law per period overrides this.

        Raises:
            ValueError: for a negative or non-integer ``t``, or a non-stationary model without
                a per-period law (a replayed series).
        """
        periods = _periods(type(self).__name__, t)
        if not self.is_stationary:
            raise ValueError(f"{self.spec}: no known law per period (mean_at)")
        return self.mean if periods.ndim == 0 else np.full(periods.shape, float(self.mean))

    def pmf_at(self, t: int, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
        """The truncated pmf of period ``t``: ``(values, probs)`` as :meth:`DiscreteDemand.pmf`
        (stationary discrete models ignore ``t``).

        Raises:
            ValueError: for a bad ``t``, or a model without a pmf (continuous or replayed).
        """
        _periods(type(self).__name__, t, scalar=True)
        raise ValueError(f"{self.spec}: no pmf (the demand is continuous or replayed)")

    @abc.abstractmethod
    def quantile(self, q: float) -> float:
        """Return the ``q``-quantile of the one-period demand, ``q`` in ``[0, 1]``."""

    def __str__(self) -> str:
        """Return :attr:`spec`."""
        return self.spec

    # -- sampling -------------------------------------------------------------------------------

    def sample(
        self,
        rng: np.random.Generator,
        batch: int,
        periods: int,
        *,
        start: int | np.ndarray = 0,
    ) -> np.ndarray:
        """Draw demands with numpy.

        Args:
            rng: numpy random generator.
            batch: number of rows (independent environments).
            periods: number of periods (columns).
            start: period index of the first column; ignored by stationary models. An int,
                or an int array of shape ``(batch,)`` (one clock per row).

        Returns:
            float64 array of shape ``(batch, periods)`` with non-negative entries.
        """
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        batch = _count("batch", batch)
        periods = _count("periods", periods)
        out = self._sample_numpy(rng, batch, periods, start)
        return np.asarray(out, dtype=np.float64).reshape(batch, periods)

    @abc.abstractmethod
    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray: ...

    def alias_table(self) -> AliasTable | None:
        """The exact table sampler of a stationary discrete law (:class:`AliasTable`), or
        ``None`` (this model: continuous, non-stationary or replayed)."""
        return None

    def sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        *,
        start: int | np.ndarray | torch.Tensor = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """Draw demands with torch (same semantics as :meth:`sample`).

        Args:
            generator: torch generator (``None``: torch's default generator). Its device
                must match ``device``.
            batch: number of rows.
            periods: number of periods.
            start: period index of the first column (see :meth:`sample`).
            device: output device; defaults to the generator's device, else CPU.
            dtype: output dtype; defaults to ``torch.float32``.

        Returns:
            Tensor of shape ``(batch, periods)``.
        """
        import torch

        batch = _count("batch", batch)
        periods = _count("periods", periods)
        if device is None:
            device = generator.device if generator is not None else torch.device("cpu")
        device = torch.device(device)
        if generator is not None:
            gdev = generator.device
            if gdev.type != device.type or (
                gdev.index is not None and device.index is not None and gdev.index != device.index
            ):
                raise ValueError(
                    f"generator is on {gdev} but samples were requested on {device}; "
                    "use a generator created on the same device"
                )
        dtype = torch.float32 if dtype is None else dtype
        return self._sample_torch(generator, batch, periods, start, device, dtype)

    @abc.abstractmethod
    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor: ...


def _work_dtype(device: torch.device) -> torch.dtype:
    import torch

    # Uniforms are drawn in float64 so that tail probabilities down to ~1e-16 are reachable
    # (float32 uniforms have a 2^-24 grid); MPS has no float64.
    return torch.float32 if device.type == "mps" else torch.float64


class DiscreteDemand(DemandModel):
    """Stationary demand on the non-negative integers, described by a (truncated) pmf."""

    @property
    def is_integer(self) -> bool:
        """Always True: samples are non-negative integers."""
        return True

    @abc.abstractmethod
    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(values, probs, cdf)`` truncated at tail mass ``tol``."""

    def _tables(self, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not _is_real(tol) or not 0.0 < float(tol) < 1.0:
            raise ValueError(f"pmf: tol must be a number in (0, 1), got {tol!r}")
        tol = float(tol)

        def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            values, probs, cdf = self._table(tol)
            return (
                _readonly(np.asarray(values, dtype=np.int64)),
                _readonly(np.asarray(probs, dtype=np.float64)),
                _readonly(np.asarray(cdf, dtype=np.float64)),
            )

        if tol == _DEFAULT_TOL:
            return self._cached(("pmf", tol), build)
        return build()

    def dense_pmf(self, tol: float = _DEFAULT_TOL) -> np.ndarray:
        """The truncated pmf (see :meth:`pmf`) as a dense float64 vector over ``0..k``, the
        form exact solvers index by demand value."""
        values, probs = self.pmf(tol)
        dense = np.zeros(int(values[-1]) + 1)
        dense[values] = probs
        return dense

    def pmf(self, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
        """Return the truncated pmf.

        The table starts at the smallest support point and stops at the first ``k`` with
        ``P(D > k) < tol``; that tail mass is folded into ``k``.

        Args:
            tol: tail mass that may be folded into the last point, in ``(0, 1)``.

        Returns:
            ``(values, probs)``: read-only int64 support values and float64 probabilities
            summing to 1.
        """
        values, probs, _ = self._tables(tol)
        return values, probs

    def pmf_at(self, t: int, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`pmf`: a stationary model's law is the same in every period ``t``."""
        _periods(type(self).__name__, t, scalar=True)
        return self.pmf(tol)

    def cdf(self, k: float | np.ndarray) -> float | np.ndarray:
        """Return ``P(D <= k)`` under the default truncated pmf (scalar or array ``k``)."""
        values, _, cdf = self._tables()
        idx = np.searchsorted(values, np.asarray(k, dtype=np.float64), side="right")
        out = np.where(idx > 0, cdf[np.maximum(idx - 1, 0)], 0.0)
        return float(out) if out.ndim == 0 else out

    @property
    def support_max(self) -> int:
        """Largest support point of the default truncated pmf."""
        return int(self._tables()[0][-1])

    @property
    def pmf_mean(self) -> float:
        """Mean of the default truncated pmf: the mean of the samples (for rounded models such
        as :class:`Gamma` it differs slightly from ``mean``, the mean before rounding)."""
        values, probs, _ = self._tables()
        return float(np.dot(values, probs))

    def quantile(self, q: float) -> float:
        """Return the smallest support value ``k`` with ``cdf(k) >= q``."""
        q = _check_q(q)
        values, _, cdf = self._tables()
        idx = min(int(np.searchsorted(cdf, q, side="left")), len(values) - 1)
        return float(values[idx])

    def alias_table(self) -> AliasTable | None:
        """The exact table sampler of this law (:class:`AliasTable`, cached), built on its pmf
        truncated at a tail mass of ``2^-60``; ``None`` when that support has more than
        65,536 points (the model's own sampler is then the fast one)."""

        def build() -> AliasTable | None:
            try:
                values, probs, _ = self._tables(_SAMPLER_TOL)
            except ValueError:  # a table too large to build
                return None
            if values.size > _MAX_ALIAS:
                return None
            return AliasTable(values, probs)

        return self._cached("alias", build)

    def _torch_tables(self, device: torch.device, dtype: torch.dtype) -> tuple[Any, Any]:
        import torch

        def build() -> tuple[torch.Tensor, torch.Tensor]:
            values, _, cdf = self._tables()
            cdf_t = torch.tensor(cdf, dtype=_work_dtype(device), device=device)
            return cdf_t, torch.tensor(values, device=device).to(dtype)

        return self._cached(("torch", str(device), dtype), build)

    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        import torch

        cdf_t, values_t = self._torch_tables(device, dtype)
        u = torch.rand((batch, periods), generator=generator, device=device, dtype=cdf_t.dtype)
        # right=True gives the first index with cdf > u, i.e. P(index = i) = pmf[i]. The
        # last cdf entry is exactly 1 and u < 1, but clamp anyway against rounding.
        idx = torch.searchsorted(cdf_t, u, right=True).clamp_(max=cdf_t.numel() - 1)
        return values_t[idx]


_SAMPLER_TOL = 2.0**-60
"""Tail mass an :class:`AliasTable` may fold into its last point: below the resolution of the
64-bit draws it is built on, so its law is the model's to that resolution."""
_MAX_ALIAS = 1 << 16
"""Largest support an :class:`AliasTable` is built for (the construction is a Python loop);
models with more points keep their own sampler."""


DEMAND_SAMPLERS = ("table", "model")
"""The values of the shells' ``demand_sampler`` option: ``"table"``, a stationary discrete
model's :class:`AliasTable` (other models: their own sampler); ``"model"``, the model's own
:meth:`DemandModel.sample`."""

_RAW_64 = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)
"""Bit generators whose ``random_raw`` gives 64 random bits a draw."""


class AliasTable:
    """Walker's alias method (Vose's construction) over a pmf: an exact table sampler.

    The ``K = 2^k`` cells (the support padded with zero-probability points) each hold a point,
    an alias and a threshold. One 64-bit draw ``r`` picks the cell ``i = r >> (64 - k)`` (its
    top bits) and compares the whole of ``r`` with the cell's threshold (its low bits, the
    acceptance probability): the point below it, the alias above. The law is the pmf's to
    ``2^-64`` per cell, plus the rounding of the construction (about ``1e-16``); each draw costs
    a few numpy passes (no Poisson or gamma sampler, no int-to-float copy).

    Built by :meth:`DiscreteDemand.alias_table`, shared by every env of the model (the table
    is read-only).
    """

    CHUNK = 1 << 14
    """Draws per pass: the buffers of one chunk stay in the cache."""

    def __init__(self, values: np.ndarray, probs: np.ndarray):
        values = np.asarray(values, dtype=np.float64)
        probs = np.asarray(probs, dtype=np.float64)
        k = max(1, (len(values) - 1).bit_length())
        n_cells = 1 << k
        shift = 64 - k
        q = np.zeros(n_cells)
        q[: len(probs)] = probs / probs.sum() * n_cells
        point = np.zeros(n_cells)
        point[: len(values)] = values
        alias = np.arange(n_cells)
        small = [i for i in range(n_cells) if q[i] < 1.0]
        large = [i for i in range(n_cells) if q[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            alias[s] = g
            q[g] -= 1.0 - q[s]
            (small if q[g] < 1.0 else large).append(g)
        # What is left is full up to rounding: it keeps its own point.
        for i in small + large:
            q[i], alias[i] = 1.0, i
        scale = 1 << shift
        thresholds = []
        for i in range(n_cells):
            accept = min(round(float(q[i]) * scale), scale)
            if accept == scale:
                alias[i] = i  # always the point itself, whatever the threshold
                accept = scale - 1
            thresholds.append((i << shift) + accept)
        self.values = _readonly(values)
        self.probs = _readonly(probs / probs.sum())
        self._shift = np.uint64(shift)
        self._thresholds = _readonly(np.array(thresholds, dtype=np.uint64))
        # Cell i's point at 2 i, its alias at 2 i + 1: the result is one gather.
        pair = np.empty(2 * n_cells)
        pair[0::2], pair[1::2] = point, point[alias]
        self._pair = _readonly(pair)

    @property
    def cells(self) -> int:
        """The number of cells ``K`` (a power of two)."""
        return self._thresholds.size

    def law(self) -> np.ndarray:
        """The probability of each point of :attr:`values` under the table (for tests)."""
        k = self._thresholds.size
        scale = float(1 << int(self._shift))
        accept = (self._thresholds - (np.arange(k, dtype=np.uint64) << self._shift)) / scale
        accept[self._pair[0::2] == self._pair[1::2]] = 1.0
        mass = np.zeros(k)
        index = {v: j for j, v in enumerate(self.values.tolist())}
        for i in range(k):
            point, alias = self._pair[2 * i], self._pair[2 * i + 1]
            for value, p in ((point, accept[i]), (alias, 1.0 - accept[i])):
                if p > 0:
                    mass[index[float(value)]] += p / k
        return mass[: self.values.size]

    def fill(self, rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
        """Fill the C-contiguous float64 array ``out`` (any shape) with draws, in memory order.

        Args:
            rng: a numpy ``Generator``: the draws are its bit generator's raw 64-bit
                output (PCG64, the default, and the others of 64 bits), else its
                ``integers`` over the full 64-bit range.
            out: where the draws go, e.g. a ``(periods, batch)`` block in the layout the
                kernel reads.

        Returns:
            ``out``.
        """
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if out.dtype != np.float64 or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(
                f"out must be a writeable C-contiguous float64 array, got {out.dtype} "
                f"(contiguous {out.flags.c_contiguous}, writeable {out.flags.writeable})"
            )
        flat = out.reshape(-1)
        n = flat.size
        chunk = min(self.CHUNK, n)
        top = np.iinfo(np.uint64).max
        cell = np.empty(chunk, dtype=np.uint64)
        bound = np.empty(chunk, dtype=np.uint64)
        above = np.empty(chunk, dtype=bool)
        shift, one = self._shift, np.uint64(1)
        bits = rng.bit_generator
        # The raw output where it is 64 bits wide (about twice as fast as ``integers``); MT19937
        # gives 32, and other bit generators go through ``integers`` too.
        raw = isinstance(bits, _RAW_64) and not isinstance(bits, np.random.MT19937)
        for a in range(0, n, chunk):
            c = min(chunk, n - a)
            if raw:
                r = bits.random_raw(c)
            else:
                r = rng.integers(0, top, size=c, dtype=np.uint64, endpoint=True)
            i, t, m = cell[:c], bound[:c], above[:c]
            np.right_shift(r, shift, out=i)
            # mode="clip": the indices are in range, and mode="raise" would buffer out.
            np.take(self._thresholds, i.view(np.int64), out=t, mode="clip")
            np.greater_equal(r, t, out=m)
            np.left_shift(i, one, out=i)
            np.bitwise_or(i, m, out=i, casting="unsafe")
            np.take(self._pair, i.view(np.int64), out=flat[a : a + c], mode="clip")
        return out


def _table_from_scipy(
    model: str, dist: Any, tol: float, lower: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truncated table of a scipy frozen discrete distribution supported on ``lower, ...``."""
    guess = dist.isf(tol)
    last = int(guess) if math.isfinite(guess) else lower
    last = max(last, lower)
    # isf is only approximately the first k with sf(k) < tol; walk to the exact point.
    while dist.sf(last) >= tol:
        last += 1
    while last > lower and dist.sf(last - 1) < tol:
        last -= 1
    _check_table_size(model, last - lower + 1)
    values = np.arange(lower, last + 1, dtype=np.int64)
    probs = dist.pmf(values)
    probs[-1] += dist.sf(last)
    probs /= probs.sum()
    cdf = dist.cdf(values)
    cdf[-1] = 1.0
    return values, probs, cdf


def _truncate_table(
    values: np.ndarray, probs: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truncate a full finite table at the first point whose tail mass is below ``tol``."""
    tail = np.concatenate([np.cumsum(probs[::-1])[::-1][1:], [0.0]])  # P(D > values[i])
    last = int(np.argmax(tail < tol))
    probs = probs[: last + 1].copy()
    probs[-1] += tail[last]
    probs /= probs.sum()
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return values[: last + 1].copy(), probs, cdf


def _check_table_size(model: str, size: int) -> None:
    if size > _MAX_TABLE:
        raise ValueError(
            f"{model}: the pmf table would need {size} points (more than {_MAX_TABLE}); "
            "the parameters are too large or tol too small"
        )


# ----------------------------------------------------------------------------------------------
# Stationary discrete models
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poisson(DiscreteDemand):
    """Poisson demand.

    Attributes:
        mean: the Poisson rate (> 0).
    """

    mean: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("Poisson", "mean", self.mean, positive=True))

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"poisson(5)"``."""
        return f"poisson({_fmt(self.mean)})"

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _table_from_scipy("Poisson", stats.poisson(self.mean), tol)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        return rng.poisson(self.mean, size=(batch, periods))


@dataclass(frozen=True)
class Geometric(DiscreteDemand):
    """Geometric demand on ``{0, 1, 2, ...}``: ``P(k) = (1 - q) q^k`` with ``q = m / (1 + m)``.

    Attributes:
        mean: the mean ``m`` (> 0).
    """

    mean: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("Geometric", "mean", self.mean, positive=True))

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"geometric(5)"``."""
        return f"geometric({_fmt(self.mean)})"

    @property
    def _success(self) -> float:
        return 1.0 / (1.0 + self.mean)

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Failures before the first success: the geometric law shifted to start at 0.
        return _table_from_scipy("Geometric", stats.nbinom(1, self._success), tol)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        # numpy's geometric counts trials (support 1, 2, ...); shift to failures.
        return rng.geometric(self._success, size=(batch, periods)) - 1


@dataclass(frozen=True)
class Uniform(DiscreteDemand):
    """Discrete uniform demand on ``{low, ..., high}`` (inclusive).

    Attributes:
        low: smallest demand (integer >= 0).
        high: largest demand (integer >= low).
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        low = _integer("Uniform", "low", self.low)
        high = _integer("Uniform", "high", self.high)
        if high < low:
            raise ValueError(f"Uniform: high must be >= low (low={low}), got {self.high!r}")
        _check_table_size("Uniform", high - low + 1)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"uniform(0,4)"``."""
        return f"uniform({self.low},{self.high})"

    @property
    def mean(self) -> float:  # type: ignore[override]
        """Mean ``(low + high) / 2``."""
        return (self.low + self.high) / 2.0

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.high - self.low + 1
        values = np.arange(self.low, self.high + 1, dtype=np.int64)
        return _truncate_table(values, np.full(n, 1.0 / n), tol)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, size=(batch, periods))


@dataclass(frozen=True)
class Gamma(DiscreteDemand):
    """Gamma demand rounded to the nearest integer, optionally capped at ``upper``.

    The underlying gamma has shape ``1 / cv^2`` and scale ``mean * cv^2``. De Moor et al.
    (2022) use ``Gamma(4, 0.5, 100)``. ``mean`` is the mean before rounding and capping;
    rounding shifts it by well under 1% for moderate ``cv``.

    Attributes:
        mean: mean of the underlying gamma (> 0).
        cv: coefficient of variation (> 0).
        upper: optional cap (integer >= 1); mass above it is folded into it.
    """

    mean: float
    cv: float
    upper: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("Gamma", "mean", self.mean, positive=True))
        object.__setattr__(self, "cv", _real("Gamma", "cv", self.cv, positive=True))
        if self.upper is not None:
            object.__setattr__(self, "upper", _integer("Gamma", "upper", self.upper, minimum=1))

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"gamma(4,0.5)"`` or ``"gamma(4,0.5,100)"``."""
        args = [_fmt(self.mean), _fmt(self.cv)]
        if self.upper is not None:
            args.append(str(self.upper))
        return f"gamma({','.join(args)})"

    @property
    def _shape_scale(self) -> tuple[float, float]:
        return 1.0 / self.cv**2, self.mean * self.cv**2

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shape, scale = self._shape_scale
        dist = stats.gamma(shape, scale=scale)
        guess = dist.isf(tol)
        last = math.ceil(guess) if math.isfinite(guess) else 0
        while dist.sf(last + 0.5) >= tol:
            last += 1
        while last > 0 and dist.sf(last - 0.5) < tol:
            last -= 1
        if self.upper is not None:
            last = min(last, self.upper)
        _check_table_size("Gamma", last + 1)
        values = np.arange(last + 1, dtype=np.int64)
        edges = values + 0.5  # D <= k  <=>  X < k + 0.5
        cdf = dist.cdf(edges)
        sf = dist.sf(edges)
        # Differences of the cdf lose precision in the upper tail, those of the sf in the
        # lower one: use whichever side is smaller.
        lower_sf = np.concatenate([[1.0], sf[:-1]])
        lower_cdf = np.concatenate([[0.0], cdf[:-1]])
        probs = np.where(cdf < 0.5, cdf - lower_cdf, lower_sf - sf)
        probs[-1] += sf[-1]
        probs /= probs.sum()
        cdf[-1] = 1.0
        return values, probs, cdf

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        shape, scale = self._shape_scale
        out = np.rint(rng.gamma(shape, scale, size=(batch, periods)))
        if self.upper is not None:
            np.minimum(out, self.upper, out=out)
        return out


@dataclass(frozen=True)
class NegativeBinomial(DiscreteDemand):
    """Negative binomial demand given by its mean and variance (overdispersed Poisson).

    With ``n = mean^2 / (variance - mean)`` and ``p = mean / variance`` this is the number of
    failures before ``n`` successes (numpy/scipy parametrisation).

    Attributes:
        mean: mean (> 0).
        variance: variance (> mean).
    """

    mean: float
    variance: float

    def __post_init__(self) -> None:
        mean = _real("NegativeBinomial", "mean", self.mean, positive=True)
        variance = _real("NegativeBinomial", "variance", self.variance, positive=True)
        if variance <= mean:
            raise ValueError(
                "NegativeBinomial: variance must be greater than the mean "
                f"(mean={_fmt(mean)}; use Poisson for variance == mean), got {self.variance!r}"
            )
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "variance", variance)

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"negbin(5,10)"``."""
        return f"negbin({_fmt(self.mean)},{_fmt(self.variance)})"

    @property
    def n(self) -> float:
        """Number of successes ``mean^2 / (variance - mean)``."""
        return self.mean**2 / (self.variance - self.mean)

    @property
    def p(self) -> float:
        """Success probability ``mean / variance``."""
        return self.mean / self.variance

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _table_from_scipy("NegativeBinomial", stats.nbinom(self.n, self.p), tol)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        return rng.negative_binomial(self.n, self.p, size=(batch, periods))


@dataclass(frozen=True)
class Empirical(DiscreteDemand):
    """Demand with a given pmf on non-negative integers.

    Attributes:
        values: distinct non-negative integers (stored sorted, as a tuple).
        probs: matching probabilities (>= 0, summing to 1 within 1e-9; stored normalised).
    """

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        raw_values, raw_probs = self.values, self.probs
        for name, seq in (("values", raw_values), ("probs", raw_probs)):
            if isinstance(seq, (str, bytes)) or not isinstance(seq, (Sequence, np.ndarray)):
                raise ValueError(f"Empirical: {name} must be a sequence, got {seq!r}")
        if len(raw_values) == 0:
            raise ValueError(f"Empirical: values must be non-empty, got {raw_values!r}")
        if len(raw_values) != len(raw_probs):
            raise ValueError(
                f"Empirical: values and probs must have the same length, got "
                f"{len(raw_values)} values and {len(raw_probs)} probs"
            )
        values = [_integer("Empirical", "values", v) for v in raw_values]
        probs = [_real("Empirical", "probs", p, nonnegative=True) for p in raw_probs]
        if len(set(values)) != len(values):
            raise ValueError(f"Empirical: values must be distinct, got {tuple(raw_values)!r}")
        total = math.fsum(probs)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"Empirical: probs must sum to 1, got sum {total!r}")
        _check_table_size("Empirical", len(values))
        order = sorted(range(len(values)), key=values.__getitem__)
        object.__setattr__(self, "values", tuple(values[i] for i in order))
        object.__setattr__(self, "probs", _normalise(tuple(probs[i] for i in order)))

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"empirical(0:0.2,1:0.5,3:0.3)"``."""
        pairs = ",".join(f"{v}:{_fmt(p)}" for v, p in zip(self.values, self.probs, strict=True))
        return f"empirical({pairs})"

    @property
    def mean(self) -> float:  # type: ignore[override]
        """Mean ``sum(values * probs)``."""
        return math.fsum(v * p for v, p in zip(self.values, self.probs, strict=True))

    def _table(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = np.asarray(self.values, dtype=np.int64)
        return _truncate_table(values, np.asarray(self.probs, dtype=np.float64), tol)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        values = np.asarray(self.values, dtype=np.float64)
        return rng.choice(values, size=(batch, periods), p=np.asarray(self.probs))


def _normalise(probs: tuple[float, ...]) -> tuple[float, ...]:
    """Scale probabilities to sum to exactly 1 (under ``math.fsum``).

    Renormalising an already normalised tuple must be a no-op, otherwise parsing a spec
    string would not give back an equal model.
    """
    out = list(probs)
    for _ in range(4):
        total = math.fsum(out)
        if total == 1.0:
            break
        out = [p / total for p in out]
        # Division leaves a residual of a few ulps; put it on the largest entry.
        i = max(range(len(out)), key=out.__getitem__)
        out[i] = max(out[i] + (1.0 - math.fsum(out)), 0.0)
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# Continuous model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TruncatedNormal(DemandModel):
    """Normal demand conditioned on being non-negative (exact truncation, not clipping).

    Attributes:
        loc: location of the untruncated normal (any finite number).
        scale: standard deviation of the untruncated normal (> 0).
    """

    loc: float
    scale: float

    def __post_init__(self) -> None:
        loc = _real("TruncatedNormal", "loc", self.loc)
        scale = _real("TruncatedNormal", "scale", self.scale, positive=True)
        # The sampler inverts the cdf on [0, inf), whose mass Phi(loc/scale) must be
        # representable; below this the law is not meaningfully a demand model anyway.
        if special.ndtr(loc / scale) < 1e-300:
            raise ValueError(
                f"TruncatedNormal: loc must leave some mass on [0, inf) (loc/scale >= -37), "
                f"got loc={self.loc!r} with scale={self.scale!r}"
            )
        object.__setattr__(self, "loc", loc)
        object.__setattr__(self, "scale", scale)

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"normal(5,2)"``."""
        return f"normal({_fmt(self.loc)},{_fmt(self.scale)})"

    @property
    def is_integer(self) -> bool:
        """Always False: samples are continuous."""
        return False

    @property
    def _dist(self) -> Any:
        return stats.truncnorm(-self.loc / self.scale, np.inf, loc=self.loc, scale=self.scale)

    @property
    def mean(self) -> float:  # type: ignore[override]
        """Mean of the truncated distribution."""
        return float(self._cached("mean", lambda: float(self._dist.mean())))

    def quantile(self, q: float) -> float:
        """Return the ``q``-quantile of the truncated distribution."""
        return float(self._dist.ppf(_check_q(q)))

    @property
    def _mass(self) -> float:
        return float(special.ndtr(self.loc / self.scale))  # P(N(loc, scale) >= 0)

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        # Inverse cdf through the upper tail: X = loc - scale * ndtri(V) with V uniform on
        # (0, Phi(loc/scale)]. Equivalent to inverting on [Phi(-loc/scale), 1) but stays
        # accurate when the truncation point is far in the upper tail (loc << 0).
        v = (1.0 - rng.random((batch, periods))) * self._mass
        return np.maximum(self.loc - self.scale * special.ndtri(v), 0.0)

    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        import torch

        work = _work_dtype(device)
        u = torch.rand((batch, periods), generator=generator, device=device, dtype=work)
        v = (1.0 - u) * self._mass
        x = self.loc - self.scale * torch.special.ndtri(v)
        return x.clamp_(min=0.0).to(dtype)


# ----------------------------------------------------------------------------------------------
# Non-stationary models: a known mean path over a Poisson or negative-binomial base
# ----------------------------------------------------------------------------------------------

REFERENCE_PERIODS = 52
"""Periods a trend's :attr:`~TimeVarying.mean` and :meth:`~TimeVarying.quantile` average over
(a trend has no cycle or end: a year of weekly periods)."""


def _check_vmr(owner: str, value: object) -> float:
    vmr = check_real(owner, "vmr", value, low=1.0)
    return vmr


class TimeVarying(DemandModel):
    """Demand whose law in period ``t`` is known: Poisson with mean ``mu_t`` (``vmr == 1``) or
    negative binomial with mean ``mu_t`` and variance ``vmr * mu_t`` (``vmr > 1``), where the
    mean path ``mu_t`` is the subclass's (:meth:`mean_at`).

    Non-stationary: each batch row draws from the law of its own period (``start``, one clock
    per row). :attr:`mean` and :meth:`quantile` are those of the demand over the model's
    reference periods ``0 .. reference_periods - 1`` (a cycle, a life cycle; the mixture of
    their laws), which is what an env's default order cap reads.
    """

    vmr: float

    @abc.abstractmethod
    def _path(self, t: np.ndarray) -> np.ndarray:
        """The mean of each period of the int64 array ``t`` (float64, same shape, > 0)."""

    @property
    @abc.abstractmethod
    def reference_periods(self) -> int:
        """The periods :attr:`mean` and :meth:`quantile` describe (``0 .. n - 1``)."""

    @property
    def is_integer(self) -> bool:
        """Always True: samples are non-negative integers."""
        return True

    @property
    def is_stationary(self) -> bool:
        """Always False: the law depends on the period."""
        return False

    @property
    def base(self) -> str:
        """``"poisson"`` (``vmr == 1``) or ``"negbin"``."""
        return "poisson" if self.vmr == 1.0 else "negbin"

    def _finish(self, owner: str) -> None:
        """Validate ``vmr`` and that the largest reference period's pmf table fits."""
        object.__setattr__(self, "vmr", _check_vmr(owner, self.vmr))
        peak = float(self._path(np.arange(max(self.reference_periods, 1))).max())
        self._law(peak).pmf()

    def _law(self, mu: float) -> DiscreteDemand:
        """The one-period law of mean ``mu`` (cached per mean)."""

        def build() -> DiscreteDemand:
            if self.vmr == 1.0:
                return Poisson(mu)
            return NegativeBinomial(mu, self.vmr * mu)

        return self._cached(("law", mu), build)

    def mean_at(self, t: int | np.ndarray) -> float | np.ndarray:
        """The mean ``mu_t`` of period ``t`` (int or int array of periods)."""
        periods = _periods(type(self).__name__, t)
        out = self._path(np.asarray(periods))
        return float(out) if np.ndim(out) == 0 else out

    def pmf_at(self, t: int, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
        """The truncated pmf of period ``t``, as :meth:`DiscreteDemand.pmf`."""
        period = int(_periods(type(self).__name__, t, scalar=True))
        return self._law(float(self._path(np.asarray([period]))[0])).pmf(tol)

    def _reference_mean(self) -> float:
        """The mean over the reference periods (the subclasses' :attr:`mean`)."""
        return float(self._path(np.arange(self.reference_periods)).mean())

    def quantile(self, q: float) -> float:
        """The ``q``-quantile of the demand over the reference periods (their mixture)."""
        q = _check_q(q)

        def build() -> np.ndarray:
            tables = [self.pmf_at(k) for k in range(self.reference_periods)]
            dense = np.zeros(max(int(values[-1]) for values, _ in tables) + 1)
            for values, probs in tables:
                dense[values] += probs / len(tables)
            cdf = np.cumsum(dense)
            cdf[-1] = 1.0
            return _readonly(cdf)

        cdf = self._cached("reference_cdf", build)
        return float(min(int(np.searchsorted(cdf, q, side="left")), cdf.size - 1))

    def _row_rates(self, batch: int, periods: int, start: Any) -> np.ndarray:
        """(batch, periods) means: row ``i`` starts at its own period ``start[i]``."""
        if hasattr(start, "detach"):
            start = start.detach().cpu().numpy()
        owner = type(self).__name__
        starts = _periods(owner, start)
        if starts.ndim == 0:
            starts = np.full(batch, int(starts), dtype=np.int64)
        elif starts.shape != (batch,):
            raise ValueError(
                f"{owner}: start array must have shape (batch,) = ({batch},), got {starts.shape}"
            )
        return self._path(starts[:, None] + np.arange(periods)[None, :])

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        rates = self._row_rates(batch, periods, start)
        if self.vmr == 1.0:
            return rng.poisson(rates)
        # NB(n, p) with n = mu / (vmr - 1), p = 1 / vmr: mean mu, variance vmr * mu.
        return rng.negative_binomial(rates / (self.vmr - 1.0), 1.0 / self.vmr)

    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        import torch

        rates = torch.as_tensor(
            self._row_rates(batch, periods, start), dtype=_work_dtype(device), device=device
        )
        if self.vmr != 1.0:
            # Gamma-Poisson mixture: rate ~ Gamma(mu / (vmr - 1), scale vmr - 1).
            shape = rates / (self.vmr - 1.0)
            rates = torch._standard_gamma(shape, generator=generator) * (self.vmr - 1.0)
        return torch.poisson(rates, generator=generator).to(dtype)

    def _spec_args(self, args: list[str], optional: Sequence[tuple[float, float]]) -> str:
        """``name(args...)`` with the trailing optional ``(value, default)`` pairs written
        up to the last one that differs from its default."""
        extra = [_fmt(v) for v, _ in optional]
        while extra and optional[len(extra) - 1][0] == optional[len(extra) - 1][1]:
            extra.pop()
        return f"{self._spec_name}({','.join(args + extra)})"

    _spec_name: str = ""


@dataclass(frozen=True)
class Seasonal(TimeVarying):
    """Demand whose mean follows a sine (SCENARIOS.md section 5): in period ``t``,
    ``mu_t = mean * (1 + amplitude * sin(2 pi t / period + phase))``, Poisson or (``vmr > 1``)
    negative binomial around it.

    ``mean`` is the mean over a cycle (the sine sums to zero over an integer period), the
    reference periods; :meth:`quantile` is that of the demand over a whole cycle.

    Attributes:
        mean: the mean over a cycle (> 0).
        amplitude: the relative swing, in ``[0, 1)`` (every period's mean stays positive).
        period: the cycle length in periods (an integer >= 2).
        phase: the phase ``phi`` in radians (any finite number).
        vmr: the variance-to-mean ratio of every period (1: Poisson; > 1: negative binomial).
    """

    mean: float
    amplitude: float
    period: int
    phase: float = 0.0
    vmr: float = 1.0
    _spec_name = "seasonal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", check_real("Seasonal", "mean", self.mean, strict=True))
        amplitude = check_real("Seasonal", "amplitude", self.amplitude)
        if amplitude >= 1.0:
            raise ValueError(
                f"Seasonal: amplitude must be below 1 (the mean of every period stays "
                f"positive), got {self.amplitude!r}"
            )
        object.__setattr__(self, "amplitude", amplitude)
        object.__setattr__(self, "period", check_int("Seasonal", "period", self.period, low=2))
        object.__setattr__(self, "phase", check_real("Seasonal", "phase", self.phase, low=None))
        self._finish("Seasonal")

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"seasonal(5,0.5,12)"`` or ``"seasonal(5,0.5,12,1.5,2)"``."""
        args = [_fmt(self.mean), _fmt(self.amplitude), str(self.period)]
        return self._spec_args(args, [(self.phase, 0.0), (self.vmr, 1.0)])

    @property
    def reference_periods(self) -> int:
        """One cycle."""
        return self.period

    @property
    def _rates(self) -> np.ndarray:
        """The mean of each phase ``t mod period``, float64, shape (period,)."""

        def build() -> np.ndarray:
            phases = 2.0 * math.pi * np.arange(self.period) / self.period + self.phase
            return _readonly(self.mean * (1.0 + self.amplitude * np.sin(phases)))

        return self._cached("rates", build)

    def _path(self, t: np.ndarray) -> np.ndarray:
        return self._rates[t % self.period]

    def pmf_at(self, t: int, tol: float = _DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
        """The truncated pmf of period ``t`` (one law per phase)."""
        phase = int(_periods("Seasonal", t, scalar=True)) % self.period
        return self._law(float(self._rates[phase])).pmf(tol)

    @property
    def cycle_mean(self) -> float:
        """``mean`` (the mean over a cycle)."""
        return self.mean


@dataclass(frozen=True)
class Trend(TimeVarying):
    """Demand whose mean moves linearly: ``mu_t = max(start + slope * t, floor)``.

    The reference periods (:attr:`mean`, :meth:`quantile`) are the first
    :data:`REFERENCE_PERIODS`.

    Attributes:
        start: the mean of period 0 (> 0).
        slope: the change of the mean per period (any finite number).
        floor: the smallest mean (> 0; a declining trend levels off there).
        vmr: variance-to-mean ratio (1: Poisson; > 1: negative binomial).
    """

    start: float
    slope: float
    floor: float = 0.1
    vmr: float = 1.0
    _spec_name = "trend"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_real("Trend", "start", self.start, strict=True))
        object.__setattr__(self, "slope", check_real("Trend", "slope", self.slope, low=None))
        object.__setattr__(self, "floor", check_real("Trend", "floor", self.floor, strict=True))
        self._finish("Trend")

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"trend(4,0.1)"`` or ``"trend(10,-0.2,1,2)"``."""
        args = [_fmt(self.start), _fmt(self.slope)]
        return self._spec_args(args, [(self.floor, 0.1), (self.vmr, 1.0)])

    @property
    def mean(self) -> float:  # type: ignore[override]
        """The mean over the reference periods."""
        return self._reference_mean()

    @property
    def reference_periods(self) -> int:
        return REFERENCE_PERIODS

    def _path(self, t: np.ndarray) -> np.ndarray:
        return np.maximum(self.start + self.slope * t, self.floor)


@dataclass(frozen=True)
class RegimeSwitch(TimeVarying):
    """Demand whose mean jumps once: ``before`` in periods ``t < change``, ``after`` from
    ``change`` on. The change point is a known parameter of the model; a random change point
    is drawn per product by :class:`ProductGenerator` (the policy does not see it, the oracle
    DP does). The reference periods are ``0 .. 2 change - 1`` (at least 2).

    Attributes:
        before: the mean before the change (> 0).
        after: the mean from the change on (> 0).
        change: the first period of the new regime (an integer >= 0).
        vmr: variance-to-mean ratio (1: Poisson; > 1: negative binomial).
    """

    before: float
    after: float
    change: int
    vmr: float = 1.0
    _spec_name = "regime"

    def __post_init__(self) -> None:
        owner = "RegimeSwitch"
        object.__setattr__(self, "before", check_real(owner, "before", self.before, strict=True))
        object.__setattr__(self, "after", check_real(owner, "after", self.after, strict=True))
        object.__setattr__(self, "change", check_int(owner, "change", self.change))
        self._finish(owner)

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"regime(4,8,20)"``."""
        args = [_fmt(self.before), _fmt(self.after), str(self.change)]
        return self._spec_args(args, [(self.vmr, 1.0)])

    @property
    def mean(self) -> float:  # type: ignore[override]
        """The mean over the reference periods."""
        return self._reference_mean()

    @property
    def reference_periods(self) -> int:
        return max(2 * self.change, 2)

    def _path(self, t: np.ndarray) -> np.ndarray:
        return np.where(t < self.change, self.before, self.after).astype(np.float64)


@dataclass(frozen=True)
class LifeCycle(TimeVarying):
    """A product's life cycle: the mean ramps up linearly from ``floor`` (period 0) to
    ``peak`` (period ``ramp``), stays there for ``plateau`` periods, declines linearly back to
    ``floor`` over ``decline`` periods and stays at ``floor`` after. The reference periods are
    the life, ``ramp + plateau + decline``.

    Attributes:
        peak: the mean at the plateau (> floor).
        ramp: periods of the ramp-up (an integer >= 1).
        plateau: periods at the peak (an integer >= 0).
        decline: periods of the decline (an integer >= 1).
        floor: the mean before the launch ramp and after the decline (> 0).
        vmr: variance-to-mean ratio (1: Poisson; > 1: negative binomial).
    """

    peak: float
    ramp: int
    plateau: int
    decline: int
    floor: float = 0.5
    vmr: float = 1.0
    _spec_name = "lifecycle"

    def __post_init__(self) -> None:
        owner = "LifeCycle"
        object.__setattr__(self, "ramp", check_int(owner, "ramp", self.ramp, low=1))
        object.__setattr__(self, "plateau", check_int(owner, "plateau", self.plateau))
        object.__setattr__(self, "decline", check_int(owner, "decline", self.decline, low=1))
        object.__setattr__(self, "floor", check_real(owner, "floor", self.floor, strict=True))
        peak = check_real(owner, "peak", self.peak, strict=True)
        if peak <= self.floor:
            raise ValueError(
                f"{owner}: peak must be above floor (floor={_fmt(self.floor)}), got {self.peak!r}"
            )
        object.__setattr__(self, "peak", peak)
        self._finish(owner)

    @property
    def spec(self) -> str:
        """Spec string, e.g. ``"lifecycle(8,10,20,10)"``."""
        args = [_fmt(self.peak), str(self.ramp), str(self.plateau), str(self.decline)]
        return self._spec_args(args, [(self.floor, 0.5), (self.vmr, 1.0)])

    @property
    def mean(self) -> float:  # type: ignore[override]
        """The mean over the reference periods."""
        return self._reference_mean()

    @property
    def reference_periods(self) -> int:
        return self.ramp + self.plateau + self.decline

    def _path(self, t: np.ndarray) -> np.ndarray:
        knots = np.cumsum([0, self.ramp, self.plateau, self.decline]).astype(np.float64)
        values = np.array([self.floor, self.peak, self.peak, self.floor])
        return np.interp(np.asarray(t, dtype=np.float64), knots, values)


# ----------------------------------------------------------------------------------------------
# Products: one demand model per batch row, and their generator
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Products(DemandModel):
    """One demand model per batch row (a product per row): ``sample(batch=n)`` draws row ``i``
    from ``models[i]`` at its own clock ``start[i]``. A single model is broadcast to every row.

    Attributes:
        models: the products' models (a non-empty tuple of :class:`DemandModel`).
    """

    models: tuple[DemandModel, ...]

    def __post_init__(self) -> None:
        models = tuple(self.models) if isinstance(self.models, (list, tuple)) else None
        if not models or not all(isinstance(m, DemandModel) for m in models):
            raise ValueError(
                f"Products: models must be a non-empty sequence of DemandModel, got {self.models!r}"
            )
        object.__setattr__(self, "models", models)

    def __repr__(self) -> str:
        return f"Products({len(self.models)} products)"

    def __len__(self) -> int:
        return len(self.models)

    def row(self, i: int) -> DemandModel:
        """Product ``i``'s model."""
        return self.models[i]

    @property
    def spec(self) -> str:
        """Descriptive string (not parseable by :func:`make_demand`)."""
        return f"products({len(self.models)} models)"

    @property
    def is_integer(self) -> bool:
        return all(m.is_integer for m in self.models)

    @property
    def is_stationary(self) -> bool:
        """False unless every product is stationary (then rows may ignore their clocks)."""
        return all(m.is_stationary for m in self.models)

    @property
    def mean(self) -> float:  # type: ignore[override]
        """The mean of the products' means."""
        return float(np.mean([m.mean for m in self.models]))

    def mean_at(self, t: int | np.ndarray) -> float | np.ndarray:
        """``(n,)`` each product's mean at period ``t`` (an int), or, for an int array whose
        first axis is the products, each row's means at its own periods."""
        periods = _periods("Products", t)
        if periods.ndim == 0:
            return np.array([float(m.mean_at(int(periods))) for m in self.models])
        if periods.shape[0] != len(self.models):
            raise ValueError(
                f"Products: the first axis of t must be the {len(self.models)} products, "
                f"got shape {periods.shape}"
            )
        return np.stack([np.asarray(m.mean_at(p), float) for m, p in zip(self.models, periods)])

    def quantile(self, q: float) -> float:
        """The largest of the products' ``q``-quantiles (an order cap that fits them all)."""
        q = _check_q(q)
        return max(float(m.quantile(q)) for m in self.models)

    def _rows(self, batch: int, start: Any) -> tuple[list[DemandModel], np.ndarray]:
        if hasattr(start, "detach"):
            start = start.detach().cpu().numpy()
        n = len(self.models)
        if batch != n and n != 1:
            raise ValueError(
                f"Products: batch must equal the number of products ({n}) or hold a single "
                f"product to broadcast, got batch={batch}"
            )
        starts = _periods("Products", start)
        if starts.ndim == 0:
            starts = np.full(batch, int(starts), dtype=np.int64)
        elif starts.shape != (batch,):
            raise ValueError(
                f"Products: start array must have shape (batch,) = ({batch},), got {starts.shape}"
            )
        models = list(self.models) if n == batch else [self.models[0]] * batch
        return models, starts

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        models, starts = self._rows(batch, start)
        out = np.empty((batch, periods))
        for i, (model, s) in enumerate(zip(models, starts)):
            out[i] = model.sample(rng, 1, periods, start=int(s))[0]
        return out

    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        import torch

        models, starts = self._rows(batch, start)
        if batch == 0:
            return torch.zeros((0, periods), device=device, dtype=dtype)
        rows = [
            m.sample_torch(generator, 1, periods, start=int(s), device=device, dtype=dtype)
            for m, s in zip(models, starts)
        ]
        return torch.cat(rows, dim=0)


FAMILIES: tuple[str, ...] = ("seasonal", "trend", "regime", "lifecycle")
"""The families :class:`ProductGenerator` draws from."""


def _range(owner: str, name: str, value: object, *, low: float = 0.0) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a (low, high) pair, got {value!r}")
    a = check_real(owner, f"{name}[0]", value[0], low=low)
    b = check_real(owner, f"{name}[1]", value[1], low=low)
    if b < a:
        raise ValueError(f"{owner}: {name} must have low <= high, got {value!r}")
    return a, b


@dataclass(frozen=True)
class ProductGenerator:
    """Draws products: a model family and its parameters per batch row (the pattern of
    jumanji's ``Generator``: a callable from a random key to an instance), so that one policy
    trains across many products and is tested on products it never saw.

    Every product's level is drawn in ``mean`` (uniform), its base is negative binomial with
    probability ``negbin_share`` (variance-to-mean ratio uniform in ``vmr``), else Poisson.
    Per family: ``seasonal`` amplitude in ``amplitude``, a period from ``periods``, a uniform
    phase; ``trend`` a total relative change over ``horizon`` periods in ``trend`` (the slope is
    ``level * change / horizon``); ``regime`` a jump by a factor in ``jump`` (up or down with
    equal odds) at a random change point uniform in ``change`` times ``horizon``; ``lifecycle``
    a ramp, plateau and decline splitting ``horizon`` (fractions in ``ramp``, the decline
    ``decline``), ``floor`` a fraction ``0.2`` of the peak.

    Call it with a numpy ``Generator`` and a count: ``generator(rng, n)`` is a
    :class:`Products` of ``n`` products (``generator.models(rng, n)`` the list).
    """

    families: tuple[str, ...] = FAMILIES
    mean: tuple[float, float] = (3.0, 10.0)
    negbin_share: float = 0.5
    vmr: tuple[float, float] = (1.5, 3.0)
    amplitude: tuple[float, float] = (0.3, 0.7)
    periods: tuple[int, ...] = (13, 26, 52)
    trend: tuple[float, float] = (-0.6, 1.0)
    jump: tuple[float, float] = (1.5, 2.5)
    change: tuple[float, float] = (0.25, 0.75)
    ramp: tuple[float, float] = (0.1, 0.3)
    decline: tuple[float, float] = (0.2, 0.4)
    horizon: int = 52

    def __post_init__(self) -> None:
        owner = "ProductGenerator"
        fams = tuple(self.families) if isinstance(self.families, (list, tuple)) else ()
        bad = [f for f in fams if f not in FAMILIES]
        if not fams or bad:
            raise ValueError(
                f"{owner}: families must be a non-empty subset of {FAMILIES}, got {self.families!r}"
            )
        object.__setattr__(self, "families", fams)
        object.__setattr__(self, "mean", _range(owner, "mean", self.mean, low=1e-9))
        share = check_real(owner, "negbin_share", self.negbin_share)
        if share > 1:
            raise ValueError(f"{owner}: negbin_share must be in [0, 1], got {self.negbin_share!r}")
        object.__setattr__(self, "vmr", _range(owner, "vmr", self.vmr, low=1.0))
        amp = _range(owner, "amplitude", self.amplitude)
        if amp[1] >= 1:
            raise ValueError(f"{owner}: amplitude must stay below 1, got {self.amplitude!r}")
        object.__setattr__(self, "amplitude", amp)
        if not self.periods or not all(
            isinstance(p, numbers.Integral) and p >= 2 for p in self.periods
        ):
            raise ValueError(f"{owner}: periods must be integers >= 2, got {self.periods!r}")
        object.__setattr__(self, "trend", _range(owner, "trend", self.trend, low=-0.9))
        object.__setattr__(self, "jump", _range(owner, "jump", self.jump, low=1.0))
        for name in ("change", "ramp", "decline"):
            rng_ = _range(owner, name, getattr(self, name))
            if rng_[1] > 1:
                raise ValueError(f"{owner}: {name} must be fractions in [0, 1], got {rng_!r}")
            object.__setattr__(self, name, rng_)
        object.__setattr__(self, "horizon", check_int(owner, "horizon", self.horizon, low=4))

    def models(self, rng: np.random.Generator, n: int) -> list[TimeVarying]:
        """``n`` products' demand models."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return [self._one(rng) for _ in range(_count("n", n))]

    def __call__(self, rng: np.random.Generator, n: int) -> Products:
        """A :class:`Products` of ``n`` products."""
        return Products(tuple(self.models(rng, n)))

    def _one(self, rng: np.random.Generator) -> TimeVarying:
        family = self.families[int(rng.integers(len(self.families)))]
        level = float(round(rng.uniform(*self.mean), 2))
        vmr = 1.0
        if rng.random() < self.negbin_share:
            vmr = float(round(rng.uniform(*self.vmr), 2))
        h = self.horizon
        if family == "seasonal":
            period = int(self.periods[int(rng.integers(len(self.periods)))])
            amp = float(round(rng.uniform(*self.amplitude), 2))
            phase = float(round(rng.uniform(0, 2 * math.pi), 2))
            return Seasonal(level, amp, period, phase, vmr)
        if family == "trend":
            change = float(rng.uniform(*self.trend))
            slope = float(round(level * change / h, 4))
            return Trend(level, slope, round(0.2 * level, 2), vmr)
        if family == "regime":
            factor = float(rng.uniform(*self.jump))
            after = level * factor if rng.random() < 0.5 else level / factor
            point = round(rng.uniform(*self.change) * h)
            return RegimeSwitch(level, float(round(after, 2)), point, vmr)
        ramp = max(1, round(rng.uniform(*self.ramp) * h))
        decline = max(1, round(rng.uniform(*self.decline) * h))
        plateau = max(0, h - ramp - decline)
        return LifeCycle(level, ramp, plateau, decline, round(0.2 * level, 2), vmr)


# ----------------------------------------------------------------------------------------------
# Historical replay
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Replay(DemandModel):
    """Replays historical demand series, one series per batch row.

    ``sample(batch=...)`` needs ``batch == n_series``, or a single series that is then
    broadcast to every row. ``start`` is the period index of the first column.

    Attributes:
        series: read-only float64 array of shape ``(n_series, T)`` (a 1-D input is one
            series) with non-negative finite values.
    """

    series: np.ndarray

    def __post_init__(self) -> None:
        raw = self.series
        if isinstance(raw, (str, bytes)):
            raise ValueError(f"Replay: series must be a numeric array, got {raw!r}")
        try:
            arr = np.asarray(raw)
        except (TypeError, ValueError) as err:  # ragged nested lists
            raise ValueError(f"Replay: series must be a numeric array ({err})") from None
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"Replay: series must be a numeric array, got dtype {arr.dtype}")
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(
                f"Replay: series must be a non-empty 1-D or 2-D array, got shape {arr.shape}"
            )
        arr = np.array(arr, dtype=np.float64)  # always a private copy
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            bad = arr[~(np.isfinite(arr) & (arr >= 0))][0]
            raise ValueError(f"Replay: series values must be non-negative and finite, got {bad}")
        object.__setattr__(self, "series", _readonly(arr))

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore pickled state; unpickled arrays are writable, so lock them again."""
        super().__setstate__(state)
        if self.series.flags.writeable:
            object.__setattr__(self, "series", _readonly(self.series.copy()))

    def __repr__(self) -> str:
        """Short repr (the series itself can be large)."""
        return f"Replay(n_series={self.n_series}, periods={self.length})"

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.series.shape[0])

    @property
    def length(self) -> int:
        """Number of periods ``T`` in each series."""
        return int(self.series.shape[1])

    @property
    def spec(self) -> str:
        """Descriptive string (not parseable by :func:`make_demand`)."""
        return f"replay({self.n_series} series x {self.length} periods)"

    @property
    def is_integer(self) -> bool:
        """True when every value in the series is an integer."""
        return bool(
            self._cached("is_integer", lambda: np.all(self.series == np.round(self.series)))
        )

    @property
    def is_stationary(self) -> bool:
        """Always False: samples depend on the period index."""
        return False

    @property
    def horizon(self) -> int:
        """Series length ``T``."""
        return self.length

    @property
    def mean(self) -> float:  # type: ignore[override]
        """Mean over all values of all series."""
        return float(self._cached("mean", lambda: float(self.series.mean())))

    def quantile(self, q: float) -> float:
        """Empirical quantile over all values (``np.quantile``, method ``"inverted_cdf"``)."""
        return float(np.quantile(self.series, _check_q(q), method="inverted_cdf"))

    def row(self, i: int) -> Replay:
        """Return a one-series :class:`Replay` holding series ``i``."""
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (numbers.Integral, np.integer)):
            raise ValueError(f"Replay.row: i must be an integer, got {i!r}")
        if not -self.n_series <= int(i) < self.n_series:
            raise IndexError(f"Replay.row: i={i} out of range for {self.n_series} series")
        return Replay(self.series[int(i)])

    def _indices(self, batch: int, periods: int, start: Any) -> tuple[np.ndarray, np.ndarray]:
        if batch != self.n_series and self.n_series != 1:
            raise ValueError(
                f"Replay: batch must equal the number of series ({self.n_series}) or the "
                f"replay must hold a single series to broadcast, got batch={batch}"
            )
        if isinstance(start, (bool, np.bool_)):
            raise ValueError(f"Replay: start must be an int or an int array, got {start!r}")
        starts = np.asarray(start)
        if starts.dtype.kind not in "iu":
            raise ValueError(f"Replay: start must be an int or an int array, got {start!r}")
        if starts.ndim == 0:
            starts = np.full(batch, int(starts), dtype=np.int64)
        elif starts.shape != (batch,):
            raise ValueError(
                f"Replay: start array must have shape (batch,) = ({batch},), got {starts.shape}"
            )
        starts = starts.astype(np.int64)
        if batch and starts.min() < 0:
            raise ValueError(f"Replay: start must be >= 0, got {int(starts.min())}")
        if batch and int(starts.max()) + periods > self.length:
            raise ValueError(
                f"Replay: start + periods = {int(starts.max()) + periods} exceeds the series "
                f"length {self.length}"
            )
        rows = np.arange(batch) if self.n_series == batch else np.zeros(batch, dtype=np.int64)
        cols = starts[:, None] + np.arange(periods)[None, :]
        return rows[:, None], cols

    def _sample_numpy(
        self, rng: np.random.Generator, batch: int, periods: int, start: int | np.ndarray
    ) -> np.ndarray:
        rows, cols = self._indices(batch, periods, start)
        return self.series[rows, cols]

    def _sample_torch(
        self,
        generator: torch.Generator | None,
        batch: int,
        periods: int,
        start: Any,
        device: torch.device,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        import torch

        if isinstance(start, torch.Tensor):
            if start.dtype.is_floating_point or start.dtype == torch.bool:
                raise ValueError(f"Replay: start must be an int or an int array, got {start!r}")
            start = start.detach().cpu().numpy()
        rows, cols = self._indices(batch, periods, start)
        # Deterministic: the generator is not used.
        table = self._cached(
            ("torch", str(device), dtype),
            lambda: torch.tensor(self.series, device=device).to(dtype),
        )
        return table[torch.as_tensor(rows, device=device), torch.as_tensor(cols, device=device)]


# ----------------------------------------------------------------------------------------------
# Spec parsing
# ----------------------------------------------------------------------------------------------

_SPEC_RE = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.DOTALL)


def _parse_number(text: str) -> int | float:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)  # raises ValueError on non-numeric text


def _build_empirical(args: list[str]) -> DemandModel:
    values: list[int | float] = []
    probs: list[int | float] = []
    for arg in args:
        value, sep, prob = arg.partition(":")
        if not sep:
            raise ValueError(f"empirical arguments must be value:prob pairs, got {arg.strip()!r}")
        values.append(_parse_number(value))
        probs.append(_parse_number(prob))
    return Empirical(tuple(values), tuple(probs))  # type: ignore[arg-type]


# name -> (allowed argument counts, constructor)
_PARSERS: dict[str, tuple[tuple[int, ...], Callable[..., DemandModel]]] = {
    "poisson": ((1,), Poisson),
    "geometric": ((1,), Geometric),
    "uniform": ((2,), Uniform),
    "gamma": ((2, 3), Gamma),
    "negbin": ((2,), NegativeBinomial),
    "negative_binomial": ((2,), NegativeBinomial),
    "normal": ((2,), TruncatedNormal),
    "seasonal": ((3, 4, 5), Seasonal),
    "trend": ((2, 3, 4), Trend),
    "regime": ((3, 4), RegimeSwitch),
    "lifecycle": ((4, 5, 6), LifeCycle),
}


def demand_field(owner: str, value: str | DemandModel) -> DemandModel:
    """:func:`make_demand` for the ``demand`` field of a params class: a bad spec raises a
    ``ValueError`` that names ``owner`` and the field."""
    try:
        return make_demand(value)
    except ValueError as err:
        message = str(err)
        prefix = "" if message.startswith("demand") else "demand: "
        raise ValueError(f"{owner}: {prefix}{message}") from None


def make_demand(demand: str | DemandModel) -> DemandModel:
    """Return a demand model from a model or a spec string.

    Args:
        demand: a :class:`DemandModel` (returned unchanged) or a spec string such as
            ``"poisson(5)"``; see :data:`DEMAND_FORMS`. Names are case-insensitive and
            whitespace is ignored.

    Returns:
        The demand model.

    Raises:
        ValueError: on an unknown name, a wrong number of arguments, non-numeric or invalid
            arguments, or a ``demand`` that is neither a string nor a model.
    """
    if isinstance(demand, DemandModel):
        return demand
    if not isinstance(demand, str):
        raise ValueError(
            f"demand must be a spec string or a DemandModel, got {type(demand).__name__} "
            f"({demand!r}); valid forms: {', '.join(DEMAND_FORMS)}"
        )
    forms = ", ".join(DEMAND_FORMS)
    match = _SPEC_RE.match(demand)
    name = match.group(1).lower() if match else ""
    if match is None or (name not in _PARSERS and name != "empirical"):
        raise ValueError(f"unknown demand spec {demand!r}; valid forms: {forms}")
    body = match.group(2).strip()
    args = [a.strip() for a in body.split(",")] if body else []
    try:
        if name == "empirical":
            if not args:
                raise ValueError("empirical needs at least one value:prob pair")
            return _build_empirical(args)
        counts, ctor = _PARSERS[name]
        if len(args) not in counts:
            expected = " or ".join(str(c) for c in counts)
            raise ValueError(f"{name} takes {expected} arguments, got {len(args)}")
        return ctor(*(_parse_number(a) for a in args))
    except ValueError as err:
        raise ValueError(f"invalid demand spec {demand!r} ({err}); valid forms: {forms}") from None
