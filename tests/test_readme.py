"""The README's code blocks run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


NUMBER = re.compile(r"(?<![\w.])\d+\.\d{3,}")


def printed_numbers(block):
    """The numbers (3 decimals or more) that the comments of a block say its prints show: on
    a ``print(...)`` line and on the comment lines right after it."""
    found, after_print = [], False
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        if code.strip().startswith("print("):
            after_print = True
        elif code.strip():
            after_print = False
        if after_print and comment:
            found += NUMBER.findall(comment.split("(the optimum")[0])
    return found


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, capsys):
    """Each python block runs as written, and the numbers its comments show are printed."""
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {})
    out = capsys.readouterr().out
    for number in printed_numbers(BLOCKS[index]):
        assert number in out, f"README block {index} says {number}; it printed:\n{out}"


# -- the README's command blocks ---------------------------------------------------------------
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)


def _commands(block):
    """The command lines of a bash block, without their comments: continued lines joined,
    the block's own variables (``D=...``) substituted, assignments left out."""
    import re
    import shlex

    out = []
    variables: dict[str, str] = {}
    text = re.sub(r"\\\n", " ", block)
    for line in text.splitlines():
        assignment = re.fullmatch(r"\s*([A-Za-z_]\w*)=(.*)", line)
        if assignment:
            value = shlex.split(assignment.group(2), comments=True)
            variables[assignment.group(1)] = " ".join(value)
            continue
        line = re.sub(
            r"\$\{?([A-Za-z_]\w*)\}?", lambda m: variables.get(m.group(1), m.group(0)), line
        )
        words = shlex.split(line, comments=True)
        if words:
            out.append(words)
    return out


@pytest.mark.parametrize("index", range(len(BASH_BLOCKS)))
def test_readme_command_block_parses_and_names_what_it_wrote(index, tmp_path):
    """Every command block is valid bash, every ``inventory-gym`` line parses with the
    command's own parser, and every ``--load`` names a file an earlier line writes (or that
    the README's setup writes). The blocks run verbatim in the slow test below."""
    import subprocess

    from inventory_gym_cli.main import build_parser

    block = BASH_BLOCKS[index]
    check = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    parser = build_parser()
    written: set[str] = set()
    for words in _commands(block):
        if words[0] != "inventory-gym":
            assert words[0] == "make", words
            continue
        args = parser.parse_args(words[1:])
        load = getattr(args, "load", None)
        if load is not None:
            assert load in written, f"{' '.join(words)}: no line before it writes {load}"
        out = getattr(args, "out", None)
        if args.command in ("solve", "train"):
            from inventory_gym_cli.options import instance_of, slug

            kwargs = instance_of(args).kwargs
            if args.command == "solve":
                written.add(out or f"results/{slug(args.env, kwargs)}_dp.npz")
            elif out is None and args.algo == "dbp":
                written.add(f"results/dbp/{slug(args.env, kwargs)}_{args.policy or 'mlp'}")
            elif out is None:
                written.add(f"results/ppo/{slug(args.env, kwargs)}")
            else:
                written.add(out)


@pytest.mark.slow
def test_readme_command_line_block_runs_verbatim(tmp_path):
    """The "Command line" block, run as written by bash in a fresh folder."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    block = next(b for b in BASH_BLOCKS if b.startswith("inventory-gym list"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", "-e"], input=block, capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "optimal average cost per period" in result.stdout
