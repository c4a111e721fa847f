"""A run started from a notebook shows live progress in its cell, and a plan renders as SVG."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from metalus_py.notebook import Application, Pipeline, PlanView
from tests.notebooks.test_notebooks import ROOT, kernel_name  # noqa: F401 - fixture

BUILD = '''
import time
from metalus_py.notebook import Application, Pipeline, step

@step
def slow(value: str = "a") -> str:
    time.sleep(0.2)
    return value + "!"

etl = Pipeline("P").step("S1", slow, value="!seed").step("S2", slow, value="@S1")
app = (Application("live", globals={"seed": "x", "values": ["a", "b"]})
       .execution("ROOT", [etl])
       .execution("FORK", [Pipeline("F").step("F1", slow, value="!executionForkValue")], parents=["ROOT"],
                  type="fork", fork_by_values="values")
       .execution("JOIN", [Pipeline("J").step("J1", slow)], parents=["FORK"], type="join"))
'''


def _outputs(cell: dict) -> list[dict]:  # type: ignore[type-arg]
    return list(cell.get("outputs", []))


def test_a_notebook_run_shows_live_progress_and_the_plan_as_svg(kernel_name: str) -> None:  # noqa: F811
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(BUILD), nbformat.v4.new_code_cell("result = app.run()\nresult.status"),
                      nbformat.v4.new_code_cell("app.plan()")]
    NotebookClient(notebook, kernel_name=kernel_name, timeout=300,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    run_cell = notebook.cells[1]
    shown = [o for o in _outputs(run_cell) if o.get("output_type") == "display_data"]
    assert len(shown) == 1, _outputs(run_cell)  # one block, updated in place
    block = shown[0]["data"]["text/html"]
    assert "metalus-progress" in block and "<svg" in block
    assert "COMPLETE" in block and "5/5 steps" in block  # S1, S2, F1 twice, J1
    assert "2 complete" in block  # the fork drawn once with its counts
    result = [o for o in _outputs(run_cell) if o.get("output_type") == "execute_result"]
    assert result and "COMPLETE" in result[0]["data"]["text/plain"]
    plan = [o for o in _outputs(notebook.cells[2]) if o.get("output_type") == "execute_result"][0]["data"]
    assert plan["image/svg+xml"].startswith("<svg") and "<svg" in plan["text/html"]


def test_plan_svg_draws_one_box_per_execution_with_edges() -> None:
    app = (Application("shape").execution("A", [Pipeline("P").step("S", "LoggingSteps.logMessage", message="x")])
           .execution("B", ["P"], parents=["A"]).execution("C", ["P"], parents=["A"]))
    svg = app.plan().svg()
    assert svg.count('class="execution"') == 3 and svg.count('marker-end=') == 2
    assert isinstance(app.plan(), PlanView) and app.plan()._repr_svg_() == svg
