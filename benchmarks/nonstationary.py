"""Demand that changes over time: DirectBackprop across products against the oracle DP and
predict-then-optimize (issue 15).

Lost sales (h = 1, p = 9, lead time 2), products drawn by
:class:`inventory_gym.demand.ProductGenerator` (seasonal, trend, regime switch at a random
change point, life cycle; Poisson or negative binomial), an episode of ``--horizon`` periods
from the empty state after a ``--window``-period demand history (the episode's first period is
demand period ``window``). Every policy is an ordinary harness policy scored on common random
numbers:

- ``oracle``: each product's finite-horizon DP (:mod:`baselines.lost_sales.horizon`), which
  knows the distribution; its exact cost is the reference of every gap;
- ``pto``: order-up-to on a forecast from the history (:mod:`baselines.pto`); its forecaster
  and quantile are chosen on *validation* products (never on the test products); ``pto_best``
  is the best of the forecasters per test product (generous to predict-then-optimize);
- ``dbp``: one network (``--kind``) trained on ``--train-products`` generator products from
  their history window and static features only, ``--seeds`` seeds, tested on
  ``--test-products`` fresh products.

Then the structure-informed comparison out of sample: the plain MLP, the monotone network and
the base-stock-output network trained on a narrow set of seasonal products and tested on
products like them (in sample) and on products shifted away (other amplitude, mean, season
length and lost-sales cost). A lead time not seen in training is not tested: a network's state
input has the width of its training lead time.

Writes ``benchmarks/results/nonstationary.json`` (every number, after each stage),
``nonstationary.md`` (the tables) and ``nonstationary.png`` (the figure). ``--quick`` is a
smoke test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from baselines.lost_sales import horizon
from baselines.pto import make_pto
from inventory_gym import make_instance
from inventory_gym.demand import ProductGenerator
from inventory_gym.evaluation import compare, evaluate
from inventory_gym.threads import set_threads

ENV = "LostSalesLeadTime-v0"
RESULTS = Path(__file__).parent / "results"
FORECASTS = [
    ("moving_average", {"n": 4}),
    ("moving_average", {"n": 8}),
    ("moving_average", {"n": 16}),
    ("moving_average", {}),
    ("exp_smoothing", {"alpha": 0.1}),
    ("exp_smoothing", {"alpha": 0.3}),
    ("exp_smoothing", {"alpha": 0.5}),
    ("seasonal_naive", {"season": 13}),
    ("seasonal_naive", {"season": 26}),
]
DISTRIBUTIONS = ("poisson", "negbin", "normal", "empirical")


def label(fc: str, opts: dict[str, Any], dist: str) -> str:
    extra = ",".join(f"{k}={v}" for k, v in opts.items())
    return f"{fc}({extra})/{dist}"


def kwargs_of(model: Any, args: argparse.Namespace, **more: Any) -> dict[str, Any]:
    return {"lead_time": args.lead_time, "demand": model, "demand_window": args.window, **more}


def score(policy: Any, inst: Any, args: argparse.Namespace, seed: int) -> Any:
    return evaluate(policy, inst, num_paths=args.paths, periods=args.horizon, burn_in=0, seed=seed)


def oracle(inst: Any, args: argparse.Namespace, seed: int) -> tuple[Any, Any]:
    result = horizon.solve(inst.params, args.horizon, offset=args.window)
    return result, score(result.policy(), inst, args, seed)


def gap(ev: Any, ref_ev: Any, exact: float) -> dict[str, float]:
    """Gap to the oracle in percent of its exact cost, with the paired 95% interval."""
    c = compare(ev, ref_ev)
    lo, hi = c.ci95
    return {
        "cost": ev.cost,
        "gap": 100 * (ev.cost - exact) / exact,
        "ci": [100 * (lo + ref_ev.cost - exact) / exact, 100 * (hi + ref_ev.cost - exact) / exact],
    }


def mean_ci(values: list[float]) -> tuple[float, float]:
    x = np.asarray(values, dtype=np.float64)
    half = 1.96 * x.std(ddof=1) / math.sqrt(x.size) if x.size > 1 else float("nan")
    return float(x.mean()), float(half)


def dbp_config(args: argparse.Namespace, seed: int, batch: int) -> Any:
    from dbp import TrainConfig

    return TrainConfig(
        max_steps=args.steps,
        batch_size=batch,
        horizon=args.horizon,
        burn_in=0,
        carry_state=False,
        learning_rate=args.lr,
        eval_every=max(args.steps // 4, 1),
        eval_paths=32,
        eval_periods=args.horizon,
        eval_burn_in=0,
        threads=args.threads,
        seed=seed,
    )


def train_dbp(models: list[Any], kind: str, args: argparse.Namespace, seed: int, **more: Any):
    from dbp import train

    pairs = [(ENV, kwargs_of(m, args, **more)) for m in models]
    return train(
        pairs, kind, dbp_config(args, seed, args.batch), window=args.window, progress=False
    )


def trained(
    out: Path, tag: str, models: list[Any], kind: str, args: argparse.Namespace, seed: int
) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """A DBP policy trained once and kept in ``out/<tag>/`` with its learning curve, so that an
    interrupted run, or a run split over processes (``--train-only`` per seed), resumes from
    the policies already trained. A policy kept under other settings is refused."""
    from dbp import DBPPolicy, is_saved_policy

    folder = out / tag
    meta_file = folder / "training.json"
    settings = {
        "kind": kind,
        "seed": seed,
        "steps": args.steps,
        "batch": args.batch,
        "lr": args.lr,
        "products": [m.spec for m in models],
        "lead_time": args.lead_time,
        "window": args.window,
        "horizon": args.horizon,
    }
    if is_saved_policy(folder) and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta["settings"] != settings:
            raise SystemExit(
                f"nonstationary.py: {folder} holds a policy trained under other settings; "
                "remove it or choose another --out"
            )
        return DBPPolicy.load(folder), meta["curve"], meta
    t0 = time.perf_counter()
    res = train_dbp(models, kind, args, seed)
    curve = [{"step": r.get("step"), "val_cost": r.get("val_cost")} for r in res.log]
    meta = {
        "settings": settings,
        "curve": curve,
        "trained_steps": res.steps,
        "seconds": time.perf_counter() - t0,
        "threads": args.threads,
    }
    res.policy.save(folder)
    tmp = meta_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    tmp.replace(meta_file)
    return res.policy, curve, meta


def choose_pto(val_insts: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """The forecaster and quantile with the lowest mean gap on the validation products."""
    gaps: dict[str, list[float]] = {}
    for inst in val_insts:
        exact = horizon.solve(inst.params, args.horizon, offset=args.window).cost
        for fc, opts in FORECASTS:
            for dist in DISTRIBUTIONS:
                policy = make_pto(
                    inst, forecaster=fc, distribution=dist, window=args.window, **opts
                )
                cost = score(policy, inst, args, seed=args.val_seed).cost
                gaps.setdefault(label(fc, opts, dist), []).append(100 * (cost - exact) / exact)
    means = {k: float(np.mean(v)) for k, v in gaps.items()}
    best = min(means, key=means.get)
    return {"chosen": best, "validation_gaps": means}


def structure_study(args: argparse.Namespace, doc: dict[str, Any], save: Any) -> None:
    """The three network kinds on a narrow training set, in and out of sample (each trained
    for ``--structure-steps``)."""
    steps = args.steps
    args.steps = args.structure_steps
    try:
        _structure_study(args, doc, save)
    finally:
        args.steps = steps


def _structure_study(args: argparse.Namespace, doc: dict[str, Any], save: Any) -> None:
    narrow = ProductGenerator(
        families=("seasonal",),
        mean=(4.0, 6.0),
        amplitude=(0.3, 0.4),
        periods=(13,),
        negbin_share=0.0,
    )
    shifted = ProductGenerator(
        families=("seasonal",),
        mean=(8.0, 12.0),
        amplitude=(0.6, 0.8),
        periods=(26,),
        negbin_share=0.0,
    )
    train_models = narrow.models(np.random.default_rng(101), args.structure_train)
    sets = {
        "in_sample": (narrow.models(np.random.default_rng(102), args.structure_test), {}),
        "out_of_sample": (
            shifted.models(np.random.default_rng(103), args.structure_test),
            {"lost_sales_cost": 4.0},
        ),
    }
    refs: dict[str, list[Any]] = {}
    for name, (models, more) in sets.items():
        if args.train_only:
            break
        refs[name] = []
        for m in models:
            inst = make_instance(ENV, kwargs_of(m, args, **more))
            result, ev = oracle(inst, args, seed=args.test_seed)
            refs[name].append((inst, result.cost, ev))
    out: dict[str, Any] = {"train_products": [m.spec for m in train_models], "kinds": {}}
    for kind in args.structure_kinds:
        policies, metas = [], []
        for seed in args.structure_seeds:
            policy, _, meta = trained(
                Path(args.out),
                f"{stem_of(args)}_structure_{kind}_seed{seed}",
                train_models,
                kind,
                args,
                seed,
            )
            policies.append(policy)
            metas.append(meta)
        if args.train_only:
            print(f"structure {kind}: trained", flush=True)
            continue
        row: dict[str, Any] = {
            "steps": metas[0]["trained_steps"],
            "seeds": list(args.structure_seeds),
            "seconds": [m["seconds"] for m in metas],
        }
        for name, items in refs.items():
            # per product, the mean gap over the seeds
            gaps = [
                float(
                    np.mean(
                        [
                            gap(score(p, inst, args, args.test_seed), ev, exact)["gap"]
                            for p in policies
                        ]
                    )
                )
                for inst, exact, ev in items
            ]
            row[name] = {"gaps": gaps, "mean": mean_ci(gaps)}
        out["kinds"][kind] = row
        print(
            f"structure {kind}: in {row['in_sample']['mean'][0]:.2f}% "
            f"out {row['out_of_sample']['mean'][0]:.2f}%",
            flush=True,
        )
        doc["structure"] = out
        save()


def plot(doc: dict[str, Any], args: argparse.Namespace, demo: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    t = np.arange(args.horizon)
    ax.plot(t, demo["mean"], "k--", label="mean demand (unknown to the policies)")
    for name, style in (("oracle", "-"), ("dbp", "-"), ("pto", ":")):
        ax.plot(t, demo[name], style, label=f"{name} order")
    ax.set_title(f"one path of {demo['product']}")
    ax.set_xlabel("period")
    ax.legend(fontsize=7)
    ax = axes[1]
    products = doc["test"]
    order = np.argsort([p["oracle"]["cost"] for p in products])
    x = np.arange(len(products))
    ax.bar(x - 0.2, [products[i]["dbp"]["gap"] for i in order], 0.4, label="DBP (mean of seeds)")
    ax.bar(x + 0.2, [products[i]["pto"]["gap"] for i in order], 0.4, label="best PTO (validated)")
    ax.set_xticks(x, [products[i]["family"][:4] for i in order], rotation=90, fontsize=7)
    ax.set_ylabel("gap to the oracle DP (%)")
    ax.set_title("test products")
    ax.legend(fontsize=8)
    ax = axes[2]
    for seed, log in doc.get("learning_curves", {}).items():
        steps = [r["step"] for r in log if r.get("val_cost") is not None]
        vals = [r["val_cost"] for r in log if r.get("val_cost") is not None]
        ax.plot(steps, vals, "o-", label=f"seed {seed} validation cost")
    ax.set_xlabel("gradient step")
    ax.set_title("DBP learning curves")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def demo_path(inst: Any, oracle_result: Any, dbp_policy: Any, pto_policy: Any, args) -> dict:
    """Orders of the three policies along one demand path (common random numbers)."""
    out: dict[str, Any] = {"product": inst.params.demand.spec}
    out["mean"] = list(
        map(float, inst.params.demand.mean_at(args.window + np.arange(args.horizon)))
    )
    for name, policy in (
        ("oracle", oracle_result.policy()),
        ("dbp", dbp_policy),
        ("pto", pto_policy),
    ):
        import gymnasium as gym

        kw = {**inst.kwargs, **getattr(policy, "env_options", {})}
        env = gym.make_vec(ENV, num_envs=1, vectorization_mode="vector_entry_point", **kw)
        obs, _ = env.reset(seed=5)
        if hasattr(policy, "reset"):
            policy.reset()
        orders = []
        for _ in range(args.horizon):
            a = np.rint(np.asarray(policy(obs), dtype=np.float64).reshape(1, -1))
            orders.append(float(a[0, 0]))
            obs, *_ = env.step(a)
        out[name] = orders
    return out


def write_markdown(doc: dict[str, Any], path: Path) -> None:
    lines = [f"Settings: {json.dumps(doc['settings'])}", ""]
    lines += [
        "| product | oracle (exact) | DBP gap % (seeds, 95% CI of seed 0) | best PTO gap % "
        "[paired 95% CI] | PTO best per product % | DBP below PTO % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for p in doc["test"]:
        d, b = p["dbp"], p["pto"]
        seeds = ", ".join(f"{g:.1f}" for g in d["seed_gaps"])
        lines.append(
            f"| {p['product']} | {p['oracle']['cost']:.3f} | {d['gap']:.1f} "
            f"({seeds}; [{d['ci'][0]:.1f}, {d['ci'][1]:.1f}]) "
            f"| {b['gap']:.1f} [{b['ci'][0]:.1f}, {b['ci'][1]:.1f}] | {p['pto_best']['gap']:.1f} "
            f"| {p['dbp_vs_pto']:.1f} |"
        )
    s = doc.get("summary", {})
    if s:
        lines += ["", "| summary | value |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in s.items()]
    st = doc.get("structure")
    if st:
        lines += [
            "",
            "| network | steps | seeds | in-sample gap % (mean ± 95%) | out-of-sample gap % |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind, row in st["kinds"].items():
            i, o = row["in_sample"]["mean"], row["out_of_sample"]["mean"]
            lines.append(
                f"| {kind} | {row['steps']} | {len(row.get('seeds', [0]))} "
                f"| {i[0]:.1f} ± {i[1]:.1f} "
                f"| {o[0]:.1f} ± {o[1]:.1f} |"
            )
    path.write_text("\n".join(lines) + "\n")


def stem_of(args: argparse.Namespace) -> str:
    return "nonstationary_quick" if args.quick else "nonstationary"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-products", type=int, default=32)
    parser.add_argument("--val-products", type=int, default=6)
    parser.add_argument("--test-products", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="DBP gradient steps (300)")
    parser.add_argument("--batch", type=int, default=1024, help="DBP paths per step (1024)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--kind", default="mlp", help="the DBP network (mlp)")
    parser.add_argument("--lead-time", type=int, default=2)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--horizon", type=int, default=52)
    parser.add_argument("--paths", type=int, default=300, help="test paths per product (300)")
    parser.add_argument("--structure-train", type=int, default=12)
    parser.add_argument("--structure-test", type=int, default=6)
    parser.add_argument("--structure-kinds", nargs="*", default=["mlp", "monotone", "base_stock"])
    parser.add_argument("--structure-steps", type=int, default=200)
    parser.add_argument("--val-seed", type=int, default=17)
    parser.add_argument("--test-seed", type=int, default=29)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--structure-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--skip-structure", action="store_true")
    parser.add_argument(
        "--skip-main", action="store_true", help="with --train-only: the structure study only"
    )
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="train (and keep in --out) the DBP policies of the given seeds, then stop: "
        "run one process per seed, then the full command, which loads them",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick:
        args.train_products, args.val_products, args.test_products = 3, 1, 2
        args.seeds, args.steps, args.batch, args.paths = [0], 2, 48, 20
        args.structure_train, args.structure_test, args.structure_steps = 2, 1, 2
        args.structure_seeds = [0]
        args.horizon = 20
    set_threads(args.threads, torch=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem_of(args)
    doc: dict[str, Any] = {"settings": {k: v for k, v in vars(args).items() if k != "out"}}
    doc["settings"]["machine"] = "shared 2-core CPU, loaded by other jobs (1 thread)"

    def save() -> None:
        (out / f"{stem}.json").write_text(json.dumps(doc, indent=1))

    # Issue 15's speed target: the exact DP of a 52-period seasonal instance with L = 2.
    dp_inst = make_instance(ENV, {"lead_time": 2, "demand": "seasonal(8,0.5,52,0,2)"})
    t0 = time.perf_counter()
    horizon.solve(dp_inst.params, 52)
    doc["dp_seconds"] = {
        "instance": "seasonal(8,0.5,52,0,2), L = 2, 52 periods",
        "seconds": time.perf_counter() - t0,
    }
    gen = ProductGenerator(periods=(13, 26), horizon=args.horizon)
    train_models = gen.models(np.random.default_rng(1), args.train_products)
    val_models = gen.models(np.random.default_rng(2), args.val_products)
    test_models = gen.models(np.random.default_rng(3), args.test_products)
    if args.train_only:
        val_models = []
    t0 = time.perf_counter()
    val_insts = [make_instance(ENV, kwargs_of(m, args)) for m in val_models]
    if not args.train_only:
        doc["pto_selection"] = choose_pto(val_insts, args)
        chosen = doc["pto_selection"]["chosen"]
        dist = chosen.partition("/")[2]
        (fc, opts) = next((f, o) for f, o in FORECASTS if label(f, o, dist) == chosen)
        print(f"PTO chosen on validation: {chosen} ({time.perf_counter() - t0:.0f} s)", flush=True)
        save()

    if args.train_only and args.skip_main:
        structure_study(args, doc, save)
        return 0
    policies, curves, seconds = [], {}, {}
    for seed in args.seeds:
        policy, curve, meta = trained(
            out, f"{stem}_dbp_seed{seed}", train_models, args.kind, args, seed
        )
        policies.append(policy)
        curves[seed] = curve
        seconds[seed] = meta["seconds"]
        print(
            f"DBP seed {seed}: {meta['trained_steps']} steps in {meta['seconds']:.0f} s", flush=True
        )
    if args.train_only:
        if not args.skip_structure:
            structure_study(args, doc, save)
        return 0
    doc["learning_curves"] = curves
    doc["dbp_training"] = {
        "steps": args.steps,
        "batch": args.batch,
        "seeds": args.seeds,
        "train_products": args.train_products,
        "seconds_per_seed": seconds,
        "threads": args.threads,
    }
    save()

    rows = []
    demo = None
    for m in test_models:
        inst = make_instance(ENV, kwargs_of(m, args))
        result, ref = oracle(inst, args, seed=args.test_seed)
        row: dict[str, Any] = {"product": m.spec, "family": type(m).__name__}
        row["oracle"] = {"cost": result.cost, "simulated": ref.cost}
        seed_evs = [score(p, inst, args, args.test_seed) for p in policies]
        seed_gaps = [gap(ev, ref, result.cost)["gap"] for ev in seed_evs]
        row["dbp"] = {**gap(seed_evs[0], ref, result.cost), "seed_gaps": seed_gaps}
        row["dbp"]["gap"] = float(np.mean(seed_gaps))
        pto = make_pto(inst, forecaster=fc, distribution=dist, window=args.window, **opts)
        pto_ev = score(pto, inst, args, args.test_seed)
        row["pto"] = gap(pto_ev, ref, result.cost)
        bests = []
        for f, o in FORECASTS:
            ev = score(
                make_pto(inst, forecaster=f, distribution=dist, window=args.window, **o),
                inst,
                args,
                args.test_seed,
            )
            bests.append((ev.cost, label(f, o, dist), ev))
        best = min(bests, key=lambda b: b[0])
        row["pto_best"] = {**gap(best[2], ref, result.cost), "policy": best[1]}
        dbp_cost = float(np.mean([ev.cost for ev in seed_evs]))
        row["dbp_vs_pto"] = 100 * (pto_ev.cost - dbp_cost) / pto_ev.cost
        rows.append(row)
        if demo is None and type(m).__name__ == "Seasonal":
            demo = demo_path(inst, result, policies[0], pto, args)
        print(
            f"{m.spec}: oracle {result.cost:.3f} dbp {row['dbp']['gap']:.1f}% "
            f"pto {row['pto']['gap']:.1f}%",
            flush=True,
        )
        doc["test"] = rows
        save()
    dbp_gaps = [r["dbp"]["gap"] for r in rows]
    below = [r["dbp_vs_pto"] for r in rows]
    doc["summary"] = {
        "test products": len(rows),
        "DBP mean gap % (95% over products)": "{:.2f} ± {:.2f}".format(*mean_ci(dbp_gaps)),
        "DBP worst gap %": f"{max(dbp_gaps):.2f}",
        "validated PTO mean gap %": "{:.2f} ± {:.2f}".format(
            *mean_ci([r["pto"]["gap"] for r in rows])
        ),
        "PTO best-per-product mean gap %": f"{np.mean([r['pto_best']['gap'] for r in rows]):.2f}",
        "DBP below validated PTO, mean %": f"{np.mean(below):.2f}",
        "DBP better than validated PTO on": f"{sum(b > 0 for b in below)}/{len(rows)}",
        "DBP better than PTO best-per-product on": (
            f"{sum(r['dbp']['gap'] < r['pto_best']['gap'] for r in rows)}/{len(rows)}"
        ),
    }
    save()
    if demo is not None:
        doc["demo_path"] = demo
    if not args.skip_structure:
        structure_study(args, doc, save)
    save()
    write_markdown(doc, out / f"{stem}.md")
    if demo is not None:
        plot(doc, args, demo, out / f"{stem}.png")
    print((out / f"{stem}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
