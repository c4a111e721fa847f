"""The library driven by an application JSON through the engine (Metalus-style camelCase names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

api = pytest.importorskip("metalus_py.api")


def _step(step_id: str, command: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    kinds = {bool: "boolean", list: "list", dict: "object"}
    return {
        "id": step_id,
        "type": extra.pop("type", "Pipeline"),
        "engineMeta": {"command": command},
        "params": [
            {"name": name, "type": kinds.get(type(value), "text"), "value": value}
            for name, value in params.items()
        ]
        + [
            {"name": name, "type": "result", "value": target}
            for name, target in extra.pop("results", {}).items()
        ],
        **extra,
    }


def _application(source: str, output: str) -> dict[str, Any]:
    steps = [
        _step("READ", "DataReaderSteps.readCsv", {"path": "!input", "lazy": True}, nextStepId="FILTER"),
        _step(
            "FILTER",
            "TransformationSteps.applyFilter",
            {"dataFrame": "@READ", "expression": "amount IS NOT NULL"},
            nextStepId="CHECK",
        ),
        _step(
            "CHECK",
            "QualitySteps.checkNotNull",
            {"dataFrame": "@FILTER", "columns": ["amount"], "fail": False},
            type="branch",
            results={"passed": "GROUP", "failed": "STOP"},
        ),
        _step(
            "GROUP",
            "TransformationSteps.groupBy",
            {"dataFrame": "@FILTER", "groupings": ["grp"], "aggregations": ["sum(amount) AS total"]},
            nextStepId="EMPTY",
        ),
        _step(
            "EMPTY",
            "FlowSteps.isEmpty",
            {"value": "@GROUP"},
            type="branch",
            results={"false": "WRITE", "true": "STOP"},
        ),
        _step("WRITE", "DataWriterSteps.writeParquet", {"dataFrame": "@GROUP", "path": "!output"}),
        _step("STOP", "ExceptionSteps.throwPipelineException", {"message": "bad data"}),
    ]
    skip = [_step("SKIP", "ExceptionSteps.throwSkipExecutionException", {"message": "nothing to do"})]
    return {
        "stepPackages": ["steps_library"],
        "globals": {"input": source, "output": output},
        "pipelines": [{"id": "etl", "name": "etl", "steps": steps}],
        "executions": [
            {"id": "load", "pipelineIds": ["etl"]},
            {
                "id": "skipped",
                "parents": ["load"],
                "pipelineIds": ["etl"],
                "evaluationPipelines": [{"id": "gate", "name": "gate", "steps": skip}],
            },
        ],
    }


def test_application_runs_the_library_steps(tmp_path: Path) -> None:
    source, output = tmp_path / "in.csv", tmp_path / "out.parquet"
    pl.DataFrame({"grp": ["a", "b", "a", "b"], "amount": [1.0, 2.0, 3.0, None]}).write_csv(source)
    document = api.run_application(_application(str(source), str(output))).to_dict()
    assert document["status"] == "COMPLETE"
    load = document["executions"]["load"]
    steps = load["pipelines"]["etl"]["steps"]
    assert list(steps) == ["READ", "FILTER", "CHECK", "GROUP", "EMPTY", "WRITE"]
    assert steps["CHECK"]["primaryReturn"] == "passed"
    assert steps["CHECK"]["metrics"]["nullCheck.rows"] == 3
    assert steps["WRITE"]["primaryReturn"] == str(output)
    assert document["executions"]["skipped"]["status"] == "SKIPPED"
    assert pl.read_parquet(output).sort("grp").rows() == [("a", 4.0), ("b", 2.0)]
