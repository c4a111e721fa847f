"""Metalus's own application files run unchanged with the outcomes metalus-spec.md 5.8 lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.api.results import RunResult
from metalus_py.validation import ApplicationValidationError

APPS = Path(__file__).resolve().parents[1] / "resources" / "corpus" / "applications"
ROOT_GLOBALS = {"rootLogLevel": True, "customLogLevels": ""}


def run(name: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> RunResult:
    return run_application(str(APPS / name), parameters or {}, **kwargs)


def primary(result: RunResult, key: str, pipeline_id: str, step_id: str) -> Any:
    return result.step_result(key, pipeline_id, step_id)


def statuses(result: RunResult) -> dict[str, str]:
    return {key: outcome.status for key, outcome in result.executions.items()}


def test_single_execution() -> None:
    result = run("single-execution.json")
    assert statuses(result) == {"0": "COMPLETE"}
    assert primary(result, "0", "Pipeline1", "Pipeline1Step1") == "Fred"
    assert result.executions["0"].parameters["Pipeline1"]["Pipeline1Step1"].named_returns["$metrics.funcMetric"] == (
        "Fred")
    assert result.status == "COMPLETE" and result.exit_code == 0


def test_parent_child() -> None:
    result = run("parent-child.json")
    assert primary(result, "0", "Pipeline1", "Pipeline1Step1") == "Fred"
    assert primary(result, "1", "Pipeline2", "Pipeline2Step1") == "Fred"


def test_parent_child_skip_with_root_executions() -> None:
    result = run("parent-child-skip.json", root_executions=["1"])
    assert result.executions["1"].status == "COMPLETE"
    assert primary(result, "1", "Pipeline2", "Pipeline2Step1") == "Not Fred"
    assert result.executions["0"].status != "COMPLETE"
    assert result.executions["0"].pipelines == {} and result.executions["0"].reason  # Pipeline1 never ran
    # the command-line spelling of the same thing
    via_parameter = run("parent-child-skip.json", {"root-executions": "1"})
    assert via_parameter.executions["0"].pipelines == {}
    assert primary(via_parameter, "1", "Pipeline2", "Pipeline2Step1") == "Not Fred"


MULTI_TIER = {
    ("0", "Pipeline1"): ["Chain0"],
    ("1", "PipelineChain1"): ["Chain0", "Chain1"],
    ("2", "PipelineChain2"): ["Chain0", "Chain2"],
    ("3", "PipelineChain3"): ["Chain0", "Chain3"],
    ("4", "Pipeline3"): ["Chain1", "Chain3"],
}


def _values(result: RunResult, key: str, pipeline_id: str) -> list[Any]:
    steps = result.executions[key].parameters[pipeline_id]
    return [response.primary_return for response in steps.values()]


def test_multi_tiered_chain_values() -> None:
    result = run("multi-tiered.json")
    assert set(statuses(result).values()) == {"COMPLETE"}
    for (key, pipeline_id), expected in MULTI_TIER.items():
        assert _values(result, key, pipeline_id) == expected, (key, pipeline_id)
    assert len(result.executions["2"].pipelines["PipelineChain2"].steps) == 2
    five = result.executions["5"]
    metrics = [next(iter(p.steps.values())).metrics.get("funcMetric") for p in five.pipelines.values()]
    assert metrics == ["Chain5", "Chain5a"]


def test_multi_tiered_exception_blocks_descendants() -> None:
    result = run("multi-tiered-exception.json")
    states = statuses(result)
    assert states["1"] == "ERROR" and "Called exception step: fred" in (result.executions["1"].reason or "")
    assert states["4"] == "BLOCKED" and "'1'" in (result.executions["4"].reason or "")
    assert result.executions["1"].pipelines["PipelineChain1"].status == "ERROR"  # PipelineChain1 never finishes
    assert not result.executions["1"].parameters.get("PipelineChain1")
    assert result.executions["4"].pipelines == {}  # Pipeline3 never runs
    for key in ("0", "2", "3", "5"):
        assert states[key] == "COMPLETE"
    assert _values(result, "2", "PipelineChain2") == ["Chain0", "Chain2"]
    assert [k for k, o in result.executions.items() if o.error] == ["1"]  # only that exception
    assert result.status == "FAILED" and result.exit_code == 1


def test_multi_tiered_pause_blocks_descendants() -> None:
    result = run("multi-tiered-pause.json")
    states = statuses(result)
    assert states["1"] == "PAUSED" and "Called pause step: fred" in (result.executions["1"].reason or "")
    assert states["4"] == "BLOCKED" and result.executions["4"].reason
    assert result.executions["4"].pipelines == {}
    assert {states[k] for k in ("0", "2", "3", "5")} == {"COMPLETE"}
    assert result.status == "PAUSED" and result.exit_code == 3


def test_global_links_table() -> None:
    result = run("global-links.json")
    assert set(statuses(result).values()) == {"COMPLETE"}
    assert primary(result, "0", "Pipeline0", "Pipeline0StepA") == "pipeline0_override"
    assert _values(result, "1", "Pipeline1") == ["pipeline1_override", "pipeline0_original"]
    assert _values(result, "2", "Pipeline2") == ["pipeline0_override", "pipeline0_original"]
    assert _values(result, "3", "Pipeline3") == ["pipeline1_override", "pipeline0_original", "pipeline1_original"]
    # execution 4 (parents 0, 2; own shared link). Same as Metalus here: parent 2 inherited 0's links,
    # so "all parents merged" (ours) and "last parent only" (Metalus) agree; pipeline1ShortName is
    # linked by no ancestor and the alternate applies.
    assert _values(result, "4", "Pipeline4") == ["pipeline4_override", "pipeline0_original", "unknown"]


def test_skip_execution() -> None:
    result = run("skip-execution-test.json")
    zero, one = result.executions["0"], result.executions["1"]
    assert zero.status == "SKIPPED"
    assert zero.parameters == {}  # no pipeline parameters: the main pipeline never ran
    assert one.status == "COMPLETE" and one.parameters
    assert primary(result, "1", "Pipeline1", "Pipeline1Step1") == "Fred"
    assert result.status == "COMPLETE" and result.exit_code == 0


def test_fork_application_embedded_forks() -> None:
    result = run("fork-application-test.json")
    assert result.status == "COMPLETE"
    ids = {o.execution_id for o in result.executions.values()}
    assert ids == {"Root", "E1", "Fork1", "E2", "E3", "E4", "E5", "Fork2", "Join1", "Join2"}
    assert set(statuses(result).values()) == {"COMPLETE"}
    assert [k for k in result.executions if k.startswith("Fork1")] == ["Fork1[0]", "Fork1[1]", "Fork1[2]"]
    assert [k for k in result.executions if k.startswith("Join2")] == ["Join2[0]", "Join2[1]", "Join2[2]"]
    assert [k for k in result.executions if k.startswith("Join1")] == ["Join1"]
    fork_values = ["1", "2", "3"]
    for i, value in enumerate(fork_values):
        for execution_id in ("E2", "E4"):
            globals_ = result.executions[f"{execution_id}[{i}]"].globals
            assert globals_["executionForkValue"] == value and globals_["executionForkValueIndex"] == i
        assert primary(result, f"E2[{i}]", "Pipeline1", "Pipeline1Step1") == f"E2 Execution with fork value {value}"
        for j, inner in enumerate(["a", "b", "c"]):
            e3 = result.executions[f"E3[{i}][{j}]"].globals
            assert e3["executionForkValue"] == inner and e3["executionForkValueIndex"] == j
            assert primary(result, f"E3[{i}][{j}]", "Pipeline1", "Pipeline1Step1") == (
                f"E3 Execution with fork value {inner}")
        assert "executionForkValue" not in result.executions[f"Join2[{i}]"].globals
    join1 = result.executions["Join1"].globals
    assert "executionForkValue" not in join1
    assert primary(result, "Join1", "Pipeline1", "Pipeline1Step1") == "Join1 Execution with fork value None"
    # Join1 sees each in-fork parent as lists in fork-value order
    e4_steps = join1["E4"]["pipelineParameters"]["Pipeline1"]["Pipeline1Step1"].primary_return
    assert e4_steps == [f"E4 Execution with fork value {v}" for v in fork_values]
    assert join1["E4"]["globals"]["executionForkValue"] == fork_values
    assert len(join1["Join2"]["pipelineParameters"]["Pipeline1"]["Pipeline1Step1"].primary_return) == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fork-validation-test.json", "Unable to find a join execution for the fork execution 0"),
        ("fork-validation-test2.json", "Multiple join executions found for 0"),
        ("no-pipeline-application-test.json",
         "Either pipelines, pipelineIds or application pipelines must be provided for an execution"),
    ],
)
def test_rejected_with_metalus_messages(name: str, message: str) -> None:
    with pytest.raises(ApplicationValidationError) as caught:
        run(name, ROOT_GLOBALS)
    assert message in str(caught.value)


def test_required_parameters_message() -> None:
    with pytest.raises(ApplicationValidationError, match="Missing required parameters: rootLogLevel"):
        run("application-test.json")


SCALA_CLASSES = [
    ("application-test.json", "globals.mappedObject", "com.acxiom.pipeline.applications.TestGlobalObject"),
    ("application-response-test.json", "globals.mappedObject", "com.acxiom.pipeline.applications.TestGlobalObject"),
    ("metadata-testApp.json", "globals.mappedObject", "com.acxiom.pipeline.applications.TestGlobalObject"),
    ("application-enum-test.json", "globals.silkie", "com.acxiom.pipeline.applications.Silkie"),
    ("application-json4s-test.json", "globals.coop", "com.acxiom.pipeline.applications.Coop"),
]


@pytest.mark.parametrize(("name", "path", "class_name"), SCALA_CLASSES, ids=[c[0] for c in SCALA_CLASSES])
def test_scala_classes_are_rejected_naming_class_and_path(name: str, path: str, class_name: str) -> None:
    started: list[Any] = []

    class Recorder:
        def on_event(self, event: Any) -> None:
            started.append(event)

    with pytest.raises(ApplicationValidationError) as caught:
        run(name, ROOT_GLOBALS, listeners=[Recorder()])
    problems = [p for p in caught.value.problems if p.severity == "error"]
    assert any(class_name in p.message and path in p.path for p in problems), [str(p) for p in problems]
    assert started == []
