"""``inventory-gym train``: train a DirectBackprop or PPO policy, save it and score it.

The training options are generated from the config dataclasses (:class:`dbp.TrainConfig`,
:class:`baselines.ppo.PPOConfig`, see :mod:`inventory_gym_cli.configflags`): their defaults
and help texts have one source. Options of one algorithm only are refused with the other.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from dbp.kinds import KIND_LIST, KINDS
from inventory_gym_cli import configflags
from inventory_gym_cli import options as o
from inventory_gym_cli.commands.evaluate import scoring
from inventory_gym_cli.pipeline import Comparison, Learner, evaluate_entries, train_learner

NAME = "train"
DBP_KINDS = KINDS
"""The networks of ``--policy``: :data:`dbp.kinds.KINDS`, the registry the networks declare
themselves in (a torch-free module, so that ``--help`` stays fast)."""
SKIP = ("threads", "hidden")
"""Config fields with a flag of their own: ``--threads`` (every command) and ``--hidden``
(both algorithms)."""
DBP_FILES = ("run.json", "log.csv", "checkpoint.pt", "checkpoint.pt.tmp", "policy")
"""What a DirectBackprop run writes in --out (dbp.trainer: RUN_FILE, LOG_FILE, CHECKPOINT_FILE,
BEST_DIR), the checkpoint third."""
PPO_FILES = ("run.json", "eval.csv", "progress.csv", "model.zip", "policy", "vecnormalize.npz")
"""What a PPO run writes in --out (baselines.ppo)."""
DBP_FLAGS = ("policy", "window", "static", "resume", "tensorboard")
"""DirectBackprop-only options that are not config fields."""


def _configs() -> dict[str, type]:
    from baselines.ppo import PPOConfig
    from dbp.config import TrainConfig

    return {"dbp": TrainConfig, "ppo": PPOConfig}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    configs = _configs()
    p = sub.add_parser(
        NAME,
        help="train a policy network (DirectBackprop or PPO), save it and evaluate it",
        description="Train a policy network, save it and evaluate it with the harness on the "
        "test paths (--seed). --algo dbp (DirectBackprop): backpropagate the cost of "
        "simulated demand paths through the differentiable dynamics, for --steps gradient "
        "steps (--seconds: an optional wall-clock cap); the run (run.json, log.csv, "
        "checkpoint.pt) and the best policy (policy/) go to --out. --algo ppo: "
        "stable-baselines3's PPO on the native batched env for --timesteps environment "
        "steps; the run (run.json, eval.csv, progress.csv, model.zip) and the best policy "
        "(policy/) go to --out. Settings not given take the problem's training defaults "
        "(baselines/<problem>/rl.py, those inventory-gym benchmark uses: on DualSourcing-v0 "
        "DBP 600 steps from a 16-period burn-in, PPO 256-period episodes from a policy "
        "cloned from the capped dual index), then the config's. "
        "Options of one algorithm only are refused with the other. "
        "Every run reports the steps it took, its threads and its seeds. With --data SALES.csv "
        "(and --in-stock, --master, --until DATE): DirectBackprop across every series of the "
        "sales file on its periods up to DATE (dbp.panel; batch 128, horizon 24, burn-in 8 "
        "unless given), saved to --out/policy for backtest and order.",
    )
    o.add_instance_args(p, fit=False)
    from inventory_gym_cli.data import add_data_args

    add_data_args(p, required=False)
    p.add_argument(
        "--until",
        metavar="DATE",
        help="with --data: train on the periods up to DATE, included (default: all of them)",
    )
    p.add_argument(
        "--algo",
        default="dbp",
        choices=("dbp", "ppo"),
        help="training method: dbp (DirectBackprop, default) or ppo (stable-baselines3)",
    )
    ppo_hidden = ",".join(map(str, configs["ppo"]().hidden))
    p.add_argument(
        "--hidden",
        help=f"hidden layer widths, e.g. 64,64 (dbp: the network's default; ppo {ppo_hidden})",
    )
    p.add_argument(
        "--out",
        help="run directory (default results/dbp/<instance>_<policy> or results/ppo/<instance>); "
        "one that holds a run is refused without --resume or --overwrite",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run that --out holds (its run files are removed first)",
    )
    _, groups = configflags.add_config_flags(
        p,
        configs,
        skip=SKIP,
        titles={
            "shared": "both algorithms (defaults: dbp.TrainConfig / baselines.ppo.PPOConfig)",
            "dbp": "DirectBackprop only (dbp.TrainConfig)",
            "ppo": "PPO only (baselines.ppo.PPOConfig)",
        },
    )
    d = groups["dbp"]
    d.add_argument(
        "--policy",
        default=None,
        choices=DBP_KINDS,
        help="network (default mlp): "
        + "; ".join(f"{k.name}: {k.summary}" for k in KIND_LIST)
        + " (each fits the problems whose structure it builds in)",
    )
    d.add_argument("--window", type=int, default=None, help="past demands the network reads (0)")
    d.add_argument(
        "--static",
        action="store_true",
        default=None,
        help="feed the instance's static features (costs, lead time) to the network",
    )
    groups["shared"].add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="continue the run saved in --out (dbp: its checkpoint.pt, ppo: its model.zip) "
        "up to the budget asked for",
    )
    d.add_argument("--tensorboard", metavar="DIR", help="also log to TensorBoard in DIR")
    p.set_defaults(func=run)
    return p


def _only(label: str) -> list[str]:
    """The config fields of one algorithm only."""
    return configflags.only_fields(_configs(), SKIP)[label]


def dbp_config(args: argparse.Namespace, inst: Any = None) -> Any:
    """The :class:`dbp.TrainConfig` of the options given (the rest keep its defaults, or a
    season's settings for a problem whose episode is a season: :func:`o.season_training`)."""
    from dbp.config import TrainConfig

    wrong = configflags.given(args, _only("ppo"))
    if wrong:
        raise o.CLIError(f"{', '.join(wrong)}: only with --algo ppo")
    if args.steps == 0 and args.seconds == 0:
        raise o.CLIError(
            "--steps 0 and --seconds 0 leave no budget (0 means none): give --steps N, "
            "or --seconds S to train for a wall-clock time"
        )
    if args.steps == 0 and args.seconds is None:
        raise o.CLIError("--steps 0 (none) needs a time budget: give --seconds S as well")
    season = o.season_training(inst) if inst is not None else {}
    declared = problem_defaults(inst, TrainConfig, "dbp")
    declared.update(problem_budget(inst, "dbp", "max_steps", args))
    fixed = {k: v for k, v in {**declared, **season}.items() if not configflags.given(args, [k])}
    return configflags.config_from_args(
        TrainConfig, args, skip=SKIP, threads=o.threads(args), **fixed
    )


def problem_budget(inst: Any, spec: str, name: str, args: argparse.Namespace) -> dict[str, Any]:
    """``{name: the budget the problem declares for spec}`` when it declares one and neither
    a step nor a time budget was given."""
    if inst is None or configflags.given(args, [name, "max_seconds"]):
        return {}
    from baselines.algorithms import declared_budget

    budget = declared_budget(inst.problem, spec)
    return {} if budget is None else {name: budget}


def problem_defaults(inst: Any, cls: type, spec: str) -> dict[str, Any]:
    """The training defaults the instance's problem declares for ``spec`` in
    ``baselines/<problem>/rl.py`` (:func:`baselines.algorithms.problem_overrides`) that are
    fields of ``cls``: the same defaults ``inventory-gym benchmark`` trains with. Flags given
    on the command line win."""
    if inst is None:
        return {}
    from baselines.algorithms import problem_overrides

    fields = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in problem_overrides(inst.problem, spec).items() if k in fields}


def ppo_config(args: argparse.Namespace, inst: Any = None) -> Any:
    """The :class:`baselines.ppo.PPOConfig` of the options given (the rest keep the
    problem's defaults, then :class:`~baselines.ppo.PPOConfig`'s)."""
    from baselines.ppo import PPOConfig

    wrong = configflags.given(args, _only("dbp"))
    wrong += [
        f"--{n}" for n in DBP_FLAGS if n != "resume" and getattr(args, n, None) not in (None, False)
    ]
    if wrong:
        raise o.CLIError(f"{', '.join(wrong)}: only with --algo dbp")
    fixed: dict[str, Any] = {"threads": o.threads(args)}
    declared = problem_defaults(inst, PPOConfig, "sb3:PPO")
    declared.update(problem_budget(inst, "sb3:PPO", "timesteps", args))
    fixed.update({k: v for k, v in declared.items() if not configflags.given(args, [k])})
    hidden = o.int_list("--hidden", args.hidden)
    if hidden is not None:
        fixed["hidden"] = tuple(hidden)
    return configflags.config_from_args(PPOConfig, args, skip=SKIP, **fixed)


PANEL_DEFAULTS = {"batch_size": 128, "horizon": 24, "burn_in": 8}
"""DirectBackprop's defaults with --data, where a row is a window of a real series (short
histories: 24 periods with gradient after 8 without, from an empty state; the settings of
benchmarks/vn2.py)."""


def run_panel(args: argparse.Namespace) -> int:
    """``train ENV --data SALES.csv``: DirectBackprop across every series (:mod:`dbp.panel`)."""
    from dbp.config import TrainConfig
    from dbp.panel import PanelOptions, train_panel
    from inventory_gym_cli.data import load_panel, panel_instance, period

    if args.algo != "dbp":
        raise o.CLIError("--data: only with --algo dbp")
    for flag in ("resume", "tensorboard", "static"):
        if getattr(args, flag, None):
            raise o.CLIError(f"--{flag}: not with --data")
    panel = load_panel(args)
    inst = panel_instance(args, panel)
    until = panel.periods if args.until is None else period(panel, args.until, "--until") + 1
    wrong = configflags.given(args, _only("ppo"))
    if wrong:
        raise o.CLIError(f"{', '.join(wrong)}: only with --algo ppo")
    fixed = {k: v for k, v in PANEL_DEFAULTS.items() if not configflags.given(args, [k])}
    config = configflags.config_from_args(
        TrainConfig, args, skip=SKIP, threads=o.threads(args), **fixed
    )
    hidden = o.int_list("--hidden", args.hidden)
    options = PanelOptions(
        window=args.window or PanelOptions.window,
        kind=args.policy or "mlp",
        hidden=tuple(hidden) if hidden else PanelOptions.hidden,
        master=bool(getattr(args, "master", None)),
    )
    out = Path(args.out) if args.out else Path("results") / "dbp" / f"panel_{options.kind}"
    o.say(
        args,
        f"training dbp-{options.kind} on {panel.n_series} series, periods {panel.dates[0]} .. "
        f"{panel.dates[until - 1]} ({config.max_steps} steps, {config.threads} thread(s))",
    )
    try:
        policy = train_panel(
            panel,
            inst,
            until=until,
            options=options,
            config=config,
            progress=o.progress(args),
            out=out,
        )
    except ValueError as err:
        raise o.CLIError(str(err)) from None
    meta = policy.meta
    if args.json:
        print(json.dumps({"saved": str(out / "policy"), **meta}, indent=2))
        return 0
    print(
        f"trained dbp-{options.kind}: {meta['steps']} steps in {meta['seconds']} s, train cost "
        f"{meta['final_train_cost']:.4f} per series-period; saved {out / 'policy'}"
    )
    print(
        f"  backtest it with: {o.PROG} backtest {args.env} --data {args.data} ... "
        f"--policies vn2_benchmark,dbp --load {out}"
    )
    return 0


def interrupted(args: argparse.Namespace, out: Path, info: dict[str, Any]) -> int:
    """Ctrl-C during training: say what was saved and how to go on (exit status 130)."""
    import shlex
    import sys

    done = f"{info['steps']} steps" if "steps" in info else f"{info['timesteps']} env steps"
    print(
        f"{o.PROG}: interrupted after {done}; best policy so far saved in {out / 'policy'}",
        file=sys.stderr,
    )
    given = getattr(args, "argv", None) or ["train", args.env, "--algo", args.algo]
    argv = [a for a in given if a not in ("--resume", "--overwrite")]
    if "--out" not in argv and not any(a.startswith("--out=") for a in argv):
        argv += ["--out", str(out)]
    saved = out / ("checkpoint.pt" if args.algo == "dbp" else "model.zip")
    print(
        f"  checkpoint saved in {saved}; continue with: {o.PROG} {shlex.join(argv)} --resume",
        file=sys.stderr,
    )
    return 130


def run(args: argparse.Namespace) -> int:
    if args.data is not None:
        return run_panel(args)
    for flag in ("in_stock", "master", "until"):
        if getattr(args, flag, None) is not None:
            raise o.CLIError(f"--{flag.replace('_', '-')}: only with --data")
    inst = o.instance_of(args)
    kwargs = inst.kwargs
    o.check_device("--device", args.device)
    if args.algo == "ppo":
        from baselines.ppo import EVAL_FILE, MODEL_FILE

        config = ppo_config(args, inst)
        out = Path(args.out) if args.out else Path("results") / "ppo" / o.slug(args.env, kwargs)
        resume = bool(args.resume)
        o.check_run_dir(
            out, PPO_FILES, resume=resume, overwrite=args.overwrite, checkpoint=MODEL_FILE
        )
        learner = Learner("ppo", config, options={"out": out, "resume": resume})
        log = out / EVAL_FILE
    else:
        config = dbp_config(args, inst)
        name = args.policy or "mlp"
        out = (
            Path(args.out)
            if args.out
            else Path("results") / "dbp" / f"{o.slug(args.env, kwargs)}_{name}"
        )
        o.check_run_dir(
            out,
            DBP_FILES,
            resume=bool(args.resume),
            overwrite=args.overwrite,
            checkpoint=DBP_FILES[2],
        )
        options: dict[str, Any] = {
            "window": args.window or 0,
            "static": True if args.static else None,
            "out": out,
            "resume": bool(args.resume),
            "tensorboard": args.tensorboard,
        }
        hidden = o.int_list("--hidden", args.hidden)
        if hidden is not None:
            options["hidden"] = tuple(hidden)
        learner = Learner("dbp", config, kind=name, options=options)
        log = out / "log.csv"
    entry = train_learner(inst, learner, progress=o.progress(args))
    label = entry.policy.name
    entry.name = label
    info = entry.info
    if info["stopped"] == "interrupted":
        return interrupted(args, out, info)
    budget = f"{info['steps']} steps" if "steps" in info else f"{info['timesteps']} env steps"
    o.say(
        args,
        f"trained {label}: {budget} in {entry.seconds:.1f} s (stopped: {info['stopped']}; "
        f"{info['threads']} thread(s), seeds: training {info['train_seed']}, validation "
        f"{info['eval_seed']}, test {args.seed}); best validation cost "
        f"{entry.result.best_val_cost:.4f}",
    )
    result = Comparison(inst, scoring(args), {label: entry})
    evaluate_entries(result, progress=o.progress(args))
    doc = result.doc(label)
    doc["saved"] = str(out / "policy")
    if args.json:
        print(
            json.dumps({"env": args.env, "env_kwargs": kwargs, "policies": {label: doc}}, indent=2)
        )
        return 0
    print(entry.evaluation)
    if doc["exact_cost"] is not None:
        print(f"  exact cost (Markov chain of the policy): {doc['exact_cost']:.4f}")
    print(f"  saved {out / 'policy'} (run log: {log}); evaluate it again with")
    print(
        f"  {o.PROG} evaluate {args.env} --load {out / 'policy'}"
        + "".join(f" --set {k}={v}" for k, v in kwargs.items())
    )
    return 0
