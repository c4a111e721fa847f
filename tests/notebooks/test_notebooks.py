"""Every notebook in notebooks/ runs top to bottom without an error (executed with nbclient).

The kernel is ``python3`` run by this interpreter (jupyter_client starts a kernel spec whose
command is ``python`` with ``sys.executable``); if no ``python3`` kernel spec is installed, one
is written to a temporary Jupyter path first. Notebooks run from the repository root and
write only under temporary directories.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python3``, installing a kernel spec for this interpreter when none is found."""
    try:
        KernelSpecManager().get_kernel_spec("python3")
        yield "python3"
        return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(prefix / "share" / "jupyter"), previous]))
    try:
        yield "python3"
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous


def test_there_are_notebooks() -> None:
    assert {path.name for path in NOTEBOOKS} >= {"quickstart.ipynb", "build_in_python.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_without_errors(path: Path, kernel_name: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=kernel_name,
        timeout=300,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()  # raises CellExecutionError naming the cell and the traceback
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    displayed = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "execute_result"
    ]
    assert any("text/html" in output.get("data", {}) for output in displayed)


def test_the_edit_run_inspect_loop_in_a_kernel(kernel_name: str) -> None:
    """Functions defined and edited in cells: an edit re-runs that step and its dependants only,
    an unchanged run reuses every step, ``until=`` stops where asked (asserted in the cells,
    whose counts come from a file the steps append to, and here on the outputs)."""
    notebook = nbformat.read(Path(__file__).parent / "resources" / "edit_run_inspect.ipynb", as_version=4)
    NotebookClient(notebook, kernel_name=kernel_name, timeout=300, resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.get("output_type") == "error"]
    printed = [json.loads(o["text"]) for o in outputs if o.get("output_type") == "stream" and o["text"].startswith("{")]
    assert printed == [{"edited_reused": ["E.P.COUNT", "E.P.LOAD"], "partial": "PAUSED"}]
    shown = [o["data"]["text/html"] for o in outputs if o.get("output_type") == "execute_result"]
    assert any("Reused from an earlier run (2): E.P.LOAD, E.P.COUNT" in html for html in shown)
