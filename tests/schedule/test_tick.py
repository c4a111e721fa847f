"""``metalus schedule tick --now``: run ids and globals, exactly once, catch-up, overlap, backfill.

Every test runs the real command line against a real store (SQLite and PostgreSQL) and counts
real executions through the application's side-effect file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.durable.conftest import Metalus
from tests.schedule.conftest import executed_times, executions, shared_store, write_files


def ticks(metalus: Metalus, name: str) -> dict[str, tuple[str, str | None, str | None]]:
    """``scheduled_at -> (status, reason, run_status)`` of a schedule's tick records."""
    store = shared_store(metalus)
    return {t.scheduled_at: (str(t.status), t.reason, t.run_status)
            for t in store.list_ticks(schedule_name=name)}  # type: ignore[attr-defined]


def run_ids(metalus: Metalus) -> list[str]:
    return sorted(r.run_id for r in shared_store(metalus).list_runs())


def test_a_tick_fires_its_run_id_with_the_schedule_globals(metalus: Metalus) -> None:
    parameters = {"limit": 5, "ratio": 0.25, "enabled": False, "tags": ["a", "b"], "options": {"depth": 2}}
    write_files(metalus.cwd, {"name": "nightly.load-1", "cron": "30 6 * * *", "parameters": parameters})
    done = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T06:30:00")
    assert done.returncode == 0, done.stderr
    assert run_ids(metalus) == ["nightly.load-1__20240501T063000Z"]
    assert executions(metalus.cwd) == [{"scheduleName": "nightly.load-1", "scheduledTime": "2024-05-01T06:30:00Z",
                                        "parameters": parameters}]
    run = shared_store(metalus).get_run(run_id="nightly.load-1__20240501T063000Z")
    assert run is not None and run.status == "COMPLETE"
    assert run.parameters["scheduledTime"] == "2024-05-01T06:30:00Z" and run.parameters["limit"] == 5
    assert run.metadata["schedule"] == {"name": "nightly.load-1", "scheduledTime": "2024-05-01T06:30:00Z"}
    assert ticks(metalus, "nightly.load-1") == {"2024-05-01T06:30:00Z": ("LAUNCHED", None, "COMPLETE")}
    listed = metalus("runs", "--schedule", "nightly.load-1", "--json")
    assert [r["runId"] for r in json.loads(listed.stdout)] == ["nightly.load-1__20240501T063000Z"]
    assert json.loads(metalus("runs", "--schedule", "other", "--json").stdout) == []


def test_the_same_tick_twice_is_one_run(metalus: Metalus, hourly: Path) -> None:
    first = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:15:00Z")
    second = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:15:00Z")
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert run_ids(metalus) == ["hourly__20240501T100000Z"]
    assert executed_times(metalus.cwd) == ["2024-05-01T10:00:00Z"]
    # The same command line submitted as a plain run with the tick's id does nothing either.
    again = metalus("run", "app.json", "--run-id", "hourly__20240501T100000Z", "--sideEffect", "side.jsonl")
    assert again.returncode == 0, again.stderr
    assert executed_times(metalus.cwd) == ["2024-05-01T10:00:00Z"]


def test_two_ticks_started_at_once_launch_one_run(metalus: Metalus, hourly: Path) -> None:
    (metalus.cwd / "gate").write_text("hold")
    procs = [metalus.popen("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:00:00Z") for _ in range(3)]
    time.sleep(1.5)
    (metalus.cwd / "gate").unlink()
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outcomes
    assert run_ids(metalus) == ["hourly__20240501T100000Z"]
    assert executed_times(metalus.cwd) == ["2024-05-01T10:00:00Z"]


def test_catchup_latest_all_and_none(metalus: Metalus) -> None:
    write_files(metalus.cwd,
                {"name": "latest", "cron": "0 * * * *"},
                {"name": "all", "cron": "0 * * * *", "catchup": "all", "maxCatchup": 2},
                {"name": "none", "cron": "0 * * * *", "catchup": "none"})
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:30:00Z").returncode == 0
    # First sight: only the latest due tick of each schedule fires (no history before it).
    assert sorted(executed_times(metalus.cwd)) == ["2024-05-01T10:00:00Z"] * 3
    # On time: the next tick (one new tick since the last look) fires whatever the policy.
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T11:00:00Z").returncode == 0
    assert sorted(executed_times(metalus.cwd))[3:] == ["2024-05-01T11:00:00Z"] * 3
    # Down from 11:00 to 15:10: 12, 13, 14 and 15 were missed.
    done = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T15:10:00Z")
    assert done.returncode == 0, done.stderr
    later = [(e["scheduleName"], e["scheduledTime"][11:16]) for e in executions(metalus.cwd)[6:]]
    assert sorted(later) == [("all", "14:00"), ("all", "15:00"), ("latest", "15:00")]  # none: nothing
    assert [e["scheduledTime"] for e in executions(metalus.cwd) if e["scheduleName"] == "all"][-2:] == [
        "2024-05-01T14:00:00Z", "2024-05-01T15:00:00Z"], "catch-up runs go oldest first"
    for name, expected in (("latest", {"12": "catch-up", "13": "catch-up", "14": "catch-up"}),
                           ("all", {"12": "catch-up", "13": "catch-up"}),
                           ("none", {"12": "catch-up", "13": "catch-up", "14": "catch-up", "15": "catch-up"})):
        recorded = {at[11:13]: reason for at, (status, reason, _) in ticks(metalus, name).items()
                    if status == "SKIPPED"}
        assert recorded == expected, (name, recorded)
    assert ticks(metalus, "none")["2024-05-01T11:00:00Z"] == ("LAUNCHED", None, "COMPLETE")


def test_paused_schedules_record_skipped_ticks_and_do_not_catch_up(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *", "paused": True})
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:00:00Z").returncode == 0
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T11:00:00Z").returncode == 0
    assert executions(metalus.cwd) == []
    assert ticks(metalus, "hourly") == {"2024-05-01T10:00:00Z": ("SKIPPED", "paused", None),
                                        "2024-05-01T11:00:00Z": ("SKIPPED", "paused", None)}
    write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *", "paused": False})
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T12:00:00Z").returncode == 0
    assert executed_times(metalus.cwd) == ["2024-05-01T12:00:00Z"]


def test_start_and_end_bound_the_due_ticks(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "bounded", "cron": "0 * * * *", "startAt": "2024-05-01T12:00:00Z",
                              "endAt": "2024-05-01T13:00:00Z", "catchup": "all"})
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T11:59:00Z").returncode == 0
    assert executions(metalus.cwd) == []
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T12:00:00Z").returncode == 0
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T18:00:00Z").returncode == 0
    assert executed_times(metalus.cwd) == ["2024-05-01T12:00:00Z", "2024-05-01T13:00:00Z"]


def test_a_failed_run_exits_1_and_is_not_run_again_by_later_ticks(metalus: Metalus, hourly: Path) -> None:
    schedules = json.loads(hourly.read_text())
    schedules["schedules"][0]["parameters"]["sideEffect"] = str(metalus.cwd / "no-such-folder" / "side.jsonl")
    hourly.write_text(json.dumps(schedules))
    failed = metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:00:00Z")
    assert failed.returncode == 1, failed.stderr
    assert ticks(metalus, "hourly") == {"2024-05-01T10:00:00Z": ("LAUNCHED", None, "FAILED")}
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:00:00Z").returncode == 0
    assert shared_store(metalus).get_run(run_id="hourly__20240501T100000Z").status == "FAILED"  # type: ignore[union-attr]


def test_backfill_launches_only_the_missing_ticks(metalus: Metalus, hourly: Path) -> None:
    for now in ("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"):
        assert metalus("schedule", "tick", "schedules.json", "--now", now).returncode == 0
    done = metalus("schedule", "backfill", "schedules.json", "hourly", "--from", "2024-05-01T08:00:00Z",
                   "--to", "2024-05-01T12:00:00Z")
    assert done.returncode == 0, done.stderr
    assert sorted(executed_times(metalus.cwd)) == [f"2024-05-01T{h}:00:00Z" for h in ("08", "09", "10", "11", "12")]
    assert len(executions(metalus.cwd)) == 5, "10:00 and 11:00 had run already: not launched again"
    assert run_ids(metalus) == [f"hourly__20240501T{h}0000Z" for h in ("08", "09", "10", "11", "12")]
    again = metalus("schedule", "backfill", "schedules.json", "hourly", "--from", "2024-05-01T08:00:00Z",
                    "--to", "2024-05-01T12:00:00Z")
    assert again.returncode == 0 and len(executions(metalus.cwd)) == 5
    # The scheduler's cursor did not move: the next tick is on time.
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T12:00:00Z").returncode == 0
    assert len(executions(metalus.cwd)) == 5


def test_backfill_rejects_a_reversed_range_and_unknown_schedules(metalus: Metalus, hourly: Path) -> None:
    reversed_ = metalus("schedule", "backfill", "schedules.json", "hourly", "--from", "2024-05-02T00:00:00Z",
                        "--to", "2024-05-01T00:00:00Z")
    assert reversed_.returncode == 2 and "is after --to" in reversed_.stderr
    unknown = metalus("schedule", "backfill", "schedules.json", "hourlyy", "--from", "2024-05-01T00:00:00Z",
                      "--to", "2024-05-01T01:00:00Z")
    assert unknown.returncode == 2 and "did you mean 'hourly'" in unknown.stderr
    bad_time = metalus("schedule", "tick", "schedules.json", "--now", "soon")
    assert bad_time.returncode == 2 and "ISO 8601" in bad_time.stderr
    assert executions(metalus.cwd) == [] and run_ids(metalus) == []
