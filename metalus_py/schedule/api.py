"""Schedules from Python: ``tick``, ``backfill``, ``next_fire_times`` (the scheduler loop is in ``loop``).

Example:
    >>> from metalus_py.schedule import tick
    >>> report = tick("schedules.json", now="2024-03-10T07:00:00Z", state="sqlite:///state.db")  # doctest: +SKIP
    >>> report.exit_code  # doctest: +SKIP
    0
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.status import RunStatus
from metalus_py.durable.options import RunOptions
from metalus_py.events import Listener
from metalus_py.schedule.cron import next_ticks, ticks_between
from metalus_py.schedule.engine import TickEngine
from metalus_py.schedule.planning import tick_run_id
from metalus_py.schedule.timing import format_tick, parse_instant
from metalus_py.schedule.validate import LoadedSchedule, LoadedSchedules, load_schedules
from metalus_py.state import StateStore
from metalus_py.state.ticks import NewTick, ScheduleStore, TickRecord, TickStatus

__all__ = ["TickReport", "backfill", "next_fire_times", "open_schedule_store", "prune_schedule", "tick"]

_LOG = logging.getLogger("metalus_py.schedule")

#: A backfill launches at most this many ticks (a wider range is refused: narrow it).
BACKFILL_LIMIT = 10_000
#: Seconds between looks while waiting for runs held by other processes.
WAIT_SECONDS = 0.5


@dataclass
class TickReport:
    """The ticks a ``tick`` or ``backfill`` dealt with, as recorded at its end."""

    ticks: list[TickRecord] = field(default_factory=list)

    @property
    def runs(self) -> list[TickRecord]:
        """The ticks that have a run."""
        return [t for t in self.ticks if t.status is TickStatus.LAUNCHED]

    @property
    def exit_code(self) -> int:
        """0 when every run completed (skipped ticks have none), else 1."""
        return 0 if all(t.run_status == RunStatus.COMPLETE for t in self.runs) else 1

    def to_dict(self) -> dict[str, Any]:
        return {"ticks": [{"schedule": t.schedule_name, "scheduledTime": t.scheduled_at, "runId": t.run_id,
                           "status": str(t.status), "reason": t.reason, "runStatus": t.run_status}
                          for t in self.ticks]}

    def format(self) -> str:
        lines = []
        for t in self.ticks:
            outcome = f"run {t.run_id} {t.run_status or 'unfinished'}" if t.status is TickStatus.LAUNCHED else (
                f"skipped ({t.reason})" if t.status is TickStatus.SKIPPED else "due")
            lines.append(f"{t.schedule_name} {t.scheduled_at}: {outcome}")
        return "\n".join(lines) or "no tick was due"


@contextmanager
def open_schedule_store(state: StateStore | str | None) -> Iterator[Any]:
    """The store given, or one opened from a URL (``None``: ``METALUS_STATE`` or the default SQLite file).

    Raises:
        ApplicationError: ``none``, or a store without schedule records.
    """
    if state is not None and not isinstance(state, str):
        _check_schedule_store(state)
        yield state
        return
    from metalus_py.state import open_store

    store = open_store(state)
    if store is None:
        raise ApplicationError("schedules need a state store (not --state none): it records every tick")
    try:
        _check_schedule_store(store)
        yield store
    finally:
        store.close()


def _check_schedule_store(store: StateStore) -> None:
    if not isinstance(store, ScheduleStore):
        raise ApplicationError(f"the state store {store.url} cannot record schedules ({type(store).__name__})")


def _instant(value: datetime | str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ApplicationError(f"expected an ISO 8601 time such as 2024-03-10T07:00:00Z, got {value!r}") from exc


def _schedules(schedules: LoadedSchedules | str) -> LoadedSchedules:
    return schedules if isinstance(schedules, LoadedSchedules) else load_schedules(schedules)


def tick(
    schedules: LoadedSchedules | str,
    *,
    now: datetime | str | None = None,
    state: StateStore | str | None = None,
    options: RunOptions | None = None,
    listeners: Callable[[str], list[Listener]] | None = None,
) -> TickReport:
    """Launch every tick due at ``now`` once, wait for those runs, and report them.

    Ticks launched elsewhere (another ``tick`` or a scheduler) are waited for, never launched
    again; a run left unfinished by a crash is completed (resumed).

    Args:
        schedules: a schedule file, or schedules already loaded.
        now: the evaluation instant (default: the current time); without an offset it is UTC.
        state: a store or store URL.
        options: run options for every run.
        listeners: makes extra listeners for a run, given its run id.

    Raises:
        ApplicationValidationError: the schedule file is invalid (nothing is recorded).
    """
    loaded = _schedules(schedules)
    instant = _instant(now)
    with open_schedule_store(state) as store:
        engine = TickEngine(store, options=options, listeners=listeners)
        keys: list[tuple[str, str]] = []
        for schedule in loaded.schedules:
            engine.reconcile(schedule)
            keys += [(r.schedule_name, r.scheduled_at) for r in engine.evaluate(schedule, instant)]
        keys += [k for k in _open_ticks(store, loaded, instant) if k not in keys]
        current: dict[tuple[str, str], TickRecord | None] = {}
        while True:
            for schedule in loaded.schedules:
                engine.reconcile(schedule)
                engine.launch(schedule)
            current = {k: store.get_tick(schedule_name=k[0], scheduled_at=k[1]) for k in keys}
            if all(t is None or not (t.status is TickStatus.DUE or t.unfinished) for t in current.values()):
                break
            engine.wait_any(WAIT_SECONDS)
        engine.join()
        for schedule in loaded.schedules:
            prune_schedule(store, schedule)
        return TickReport([t for t in current.values() if t is not None])


def _open_ticks(store: Any, loaded: LoadedSchedules, instant: datetime) -> list[tuple[str, str]]:
    """Ticks at or before ``instant`` that are due or whose run is unfinished (waited for)."""
    keys: list[tuple[str, str]] = []
    until = format_tick(instant)
    for schedule in loaded.schedules:
        for record in store.list_ticks(schedule_name=schedule.name, until=until):
            if record.status is TickStatus.DUE or record.unfinished:
                keys.append((record.schedule_name, record.scheduled_at))
    return keys


def backfill(
    schedules: LoadedSchedules | str,
    name: str,
    *,
    start: datetime | str,
    end: datetime | str,
    state: StateStore | str | None = None,
    options: RunOptions | None = None,
    listeners: Callable[[str], list[Listener]] | None = None,
) -> TickReport:
    """Run every tick of schedule ``name`` from ``start`` to ``end`` (both inclusive), oldest first.

    A tick whose run completed is left alone; a missing one is launched; one whose run failed,
    paused or was killed is resumed (the ``--run-id`` rule). Ignores ``paused``, ``startAt``
    and ``endAt``, and does not move the schedule's cursor.

    Raises:
        ApplicationError: ``start`` after ``end``, an unknown schedule, or too wide a range.
    """
    loaded = _schedules(schedules)
    schedule = loaded.get(name)
    first, last = _instant(start), _instant(end)
    if first > last:
        raise ApplicationError(f"--from {format_tick(first)} is after --to {format_tick(last)}")
    times = []
    for instant in ticks_between(schedule.cron, schedule.zone, first - timedelta(microseconds=1), last):
        times.append(instant)
        if len(times) > BACKFILL_LIMIT:
            raise ApplicationError(f"more than {BACKFILL_LIMIT} ticks of {name} between {format_tick(first)} and "
                                   f"{format_tick(last)}: backfill a narrower range")
    report = TickReport()
    with open_schedule_store(state) as store:
        engine = TickEngine(store, options=options, listeners=listeners)
        for instant in times:
            record = store.force_launch_tick(
                schedule_name=name, owner=engine.owner,
                tick=NewTick(format_tick(instant), tick_run_id(name, instant), TickStatus.LAUNCHED, "backfill"))
            if record.run_status != RunStatus.COMPLETE:
                engine.run_now(schedule, record, resume_finished=True)
            report.ticks.append(store.get_tick(schedule_name=name, scheduled_at=record.scheduled_at) or record)
        prune_schedule(store, schedule)
    return report


def next_fire_times(schedule: LoadedSchedule, after: datetime | str | None = None, count: int = 3) -> list[datetime]:
    """The next ``count`` fire times (UTC) after ``after``, within ``startAt``/``endAt``."""
    instant = _instant(after)
    if schedule.start_at is not None and instant < schedule.start_at:
        instant = schedule.start_at - timedelta(microseconds=1)
    times = next_ticks(schedule.cron, schedule.zone, instant, count)
    return [t for t in times if schedule.end_at is None or t <= schedule.end_at]


def prune_schedule(store: Any, schedule: LoadedSchedule, *, now: datetime | None = None) -> int:
    """Prune the schedule's finished runs older than its ``retention`` (none without one); returns how many."""
    if schedule.retention is None:
        return 0
    from metalus_py.durable.prune import prune_runs

    report = prune_runs(store, older_than=schedule.retention, run_ids=set(store.schedule_run_ids(
        schedule_name=schedule.name)), now=now)
    if report.pruned:
        _LOG.info("schedule %s: pruned %d run(s) older than %s", schedule.name, len(report.pruned),
                  schedule.spec.retention)
    return len(report.pruned)
