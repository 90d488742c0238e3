"""Array-namespace helpers shared by every kernel.

The kernels are written against the array API standard and receive the namespace ``xp`` from
their caller, who resolves it once (``array_namespace`` costs a few microseconds a call, too
much for a per-step loop at batch size one).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

Array = Any
"""An array of the namespace in use (``numpy.ndarray`` or ``torch.Tensor``)."""

BACKENDS = ("numpy", "torch")


def namespace(backend: str) -> ModuleType:
    """Return the array namespace of a backend.

    numpy 2 implements the array API in its main namespace, so numpy is used directly (the
    ``array_api_compat.numpy`` wrapper only adds call overhead). torch goes through
    ``array_api_compat.torch``.

    Args:
        backend: ``"numpy"`` or ``"torch"``.

    Raises:
        ValueError: for an unknown backend.
        ImportError: when ``backend="torch"`` and torch is not installed.
    """
    if backend == "numpy":
        return np
    if backend == "torch":
        try:
            import array_api_compat.torch as xp_torch
        except ImportError as err:  # pragma: no cover - depends on the installation
            raise ImportError(
                "backend='torch' needs PyTorch: pip install 'inventory-gym[torch]'"
            ) from err
        return xp_torch
    raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")


def positive_part(x: Array, xp: ModuleType) -> Array:
    """Return ``(x)^+ = max(x, 0)`` elementwise, with derivative 1/2 at ``x == 0``.

    Every kink of the form ``(y - d)^+``, ``(d - y)^+`` or ``min(y, d)`` in the kernels goes
    through this one helper (or through ``xp.minimum``, which follows the same rule), so the
    gradient at ties is the same everywhere. With integer demand and integer stock, ties
    (stock == demand) are frequent. The value 1/2 is the average of the one-sided derivatives,
    and it is the only value that keeps the identity ``(x)^+ - (-x)^+ = x`` true for gradients:
    leftover stock minus lost sales equals stock minus demand, so the gradients of sales, leftover
    and lost units stay consistent with conservation of units. ``xp.maximum`` gives it in torch.
    """
    return xp.maximum(x, 0.0)


def _scalar_full(shape: Any, fill_value: float, *, dtype: Any = None, device: Any = None) -> float:
    return float(fill_value)


python_scalars = SimpleNamespace(
    __name__="inventory_gym.core.xp.python_scalars",
    maximum=max,
    minimum=min,
    full=_scalar_full,
)
"""The namespace of a batch of one held as Python floats.

The kernels do their arithmetic with operators and keep multi-period state (a pipeline) as
tuples of per-period arrays, so the only namespace functions they need are ``maximum``,
``minimum`` and ``full``. On floats these are Python's own, and the single env runs the same
kernel without numpy's per-call overhead (about a microsecond a call, which would otherwise be
most of a step). Results are float64, bit for bit those of numpy (the conformance suite checks
the single env against row 0 of the numpy vector env). No gradients: the differentiable path is
torch.
"""


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leafwise over states: NamedTuples and tuples of arrays (nested)."""
    if isinstance(tree, tuple):
        children = [tree_map(fn, *parts) for parts in zip(tree, *rest)]
        return type(tree)(*children) if hasattr(tree, "_fields") else tuple(children)
    return fn(tree, *rest)
