"""Render benchmark: frames per second of ``render_mode="rgb_array"`` for every registered env.

Run it from the repository root::

    .venv/bin/python benchmarks/render.py            # 200 frames an id, about a minute
    .venv/bin/python benchmarks/render.py --quick    # smoke run, 10 frames an id

For each id (found through the registration, so a new problem is measured without touching
this script), one env through ``gym.make(id, render_mode="rgb_array")`` at the default size
(800 x 450 pixels) steps with random actions and renders after every step, as Gymnasium's
``RecordVideo`` does. Timed separately: the first frame (the figure is made and drawn),
the steady frames (``step`` + ``render``: the artists are updated and blitted onto the kept
background, with a full redraw whenever a scale grows: random orders pile up stock in some
problems, so their scales grow more often than under a sensible policy), and ``step`` alone
on the same env without a render mode, for comparison. The load average of the machine is
written with the numbers: frames per second depend on it.

Writes ``render.json`` and ``render.md`` to ``--out`` (default ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import inventory_gym
from inventory_gym.core.render import DEFAULT_DPI

RESULTS = Path(__file__).resolve().parent / "results"


def measure(env_id: str, frames: int, dpi: int, seed: int = 0) -> dict:
    env = gym.make(env_id, render_mode="rgb_array", render_dpi=dpi)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(frames)]
    start = time.perf_counter()
    first = env.render()
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
        env.render()
    steady_s = time.perf_counter() - start
    full_draws = env.unwrapped._renderer.full_draws
    env.close()

    plain = gym.make(env_id)
    plain.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        plain.step(action)
    step_s = time.perf_counter() - start
    return {
        "id": env_id,
        "frame_shape": list(first.shape),
        "frames": frames,
        "first_frame_s": first_s,
        "frames_per_s": frames / steady_s,
        "ms_per_frame": 1000 * steady_s / frames,
        "full_redraws": full_draws,
        "steps_per_s_without_render": frames / step_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=200, help="frames an id (200)")
    parser.add_argument("--dpi", type=int, default=DEFAULT_DPI, help="dots per inch (80)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10 frames an id")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    args = parser.parse_args(argv)
    frames = 10 if args.quick else args.frames
    load_before = os.getloadavg()
    rows = [measure(env_id, frames, args.dpi) for env_id in inventory_gym.ENV_IDS]
    doc = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15_min_before": list(load_before),
            "load_average_1_5_15_min_after": list(os.getloadavg()),
        },
        "dpi": args.dpi,
        "rows": rows,
        "median_frames_per_s": float(np.median([r["frames_per_s"] for r in rows])),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "render_quick" if args.quick else "render"
    (out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = [
        f"# render_mode='rgb_array': frames per second (dpi {args.dpi})",
        "",
        f"{doc['machine']['cpus']} CPUs, load average {load_before[0]:.1f} (1 min) before the "
        "run: frames per second scale with the CPU time the machine leaves.",
        "",
        "| id | frame | first frame (s) | frames/s (step + render) | ms/frame "
        "| full redraws | steps/s, no render |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        h, w, _ = r["frame_shape"]
        lines.append(
            f"| {r['id']} | {w}x{h} | {r['first_frame_s']:.2f} | {r['frames_per_s']:.1f} | "
            f"{r['ms_per_frame']:.1f} | {r['full_redraws']} | "
            f"{r['steps_per_s_without_render']:.0f} |"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
