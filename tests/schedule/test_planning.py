"""Which ticks an evaluation records: first sight, on time, catch-up, paused, overlap, bounds (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metalus_py.schedule.planning import evaluate, tick_run_id
from metalus_py.schedule.validate import LoadedSchedule, load_schedules
from tests.schedule.conftest import write_files


def schedule(tmp_path: Path, **fields: Any) -> LoadedSchedule:
    write_files(tmp_path, {"name": "s", "cron": "0 * * * *", **fields})
    return load_schedules(str(tmp_path / "schedules.json")).get("s")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 1, hour, minute, tzinfo=UTC)


def decided(evaluation: Any) -> list[tuple[str, str, str | None]]:
    return [(t.scheduled_at[11:16], str(t.status), t.reason) for t in evaluation.ticks]


def test_run_ids_name_the_tick_in_utc() -> None:
    assert tick_run_id("nightly", datetime(2024, 3, 10, 7, 0, tzinfo=UTC)) == "nightly__20240310T070000Z"


def test_first_sight_fires_only_the_latest_due_tick(tmp_path: Path) -> None:
    assert decided(evaluate(schedule(tmp_path), None, at(10, 30), busy=False)) == [("10:00", "DUE", None)]
    assert decided(evaluate(schedule(tmp_path, catchup="all"), None, at(10), busy=False)) == [("10:00", "DUE", None)]


def test_one_new_tick_is_on_time_whatever_the_catchup(tmp_path: Path) -> None:
    for policy in ("latest", "all", "none"):
        assert decided(evaluate(schedule(tmp_path, catchup=policy), at(10, 1), at(11, 5), busy=False)) == [
            ("11:00", "DUE", None)]
    assert evaluate(schedule(tmp_path), at(10, 1), at(10, 59), busy=False).ticks == []


def test_catchup_policies_after_downtime(tmp_path: Path) -> None:
    assert decided(evaluate(schedule(tmp_path), at(10), at(13, 30), busy=False)) == [
        ("11:00", "SKIPPED", "catch-up"), ("12:00", "SKIPPED", "catch-up"), ("13:00", "DUE", None)]
    assert decided(evaluate(schedule(tmp_path, catchup="all", maxCatchup=2), at(10), at(14), busy=False)) == [
        ("11:00", "SKIPPED", "catch-up"), ("12:00", "SKIPPED", "catch-up"), ("13:00", "DUE", None),
        ("14:00", "DUE", None)]
    assert decided(evaluate(schedule(tmp_path, catchup="none"), at(10), at(12), busy=False)) == [
        ("11:00", "SKIPPED", "catch-up"), ("12:00", "SKIPPED", "catch-up")]


def test_a_long_gap_records_at_most_the_skip_limit(tmp_path: Path) -> None:
    minutely = schedule(tmp_path, cron="* * * * *", catchup="all", maxCatchup=3)
    evaluation = evaluate(minutely, datetime(2024, 4, 1, tzinfo=UTC), at(0), busy=False)
    assert len(evaluation.due) == 3 and evaluation.more_skipped
    assert len(evaluation.ticks) == 3 + 1000


def test_paused_and_overlap_skip(tmp_path: Path) -> None:
    assert decided(evaluate(schedule(tmp_path, paused=True), at(10), at(12), busy=False)) == [
        ("11:00", "SKIPPED", "paused"), ("12:00", "SKIPPED", "paused")]
    assert decided(evaluate(schedule(tmp_path), at(10), at(11), busy=True)) == [("11:00", "SKIPPED", "overlap")]
    for policy in ("queue", "allow"):
        assert decided(evaluate(schedule(tmp_path, overlap=policy), at(10), at(11), busy=True)) == [
            ("11:00", "DUE", None)]


def test_start_and_end_bound_the_ticks(tmp_path: Path) -> None:
    bounded = schedule(tmp_path, startAt="2024-05-01T11:00:00Z", endAt="2024-05-01T12:00:00Z", catchup="all")
    assert evaluate(bounded, None, at(10, 59), busy=False).ticks == []
    assert decided(evaluate(bounded, None, at(11), busy=False)) == [("11:00", "DUE", None)]
    assert decided(evaluate(bounded, at(11), at(18), busy=False)) == [("12:00", "DUE", None)]
    local = schedule(tmp_path, startAt="2024-05-01T07:00:00", timezone="America/New_York")
    assert local.start_at == at(11), "startAt without an offset is in the schedule's time zone"
