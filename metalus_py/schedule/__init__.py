"""Schedules: exactly-once scheduled batch runs (DESIGN.md section 13).

A schedule file names applications, cron expressions and time zones. Each scheduled time (a
*tick*) has one run, id ``<name>__<YYYYMMDDTHHMMSSZ>``, with the globals ``scheduleName`` and
``scheduledTime`` plus the schedule's ``parameters``; tick records in the state store make
every tick run once across crashes, restarts, backfills and concurrent schedulers.

From Python::

    from metalus_py.schedule import load_schedules, tick, backfill, Scheduler
    report = tick("schedules.json", now="2024-03-10T07:00:00Z")
"""

from metalus_py.schedule.api import TickReport, backfill, next_fire_times, open_schedule_store, tick
from metalus_py.schedule.loop import Scheduler
from metalus_py.schedule.model import Schedule, ScheduleFile, schedule_json_schema
from metalus_py.schedule.planning import tick_run_id
from metalus_py.schedule.timing import Clock
from metalus_py.schedule.validate import LoadedSchedule, LoadedSchedules, load_schedules, validate_schedules

__all__ = [
    "Clock",
    "LoadedSchedule",
    "LoadedSchedules",
    "Schedule",
    "ScheduleFile",
    "Scheduler",
    "TickReport",
    "backfill",
    "load_schedules",
    "next_fire_times",
    "open_schedule_store",
    "schedule_json_schema",
    "tick",
    "tick_run_id",
    "validate_schedules",
]
