"""What the state store records about schedules: a cursor per schedule and a record per tick.

A tick is one scheduled time of one schedule. Its record is written once (the table's key is
the schedule name and the time) and moves only forward::

    DUE ──claim──> LAUNCHED ──(its run finishes)──> LAUNCHED with run_status
     └──────────> SKIPPED (reason: overlap, catch-up or paused)

Claiming (``DUE`` to ``LAUNCHED``) is a conditional update, so of two processes that see the
same due tick exactly one launches it; the other waits for its run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = ["ScheduleStore", "TickRecord", "TickStatus", "NewTick"]


class TickStatus(StrEnum):
    """Where a tick is in its life."""

    DUE = "DUE"
    LAUNCHED = "LAUNCHED"
    SKIPPED = "SKIPPED"


#: The reason of a launched tick whose run was stopped by a stopping scheduler (resumed later).
INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class NewTick:
    """A tick to record: its time (``YYYY-MM-DDTHH:MM:SSZ``), run id, status and reason."""

    scheduled_at: str
    run_id: str
    status: TickStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One recorded tick.

    ``run_status`` is the run's final status word once the run has finished (``None`` while it
    has not, or for due and skipped ticks); ``owner`` names the process that launched it.
    """

    schedule_name: str
    scheduled_at: str
    run_id: str
    status: TickStatus
    reason: str | None
    run_status: str | None
    owner: str | None
    recorded_at: str
    updated_at: str

    @property
    def unfinished(self) -> bool:
        """Launched and its run's outcome not recorded yet."""
        return self.status is TickStatus.LAUNCHED and self.run_status is None


@runtime_checkable
class ScheduleStore(Protocol):
    """The schedule part of a state store (both SQL stores implement it)."""

    def get_schedule_cursor(self, *, schedule_name: str) -> str | None:
        """The instant (ISO 8601 UTC) up to which the schedule was last evaluated, or ``None``."""
        ...

    def record_ticks(
        self, *, schedule_name: str, expected_cursor: str | None, cursor: str, ticks: Sequence[NewTick]
    ) -> list[TickRecord] | None:
        """Record ticks (those already recorded are kept as they are) and move the cursor.

        Compare-and-set: nothing is written and ``None`` is returned when the cursor is no longer
        ``expected_cursor`` (another process evaluated the schedule meanwhile).

        Returns:
            The records of ``ticks`` as stored after the call.
        """
        ...

    def get_tick(self, *, schedule_name: str, scheduled_at: str) -> TickRecord | None:
        """One tick, or ``None``."""
        ...

    def list_ticks(
        self,
        *,
        schedule_name: str,
        status: TickStatus | str | None = None,
        unfinished: bool = False,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> list[TickRecord]:
        """Ticks of a schedule, oldest first, optionally filtered (``since``/``until`` inclusive)."""
        ...

    def claim_tick(self, *, schedule_name: str, scheduled_at: str, owner: str, only_if_idle: bool) -> bool:
        """Move a ``DUE`` tick to ``LAUNCHED`` for ``owner``; with ``only_if_idle`` only while no
        other tick of the schedule is unfinished. True if this call claimed it."""
        ...

    def skip_tick(self, *, schedule_name: str, scheduled_at: str, reason: str) -> bool:
        """Move a ``DUE`` tick to ``SKIPPED``. True if this call did."""
        ...

    def force_launch_tick(self, *, schedule_name: str, tick: NewTick, owner: str) -> TickRecord:
        """Record a tick as ``LAUNCHED`` by ``owner`` (a backfill): a new, due or skipped tick is
        taken; one already launched is returned unchanged."""
        ...

    def take_over_tick(self, *, schedule_name: str, scheduled_at: str, previous_owner: str | None,
                       owner: str) -> bool:
        """Make ``owner`` the launcher of an unfinished tick still owned by ``previous_owner``."""
        ...

    def finish_tick(self, *, schedule_name: str, scheduled_at: str, run_status: str, reason: str | None = None) -> None:
        """Record the final status of a launched tick's run (``reason`` replaces the tick's reason)."""
        ...

    def reopen_tick(self, *, schedule_name: str, scheduled_at: str, reason: str) -> None:
        """Clear a launched tick's outcome so it is completed again (a run stopped on purpose)."""
        ...

    def schedule_run_ids(self, *, schedule_name: str) -> list[str]:
        """Run ids of a schedule's launched ticks, newest first."""
        ...

    def update_run_metadata(self, *, run_id: str, changes: dict[str, object]) -> None:
        """Merge ``changes`` into a run's metadata (e.g. that it was pruned)."""
        ...
