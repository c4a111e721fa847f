"""``metalus scheduler``: the long-running loop, on the injectable clock (``--now``, ``--speed``).

Two schedulers on one store serve each tick once (the lease decides who evaluates; tick
records and run ids make a second launch impossible anyway), hand over when one stops, stop
cleanly on SIGTERM (exit 0, the running run finishes), and a scheduler killed mid-run has its
run completed (resumed) by the next one.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.durable.conftest import Metalus
from tests.schedule.conftest import executed_times, shared_store, write_files

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

START = "2024-05-01T09:59:30Z"


def wait_until(condition: Callable[[], bool], procs: list[subprocess.Popen[str]], what: str,
               limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"a scheduler ended while waiting for {what}: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def completed_ticks(metalus: Metalus, name: str) -> list[str]:
    store = shared_store(metalus)
    return [t.scheduled_at for t in store.list_ticks(schedule_name=name)  # type: ignore[attr-defined]
            if t.run_status == "COMPLETE"]


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


def test_two_schedulers_on_one_store_run_each_tick_once(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "minutely", "cron": "* * * * *", "overlap": "allow"})
    procs = [metalus.popen("scheduler", "schedules.json", "--now", START, "--speed", "60") for _ in range(2)]
    try:
        wait_until(lambda: len(completed_ticks(metalus, "minutely")) >= 3, procs, "three ticks")
        holder = shared_store(metalus).get_lease(run_id="scheduler/minutely")
        assert holder is not None and holder.alive(time.time())
        first = next(p for p in procs if f":{p.pid}:" in holder.owner)
        other = next(p for p in procs if p is not first)
        stop(first)  # the holder stops cleanly; the other takes the schedule over
        count = len(completed_ticks(metalus, "minutely"))
        wait_until(lambda: len(completed_ticks(metalus, "minutely")) >= count + 3, [other], "three more ticks")
        _, log = stop(other)
        assert "serving schedule minutely" in log
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    store = shared_store(metalus)
    records = store.list_ticks(schedule_name="minutely")  # type: ignore[attr-defined]
    launched = [t for t in records if str(t.status) == "LAUNCHED"]
    assert len(launched) >= 6
    assert all(t.run_status == "COMPLETE" for t in launched)
    assert Counter(executed_times(metalus.cwd)) == Counter({t.scheduled_at: 1 for t in launched}), \
        "every launched tick ran exactly once, none twice"
    assert sorted(r.run_id for r in store.list_runs()) == sorted(t.run_id for t in launched)
    times = [t.scheduled_at for t in records]
    assert times == sorted(set(times)), "one record per scheduled time"


def test_sigterm_lets_the_running_run_finish(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *"})
    (metalus.cwd / "gate").write_text("hold")
    proc = metalus.popen("scheduler", "schedules.json", "--now", "2024-05-01T10:00:00Z")
    store = shared_store(metalus)

    def running() -> bool:
        run = store.get_run(run_id="hourly__20240501T100000Z")
        return run is not None and run.status == "RUNNING"

    wait_until(running, [proc], "the run")
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None, "the scheduler waits for its run"
    (metalus.cwd / "gate").unlink()
    out = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert executed_times(metalus.cwd) == ["2024-05-01T10:00:00Z"]
    tick = store.get_tick(schedule_name="hourly", scheduled_at="2024-05-01T10:00:00Z")  # type: ignore[attr-defined]
    assert tick is not None and tick.run_status == "COMPLETE"
    lease = store.get_lease(run_id="scheduler/hourly")
    assert lease is not None and lease.released


@pytest.mark.parametrize("how", ["sigkill", "second-signal"])
def test_a_scheduler_stopped_mid_run_leaves_it_for_the_next_one(metalus: Metalus, how: str) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *"})
    (metalus.cwd / "gate").write_text("hold")
    store = shared_store(metalus)
    run_id = "hourly__20240501T100000Z"
    log = metalus.cwd / "scheduler.log"
    with log.open("w") as stderr:
        proc = metalus.popen("scheduler", "schedules.json", "--now", "2024-05-01T10:00:00Z", stderr=stderr)

    def running() -> bool:
        step = store.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="GATE")
        return step is not None and step.status == "RUNNING"

    wait_until(running, [proc], "the run")
    if how == "sigkill":
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        (metalus.cwd / "gate").unlink()
    else:
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "stopping; waiting" in log.read_text(), [proc], "the first signal")
        proc.send_signal(signal.SIGINT)  # a second signal: kill the run (cooperatively), leave it resumable
        wait_until(lambda: "killing run" in log.read_text() and not store.pending_kills(run_id=run_id), [proc],
                   "the kill request to be seen by the run")
        (metalus.cwd / "gate").unlink()  # GATE ends; the killed run starts no further step
        proc.communicate(timeout=120)
        assert proc.returncode == 0, log.read_text()
        assert store.get_run(run_id=run_id).status == "KILLED"  # type: ignore[union-attr]
        assert executed_times(metalus.cwd) == []
    tick = store.get_tick(schedule_name="hourly", scheduled_at="2024-05-01T10:00:00Z")  # type: ignore[attr-defined]
    assert tick is not None and tick.run_status is None, "the tick's outcome is not recorded: it is unfinished"
    done = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:30:00Z")
    assert done.returncode == 0, done.stderr
    assert executed_times(metalus.cwd) == ["2024-05-01T10:00:00Z"]
    assert [r.run_id for r in store.list_runs()] == [run_id]
    assert store.get_run(run_id=run_id).status == "COMPLETE"  # type: ignore[union-attr]
