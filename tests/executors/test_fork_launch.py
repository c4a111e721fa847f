"""The values of one fork launch share its prepared globals, yet each runs as its own execution.

The local backend builds a launch's starting globals once and runs its values from one queue
(``metalus_py/executors/values.py``); these tests hold it to what one execution per value gave:
independent starting globals, a failing value leaving the others alone, the same records on a
state store.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import metalus_py
from metalus_py.base.status import ExecutionStatus
from metalus_py.durable.session import RunOptions, start_run
from metalus_py.executors.values import ValueBatch
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.plan.work import ReadyExecution
from metalus_py.state import open_store
from tests.builders import execution, param, pipeline, step, write


def _app(values: list[Any], function: str) -> dict[str, Any]:
    return {
        "stepPackages": ["fork_launch_steps", "dask_steps"],
        "globals": {"values": values, "GlobalLinks": {"mark": "app"}},
        "pipelines": [
            pipeline("P_ROOT", step("NOOP", "DaskSteps.pid")),
            pipeline("P_VALUE", step("V", function, param("value", "!executionForkValue"))),
            pipeline("P_JOIN", step("J", "DaskSteps.pid")),
        ],
        "executions": [
            execution("ROOT", "P_ROOT"),
            execution("FORK", "P_VALUE", parents=["ROOT"], executionType="fork", forkByValues="values"),
            execution("JOIN", "P_JOIN", parents=["FORK"], executionType="join"),
        ],
    }


def _run(app: Path, state: str, tmp_path: Path) -> dict[str, Any]:
    """The result document of a run with ``--state none`` or on a SQLite store."""
    if state == "none":
        return metalus_py.run_application(str(app), max_workers=3).to_dict()
    store = open_store(f"sqlite:///{tmp_path}/state.db")
    assert store is not None
    try:
        return start_run(store, str(app), {}, options=RunOptions(max_workers=3)).to_dict()
    finally:
        store.close()


def _value_results(document: dict[str, Any], count: int) -> list[Any]:
    executions = document["executions"]
    return [executions[f"FORK[{i}]"]["pipelines"]["P_VALUE"]["steps"]["V"].get("primaryReturn")
            for i in range(count)]


@pytest.mark.parametrize("state", ["none", "sqlite"])
def test_each_value_starts_from_its_own_copy_of_the_launch_globals(tmp_path: Path, state: str) -> None:
    values = list(range(40))
    document = _run(write(_app(values, "ForkLaunchSteps.peek_and_mark"), tmp_path), state, tmp_path)
    assert document["status"] == "COMPLETE"
    seen = _value_results(document, len(values))
    # no value saw the marks another value left on its parent view or its global links
    assert seen == [{"value": v, "viewMark": None, "linkMark": "app"} for v in values]


@pytest.mark.parametrize("state", ["none", "sqlite"])
def test_a_failing_value_leaves_the_other_values_complete(tmp_path: Path, state: str) -> None:
    document = _run(write(_app([1, 2, 0, 4], "ForkLaunchSteps.invert"), tmp_path), state, tmp_path)
    executions = document["executions"]
    statuses = {key: executions[key]["status"] for key in ("FORK[0]", "FORK[1]", "FORK[2]", "FORK[3]", "JOIN")}
    assert statuses == {"FORK[0]": "COMPLETE", "FORK[1]": "COMPLETE", "FORK[2]": "ERROR", "FORK[3]": "COMPLETE",
                        "JOIN": "BLOCKED"}
    assert _value_results(document, 4) == [1.0, 0.5, None, 0.25]
    assert "division" in executions["FORK[2]"]["reason"]


def _works(count: int) -> list[ReadyExecution]:
    launch = ReadyExecution("F", (), [], "fork")
    return [launch.for_value(i, i) for i in range(count)]


def _outcome(work: ReadyExecution) -> ExecutionOutcome:
    return ExecutionOutcome(work.key, work.execution_id, list(work.index), ExecutionStatus.COMPLETE,
                            globals={"value": work.fork_value})


def _batch_run(works: list[ReadyExecution], run_one: Any, max_workers: int) -> list[ExecutionOutcome]:
    """Run a batch on a real pool; return every reported outcome once the last one arrived."""
    reported: list[ExecutionOutcome] = []
    lock, done = threading.Lock(), threading.Event()

    def report(batch: list[ExecutionOutcome]) -> None:
        with lock:
            reported.extend(batch)
            if len(reported) >= len(works):
                done.set()

    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        ValueBatch(works, run_one, report, pool, max_workers).start()
        assert done.wait(60)  # a safety limit, not a timing assertion
    return reported


def test_a_value_batch_reports_every_value_exactly_once() -> None:
    works = _works(500)
    reported = _batch_run(works, _outcome, 3)
    assert sorted(o.key for o in reported) == sorted(w.key for w in works)
    assert all(o.globals["value"] == o.fork_index[-1] for o in reported if o.fork_index)


def test_a_value_the_backend_cannot_run_is_reported_as_its_error() -> None:
    def run_one(work: ReadyExecution) -> ExecutionOutcome:
        if work.fork_value == 3:
            raise RuntimeError("no spec for this value")
        return _outcome(work)

    reported = {o.key: o for o in _batch_run(_works(6), run_one, 2)}
    assert len(reported) == 6
    assert reported["F[3]"].status == ExecutionStatus.ERROR
    assert "no spec for this value" in (reported["F[3]"].reason or "")
    assert reported["F[3]"].error is not None and reported["F[3]"].error.type == "RuntimeError"
    assert {k for k, o in reported.items() if o.status == ExecutionStatus.COMPLETE} == {
        "F[0]", "F[1]", "F[2]", "F[4]", "F[5]"}
