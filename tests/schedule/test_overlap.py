"""``overlap``: what a tick does while the schedule's previous run is still running.

The first tick's run waits at its GATE step (the ``gate`` file exists) in one ``tick`` process;
a second ``tick`` process at the next hour then skips, queues or launches its tick.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import pytest

from tests.durable.conftest import Metalus
from tests.schedule.conftest import executed_times, shared_store, write_files

T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"


def wait_until(condition: Callable[[], bool], procs: list[subprocess.Popen[str]], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if condition():
            return
        ended = [p for p in procs if p.poll() is not None]
        if ended:
            raise AssertionError(f"a tick process ended while waiting for {what}: {ended[0].communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("policy", ["skip", "queue", "allow"])
def test_overlap_policies(metalus: Metalus, policy: str) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *", "overlap": policy})
    (metalus.cwd / "gate").write_text("hold")
    store = shared_store(metalus)

    def tick(at: str) -> object:
        return store.get_tick(schedule_name="hourly", scheduled_at=at)  # type: ignore[attr-defined]

    def run_status(run_id: str) -> str | None:
        run = store.get_run(run_id=run_id)
        return None if run is None else str(run.status)

    first = metalus.popen("schedule", "tick", "schedules.json", "--now", T1)
    wait_until(lambda: run_status("hourly__20240501T100000Z") == "RUNNING", [first], "the first run")
    second = metalus.popen("schedule", "tick", "schedules.json", "--now", T2)
    procs = [first, second]
    wait_until(lambda: tick(T2) is not None, procs, "the second tick's record")
    if policy == "skip":
        assert (str(tick(T2).status), tick(T2).reason) == ("SKIPPED", "overlap")  # type: ignore[attr-defined]
    elif policy == "queue":
        time.sleep(1.0)  # give a wrong implementation the chance to launch it
        assert str(tick(T2).status) == "DUE" and run_status("hourly__20240501T110000Z") is None  # type: ignore[attr-defined]
    else:
        wait_until(lambda: run_status("hourly__20240501T110000Z") == "RUNNING", procs, "the second run")
        assert run_status("hourly__20240501T100000Z") == "RUNNING", "both runs at once"
    (metalus.cwd / "gate").unlink()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    expected = {"skip": [T1], "queue": [T1, T2], "allow": [T1, T2]}[policy]
    assert sorted(executed_times(metalus.cwd)) == expected
    if policy == "queue":
        assert executed_times(metalus.cwd) == [T1, T2], "a queued tick runs after the previous one"
