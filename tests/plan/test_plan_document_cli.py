"""The result document (DESIGN.md section 6), ``metalus run`` exit codes, ``metalus plan`` and
plan-level validation errors (exit 2, nothing ran)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.validation import ApplicationValidationError
from tests.plan import planapps

ROOT = Path(__file__).resolve().parents[2]
RUN_KEYS = {"runId", "applicationId", "status", "executions"}
EXECUTION_KEYS = {"status", "error", "forkIndex", "pipelines"}
PIPELINE_KEYS = {"status", "steps"}
STEP_KEYS = {"status", "attempts", "primaryReturn", "namedReturns", "startedAt", "endedAt", "metrics"}


def cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "stepsrc"), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def write(tmp_path: Path, app: dict[str, Any], name: str = "app.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(app), encoding="utf-8")
    return path


def test_result_document_shape_every_key() -> None:
    document = run_application(planapps.fork_join(["x", "y"])).to_dict()
    assert set(document) >= RUN_KEYS
    assert document["status"] == "COMPLETE"
    assert list(document["executions"]) == ["Root", "Fork[0]", "Fork[1]", "Inside[0]", "Inside[1]", "Join", "After"]
    for key, execution in document["executions"].items():
        assert set(execution) >= EXECUTION_KEYS, key
        for pipeline in execution["pipelines"].values():
            assert set(pipeline) >= PIPELINE_KEYS
            for step in pipeline["steps"].values():
                assert set(step) >= STEP_KEYS
                assert step["attempts"] == 1 and step["status"] == "COMPLETE"
    assert document["executions"]["Join"]["pipelines"]["Collect"]["steps"]["Values"]["primaryReturn"] == [
        "x@0", "y@1"]
    json.dumps(document)  # JSON all the way down


def test_non_json_values_are_summarised() -> None:
    result = run_application(planapps.frames())
    step = result.to_dict()["executions"]["A"]["pipelines"]["Frame"]["steps"]["Make"]
    assert step["primaryReturn"]["$type"] == "polars.DataFrame"
    assert step["primaryReturn"]["shape"] == [4, 2]
    assert set(step["primaryReturn"]["schema"]) == {"id", "name"}
    assert result.to_dict()["executions"]["A"]["pipelines"]["Frame"]["steps"]["Json"]["primaryReturn"] == (
        "plain text")
    json.dumps(result.to_dict())


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [("chain3", 0, "COMPLETE"), ("evaluation_stop", 0, "COMPLETE"), ("error_chain", 1, "FAILED"),
     ("pause_chain", 3, "PAUSED")],
)
def test_cli_run_exit_codes(tmp_path: Path, name: str, code: int, status: str) -> None:
    app = planapps.VALID_DIR / f"{name}.json"
    output = tmp_path / "result.json"
    done = cli("run", str(app), "--output-json", str(output), "--state", "none", "--quiet", cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert json.loads(output.read_text(encoding="utf-8"))["status"] == status


def test_cli_pairs_become_globals_that_win(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    app = planapps.VALID_DIR / "globals_precedence.json"
    done = cli("run", str(app), "--cli", "from cli", "--output-json", str(output), "--state", "none", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    executions = json.loads(output.read_text(encoding="utf-8"))["executions"]
    assert {executions[k]["pipelines"]["Read"]["steps"]["Cli"]["primaryReturn"] for k in executions} == {"from cli"}


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_cli_plan_formats(tmp_path: Path, fmt: str) -> None:
    done = cli("plan", str(planapps.VALID_DIR / "fork_join_3.json"), "--format", fmt, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for execution_id in ("Root", "Fork", "Inside", "Join", "After"):
        assert execution_id in out
    if fmt == "text":
        assert "pipeline PerValue" in out and "step Value" in out and "fork" in out
    elif fmt == "mermaid":
        assert out.startswith("flowchart") and "e_Fork --> e_Inside" in out
    else:
        assert out.startswith("digraph") and '"Inside" -> "Join";' in out


def _bad(kind: str) -> tuple[dict[str, Any], list[str]]:
    app = planapps.chain3()
    executions = app["executions"]
    if kind == "unknown_parent":
        executions[1]["parents"] = ["Nope"]
        return app, ["executions[1].parents[0]", "Nope"]
    if kind == "duplicate_id":
        executions[2]["id"] = "A"
        executions[2]["parents"] = []
        return app, ["executions[2].id", "duplicate", "'A'"]
    if kind == "cycle":
        executions[0]["parents"] = ["C"]
        return app, ["cycle", "A", "B", "C"]
    if kind == "fork_without_join":
        executions[1].update(executionType="fork", forkByValues="values")
        return app, ["Unable to find a join execution for the fork execution B"]
    if kind == "several_joins":
        executions[1].update(executionType="fork", forkByValues="values")
        executions[2]["executionType"] = "join"
        executions.append(planapps.execution("J2", "P1", parents=["B"], executionType="join"))
        return app, ["Multiple join executions found for B"]
    if kind == "unknown_pipeline":
        executions[1]["pipelineIds"] = ["P9"]
        return app, ["executions[1].pipelineIds[0]", "P9"]
    raise AssertionError(kind)


KINDS = ["unknown_parent", "duplicate_id", "cycle", "fork_without_join", "several_joins", "unknown_pipeline"]


@pytest.mark.parametrize("kind", KINDS)
def test_plan_validation_errors_raise_before_running(kind: str) -> None:
    app, expected = _bad(kind)
    started: list[Any] = []

    class Recorder:
        def on_event(self, event: Any) -> None:
            started.append(event)

    with pytest.raises(ApplicationValidationError) as caught:
        run_application(app, listeners=[Recorder()])
    text = str(caught.value)
    for fragment in expected:
        assert fragment in text, (fragment, text)
    assert started == []  # nothing ran, not even the application_started event


@pytest.mark.parametrize("kind", KINDS)
def test_cli_plan_validation_errors_exit_2_and_nothing_ran(tmp_path: Path, kind: str) -> None:
    app, expected = _bad(kind)
    output = tmp_path / "result.json"
    done = cli("run", str(write(tmp_path, app)), "--output-json", str(output), "--state", "none", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert expected[0] in done.stderr
    assert not output.exists()
    assert "Traceback" not in done.stderr
