"""``inventory-gym list``: the registered envs, their defaults and their policies."""

from __future__ import annotations

import argparse
import json
from typing import Any

import inventory_gym
from inventory_gym.core.instance import make_instance
from inventory_gym_cli.options import plain

NAME = "list"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="the registered envs, their defaults and policies")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from baselines.registry import entries

    rows = []
    for env_id in inventory_gym.ENV_IDS:
        inst = make_instance(env_id)
        params = inst.params
        fields = {
            name: getattr(params, name)
            for name in params.__dataclass_fields__
            if not name.startswith("initial")
        }
        fields["max_order"] = getattr(params, "order_cap", fields.get("max_order"))
        notes = [reg.note for reg in inst.problem.registrations if reg.id == env_id]
        rows.append(
            {
                "id": env_id,
                "problem": inst.problem.name,
                "max_episode_steps": inst.max_episode_steps,
                "about": notes[0] if notes else "",
                "defaults": {k: plain(v) for k, v in fields.items()},
                "policies": list(entries(inst.problem)),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']}  ({row['problem']}, episodes of {row['max_episode_steps']} periods)")
        if row["about"]:
            print(f"  about: {row['about']}")
        print("  defaults: " + ", ".join(f"{k}={v}" for k, v in row["defaults"].items()))
        print("  policies: " + ", ".join(row["policies"]))
    print(
        "\nOverride any default with --set key=value, e.g. --set lead_time=1 "
        "--set 'demand=geometric(5)' (quoted: bash reads the parentheses)"
    )
    return 0
