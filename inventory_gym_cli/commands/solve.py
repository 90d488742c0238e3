"""``inventory-gym solve``: the exact optimum by dynamic programming, saved as a policy table."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inventory_gym_cli import options as o

NAME = "solve"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="exact dynamic programming; prints the optimal cost, saves the policy",
        description="Solve the instance exactly (relative value iteration for the "
        "average cost, value iteration with --discount) on Zipkin's state bounds.",
    )
    o.add_instance_args(p, simulate=False)
    p.add_argument(
        "--margin", type=int, default=0, help="widen the state bounds by this many units"
    )
    p.add_argument(
        "--out", help="where to save the policy (.npz; default results/<instance>_dp.npz)"
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from baselines import exact as solvers

    inst = o.instance_of(args)
    kwargs = inst.kwargs
    out = Path(args.out) if args.out else Path("results") / f"{o.slug(args.env, kwargs)}_dp.npz"
    o.check_out_file("--out", out)
    reason = solvers.unavailable(inst.problem, inst.params, args.discount)
    if reason is not None:
        raise o.CLIError(f"solve: {reason}")
    try:
        solution = solvers.solver(inst.problem).solve(
            inst.params, discount=args.discount, margin=args.margin, progress=o.progress(args)
        )
    except ValueError as err:
        raise o.CLIError(f"solve: {err}") from None
    path = solution.save(out)
    doc = {
        "env": args.env,
        "env_kwargs": kwargs,
        "cost": solution.cost,
        "stderr": 0.0,
        "bounds": list(solution.bounds),
        "discount": solution.discount,
        "iterations": solution.iterations,
        "seconds": solution.seconds,
        "threads": o.threads(args),
        "grid": list(solution.grid_shape),
        "policy_file": str(path),
    }
    # The same per-policy shape as `evaluate` and `compare` (exact: its standard error is 0).
    doc["policies"] = {
        "optimal": {"cost": solution.cost, "stderr": 0.0, "exact_cost": solution.cost}
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    kind = "average cost per period" if args.discount is None else "discounted cost from start"
    print(f"{args.env} {kwargs or ''}".strip())
    print(
        f"  optimal {kind}: {solution.cost:.6f}  "
        f"(bounds {solution.bounds[0]:.6f}..{solution.bounds[1]:.6f})"
    )
    print(
        f"  {solution.iterations} iterations in {solution.seconds:.2f} s on a grid of "
        f"{solution.grid_shape} states ({o.threads(args) or 'default'} thread(s))"
    )
    print(f"  policy saved to {path}  (evaluate it: {o.PROG} evaluate {args.env} --load {path})")
    return 0
