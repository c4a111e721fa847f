"""Daylight-saving days in America/New_York, as Debian's cron behaves.

2024-03-10: 02:00 EST jumps to 03:00 EDT (02:30 does not exist). 2024-11-03: 02:00 EDT falls
back to 01:00 EST (01:30 happens twice). A fixed time that does not exist fires right after the
change; a fixed time that happens twice fires once; a wildcard-hour expression fires in both
repeated hours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from metalus_py.schedule.cron import ticks_between
from tests.durable.conftest import Metalus
from tests.schedule.conftest import executions, shared_store, write_files

NY = ZoneInfo("America/New_York")


def utc_ticks(expression: str, start: str, end: str) -> list[str]:
    after, until = (datetime.fromisoformat(t).replace(tzinfo=UTC) for t in (start, end))
    return [t.strftime("%Y-%m-%dT%H:%M") for t in ticks_between(expression, NY, after, until)]


def test_spring_forward_fires_a_missing_fixed_time_right_after_the_change() -> None:
    assert utc_ticks("30 2 * * *", "2024-03-09T00:00", "2024-03-12T00:00") == [
        "2024-03-09T07:30",  # 02:30 EST
        "2024-03-10T07:00",  # 02:30 does not exist: 03:00 EDT
        "2024-03-11T06:30",  # 02:30 EDT
    ]
    assert utc_ticks("30 * * * *", "2024-03-10T05:00", "2024-03-10T09:00") == [
        "2024-03-10T05:30", "2024-03-10T06:30", "2024-03-10T07:30", "2024-03-10T08:30"]  # 00:30 01:30 03:30 04:30


def test_fall_back_fires_a_repeated_fixed_time_once_and_a_wildcard_hour_twice() -> None:
    assert utc_ticks("30 1 * * *", "2024-11-02T00:00", "2024-11-05T00:00") == [
        "2024-11-02T05:30", "2024-11-03T05:30", "2024-11-04T06:30"]  # 01:30 EDT only on the 3rd
    assert utc_ticks("30 * * * *", "2024-11-03T04:00", "2024-11-03T08:00") == [
        "2024-11-03T04:30", "2024-11-03T05:30", "2024-11-03T06:30", "2024-11-03T07:30"]  # 01:30 EDT and EST
    assert utc_ticks("*/30 1 * * *", "2024-11-03T04:00", "2024-11-03T08:00") == [
        "2024-11-03T05:00", "2024-11-03T05:30", "2024-11-03T06:00", "2024-11-03T06:30"]


def fired(metalus: Metalus, name: str) -> list[str]:
    return [e["scheduledTime"] for e in executions(metalus.cwd) if e["scheduleName"] == name]


def test_ticks_on_the_spring_forward_day(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    write_files(metalus.cwd,
                {"name": "fixed", "cron": "30 2 * * *", "timezone": "America/New_York"},
                {"name": "wild", "cron": "30 * * * *", "timezone": "America/New_York"})
    for now in ("2024-03-10T05:45:00Z", "2024-03-10T06:45:00Z", "2024-03-10T07:05:00Z", "2024-03-10T07:45:00Z",
                "2024-03-11T06:45:00Z"):
        done = metalus("schedule", "tick", "schedules.json", "--now", now)
        assert done.returncode == 0, (now, done.stderr)
    # The first look fires the latest due tick (the day before), then each day once.
    assert fired(metalus, "fixed") == ["2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"]
    assert fired(metalus, "wild")[:3] == ["2024-03-10T05:30:00Z", "2024-03-10T06:30:00Z", "2024-03-10T07:30:00Z"]
    runs = {r.run_id for r in shared_store(metalus).list_runs()}
    assert "fixed__20240310T070000Z" in runs


def test_ticks_on_the_fall_back_day(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    write_files(metalus.cwd,
                {"name": "fixed", "cron": "30 1 * * *", "timezone": "America/New_York"},
                {"name": "wild", "cron": "30 * * * *", "timezone": "America/New_York"})
    for now in ("2024-11-03T04:45:00Z", "2024-11-03T05:45:00Z", "2024-11-03T06:45:00Z", "2024-11-03T07:45:00Z",
                "2024-11-04T06:45:00Z"):
        done = metalus("schedule", "tick", "schedules.json", "--now", now)
        assert done.returncode == 0, (now, done.stderr)
    assert fired(metalus, "fixed") == ["2024-11-02T05:30:00Z", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"]
    assert fired(metalus, "wild")[:4] == ["2024-11-03T04:30:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z",
                                          "2024-11-03T07:30:00Z"]
    store = shared_store(metalus)
    assert store.get_tick(schedule_name="fixed", scheduled_at="2024-11-03T06:30:00Z") is None  # type: ignore[attr-defined]
