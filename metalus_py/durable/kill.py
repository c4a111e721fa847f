"""Killing a run or one step from another shell: cooperative first, forced after a grace period.

The running process watches the store for kill requests (``KillWatcher``): a run-level kill
stops it before the next step; a step-level kill ends that step (status KILLED, never retried).
If the run is still live after the grace period and runs on this host, the processes its steps
started are killed (a step waiting on them then fails as KILLED). A step that still runs then
cannot be interrupted inside its process (e.g. it sleeps in Python), so the run process itself
is ended, as for a forced run-level kill: SIGTERM (the command line exits 4 at once), SIGKILL if
it is still alive; then its running steps and the run are recorded KILLED and its lease is
released. The run can be resumed. The returned text says what actually happened.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from metalus_py.base.keys import parse_owner
from metalus_py.base.status import RunStatus
from metalus_py.state import StateStore, StepStatus


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
    host, pid = parse_owner(owner)
    return pid if host == socket.gethostname() else None


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
    if str(run.status) != RunStatus.RUNNING:
        return f"run {run_id} is {run.status}; nothing to kill"
    store.request_kill(run_id=run_id, target=step, reason="metalus kill")
    target = f"step {step}" if step else "run"
    if _wait(lambda: _finished(store, run_id, step), grace):
        return f"run {run_id}: {target} ended cooperatively ({_state(store, run_id, step)})"
    lease = store.get_lease(run_id=run_id)
    pid = _owner_pid(lease.owner) if lease is not None and lease.alive(store.now()) else None
    if pid is None:
        marked = _record_killed(store, run_id)
        return (f"run {run_id}: no live process on this host; recorded as KILLED"
                f"{' with running step(s) ' + ', '.join(marked) if marked else ''}")
    children = _children(pid)
    _signal(children, signal.SIGKILL)
    if step is not None and children and _wait(lambda: _finished(store, run_id, step), _SETTLE):
        return (f"run {run_id}: step {step} forced after {grace:g}s: killed {len(children)} process(es) it "
                f"started; {_state(store, run_id, step)}")
    how = _end_process(pid)
    marked = _record_killed(store, run_id)
    steps = f"running step(s) {', '.join(marked)} recorded KILLED" if marked else "no step was running"
    if step is not None:
        return (f"run {run_id}: step {step} could not be interrupted inside its process, so the run process "
                f"{pid} was ended ({how}; {len(children)} child process(es) killed); the run is KILLED, {steps}; "
                f"resume it with: metalus resume {run_id}")
    return (f"run {run_id}: forced after {grace:g}s: the run process {pid} was ended ({how}; {len(children)} "
            f"child process(es) killed); the run is KILLED, {steps}; resume it with: metalus resume {run_id}")


#: Seconds a step gets to end after the processes it started were killed.
_SETTLE = 5.0


def _wait(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if done():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _end_process(pid: int) -> str:
    """SIGTERM (the command line records nothing more and exits 4), then SIGKILL if it lingers."""
    _signal([pid], signal.SIGTERM)
    if _wait(lambda: _gone(pid), _SETTLE):
        return "it exited on SIGTERM"
    _signal([pid], signal.SIGKILL)
    _wait(lambda: _gone(pid), _SETTLE)
    return "SIGKILL"


def _record_killed(store: StateStore, run_id: str) -> list[str]:
    """Record the run KILLED, each step still RUNNING as KILLED, and release the dead owner's lease."""
    marked: list[str] = []
    for record in store.list_steps(run_id=run_id):
        if str(record.status) != StepStatus.RUNNING or not record.owner:
            continue
        key = f"{record.execution_key}.{record.pipeline_id}.{record.step_path}"
        try:
            store.fail_step(run_id=run_id, execution_key=record.execution_key, pipeline_id=record.pipeline_id,
                            step_path=record.step_path, owner=record.owner, status=StepStatus.KILLED,
                            error={"type": "Killed", "message": "killed by metalus kill: the run process was ended"})
            marked.append(key)
        except Exception:  # noqa: BLE001 - a claim that moved on is not ours to record
            continue
    store.set_run_status(run_id=run_id, status=RunStatus.KILLED)
    lease = store.get_lease(run_id=run_id)
    if lease is not None and not lease.released:
        store.release_lease(run_id=run_id, owner=lease.owner)
    return marked


def _state(store: StateStore, run_id: str, step: str | None) -> str:
    run = store.get_run(run_id=run_id)
    words = [f"run {run.status}" if run is not None else "run gone"]
    if step is not None:
        for record in store.list_steps(run_id=run_id):
            if f"{record.execution_key}.{record.pipeline_id}.{record.step_path}" == step:
                words.append(f"step {record.status}")
    return ", ".join(words)


def _finished(store: StateStore, run_id: str, step: str | None) -> bool:
    run = store.get_run(run_id=run_id)
    if run is None or str(run.status) != RunStatus.RUNNING:
        return True
    if step is None:
        return False
    for record in store.list_steps(run_id=run_id):
        key = f"{record.execution_key}.{record.pipeline_id}.{record.step_path}"
        if key == step and str(record.status) != StepStatus.RUNNING:
            return True
    return False
