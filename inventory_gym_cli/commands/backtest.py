"""``inventory-gym backtest``: replay real periods of a sales file under named policies.

Every policy decides ``--rounds`` times from the period labelled ``--start`` on, seeing only
the history before each decision (:mod:`inventory_gym.data.backtest`); the score counts the
periods the decisions reach (from start + lead time on). Prints per policy the scored cost,
holding and shortage and the per-period costs, and draws them (``--plot``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inventory_gym_cli import options as o

NAME = "backtest"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from baselines.backtest import describe_policies
    from inventory_gym_cli.data import add_data_args

    p = sub.add_parser(
        NAME,
        help="replay the periods of a sales file under named policies (a causal backtest)",
        description="Replay --rounds decisions from the period --start of a sales file: at "
        "each decision a policy sees the state and the history strictly before it; the actual "
        "sales are served as demand (out-of-stock periods: demand imputed from the series' "
        "earlier in-stock periods) and the periods from start + lead time on are scored. "
        f"Policies: {describe_policies()}.",
    )
    p.add_argument("env", metavar="ENV", help="registered env id, e.g. LostSalesLeadTime-v0")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="env keyword override")
    add_data_args(p, required=True, initial=True)
    p.add_argument("--start", required=True, metavar="DATE", help="period of the first decision")
    p.add_argument("--rounds", required=True, type=int, help="decisions per series")
    p.add_argument("--policies", required=True, metavar="NAME,NAME", help="policies to backtest")
    p.add_argument("--load", metavar="DIR", help="trained policy directory (for dbp)")
    p.add_argument(
        "--window",
        type=int,
        default=None,
        help="periods of history in each observation (default: all before the decision)",
    )
    p.add_argument(
        "--warm-up",
        type=int,
        default=0,
        metavar="PERIODS",
        help="without --initial-state: the start state is what vn2_benchmark leaves after "
        "PERIODS periods before --start from an empty state (default 0: empty)",
    )
    p.add_argument("--orders-out", metavar="DIR", help="write DIR/<policy>.csv with the orders")
    p.add_argument("--plot", metavar="FILE", help="draw the per-period costs into FILE (png)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    o.add_threads(p)
    p.set_defaults(func=run)
    return p


def build_policies(names: list[str], instance: Any, window: int, load: str | None) -> dict:
    from baselines.backtest import BACKTEST_POLICIES, BacktestContext

    context = BacktestContext(instance, window, load)
    out = {}
    for name in names:
        if name not in BACKTEST_POLICIES:
            raise o.CLIError(
                f"--policies: unknown policy {name!r}; known: {', '.join(BACKTEST_POLICIES)}"
            )
        try:
            out[name] = BACKTEST_POLICIES[name](context)
        except (ValueError, FileNotFoundError) as err:
            raise o.CLIError(f"{name}: {err}") from None
    return out


def start_state(args: argparse.Namespace, panel: Any, instance: Any, start: int) -> Any:
    from baselines.backtest import VN2Benchmark
    from inventory_gym.data.backtest import read_initial_state, warm_state

    lead = int(getattr(instance.params, "lead_time", 0))
    if args.initial_state:
        return read_initial_state(args.initial_state, panel, lead)
    if getattr(args, "warm_up", 0):
        return warm_state(
            panel, VN2Benchmark(instance), instance, start=start, periods=args.warm_up
        )
    return None


def write_orders(path: Path, panel: Any, orders: Any, dates: Any) -> None:
    """``path``: the id columns, then one column per round (its decision period's date)."""
    frame = panel.id_frame()
    for k in range(orders.shape[1]):
        frame[str(dates[k])] = orders[:, k].astype(int)
    tmp = path.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    from inventory_gym.data.backtest import backtest
    from inventory_gym_cli.data import load_panel, panel_instance, period

    names = [n.strip() for n in args.policies.split(",") if n.strip()]
    if not names:
        raise o.CLIError("--policies: give at least one name")
    if args.rounds < 1:
        raise o.CLIError(f"--rounds must be >= 1, got {args.rounds}")
    panel = load_panel(args)
    inst = panel_instance(args, panel)
    start = period(panel, args.start, "--start")
    window = start if args.window is None else args.window
    if window < 0:
        raise o.CLIError(f"--window must be >= 0, got {args.window}")
    policies = build_policies(names, inst, window, args.load)
    for name, policy in policies.items():
        until = getattr(policy, "meta", {}).get("trained_until")
        if until is not None and str(until) >= str(panel.dates[start]):
            raise o.CLIError(
                f"{name} was trained on the periods up to {until}, which reach the backtest's "
                f"start {panel.dates[start]}: retrain it with --until before the start"
            )
    initial = start_state(args, panel, inst, start)
    bar = None
    if o.progress(args):
        from tqdm.auto import tqdm

        bar = tqdm(total=len(names) * args.rounds, desc="backtest", unit="decision", leave=False)
    results = {}
    try:
        for name, policy in policies.items():
            results[name] = backtest(
                panel,
                policy,
                inst,
                start=start,
                rounds=args.rounds,
                window=window,
                initial=initial,
                panel_static=False,
                on_decision=(lambda _k: bar.update(1)) if bar is not None else None,
            )
    finally:
        if bar is not None:
            bar.close()
    first = next(iter(results.values()))
    scored = [str(d) for d in first.dates[first.first_scored :]]
    if args.orders_out:
        out = Path(args.orders_out)
        out.mkdir(parents=True, exist_ok=True)
        for name, res in results.items():
            write_orders(out / f"{name}.csv", panel, res.orders, first.dates)
    if args.plot:
        plot(Path(args.plot), results, scored)
    if args.json:
        doc = {
            "policies": {name: res.to_dict() for name, res in results.items()},
            "scored_periods": scored,
            "bounds": [n for n, r in results.items() if r.bound],
            "series": panel.n_series,
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(
        f"backtest of {panel.n_series} series: {args.rounds} decisions from {panel.dates[start]}, "
        f"periods {scored[0]} .. {scored[-1]} scored (costs summed over the series)"
    )
    width = max(len(n) + (8 if r.bound else 0) for n, r in results.items()) + 2
    print(f"{'policy':<{width}}{'cost':>12}{'holding':>12}{'shortage':>12}  per period")
    for name, res in results.items():
        label = name + (" (bound)" if res.bound else "")
        per = " ".join(f"{c:.0f}" for c in res.periods)
        print(
            f"{label:<{width}}{res.cost:>12.1f}{res.holding_cost:>12.1f}"
            f"{res.shortage_cost:>12.1f}  {per}"
        )
    if args.orders_out:
        print(f"orders written to {args.orders_out}/<policy>.csv")
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0


def plot(path: Path, results: dict, scored: list[str]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise o.CLIError("--plot needs matplotlib: pip install '.[plot]'") from None
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, res in results.items():
        style = "--" if res.bound else "-"
        ax.plot(scored, res.periods, style, marker="o", label=f"{name} ({res.cost:.0f})")
    ax.set_ylabel("cost of the period (all series)")
    ax.set_xlabel("period")
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
