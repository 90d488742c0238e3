"""The benchmark runner (baselines.benchmark): trial records, atomic files, resumable sweeps,
folder checks, rliable aggregates, the report and ``inventory-gym benchmark`` end to end.

The sweeps run a tiny suite (two lost-sales instances, 16 paths x 20 periods) and the
constant-order algorithms of this module, given as users give theirs (``module:function``):
a trial takes milliseconds, so what is tested is the bookkeeping, not the learning.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from baselines.benchmark import (
    FolderMismatch,
    aggregate,
    load_records,
    open_folder,
    plan,
    run_sweep,
    run_trial,
    write_report,
)
from baselines.benchmark.store import write_json
from baselines.benchmark.trial import Trial
from inventory_gym.suites import Suite, SuiteEvaluation, SuiteInstance

HERE = Path(__file__).resolve().parent
LOG = "BENCH_TEST_LOG"
"""Environment variable: the file each fake training appends ``instance seed`` to."""
MARKERS = "BENCH_TEST_MARKERS"
"""Environment variable: the folder of the kill-once markers."""


def tiny_suite(version: int = 1, periods: int = 20) -> Suite:
    instances = tuple(
        SuiteInstance(
            name=f"L{lead}",
            env_id="LostSalesLeadTime-v0",
            kwargs={"lead_time": lead, "lost_sales_cost": 4},
            optimum=optimum,
            published=published,
            reference="base_stock",
            reference_cost=reference,
        )
        for lead, optimum, published, reference in ((1, 4.0, 4.04, 5.0), (2, 4.4, None, 5.4))
    )
    return Suite(
        name="tiny",
        version=version,
        problem="lost_sales",
        description="two lost-sales instances for the runner's tests",
        instances=instances,
        evaluation=SuiteEvaluation(num_paths=16, periods=periods, burn_in=4, seed=0),
    )


# -- the fake algorithms (module:function, as a user writes them) -------------------------------
class Constant:
    """Order ``q`` every period."""

    continuous_orders = True

    def __init__(self, q: float):
        self.q = q

    def __call__(self, obs):
        return np.full(len(obs), self.q)


def _log(envs, seed) -> None:
    path = os.environ.get(LOG)
    if path:  # one write call: a worker terminated meanwhile cannot leave half a line
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"L{envs.kwargs['lead_time']} {seed}\n".encode())
        finally:
            os.close(fd)


def constant(envs, budget, seed):
    """Order 5 + seed / 10 units every period (no training)."""
    _log(envs, seed)
    policy = Constant(5.0 + seed / 10)
    policy.train_info = {"steps": budget, "note": Path("kept as text")}
    return policy


def interrupt_at_seed_1(envs, budget, seed):
    """As :func:`constant`, but Ctrl-C (KeyboardInterrupt) on the first L2 trial of seed 1."""
    if seed == 1 and envs.kwargs["lead_time"] == 2:
        marker = Path(os.environ[MARKERS]) / "interrupted"
        if not marker.exists():
            marker.touch()
            raise KeyboardInterrupt
    return constant(envs, budget, seed)


def killed_once(envs, budget, seed):
    """As :func:`constant`, but the first attempt of each seed-1 trial kills its own process."""
    if seed == 1:
        marker = Path(os.environ[MARKERS]) / f"killed-L{envs.kwargs['lead_time']}"
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return constant(envs, budget, seed)


def sleeps(envs, budget, seed):
    """A long trial: leaves ``worker-<pid>`` in the marker folder, then sleeps a minute."""
    (Path(os.environ[MARKERS]) / f"worker-{os.getpid()}").touch()
    time.sleep(60)
    return constant(envs, budget, seed)


def always_fails(envs, budget, seed):
    """Raises for L2."""
    if envs.kwargs["lead_time"] == 2:
        raise RuntimeError("this algorithm does not handle L = 2")
    return constant(envs, budget, seed)


def spec(name: str) -> str:
    return f"{Path(__file__).stem}:{name}"


def make_logs(tmp_path, monkeypatch):
    """Set up the training log and the marker folder of the fake algorithms; return a reader
    of the log (one ``instance seed`` line per training)."""
    log = tmp_path / "trained.log"
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(LOG, str(log))
    monkeypatch.setenv(MARKERS, str(markers))

    def read() -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    return read


@pytest.fixture
def logs(tmp_path, monkeypatch):
    return make_logs(tmp_path, monkeypatch)


def trial_files(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in (out / "trials").glob("*/*/*.json")}


# -- trials and records -------------------------------------------------------------------------
def test_trial_record_has_what_a_paper_needs(logs):
    suite = tiny_suite()
    trial = plan(suite, [spec("constant")], seeds=[3], budget=100, instances=["L1"])[0]
    assert trial.relpath.as_posix() == "trials/test_benchmark_runner-constant/L1/b100-s3.json"
    record = run_trial(trial, suite)
    inst = suite.instance("L1")
    assert record["cost"] > 0 and record["stderr"] > 0
    assert record["gap"] == pytest.approx(100 * (record["cost"] - 4.0) / 4.0)
    assert record["score"] == pytest.approx(100 * (5.0 - record["cost"]) / (5.0 - 4.0))
    assert record["gap"] == pytest.approx(inst.gap(record["cost"]))
    assert record["paired_gap"] is None  # the tiny suite has no simulated optimum
    assert record["train_info"] == {"steps": 100, "note": "kept as text"}
    assert record["best_heuristic"] is None
    assert (record["optimum"], record["published"], record["reference_cost"]) == (4.0, 4.04, 5.0)
    assert (record["budget"], record["budget_unit"], record["seed"], record["threads"]) == (
        100,
        "user",
        3,
        1,
    )
    assert record["evaluation"] == {"num_paths": 16, "periods": 20, "burn_in": 4, "seed": 0}
    assert record["suite_fingerprint"] == suite.fingerprint
    assert record["versions"]["inventory-gym"] and record["versions"]["numpy"]
    assert record["train_seconds"] >= 0 and record["eval_seconds"] > 0
    json.dumps(record)  # JSON-ready
    # Common random numbers: the evaluation paths are the suite's, whatever the training seed.
    from inventory_gym.evaluation import evaluate

    direct = evaluate(
        Constant(5.3), "LostSalesLeadTime-v0", dict(inst.kwargs), **suite.evaluation.harness()
    )
    assert record["cost"] == pytest.approx(direct.cost)


def test_run_trial_refuses_another_suite_version():
    trial = plan(tiny_suite(), [spec("constant")], seeds=1, instances=["L1"])[0]
    with pytest.raises(ValueError, match="fingerprint"):
        run_trial(trial, tiny_suite(periods=21))


def test_plan_orders_seed_by_seed_and_checks_its_arguments():
    suite = tiny_suite()
    trials = plan(suite, [spec("constant"), "best-heuristic"], seeds=2, budget=7)
    assert [(t.seed, t.instance, t.algo.split(":")[-1]) for t in trials[:4]] == [
        (0, "L1", "constant"),
        (0, "L1", "best-heuristic"),
        (0, "L2", "constant"),
        (0, "L2", "best-heuristic"),
    ]
    assert {t.budget for t in trials if t.algo == "best-heuristic"} == {None}  # no budget
    assert len({t.key for t in trials}) == len(trials) == 8
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        plan(suite, [spec("constant")], seeds=0)
    with pytest.raises(ValueError, match="no instance 'L9'"):
        plan(suite, [spec("constant")], seeds=1, instances=["L9"])
    with pytest.raises(ValueError, match="budget of"):
        plan(suite, [spec("constant")], seeds=1, budget=0)
    with pytest.raises(ValueError, match="not among the algorithms"):
        plan(suite, [spec("constant")], seeds=1, budget={"dbp": 10})


def test_plan_refuses_a_suite_without_optima():
    from dataclasses import replace

    suite = tiny_suite()
    bare = replace(
        suite,
        instances=tuple(replace(i, optimum=None) for i in suite.instances),
        stale="no cached values",
    )
    with pytest.raises(ValueError, match=r"python -m baselines\.suites tiny"):
        plan(bare, [spec("constant")], seeds=1)


def test_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path, monkeypatch):
    path = tmp_path / "a" / "r.json"
    write_json(path, {"x": 1})

    def broken_dump(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(KeyboardInterrupt):
        write_json(path, {"x": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"x": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["r.json"]  # no temporary left


# -- sweeps that survive ------------------------------------------------------------------------
def test_interrupted_sweep_resumes_with_no_trial_lost_or_repeated(tmp_path, logs):
    suite = tiny_suite()
    trials = plan(suite, [spec("interrupt_at_seed_1")], seeds=3)
    out = tmp_path / "out"
    first = run_sweep(trials, out, suite, progress=False)
    assert first.interrupted
    # Seed 0 (both instances) and seed 1 of L1 finished; the interrupted trial left nothing.
    assert first.done == [t.key for t in trials[:3]]
    assert trial_files(out) == {str(t.relpath) for t in trials[:3]}
    assert logs() == ["L1 0", "L2 0", "L1 1"]
    again = run_sweep(trials, out, suite, progress=False)
    assert not again.interrupted and not again.failed
    assert (again.skipped, len(again.done), again.remaining) == (3, 3, 0)
    assert trial_files(out) == {str(t.relpath) for t in trials}
    # Every trial trained exactly once over the two runs.
    assert sorted(logs()) == sorted(f"{t.instance} {t.seed}" for t in trials)
    third = run_sweep(trials, out, suite, progress=False)
    assert (third.skipped, third.done) == (6, [])
    assert len(load_records(out, suite)) == 6


def test_a_failing_trial_is_reported_and_the_others_run(tmp_path, logs):
    suite = tiny_suite()
    trials = plan(suite, [spec("always_fails")], seeds=1)
    result = run_sweep(trials, tmp_path, suite, progress=False)
    assert list(result.failed) == [trials[1].key]
    assert "does not handle L = 2" in result.failed[trials[1].key]
    assert result.done == [trials[0].key] and result.remaining == 1


@pytest.mark.slow
def test_pool_sweep_survives_killed_workers_and_resumes(tmp_path, logs):
    """--jobs 2: each seed-1 trial kills its worker on its first attempt; the pool is started
    again and the trials retried, each result written once. (Slow: worker start-up.)"""
    suite = tiny_suite()
    trials = plan(suite, [spec("killed_once")], seeds=2)
    out = tmp_path / "out"
    result = run_sweep(trials, out, suite, jobs=2, progress=False)
    assert not result.failed and not result.interrupted
    assert sorted(result.done) == sorted(t.key for t in trials)
    assert trial_files(out) == {str(t.relpath) for t in trials}
    # A trial that was killed every time fails after its retries; the others are kept.
    (Path(os.environ[MARKERS]) / "killed-L1").unlink()
    again = plan(suite, [spec("killed_once")], seeds=[1, 2])
    result = run_sweep(again, tmp_path / "other", suite, jobs=2, progress=False, max_retries=0)
    assert list(result.failed) == [again[0].key]
    assert "died" in result.failed[again[0].key]
    assert len(result.done) == 3


@pytest.mark.slow
def test_pool_sweep_interrupted_in_a_worker_resumes(tmp_path, logs):
    """--jobs 2: Ctrl-C in a worker stops the sweep; the rerun runs each missing trial once."""
    suite = tiny_suite()
    trials = plan(suite, [spec("interrupt_at_seed_1")], seeds=3)
    first = run_sweep(trials, tmp_path, suite, jobs=2, progress=False)
    assert first.interrupted and 0 < len(first.done) < len(trials)
    assert trial_files(tmp_path) == {str(t.relpath) for t in trials if t.key in set(first.done)}
    again = run_sweep(trials, tmp_path, suite, jobs=2, progress=False)
    assert not again.interrupted and again.remaining == 0
    assert again.skipped == len(first.done)
    assert trial_files(tmp_path) == {str(t.relpath) for t in trials}
    # Each trial trained once, except those that were running when the sweep stopped.
    trained = logs()
    assert set(trained) == {f"{t.instance} {t.seed}" for t in trials}
    repeated = [t for t in set(trained) if trained.count(t) > 1]
    assert all(
        key not in {f"{t.instance} {t.seed}" for t in trials if t.key in first.done}
        for key in repeated
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) is gone for this purpose.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_sweep_leaves_no_worker_running(tmp_path, logs):
    """--jobs 2, the sweep's own process killed (SIGKILL: no chance to stop its workers) while
    both workers are in a trial: the workers exit within seconds instead of training on for
    a result nobody receives. (Slow: worker start-up.)"""
    markers = Path(os.environ[MARKERS])
    script = (
        f"import sys; sys.path.insert(0, {str(HERE)!r})\n"
        "from test_benchmark_runner import plan, run_sweep, spec, tiny_suite\n"
        "suite = tiny_suite()\n"
        f"run_sweep(plan(suite, [spec('sleeps')], seeds=1), {str(tmp_path / 'out')!r}, suite,"
        " jobs=2, progress=False)\n"
    )
    driver = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        while len(list(markers.glob("worker-*"))) < 2 and time.monotonic() < deadline:
            assert driver.poll() is None, "the sweep ended before its trials started"
            time.sleep(0.2)
        workers = [int(p.name.split("-")[1]) for p in markers.glob("worker-*")]
        assert len(workers) == 2
        driver.kill()
        driver.wait()
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers)
    finally:
        driver.kill()
        for path in markers.glob("worker-*"):
            try:
                os.kill(int(path.name.split("-")[1]), signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not (tmp_path / "out" / "trials").exists() or not trial_files(tmp_path / "out")


# -- the folder ---------------------------------------------------------------------------------
def test_a_folder_of_another_suite_version_is_refused(tmp_path, logs):
    suite = tiny_suite()
    run_sweep(
        plan(suite, [spec("constant")], seeds=1, instances=["L1"]), tmp_path, suite, progress=False
    )
    changed = tiny_suite(periods=30)  # same name and version, another definition
    with pytest.raises(FolderMismatch, match="never mixed"):
        run_sweep(plan(changed, [spec("constant")], seeds=1), tmp_path, changed, progress=False)
    bumped = tiny_suite(version=2)
    with pytest.raises(FolderMismatch, match="v1"):
        open_folder(tmp_path, bumped)
    (tmp_path / "suite.json").unlink()  # the trial files alone are enough to refuse
    with pytest.raises(FolderMismatch, match="fingerprint"):
        open_folder(tmp_path, changed)
    assert len(trial_files(tmp_path)) == 1  # nothing was removed


def test_a_file_recording_another_trial_is_refused(tmp_path, logs):
    suite = tiny_suite()
    trials = plan(suite, [spec("constant")], seeds=1, instances=["L1"])
    run_sweep(trials, tmp_path, suite, progress=False)
    path = tmp_path / trials[0].relpath
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "seed": 5}))
    with pytest.raises(FolderMismatch, match="seed: 5 vs 0"):
        run_sweep(trials, tmp_path, suite, progress=False)
    path.write_text("{not json")
    with pytest.raises(FolderMismatch, match="unreadable"):
        run_sweep(trials, tmp_path, suite, progress=False)


def test_a_changed_default_makes_another_trial(tmp_path, logs, monkeypatch):
    import baselines.algorithms as algorithms

    suite = tiny_suite()
    before = {t.algo: t.settings for t in plan(suite, ["dbp", "best-heuristic"], 1, 5)}
    assert all(isinstance(d, str) and len(d) == 16 for d in before.values())
    assert plan(suite, [spec("constant")], seeds=1)[0].settings is None  # a user's: unknown
    real = algorithms.problem_declaration
    monkeypatch.setattr(
        algorithms,
        "problem_declaration",
        lambda problem, what: {"first_burn_in": 7} if what == "DBP" else real(problem, what),
    )
    after = {t.algo: t.settings for t in plan(suite, ["dbp", "best-heuristic"], 1, 5)}
    assert after["dbp"] != before["dbp"] and after["best-heuristic"] == before["best-heuristic"]

    # A file of the old default is refused, with what to do; one of another algorithm is kept.
    trial = plan(suite, ["dbp"], seeds=1, budget=5, instances=["L1"])[0]
    stale = {**trial.to_dict(), "settings": before["dbp"], "gap": 0.0}
    write_json(tmp_path / trial.relpath, stale)
    with pytest.raises(FolderMismatch, match="trained with other settings of dbp"):
        run_sweep([trial], tmp_path, suite, progress=False)
    # A worker whose code has other defaults than the planner's refuses the trial.
    with pytest.raises(ValueError, match="run every worker from the same code"):
        run_trial(Trial(**{k: stale[k] for k in trial.to_dict()}), suite)
    # Records written before settings were recorded read as None, and count for a user's
    # algorithm; two settings of one algorithm in one folder are refused by the report.
    user = plan(suite, [spec("constant")], seeds=2, instances=["L1"])
    run_sweep(user, tmp_path, suite, progress=False)
    old = tmp_path / user[0].relpath
    record = json.loads(old.read_text())
    del record["settings"]
    old.write_text(json.dumps(record))
    assert run_sweep(user, tmp_path, suite, progress=False).skipped == 2
    (tmp_path / trial.relpath).unlink()
    newer = tmp_path / user[1].relpath
    newer.write_text(json.dumps({**json.loads(newer.read_text()), "settings": "abc"}))
    with pytest.raises(FolderMismatch, match="trained with different settings"):
        load_records(tmp_path, suite)


# -- aggregates ---------------------------------------------------------------------------------
def synthetic(algo: str, instance: str, seed: int, gap: float, score: float) -> dict:
    return {
        "suite": "s",
        "suite_version": 1,
        "suite_fingerprint": "f",
        "instance": instance,
        "algo": algo,
        "seed": seed,
        "budget": 10,
        "budget_unit": "env steps",
        "threads": 1,
        "gap": gap,
        "score": score,
        "cost": 1.0 + gap / 100,
        "optimum": 1.0,
        "published": None,
        "reference": "r",
        "reference_cost": 2.0,
        "train_seconds": 1.0,
    }


def test_aggregates_match_hand_computed_values():
    # Algorithm A: scores 0..7 over 2 seeds x 4 instances; B: A - 10 on every run.
    records = []
    for seed in range(2):
        for i in range(4):
            s = float(4 * seed + i)
            records.append(synthetic("A", f"i{i}", seed, gap=s / 10, score=s))
            records.append(synthetic("B", f"i{i}", seed, gap=s / 10 + 1, score=s - 10))
    agg = aggregate(records, reps=200)
    a, b = agg.summaries["A"], agg.summaries["B"]
    # IQM of 0..7 is the mean of 2, 3, 4, 5 = 3.5; the mean is 3.5 too; B's are 10 lower.
    assert a.iqm == pytest.approx(3.5) and a.mean == pytest.approx(3.5)
    assert b.iqm == pytest.approx(-6.5)
    assert a.iqm_ci[0] <= 3.5 <= a.iqm_ci[1]
    # Per instance i0: gaps 0.0 and 0.4 over the seeds -> mean 0.2, bootstrap CI in [0, 0.4].
    cell = agg.cells[("i0", "A")]
    assert cell.gap == pytest.approx(0.2) and cell.n == 2
    assert 0.0 <= cell.gap_ci[0] <= 0.2 <= cell.gap_ci[1] <= 0.4
    # Median of the per-instance mean gaps (0.2, 0.3, 0.4, 0.5) = 0.35; all within 2%.
    assert a.median_gap == pytest.approx(0.35) and a.max_gap == pytest.approx(0.5)
    assert a.within == 4 and b.within == 4
    # On i0, A's seed scores (0, 4) beat B's (-10, -6) in all 4 pairs: P(A > B) = 1.
    p, (low, high) = agg.improvement[("A", "B")]
    assert p == pytest.approx(1.0) and low <= 1.0 <= high
    # Profile: fraction of A's 8 runs with gap <= 0.35: gaps 0, .1, .2, .3 -> 0.5.
    k = int(np.argmin(np.abs(agg.profile_taus - 0.35)))
    tau = agg.profile_taus[k]
    assert agg.profiles["A"][k] == pytest.approx(np.mean(np.arange(8) / 10 <= tau))


def test_one_algorithm_at_two_budgets_gets_two_labels():
    from baselines.benchmark.aggregate import labels_of

    records = [synthetic("A", "i0", 0, 1.0, 50.0), synthetic("B", "i0", 0, 1.0, 50.0)]
    records.append({**records[0], "budget": 20})
    assert labels_of(records) == {
        ("A", 10): "A (10 env steps)",
        ("A", 20): "A (20 env steps)",
        ("B", 10): "B",
    }


def test_aggregates_use_the_instances_every_algorithm_finished():
    records = [synthetic("A", f"i{i}", 0, 1.0, 50.0) for i in range(3)]
    records += [synthetic("B", "i0", 0, 2.0, 40.0)]
    agg = aggregate(records, reps=100)
    assert agg.instances_used == ["i0"] and agg.instances == ["i0", "i1", "i2"]
    assert agg.cells[("i0", "A")].gap_ci is None  # one seed: no interval
    with pytest.raises(ValueError, match="no trial records"):
        aggregate([])
    # With a paired gap in every record, the numbers use it (common random numbers).
    paired = [{**r, "paired_gap": r["gap"] / 2} for r in records]
    agg = aggregate(paired, reps=100)
    assert agg.gap_field == "paired_gap" and agg.cells[("i0", "B")].gap == pytest.approx(1.0)
    # ... and so does the score: the reference (cost 2) is 100% above the optimum (cost 1), so
    # a paired gap of 1% is a score of 100 (1 - 1 / 100) = 99.
    assert agg.cells[("i0", "B")].score == pytest.approx(99.0)


@pytest.mark.slow
def test_report_writes_tables_and_figures(tmp_path, logs):
    """(Slow: matplotlib and two figures.)"""
    suite = tiny_suite()
    algos = [spec("constant"), spec("interrupt_at_seed_1")]
    (Path(os.environ[MARKERS]) / "interrupted").touch()  # never interrupts here
    run_sweep(plan(suite, algos, seeds=2), tmp_path, suite, progress=False)
    report = write_report(tmp_path, suite, reps=100)
    assert {p.name for p in report.files.values()} == {
        "results.md",
        "results.csv",
        "aggregates.csv",
        "profile.png",
        "gaps.png",
    }
    text = (tmp_path / "results.md").read_text()
    assert "| L1 | 4.0000 | 4.0400 |" in text and "IQM score" in text and "P(X > Y)" in text
    import csv

    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert [r["instance"] for r in rows] == ["L1", "L2"]
    cell = report.aggregates.cells[("L1", algos[0])]
    assert float(rows[0][f"{algos[0]} gap %"]) == pytest.approx(cell.gap)
    assert rows[0][f"{algos[0]} seeds"] == "2"


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def tiny_registered(monkeypatch):
    import inventory_gym.suites as suites

    suite = tiny_suite()
    monkeypatch.setitem(suites._REGISTERED, "tiny", (suite, None))
    monkeypatch.setattr(
        suites, "get_suite", lambda name: suite if name == "tiny" else suites.definition(name)[0]
    )
    return suite


@pytest.mark.slow
def test_cli_benchmark_end_to_end_and_resume(tmp_path, logs, tiny_registered, capsys):
    """(Slow: two sweeps, the report and its figures, about 5 s.)"""
    from inventory_gym_cli.main import main

    out = tmp_path / "bench"
    argv = [
        "benchmark",
        "--suite",
        "tiny",
        "--algo",
        spec("constant"),
        "--seeds",
        "2",
        "--budget",
        "50",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "4 trials run" in text and str(out / "results.md") in text
    assert len(trial_files(out)) == 4 and (out / "gaps.png").exists()
    assert main(argv) == 0  # the same command again: nothing to run
    assert "0 trials run, 4 done before" in capsys.readouterr().out
    assert len(logs()) == 4
    # Ctrl-C: exit status 130, the trials finished are kept, and the command to resume.
    argv = [*argv[:4], spec("interrupt_at_seed_1"), *argv[5:], "--no-plot"]
    assert main(argv) == 130
    text = capsys.readouterr().out
    assert "3 trials run" in text and "rerun the same command to resume" in text
    assert main(argv) == 0
    assert "1 trials run, 3 done before" in capsys.readouterr().out
    assert len(trial_files(out)) == 8


def test_cli_benchmark_errors(tmp_path, tiny_registered, capsys, monkeypatch):
    from inventory_gym_cli.main import main

    base = ["benchmark", "--out", str(tmp_path), "--quiet"]
    cases = [
        (["--suite", "nope", "--algo", "dbp"], "unknown suite 'nope'"),
        (["--suite", "tiny", "--algo", "nope"], "nope"),
        (["--suite", "tiny", "--algo", spec("constant"), "--seeds", "0"], "--seeds"),
        (["--suite", "tiny", "--algo", spec("constant"), "--budget", "x"], "--budget"),
        (["--suite", "tiny", "--algo", spec("constant"), "--instances", "L7"], "L7"),
        (["--suite", "tiny", "--algo", spec("constant"), "--address", "auto"], "--backend ray"),
        (["--suite", "tiny", "--algo", spec("constant"), "--threads", "0"], "--threads N >= 1"),
        (["--suite", "tiny", "--algo", spec("constant"), "--budget", "dbp=5"], "not among"),
    ]
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    cases.append(
        (["--suite", "tiny", "--algo", spec("constant"), "--backend", "ray"], "inventory-gym[ray]")
    )
    for args, message in cases:
        with pytest.raises(SystemExit) as stop:
            main(base + args)
        assert stop.value.code == 2
        assert message in capsys.readouterr().err


def test_cli_benchmark_help_lists_suites_and_algorithms(capsys):
    from inventory_gym_cli.main import main

    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    text = capsys.readouterr().out
    assert "zipkin-poisson" in text and "sb3:PPO" in text and "module:function" in text
    assert "resume" in text
