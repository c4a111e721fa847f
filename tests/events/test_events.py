"""Listeners, the event sequence of a run, the JSON-lines event log and audits (metrics, timings)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metalus_py import PipelineListener, RunEvent, run_application
from metalus_py.events.jsonlines import JsonLinesEventLog, read_events
from tests import builders

TESTS = Path(__file__).resolve().parents[1]
STEP_PACKAGES = ["plan_steps"]


class Recorder:
    def __init__(self) -> None:
        self.events: list[RunEvent] = []

    def on_event(self, event: RunEvent) -> None:
        self.events.append(event)

    def kinds(self, **where: Any) -> list[str]:
        return [e.kind for e in self.events if all(getattr(e, k) == v for k, v in where.items())]


def step(step_id: str, function: str = "PlanSteps.echo", next_step: str | None = None, **params: Any) -> dict:
    return builders.step(step_id, function, *[{"name": k, "type": "text", "value": v} for k, v in params.items()],
                         next_=next_step, meta="command")


def app(*executions: dict) -> dict:
    return {"stepPackages": STEP_PACKAGES, "executions": list(executions)}


def chain_app() -> dict:
    return app({"id": "E", "pipelines": [{"id": "P", "steps": [
        step("A", next_step="B", value="a"), step("B", value="@A")]}]})


def test_event_sequence_of_a_simple_run() -> None:
    recorder = Recorder()
    result = run_application(chain_app(), listeners=[recorder])
    assert result.status == "COMPLETE"
    assert recorder.kinds() == [
        "application_started",
        "execution_started",
        "pipeline_started",
        "step_started", "step_finished",
        "step_started", "step_finished",
        "pipeline_finished",
        "execution_finished",
        "application_finished",
    ]
    finished = [e for e in recorder.events if e.kind == "step_finished"]
    assert [e.step_id for e in finished] == ["A", "B"]
    assert all(e.run_id == result.run_id and e.execution_id == "E" and e.pipeline_id == "P" for e in finished)
    assert all(e.duration is not None and e.duration >= 0 for e in finished)


def test_events_of_a_fork_step_carry_the_value_path() -> None:
    steps = [
        step("LIST", next_step="FORK", value=[1, 2, 3]),
        {"id": "FORK", "type": "fork", "nextStepId": "EACH", "params": [
            {"name": "forkByValues", "type": "text", "value": "@LIST"},
            {"name": "forkMethod", "type": "text", "value": "serial"}]},
        step("EACH", next_step="JOIN", value="@FORK"),
        {"id": "JOIN", "type": "join", "nextStepId": "SUM"},
        step("SUM", function="PlanSteps.total", values="@EACH"),
    ]
    recorder = Recorder()
    result = run_application(app({"id": "E", "pipelines": [{"id": "P", "steps": steps}]}), listeners=[recorder])
    assert result.status == "COMPLETE"
    assert result.step_result("E", "P", "SUM") == 6
    each = [e.path for e in recorder.events if e.kind == "step_finished" and e.step_id == "EACH"]
    assert each == ["FORK[0].EACH", "FORK[1].EACH", "FORK[2].EACH"]
    order = [(e.kind, e.step_id) for e in recorder.events if e.kind.startswith("step_")]
    assert order[0] == ("step_started", "LIST")
    assert order[-1] == ("step_finished", "SUM")


def test_fork_execution_events_carry_fork_index() -> None:
    document = app(
        {"id": "F", "executionType": "fork", "forkByValues": "values", "globals": {"values": ["x", "y"]},
         "pipelines": [{"id": "P", "steps": [step("S", value="!executionForkValue")]}]},
        {"id": "J", "executionType": "join", "parents": ["F"],
         "pipelines": [{"id": "Q", "steps": [step("T", value="!F.pipelineParameters.P.S.primaryReturn")]}]},
    )
    recorder = Recorder()
    result = run_application(document, listeners=[recorder])
    assert result.status == "COMPLETE"
    started = sorted(tuple(e.fork_index or []) for e in recorder.events
                     if e.kind == "execution_started" and e.execution_id == "F")
    assert started == [(0,), (1,)]
    assert result.step_result("J", "Q", "T") == ["x", "y"]


def test_errors_emit_step_exception_and_execution_stopped() -> None:
    document = app(
        {"id": "A", "pipelines": [{"id": "P", "steps": [step("BAD", function="PlanSteps.fail", value="boom")]}]},
        {"id": "B", "parents": ["A"], "pipelines": [{"id": "Q", "steps": [step("S", value="x")]}]},
    )
    recorder = Recorder()
    result = run_application(document, listeners=[recorder])
    assert result.status == "FAILED"
    exception = [e for e in recorder.events if e.kind == "step_exception"]
    assert len(exception) == 1 and exception[0].step_id == "BAD" and "boom" in (exception[0].error or "")
    stopped = {e.execution_id: e.status for e in recorder.events if e.kind == "execution_stopped"}
    assert stopped == {"A": "ERROR", "B": "BLOCKED"}


def test_retry_events_are_emitted() -> None:
    flaky = step("F", function="PlanSteps.fail", value="again")
    flaky["retryLimit"] = 2
    flaky["retryPolicy"] = {"type": "fixed", "delaySeconds": 0}
    recorder = Recorder()
    result = run_application(app({"id": "E", "pipelines": [{"id": "P", "steps": [flaky]}]}), listeners=[recorder])
    assert result.status == "FAILED"
    assert recorder.kinds().count("step_retry") == 2
    document = result.to_dict()
    assert document["executions"]["E"]["pipelines"]["P"]["steps"]["F"]["attempts"] == 3


def test_evaluation_skip_emits_execution_skipped() -> None:
    document = app({"id": "E", "evaluationPipelines": [{"id": "EV", "steps": [
        step("SKIP", function="ExceptionSteps.throwSkipExecutionException", message="nothing new")]}],
        "pipelines": [{"id": "P", "steps": [step("S", value="x")]}]})
    document["stepPackages"] = [*STEP_PACKAGES, "steps_library"]
    recorder = Recorder()
    result = run_application(document, listeners=[recorder])
    assert result.status == "COMPLETE"
    assert "execution_skipped" in recorder.kinds(execution_id="E")


class Exploding(PipelineListener):
    def step_finished(self, event: RunEvent) -> None:
        raise RuntimeError("listener bug")


def test_a_failing_listener_never_fails_the_run(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger="metalus_py.events"):
        result = run_application(chain_app(), listeners=[Exploding(), recorder])
    assert result.status == "COMPLETE"
    assert result.step_result("E", "P", "B") == "a"
    # the other listener still saw everything
    assert recorder.kinds().count("step_finished") == 2
    assert "listener bug" in caplog.text


def test_json_lines_event_log_round_trips(tmp_path: Path) -> None:
    log = JsonLinesEventLog(str(tmp_path / "events" / "run.jsonl"))
    result = run_application(chain_app(), listeners=[log])
    log.close()
    events = read_events(str(tmp_path / "events" / "run.jsonl"))
    assert [e["event"] for e in events][0] == "application_started"
    assert [e["event"] for e in events][-1] == "application_finished"
    step_events = [e for e in events if e["event"] == "step_finished"]
    assert {e["stepId"] for e in step_events} == {"A", "B"}
    assert all(e["runId"] == result.run_id for e in events)
    assert all("timestamp" in e for e in events)


def test_json_lines_event_log_on_memory_filesystem() -> None:
    log = JsonLinesEventLog("memory://metalus-tests/events.jsonl")
    run_application(chain_app(), listeners=[log])
    log.close()
    assert len(read_events("memory://metalus-tests/events.jsonl")) == 10


def test_audits_have_frame_metrics_and_step_metrics() -> None:
    document = app({"id": "E", "pipelines": [{"id": "P", "steps": [
        step("FRAME", function="PlanSteps.frame", next_step="NAMED", rows=4),
        step("NAMED", function="ExecutionSteps.normalFunction", value="v")]}]})
    document["stepPackages"] = [*STEP_PACKAGES, "com.acxiom.pipeline.steps"]
    result = run_application(document)
    steps = result.to_dict()["executions"]["E"]["pipelines"]["P"]["steps"]
    assert steps["FRAME"]["metrics"]["rows"] == 4
    assert steps["FRAME"]["metrics"]["columns"] >= 1
    assert steps["FRAME"]["metrics"]["estimatedBytes"] > 0
    assert steps["FRAME"]["primaryReturn"]["$type"] == "polars.DataFrame"
    assert steps["NAMED"]["metrics"] == {"funcMetric": "v"}
    for entry in steps.values():
        assert entry["startedAt"] <= entry["endedAt"]
        assert entry["durationSeconds"] >= 0
    record = result.executions["E"].pipelines["P"].steps["FRAME"]
    assert record.metrics["rows"] == 4


def test_cli_plain_progress_quiet_and_verbose(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps(chain_app()))
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"))

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "metalus_py.cli", "run", str(path), "--state", "none", *extra],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    normal = run()
    assert normal.returncode == 0
    # one plain line per event when the output is not a terminal
    assert "[metalus] pipeline_started" in normal.stderr and "[metalus] step_started" in normal.stderr
    assert "E.P.A" in normal.stderr
    verbose = run("--verbose")
    assert "[metalus] step_started" in verbose.stderr
    quiet = run("--quiet")
    assert quiet.returncode == 0 and quiet.stderr.strip() == ""
    logs = sorted((tmp_path / ".metalus" / "events").glob("*.jsonl"))
    assert len(logs) == 3
    none = run("--quiet", "--events", "none")
    assert none.returncode == 0
    assert len(sorted((tmp_path / ".metalus" / "events").glob("*.jsonl"))) == 3


def test_cli_live_view_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, `metalus run` draws a live table of executions (rich) instead of plain lines."""
    import pty

    path = tmp_path / "app.json"
    path.write_text(json.dumps(chain_app()))
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"), COLUMNS="100", TERM="xterm")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "metalus_py.cli", "run", str(path), "--state", "none"],
                            cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "metalus run" in screen  # the live table's title
    assert "COMPLETE" in screen
    assert "[metalus] pipeline_started" not in screen  # no plain lines on a terminal


def test_python_api_writes_events_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "run-events.jsonl"
    result = run_application(chain_app(), events=str(target))
    events = read_events(str(target))
    assert events[0]["event"] == "application_started" and events[-1]["event"] == "application_finished"
    assert result.to_dict()["events"] == str(target)


def test_log_records_from_steps_carry_the_running_ids(caplog: pytest.LogCaptureFixture) -> None:
    document = app({"id": "E", "pipelines": [{"id": "P", "steps": [step("LOG", function="PlanSteps.log",
                                                                        message="hello")]}]})
    with caplog.at_level(logging.INFO, logger="plan_steps"):
        result = run_application(document)
    records = [r for r in caplog.records if r.getMessage() == "hello"]
    assert records, caplog.text
    record = records[0]
    ids = (record.metalus_run_id, record.metalus_execution_id, record.metalus_pipeline_id, record.metalus_step_id)
    assert ids == (result.run_id, "E", "P", "LOG")
    assert f"run={result.run_id}" in record.metalus_ids
