"""Sweeps as Ray tasks on a local Ray (slow: Ray takes seconds to start): the records are those
of the local backends, and a worker killed mid-trial is retried by Ray, its file written once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install -e '.[ray]'")

from baselines.benchmark import plan, run_sweep

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from test_benchmark_runner import MARKERS, make_logs, spec, tiny_suite, trial_files  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def logs(tmp_path, monkeypatch):
    return make_logs(tmp_path, monkeypatch)


@pytest.fixture
def ray_path(monkeypatch):
    """The fake algorithms' module on the path of Ray's workers (a local Ray started by the
    sweep inherits this environment)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))


def test_ray_sweep_retries_a_killed_worker_and_writes_each_trial_once(tmp_path, logs, ray_path):
    suite = tiny_suite()
    trials = plan(suite, [spec("killed_once")], seeds=2)
    out = tmp_path / "ray"
    result = run_sweep(trials, out, suite, backend="ray", jobs=2, progress=False)
    assert not result.failed and not result.interrupted
    assert sorted(result.done) == sorted(t.key for t in trials)
    assert trial_files(out) == {str(t.relpath) for t in trials}
    # Both seed-1 trials were killed once (their markers exist) and completed on a retry.
    markers = Path(os.environ[MARKERS])
    assert {p.name for p in markers.iterdir()} == {"killed-L1", "killed-L2"}
    trained = logs()
    assert sorted(trained) == sorted(f"{t.instance} {t.seed}" for t in trials)
    # The same trials on the local backend give the same records (nothing changes but where).
    import json

    local = tmp_path / "local"
    run_sweep(trials, local, suite, progress=False)
    for t in trials:
        a = json.loads((out / t.relpath).read_text())
        b = json.loads((local / t.relpath).read_text())
        assert (a["cost"], a["gap"], a["score"]) == (b["cost"], b["gap"], b["score"])
    # Rerun on Ray: nothing left to do.
    again = run_sweep(trials, out, suite, backend="ray", jobs=2, progress=False)
    assert (again.skipped, again.done) == (len(trials), [])


def test_ray_sweep_reports_a_trial_killed_on_every_try(tmp_path, logs, ray_path):
    suite = tiny_suite()
    trials = plan(suite, [spec("killed_once")], seeds=[1], instances=["L1"])
    result = run_sweep(
        trials, tmp_path, suite, backend="ray", jobs=1, progress=False, max_retries=0
    )
    assert list(result.failed) == [trials[0].key]
    assert not trial_files(tmp_path)
