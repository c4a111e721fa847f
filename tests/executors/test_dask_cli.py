"""``metalus`` with ``--executor dask`` as a real process: lost workers, resume, kill, bad input.

The runs use the shared 2-worker LocalCluster through ``--dask-scheduler``, on the default
SQLite file and on PostgreSQL (the ``metalus`` fixture of ``tests/durable``).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.durable.apps import write
from tests.durable.conftest import STEPSRC, Metalus, side_effect_counts, step_key
from tests.executors.apps import fork_join_application

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

#: Safety limit while waiting for a run to reach a state (never a timing assertion).
WAIT = 90.0


def _wait_for(predicate: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _napping_worker(metalus: Metalus, run_id: str) -> int | None:
    """The pid of a worker running a fork value's NAP step, once one is RUNNING."""
    store = metalus.store()
    if store.get_run(run_id=run_id) is None:
        return None
    running = [s for s in store.list_steps(run_id=run_id) if s.step_path == "NAP" and str(s.status) == "RUNNING"]
    if not running:
        return None
    for event in store.list_events(run_id=run_id):
        data = event.event
        key = data.get("executionId", "") + "".join(f"[{i}]" for i in data.get("forkIndex") or [])
        if data.get("event") == "execution_started" and key == running[0].execution_key:
            return int(data["data"]["worker"]["pid"])
    return None


def test_lost_worker_fails_the_run_and_resume_completes_without_rerunning(
    metalus: Metalus, dask_cluster: Any
) -> None:
    app = write(fork_join_application(8, nap=2.0), metalus.cwd)
    side = metalus.cwd / "side.txt"
    address = dask_cluster.scheduler_address
    run = metalus.popen("run", str(app), "--run-id", "lost", "--sideEffect", str(side), "--dask-scheduler",
                        address, "--output-json", "first.json")
    try:
        pid = _wait_for(lambda: _napping_worker(metalus, "lost"), "a fork value's NAP step to run")
        os.kill(pid, signal.SIGKILL)
        _, stderr = run.communicate(timeout=WAIT * 2)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1, stderr
    first = json.loads((metalus.cwd / "first.json").read_text())
    assert first["status"] == "FAILED"
    lost = [k for k, e in first["executions"].items() if (e.get("reason") or "").startswith("worker lost: ")]
    assert lost, first["executions"]
    assert first["executions"]["JOIN"]["status"] == "BLOCKED"
    store = metalus.store()
    assert str(store.get_run(run_id="lost").status) == "FAILED"
    done_before = {step_key(s) for s in store.list_steps(run_id="lost") if str(s.status) == "COMPLETE"}
    counts_before = side_effect_counts(side)

    dask_cluster.wait_for_workers(2, timeout=240)  # the nanny restarts the killed worker
    resumed = metalus("resume", "lost", "--dask-scheduler", address, "--output-json", "resumed.json")
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads((metalus.cwd / "resumed.json").read_text())
    assert document["status"] == "COMPLETE"
    counts_after = side_effect_counts(side)
    for key in done_before:
        assert counts_after.get(key, 0) == counts_before.get(key, 0), f"{key} ran again after it completed"
    assert all(str(s.status) == "COMPLETE" for s in store.list_steps(run_id="lost"))


def test_kill_cancels_a_running_dask_run(sqlite_metalus: Metalus, dask_cluster: Any) -> None:
    metalus = sqlite_metalus
    app = write(fork_join_application(8, nap=3.0), metalus.cwd)
    run = metalus.popen("run", str(app), "--run-id", "victim", "--dask-scheduler", dask_cluster.scheduler_address)
    try:
        _wait_for(lambda: _napping_worker(metalus, "victim"), "a fork value's NAP step to run")
        killed = metalus("kill", "victim", "--grace", "60")
        assert killed.returncode == 0, killed.stderr
        _, stderr = run.communicate(timeout=WAIT)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 4, stderr
    store = metalus.store()
    assert str(store.get_run(run_id="victim").status) == "KILLED"
    statuses = {str(e.status) for e in store.list_executions(run_id="victim")}
    assert "KILLED" in statuses
    started = [s for s in store.list_steps(run_id="victim") if s.step_path == "F1"]
    assert len(started) < 8, "every fork value ran to its end despite the kill"


def test_dask_with_state_none_is_invalid(sqlite_metalus: Metalus) -> None:
    app = write(fork_join_application(2), sqlite_metalus.cwd)
    result = sqlite_metalus("run", str(app), "--executor", "dask", "--state", "none")
    assert result.returncode == 2
    assert "--executor dask needs a state store" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_executor_lists_the_choices(sqlite_metalus: Metalus) -> None:
    app = write(fork_join_application(2), sqlite_metalus.cwd)
    result = sqlite_metalus("run", str(app), "--executor", "spark")
    assert result.returncode == 2
    assert "unknown executor 'spark'" in result.stderr and "local, dask" in result.stderr
    assert not (sqlite_metalus.cwd / ".metalus" / "state.db").exists()


def test_unreachable_scheduler_names_the_address(sqlite_metalus: Metalus) -> None:
    app = write(fork_join_application(2), sqlite_metalus.cwd)
    result = sqlite_metalus("run", str(app), "--dask-scheduler", "tcp://127.0.0.1:9", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
    store = sqlite_metalus.store()
    assert store.list_runs() == []


def test_step_package_missing_on_the_workers_fails_the_run_naming_it(
    sqlite_metalus: Metalus, dask_cluster: Any, tmp_path: Path
) -> None:
    only_here = tmp_path / "driver_only"
    only_here.mkdir()
    (only_here / "driver_only_steps.py").write_text("def hello(value=None):\n    return value\n")
    app = fork_join_application(2)
    app["stepPackages"].append("driver_only_steps")
    path = write(app, sqlite_metalus.cwd)
    sqlite_metalus.env["PYTHONPATH"] = os.pathsep.join([str(only_here), str(STEPSRC)])
    result = sqlite_metalus("run", str(path), "--run-id", "nomodule", "--dask-scheduler",
                            dask_cluster.scheduler_address)
    assert result.returncode == 1, result.stderr
    assert "step package 'driver_only_steps' does not import on worker tcp://" in result.stderr
    assert "Traceback" not in result.stderr
    assert str(sqlite_metalus.store().get_run(run_id="nomodule").status) == "FAILED"
