"""Issue 19, "Nothing silently wrong, nothing lost": saved policies that know their instance,
budgets as asked, runs that are not overwritten, Ctrl-C that keeps the work, one-line errors.

The silent-result tests are the issue's reproductions, run in-process with small budgets where
the refusal comes before any work (so the issue's own arguments are used as they are)."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest

from inventory_gym_cli.main import main

ENV = "LostSalesLeadTime-v0"
TRAIN_FAST = ["--steps", "12", "--batch-size", "32", "--horizon", "8", "--eval-every", "6"]
TRAIN_FAST += ["--eval-paths", "16", "--eval-periods", "20", "--eval-burn-in", "5"]
EVAL_FAST = ["--paths", "30", "--periods", "40", "--burn-in", "10", "--quiet"]


def run(capsys, *argv):
    """``(exit status, stdout, stderr)`` of ``inventory-gym ARGV`` run in-process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code, err, *needles):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("inventory-gym: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def log_steps(path):
    with open(path, newline="") as handle:
        return [int(float(row["step"])) for row in csv.DictReader(handle)]


# -- 1. a saved policy is scored only on the instance it was made for ------------------------
@pytest.fixture(scope="module")
def l2_table(tmp_path_factory):
    path = tmp_path_factory.mktemp("dp") / "l2.npz"
    assert main(["solve", ENV, "--set", "lead_time=2", "--out", str(path), "--quiet"]) == 0
    return path


def test_dp_table_is_refused_on_another_instance(capsys, l2_table):
    # The reproduction: solved for L = 2, scored on the default L = 4 (cost 10.03
    # against an optimum of 6.84, with no warning).
    code, _, err = run(capsys, "evaluate", ENV, "--load", l2_table)
    one_line_error(code, err, "another instance", "lead_time=2", "4")
    code, _, err = run(capsys, "evaluate", "Perishable-v0", "--load", l2_table)
    one_line_error(code, err, "lost_sales problem", "perishable")
    # On its own instance it is scored as before.
    code, out, _ = run(
        capsys, "evaluate", ENV, "--set", "lead_time=2", "--load", l2_table, "--json", *EVAL_FAST
    )
    assert code == 0 and json.loads(out)["policies"]["dp_optimal"]["exact_cost"] == pytest.approx(
        6.0936, abs=1e-3
    )


def test_dbp_policy_is_refused_on_another_instance(capsys, tmp_path):
    # The reproduction: a DBP policy trained for L = 4 scored under --set lead_time=2.
    run_dir = tmp_path / "l4"
    code, _, err = run(capsys, "train", ENV, "--out", run_dir, "--quiet", *TRAIN_FAST, *EVAL_FAST)
    assert code == 0, err
    code, _, err = run(capsys, "evaluate", ENV, "--set", "lead_time=2", "--load", run_dir)
    one_line_error(code, err, "trained on LostSalesLeadTime-v0", "lead_time=4")
    code, _, err = run(capsys, "evaluate", ENV, "--load", run_dir / "policy", *EVAL_FAST)
    assert code == 0, err


def test_cross_instance_policy_says_what_it_was_trained_on(capsys, tmp_path):
    from dbp import TrainConfig, train

    config = TrainConfig(
        max_steps=4, batch_size=16, horizon=6, eval_every=4, eval_paths=8, eval_periods=10
    )
    out = tmp_path / "many"
    costs = [{"lead_time": 1, "lost_sales_cost": p} for p in (4, 9)]
    train([(ENV, kwargs) for kwargs in costs], "mlp", config, out=out, progress=False)
    sets = ["--set", "lead_time=1", "--set", "lost_sales_cost=19", "--set", "static_features=true"]
    code, stdout, err = run(capsys, "evaluate", ENV, *sets, "--load", out, "--json", *EVAL_FAST)
    assert code == 0, err
    note = json.loads(stdout)["policies"]["dbp-mlp"]["trained_on"]
    assert "lost_sales_cost=4" in note and "lost_sales_cost=9" in note and "cross-instance" in note
    assert "trained on" in err


def test_ppo_header_names_its_instance(tmp_path):
    from inventory_gym.core.instance import make_instance
    from inventory_gym_cli.artifacts import (
        PPO_FORMAT,
        Artifact,
        ArtifactError,
        _instances,
        check_instance,
    )

    inst = make_instance(ENV, {"lead_time": 1})
    doc = {"format": PPO_FORMAT, "problem": "lost_sales", "instance": inst.to_dict()}
    artifact = Artifact(None, PPO_FORMAT, tmp_path, "lost_sales", _instances(doc))
    assert not artifact.generalises and check_instance(artifact, inst) is None
    with pytest.raises(ArtifactError, match=r"lead_time=1 where this one has 4"):
        check_instance(artifact, make_instance(ENV))


# -- 2. --steps is the budget, with no hidden time cap -----------------------------------------
def test_steps_have_no_hidden_time_cap_and_feed_the_schedule():
    from dbp.trainer import _budget_spent, budget_fraction
    from inventory_gym_cli.commands.train import dbp_config
    from inventory_gym_cli.main import build_parser

    parser = build_parser()
    # The reproduction: `train --steps 100000` stopped after 918 steps (max_seconds).
    config = dbp_config(parser.parse_args(["train", ENV, "--steps", "100000", "--out", "r5"]))
    assert config.max_steps == 100000 and config.max_seconds is None
    assert _budget_spent(config, 918, 1e6) == ""  # a day of wall-clock time does not stop it
    assert budget_fraction(config, 5000, 60.0) == budget_fraction(config, 5000, 1e6) == 0.05
    config = dbp_config(parser.parse_args(["train", ENV, "--steps", "10", "--seconds", "30"]))
    assert (config.max_steps, config.max_seconds) == (10, 30.0)
    assert budget_fraction(config, 5, 29.0) == 0.5  # the schedule follows the steps asked for


# -- 3. an existing run is neither overwritten nor appended to ---------------------------------
def test_training_into_an_existing_run_is_refused(capsys, tmp_path):
    run_dir = tmp_path / "run"
    args = ["train", ENV, "--set", "lead_time=1", "--out", run_dir, *TRAIN_FAST, *EVAL_FAST]
    assert run(capsys, *args)[0] == 0
    first = (run_dir / "log.csv").read_text()
    weights = (run_dir / "policy" / "weights.pt").read_bytes()
    code, _, err = run(capsys, *args)
    one_line_error(code, err, "holds a previous run", "--resume", "--overwrite")
    assert (run_dir / "log.csv").read_text() == first
    assert (run_dir / "policy" / "weights.pt").read_bytes() == weights
    code, _, err = run(capsys, *args, "--overwrite")
    assert code == 0, err
    steps = log_steps(run_dir / "log.csv")
    assert steps == sorted(set(steps)) and steps[-1] == 12  # one run's rows, not two
    code, _, err = run(capsys, *args, "--resume", "--overwrite")
    one_line_error(code, err, "give one")


def test_out_that_is_a_file_is_refused_before_any_work(capsys, tmp_path):
    target = tmp_path / "README.md"
    target.write_text("not a run\n")
    one_line_error(*run(capsys, "train", ENV, "--out", target)[::2], "is a file")
    one_line_error(*run(capsys, "compare", ENV, "--out", target)[::2], "is a file")
    one_line_error(*run(capsys, "train", ENV, "--out", target / "sub")[::2], "is a file")
    assert target.read_text() == "not a run\n"


# -- 4. Ctrl-C keeps the work; --resume continues it and never repeats a step ------------------
def interrupt_at(step):
    def callback(info):
        if info.step == step:
            raise KeyboardInterrupt

    return callback


def test_ctrl_c_saves_a_checkpoint_and_the_best_policy(capsys, tmp_path, monkeypatch):
    import dbp

    original = dbp.train

    def interrupted_train(*args, **kwargs):
        return original(*args, callbacks=[interrupt_at(8)], **kwargs)

    monkeypatch.setattr(dbp, "train", interrupted_train)
    run_dir = tmp_path / "run1"
    args = ["train", ENV, "--set", "lead_time=1", "--out", run_dir, *TRAIN_FAST, *EVAL_FAST]
    code, _, err = run(capsys, *args)
    assert code == 130, err
    assert "interrupted after 8 steps" in err and "--resume" in err and str(run_dir) in err
    for name in ("run.json", "log.csv", "checkpoint.pt", "policy/policy.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "run.json").read_text())["result"]["stopped"] == "interrupted"
    monkeypatch.setattr(dbp, "train", original)
    resume = err.split("continue with: ")[1].strip().split()
    assert resume[:2] == ["inventory-gym", "train"] and resume[-1] == "--resume"
    code, _, err = run(capsys, *resume[1:])
    assert code == 0, err
    steps = log_steps(run_dir / "log.csv")
    assert steps == sorted(set(steps)) and steps[-1] == 12


def test_resume_drops_log_rows_after_the_checkpoint(tmp_path):
    from dbp import TrainConfig, train

    config = TrainConfig(
        max_steps=10, batch_size=16, horizon=6, eval_every=5, eval_paths=8, eval_periods=10
    )
    out = tmp_path / "run"
    train((ENV, {"lead_time": 1}), "mlp", config, out=out, progress=False)
    # A run killed between two checkpoints leaves rows after the last one.
    with open(out / "log.csv", "a") as handle:
        handle.write("11,1.0,0.1,1.0,,1.0,,\n12,1.0,0.1,1.0,,1.0,,\n")
    longer = dataclasses.replace(config, max_steps=15)
    train((ENV, {"lead_time": 1}), "mlp", longer, out=out, resume=True, progress=False)
    steps = log_steps(out / "log.csv")
    assert steps == sorted(set(steps)) and steps[-1] == 15


def test_resume_without_a_checkpoint_is_an_error(capsys, tmp_path):
    run_dir = tmp_path / "empty"
    one_line_error(*run(capsys, "train", ENV, "--out", run_dir, "--resume")[::2], "no checkpoint")
    run_dir.mkdir()
    (run_dir / "run.json").write_text("{}")
    (run_dir / "log.csv").write_text("step\n")
    one_line_error(
        *run(capsys, "train", ENV, "--out", run_dir, "--resume")[::2], "no checkpoint", "log.csv"
    )
    from dbp import TrainConfig, train

    config = TrainConfig(max_steps=2, batch_size=16, horizon=6, eval_paths=8, eval_periods=10)
    api_dir = tmp_path / "api"
    train(ENV, "mlp", config, out=api_dir, progress=False)
    (api_dir / "checkpoint.pt").unlink()  # as if it stopped before its first validation
    with pytest.raises(FileNotFoundError, match=r"no checkpoint\.pt"):
        train(ENV, "mlp", config, out=api_dir, resume=True, progress=False)


def test_ppo_ctrl_c_saves_the_best_policy(tmp_path):
    from baselines.ppo import PPOConfig, train_ppo

    config = PPOConfig(timesteps=4096, num_envs=8, n_steps=64, batch_size=128, eval_every=512)
    calls = []

    def stop(*_):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    result = train_ppo(
        ENV, {"lead_time": 1}, config, out=tmp_path, progress=False, callbacks=[stop]
    )
    assert result.stopped == "interrupted" and result.timesteps < 4096
    for name in ("run.json", "eval.csv", "model.zip", "policy/policy.json"):
        assert (tmp_path / name).is_file(), name
    done = result.timesteps
    resumed = train_ppo(ENV, {"lead_time": 1}, config, out=tmp_path, progress=False, resume=True)
    assert resumed.stopped == "timesteps" and resumed.timesteps == 4096 > done
    steps = [row["timesteps"] for row in resumed.evaluations]
    assert steps == sorted(set(steps)) and steps[-1] == 4096
    assert resumed.evaluations[: len(result.evaluations)] == result.evaluations
    assert resumed.best_val_cost <= result.best_val_cost
    with pytest.raises(ValueError, match="holds a run of"):
        train_ppo(ENV, {"lead_time": 2}, config, out=tmp_path, progress=False, resume=True)
    with pytest.raises(FileNotFoundError, match=r"no model\.zip"):
        train_ppo(ENV, {"lead_time": 1}, config, out=tmp_path / "new", progress=False, resume=True)


def test_run_files_match_the_trainers():
    import baselines.ppo as ppo
    import dbp.trainer as trainer
    from inventory_gym_cli.commands.train import DBP_FILES, PPO_FILES

    assert DBP_FILES[:3] == (trainer.RUN_FILE, trainer.LOG_FILE, trainer.CHECKPOINT_FILE)
    assert DBP_FILES[4] == trainer.BEST_DIR
    assert PPO_FILES == (
        ppo.RUN_FILE,
        ppo.EVAL_FILE,
        ppo.PROGRESS_FILE,
        ppo.MODEL_FILE,
        ppo.BEST_DIR,
        ppo.VECNORM_FILE,
    )


# -- 5-7. one-line errors, checked before any work ----------------------------------------------
@pytest.fixture
def small_memory(monkeypatch):
    """16 GB available, whatever the machine has (the size refusals are then the same)."""
    from inventory_gym.core import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 16_000_000_000)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, l2_table):
    """The issue's corrupt and foreign files for --load."""
    root = tmp_path_factory.mktemp("damaged")
    (root / "t.npz").write_bytes(l2_table.read_bytes()[:1500])  # head -c 1500 a.npz > t.npz
    (root / "list").mkdir()
    (root / "list" / "policy.json").write_text("[]")
    (root / "x.npz").write_text("a text file named x.npz\n")
    run_dir = root / "run"
    argv = ["train", ENV, "--out", run_dir, "--quiet", *TRAIN_FAST, *EVAL_FAST]
    assert main([str(a) for a in argv]) == 0
    weights = run_dir / "policy" / "weights.pt"
    weights.write_bytes(weights.read_bytes()[:300])
    return root


@pytest.mark.parametrize(
    "name, needles",
    [
        ("t.npz", ["t.npz", "truncated or damaged"]),
        ("list", ["policy.json", "a JSON list"]),
        ("x.npz", ["x.npz", "not a policy table"]),
        ("run", ["weights.pt", "truncated or damaged"]),
    ],
)
def test_corrupt_files_get_one_line_naming_them(capsys, damaged, name, needles):
    line = one_line_error(*run(capsys, "evaluate", ENV, "--load", damaged / name)[::2], *needles)
    assert "allow_pickle" not in line and "pickle" not in line.lower()


@pytest.mark.parametrize(
    "argv, needles",
    [
        (["train", ENV, "--device", "foo"], ["--device 'foo'", "not a torch device"]),
        (["train", ENV, "--seconds", "-5"], ["--seconds", "positive"]),
        (["train", ENV, "--steps", "0", "--seconds", "0"], ["no budget", "--steps N"]),
        (["train", ENV, "--steps", "0"], ["--seconds S"]),
        (["train", ENV, "--algo", "ppo", "--timesteps", "-3"], ["--timesteps"]),
        (["compare", ENV, "--dbp-seconds", "-1"], ["--dbp-seconds must be >= 0"]),
        (["evaluate", ENV, "--policy", "myopic3"], ["myopic3", "choose from"]),
        (["evaluate", ENV, "--policy", "base_stock", "--seed", "-1"], ["--seed must be >= 0"]),
        (["compare", ENV, "--fit-seed", "-1"], ["--fit-seed must be >= 0"]),
    ],
)
def test_bad_options_get_one_line_before_any_work(capsys, argv, needles):
    code, out, err = run(capsys, *argv)
    one_line_error(code, err, *needles)
    assert "fitting" not in out  # refused before fitting started


def test_cuda_on_a_cpu_only_torch_is_one_line(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this torch has a GPU")
    one_line_error(*run(capsys, "train", ENV, "--device", "cuda")[::2], "--device cuda", "cpu")


def test_sizes_are_checked_against_memory_up_front(capsys, small_memory):
    argv = ["evaluate", ENV, "--policy", "base_stock", "--paths", "100000000", "--periods", "10"]
    line = one_line_error(*run(capsys, *argv)[::2], "--paths 100000000", "needs about", "16.0 GB")
    assert "rows fit" in line
    argv = ["evaluate", ENV, "--set", f"lead_time={10**9}", "--policy", "base_stock"]
    one_line_error(*run(capsys, *argv)[::2], "one path", "48.0 GB", "16.0 GB available")


def test_a_long_evaluation_says_its_size_first_and_shows_its_periods(capsys, monkeypatch):
    """Item 7: a lead time of 100,000 fits in memory but runs long: the command says how big
    the run is and how to shrink it before it starts, then shows a bar over the periods."""
    import argparse

    from inventory_gym import make_instance
    from inventory_gym_cli.commands.evaluate import work_note

    big = make_instance(ENV, {"lead_time": 100_000})
    args = argparse.Namespace(paths=1000, periods=1000, burn_in=500)
    note = work_note(big, args)
    assert note is not None
    for needle in ("1,000 paths", "1,500 periods", "100,000 state values", "1.5e+11"):
        assert needle in note
    assert "--paths" in note and "--periods" in note
    assert work_note(make_instance(ENV, {}), args) is None
    import inventory_gym.progress as progress

    plain = progress.bar
    monkeypatch.setattr(progress, "bar", lambda *a, **k: plain(*a, **{**k, "interval": 0}))
    code, out, err = run(capsys, "evaluate", ENV, "--policy", "myopic1", "--periods", "30")
    assert code == 0, err
    assert "myopic1: 265/530 period (50%)" in err and "s left" in err  # 500 burn-in + 30
    assert "note: a large evaluation" not in out


def test_env_sizes_and_actions_are_checked(small_memory):
    import gymnasium as gym

    import inventory_gym  # noqa: F401

    with pytest.raises(ValueError, match=r"1,000,000,000 features needs about 128\.0 GB"):
        gym.make(ENV, lead_time=10**9)
    with pytest.raises(ValueError, match=r"num_envs=100,000,000: .*rows fit"):
        gym.make_vec(ENV, num_envs=10**8, vectorization_mode="vector_entry_point")
    env = gym.make(ENV)
    env.reset(seed=0)
    for bad in (None, object(), [None]):
        with pytest.raises(ValueError, match="action must be"):
            env.step(bad)
    env = gym.make("DualSourcing-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be"):
        env.step(None)
    vec = gym.make_vec(ENV, num_envs=2, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="actions must be"):
        vec.step(None)


# -- fuzz: a few hundred bad argument lists, each one line and a non-zero exit ------------------
COMMON_BAD = [
    ["--set", "lead_time"],
    ["--set", "=3"],
    ["--set", "lead_time=-1"],
    ["--set", "lead_time=1.5"],
    ["--set", "no_such_key=1"],
    ["--set", "demand=geometric("],
    ["--set", "demand=nope(3)"],
    ["--set", "holding_cost=nan"],
    ["--set", "max_order=-2"],
    ["--set", "num_envs=4"],
    ["--threads", "-1"],
    ["--threads", "x"],
    ["--discount", "0"],
    ["--discount", "1.5"],
    ["--discount", "nan"],
    ["--bogus"],
    ["--json=1"],
]
SIMULATE_BAD = [
    ["--paths", "0"],
    ["--paths", "-3"],
    ["--paths", "1e3"],
    ["--paths", "100000000000"],
    ["--periods", "0"],
    ["--burn-in", "-1"],
    ["--seed", "-1"],
    ["--seed", "x"],
]
FIT_BAD = [["--fit-paths", "0"], ["--fit-periods", "-1"], ["--fit-seed", "-2"]]
BAD = {
    "evaluate": [
        ["--policy", "nope"],
        ["--load", "/nonexistent/x.npz"],
        ["--policy", "base_stock", "--load", "x.npz"],
        ["--load", "FILE"],
        *SIMULATE_BAD,
        *FIT_BAD,
    ],
    "solve": [["--margin", "x"], ["--out"], ["--out", "FILE/x.npz"], ["--out", "."]],
    "train": [
        ["--device", "foo"],
        ["--device", "cuda:x"],
        ["--seconds", "-5"],
        ["--seconds", "nan"],
        ["--steps", "-1"],
        ["--steps", "0", "--seconds", "0"],
        ["--lr", "0"],
        ["--lr", "-1"],
        ["--batch-size", "0"],
        ["--algo", "sac"],
        ["--algo", "ppo", "--window", "3"],
        ["--algo", "ppo", "--gamma", "2"],
        ["--timesteps", "100"],
        ["--hidden", "a,b"],
        ["--hidden", "0"],
        ["--resume", "--overwrite"],
        ["--resume"],
        ["--out", "FILE"],
        ["--policy", "transformer"],
        *SIMULATE_BAD,
    ],
    "compare": [
        ["--policies", "nope"],
        ["--dbp-steps", "-1"],
        ["--dbp-seconds", "-1"],
        ["--dbp-seconds", "nan"],
        ["--ppo-steps", "0"],
        ["--dbp-policy", "x"],
        ["--out", "FILE"],
        *SIMULATE_BAD,
        *FIT_BAD,
    ],
}
GOOD = [["--quiet"], ["--json"], ["--set", "lead_time=1"], ["--threads", "1"]]
BAD_ENVS = ["NoSuch-v0", "CartPole-v1", "", "lostsales"]
FUZZ_CASES: list[list[str]] = []
"""Every argument list the fuzz test tried (for the issue's closing note)."""


def bad_argv():
    from hypothesis import strategies as st

    def command_case(command):
        bad = BAD[command] + COMMON_BAD
        return st.tuples(
            st.sampled_from([ENV] * 6 + ["DualSourcing-v0", "Perishable-v0", *BAD_ENVS]),
            st.lists(st.sampled_from(bad), min_size=1, max_size=2),
            st.lists(st.sampled_from(GOOD), max_size=2),
            st.randoms(use_true_random=False),
        ).map(lambda t: _assemble(command, *t))

    other = st.sampled_from(
        [[], ["--bogus"], ["nope"], ["list", "--bogus"], ["list", "extra"], ["train"]]
    )
    return st.one_of(other, *[command_case(c) for c in BAD])


def _assemble(command, env, bad, good, rng):
    fragments = [*bad, *good]
    rng.shuffle(fragments)
    return [command, env, *[a for fragment in fragments for a in fragment]]


def test_fuzz_bad_arguments_exit_non_zero_with_one_line(tmp_path, monkeypatch):
    from hypothesis import HealthCheck, given, settings

    monkeypatch.chdir(tmp_path)  # nothing is written, and if it were, not in the checkout
    (tmp_path / "FILE").write_text("a file where a folder or a policy is expected\n")

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(bad_argv())
    def check(argv):
        FUZZ_CASES.append(argv)
        _one_line_failure(argv)
        assert not list(tmp_path.glob("results*")), argv

    check()
    assert len(FUZZ_CASES) >= 300


def _one_line_failure(argv):
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert code not in (0, None), (argv, out.getvalue())
    assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
    assert len(lines) == 1 and lines[0].startswith("inventory-gym"), (argv, lines)


@pytest.mark.parametrize(
    "argv",
    [[c, ENV, *fragment] for c in BAD for fragment in BAD[c] + COMMON_BAD]
    + [[c, env] for c in ("evaluate", "train", "compare", "solve") for env in BAD_ENVS],
    ids=lambda argv: " ".join(argv),
)
def test_every_bad_fragment_alone(tmp_path, monkeypatch, argv):
    """Each bad fragment of the fuzz test on its own (the fuzz test combines them)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("a file where a folder or a policy is expected\n")
    _one_line_failure(argv)
    assert not list(tmp_path.glob("results*")), argv


# -- 10. no noise: warnings, progress bars, a fast --help ---------------------------------------
def test_conformance_checks_emit_no_warnings():
    import warnings

    from inventory_gym import testing

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for check in testing.CHECKS[:2]:  # gymnasium's and SB3's env checkers
            check("DualSourcing-v0")
            check(ENV, static_features=True, demand_window=2)
    assert all(reason for _, reason in testing.EXPECTED_WARNINGS)


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(capsys):
    import io

    from inventory_gym.progress import PlainBar, bar

    assert isinstance(bar(range(3), desc="x"), PlainBar)  # pytest's stderr is not a terminal
    stream = io.StringIO()
    plain = PlainBar(total=4, desc="fitting", unit="policy", file=stream, interval=0)
    for _ in range(4):
        plain.update(1)
        plain.set_postfix(best="6.84")
    plain.close()
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("fitting: 4/4 policy (100%)") and lines[-1].endswith("best=6.84")
    code = main(["evaluate", ENV, "--policy", "base_stock", *EVAL_FAST[:-1], "--fit-paths", "20"])
    err = capsys.readouterr().err
    assert code == 0 and "\r" not in err and "\x1b" not in err


def test_help_imports_neither_torch_nor_scipy_stats():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from inventory_gym_cli.main import main\n"
        "for argv in (['--help'], ['train', '--help'], ['evaluate', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('torch', 'scipy.stats', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- 11. the compare plot: fit for a slide ---------------------------------------------------------
def test_compare_plot_is_to_scale_names_the_instance_and_draws_the_gaps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from baselines.fitting import FitConfig
    from inventory_gym_cli.pipeline import Scoring, chart_figure, run_comparison

    result = run_comparison(
        (ENV, {"lead_time": 1}),
        policies=["optimal", "base_stock", "constant_order"],
        scoring=Scoring(num_paths=40, periods=60, burn_in=10),
        fit=FitConfig(num_paths=20, periods=40),
    )
    fig = chart_figure(result)
    costs, gaps = fig.axes
    assert costs.get_xlim()[0] == 0.0  # the cost axis starts at 0: gaps are not magnified
    title = fig._suptitle.get_text()
    assert "lead_time=1" in title and "lost_sales_cost=9" in title and "40 paths" in title
    whiskers = [c for c in costs.collections if c.get_linewidth()[0] >= 2]
    assert whiskers  # the 95% intervals are drawn thick enough to see
    labels = [t.get_text() for t in gaps.texts]
    assert any("[" in t and "%" in t for t in labels)  # the paired gap intervals
    assert len(gaps.collections) >= 2
    plt.close(fig)


# -- 2 and 9: a step budget gives the same run however loaded the machine is --------------------
def test_a_step_budget_gives_the_same_run_on_a_slow_clock(monkeypatch):
    import itertools

    import dbp.trainer
    from dbp import TrainConfig, train

    config = TrainConfig(
        max_steps=10, batch_size=16, horizon=6, eval_every=5, eval_paths=8, eval_periods=10
    )
    first = train((ENV, {"lead_time": 1}), "mlp", config, progress=False)
    ticks = itertools.count(step=500.0)  # every clock reading 500 s later: a very loaded machine
    monkeypatch.setattr(dbp.trainer.time, "perf_counter", lambda: next(ticks))
    second = train((ENV, {"lead_time": 1}), "mlp", config, progress=False)
    monkeypatch.undo()
    assert second.steps == first.steps == 10 and second.stopped == "max_steps"
    assert [row["lr"] for row in second.log] == [row["lr"] for row in first.log]
    assert second.best_val_cost == first.best_val_cost
