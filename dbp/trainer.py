"""DirectBackprop: train a policy network by backpropagating the cost of simulated paths.

Demand does not depend on the orders, so for a batch of pre-sampled demand paths the cost of
a trajectory is a deterministic, almost-everywhere differentiable function of the network's
weights, and its gradient (through the kernel, period after period) is the exact pathwise
gradient. Each gradient step:

1. draws ``batch_size`` demand paths of ``burn_in + horizon`` periods (split over the
   instances);
2. simulates ``burn_in`` periods without gradient, from where the previous step ended
   (``carry_state``) or from the starting state;
3. simulates ``horizon`` periods with gradient and takes the mean cost per period, plus the
   structural penalty when ``penalty_weight > 0``;
4. backpropagates through time, clips the gradient norm and takes an Adam step.

Every ``eval_every`` steps the policy is scored by the evaluation harness on held-out paths
(``eval_seed``); the best one is kept, saved and returned.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from dbp.config import TrainConfig
from dbp.kinds import check_fits
from dbp.logger import Logger
from dbp.policies import PolicySpec, build_policy, count_parameters
from dbp.rollout import Instance, InstanceLike, Simulator, resolve_instances
from dbp.structure import structural_penalty
from dbp.trained import DBPPolicy
from inventory_gym.evaluation import evaluate
from inventory_gym.threads import set_threads

RUN_FILE = "run.json"
CHECKPOINT_FILE = "checkpoint.pt"
LOG_FILE = "log.csv"
BEST_DIR = "policy"
LOG_EVERY = 10
"""Steps averaged into one row of the log (validation rows are written as they happen)."""
COLUMNS = ["seconds", "lr", "train_cost", "penalty", "grad_norm", "val_cost", "best_val_cost"]


@dataclass(frozen=True)
class Progress:
    """What a callback sees after each step (and after each validation)."""

    step: int
    seconds: float
    train_cost: float
    """Mean cost per period of the last step's paths (continuous orders)."""
    val_cost: float | None
    """Validation cost just measured, or ``None`` on steps without validation."""
    best_val_cost: float
    net: torch.nn.Module


Callback = Callable[[Progress], bool | None]
"""Called after every step; returning ``False`` stops the training."""


@dataclass(frozen=True)
class TrainResult:
    """The outcome of :func:`train`."""

    policy: DBPPolicy
    """The best policy found (by validation cost), ready for the harness."""
    best_val_cost: float
    """Its validation cost (mean over the instances)."""
    val_costs: dict[str, float]
    """Its validation cost per instance."""
    steps: int
    seconds: float
    """Wall-clock seconds of training, validation included (summed over resumed sessions)."""
    threads: int
    """torch's intra-op threads during the training."""
    stopped: str
    """Why training ended: ``max_steps``, ``max_seconds``, ``patience``, ``callback`` or
    ``interrupted`` (Ctrl-C: the checkpoint and the best policy so far are saved)."""
    log: list[dict[str, Any]]
    """The rows written to the CSV log."""
    out: Path | None


def make_spec(
    instances: Sequence[Instance],
    kind: str | PolicySpec = "mlp",
    *,
    window: int = 0,
    static: bool | None = None,
    **options: Any,
) -> PolicySpec:
    """The network spec for a set of instances: input widths and scale come from them.

    Args:
        instances: the training instances.
        kind: a kind of :data:`dbp.kinds.KINDS`, or a spec (its widths are checked).
        window: demand history the network reads (0: none).
        static: read the static features (default: when there are several instances).
        options: other :class:`PolicySpec` fields (``hidden``, ``activation``, ``encoder``...).
    """
    name = kind.kind if isinstance(kind, PolicySpec) else kind
    for inst in instances:
        check_fits(name, inst.problem, inst.params)
    state_dim = max(inst.state_dim for inst in instances)
    if static is None:
        static = len(instances) > 1
    static_dim = instances[0].static_row.shape[0] if static else 0
    # One constant for every instance: a network that serves many products sees their history,
    # never their demand parameters.
    means = [float(inst.problem.demand(inst.params).mean) for inst in instances]
    scale = max(sum(means) / len(means), 1e-6)
    derived = {
        "state_dim": state_dim,
        "window": window,
        "static_dim": static_dim,
        "action_dim": instances[0].problem.action_dim,
        "scale": scale,
    }
    if isinstance(kind, PolicySpec):
        return replace(kind, **derived)
    return PolicySpec(kind=kind, **options, **derived)


def budget_fraction(config: TrainConfig, step: int, elapsed: float) -> float:
    """How much of the budget is spent: of the steps when there is a step budget (a seconds
    cap only stops the run), else of the seconds. The learning-rate schedule follows it, so
    that with a step budget it does not depend on the machine's speed."""
    if config.max_steps is not None:
        return step / config.max_steps
    return elapsed / config.max_seconds if config.max_seconds else 0.0


def _learning_rate(config: TrainConfig, progress: float) -> float:
    if config.schedule == "constant":
        return config.learning_rate
    low, high = config.min_learning_rate, config.learning_rate
    return low + 0.5 * (high - low) * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def validate(
    policy: DBPPolicy, instances: Sequence[Instance], config: TrainConfig
) -> dict[str, float]:
    """The harness's cost of the policy on each instance, on the held-out validation paths."""
    return {
        inst.label: evaluate(
            policy,
            inst,
            num_paths=config.eval_paths,
            periods=config.eval_periods,
            burn_in=config.eval_burn_in,
            seed=config.eval_seed,
        ).cost
        for inst in instances
    }


def train(
    instances: InstanceLike | Sequence[InstanceLike],
    policy: str | PolicySpec = "mlp",
    config: TrainConfig | None = None,
    *,
    window: int = 0,
    static: bool | None = None,
    name: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    tensorboard: str | Path | None = None,
    **spec_options: Any,
) -> TrainResult:
    """Train a policy network by DirectBackprop.

    Args:
        instances: an env id, ``(env_id, env_kwargs)``, or a list of them: one policy learns
            them all (learning across products), with their static features as inputs.
        policy: a kind (``mlp``, ``monotone``, ``base_stock``, ``capped_base_stock``) or a
            :class:`PolicySpec`.
        config: the :class:`TrainConfig` (default: ``TrainConfig()``, its default step
            budget at one thread).
        window: past demands the network reads (``demand_window`` of the env); 0: none.
        static: read the instances' static features (default: when there are several).
        name: the policy's name (default ``dbp-<kind>``).
        out: a directory for the run: ``run.json``, ``log.csv``, ``checkpoint.pt`` and the
            best policy in ``policy/``. ``None``: nothing is written.
        resume: continue the run saved in ``out`` (same instances and network; the budget of
            ``config`` counts the steps and seconds already spent).
        callbacks: called after every step with a :class:`Progress`; ``False`` stops.
        progress: show a progress bar with the validation cost.
        tensorboard: also log to this TensorBoard directory.
        spec_options: other :class:`PolicySpec` fields (``hidden=(32, 32)``,
            ``activation="tanh"``, ``encoder="flat"``...).

    Returns:
        A :class:`TrainResult` with the best policy.
    """
    config = config if config is not None else TrainConfig()
    insts = resolve_instances(instances)
    spec = make_spec(insts, policy, window=window, static=static, **spec_options)
    out_path = Path(out) if out is not None else None
    run_doc = {
        "spec": spec.to_dict(),
        "instances": [inst.to_dict() for inst in insts],
        "name": name or f"dbp-{spec.kind}",
    }
    checkpoint = None
    if resume:
        if out_path is None:
            raise ValueError("train: resume=True needs out (the run's directory)")
        checkpoint = _load_checkpoint(out_path, run_doc)
    device = torch.device(config.device)
    dtype = torch.float32 if config.dtype == "float32" else torch.float64
    threads = set_threads(config.threads, torch=True).get("torch_threads")
    if threads is None:
        threads = torch.get_num_threads()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = build_policy(spec)
    net = net.to(device=device, dtype=dtype)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    step, seconds_before, best_val, stale = 0, 0.0, math.inf, 0
    best_state = copy.deepcopy(net.state_dict())
    best_costs: dict[str, float] = {}
    if checkpoint is not None:
        net.load_state_dict(checkpoint["weights"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        best_state = checkpoint["best_weights"]
        step, seconds_before = int(checkpoint["step"]), float(checkpoint["seconds"])
        best_val, stale = float(checkpoint["best_val_cost"]), int(checkpoint["stale"])
        best_costs = dict(checkpoint["best_val_costs"])

    label = run_doc["name"]
    if checkpoint is not None:
        # Rows logged after the checkpoint (a run killed between two checkpoints) are dropped:
        # the resumed run logs those steps again, and a log never repeats a step.
        _truncate_log(out_path / LOG_FILE, step)
    logger = Logger(out_path / LOG_FILE if out_path else None, COLUMNS, tensorboard)
    if out_path is not None:
        out_path.mkdir(parents=True, exist_ok=True)
        run_doc["config"] = config.to_dict()
        run_doc["parameters"] = count_parameters(net)
        (out_path / RUN_FILE).write_text(json.dumps(run_doc, indent=2) + "\n")

    gen = torch.Generator(device=device)
    # A resumed run draws fresh paths (a stream of its own) instead of replaying the first ones.
    gen.manual_seed(config.seed * 1_000_003 + step)
    rows = max(1, config.batch_size // len(insts))
    sim = Simulator(
        insts,
        rows,
        state_dim=spec.state_dim,
        window=spec.window,
        static=spec.static_dim > 0,
        generator=gen,
        device=device,
        dtype=dtype,
    )
    structure = insts[0].problem.structure
    check = structure.violations if config.penalty_weight > 0 and structure else None
    if config.penalty_weight > 0 and check is None:
        raise ValueError(
            f"train: penalty_weight={config.penalty_weight} but the {insts[0].problem.name!r} "
            "problem declares no structure (Problem.structure)"
        )
    dims = [inst.state_dim for inst in sim.instances]  # in the simulator's row order
    meta = {
        "problem": insts[0].problem.name,
        "instances": [i.to_dict() for i in insts],
        "config": config.to_dict(),
    }

    bar = None
    if progress:
        from inventory_gym.progress import bar as tqdm

        total = config.max_steps if config.max_steps is not None else config.max_seconds
        # A budget in seconds advances the bar by elapsed time, shown in whole seconds.
        fmt = None if config.max_steps else "{l_bar}{bar}| {n:.0f}/{total:.0f} s{postfix}"
        bar = tqdm(
            total=total,
            desc=label,
            unit="step" if config.max_steps else "s",
            leave=False,
            bar_format=fmt,
        )
    start = time.perf_counter()
    elapsed = seconds_before
    stopped = ""
    window_costs: list[float] = []
    window_pens: list[float] = []
    window_norms: list[float] = []
    fresh = True
    train_cost = math.nan
    last_val: float | None = None
    try:
        while True:
            elapsed = seconds_before + time.perf_counter() - start
            fraction = budget_fraction(config, step, elapsed)
            stopped = _budget_spent(config, step, elapsed)
            if stopped:
                break
            lr = _learning_rate(config, fraction)
            for group in optimizer.param_groups:
                group["lr"] = lr

            if fresh or not config.carry_state:
                sim.reset()
                burn = config.first_burn_in if (fresh and config.carry_state) else config.burn_in
                fresh = False
            else:
                sim.detach()
                burn = config.burn_in
            demand = sim.sample(burn + config.horizon)
            # Demand is exogenous: the history encodings of every period come in one pass.
            encoded = sim.encode(net, demand)
            with torch.no_grad():
                for t in range(burn):
                    sim.step(
                        net,
                        demand[:, t],
                        straight_through=config.straight_through,
                        encoded=None if encoded is None else encoded[:, t].detach(),
                    )
            total = torch.zeros((), device=device, dtype=dtype)
            probe = None
            for t in range(burn, burn + config.horizon):
                if check is not None and t == burn + config.horizon // 2:
                    probe = (sim.features().detach(), sim.history, sim.static)
                step_cost = sim.step(
                    net,
                    demand[:, t],
                    straight_through=config.straight_through,
                    encoded=None if encoded is None else encoded[:, t],
                ).cost
                total = total + step_cost.sum()
            loss = total / (sim.batch * config.horizon)
            train_cost = float(loss.detach())
            if probe is not None:
                keep = _probe_rows(len(insts), rows, config.penalty_rows, device)
                pen = structural_penalty(
                    net,
                    probe[0][keep],
                    None if probe[1] is None else probe[1][keep].detach(),
                    None if probe[2] is None else probe[2][keep],
                    check,
                    dims,
                    all_decisions=structure.all_decisions,
                )
                loss = loss + config.penalty_weight * pen
                window_pens.append(float(pen.detach()))
            if not math.isfinite(float(loss.detach())):
                raise FloatingPointError(
                    f"train: the loss became {float(loss.detach())} at step {step}; lower "
                    f"learning_rate (now {lr:g}) or set grad_clip"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(
                net.parameters(), config.grad_clip if config.grad_clip else math.inf
            )
            optimizer.step()
            step += 1
            window_costs.append(train_cost)
            window_norms.append(float(norm))

            val = None
            last = bool(_budget_spent(config, step, seconds_before + time.perf_counter() - start))
            if step % config.eval_every == 0 or last:
                policy_now = DBPPolicy(net, name=label)
                costs = validate(policy_now, insts, config)
                net.train()
                val = sum(costs.values()) / len(costs)
                if val < best_val:
                    best_val, best_costs, stale = val, costs, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    stale += 1
            elapsed = seconds_before + time.perf_counter() - start
            if step % LOG_EVERY == 0 or val is not None:
                logger.record("seconds", elapsed)
                logger.record("lr", lr)
                logger.record("train_cost", sum(window_costs) / len(window_costs))
                if window_pens:
                    logger.record("penalty", sum(window_pens) / len(window_pens))
                logger.record("grad_norm", sum(window_norms) / len(window_norms))
                if val is not None:
                    logger.record("val_cost", val)
                    logger.record("best_val_cost", best_val)
                logger.dump(step)
                window_costs, window_pens, window_norms = [], [], []
            if val is not None and out_path is not None:
                _save_checkpoint(
                    out_path, net, optimizer, best_state, step, elapsed, best_val, stale, best_costs
                )
            if bar is not None:
                bar.n = step if config.max_steps is not None else min(elapsed, bar.total)
                if val is not None:
                    last_val = val
                bar.set_postfix(
                    cost=f"{train_cost:.4f}",
                    val=f"{last_val:.4f}" if last_val is not None else "-",
                    best=f"{best_val:.4f}" if best_val < math.inf else "-",
                    refresh=False,
                )
                bar.refresh()
            info = Progress(step, elapsed, train_cost, val, best_val, net)
            if any(cb(info) is False for cb in callbacks):
                stopped = "callback"
                break
            if val is not None and config.patience is not None and stale >= config.patience:
                stopped = "patience"
                break
    except KeyboardInterrupt:
        # Ctrl-C: keep the work done. The checkpoint of this step and the best policy so far
        # are saved below (``stopped == "interrupted"``), and ``resume=True`` continues.
        stopped = "interrupted"
        elapsed = seconds_before + time.perf_counter() - start
        net.train()
        if out_path is not None:
            _save_checkpoint(
                out_path, net, optimizer, best_state, step, elapsed, best_val, stale, best_costs
            )
    finally:
        if bar is not None:
            bar.close()
        logger.close()

    if not best_costs:
        # Stopped before any validation (a callback at step 1): score what we have.
        best_costs = validate(DBPPolicy(net, name=label), insts, config)
        best_val = sum(best_costs.values()) / len(best_costs)
        best_state = copy.deepcopy(net.state_dict())
    net.load_state_dict(best_state)
    outcome = {
        "steps": step,
        "seconds": round(elapsed, 3),
        "stopped": stopped,
        "threads": threads,
        "seed": config.seed,
        "eval_seed": config.eval_seed,
        "best_val_cost": best_val,
        "val_costs": best_costs,
    }
    meta.update(outcome)
    result_policy = DBPPolicy(net, name=label, meta=meta)
    if out_path is not None:
        result_policy.save(out_path / BEST_DIR)
        run_doc["result"] = outcome
        _write_atomic(out_path / RUN_FILE, json.dumps(run_doc, indent=2) + "\n")
    return TrainResult(
        policy=result_policy,
        best_val_cost=best_val,
        val_costs=best_costs,
        steps=step,
        seconds=elapsed,
        threads=threads,
        stopped=stopped,
        log=logger.rows,
        out=out_path,
    )


def _budget_spent(config: TrainConfig, step: int, elapsed: float) -> str:
    """Which budget is used up after ``step`` steps and ``elapsed`` seconds ("" if none)."""
    if config.max_steps is not None and step >= config.max_steps:
        return "max_steps"
    if config.max_seconds is not None and elapsed >= config.max_seconds:
        return "max_seconds"
    return ""


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _probe_rows(groups: int, rows: int, wanted: int, device: torch.device) -> torch.Tensor:
    """Row indices for the structural penalty: the first rows of every group, about
    ``wanted`` in all and the same number per group (the check slices per group)."""
    per = max(1, min(rows, wanted // groups))
    return (
        torch.arange(groups, device=device)[:, None] * rows
        + torch.arange(per, device=device)[None, :]
    ).reshape(-1)


def _save_checkpoint(
    out: Path,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    best_state: dict[str, torch.Tensor],
    step: int,
    seconds: float,
    best_val: float,
    stale: int,
    best_costs: dict[str, float],
) -> None:
    tmp = out / (CHECKPOINT_FILE + ".tmp")
    torch.save(
        {
            "weights": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "best_weights": best_state,
            "step": step,
            "seconds": seconds,
            "best_val_cost": best_val,
            "stale": stale,
            "best_val_costs": best_costs,
        },
        tmp,
    )
    # Written then renamed: an interrupted save never leaves a half checkpoint behind.
    tmp.replace(out / CHECKPOINT_FILE)


def _load_checkpoint(out: Path, run_doc: dict[str, Any]) -> dict[str, Any] | None:
    run_path = out / RUN_FILE
    if not run_path.is_file():
        raise FileNotFoundError(f"train: resume=True but {run_path} does not exist")
    saved = json.loads(run_path.read_text())
    for key in ("spec", "instances"):
        if saved.get(key) != run_doc[key]:
            raise ValueError(
                f"train: cannot resume {out}: its {key} differ from this call's "
                f"({saved.get(key)!r} vs {run_doc[key]!r})"
            )
    path = out / CHECKPOINT_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"train: resume=True but {out} has no {CHECKPOINT_FILE} (the run stopped before its "
            "first validation); train it again without resume"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ValueError(
            f"train: cannot resume from {path}: not a readable checkpoint ({first})"
        ) from None


def _truncate_log(path: Path, step: int) -> None:
    """Keep the rows of ``log.csv`` up to ``step`` (the checkpoint's)."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    if not lines:
        return
    kept = [lines[0]]
    for line in lines[1:]:
        head = line.split(",", 1)[0].strip()
        try:
            if int(float(head)) <= step:
                kept.append(line)
        except ValueError:
            continue
    if len(kept) != len(lines):
        _write_atomic(path, "".join(kept))
