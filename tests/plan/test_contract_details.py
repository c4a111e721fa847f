"""Contract details from DESIGN.md found by review: evaluation errors, no state on invalid input,
credentials in the document, strict JSON, merged fork-body steps, strict field types."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from metalus_py import run_application, validate_application
from metalus_py.base.credentials import DefaultCredentialProvider

TESTS = Path(__file__).resolve().parents[1]


def _step(step_id: str, function: str, next_step: str | None = None, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": step_id, "type": "Pipeline", "engineMeta": {"command": function},
                           "params": [{"name": k, "type": "text", "value": v} for k, v in params.items()]}
    if next_step:
        out["nextStepId"] = next_step
    return out


def _app(*executions: dict[str, Any]) -> dict[str, Any]:
    return {"stepPackages": ["plan_steps"], "executions": list(executions)}


def test_a_pipeline_exception_in_an_evaluation_is_a_stop_decision() -> None:
    document = _app({"id": "W", "evaluationPipelines": [{"id": "EV", "steps": [
        _step("STOP", "PlanSteps.fail", value="x")]}], "pipelines": [{"id": "P", "steps": [
            _step("S", "PlanSteps.echo", value="v")]}]})
    result = run_application(document)
    assert result.executions["W"].status == "STOPPED" and result.status == "COMPLETE"


def test_a_plain_error_in_an_evaluation_is_error_not_stop() -> None:
    document = _app(
        {"id": "W", "evaluationPipelines": [{"id": "EV", "steps": [_step("BOOM", "PlanSteps.crash", value="x")]}],
         "pipelines": [{"id": "P", "steps": [_step("S", "PlanSteps.echo", value="v")]}]},
        {"id": "C", "parents": ["W"], "pipelines": [{"id": "Q", "steps": [_step("T", "PlanSteps.echo", value="c")]}]},
    )
    result = run_application(document)
    assert result.executions["W"].status == "ERROR"
    assert result.executions["C"].status == "BLOCKED"
    assert result.status == "FAILED" and result.exit_code == 1
    # the evaluation's own record is kept, with the failing step
    evaluation = result.to_dict()["executions"]["W"]["pipelines"]["EV (evaluation)"]
    assert evaluation["status"] == "ERROR" and evaluation["steps"]["BOOM"]["status"] == "ERROR"


def test_invalid_run_writes_no_state_and_no_event_log(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"executions": [{"id": "a", "parents": ["nobody"]}]}))
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"))
    proc = subprocess.run([sys.executable, "-m", "metalus_py.cli", "run", str(bad)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "executions[0].parents[0]" in proc.stderr
    assert not (tmp_path / ".metalus").exists()
    for command in (["show", "x"], ["kill", "x"], ["resume", "x"]):
        other = subprocess.run([sys.executable, "-m", "metalus_py.cli", *command], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 2 and "Traceback" not in other.stderr, command
    assert not (tmp_path / ".metalus").exists()


def test_credentials_given_in_code_never_appear_in_the_document() -> None:
    document = _app({"id": "A", "pipelines": [{"id": "P", "steps": [
        _step("S", "PlanSteps.echo", value="%dbpw.value")]}]})
    provider = DefaultCredentialProvider({"dbpw": "TopSecret999"})
    result = run_application(document, credential_provider=provider)
    assert "TopSecret999" not in result.to_json()
    assert "TopSecret999" not in json.dumps(result.to_dict())


def test_non_finite_floats_keep_the_document_strict_json() -> None:
    document = _app({"id": "A", "pipelines": [{"id": "P", "steps": [
        _step("S", "PlanSteps.named", value=float("nan"), key="inf")]}]})
    text = run_application(document).to_json()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


def test_fork_body_steps_appear_merged_at_the_top() -> None:
    document = _app({"id": "E", "pipelines": [{"id": "P", "steps": [
        _step("LIST", "PlanSteps.echo", next_step="FORK", value=["a", "b", "c"]),
        {"id": "FORK", "type": "fork", "nextStepId": "EACH", "params": [
            {"name": "forkByValues", "value": "@LIST"}, {"name": "forkMethod", "value": "parallel"}]},
        _step("EACH", "PlanSteps.echo", next_step="JOIN", value="@FORK"),
        {"id": "JOIN", "type": "join"}]}]})
    steps = run_application(document).to_dict()["executions"]["E"]["pipelines"]["P"]["steps"]
    assert steps["EACH"]["primaryReturn"] == ["a", "b", "c"]
    assert steps["EACH"]["attempts"] == 3 and steps["EACH"]["status"] == "COMPLETE"
    assert set(steps["FORK"]["steps"]) == {"FORK[0].EACH", "FORK[1].EACH", "FORK[2].EACH"}


def test_field_types_are_strict_and_classes_must_build(tmp_path: Path) -> None:
    document = {"stepPackages": ["plan_steps"],
                "globals": {"when": {"className": "datetime.date", "object": {"nope": 1}}},
                "executions": [{"id": "a", "mergeGlobals": "yes", "globals": {}, "pipelines": [{"id": "P", "steps": [
                    {**_step("S", "PlanSteps.echo", value="x"), "retryLimit": "3"}]}]}]}
    report = validate_application(document)
    text = report.format()
    assert "executions[0].mergeGlobals" in text
    assert "executions[0].pipelines[0].steps[0].retryLimit" in text
    # datetime.date is a standard-library class: never a class of an application (DESIGN §14)
    assert "globals.when" in text and "standard library" in text
