"""Smoke test: the throughput benchmark runs end to end from its command line and writes its
JSON (no speed is asserted: speed lives in benchmarks/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"


def test_throughput_benchmark_smoke(tmp_path):
    import inventory_gym

    out = tmp_path / "throughput.json"
    groups = "single,vector,reference,cartpole"
    args = ["--quick", "--groups", groups, "--sizes", "1,64", "--repeats", "1"]
    subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--target-seconds", "0.002", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.read_text())
    configurations = {row["configuration"] for row in result["rows"]}
    # Every registered id, found through the registration, in the single and vector groups.
    for env_id in inventory_gym.ENV_IDS:
        assert {f"gym.make {env_id}", f"native vector {env_id}"} <= configurations
        assert f"single_env_vs_cartpole[{env_id}]" in result["ratios"]
        assert f"vector_vs_cartpole_vector[{env_id},64]" in result["ratios"]
    assert "gym.make CartPole-v1" in configurations
    assert "native vector CartPole-v1" in configurations
    assert "vector_vs_reference_presampled[64]" in result["ratios"]
    assert "vector_vs_reference_own_sampler[64]" in result["ratios"]
    assert all(row["median_steps_per_s"] > 0 for row in result["rows"])
    assert result["settings"]["sizes"] == [1, 64] and result["settings"]["threads"] == 1
    assert "/" not in json.dumps(result["machine"])  # no paths in the machine description


def test_zipkin_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "lost_sales_zipkin.py"
    args = ["--quick", "--instances", "4:1", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "lost_sales_zipkin_quick.md").read_text()
    assert "| 3 | 4 | 1 | 4.0407 | 4.04 |" in text  # the DP optimum next to the published one
    rows = (tmp_path / "lost_sales_zipkin_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 9  # header + every policy


def test_dbp_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "dbp_zipkin.py"
    args = [
        "--quick",
        "--instances",
        "4:1",
        "--seconds",
        "1",
        "--cross-seconds",
        "1",
        "--kinds",
        "mlp",
        "--paths",
        "50",
        "--periods",
        "50",
        "--out",
        str(tmp_path),
    ]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "dbp_zipkin_quick.md").read_text()
    assert "| 4 | 1 | dbp-mlp | 4.0407 |" in text  # the DP optimum as the reference
    rows = (tmp_path / "dbp_zipkin_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 2  # header + the instance's network + the cross-instance one


def test_dbp_history_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "dbp_history.py"
    args = ["--quick", "--window", "8", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    rows = (tmp_path / "dbp_history_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 and rows[0].startswith("demand,p,L,optimum")


# About 20 s each: in the slow suite (make test-all), to keep the fast one near 5 minutes.
@pytest.mark.slow
def test_ppo_vs_dbp_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "ppo_vs_dbp.py"
    args = ["--quick", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "ppo_vs_dbp_quick.md").read_text()
    assert "| 4 | 1 | optimal | 4.0407 | 0.000 |" in text
    rows = (tmp_path / "ppo_vs_dbp_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 4  # header + optimal, best heuristic, PPO, DBP
    assert (tmp_path / "ppo_vs_dbp_quick.png").stat().st_size > 10_000


def test_sb3_collection_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "sb3_collection.py"
    subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    rows = (tmp_path / "sb3_collection_quick.csv").read_text().splitlines()
    assert rows[0].startswith("num_envs,adapter_steps_per_s,dummy_steps_per_s,speedup,")
    assert len(rows) == 2


# About 20 s each: in the slow suite (make test-all), to keep the fast one near 5 minutes.
@pytest.mark.slow
def test_dual_sourcing_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "dual_sourcing.py"
    args = ["--quick", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "dual_sourcing_quick.md").read_text()
    assert "| 2 | 10 | optimal | 19.7333 (published 19.73) | 0.000 |" in text
    rows = (tmp_path / "dual_sourcing_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 7  # optimal, four heuristics, DBP, PPO


def test_perishable_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "perishable_demoor.py"
    args = ["--quick", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "perishable_demoor_quick.md").read_text()
    # The exact optimum and best base-stock level on Farrington's published instance.
    assert "| 2 | 1 | LIFO | 7 | optimal | -1552.99 (62.5) | 0.000 |" in text
    assert "| base_stock | -1565.27 (62.9) |" in text and "S=5 (" in text
    rows = (tmp_path / "perishable_demoor_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 6  # optimal, three heuristics, DBP, PPO


@pytest.mark.slow
def test_perishable_exact_benchmark_smoke(tmp_path):
    """--exact: the published instance's optimum, its simulation check, a cache a rerun
    reads instead of solving again."""
    script = SCRIPT.parent / "perishable_demoor.py"
    args = ["--exact", "--quick", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "perishable_demoor_exact_quick.md").read_text()
    assert "| 2 | 1 | LIFO | 7 | 121 | -1552.99 (62.5) |" in text and "| -1553 (61) |" in text
    cached = tmp_path / "perishable_demoor_exact_quick" / "m2_L1_LIFO_w7.json"
    row = json.loads(cached.read_text())
    assert row["paths"] == 200 and abs(row["sim_z"]) < 4
    row["farrington"] = -1.0  # a rerun must read the cached row, not solve again
    cached.write_text(json.dumps(row))
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    assert "| 121 | 1.00 (62.5) |" in (tmp_path / "perishable_demoor_exact_quick.md").read_text()


def test_vn2_benchmark_smoke(tmp_path):
    pytest.importorskip("pandas", reason="panels need pandas (the data extra)")
    script = SCRIPT.parent / "vn2.py"
    subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    doc = json.loads((tmp_path / "vn2_quick.json").read_text())
    assert len(doc["windows"]) == 3 and doc["settings"]["steps"] == 3
    text = (tmp_path / "vn2_quick.md").read_text()
    assert "Pooled over the 2 test windows" in text
    for name in ("pto_moving_average", "pto_ets", "pto_lightgbm", "(best DBP) vs "):
        assert name in text


def test_nonstationary_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "nonstationary.py"
    args = ["--quick", "--structure-kinds", "mlp", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    doc = json.loads((tmp_path / "nonstationary_quick.json").read_text())
    assert len(doc["test"]) == 2 and doc["pto_selection"]["chosen"]
    assert all(row["oracle"]["cost"] > 0 for row in doc["test"])
    assert "| summary | value |" in (tmp_path / "nonstationary_quick.md").read_text()


@pytest.mark.slow
def test_procurement_removal_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "procurement_removal.py"
    args = ["--quick", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    text = (tmp_path / "procurement_removal_quick.md").read_text()
    assert "| default | optimal | 40.4185 | 0.000 |" in text
    assert "| default | never_remove | 43.0022 | 6.392 |" in text
    rows = (tmp_path / "procurement_removal_quick.csv").read_text().splitlines()
    assert len(rows) == 1 + 7  # optimal, three heuristics, DBP's two networks, PPO
    assert (tmp_path / "procurement_removal_quick.png").stat().st_size > 10_000


@pytest.mark.slow
def test_render_benchmark_smoke(tmp_path):
    script = SCRIPT.parent / "render.py"
    args = ["--quick", "--dpi", "20", "--out", str(tmp_path)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    doc = json.loads((tmp_path / "render_quick.json").read_text())
    import inventory_gym

    assert [row["id"] for row in doc["rows"]] == list(inventory_gym.ENV_IDS)
    assert all(
        row["frame_shape"] == [112, 200, 3] and row["frames_per_s"] > 0 for row in doc["rows"]
    )
    assert "| LostSales-v0 | 200x112 |" in (tmp_path / "render_quick.md").read_text()
