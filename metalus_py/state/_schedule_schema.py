"""Tables of scheduled runs: one row per schedule (its cursor) and one per scheduled time (a tick).

Created with ``CREATE TABLE IF NOT EXISTS`` like every table, so a store written before schedules
existed opens unchanged and gains them. ``scheduled_at`` is the tick's time in UTC as
``YYYY-MM-DDTHH:MM:SSZ`` (sorts chronologically); the primary key makes a tick unique, which is
what lets two processes record the same tick without both launching it.
"""

from __future__ import annotations

from typing import Final

SCHEDULE_COLUMNS: Final = "schedule_name, cursor_at, updated_at"
TICK_COLUMNS: Final = (
    "schedule_name, scheduled_at, run_id, status, reason, run_status, owner, recorded_at, updated_at"
)

SCHEDULE_DDL: Final[tuple[str, ...]] = (
    """CREATE TABLE IF NOT EXISTS metalus_schedule (
        schedule_name TEXT PRIMARY KEY,
        cursor_at TEXT,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_schedule_tick (
        schedule_name TEXT NOT NULL,
        scheduled_at TEXT NOT NULL,
        run_id TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        run_status TEXT,
        owner TEXT,
        recorded_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (schedule_name, scheduled_at)
    )""",
    "CREATE INDEX IF NOT EXISTS metalus_schedule_tick_run ON metalus_schedule_tick (run_id)",
    "CREATE INDEX IF NOT EXISTS metalus_schedule_tick_open ON metalus_schedule_tick (schedule_name, status, run_status)",
)
