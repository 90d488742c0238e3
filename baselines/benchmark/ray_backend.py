"""Trials as Ray tasks, on an existing cluster or on a local Ray started for the sweep.

Each trial is one task that calls :func:`~baselines.benchmark.trial.run_trial` (the function
the local backends call) and returns its record; the driver writes the record. Ray runs a task
again when its worker process dies or its node is lost (``max_retries``), not when the trial
raises (``retry_exceptions=False``: the same error would come back). Since only the driver
writes, and only the first result of a task, a trial retried by Ray still writes its file once.

On a cluster, the workers need the package (and a ``module:function`` algorithm's module)
installed or shipped with a Ray ``runtime_env``; they return records, so they need no shared
file system. Ray is an extra: ``pip install "inventory-gym[ray]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baselines.benchmark.trial import Trial, run_trial


def import_ray() -> Any:
    """The ``ray`` module, or an ``ImportError`` that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ImportError(
            "--backend ray needs Ray, which is not installed: pip install 'inventory-gym[ray]' "
            "(or pip install 'ray>=2.9'); without it, run the trials on a local pool with --jobs N"
        ) from None
    return ray


def _task(trial: Trial, suite: Any) -> dict[str, Any]:
    return run_trial(trial, suite)


def run_ray(
    trials: Sequence[Trial],
    suite: Any,
    on_record: Any,
    on_failure: Any,
    *,
    jobs: int = 1,
    address: str | None = None,
    max_retries: int = 2,
) -> None:
    """Run ``trials`` as Ray tasks; ``on_record(record)`` / ``on_failure(trial, error)`` in the
    driver as each one ends.

    Args:
        jobs: CPUs of the local Ray started when ``address`` is ``None`` (each task asks for
            ``trial.threads`` CPUs).
        address: an existing cluster (``"auto"``: the one started by ``ray start`` here).
        max_retries: runs of a task again after its worker or node was lost.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = dict(
            include_dashboard=False, log_to_driver=True, configure_logging=False
        )
        if address is None:
            threads = max((t.threads for t in trials), default=1)
            ray.init(address="local", num_cpus=jobs * threads, **options)
        else:
            ray.init(address=address, **options)
        started = True
    try:
        suite_ref = ray.put(suite)
        task = ray.remote(max_retries=max_retries, retry_exceptions=False)(_task)
        refs: dict[Any, Trial] = {
            task.options(num_cpus=trial.threads).remote(trial, suite_ref): trial for trial in trials
        }
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1)
                for ref in ready:
                    trial = refs.pop(ref)
                    try:
                        record = ray.get(ref)
                    except ray.exceptions.RayTaskError as err:
                        cause = err.cause if getattr(err, "cause", None) is not None else err
                        if isinstance(cause, KeyboardInterrupt):
                            raise KeyboardInterrupt from None
                        on_failure(trial, f"{type(cause).__name__}: {cause}")
                    except ray.exceptions.RayError as err:  # worker or node lost every try
                        on_failure(trial, f"{type(err).__name__}: {str(err).splitlines()[0]}")
                    else:
                        on_record(record)
        except BaseException:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise
    finally:
        if started:
            ray.shutdown()
