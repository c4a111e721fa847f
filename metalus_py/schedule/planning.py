"""Which ticks of a schedule come due at an evaluation, and what each does: pure functions.

An evaluation at ``now`` looks at the ticks since the schedule's cursor (the instant of its
previous evaluation), within ``startAt``/``endAt``:

* First sight (no cursor): only the latest due tick fires.
* One new tick: it is on time and fires.
* Several new ticks: the scheduler did not look for a whole tick period, so they were missed
  and ``catchup`` decides: ``latest`` fires the most recent, ``all`` the most recent
  ``maxCatchup`` (oldest first), ``none`` none; the others are recorded skipped (``catch-up``).
* ``paused``: every new tick is recorded skipped (``paused``); the cursor still moves, so
  un-pausing does not catch up on paused time.
* ``overlap: skip`` while a run of the schedule is unfinished: the ticks that would fire are
  recorded skipped (``overlap``). ``queue`` and ``allow`` record them due; launching decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from metalus_py.schedule.cron import latest_ticks
from metalus_py.schedule.timing import format_tick
from metalus_py.schedule.validate import LoadedSchedule
from metalus_py.state.ticks import NewTick, TickStatus

__all__ = ["Evaluation", "SKIP_RECORD_LIMIT", "evaluate", "tick_run_id"]

#: At most this many missed ticks are recorded as skipped in one evaluation (older ones are counted).
SKIP_RECORD_LIMIT = 1000

PAUSED, CATCH_UP, OVERLAP = "paused", "catch-up", "overlap"
_EPSILON = timedelta(microseconds=1)


def tick_run_id(schedule_name: str, scheduled: datetime) -> str:
    """``<name>__<YYYYMMDDTHHMMSSZ>``: the run id of a tick (its time in UTC)."""
    return f"{schedule_name}__{format_tick(scheduled).replace('-', '').replace(':', '')}"


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation records: ticks (due or skipped, oldest first) and the new cursor."""

    ticks: list[NewTick] = field(default_factory=list)
    #: More missed ticks than were recorded skipped (older than the oldest recorded).
    more_skipped: bool = False

    @property
    def due(self) -> list[NewTick]:
        return [t for t in self.ticks if t.status is TickStatus.DUE]


def evaluate(schedule: LoadedSchedule, cursor: datetime | None, now: datetime, *, busy: bool) -> Evaluation:
    """Decide the ticks of ``schedule`` that an evaluation at ``now`` records.

    Args:
        schedule: the schedule.
        cursor: the instant of its previous evaluation (``None``: never evaluated).
        now: the evaluation's instant.
        busy: a run of the schedule is unfinished (for ``overlap: skip``).
    """
    spec = schedule.spec
    upper = min(now, schedule.end_at) if schedule.end_at else now
    lower = cursor
    if schedule.start_at is not None:
        floor = schedule.start_at - _EPSILON  # startAt itself is a due time
        lower = floor if lower is None or lower < floor else lower
    if lower is not None and upper <= lower:
        return Evaluation()
    limit = 1 if cursor is None else spec.max_catchup + SKIP_RECORD_LIMIT
    recent, more = latest_ticks(schedule.cron, schedule.zone, upper, limit, after=lower)
    if not recent:
        return Evaluation()
    skipped: list[datetime] = []
    if cursor is None:  # first sight: the latest due tick only
        fire, more = recent[-1:], False
    elif len(recent) == 1 and not more:
        fire = recent
    else:
        keep = {"latest": 1, "all": spec.max_catchup, "none": 0}[spec.catchup]
        fire = recent[len(recent) - keep:] if keep else []
        skipped = recent[: len(recent) - keep]
    name = spec.name
    if spec.paused:
        return Evaluation([_new(name, t, TickStatus.SKIPPED, PAUSED) for t in skipped + fire], more)
    reason_for_fire = OVERLAP if busy and spec.overlap == "skip" else None
    ticks = [_new(name, t, TickStatus.SKIPPED, CATCH_UP) for t in skipped]
    ticks += [_new(name, t, TickStatus.SKIPPED if reason_for_fire else TickStatus.DUE, reason_for_fire)
              for t in fire]
    return Evaluation(ticks, more)


def _new(name: str, instant: datetime, status: TickStatus, reason: str | None) -> NewTick:
    return NewTick(format_tick(instant), tick_run_id(name, instant), status, reason)
