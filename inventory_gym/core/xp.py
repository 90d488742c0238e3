"""Array-namespace helpers shared by every kernel.

The kernels are written against the array API standard and receive the namespace ``xp`` from
their caller, who resolves it once (``array_namespace`` costs a few microseconds a call, too
much for a per-step loop at batch size one).
"""

from __future__ import annotations

from types import ModuleType
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
