"""The README's code blocks run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index):
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {})


def test_demo_runs_small(capsys):
    from inventory_gym import demo

    demo.main(["--levels", "27", "28", "--num-envs", "50", "--periods", "60", "--burn-in", "10"])
    out = capsys.readouterr().out
    assert "best S = " in out and "Zipkin" in out
