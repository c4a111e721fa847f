"""The StateStore contract for runs, executions, pipelines, step runs, events and kill requests.

Every test runs on SQLite and on PostgreSQL (see ``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from metalus_py.base.records import error_info
from metalus_py.state import (
    ClaimLostError,
    ClaimOutcome,
    ExecutionStatus,
    PipelineStatus,
    RunExistsError,
    RunStatus,
    StateStore,
    StepKey,
    StepStatus,
    UnknownRunError,
)

from .conftest import Backend, FakeClock


def test_create_and_get_run(store: StateStore) -> None:
    app = '{"id": "app1", "executions": [{"id": "E1"}]}'
    run = store.create_run(
        run_id="r1",
        application_id="app1",
        application_json=app,
        parameters={"a": 1, "nested": {"b": [1, 2]}},
        persist_policy="none",
        artifact_root="memory://arts/r1",
        parent_run_id="r0",
        metadata={"host": "h"},
    )
    assert run.status is RunStatus.RUNNING
    assert run.ended_at is None
    got = store.get_run(run_id="r1")
    assert got == run
    assert got.application_json == app
    assert got.parameters == {"a": 1, "nested": {"b": [1, 2]}}
    assert (got.persist_policy, got.artifact_root, got.parent_run_id) == ("none", "memory://arts/r1", "r0")
    assert got.metadata == {"host": "h"}
    assert store.get_run(run_id="missing") is None


def test_duplicate_run_is_refused(store: StateStore, make_run: Callable[..., str]) -> None:
    make_run("dup")
    with pytest.raises(RunExistsError) as info:
        make_run("dup")
    assert info.value.run_id == "dup"


def test_run_status_and_timestamps(store: StateStore, make_run: Callable[..., str], clock: FakeClock) -> None:
    run_id = make_run()
    clock.advance(5)
    done = store.set_run_status(run_id=run_id, status=RunStatus.FAILED)
    assert done.status is RunStatus.FAILED
    assert done.ended_at is not None and done.ended_at > done.started_at
    resumed = store.set_run_status(run_id=run_id, status="RUNNING")
    assert resumed.ended_at is None
    with pytest.raises(UnknownRunError):
        store.set_run_status(run_id="nope", status="COMPLETE")


def test_parameter_changes_are_each_recorded(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run(parameters={"a": 1, "b": 2})
    first = store.record_parameter_change(run_id=run_id, changes={"a": 10}, reason="resume")
    second = store.record_parameter_change(run_id=run_id, changes={"c": 3}, reason="resume")
    assert (first.seq, second.seq) == (1, 2)
    run = store.get_run(run_id=run_id)
    assert run is not None
    assert [c.changes for c in run.parameter_changes] == [{"a": 10}, {"c": 3}]
    assert run.parameters == {"a": 1, "b": 2}
    assert run.effective_parameters == {"a": 10, "b": 2, "c": 3}
    with pytest.raises(UnknownRunError):
        store.record_parameter_change(run_id="nope", changes={})


def test_list_runs_filters_newest_first(
    store: StateStore, make_run: Callable[..., str], clock: FakeClock
) -> None:
    make_run("a", application_id="x")
    clock.advance(1)
    make_run("b", application_id="y")
    clock.advance(1)
    make_run("c", application_id="x")
    store.set_run_status(run_id="c", status="COMPLETE")
    store.record_parameter_change(run_id="a", changes={"k": 1})
    assert [r.run_id for r in store.list_runs()] == ["c", "b", "a"]
    assert [r.run_id for r in store.list_runs(application_id="x")] == ["c", "a"]
    assert [r.run_id for r in store.list_runs(status=RunStatus.COMPLETE)] == ["c"]
    assert [r.run_id for r in store.list_runs(limit=1)] == ["c"]
    assert store.list_runs(application_id="x")[1].effective_parameters == {"k": 1}


def test_delete_run_removes_everything(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.record_execution(run_id=run_id, execution_key="E", execution_id="E", status="RUNNING")
    store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S", owner="o")
    store.append_event(run_id=run_id, event={"x": 1})
    store.acquire_lease(run_id=run_id, owner="o", ttl_seconds=10)
    assert store.delete_run(run_id=run_id) is True
    assert store.get_run(run_id=run_id) is None
    assert store.list_steps(run_id=run_id) == []
    assert store.list_events(run_id=run_id) == []
    assert store.get_lease(run_id=run_id) is None
    assert store.delete_run(run_id=run_id) is False


def test_executions_per_key(store: StateStore, make_run: Callable[..., str], clock: FakeClock) -> None:
    run_id = make_run()
    pending = store.record_execution(
        run_id=run_id,
        execution_key="Fork1[2][0]",
        execution_id="Fork1",
        status="PENDING",
        fork_indices=[2, 0],
    )
    assert pending.started_at is None and pending.ended_at is None
    running = store.record_execution(
        run_id=run_id,
        execution_key="Fork1[2][0]",
        execution_id="Fork1",
        status="RUNNING",
        fork_indices=[2, 0],
    )
    clock.advance(1)
    failed = store.record_execution(
        run_id=run_id,
        execution_key="Fork1[2][0]",
        execution_id="Fork1",
        status=ExecutionStatus.ERROR,
        fork_indices=[2, 0],
        reason="step failed",
        error=error_info(ValueError("bad")).stored(),
    )
    assert failed.fork_indices == (2, 0)
    assert failed.started_at == running.started_at
    assert failed.ended_at is not None and failed.started_at is not None
    assert failed.ended_at > failed.started_at
    assert failed.error is not None and failed.error["type"] == "ValueError"
    assert failed.error["message"] == "bad"
    store.record_execution(
        run_id=run_id, execution_key="E1", execution_id="E1", status="BLOCKED", reason="parent"
    )
    keys = [e.execution_key for e in store.list_executions(run_id=run_id)]
    assert keys == ["E1", "Fork1[2][0]"]
    assert store.get_execution(run_id=run_id, execution_key="E1").reason == "parent"  # type: ignore[union-attr]
    assert store.get_execution(run_id=run_id, execution_key="nope") is None
    again = store.record_execution(
        run_id=run_id,
        execution_key="Fork1[2][0]",
        execution_id="Fork1",
        status="RUNNING",
        fork_indices=[2, 0],
    )
    # a new attempt of the execution starts its own clock (per-attempt durations, as the result document)
    assert again.ended_at is None and again.error is None and again.started_at > running.started_at


def test_pipelines(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.record_pipeline(run_id=run_id, execution_key="E1", pipeline_id="P1", status="RUNNING")
    done = store.record_pipeline(
        run_id=run_id, execution_key="E1", pipeline_id="P1", status=PipelineStatus.COMPLETE
    )
    store.record_pipeline(run_id=run_id, execution_key="E2", pipeline_id="P1", status="SKIPPED")
    assert done.status is PipelineStatus.COMPLETE and done.started_at and done.ended_at
    assert len(store.list_pipelines(run_id=run_id)) == 2
    assert [p.execution_key for p in store.list_pipelines(run_id=run_id, execution_key="E2")] == ["E2"]


def test_step_lifecycle(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    key: dict[str, Any] = {
        "run_id": run_id,
        "execution_key": "Fork1[2]",
        "pipeline_id": "P",
        "step_path": "FORK[2].INNER",
    }
    claim = store.claim_step(**key, owner="o1", input_summary={"df": {"$type": "polars.DataFrame"}})
    assert claim.outcome is ClaimOutcome.CLAIMED and claim.claimed
    assert claim.record is not None
    assert claim.record.attempts == 1 and claim.record.status is StepStatus.RUNNING
    assert claim.record.input_summary == {"df": {"$type": "polars.DataFrame"}}
    retry = store.record_retry(**key, owner="o1", error=error_info(OSError("flaky")).stored())
    assert retry.attempts == 2 and retry.error is not None and retry.error["type"] == "OSError"
    ref = {"primary": {"format": "inline", "value": 3}, "named": {}}
    done = store.complete_step(
        **key, owner="o1", output_ref=ref, named_return_keys=["x", "y"], metrics={"rows": 3}
    )
    assert done.status is StepStatus.COMPLETE and done.error is None
    assert done.output_ref == ref and done.named_return_keys == ("x", "y") and done.metrics == {"rows": 3}
    assert done.key == StepKey("Fork1[2]", "P", "FORK[2].INNER")
    assert store.get_step(**key) == done
    again = store.claim_step(**key, owner="o2")
    assert again.outcome is ClaimOutcome.ALREADY_COMPLETE and again.record == done
    with pytest.raises(ClaimLostError):
        store.complete_step(**key, owner="o1")


def test_failed_step_is_claimed_again(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    key: dict[str, Any] = {
        "run_id": run_id,
        "execution_key": "E",
        "pipeline_id": "P",
        "step_path": "GROUP.subPipe.SUB",
    }
    store.claim_step(**key, owner="o1")
    try:
        raise KeyError("missing")
    except KeyError as exc:
        failed = store.fail_step(**key, owner="o1", error=error_info(exc).stored())
    assert failed.status is StepStatus.ERROR and failed.ended_at is not None
    assert failed.error is not None and "KeyError" in failed.error["traceback"]
    claim = store.claim_step(**key, owner="o2")
    assert claim.outcome is ClaimOutcome.CLAIMED and claim.record is not None
    assert claim.record.attempts == 2 and claim.record.owner == "o2" and claim.record.error is None
    killed = store.fail_step(**key, owner="o2", error=None, status=StepStatus.KILLED)
    assert killed.status is StepStatus.KILLED
    with pytest.raises(ValueError):
        store.fail_step(**key, owner="o2", error=None, status="COMPLETE")
    with pytest.raises(ClaimLostError):
        store.record_retry(**key, owner="o2")


def test_list_steps_and_copy_completed(store: StateStore, make_run: Callable[..., str]) -> None:
    src, dst = make_run("src"), make_run("dst", parent_run_id="src")
    for path in ("A", "B", "C"):
        store.claim_step(run_id=src, execution_key="E", pipeline_id="P", step_path=path, owner="o")
    for path in ("A", "B"):
        store.complete_step(
            run_id=src, execution_key="E", pipeline_id="P", step_path=path, owner="o", output_ref={"p": path}
        )
    store.claim_step(run_id=src, execution_key="E2", pipeline_id="P", step_path="A", owner="o")
    assert len(store.list_steps(run_id=src)) == 4
    assert len(store.list_steps(run_id=src, execution_key="E", pipeline_id="P")) == 3
    assert (
        store.copy_completed_steps(source_run_id=src, target_run_id=dst, steps=[StepKey("E", "P", "A")]) == 1
    )
    assert store.copy_completed_steps(source_run_id=src, target_run_id=dst) == 1  # B; A already there
    copied = store.list_steps(run_id=dst)
    assert [(s.step_path, s.status, s.output_ref) for s in copied] == [
        ("A", StepStatus.COMPLETE, {"p": "A"}),
        ("B", StepStatus.COMPLETE, {"p": "B"}),
    ]


def test_events_are_append_only_and_sequenced(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    other = make_run()
    assert store.append_event(run_id=run_id, event={"type": "runStarted"}) == 1
    assert store.append_events(run_id=run_id, events=[{"type": "a"}, {"type": "b", "n": [1]}]) == [2, 3]
    assert store.append_events(run_id=run_id, events=[]) == []
    assert store.append_event(run_id=other, event={"type": "x"}) == 1
    events = store.list_events(run_id=run_id)
    assert [(e.seq, e.event["type"]) for e in events] == [(1, "runStarted"), (2, "a"), (3, "b")]
    assert [e.seq for e in store.list_events(run_id=run_id, after_seq=1, limit=1)] == [2]
    with pytest.raises(UnknownRunError):
        store.append_event(run_id="nope", event={})


def test_kill_requests(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    whole = store.request_kill(run_id=run_id, reason="operator")
    step = store.request_kill(run_id=run_id, target="E1.P1.S1")
    pending = store.pending_kills(run_id=run_id)
    assert {k.request_id for k in pending} == {whole.request_id, step.request_id}
    assert {k.target for k in pending} == {None, "E1.P1.S1"}
    assert store.acknowledge_kill(request_id=whole.request_id) is True
    assert store.acknowledge_kill(request_id=whole.request_id) is False
    assert [k.target for k in store.pending_kills(run_id=run_id)] == ["E1.P1.S1"]


def test_store_reopens_with_data(backend: Backend, store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.close()
    again = backend.open()
    assert again.get_run(run_id=run_id) is not None
    assert isinstance(again, StateStore)
    assert again.url.startswith(("sqlite:///", "postgresql://"))


def test_default_artifact_root(store: StateStore) -> None:
    assert store.default_artifact_root(run_id="r9").rstrip("/").endswith("artifacts/r9")


def test_connections_of_finished_threads_are_closed(store: StateStore, make_run: Callable[..., str]) -> None:
    import threading

    run_id = make_run()
    for i in range(10):
        t = threading.Thread(target=store.append_event, kwargs={"run_id": run_id, "event": {"i": i}})
        t.start()
        t.join()
    store.append_event(run_id=run_id, event={"last": True})
    assert len(store._connections._by_thread) <= 2  # type: ignore[attr-defined]
    assert [e.seq for e in store.list_events(run_id=run_id)] == list(range(1, 12))
