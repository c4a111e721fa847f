"""Runs on a real dask.distributed LocalCluster (2 worker processes) give what local runs give."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.base.exceptions import ApplicationError
from metalus_py.durable.inspect import RecordedRun
from metalus_py.events.jsonlines import read_events
from metalus_py.executors import ExecutorChoice
from metalus_py.state import open_store
from tests.durable.apps import write
from tests.executors.apps import comparable, fork_join_application
from tests.executors.conftest import worker_pids


def test_fork_join_on_dask_gives_the_local_result_document(tmp_path: Path, dask_client: Any) -> None:
    app = write(fork_join_application(8), tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    local = run_application(str(app), {"sideEffect": str(tmp_path / "local.txt")}, state=state, executor="local",
                            events=str(tmp_path / "local-events.jsonl"))
    events = tmp_path / "dask-events.jsonl"
    on_dask = run_application(str(app), {"sideEffect": str(tmp_path / "dask.txt")}, state=state,
                              executor=ExecutorChoice("dask", dask_client.scheduler.address), events=str(events))
    assert local.status == on_dask.status == "COMPLETE"
    local_doc, dask_doc = local.to_dict(), on_dask.to_dict()
    assert comparable(dask_doc) == comparable(local_doc)
    assert [k for k in dask_doc["executions"] if k.startswith("FORK[")] == [f"FORK[{i}]" for i in range(8)]
    assert dask_doc["executions"]["JOIN"]["pipelines"]["P_JOIN"]["steps"]["J1"]["primaryReturn"].count("+") == 7

    # The steps ran in the cluster's worker processes, not in this one.
    pid = dask_doc["executions"]["WHERE"]["pipelines"]["P_WHERE"]["steps"]["PID"]["primaryReturn"]
    pids = worker_pids(dask_client)
    assert pid in pids and pid != os.getpid()
    assert {e["worker"]["pid"] for e in dask_doc["executions"].values()} <= pids
    assert "worker" not in local_doc["executions"]["ROOT"]

    # Workers' events reached this process's events file, in the shape of a local run's.
    kinds = [e["event"] for e in read_events(str(events))]
    local_kinds = [e["event"] for e in read_events(str(tmp_path / "local-events.jsonl"))]
    assert kinds[0] == "application_started" and kinds[-1] == "application_finished"
    assert Counter(kinds) == Counter(local_kinds)
    assert kinds.count("execution_finished") == len(dask_doc["executions"])

    # What the store shows for the run (metalus show) is the same as for the local run.
    store = open_store(state)
    assert store is not None
    try:
        recorded = [RecordedRun.load(store, r.run_id) for r in (local, on_dask)]
        shown = [comparable(r.to_dict(), drop_pids=False) for r in recorded]
    finally:
        store.close()
    assert {e["worker"]["pid"] for e in recorded[1].to_dict()["executions"].values()} <= pids
    assert " on " in recorded[1].tree() and " on " not in recorded[0].tree()
    for document in shown:
        document["executions"]["WHERE"]["pipelines"]["P_WHERE"]["steps"]["PID"].pop("primaryReturn")
        document.pop("parentRunId", None)
    assert shown[0] == shown[1]


def test_dask_without_a_state_store_is_refused(tmp_path: Path) -> None:
    app = write(fork_join_application(2), tmp_path)
    with pytest.raises(ApplicationError, match="needs a state store"):
        run_application(str(app), {}, executor="dask")


def test_retrigger_on_dask_recomputes_from_the_fork_only(tmp_path: Path, dask_client: Any) -> None:
    from metalus_py.durable.session import retrigger_run

    app = write(fork_join_application(8), tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    side = tmp_path / "side.txt"
    first = run_application(str(app), {"sideEffect": str(side)}, state=state, executor="local")
    before = Counter(side.read_text().splitlines())
    store = open_store(state)
    assert store is not None
    try:
        again = retrigger_run(store, first.run_id, "FORK", {},
                              executor=ExecutorChoice("dask", dask_client.scheduler.address))
    finally:
        store.close()
    assert again.status == "COMPLETE"
    ran = Counter(side.read_text().splitlines()) - before
    assert ran and all(key.split(".")[0].split("[")[0] in ("FORK", "JOIN", "FINAL") for key in ran), ran
    assert comparable(again.to_dict())["executions"]["JOIN"] == comparable(first.to_dict())["executions"]["JOIN"]
