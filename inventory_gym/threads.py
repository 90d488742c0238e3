"""One thread count for torch and the BLAS/OpenMP pools, set explicitly by every heavy job.

On the project's shared 2-core machines the libraries' default of one thread per core made
DirectBackprop do 10 times fewer steps in a minute, the torch vector env 35 times slower at
65,536 envs and the lost-sales DP at L = 4 9 to 35 times slower than one thread: two threads
that spin-wait for each other lose badly to any other load. Training configs
(``dbp.TrainConfig.threads``, ``baselines.ppo.PPOConfig.threads``), the command line
(``--threads``) and the benchmarks (``--threads``) all call :func:`set_threads`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

DEFAULT_THREADS = 1
"""The default of every command and config on the CPU: the tensors and arrays of one step are
small, so a second thread gains little and makes a run fragile to other load."""

_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def set_threads(threads: int | None, *, torch: bool | None = None) -> dict[str, Any]:
    """Limit torch's intra-op threads and the BLAS/OpenMP thread pools to ``threads``.

    The limits stay in effect for the rest of the process (they are process-wide in torch and
    in the native libraries anyway). Libraries not loaded yet pick the count up from the
    ``OMP_NUM_THREADS``-style variables, which are set too (an explicit count wins over the
    environment's).

    Args:
        threads: the thread count (``None``: leave every setting as it is).
        torch: also call ``torch.set_num_threads`` (``None``: only when torch is already
            imported, so that a job without torch does not import it).

    Returns:
        What is in effect: ``{"threads": n, "torch_threads": n or None}`` (empty for ``None``).
    """
    if threads is None:
        return {}
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1 (or None), got {threads!r}")
    for name in _ENV_VARS:
        os.environ[name] = str(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: the environment variables still apply
        pass
    else:
        threadpool_limits(limits=threads)
    torch_threads = None
    if torch or (torch is None and "torch" in sys.modules):
        import torch as _torch

        if _torch.get_num_threads() != threads:
            _torch.set_num_threads(threads)
        torch_threads = _torch.get_num_threads()
    return {"threads": threads, "torch_threads": torch_threads}
