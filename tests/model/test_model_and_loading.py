"""The file model (round trip, schema), loading through fsspec, CLI pairs, and the step catalogue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from metalus_py import run_application, validate_application
from metalus_py.base.exceptions import ApplicationError
from metalus_py.model import Application, Pipeline
from metalus_py.model.loader import load_pipeline_file, parse_cli_pairs, unwrap_application
from metalus_py.steps.resolution import StepResolutionError, StepResolver

TESTS = Path(__file__).resolve().parents[1]
CORPUS = TESTS / "resources" / "corpus"
APPLICATIONS = sorted((CORPUS / "applications").glob("*.json"))
PIPELINES = sorted(p for p in (CORPUS / "pipelines").glob("*.json") if p.stat().st_size)


def _strip_nulls(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("path", APPLICATIONS, ids=lambda p: p.name)
def test_every_corpus_application_round_trips(path: Path) -> None:
    document = unwrap_application(json.loads(path.read_text()))
    model = Application.model_validate(document)
    dumped = model.to_json_dict()
    again = Application.model_validate(dumped)
    assert again == model
    # camelCase in JSON: the dump uses the file's own field names (forkByValue is accepted as forkByValues)
    original = json.dumps(_strip_nulls(document)).replace('"forkByValue"', '"forkByValues"')
    assert json.loads(json.dumps(_strip_nulls(dumped))) == json.loads(original)


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.name)
def test_every_corpus_pipeline_round_trips(path: Path) -> None:
    model = Pipeline.model_validate(json.loads(path.read_text()))
    assert Pipeline.model_validate(model.to_json_dict()) == model
    assert model.steps and all(step.id for step in model.steps)


def test_snake_case_in_python_camel_case_in_json() -> None:
    pipeline = Pipeline.model_validate({"id": "P", "steps": [{"id": "S", "nextStepId": "T", "retryLimit": 2,
                                                               "engineMeta": {"spark": "A.b"}}]})
    step = pipeline.steps[0]
    assert (step.next_step_id, step.retry_limit, step.engine_meta and step.engine_meta.target) == ("T", 2, "A.b")
    assert pipeline.to_json_dict()["steps"][0]["nextStepId"] == "T"


def test_load_from_file_url_and_memory_url(tmp_path: Path) -> None:
    document = json.loads((CORPUS / "applications" / "parent-child.json").read_text())
    path = tmp_path / "app.json"
    path.write_text(json.dumps(document))
    from_file = run_application(f"file://{path}")
    assert from_file.step_result("1", "Pipeline2", "Pipeline2Step1") == "Fred"
    with fsspec.open("memory://apps/parent-child.json", "w") as handle:
        handle.write(json.dumps(document))
    from_memory = run_application("memory://apps/parent-child.json")
    assert from_memory.status == "COMPLETE"
    assert from_memory.step_result("1", "Pipeline2", "Pipeline2Step1") == "Fred"


def test_missing_file_and_bad_json_are_reported_not_raised(tmp_path: Path) -> None:
    report = validate_application(str(tmp_path / "nope.json"))
    assert not report.ok and "not found" in report.format()
    bad = tmp_path / "bad.json"
    bad.write_text('{"executions": [\n  {"id": "a",,}\n]}')
    report = validate_application(str(bad))
    assert not report.ok and "line 2" in report.format() and "column" in report.format()


def test_pipeline_files_are_found_beside_the_application(tmp_path: Path) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "P1.json").write_text(json.dumps([{"id": "P1", "steps": [
        {"id": "S", "type": "Pipeline", "engineMeta": {"spark": "ExecutionSteps.normalFunction"},
         "params": [{"name": "value", "type": "text", "value": "from file"}]}]}]))
    assert load_pipeline_file(str(pipelines), "P1") is not None
    assert load_pipeline_file(str(pipelines), "missing") is None
    app = {"stepPackages": ["com.acxiom.pipeline.steps"], "executions": [{"id": "E", "pipelineIds": ["P1"]}]}
    path = tmp_path / "app.json"
    path.write_text(json.dumps(app))
    assert run_application(str(path)).step_result("E", "P1", "S") == "from file"


def test_cli_pairs_follow_metalus() -> None:
    assert parse_cli_pairs(["--one", "1", "--two", "2", "--three", "true"]) == {"one": "1", "two": "2", "three": True}
    with pytest.raises(ApplicationError, match="no value"):
        parse_cli_pairs(["--lonely"])


def test_engine_meta_pkg_narrows_the_search() -> None:
    resolver = StepResolver(["plan_steps"])
    assert resolver.resolve("ExecutionSteps.normalFunction", "com.acxiom.pipeline.steps")
    with pytest.raises(StepResolutionError, match="normalFunction|ExecutionSteps"):
        resolver.resolve("ExecutionSteps.normalFunction")
    with pytest.raises(StepResolutionError) as error:
        StepResolver(["com.acxiom.pipeline.steps"]).resolve("ExecutionSteps.normalFunctio")
    assert "did you mean" in str(error.value)


def _metalus(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"))
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_step_catalogue_text_and_templates(tmp_path: Path) -> None:
    text = _metalus("steps", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "DataReaderSteps.readCsv  (steps_library)" in text.stdout
    assert "- path: str" in text.stdout
    templates = json.loads(_metalus("steps", "--json", cwd=tmp_path).stdout)
    by_command = {t["engineMeta"]["command"]: t for t in templates}
    read_csv = by_command["DataReaderSteps.readCsv"]
    assert read_csv["displayName"].startswith("Read CSV")
    params = {p["name"]: p for p in read_csv["params"]}
    assert params["path"]["required"] is True
    assert params["header"] == {"type": "boolean", "name": "header", "required": False, "defaultValue": True,
                                "parameterType": "bool"}
    assert len({t["id"] for t in templates}) == len(templates)
    own = _metalus("steps", "--package", "com.acxiom.pipeline.steps", cwd=tmp_path)
    assert "ExecutionSteps.normalFunction" in own.stdout


def test_schema_lists_every_documented_field(tmp_path: Path) -> None:
    schema = json.loads(_metalus("schema", cwd=tmp_path).stdout)
    execution = schema["$defs"]["Execution"]["properties"]
    for name in ("id", "pipelineIds", "pipelines", "initialPipelineId", "parents", "globals", "mergeGlobals",
                 "executionType", "forkByValues", "evaluationPipelines", "evaluationPipelineIds",
                 "pipelineParameters"):
        assert name in execution, name
    step = schema["$defs"]["PipelineStep"]["properties"]
    for name in ("id", "stepId", "displayName", "type", "nextStepId", "nextStepOnError", "retryLimit",
                 "executeIfEmpty", "params", "engineMeta"):
        assert name in step, name


def test_step_templates_mark_branch_steps_with_their_answers(tmp_path: Path) -> None:
    templates = {t["engineMeta"]["command"]: t for t in json.loads(_metalus("steps", "--json", cwd=tmp_path).stdout)}
    compare = templates["FlowSteps.compare"]
    assert compare["type"] == "branch"
    assert [p["name"] for p in compare["params"] if p["type"] == "result"] == ["equal", "not_equal"]
    check = templates["QualitySteps.checkNotNull"]
    assert [p["name"] for p in check["params"] if p["type"] == "result"] == ["passed", "failed"]
    assert templates["DataReaderSteps.readCsv"]["type"] == "Pipeline"


def _nested_mix(levels: int) -> object:
    """``levels`` objects and lists nested alternately (a dict holding a list holding a dict...)."""
    value: object = "leaf"
    for level in range(levels):
        value = {"k": value, "flat": 1} if level % 2 else [1, value, "x"]
    return value


def test_nesting_limit_is_exact_for_objects_and_lists_mixed() -> None:
    from metalus_py.model.loader import MAX_JSON_DEPTH, nesting_beyond_limit

    assert nesting_beyond_limit(_nested_mix(MAX_JSON_DEPTH)) is None
    message = nesting_beyond_limit({"top": _nested_mix(MAX_JSON_DEPTH)})
    assert message is not None and message.startswith("top")
    assert "more than 100 levels deep" in message
    assert nesting_beyond_limit({"a": [1, 2, {"b": "c"}], "d": None}) is None
    assert nesting_beyond_limit("just text") is None
