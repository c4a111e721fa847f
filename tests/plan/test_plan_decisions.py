"""Evaluation pipelines (RUN / SKIP / STOP), skips from main pipelines and pause propagation."""

from __future__ import annotations

from metalus_py.api import run_application
from tests.plan import planapps


def test_evaluation_skip_skips_pipelines_and_children_run() -> None:
    result = run_application(planapps.evaluation_skip())
    a, b = result.executions["A"], result.executions["B"]
    assert a.status == "SKIPPED" and "nothing to do today" in (a.reason or "")
    assert a.parameters == {}  # the main pipeline never ran
    assert a.pipelines["Main"].status == "SKIPPED"
    assert b.status == "COMPLETE"
    assert result.step_result("B", "Child", "S") == "child ran"
    assert result.step_result("B", "Child", "ParentMain") is None
    assert result.status == "COMPLETE" and result.exit_code == 0


def test_evaluation_stop_blocks_descendants_and_run_is_complete() -> None:
    result = run_application(planapps.evaluation_stop())
    states = {k: o.status for k, o in result.executions.items()}
    assert states == {"A": "STOPPED", "B": "BLOCKED", "C": "BLOCKED", "D": "COMPLETE"}
    assert "data not ready" in (result.executions["A"].reason or "")
    assert "'A'" in (result.executions["B"].reason or "")
    assert "'B'" in (result.executions["C"].reason or "")
    assert "Main" not in result.executions["A"].parameters
    assert result.status == "COMPLETE" and result.exit_code == 0
    document = result.to_dict()
    assert document["executions"]["B"]["status"] == "BLOCKED" and document["executions"]["B"]["reason"]


def test_main_pipeline_skip_execution_exception() -> None:
    result = run_application(planapps.main_pipeline_skip())
    a = result.executions["A"]
    assert a.status == "SKIPPED" and "skip the rest" in (a.reason or "")
    assert a.pipelines["First"].status == "COMPLETE"
    assert a.pipelines["Skipper"].status == "SKIPPED"
    assert a.pipelines["Third"].status == "SKIPPED"
    assert "Third" not in a.parameters
    assert result.executions["B"].status == "COMPLETE"
    assert result.status == "COMPLETE"


def test_pause_propagates_to_descendants_and_run_is_paused() -> None:
    result = run_application(planapps.pause_chain())
    states = {k: o.status for k, o in result.executions.items()}
    assert states == {"A": "COMPLETE", "B": "PAUSED", "C": "BLOCKED", "D": "BLOCKED", "E": "COMPLETE"}
    assert "paused at B" in (result.executions["B"].reason or "")
    assert result.status == "PAUSED" and result.exit_code == 3
    assert result.executions["C"].pipelines == {} and result.executions["D"].pipelines == {}
