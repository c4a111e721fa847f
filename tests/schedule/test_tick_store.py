"""Tick records and cursors in both stores; stores written before schedules existed still open."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from metalus_py.state import StateStore, open_store
from metalus_py.state._schedule_schema import SCHEDULE_DDL
from metalus_py.state._schema import DDL
from metalus_py.state.ticks import NewTick, ScheduleStore, TickStatus

T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"


def due(at: str) -> NewTick:
    return NewTick(at, f"s__{at}", TickStatus.DUE)


def test_recording_is_compare_and_set_and_never_overwrites(store: StateStore) -> None:
    ticks: Any = store
    assert isinstance(store, ScheduleStore)
    assert ticks.get_schedule_cursor(schedule_name="s") is None
    first = ticks.record_ticks(schedule_name="s", expected_cursor=None, cursor="c1", ticks=[due(T1)])
    assert [(t.scheduled_at, t.status) for t in first] == [(T1, TickStatus.DUE)]
    assert ticks.record_ticks(schedule_name="s", expected_cursor=None, cursor="c2", ticks=[due(T2)]) is None
    assert ticks.get_schedule_cursor(schedule_name="s") == "c1"
    skipped = NewTick(T1, "s__x", TickStatus.SKIPPED, "overlap")
    again = ticks.record_ticks(schedule_name="s", expected_cursor="c1", cursor="c2", ticks=[skipped])
    assert again[0].status is TickStatus.DUE and again[0].run_id == f"s__{T1}", "a recorded tick is kept"


def test_claims_launch_each_tick_once_and_respect_idle(store: StateStore) -> None:
    ticks: Any = store
    ticks.record_ticks(schedule_name="s", expected_cursor=None, cursor="c", ticks=[due(T1), due(T2)])
    assert ticks.claim_tick(schedule_name="s", scheduled_at=T1, owner="a", only_if_idle=True)
    assert not ticks.claim_tick(schedule_name="s", scheduled_at=T1, owner="b", only_if_idle=False)
    assert not ticks.claim_tick(schedule_name="s", scheduled_at=T2, owner="b", only_if_idle=True)
    assert [t.scheduled_at for t in ticks.list_ticks(schedule_name="s", unfinished=True)] == [T1]
    ticks.finish_tick(schedule_name="s", scheduled_at=T1, run_status="COMPLETE")
    assert ticks.claim_tick(schedule_name="s", scheduled_at=T2, owner="b", only_if_idle=True)
    assert not ticks.take_over_tick(schedule_name="s", scheduled_at=T2, previous_owner="a", owner="c")
    assert ticks.take_over_tick(schedule_name="s", scheduled_at=T2, previous_owner="b", owner="c")
    assert ticks.get_tick(schedule_name="s", scheduled_at=T2).owner == "c"
    assert ticks.schedule_run_ids(schedule_name="s") == [f"s__{T2}", f"s__{T1}"]


def test_backfill_takes_skipped_ticks_but_not_launched_ones(store: StateStore) -> None:
    ticks: Any = store
    ticks.record_ticks(schedule_name="s", expected_cursor=None, cursor="c",
                       ticks=[NewTick(T1, "r1", TickStatus.SKIPPED, "catch-up"), due(T2)])
    ticks.claim_tick(schedule_name="s", scheduled_at=T2, owner="a", only_if_idle=False)
    taken = ticks.force_launch_tick(schedule_name="s", tick=NewTick(T1, "r1", TickStatus.LAUNCHED, "backfill"),
                                    owner="b")
    assert (taken.status, taken.owner, taken.reason) == (TickStatus.LAUNCHED, "b", "backfill")
    kept = ticks.force_launch_tick(schedule_name="s", tick=NewTick(T2, "r2", TickStatus.LAUNCHED, "backfill"),
                                   owner="b")
    assert kept.owner == "a"


def test_a_store_from_before_schedules_opens_and_gains_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in DDL:
        if statement not in SCHEDULE_DDL:
            conn.execute(statement)
    conn.execute("INSERT INTO metalus_schema (version) VALUES (1)")
    conn.execute("INSERT INTO metalus_run (run_id, application_id, status, started_at, updated_at, "
                 "application_json, parameters_json, persist_policy, metadata_json) VALUES "
                 "('old', 'app', 'COMPLETE', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00', '{}', '{}', "
                 "'all', '{}')")
    conn.commit()
    assert "metalus_schedule_tick" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    opened: Any = open_store(f"sqlite:///{path}")
    try:
        assert opened.get_run(run_id="old").status == "COMPLETE"
        assert opened.list_ticks(schedule_name="s") == []
    finally:
        opened.close()
