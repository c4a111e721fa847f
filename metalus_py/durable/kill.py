"""Killing a run or one step from another shell: cooperative first, forced after a grace period.

The running process watches the store for kill requests (``KillWatcher``): a run-level kill
stops it before the next step; a step-level kill ends that step (status KILLED, never retried).
If the run is still live after the grace period and runs on this host, the processes its steps
started are killed (a step waiting on them then fails as KILLED); for a run-level kill the run
process itself is killed too, and the run is recorded KILLED. Either way the run can be resumed.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from metalus_py.state import StateStore


def _children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc; empty where /proc is not available)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


def _owner_pid(owner: str) -> int | None:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    return int(pid_text)


def _signal(pids: list[int], sig: int) -> int:
    sent = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
            sent += 1
        except ProcessLookupError:
            continue
    return sent


def kill_run(store: StateStore, run_id: str, *, step: str | None = None, grace: float = 10.0) -> str:
    """Request a kill and enforce it after ``grace`` seconds; returns what happened, in words."""
    run = store.get_run(run_id=run_id)
    if run is None:
        return f"no run {run_id!r} in {store.url}"
    if str(run.status) != "RUNNING":
        return f"run {run_id} is {run.status}; nothing to kill"
    store.request_kill(run_id=run_id, target=step, reason="metalus kill")
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _finished(store, run_id, step):
            return f"run {run_id}: {'step ' + step if step else 'run'} ended cooperatively"
        time.sleep(0.2)
    lease = store.get_lease(run_id=run_id)
    pid = _owner_pid(lease.owner) if lease is not None and lease.alive(store.now()) else None
    if pid is None:
        store.set_run_status(run_id=run_id, status="KILLED")
        return f"run {run_id}: no live process on this host; recorded as KILLED"
    children = _children(pid)
    _signal(children, signal.SIGKILL)
    if step is not None:
        return f"run {run_id}: step {step} forced (killed {len(children)} process(es) it started)"
    _signal([pid], signal.SIGKILL)
    store.set_run_status(run_id=run_id, status="KILLED")
    return f"run {run_id}: forced after {grace:.0f}s (killed process {pid} and {len(children)} child process(es))"


def _finished(store: StateStore, run_id: str, step: str | None) -> bool:
    run = store.get_run(run_id=run_id)
    if run is None or str(run.status) != "RUNNING":
        return True
    if step is None:
        return False
    for record in store.list_steps(run_id=run_id):
        key = f"{record.execution_key}.{record.pipeline_id}.{record.step_path}"
        if key == step and str(record.status) != "RUNNING":
            return True
    return False
