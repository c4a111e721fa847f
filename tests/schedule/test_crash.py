"""Exactly once across crashes: the tick process SIGKILLed at each stage, then the next tick.

Stages (as Dagster's scheduler tests do): right after the tick is recorded due, right after it
is claimed (launched) but before its run exists, and in the middle of its run. In every case
the next ``tick`` completes the tick's run — resuming it when it exists — and the application's
steps that had finished never run again: one run record, one execution of each finished step.
"""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.durable.conftest import Metalus, side_effect_counts
from tests.schedule.conftest import APPLICATION, executed_times, shared_store, write_files

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"
RUN1 = "hourly__20240501T100000Z"


def crash_app(folder: Path) -> None:
    """FIRST records to ``first.txt``, GATE waits while ``gate`` exists, RECORD records to side.jsonl."""
    app = copy.deepcopy(APPLICATION)
    first = {"id": "FIRST", "type": "Pipeline", "engineMeta": {"command": "DurableSteps.work"},
             "params": [{"name": "value", "type": "text", "value": "x"},
                        {"name": "sideEffect", "type": "text", "value": str(folder / "first.txt")},
                        {"name": "sleepMs", "type": "integer", "value": 0}],
             "nextStepId": "FRAME"}
    app["stepPackages"] = ["schedule_steps", "durable_steps"]
    app["pipelines"][0]["steps"].insert(0, first)
    (folder / "app.json").write_text(json.dumps(app, indent=2))


def tick_records(metalus: Metalus) -> dict[str, tuple[str, str | None]]:
    store = shared_store(metalus)
    return {t.scheduled_at: (str(t.status), t.run_status)
            for t in store.list_ticks(schedule_name="hourly")}  # type: ignore[attr-defined]


@pytest.mark.parametrize("stage", ["recorded", "launched"])
def test_a_crash_before_the_run_exists_is_completed_by_the_next_tick(metalus: Metalus, stage: str) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *"})
    metalus.env["METALUS_SCHEDULE_CRASH_AT"] = stage
    crashed = metalus("schedule", "tick", "schedules.json", "--now", T1)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert shared_store(metalus).get_run(run_id=RUN1) is None
    assert tick_records(metalus) == {T1: ("DUE" if stage == "recorded" else "LAUNCHED", None)}
    del metalus.env["METALUS_SCHEDULE_CRASH_AT"]
    done = metalus("schedule", "tick", "schedules.json", "--now", T1)
    assert done.returncode == 0, done.stderr
    assert executed_times(metalus.cwd) == [T1]
    assert [r.run_id for r in shared_store(metalus).list_runs()] == [RUN1]
    assert tick_records(metalus) == {T1: ("LAUNCHED", "COMPLETE")}


def wait_for_gate(metalus: Metalus, proc: subprocess.Popen[str]) -> None:
    """Wait until the run is inside GATE (FIRST finished and recorded) or the process ended."""
    store = shared_store(metalus)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        gate = store.get_step(run_id=RUN1, execution_key="E", pipeline_id="P", step_path="GATE")
        if gate is not None and gate.status == "RUNNING":
            return
        time.sleep(0.05)
    raise AssertionError(f"the run never reached GATE: {proc.poll()} {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.parametrize("next_now", [T1, T2])
def test_a_crash_in_the_middle_of_the_run_is_resumed_not_run_twice(metalus: Metalus, next_now: str) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *", "overlap": "queue"})
    crash_app(metalus.cwd)
    (metalus.cwd / "gate").write_text("hold")
    proc = metalus.popen("schedule", "tick", "schedules.json", "--now", T1)
    wait_for_gate(metalus, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert shared_store(metalus).get_run(run_id=RUN1).status == "RUNNING"  # type: ignore[union-attr]
    assert tick_records(metalus) == {T1: ("LAUNCHED", None)}
    (metalus.cwd / "gate").unlink()

    done = metalus("schedule", "tick", "schedules.json", "--now", next_now)
    assert done.returncode == 0, done.stderr
    expected = [T1] if next_now == T1 else [T1, T2]
    assert executed_times(metalus.cwd) == expected
    assert sorted(r.run_id for r in shared_store(metalus).list_runs()) == [
        f"hourly__{t.replace('-', '').replace(':', '')}" for t in expected]
    assert side_effect_counts(metalus.cwd / "first.txt") == {"E.P.FIRST": len(expected)}, \
        "FIRST had finished before the crash: the resumed run restores it, never runs it again"
    run = shared_store(metalus).get_run(run_id=RUN1)
    assert run is not None and run.status == "COMPLETE"
    assert {at: status for at, status in tick_records(metalus).items()} == {t: ("LAUNCHED", "COMPLETE") for t in expected}
