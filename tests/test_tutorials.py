"""The tutorials execute as notebooks, each in a fresh kernel (``pytest -m tutorial``).

A tutorial is a jupytext percent file, ``docs/tutorials/NN_name.py`` (``# %%`` code cells,
``# %% [markdown]`` text cells). Each one is converted to a notebook, executed by nbclient in a
new kernel of this interpreter (working directory: the tutorials' folder; figures inline;
one thread for torch and BLAS) within a budget of :data:`TIMEOUT` seconds for the whole
tutorial, and written with its outputs to ``docs/tutorials/_build/NN_name.ipynb`` (git-ignored)
for a reader to open. A failing cell fails the test with the cell's number, its source and
the error. A tutorial that needs something this machine lacks (the VN2 files) says so and
raises ``SystemExit``: its test is skipped with that message.

These tests are marked ``tutorial``: ``make test`` runs them as a second pytest step after the
fast suite (``pytest -m "not slow and not tutorial"``), and ``make test-all`` with the rest.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS_DIR = ROOT / "docs" / "tutorials"
BUILD = TUTORIALS_DIR / "_build"
TUTORIALS = sorted(TUTORIALS_DIR.glob("[0-9][0-9]_*.py"))
TIMEOUT = float(os.environ.get("INVENTORY_GYM_TUTORIAL_TIMEOUT", "180"))
"""Seconds a whole tutorial may take (``INVENTORY_GYM_TUTORIAL_TIMEOUT`` overrides it)."""
KERNEL = "inventory-gym-tutorial"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _notebook_tools():
    """jupytext, nbclient and nbformat, or an ImportError that names the dev extra."""
    try:
        import jupytext
        import nbclient
        import nbformat
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ImportError(
            f"the tutorial tests need jupytext, nbclient and ipykernel ({err}): "
            "pip install -e '.[dev]'"
        ) from err
    return jupytext, nbclient, nbformat


def _kernel_specs(folder: Path):
    """A kernel spec manager with one kernel: this interpreter, whatever other ``python3``
    kernels the machine has installed."""
    import json

    from jupyter_client.kernelspec import KernelSpecManager

    spec = folder / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "inventory-gym", "language": "python"})
    )
    return KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)


def execute(path: Path, kernels: Path, timeout: float = TIMEOUT):
    """Execute the tutorial ``path`` and write it with its outputs to :data:`BUILD`.

    Returns:
        The executed notebook (an ``nbformat`` node).

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (the notebook is written first,
            outputs up to the failing cell included).
        nbclient.exceptions.CellTimeoutError: the tutorial ran past ``timeout`` seconds.
    """
    jupytext, nbclient, nbformat = _notebook_tools()
    from jupyter_client.manager import AsyncKernelManager

    notebook = jupytext.read(path)
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "inventory-gym"}
    manager = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=_kernel_specs(kernels))
    deadline = time.monotonic() + timeout
    client = nbclient.NotebookClient(
        notebook,
        km=manager,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = dict(
        os.environ,
        MPLBACKEND="module://matplotlib_inline.backend_inline",  # figures inline
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    BUILD.mkdir(exist_ok=True)
    try:
        client.execute(env=env, cleanup_kc=True)  # shut the kernel down, even on errors
    finally:
        nbformat.write(notebook, BUILD / f"{path.stem}.ipynb")
    return notebook


def _failure(path: Path, notebook, err) -> str:
    """The number, source and error of the cell that failed."""
    index = next(
        (
            i
            for i, cell in enumerate(notebook.cells)
            if any(out.get("output_type") == "error" for out in cell.get("outputs", ()))
        ),
        None,
    )
    where = "a cell" if index is None else f"cell {index}"
    source = "" if index is None else notebook.cells[index].source
    name = getattr(err, "ename", type(err).__name__)
    value = ANSI.sub("", str(getattr(err, "evalue", err)))
    trace = (
        []
        if index is None
        else [
            ANSI.sub("", line)
            for out in notebook.cells[index].outputs
            if out.get("output_type") == "error"
            for line in "\n".join(out.get("traceback", ())).splitlines()
        ]
    )
    return (
        f"{path.name}: {where} failed with {name}: {value}\n--- source ---\n{source}\n"
        f"--- traceback (end) ---\n" + "\n".join(trace[-30:]) + "\n"
        f"--- notebook with outputs: {BUILD.relative_to(ROOT) / (path.stem + '.ipynb')}"
    )


def images(notebook) -> int:
    """The number of PNG pictures among the outputs."""
    return sum(
        "image/png" in out.get("data", {})
        for cell in notebook.cells
        for out in cell.get("outputs", ())
    )


def test_there_are_tutorials():
    """The tutorials folder holds the numbered tutorials (a glob that finds none would make
    the tutorial step below pass without running anything)."""
    assert len(TUTORIALS) >= 3, TUTORIALS


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_is_written_to_be_read(path):
    """Cheap checks of the source (fast suite): a percent-format file that starts with a
    title, alternates text and code, and writes nothing into the project."""
    text = path.read_text()
    cells = re.split(r"^# %%", text, flags=re.M)[1:]
    markdown = [c for c in cells if c.startswith(" [markdown]")]
    code = [c for c in cells if not c.startswith(" [markdown]")]
    assert markdown and markdown[0] is cells[0], f"{path.name}: start with a markdown title"
    assert re.search(r"^# # ", cells[0], flags=re.M), f"{path.name}: the first cell has a # title"
    assert len(markdown) >= len(code) / 2, f"{path.name}: {len(markdown)} text, {len(code)} code"
    assert "/work/" not in text and "/tmp/" not in text, f"{path.name}: a path of this machine"


@pytest.mark.tutorial
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_executes(path, tmp_path):
    """The tutorial runs top to bottom in a fresh kernel and shows at least one figure."""
    _, nbclient, _ = _notebook_tools()
    failure = stopped = None
    try:
        notebook = execute(path, tmp_path / "kernels")
    except nbclient.exceptions.CellExecutionError as err:
        notebook = nbformat_read(path)
        if err.ename == "SystemExit":
            stopped = _printed(notebook) or err.evalue
        else:
            failure = _failure(path, notebook, err)
    except nbclient.exceptions.CellTimeoutError as err:
        failure = f"{path.name}: ran past {TIMEOUT:.0f} s (INVENTORY_GYM_TUTORIAL_TIMEOUT): {err}"
    if stopped is not None:
        pytest.skip(f"{path.name} stopped: {stopped}")
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    assert images(notebook) >= 1, f"{path.name}: no figure in the outputs"


def nbformat_read(path: Path):
    """The executed notebook of ``path`` as written to :data:`BUILD`."""
    _, _, nbformat = _notebook_tools()
    return nbformat.read(BUILD / f"{path.stem}.ipynb", as_version=4)


def _printed(notebook) -> str:
    """What the last cell with printed output printed (a tutorial's reason for stopping)."""
    for cell in reversed(notebook.cells):
        text = "".join(
            out.get("text", "")
            for out in cell.get("outputs", ())
            if out.get("output_type") == "stream"
        )
        if text.strip():
            return text.strip()
    return ""
