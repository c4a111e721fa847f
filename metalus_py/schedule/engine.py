"""The tick engine: what ``schedule tick``, ``schedule backfill`` and ``scheduler`` all do.

For each schedule, one pass is:

1. **reconcile** – every launched tick whose outcome is not recorded: a finished run gets its
   outcome recorded; a run whose process is gone (or that was never created by a launcher that
   died) is taken over and completed — resumed, never started a second time.
2. **evaluate** – the ticks due since the cursor are recorded (due or skipped) and the cursor
   moves, in one compare-and-set transaction (:mod:`metalus_py.schedule.planning` decides).
3. **launch** – due ticks are claimed (``DUE`` to ``LAUNCHED``, atomically) oldest first and
   their runs started on threads of this process; with ``overlap`` ``skip`` or ``queue`` only
   while no other run of the schedule is unfinished.

Set ``METALUS_SCHEDULE_CRASH_AT`` to ``recorded`` or ``launched`` to make the process kill
itself (SIGKILL) right after that stage: the crash tests use it, as Dagster's do.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.status import RunStatus
from metalus_py.durable.options import RunOptions
from metalus_py.durable.session import new_owner, owner_process_dead
from metalus_py.events import Listener
from metalus_py.schedule.launch import TickRun, complete_tick_run, events_location, run_is_live, tick_metadata
from metalus_py.schedule.planning import PAUSED, evaluate
from metalus_py.schedule.timing import parse_instant, utc_iso
from metalus_py.schedule.validate import LoadedSchedule
from metalus_py.state import StateError, StateStore
from metalus_py.state.ticks import INTERRUPTED, TickRecord, TickStatus

__all__ = ["TickEngine"]

_LOG = logging.getLogger("metalus_py.schedule")

#: A launched tick whose run was never created is taken over after this many seconds
#: (when its launcher's process cannot be checked: another host).
LAUNCH_GRACE_SECONDS = 60.0

Key = tuple[str, str]


class TickEngine:
    """Evaluates schedules and runs their ticks on threads of this process.

    Args:
        store: the state store (also a :class:`~metalus_py.state.ticks.ScheduleStore`).
        listeners: extra listeners for every run (e.g. progress lines), made per run.
        options: run options given to every run (persist, artifacts, max workers).
        owner: this process's owner id (default: host, pid and a random part).
    """

    def __init__(
        self,
        store: StateStore,
        *,
        listeners: Callable[[str], list[Listener]] | None = None,
        options: RunOptions | None = None,
        owner: str | None = None,
    ) -> None:
        self.store: Any = store
        self.owner = owner or new_owner()
        self._listeners = listeners or (lambda run_id: [])
        self._options = options or RunOptions()
        self._threads: dict[Key, threading.Thread] = {}
        self._running_runs: dict[Key, str] = {}
        self._guard = threading.Lock()
        self._finished = threading.Condition(self._guard)
        #: Set when the process stops: waits for other processes' runs end, nothing new launches.
        self.stopping = threading.Event()
        #: Set to stop this process's runs: they end KILLED and their ticks are completed later.
        self.interrupting = threading.Event()

    # -- the three stages ------------------------------------------------------------------
    def reconcile(self, schedule: LoadedSchedule) -> None:
        """Record finished runs' outcomes; take over and complete interrupted ticks."""
        for tick in self.store.list_ticks(schedule_name=schedule.name, unfinished=True):
            key = (tick.schedule_name, tick.scheduled_at)
            if self.running(key):
                continue
            run = self.store.get_run(run_id=tick.run_id)
            if run is not None and run.status != RunStatus.RUNNING and tick.reason != INTERRUPTED:
                self.store.finish_tick(schedule_name=schedule.name, scheduled_at=tick.scheduled_at,
                                       run_status=str(run.status))
                continue
            if run is not None and run.status == RunStatus.RUNNING and run_is_live(self.store, tick.run_id):
                continue  # another live process runs it
            if run is None and not self._launcher_gone(tick):
                continue  # its launcher is about to create it
            if self.stopping.is_set():
                return
            if tick.owner == self.owner or self.store.take_over_tick(
                schedule_name=schedule.name, scheduled_at=tick.scheduled_at, previous_owner=tick.owner,
                owner=self.owner,
            ):
                _LOG.info("schedule %s: completing the run %s of tick %s (launched by %s)", schedule.name,
                          tick.run_id, tick.scheduled_at, tick.owner)
                self._start(schedule, tick, resume_finished=tick.reason == INTERRUPTED)

    def evaluate(self, schedule: LoadedSchedule, now: datetime) -> list[TickRecord]:
        """Record the ticks due at ``now`` and move the cursor; returns the records of those ticks."""
        for _ in range(20):
            cursor_text = self.store.get_schedule_cursor(schedule_name=schedule.name)
            cursor = parse_instant(cursor_text) if cursor_text else None
            busy = bool(self.store.list_ticks(schedule_name=schedule.name, unfinished=True, limit=1))
            evaluation = evaluate(schedule, cursor, now, busy=busy)
            new_cursor = utc_iso(max(now, cursor) if cursor else now)
            records = self.store.record_ticks(schedule_name=schedule.name, expected_cursor=cursor_text,
                                              cursor=new_cursor, ticks=evaluation.ticks)
            if records is None:
                continue  # another process evaluated meanwhile: look again from its cursor
            for record in records:
                _LOG.info("schedule %s: tick %s %s%s", schedule.name, record.scheduled_at, record.status.lower(),
                          f" ({record.reason})" if record.reason else "")
            if evaluation.more_skipped:
                _LOG.warning("schedule %s: more missed ticks before %s were skipped (not recorded one by one)",
                             schedule.name, records[0].scheduled_at if records else now.isoformat())
            _crash_point("recorded")
            return records
        raise StateError(f"schedule {schedule.name}: could not record its ticks (the cursor kept changing)")

    def launch(self, schedule: LoadedSchedule) -> None:
        """Claim and start due ticks, oldest first, as ``overlap`` allows."""
        exclusive = schedule.spec.overlap != "allow"
        for tick in self.store.list_ticks(schedule_name=schedule.name, status=TickStatus.DUE):
            if self.stopping.is_set():
                return
            if schedule.spec.paused:
                self.store.skip_tick(schedule_name=schedule.name, scheduled_at=tick.scheduled_at, reason=PAUSED)
                continue
            if self.store.claim_tick(schedule_name=schedule.name, scheduled_at=tick.scheduled_at,
                                     owner=self.owner, only_if_idle=exclusive):
                _LOG.info("schedule %s: tick %s launched as run %s", schedule.name, tick.scheduled_at, tick.run_id)
                _crash_point("launched")
                self._start(schedule, tick)
            elif exclusive:
                return  # a run of the schedule is unfinished: the rest stay queued

    def run_now(self, schedule: LoadedSchedule, tick: TickRecord, *, resume_finished: bool) -> str:
        """Complete one tick's run on the calling thread and record its outcome (backfill)."""
        return self._complete(schedule, tick, resume_finished)

    # -- threads ---------------------------------------------------------------------------
    def running(self, key: Key) -> bool:
        """True while a thread of this engine runs the tick."""
        with self._guard:
            thread = self._threads.get(key)
            return thread is not None and thread.is_alive()

    @property
    def active(self) -> int:
        """How many ticks this engine is running."""
        with self._guard:
            return sum(1 for t in self._threads.values() if t.is_alive())

    def wait_any(self, timeout: float) -> None:
        """Block until a tick run of this engine ends, or ``timeout`` seconds."""
        with self._finished:
            self._finished.wait(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every tick run of this engine; True when none is left."""
        with self._guard:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
        return self.active == 0

    def running_run_ids(self) -> list[str]:
        """Run ids this engine's threads are executing."""
        with self._guard:
            return list(self._running_runs.values())

    def _start(self, schedule: LoadedSchedule, tick: TickRecord, *, resume_finished: bool = False) -> None:
        key = (tick.schedule_name, tick.scheduled_at)
        thread = threading.Thread(target=self._complete, args=(schedule, tick, resume_finished),
                                  name=f"tick-{tick.run_id}", daemon=True)
        with self._guard:
            self._threads[key] = thread
            self._running_runs[key] = tick.run_id
        thread.start()

    def _complete(self, schedule: LoadedSchedule, tick: TickRecord, resume_finished: bool) -> str:
        key = (tick.schedule_name, tick.scheduled_at)
        events = events_location(tick.run_id)
        log = _event_log(events)
        shown = [*self._listeners(tick.run_id), *([log] if log is not None else [])]
        options = replace(self._options, listeners=[*self._options.listeners, *_redacting(shown)])
        run = TickRun(
            run_id=tick.run_id,
            application=schedule.application,
            parameters={**schedule.spec.parameters, "scheduleName": schedule.name, "scheduledTime": tick.scheduled_at},
            metadata=dict(tick_metadata(schedule.name, tick.scheduled_at, events)),
            resume_finished=resume_finished,
        )
        reason: str | None = None
        try:
            status = complete_tick_run(self.store, run, lambda: options, stopping=self.stopping.is_set)
        except ApplicationError as exc:
            status, reason = "INVALID", str(exc).splitlines()[0][:500]
            _LOG.error("schedule %s: tick %s cannot run: %s", schedule.name, tick.scheduled_at, exc)
        except Exception as exc:  # a broken run must not end the scheduler
            status, reason = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500]
            _LOG.exception("schedule %s: tick %s failed", schedule.name, tick.scheduled_at)
        finally:
            if log is not None:
                log.close()
        try:
            if status == RunStatus.RUNNING:
                pass  # stopped while another process runs it: that process records it
            elif status == RunStatus.KILLED and self.interrupting.is_set():
                self.store.reopen_tick(schedule_name=schedule.name, scheduled_at=tick.scheduled_at,
                                       reason=INTERRUPTED)
            else:
                self.store.finish_tick(schedule_name=schedule.name, scheduled_at=tick.scheduled_at,
                                       run_status=status, reason=reason)
                _LOG.info("schedule %s: tick %s run %s %s", schedule.name, tick.scheduled_at, tick.run_id, status)
        finally:
            with self._finished:
                self._running_runs.pop(key, None)
                self._finished.notify_all()
        return status

    def _launcher_gone(self, tick: TickRecord) -> bool:
        if tick.owner == self.owner or owner_process_dead(tick.owner):
            return True
        updated = parse_instant(tick.updated_at)
        return (datetime.fromtimestamp(self.store.now(), UTC) - updated).total_seconds() > LAUNCH_GRACE_SECONDS


def _event_log(location: str | None) -> Any:
    if location is None:
        return None
    from metalus_py.events.jsonlines import JsonLinesEventLog

    try:
        return JsonLinesEventLog(location)
    except (OSError, ImportError):
        _LOG.warning("cannot write the event log %s", location, exc_info=True)
        return None


class _Redacting:
    """Passes events on with known secret values removed (event files and progress lines)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def on_event(self, event: Any) -> None:
        from dataclasses import replace as _replace

        from metalus_py.base.secrets import redact_known

        self.inner.on_event(_replace(event, error=redact_known(event.error), data=redact_known(event.data)))


def _redacting(listeners: list[Any]) -> list[Any]:
    return [_Redacting(listener) for listener in listeners]


def _crash_point(stage: str) -> None:
    """Test hook: die here, like a power cut, when ``METALUS_SCHEDULE_CRASH_AT`` names this stage."""
    if os.environ.get("METALUS_SCHEDULE_CRASH_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)
