"""The inventory-gym command line: every command, --json documents, one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from inventory_gym_cli.main import main, parse_sets, parse_value

ENV = "LostSalesLeadTime-v0"
FAST = [
    "--paths",
    "60",
    "--periods",
    "100",
    "--burn-in",
    "20",
    "--fit-paths",
    "60",
    "--fit-periods",
    "100",
    "--quiet",
]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_parse_values():
    assert parse_value("1") == 1 and parse_value("4.5") == 4.5
    assert parse_value("geometric(5)") == "geometric(5)"
    assert parse_value("true") is True and parse_value("none") is None
    assert parse_value("1,2,3") == (1, 2, 3)
    assert parse_sets(["lead_time=1", "demand=gamma(4,0.5)"]) == {
        "lead_time": 1,
        "demand": "gamma(4,0.5)",
    }


def test_list(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and ENV in out and "myopic2" in out and "lead_time=4" in out
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert {row["id"] for row in rows} >= {"LostSales-v0", ENV}


def test_solve_json_and_saved_policy(capsys, tmp_path):
    target = tmp_path / "dp.npz"
    code, out, _ = run(
        capsys,
        "solve",
        ENV,
        "--set",
        "lead_time=1",
        "--set",
        "lost_sales_cost=4",
        "--json",
        "--out",
        str(target),
    )
    doc = json.loads(out)
    assert code == 0 and round(doc["cost"], 2) == 4.04 and doc["stderr"] == 0.0
    assert doc["policies"]["optimal"]["cost"] == doc["cost"]
    assert target.exists()
    code, out, _ = run(
        capsys,
        "evaluate",
        ENV,
        "--set",
        "lead_time=1",
        "--set",
        "lost_sales_cost=4",
        "--load",
        str(target),
        "--json",
        *FAST,
    )
    doc = json.loads(out)
    (entry,) = doc["policies"].values()
    assert code == 0 and entry["exact_cost"] == pytest.approx(4.0407, abs=1e-4)
    assert abs(entry["cost"] - 4.0407) < 5 * entry["stderr"]


def test_evaluate_a_heuristic(capsys):
    code, out, _ = run(
        capsys, "evaluate", ENV, "--policy", "base_stock", "--set", "lead_time=1", *FAST
    )
    assert code == 0 and "cost/period" in out and "fill_rate" in out
    code, out, _ = run(capsys, "evaluate", ENV, "--policy", "myopic1", "--json", *FAST)
    doc = json.loads(out)
    assert set(doc["policies"]["myopic1"]) >= {"cost", "stderr", "ci95", "params"}


def test_compare_writes_table_json_csv_and_chart(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "lead_time=2",
        "--policies",
        "optimal,myopic1,base_stock",
        "--out",
        str(tmp_path),
        "--dbp-seconds",
        "0",
        *FAST,
    )
    assert code == 0
    assert "optimal" in out and "gap %" in out
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000
    code, out, _ = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "lead_time=2",
        "--policies",
        "optimal,myopic1",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        "--dbp-steps",
        "0",
        *FAST,
    )
    doc = json.loads(out)
    assert set(doc["policies"]) == {"optimal", "myopic1"}
    m1 = doc["policies"]["myopic1"]
    assert m1["exact_gap_percent"] > 0 and "gap_percent" in m1
    assert doc["policies"]["optimal"]["exact_cost"] == pytest.approx(6.0936, abs=1e-4)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", ENV, "--policy", "nope"], "nope"),
        (["evaluate", "NoSuch-v0", "--policy", "base_stock"], "NoSuch-v0"),
        (["evaluate", ENV, "--policy", "base_stock", "--set", "lead_time"], "key=value"),
        (
            ["evaluate", ENV, "--policy", "base_stock", "--set", "lost_sales_cost=-3"],
            "lost_sales_cost",
        ),
        (["evaluate", ENV, "--policy", "base_stock", "--set", "colour=red"], "colour"),
        (["evaluate", ENV], "--policy"),
        (["solve", ENV, "--set", "demand=normal(5,1)"], "discrete"),
        (["compare", ENV, "--policies", "optimal,zzz"], "zzz"),
        (["evaluate", ENV, "--policy", "base_stock", "--paths", "0"], "--paths"),
        (["evaluate", ENV, "--policy", "base_stock", "--load", "missing.npz"], "exactly one"),
        (["evaluate", ENV, "--load", "missing.npz"], "missing.npz"),
        (["train", ENV, "--hidden", "64,0"], "--hidden"),
        (["train", ENV, "--batch-size", "0"], "batch_size"),
        (["train", ENV, "--steps", "0"], "needs a time budget: give --seconds S"),
        (["train", ENV, "--threads", "-1"], "--threads"),
        (["compare", ENV, "--dbp-steps", "-1"], "--dbp-steps"),
        (["train", ENV, "--set", "lead_time=-1"], "lead_time"),
    ],
)
def test_bad_arguments_give_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "\n".join(err)


def test_installed_entry_point_help():
    exe = shutil.which("inventory-gym") or shutil.which(
        "inventory-gym", path=str(__import__("pathlib").Path(sys.executable).parent)
    )
    assert exe is not None, "the inventory-gym entry point is not installed"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "compare" in result.stdout and "solve" in result.stdout
    result = subprocess.run([exe, "compare", "--help"], capture_output=True, text=True, check=True)
    assert "--set" in result.stdout and "--json" in result.stdout


def test_compare_skips_what_continuous_demand_rules_out(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "demand=normal(5,2)",
        "--set",
        "lead_time=1",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        "--dbp-steps",
        "0",
        *FAST,
    )
    doc = json.loads(out)
    assert code == 0 and "base_stock" in doc["policies"] and "optimal" not in doc["policies"]
    assert "myopic1" in doc["skipped"] and "discrete" in doc["skipped"]["myopic1"]
    assert "exact DP skipped" in err


TRAIN_FAST = [
    "--steps",
    "12",
    "--seconds",
    "0",
    "--batch-size",
    "32",
    "--horizon",
    "8",
    "--eval-every",
    "6",
    "--paths",
    "40",
    "--periods",
    "60",
    "--burn-in",
    "10",
    "--quiet",
]


def test_train_saves_a_policy_that_evaluate_loads(capsys, tmp_path):
    run_dir = tmp_path / "run"
    code, out, _ = run(
        capsys, "train", ENV, "--set", "lead_time=1", "--out", str(run_dir), "--json", *TRAIN_FAST
    )
    assert code == 0
    doc = json.loads(out)
    trained = doc["policies"]["dbp-mlp"]
    assert trained["steps"] == 12 and trained["saved"] == str(run_dir / "policy")
    assert trained["exact_cost"] is not None  # the rounded network's Markov chain
    assert (run_dir / "log.csv").is_file() and (run_dir / "policy" / "weights.pt").is_file()
    # Loading the run directory (or its policy/) and evaluating on the same paths gives the
    # same cost: nothing was lost in the save.
    code, out, _ = run(
        capsys,
        "evaluate",
        ENV,
        "--set",
        "lead_time=1",
        "--load",
        str(run_dir),
        "--json",
        "--paths",
        "40",
        "--periods",
        "60",
        "--burn-in",
        "10",
        "--quiet",
    )
    loaded = json.loads(out)["policies"]["dbp-mlp"]
    assert loaded["cost"] == pytest.approx(trained["cost"])


def test_compare_includes_a_dbp_policy(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "lead_time=1",
        "--policies",
        "optimal,base_stock",
        "--dbp-steps",
        "12",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        *FAST,
    )
    doc = json.loads(out)
    assert code == 0 and set(doc["policies"]) == {"optimal", "base_stock", "dbp"}
    assert "gap_percent" in doc["policies"]["dbp"]
    dbp = doc["policies"]["dbp"]
    assert dbp["params"]["kind"] == "mlp"
    # A step budget (no time cap): the run reports the steps, threads and seeds it used.
    assert dbp["steps"] == 12 and dbp["stopped"] == "max_steps" and dbp["threads"] == 1
    assert (dbp["train_seed"], dbp["eval_seed"], dbp["seed"]) == (0, 7919, 0)


def test_train_options_default_to_the_configs():
    """Options not given keep the config classes' defaults (no second set of numbers to
    drift), and options of one algorithm are refused with the other."""
    from baselines.ppo import PPOConfig
    from dbp import TrainConfig
    from inventory_gym_cli.commands.train import dbp_config as _dbp_config
    from inventory_gym_cli.commands.train import ppo_config as _ppo_config
    from inventory_gym_cli.main import build_parser

    parser = build_parser()
    assert _dbp_config(parser.parse_args(["train", ENV])) == TrainConfig()
    assert _ppo_config(parser.parse_args(["train", ENV, "--algo", "ppo"])) == PPOConfig()
    args = parser.parse_args(
        ["train", ENV, "--lr", "0.05", "--seconds", "0", "--steps", "9", "--grad-clip", "0"]
    )
    expected = TrainConfig(learning_rate=0.05, max_seconds=None, max_steps=9, grad_clip=None)
    assert _dbp_config(args) == expected
    args = parser.parse_args(["train", ENV, "--algo", "ppo", "--hidden", "32", "--gamma", "0.9"])
    assert _ppo_config(args) == PPOConfig(hidden=(32,), gamma=0.9)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--algo", "ppo", "--window", "4"], "--window: only with --algo dbp"),
        (["--algo", "ppo", "--policy", "monotone"], "--policy: only with --algo dbp"),
        (["--timesteps", "100"], "--timesteps: only with --algo ppo"),
        (["--algo", "ppo", "--gamma", "1.5"], "PPOConfig: gamma must be in [0, 1], got 1.5"),
        (["--algo", "ppo", "--schedule", "cosine"], "PPOConfig: schedule must be one of"),
    ],
)
def test_train_refuses_the_other_algorithms_options(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["train", ENV, "--quiet", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


PPO_FAST = ["--algo", "ppo", "--timesteps", "1024", "--num-envs", "8", "--n-steps", "64"]
PPO_FAST += ["--batch-size", "128", "--eval-every", "512"]


def test_train_ppo_saves_a_policy_that_evaluate_loads(capsys, tmp_path):
    run_dir = tmp_path / "ppo"
    evaluation = ["--paths", "40", "--periods", "60", "--burn-in", "10", "--quiet"]
    code, out, _ = run(
        capsys,
        "train",
        ENV,
        "--set",
        "lead_time=1",
        "--out",
        str(run_dir),
        "--json",
        *PPO_FAST,
        *evaluation,
    )
    assert code == 0
    trained = json.loads(out)["policies"]["ppo"]
    assert trained["timesteps"] == 1024 and trained["params"] == {"kind": "ppo", "hidden": [64, 64]}
    assert trained["exact_cost"] is None or trained["exact_cost"] > 0
    for name in ("eval.csv", "progress.csv", "model.zip", "run.json"):
        assert (run_dir / name).is_file()
    code, out, _ = run(
        capsys,
        "evaluate",
        ENV,
        "--set",
        "lead_time=1",
        "--load",
        str(run_dir),
        "--json",
        *evaluation,
    )
    assert json.loads(out)["policies"]["ppo"]["cost"] == pytest.approx(trained["cost"])


def test_compare_includes_ppo_when_asked(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "lead_time=1",
        "--policies",
        "optimal",
        "--dbp-steps",
        "0",
        "--with-ppo",
        "--ppo-steps",
        "1024",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        *FAST,
    )
    doc = json.loads(out)
    assert code == 0 and set(doc["policies"]) == {"optimal", "ppo"}
    assert "gap_percent" in doc["policies"]["ppo"]


def test_dual_sourcing_solve_evaluate_and_compare(capsys, tmp_path):
    table = tmp_path / "ds.npz"
    code, out, _ = run(
        capsys,
        "solve",
        "DualSourcing-v0",
        "--set",
        "expedited_cost=5",
        "--out",
        str(table),
        "--json",
    )
    assert code == 0 and round(json.loads(out)["cost"], 2) == 16.77
    code, out, _ = run(
        capsys,
        "evaluate",
        "DualSourcing-v0",
        "--set",
        "expedited_cost=5",
        "--load",
        str(table),
        "--json",
        *FAST[:6],
    )
    loaded = json.loads(out)["policies"]["optimal"]
    assert loaded["exact_cost"] == pytest.approx(16.7698, abs=1e-4)
    code, out, _ = run(
        capsys,
        "compare",
        "DualSourcing-v0",
        "--policies",
        "optimal,capped_dual_index,dual_index",
        "--dbp-steps",
        "0",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        *FAST,
    )
    doc = json.loads(out)["policies"]
    assert set(doc) == {"optimal", "capped_dual_index", "dual_index"}
    # Exact costs from the chain on the DP grid: the optimum's is its value, the heuristics'
    # lie above it (fitted here on a handful of paths, so not necessarily their best).
    assert doc["optimal"]["exact_cost"] == pytest.approx(19.7333, abs=1e-4)
    for name in ("capped_dual_index", "dual_index"):
        assert doc[name]["exact_cost"] > doc["optimal"]["exact_cost"]
    assert set(doc["capped_dual_index"]["params"]) == {"S_e", "S_r", "r"}


def test_perishable_solve_evaluate_and_compare(capsys, tmp_path):
    """The perishable problem goes through the same commands with no special case: `solve`
    (average and discounted), `evaluate --load` with the exact Farrington metric, `compare`."""
    table = tmp_path / "per.npz"
    code, out, _ = run(
        capsys, "solve", "Perishable-v0", "--discount", "0.99", "--out", str(table), "--json"
    )
    assert code == 0 and json.loads(out)["cost"] == pytest.approx(1510.47, abs=0.01)
    code, out, _ = run(
        capsys,
        "evaluate",
        "Perishable-v0",
        "--load",
        str(table),
        "--discount",
        "0.99",
        "--burn-in",
        "100",
        "--periods",
        "365",
        "--paths",
        "500",
        "--json",
    )
    loaded = json.loads(out)["policies"]["optimal"]
    # Farrington et al.: -1457 (59) over 10,000 paths; the chain gives the expectation.
    assert loaded["exact_cost"] == pytest.approx(1457.28, abs=0.01)
    assert abs(loaded["cost"] - loaded["exact_cost"]) < 4 * loaded["stderr"]
    code, out, _ = run(
        capsys,
        "compare",
        "Perishable-v0",
        "--set",
        "issuing=LIFO",
        "--policies",
        "optimal,base_stock,waste_conscious",
        "--dbp-steps",
        "0",
        "--out",
        str(tmp_path),
        "--json",
        "--no-plot",
        *FAST,
    )
    doc = json.loads(out)["policies"]
    assert doc["optimal"]["exact_cost"] == pytest.approx(15.9206, abs=1e-4)
    for name in ("base_stock", "waste_conscious"):
        assert doc[name]["exact_cost"] > doc["optimal"]["exact_cost"]
        assert doc[name]["exact_gap_percent"] > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["DualSourcing-v0", "--discount", "0.9"], "average cost"),
        (["Perishable-v0", "--set", "useful_life=9"], "needs about"),
    ],
)
def test_solve_refuses_what_no_solver_covers(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["solve", *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


# -- the command line's structure ----------------------------------------------------------------
def test_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from inventory_gym_cli.main import main\n"
        "for argv in (['--help'], ['train', '--help'], ['compare', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_config_field_is_a_train_option_with_its_docstring_and_default():
    """The training flags come from the config dataclasses: one source for the default and
    the help text of every field."""
    import dataclasses

    from baselines.ppo import PPOConfig
    from dbp import TrainConfig
    from inventory_gym_cli import configflags
    from inventory_gym_cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    train = sub.choices["train"]
    flags = {s: a for a in train._actions for s in a.option_strings}
    for cls in (TrainConfig, PPOConfig):
        docs = configflags.field_docs(cls)
        for field in dataclasses.fields(cls):
            if field.name in ("threads", "hidden"):
                assert f"--{field.name}" in flags  # hand-written, shared
                continue
            action = flags[configflags.flag(field.name)]
            assert action.default is None  # not given: the config's default
            assert docs[field.name][:30] in " ".join(action.help.split()), field.name
            default = field.default
            text = (
                "none"
                if default is None
                else (f"{default:g}" if isinstance(default, float) else str(default))
            )
            assert f"(default {text})" in action.help, field.name
    # The command line's names for the fields that have one.
    for name, option in (
        ("learning_rate", "--lr"),
        ("max_steps", "--steps"),
        ("seed", "--train-seed"),
    ):
        assert configflags.flag(name) == option


def test_generated_flags_reach_the_configs():
    from baselines.ppo import PPOConfig
    from dbp import TrainConfig
    from inventory_gym_cli.commands.train import dbp_config, ppo_config
    from inventory_gym_cli.main import build_parser

    parser = build_parser()
    args = parser.parse_args(
        ["train", ENV, "--no-carry-state", "--min-lr", "0.001", "--threads", "2", "--patience", "3"]
    )
    assert dbp_config(args) == TrainConfig(
        carry_state=False, min_learning_rate=1e-3, threads=2, patience=3
    )
    args = parser.parse_args(
        ["train", ENV, "--algo", "ppo", "--no-normalize-rewards", "--initial-order", "none"]
    )
    assert ppo_config(args) == PPOConfig(normalize_rewards=False, initial_order=None)
    args = parser.parse_args(["train", ENV, "--threads", "0"])
    assert dbp_config(args).threads is None  # 0: leave the libraries' defaults


def test_default_budget_is_steps_and_seconds_only_cap():
    from dbp import TrainConfig
    from dbp.config import DEFAULT_STEPS
    from dbp.trainer import budget_fraction

    config = TrainConfig()
    assert config.max_steps == DEFAULT_STEPS and config.max_seconds is None
    assert config.threads == 1
    # With a step budget the schedule follows the steps, whatever the clock says.
    capped = TrainConfig(max_steps=100, max_seconds=5.0)
    assert budget_fraction(capped, 50, 4.9) == 0.5
    timed = TrainConfig(max_steps=None, max_seconds=10.0)
    assert budget_fraction(timed, 50, 5.0) == 0.5


def test_train_reports_steps_threads_and_seeds(capsys, tmp_path):
    run_dir = tmp_path / "run"
    code, out, _ = run(
        capsys, "train", ENV, "--set", "lead_time=1", "--out", str(run_dir), "--json", *TRAIN_FAST
    )
    assert code == 0
    trained = json.loads(out)["policies"]["dbp-mlp"]
    assert (trained["steps"], trained["threads"], trained["stopped"]) == (12, 1, "max_steps")
    assert (trained["train_seed"], trained["eval_seed"], trained["seed"]) == (0, 7919, 0)
    record = json.loads((run_dir / "run.json").read_text())
    assert record["config"]["threads"] == 1 and record["config"]["max_steps"] == 12
    assert record["result"]["steps"] == 12 and record["result"]["threads"] == 1
    assert (record["result"]["seed"], record["result"]["eval_seed"]) == (0, 7919)
    header = json.loads((run_dir / "policy" / "policy.json").read_text())
    assert header["format"] == "inventory-gym/dbp-policy" and header["problem"] == "lost_sales"
    assert header["instances"][0]["env_id"] == ENV


# -- one loader for every saved policy ------------------------------------------------------------
def test_load_policy_names_the_file_and_what_is_wrong(tmp_path):
    from inventory_gym_cli.artifacts import ArtifactError, load_policy

    cases = {}
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "policy.json").write_text(json.dumps({"format": "someone-else/model"}))
    cases[foreign] = "unknown format 'someone-else/model'"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "policy.json").write_text("{not json")
    cases[broken] = "not a readable JSON policy header"
    empty = tmp_path / "empty"
    empty.mkdir()
    cases[empty] = "no policy.json"
    table = tmp_path / "table.npz"
    table.write_bytes(b"garbage")
    cases[table] = "not a saved policy table"
    half = tmp_path / "half"
    half.mkdir()
    (half / "policy.json").write_text(
        json.dumps({"format": "inventory-gym/dbp-policy", "version": 2})
    )
    cases[half] = "unreadable inventory-gym/dbp-policy"
    cases[tmp_path / "nowhere"] = "no such file"
    for path, message in cases.items():
        with pytest.raises(ArtifactError) as err:
            load_policy(path)
        text = str(err.value)
        assert str(path) in text and message in text and "\n" not in text, text


def test_evaluate_refuses_a_policy_made_for_another_problem(capsys, tmp_path):
    table = tmp_path / "ds.npz"
    code, _, _ = run(capsys, "solve", "DualSourcing-v0", "--out", str(table), "--json")
    assert code == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", ENV, "--load", str(table), "--quiet", *FAST[:6]])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(table) in err and ("dual_sourcing" in err or "grid" in err)


def test_the_network_choices_are_dbps_kinds():
    from dbp.policies import KINDS
    from inventory_gym_cli.commands.train import DBP_KINDS

    assert set(DBP_KINDS) == set(KINDS)


def test_set_threads_limits_torch_and_blas():
    import torch
    from threadpoolctl import threadpool_info

    from inventory_gym.threads import set_threads

    assert set_threads(None) == {}
    assert set_threads(1, torch=True) == {"threads": 1, "torch_threads": 1}
    assert torch.get_num_threads() == 1
    assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    with pytest.raises(ValueError, match="threads"):
        set_threads(0)


def test_train_ppo_resumes_to_the_total_budget(capsys, tmp_path):
    run_dir = tmp_path / "ppo"
    base = ["train", ENV, "--set", "lead_time=1", "--out", str(run_dir), "--quiet", *PPO_FAST]
    base += ["--paths", "20", "--periods", "40", "--burn-in", "5"]
    with pytest.raises(SystemExit) as refused:
        run(capsys, *base, "--resume")
    err = capsys.readouterr().err
    assert refused.value.code == 2 and "--resume: no checkpoint" in err and "model.zip" in err
    assert run(capsys, *base)[0] == 0  # 1024 env steps
    first = (run_dir / "eval.csv").read_text().splitlines()
    code, _, err = run(capsys, *[a if a != "1024" else "2048" for a in base], "--resume")
    assert code == 0, err
    run_json = json.loads((run_dir / "run.json").read_text())
    assert run_json["timesteps"] == 2048
    lines = (run_dir / "eval.csv").read_text().splitlines()
    assert lines[: len(first)] == first and len(lines) > len(first)
    steps = [int(line.split(",")[0]) for line in lines[1:]]
    assert steps == sorted(set(steps)) and steps[-1] == 2048
    best = [float(line.split(",")[-1]) for line in lines[1:]]
    assert best == sorted(best, reverse=True)  # the best so far is kept, never worse
    assert (run_dir / "vecnormalize.npz").is_file()
    progress = (run_dir / "progress.csv").read_text().splitlines()
    assert len(progress) == 1 + 2048 // 512  # one row per rollout, both runs


def test_compare_ctrl_c_writes_the_partial_table(capsys, tmp_path, monkeypatch):
    from inventory_gym_cli import pipeline

    real = pipeline.evaluate
    calls = []

    def evaluate_then_ctrl_c(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "evaluate", evaluate_then_ctrl_c)
    code, out, err = run(
        capsys,
        "compare",
        ENV,
        "--set",
        "lead_time=2",
        "--policies",
        "optimal,myopic1,base_stock",
        "--dbp-seconds",
        "0",
        "--out",
        str(tmp_path),
        "--no-plot",
        *FAST,
    )
    assert code == 130 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "interrupted; missing myopic1, base_stock" in err and "partial table of optimal" in err
    doc = json.loads(next(tmp_path.glob("*_compare.json")).read_text())
    assert doc["partial"] is True and doc["missing"] == ["myopic1", "base_stock"]
    assert list(doc["policies"]) == ["optimal"]
    rows = next(tmp_path.glob("*_compare.csv")).read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("optimal,")
    assert "partial (interrupted)" in next(tmp_path.glob("*_compare.md")).read_text()


def test_train_takes_the_problems_training_defaults():
    """``train`` trains with what baselines/<problem>/rl.py declares (as ``benchmark`` does);
    flags given win."""
    from inventory_gym_cli import options as o
    from inventory_gym_cli.commands.train import dbp_config, ppo_config
    from inventory_gym_cli.main import build_parser

    parser = build_parser()
    args = parser.parse_args(["train", "DualSourcing-v0", "--algo", "ppo"])
    config = ppo_config(args, o.instance_of(args))
    assert (config.initial_policy, config.max_episode_steps) == ("capped_dual_index", 256)
    args = parser.parse_args(
        ["train", "DualSourcing-v0", "--algo", "ppo", "--initial-policy", "none"]
    )
    assert ppo_config(args, o.instance_of(args)).initial_policy is None
    args = parser.parse_args(["train", "DualSourcing-v0"])
    config = dbp_config(args, o.instance_of(args))
    assert (config.max_steps, config.first_burn_in) == (600, 16)
    args = parser.parse_args(["train", "DualSourcing-v0", "--steps", "50", "--first-burn-in", "3"])
    config = dbp_config(args, o.instance_of(args))
    assert (config.max_steps, config.first_burn_in) == (50, 3)
    args = parser.parse_args(["train", "DualSourcing-v0", "--seconds", "5"])
    assert dbp_config(args, o.instance_of(args)).max_steps != 600  # a time budget: no steps
    args = parser.parse_args(["train", "Perishable-v0", "--algo", "ppo"])
    assert ppo_config(args, o.instance_of(args)).initial_policy is None
