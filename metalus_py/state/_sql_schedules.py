"""SQL implementation of schedule cursors and tick records (rules in :mod:`metalus_py.state.ticks`).

Every decision about a schedule's ticks runs in one transaction that first locks the schedule's
row (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions are serialised anyway), so the
"is another tick of this schedule unfinished?" check and the claim cannot interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metalus_py.state._schedule_schema import TICK_COLUMNS
from metalus_py.state._sqlcore import Row, SqlCore, Tx, dumps, loads
from metalus_py.state.errors import UnknownRunError
from metalus_py.state.ticks import INTERRUPTED, NewTick, TickRecord, TickStatus

_LAUNCHED = TickStatus.LAUNCHED.value


def tick_from_row(row: Row) -> TickRecord:
    """Build a :class:`TickRecord` from a row of ``TICK_COLUMNS``."""
    return TickRecord(
        schedule_name=row[0],
        scheduled_at=row[1],
        run_id=row[2],
        status=TickStatus(row[3]),
        reason=row[4],
        run_status=row[5],
        owner=row[6],
        recorded_at=row[7],
        updated_at=row[8],
    )


class SchedulesMixin(SqlCore):
    """Schedule cursors and tick records."""

    def _lock_schedule(self, tx: Tx, schedule_name: str, iso: str) -> str | None:
        """Create the schedule's row if needed, lock it, and return its cursor."""
        tx.run(
            "INSERT INTO metalus_schedule (schedule_name, cursor_at, updated_at) VALUES (?, NULL, ?) "
            "ON CONFLICT (schedule_name) DO NOTHING",
            (schedule_name, iso),
        )
        row = tx.one(
            f"SELECT cursor_at FROM metalus_schedule WHERE schedule_name = ?{self.lock_for_update}",
            (schedule_name,),
        )
        return None if row is None else row[0]

    def _read_tick(self, tx: Tx, schedule_name: str, scheduled_at: str) -> TickRecord | None:
        row = tx.one(
            f"SELECT {TICK_COLUMNS} FROM metalus_schedule_tick WHERE schedule_name = ? AND scheduled_at = ?",
            (schedule_name, scheduled_at),
        )
        return None if row is None else tick_from_row(row)

    def get_schedule_cursor(self, *, schedule_name: str) -> str | None:
        """See :meth:`ScheduleStore.get_schedule_cursor`."""
        with self._transaction(write=False) as tx:
            row = tx.one("SELECT cursor_at FROM metalus_schedule WHERE schedule_name = ?", (schedule_name,))
        return None if row is None else row[0]

    def record_ticks(
        self, *, schedule_name: str, expected_cursor: str | None, cursor: str, ticks: Sequence[NewTick]
    ) -> list[TickRecord] | None:
        """See :meth:`ScheduleStore.record_ticks`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            if self._lock_schedule(tx, schedule_name, iso) != expected_cursor:
                return None
            for tick in ticks:
                tx.run(
                    f"INSERT INTO metalus_schedule_tick ({TICK_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?) "
                    "ON CONFLICT (schedule_name, scheduled_at) DO NOTHING",
                    (schedule_name, tick.scheduled_at, tick.run_id, TickStatus(tick.status).value, tick.reason,
                     iso, iso),
                )
            tx.run("UPDATE metalus_schedule SET cursor_at = ?, updated_at = ? WHERE schedule_name = ?",
                   (cursor, iso, schedule_name))
            records = [self._read_tick(tx, schedule_name, t.scheduled_at) for t in ticks]
        return [r for r in records if r is not None]

    def get_tick(self, *, schedule_name: str, scheduled_at: str) -> TickRecord | None:
        """See :meth:`ScheduleStore.get_tick`."""
        with self._transaction(write=False) as tx:
            return self._read_tick(tx, schedule_name, scheduled_at)

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
        """See :meth:`ScheduleStore.list_ticks`."""
        where, params = ["schedule_name = ?"], [schedule_name]
        if status is not None:
            where.append("status = ?")
            params.append(TickStatus(status).value)
        if unfinished:
            where.append(f"status = '{_LAUNCHED}' AND run_status IS NULL")
        if since is not None:
            where.append("scheduled_at >= ?")
            params.append(since)
        if until is not None:
            where.append("scheduled_at <= ?")
            params.append(until)
        sql = f"SELECT {TICK_COLUMNS} FROM metalus_schedule_tick WHERE {' AND '.join(where)} ORDER BY scheduled_at"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._transaction(write=False) as tx:
            rows = tx.all(sql, params)
        return [tick_from_row(r) for r in rows]

    def claim_tick(self, *, schedule_name: str, scheduled_at: str, owner: str, only_if_idle: bool) -> bool:
        """See :meth:`ScheduleStore.claim_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            self._lock_schedule(tx, schedule_name, iso)
            if only_if_idle and tx.one(
                "SELECT 1 FROM metalus_schedule_tick WHERE schedule_name = ? AND scheduled_at <> ? "
                f"AND status = '{_LAUNCHED}' AND run_status IS NULL LIMIT 1",
                (schedule_name, scheduled_at),
            ):
                return False
            count = tx.run(
                f"UPDATE metalus_schedule_tick SET status = '{_LAUNCHED}', owner = ?, updated_at = ? "
                "WHERE schedule_name = ? AND scheduled_at = ? AND status = 'DUE'",
                (owner, iso, schedule_name, scheduled_at),
            )
        return count == 1

    def skip_tick(self, *, schedule_name: str, scheduled_at: str, reason: str) -> bool:
        """See :meth:`ScheduleStore.skip_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            self._lock_schedule(tx, schedule_name, iso)
            count = tx.run(
                "UPDATE metalus_schedule_tick SET status = 'SKIPPED', reason = ?, updated_at = ? "
                "WHERE schedule_name = ? AND scheduled_at = ? AND status = 'DUE'",
                (reason, iso, schedule_name, scheduled_at),
            )
        return count == 1

    def force_launch_tick(self, *, schedule_name: str, tick: NewTick, owner: str) -> TickRecord:
        """See :meth:`ScheduleStore.force_launch_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            self._lock_schedule(tx, schedule_name, iso)
            tx.run(
                f"INSERT INTO metalus_schedule_tick ({TICK_COLUMNS}) VALUES (?, ?, ?, '{_LAUNCHED}', ?, NULL, ?, ?, ?) "
                "ON CONFLICT (schedule_name, scheduled_at) DO NOTHING",
                (schedule_name, tick.scheduled_at, tick.run_id, tick.reason, owner, iso, iso),
            )
            tx.run(
                f"UPDATE metalus_schedule_tick SET status = '{_LAUNCHED}', owner = ?, reason = ?, run_status = NULL, "
                "updated_at = ? WHERE schedule_name = ? AND scheduled_at = ? AND status IN ('DUE', 'SKIPPED')",
                (owner, tick.reason, iso, schedule_name, tick.scheduled_at),
            )
            record = self._read_tick(tx, schedule_name, tick.scheduled_at)
        assert record is not None
        return record

    def take_over_tick(self, *, schedule_name: str, scheduled_at: str, previous_owner: str | None,
                       owner: str) -> bool:
        """See :meth:`ScheduleStore.take_over_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            self._lock_schedule(tx, schedule_name, iso)
            count = tx.run(
                "UPDATE metalus_schedule_tick SET owner = ?, updated_at = ? WHERE schedule_name = ? "
                f"AND scheduled_at = ? AND status = '{_LAUNCHED}' AND COALESCE(owner, '') = ?",
                (owner, iso, schedule_name, scheduled_at, previous_owner or ""),
            )
        return count == 1

    def finish_tick(self, *, schedule_name: str, scheduled_at: str, run_status: str, reason: str | None = None) -> None:
        """See :meth:`ScheduleStore.finish_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            current = self._read_tick(tx, schedule_name, scheduled_at)
            if current is None:
                return
            keep = None if current.reason == INTERRUPTED else current.reason
            tx.run(
                "UPDATE metalus_schedule_tick SET run_status = ?, reason = ?, updated_at = ? "
                "WHERE schedule_name = ? AND scheduled_at = ?",
                (run_status, reason if reason is not None else keep, iso, schedule_name, scheduled_at),
            )

    def reopen_tick(self, *, schedule_name: str, scheduled_at: str, reason: str) -> None:
        """See :meth:`ScheduleStore.reopen_tick`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            tx.run(
                "UPDATE metalus_schedule_tick SET run_status = NULL, reason = ?, updated_at = ? "
                f"WHERE schedule_name = ? AND scheduled_at = ? AND status = '{_LAUNCHED}'",
                (reason, iso, schedule_name, scheduled_at),
            )

    def schedule_run_ids(self, *, schedule_name: str) -> list[str]:
        """See :meth:`ScheduleStore.schedule_run_ids`."""
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT run_id FROM metalus_schedule_tick WHERE schedule_name = ? AND status = '{_LAUNCHED}' "
                "ORDER BY scheduled_at DESC",
                (schedule_name,),
            )
        return [r[0] for r in rows]

    def update_run_metadata(self, *, run_id: str, changes: dict[str, Any]) -> None:
        """See :meth:`ScheduleStore.update_run_metadata`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            row = tx.one(f"SELECT metadata_json FROM metalus_run WHERE run_id = ?{self.lock_for_update}", (run_id,))
            if row is None:
                raise UnknownRunError(run_id=run_id)
            metadata = {**(loads(row[0]) or {}), **changes}
            tx.run("UPDATE metalus_run SET metadata_json = ?, updated_at = ? WHERE run_id = ?",
                   (dumps(metadata), iso, run_id))
