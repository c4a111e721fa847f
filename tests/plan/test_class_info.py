"""Class-info sections are built and used: pipelineListener, credentialProvider, pipelineManager."""

from __future__ import annotations

from typing import Any

import class_info_objects as objects

from metalus_py import run_application


def _echo(step_id: str, value: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "Pipeline", "engineMeta": {"command": "PlanSteps.echo"},
            "params": [{"name": "value", "type": "text", "value": value}]}


def test_class_info_objects_are_built_and_used() -> None:
    document = {
        "stepPackages": ["plan_steps", "class_info_objects"],  # classes come from allowed packages (§14)
        "pipelineListener": {"className": "class_info_objects.RecordingListener", "parameters": {"name": "app"}},
        "credentialProvider": {"className": "class_info_objects.StaticCredentials",
                               "parameters": {"values": {"db": "pw-from-provider"}}},
        "pipelineManager": {"className": "class_info_objects.DictPipelines", "parameters": {"pipelines": {
            "Managed": {"id": "Managed", "steps": [_echo("M", "from the manager")]}}}},
        "executions": [
            {"id": "A", "pipelines": [{"id": "P", "steps": [
                _echo("S", "%db.name"),
                {"id": "G", "type": "step-group", "params": [{"name": "pipelineId", "value": "Managed"}]}]}]},
            {"id": "B", "parents": ["A"],
             "pipelineListener": {"className": "class_info_objects.RecordingListener", "parameters": {"name": "b"}},
             "pipelines": [{"id": "Q", "steps": [_echo("T", "x")]}]},
        ],
    }
    document["executions"][0]["pipelines"][0]["steps"][0]["nextStepId"] = "G"
    result = run_application(document)
    assert result.status == "COMPLETE"
    assert result.step_result("A", "P", "S") == "db"  # the provider answered %db
    group = result.step_result("A", "P", "G")
    assert group["M"].primary_return == "from the manager"  # the manager supplied the step group
    assert "execution_started:A" in objects.SEEN["app"] and "execution_started:B" in objects.SEEN["app"]
    assert objects.SEEN["b"] and all(entry.endswith(":B") for entry in objects.SEEN["b"])
