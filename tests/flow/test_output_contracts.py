"""Step output contracts (``outputSchema``) and run-time failures named by JSON path and parameter."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from metalus_py import run_application
from metalus_py.steps.catalogue import catalogue, templates
from metalus_py.steps.contracts import contract_violations

PATH = "executions[0].pipelines[0].steps[1]"


def _app(command: str, params: list[dict[str, Any]], schema: Any = None) -> dict[str, Any]:
    use: dict[str, Any] = {"id": "USE", "type": "Pipeline", "params": params, "engineMeta": {"command": command}}
    if schema is not None:
        use["outputSchema"] = schema
    first = {"id": "FIRST", "type": "Pipeline", "nextStepId": "USE", "engineMeta": {"command": "ResultSteps.jsonValue"},
             "params": [{"name": "value", "type": "integer", "value": 1}]}
    return {"stepPackages": ["contract_steps"],
            "executions": [{"id": "E", "pipelines": [{"id": "P", "steps": [first, use]}]}]}


def _error(document: dict[str, Any]) -> str:
    """The failing execution's error as ``message [at jsonPath (parameter p)]``."""
    result = run_application(document, {}, source="contracts.json").to_dict()
    assert result["status"] == "FAILED", result
    error = result["executions"]["E"]["error"]
    parameter = f" (parameter {error['parameter']})" if error.get("parameter") else ""
    return f"{error['message']} [at {error['jsonPath']}{parameter}]"


def test_json_result_breaking_its_schema_fails_with_path_and_keyword() -> None:
    schema = {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}}
    message = _error(_app("ResultSteps.jsonValue", [{"name": "value", "type": "object", "value": {"count": "many"}}],
                          schema))
    assert f"[at {PATH}]" in message
    assert "at $.count: 'many' is not of type 'integer' (keyword 'type')" in message


def test_json_result_missing_a_required_key() -> None:
    schema = {"type": "object", "required": ["count"]}
    message = _error(_app("ResultSteps.jsonValue", [{"name": "value", "type": "object", "value": {"n": 1}}], schema))
    assert "'count' is a required property (keyword 'required')" in message and PATH in message


def test_frame_result_missing_column_and_wrong_dtype() -> None:
    schema = {"columns": {"id": "Int64", "name": "Int64", "amount": "Float64"}, "required": ["id", "amount"]}
    message = _error(_app("ResultSteps.frame", [], schema))
    assert "missing column 'amount'" in message
    assert "column 'name' has dtype String, expected Int64" in message
    assert f"[at {PATH}]" in message


def test_results_that_keep_their_contract_complete() -> None:
    document = _app("ResultSteps.frame", [{"name": "lazy", "type": "boolean", "value": True}],
                    {"columns": {"id": "int64", "name": "str"}})
    assert run_application(document, {}, source="ok.json").to_dict()["status"] == "COMPLETE"


def test_lazy_frame_is_checked_without_being_collected() -> None:
    from contract_steps import ResultSteps

    frame = ResultSteps.exploding_lazy_frame()
    with pytest.raises(Exception, match="the LazyFrame was collected"):
        frame.collect()  # the frame really cannot be collected
    assert contract_violations({"columns": {"id": "Int64", "name": "String"}}, frame) == []
    assert contract_violations({"columns": {"id": "String"}}, frame) == ["column 'id' has dtype Int64, expected String"]
    document = _app("ResultSteps.explodingLazyFrame", [], {"columns": {"id": "Int64", "name": "String"}})
    result = run_application(document, {}, source="lazy.json").to_dict()
    assert result["status"] == "COMPLETE", result


def test_a_frame_given_to_a_json_schema_is_a_violation() -> None:
    assert contract_violations({"type": "object"}, pl.DataFrame({"a": [1]})) == [
        "expected a JSON value for this JSON Schema, got a polars.dataframe.frame.DataFrame"]


def test_declared_contract_of_a_step_function_is_enforced_and_catalogued() -> None:
    message = _error(_app("ResultSteps.declared", [{"name": "count", "type": "text", "value": "three"}]))
    assert "'three' is not of type 'integer'" in message and PATH in message
    entries = {t["engineMeta"]["command"]: t for t in templates(catalogue(["contract_steps"]))}
    assert entries["ResultSteps.declared"]["outputSchema"]["required"] == ["count"]
    library = {t["engineMeta"]["command"]: t for t in templates(catalogue(["steps_library"]))}
    assert library["QualitySteps.checkRowCount"]["outputSchema"] == {"type": "string", "enum": ["passed", "failed"]}
    assert library["FileSteps.exists"]["outputSchema"] == {"type": "boolean"}


def test_runtime_failure_names_step_path_and_parameter() -> None:
    document = _app("TypedSteps.total", [{"name": "frame", "type": "text", "value": "!notGiven"}])
    message = _error(document)
    assert message.endswith(f"[at {PATH}.params[0] (parameter frame)]")
    assert "TypeError" in message


def test_mapping_failure_names_the_parameter() -> None:
    document = _app("TypedSteps.take", [{"name": "rows", "type": "list", "value": [1]},
                                        {"name": "count", "type": "integer", "value": "!howMany"}])
    message = _error({**document, "globals": {"howMany": "lots"}})
    assert f"[at {PATH}.params[1] (parameter count)]" in message
