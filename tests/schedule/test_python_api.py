"""Schedules from Python: ``tick``, ``backfill`` and a ``Scheduler`` on a thread, same records as the CLI."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metalus_py.schedule import Clock, Scheduler, backfill, load_schedules, next_fire_times, tick
from metalus_py.state import open_store
from tests.schedule.conftest import executed_times, executions, write_files


def test_tick_backfill_and_scheduler_from_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = str(write_files(tmp_path, {"name": "hourly", "cron": "0 * * * *", "parameters": {"limit": 3}}))
    url = f"sqlite:///{tmp_path / 'state.db'}"

    report = tick(path, now="2024-05-01T10:00:00Z", state=url)
    assert report.exit_code == 0 and [t.run_id for t in report.runs] == ["hourly__20240501T100000Z"]
    assert executions(tmp_path)[0]["parameters"] == {"limit": 3}
    assert tick(path, now=datetime(2024, 5, 1, 10, tzinfo=UTC), state=url).ticks == []

    filled = backfill(path, "hourly", start="2024-05-01T08:00:00Z", end="2024-05-01T10:00:00Z", state=url)
    assert filled.exit_code == 0
    assert [t.scheduled_at for t in filled.runs] == ["2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z",
                                                     "2024-05-01T10:00:00Z"]
    assert executed_times(tmp_path) == ["2024-05-01T10:00:00Z", "2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z"]

    loaded = load_schedules(path)
    assert next_fire_times(loaded.get("hourly"), "2024-05-01T10:30:00Z", 2) == [
        datetime(2024, 5, 1, 11, tzinfo=UTC), datetime(2024, 5, 1, 12, tzinfo=UTC)]
    store = open_store(url)
    assert store is not None
    try:
        scheduler = Scheduler(store, loaded, clock=Clock(datetime(2024, 5, 1, 10, 59, 58, tzinfo=UTC), speed=10))
        thread = threading.Thread(target=scheduler.run)
        thread.start()
        deadline = time.monotonic() + 60
        while "2024-05-01T11:00:00Z" not in executed_times(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.stop.set()
        thread.join(60)
        assert not thread.is_alive()
    finally:
        store.close()
    assert executed_times(tmp_path)[-1] == "2024-05-01T11:00:00Z"
    assert len(executions(tmp_path)) == 4
