"""metalus_py.notebook: build pipelines and applications in code, run them, export the same JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metalus_py import RunResult, run_application
from metalus_py.notebook import Application, NotebookResult, NotebookSteps, Pipeline, PlanView, param, step
from metalus_py.notebook.registry import REGISTRY_PACKAGE
from metalus_py.validation import ApplicationValidationError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "application_configs"


@step
def add_total(data_frame: pl.DataFrame, column: str = "total") -> pl.DataFrame:
    """price × qty as a new column."""
    return data_frame.with_columns((pl.col("price") * pl.col("qty")).alias(column))


@step(name="tagRows")
def tag_rows(data_frame: pl.DataFrame, tag: str) -> pl.DataFrame:
    return data_frame.with_columns(pl.lit(tag).alias("tag"))


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    pl.DataFrame({"grp": ["a", "b", "a"], "price": [1.0, 2.0, 3.0], "qty": [1, 2, 3]}).write_csv(path)
    return path


def etl() -> Pipeline:
    return (
        Pipeline("etl", name="ETL")
        .step("READ", "DataReaderSteps.readCsv", path="!inputPath", description="read the input")
        .step("TOTAL", add_total, data_frame="@READ")
        .step("TAG", tag_rows, data_frame="@TOTAL", tag="!tag || untagged")
        .step("WRITE", "DataWriterSteps.writeParquet", data_frame="@TAG", path="!{outputPath}/out.parquet")
    )


def test_decorated_steps_stay_plain_functions_and_are_registered() -> None:
    frame = pl.DataFrame({"price": [2.0], "qty": [3]})
    assert add_total(frame)["total"].to_list() == [6.0]
    assert NotebookSteps.add_total is add_total
    assert NotebookSteps.tagRows is tag_rows
    assert add_total.__metalus_command__ == "NotebookSteps.add_total"  # type: ignore[attr-defined]


def test_pipeline_builder_writes_the_file_format() -> None:
    pipeline = (
        Pipeline("p")
        .step("A", "StringSteps.toUpperCase", value="!name", retry=2, on_error="ERR")
        .branch("B", "FlowSteps.compare", {"equal": "C", "not_equal": "ERR"}, left="@A", right="FRED")
        .step("C", "StringSteps.concat", values=["@A", 1, 2.5, True], separator="-", next=None)
        .step("ERR", "ExceptionSteps.throwPipelineException", message="no", params={"cause": None})
        .step("T", "StringSteps.toString", value=param("3", type="integer", required=True))
    )
    steps = {entry["id"]: entry for entry in pipeline.to_dict()["steps"]}
    assert steps["A"]["nextStepId"] == "B"
    assert (steps["A"]["retryLimit"], steps["A"]["nextStepOnError"]) == (2, "ERR")
    assert steps["A"]["engineMeta"] == {"command": "StringSteps.toUpperCase"}
    assert steps["B"]["type"] == "branch" and "nextStepId" not in steps["B"]
    assert [p for p in steps["B"]["params"] if p["type"] == "result"] == [
        {"name": "equal", "type": "result", "value": "C"},
        {"name": "not_equal", "type": "result", "value": "ERR"},
    ]
    assert "nextStepId" not in steps["C"]  # next=None ends the flow
    assert steps["C"]["params"][0] == {"name": "values", "type": "list", "value": ["@A", 1, 2.5, True]}
    assert steps["ERR"]["nextStepId"] == "T"
    assert steps["T"]["params"] == [{"name": "value", "type": "integer", "value": "3", "required": True}]
    with pytest.raises(ValueError, match="already has a step 'A'"):
        pipeline.step("A", "StringSteps.toString", value=1)


def test_fork_and_join_steps_chain() -> None:
    pipeline = (
        Pipeline("f")
        .fork("FORK", "!values", method="parallel")
        .step("UPPER", "StringSteps.toUpperCase", value="@FORK")
        .join("JOIN")
        .step("ALL", "StringSteps.listToString", list="@UPPER", separator=",")
    )
    steps = pipeline.to_dict()["steps"]
    assert [(s["id"], s["type"], s.get("nextStepId")) for s in steps] == [
        ("FORK", "fork", "UPPER"),
        ("UPPER", "Pipeline", "JOIN"),
        ("JOIN", "join", "ALL"),
        ("ALL", "Pipeline", None),
    ]
    result = Application("forks").execution("E", [pipeline]).run(values=["a", "b"])
    assert result.status == "COMPLETE"
    assert result.value("E", "f", "ALL") == "A,B"


def test_build_validate_run_and_read_frames(sales_csv: Path, tmp_path: Path) -> None:
    app = Application("demo", globals={"inputPath": str(sales_csv)}).execution("LOAD", [etl()])
    # functions of an importable module are exported as module.function: no registry needed, and
    # that module becomes a step package (only allowed packages provide steps, DESIGN §14)
    document = app.to_dict()
    assert document["stepPackages"] == ["steps_library", add_total.__module__]
    commands = [s["engineMeta"]["command"] for s in document["pipelines"][0]["steps"]]
    assert commands[1] == f"{add_total.__module__}.add_total"
    report = app.validate(outputPath=str(tmp_path))
    assert report.ok and not report.warnings, report.format()
    result = app.run(outputPath=str(tmp_path / "out"), tag="t1")
    assert isinstance(result, NotebookResult) and isinstance(result, RunResult)
    assert (result.status, result.exit_code) == ("COMPLETE", 0)
    total = result.frame("LOAD", "etl", "TAG")
    assert total.columns == ["grp", "price", "qty", "total", "tag"]
    assert total["total"].to_list() == [1.0, 4.0, 9.0]
    assert total["tag"].unique().to_list() == ["t1"]
    assert pl.read_parquet(tmp_path / "out" / "out.parquet").equals(total)
    assert result.named("LOAD", "etl", "WRITE")["files"] == [f"{tmp_path}/out/out.parquet"]
    assert set(result.frames()) == {"LOAD.etl.READ", "LOAD.etl.TOTAL", "LOAD.etl.TAG"}
    steps = result.steps()
    assert steps.columns[:5] == ["execution", "execution_status", "pipeline", "step", "status"]
    assert steps["step"].to_list() == ["READ", "TOTAL", "TAG", "WRITE"]
    assert set(steps["status"]) == {"COMPLETE"}
    with pytest.raises(TypeError, match="not a DataFrame"):
        result.frame("LOAD", "etl", "WRITE")
    with pytest.raises(KeyError, match="no execution 'NOPE'"):
        result.frame("NOPE", "etl", "TAG")


def test_validation_reports_problems_before_running(sales_csv: Path) -> None:
    broken = Pipeline("broken").step("X", "StringSteps.noSuchStep", value="1")
    app = Application("bad").execution("E", [broken], parents=["MISSING"])
    report = app.validate()
    assert not report.ok
    text = report.format()
    assert "noSuchStep" in text and "MISSING" in text
    with pytest.raises(ApplicationValidationError):
        app.run()


def test_exported_json_runs_through_run_application_and_round_trips(sales_csv: Path, tmp_path: Path) -> None:
    app = Application("demo", globals={"inputPath": str(sales_csv), "outputPath": str(tmp_path / "a")})
    app.execution("LOAD", [etl()]).execution("AFTER", ["etl"], parents=["LOAD"], globals={"tag": "after"},
                                              merge_globals=True)
    path = tmp_path / "demo.json"
    text = app.to_json(path)
    assert json.loads(path.read_text()) == json.loads(text) == app.to_dict()
    assert Application.from_json(path).to_dict() == app.to_dict()
    assert Application.from_json(text).to_json() == text
    result = run_application(str(path))  # the registered steps resolve in this process
    assert result.status == "COMPLETE"
    assert result.step_result("AFTER", "etl", "TAG")["tag"].to_list() == ["after"] * 3


@pytest.mark.parametrize("example", ["orders", "file_fork", "evaluation"])
def test_example_applications_round_trip_unchanged(example: str) -> None:
    path = EXAMPLES / example / "application.json"
    document = json.loads(path.read_text())
    app = Application.from_json(path)
    assert app.to_dict() == document
    assert json.loads(app.to_json()) == document


def test_a_fork_application_built_in_code(tmp_path: Path) -> None:
    for day in (1, 2):
        pl.DataFrame({"v": [day, day * 10]}).write_csv(tmp_path / f"part_{day}.csv")
    listing = Pipeline("list").step("FILES", "FileSteps.listFiles", path="!inputPath", pattern="*.csv")
    per_file = Pipeline("per_file").step("READ", "DataReaderSteps.readCsv", path="!executionForkValue")
    combine = Pipeline("combine").step("ALL", "TransformationSteps.concat", data_frames="!PROCESS.pipelineParameters.per_file.READ.primaryReturn")
    app = (
        Application("fork-demo", globals={"inputPath": str(tmp_path)})
        .execution("LIST", [listing])
        .execution("PROCESS", [per_file], parents=["LIST"], type="fork",
                   fork_by_values="!LIST.pipelineParameters.list.FILES.primaryReturn")
        .execution("COMBINE", [combine], parents=["PROCESS"], type="join")
    )
    result = app.run()
    assert list(result.executions) == ["LIST", "PROCESS[0]", "PROCESS[1]", "COMBINE"]
    assert result.frame("COMBINE", "combine", "ALL")["v"].to_list() == [1, 10, 2, 20]
    inner = (
        Pipeline("inner")
        .fork("EACH", "!LIST.pipelineParameters.list.FILES.primaryReturn")
        .step("READ", "DataReaderSteps.readCsv", path="@EACH")
        .join("DONE")
    )
    app.execution("INNER", [inner], parents=["LIST"])
    result = app.run()
    assert [f["v"].to_list() for f in result.frame_list("INNER", "inner", "READ")] == [[1, 10], [2, 20]]
    assert "PROCESS (fork over !LIST" in app.plan().text()


def test_html_of_a_result_and_of_a_plan(sales_csv: Path, tmp_path: Path) -> None:
    app = Application("demo", globals={"inputPath": str(sales_csv), "outputPath": str(tmp_path)}).execution(
        "LOAD", [etl()]
    )
    html = app.run()._repr_html_()
    for text in ("COMPLETE", "LOAD", "etl", "READ", "WRITE", "exit code 0", "polars.DataFrame 3×5"):
        assert text in html
    wrapped = NotebookResult.of(run_application(app.to_dict()))
    assert "TOTAL" in wrapped._repr_html_()
    plan = PlanView.from_file(str(EXAMPLES / "orders" / "application.json"))
    mermaid = plan.mermaid()
    assert mermaid.startswith("flowchart TD")
    for edge in ("e_ROOT --> e_PROD", "e_PROD --> e_SAVE", "e_ORD --> e_SAVE"):
        assert edge in mermaid
    assert "execution SAVE <- PROD, CUST, CC, ORD" in plan.text()
    assert "step LOADFILESTEP [pipeline] DataReaderSteps.readCsv" in plan.text()
    assert 'class="mermaid"' in plan._repr_html_() and "&lt;b&gt;ROOT&lt;/b&gt;" in plan._repr_html_()
    assert plan._repr_markdown_().startswith("```mermaid\nflowchart TD")
    evaluation = PlanView.from_file(str(EXAMPLES / "evaluation" / "application.json")).text()
    assert "evaluation pipeline CHECK_INPUT_PIPELINE" in evaluation
    assert "NOINPUTSTEP [branch] FlowSteps.isEmpty -> true: SKIPSTEP | false: READSTEP" in evaluation


def test_exported_library_only_json_runs_on_the_command_line(sales_csv: Path, tmp_path: Path) -> None:
    pipeline = (
        Pipeline("copy")
        .step("READ", "DataReaderSteps.readCsv", path="!inputPath")
        .step("WRITE", "DataWriterSteps.writeCsv", data_frame="@READ", path="!{outputPath}/copy.csv")
    )
    app = Application("cli", globals={"inputPath": str(sales_csv)}).execution("COPY", [pipeline])
    app.to_json(tmp_path / "app.json")
    document: dict[str, Any] = app.to_dict()
    assert REGISTRY_PACKAGE not in document["stepPackages"]
    process = subprocess.run(
        [sys.executable, "-m", "metalus_py.cli", "run", str(tmp_path / "app.json"), "--outputPath", str(tmp_path),
         "--state", "none", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert pl.read_csv(tmp_path / "copy.csv").equals(pl.read_csv(sales_csv))


def test_exported_json_with_module_steps_runs_from_the_command_line(tmp_path: Path) -> None:
    import importlib
    import os
    import subprocess
    import sys

    (tmp_path / "nb_export_steps.py").write_text(
        "from metalus_py.notebook import step\n\n"
        "@step\n"
        "def shout(text: str) -> str:\n"
        "    return text.upper() + '!'\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("nb_export_steps")
        app = Application("export").execution("E", [Pipeline("P").step("S", module.shout, text="!word")])
        path = tmp_path / "exported.json"
        app.to_json(str(path))
    finally:
        sys.path.remove(str(tmp_path))
    document = json.loads(path.read_text())
    assert document["pipelines"][0]["steps"][0]["engineMeta"]["command"] == "nb_export_steps.shout"
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "metalus_py.cli", "run", str(path), "--word", "hi", "--state", "none", "--quiet",
         "--output-json", str(out)],
        cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(out.read_text())["executions"]["E"]["pipelines"]["P"]["steps"]
    assert steps["S"]["primaryReturn"] == "HI!"
