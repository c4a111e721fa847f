"""SQL implementation of step-run claims and run leases (rules in :mod:`metalus_py.state.protocol`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from metalus_py.state._schema import LEASE_COLUMNS, STEP_COLUMNS
from metalus_py.state._sqlcore import (
    Completion,
    SqlCore,
    Tx,
    dumps,
    dumps_opt,
    lease_from_row,
    loads,
    step_from_row,
)
from metalus_py.state.errors import ClaimLostError
from metalus_py.state.records import (
    ClaimResult,
    LeaseInfo,
    LeaseResult,
    StepCompletion,
    StepKey,
    StepRunRecord,
)
from metalus_py.state.status import ClaimOutcome, StepStatus

_KEY = "run_id = ? AND execution_key = ? AND pipeline_id = ? AND step_path = ?"

# Insert the step as RUNNING unless it has a row already or another owner holds a live lease.
CLAIM_NEW = (
    f"INSERT INTO metalus_step ({STEP_COLUMNS}) "
    "SELECT ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, NULL, ?, NULL, '[]', NULL "
    "WHERE NOT EXISTS (SELECT 1 FROM metalus_lease WHERE run_id = ? AND owner <> ? "
    "AND released = 0 AND expires_at > ?) "
    "ON CONFLICT (run_id, execution_key, pipeline_id, step_path) DO NOTHING"
)

# Mark one held step COMPLETE (executed once per completion of a batch).
COMPLETE_HELD = (
    "UPDATE metalus_step SET status = 'COMPLETE', ended_at = ?, updated_at = ?, error_json = NULL, "
    f"output_json = ?, named_keys_json = ?, metrics_json = ? WHERE {_KEY} AND status = 'RUNNING' AND owner = ?"
)


def encode_completion(completion: StepCompletion, iso: str) -> Completion:
    """A completion's columns: ``(execution_key, pipeline_id, step_path, ended_at, output, named, metrics)``."""
    named = completion.named_return_keys
    metrics = completion.metrics
    return (
        completion.execution_key,
        completion.pipeline_id,
        completion.step_path,
        completion.ended_at or iso,
        dumps_opt(None if completion.output_ref is None else dict(completion.output_ref)),
        dumps([str(k) for k in named]) if named else "[]",
        None if metrics is None else ("{}" if not metrics else dumps(dict(metrics))),
    )


def claimed_record(key: tuple[str, str, str, str], owner: str, iso: str, input_json: str | None) -> StepRunRecord:
    """The row a first claim inserts, as a record (built here: the insert returns nothing)."""
    return StepRunRecord(
        run_id=key[0], execution_key=key[1], pipeline_id=key[2], step_path=key[3], status=StepStatus.RUNNING,
        attempts=1, owner=owner, started_at=iso, ended_at=None, updated_at=iso, error=None,
        input_summary=loads(input_json), output_ref=None, named_return_keys=(), metrics=None,
    )


class StepsMixin(SqlCore):
    """Step-run claims and the run lease."""

    # -- step runs ------------------------------------------------------------------------
    def claim_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        input_summary: Any = None,
        reopen_complete: bool = False,
        completions: Sequence[StepCompletion] = (),
    ) -> ClaimResult:
        """See :meth:`StateStore.claim_step`."""
        key = (run_id, execution_key, pipeline_id, step_path)
        now, iso = self._stamp()
        input_json = dumps_opt(input_summary)
        # The common case in one round trip: the completions given, then the claim of a step never
        # claimed before, in a run whose lease is ours, free or gone. Anything else (a retry, a
        # take-over, a refusal) is decided by the locked read-then-write below.
        claim = (*key, StepStatus.RUNNING.value, owner, iso, iso, input_json, run_id, owner, now)
        rows = [encode_completion(c, iso) for c in completions]
        done, inserted = self._complete_and_claim(run_id, owner, iso, rows, claim)
        if done != len(rows):
            self._raise_lost(run_id, owner, completions)
        if inserted:
            return ClaimResult(ClaimOutcome.CLAIMED, claimed_record(key, owner, iso, input_json))
        return self._claim_locked(key, owner, now, iso, input_summary, reopen_complete)

    def _complete_and_claim(
        self, run_id: str, owner: str, iso: str, rows: Sequence[Completion], claim: Sequence[Any] | None
    ) -> tuple[int, bool]:
        """Record completion ``rows``, then (all recorded) insert ``claim`` (``CLAIM_NEW`` parameters).

        Returns:
            How many completions were recorded, and whether the claim row was inserted.
        """
        if not rows:
            if claim is None:
                return 0, False
            with self._statement() as st:  # one statement: its own transaction
                return 0, st.run(CLAIM_NEW, claim) == 1
        params = [(r[3], iso, r[4], r[5], r[6], run_id, r[0], r[1], r[2], owner) for r in rows]
        with self._transaction(write=True) as tx:
            done = tx.many(COMPLETE_HELD, params)
            inserted = claim is not None and done == len(rows) and tx.run(CLAIM_NEW, claim) == 1
        return done, inserted

    def _raise_lost(self, run_id: str, owner: str, completions: Sequence[StepCompletion]) -> None:
        """Raise :class:`ClaimLostError` naming the first completion the owner no longer held."""
        for completion in completions:
            record = self.get_step(run_id=run_id, execution_key=completion.execution_key,
                                   pipeline_id=completion.pipeline_id, step_path=completion.step_path)
            if record is None or record.owner != owner or record.status is not StepStatus.COMPLETE:
                holder = None if record is None else f"{record.owner} ({record.status.value})"
                raise ClaimLostError(run_id=run_id, step=str(completion.key), owner=owner, holder=holder)
        raise ClaimLostError(run_id=run_id, step=str(completions[0].key), owner=owner, holder=None)

    def complete_steps(self, *, run_id: str, owner: str, completions: Sequence[StepCompletion]) -> None:
        """See :meth:`StateStore.complete_steps`."""
        if not completions:
            return
        _, iso = self._stamp()
        rows = [encode_completion(c, iso) for c in completions]
        done, _ = self._complete_and_claim(run_id, owner, iso, rows, None)
        if done != len(rows):
            self._raise_lost(run_id, owner, completions)

    def _claim_locked(
        self, key: tuple[str, str, str, str], owner: str, now: float, iso: str, input_summary: Any,
        reopen_complete: bool,
    ) -> ClaimResult:
        run_id = key[0]
        with self._transaction(write=True) as tx:
            lease_row = tx.one(
                f"SELECT {LEASE_COLUMNS} FROM metalus_lease WHERE run_id = ?{self.lock_for_share}", (run_id,)
            )
            lease = None if lease_row is None else lease_from_row(lease_row)
            live_holder = lease.owner if lease is not None and lease.alive(now) else None
            for _ in range(3):
                row = tx.one(
                    f"SELECT {STEP_COLUMNS} FROM metalus_step WHERE {_KEY}{self.lock_for_update}", key
                )
                record = None if row is None else step_from_row(row)
                if record is not None and record.status is StepStatus.COMPLETE and not reopen_complete:
                    return ClaimResult(ClaimOutcome.ALREADY_COMPLETE, record)
                if live_holder is not None and live_holder != owner:
                    return ClaimResult(ClaimOutcome.HELD, record, holder=live_holder)
                if record is None:
                    inserted = tx.one(
                        f"INSERT INTO metalus_step ({STEP_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, NULL, ?, NULL, '[]', NULL) "
                        f"ON CONFLICT (run_id, execution_key, pipeline_id, step_path) DO NOTHING "
                        f"RETURNING {STEP_COLUMNS}",
                        (*key, StepStatus.RUNNING.value, owner, iso, iso, dumps_opt(input_summary)),
                    )
                    if inserted is not None:
                        return ClaimResult(ClaimOutcome.CLAIMED, step_from_row(inserted))
                    continue  # another transaction inserted it first: decide on its row
                previous = None
                if record.status is StepStatus.RUNNING:
                    if record.owner == owner:
                        return ClaimResult(ClaimOutcome.HELD, record, holder=owner)
                    owner_dead = live_holder == owner or (lease is not None and live_holder is None)
                    if not owner_dead:
                        return ClaimResult(ClaimOutcome.HELD, record, holder=record.owner)
                    previous = record.owner
                updated = tx.one(
                    "UPDATE metalus_step SET status = ?, attempts = attempts + 1, owner = ?, started_at = ?, "
                    "ended_at = NULL, updated_at = ?, error_json = NULL, input_json = ?, output_json = NULL, "
                    f"named_keys_json = '[]', metrics_json = NULL WHERE {_KEY} RETURNING {STEP_COLUMNS}",
                    (StepStatus.RUNNING.value, owner, iso, iso, dumps_opt(input_summary), *key),
                )
                assert updated is not None
                return ClaimResult(ClaimOutcome.CLAIMED, step_from_row(updated), taken_over_from=previous)
        raise RuntimeError(f"could not settle the claim of {StepKey(*key[1:])} in run {run_id!r}")

    def _update_held(
        self, tx: Tx, key: tuple[str, str, str, str], owner: str, assignments: str, params: Sequence[Any]
    ) -> StepRunRecord:
        row = tx.one(
            f"UPDATE metalus_step SET {assignments} WHERE {_KEY} AND status = ? AND owner = ? "
            f"RETURNING {STEP_COLUMNS}",
            (*params, *key, StepStatus.RUNNING.value, owner),
        )
        if row is not None:
            return step_from_row(row)
        current = tx.one(f"SELECT status, owner FROM metalus_step WHERE {_KEY}", key)
        holder = None if current is None else f"{current[1]} ({current[0]})"
        raise ClaimLostError(run_id=key[0], step=str(StepKey(*key[1:])), owner=owner, holder=holder)

    def record_retry(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        error: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """See :meth:`StateStore.record_retry`."""
        _, iso = self._stamp()
        key = (run_id, execution_key, pipeline_id, step_path)
        with self._statement() as tx:  # one statement: its own transaction
            return self._update_held(
                tx,
                key,
                owner,
                "attempts = attempts + 1, updated_at = ?, error_json = ?",
                (iso, dumps_opt(None if error is None else dict(error))),
            )

    def complete_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        output_ref: Mapping[str, Any] | None = None,
        named_return_keys: Sequence[str] = (),
        metrics: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """See :meth:`StateStore.complete_step`."""
        _, iso = self._stamp()
        key = (run_id, execution_key, pipeline_id, step_path)
        with self._statement() as tx:  # one statement: its own transaction
            return self._update_held(
                tx,
                key,
                owner,
                "status = ?, ended_at = ?, updated_at = ?, error_json = NULL, output_json = ?, "
                "named_keys_json = ?, metrics_json = ?",
                (
                    StepStatus.COMPLETE.value,
                    iso,
                    iso,
                    dumps_opt(None if output_ref is None else dict(output_ref)),
                    dumps([str(k) for k in named_return_keys]),
                    dumps_opt(None if metrics is None else dict(metrics)),
                ),
            )

    def fail_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        error: Mapping[str, Any] | None,
        status: StepStatus | str = StepStatus.ERROR,
        metrics: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """See :meth:`StateStore.fail_step`."""
        status = StepStatus(status)
        if status not in (StepStatus.ERROR, StepStatus.KILLED):
            raise ValueError(f"fail_step takes status ERROR or KILLED, not {status.value}")
        _, iso = self._stamp()
        key = (run_id, execution_key, pipeline_id, step_path)
        with self._statement() as tx:  # one statement: its own transaction
            return self._update_held(
                tx,
                key,
                owner,
                "status = ?, ended_at = ?, updated_at = ?, error_json = ?, metrics_json = ?",
                (
                    status.value,
                    iso,
                    iso,
                    dumps_opt(None if error is None else dict(error)),
                    dumps_opt(None if metrics is None else dict(metrics)),
                ),
            )

    def get_step(
        self, *, run_id: str, execution_key: str, pipeline_id: str, step_path: str
    ) -> StepRunRecord | None:
        """See :meth:`StateStore.get_step`."""
        with self._transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {STEP_COLUMNS} FROM metalus_step WHERE {_KEY}",
                (run_id, execution_key, pipeline_id, step_path),
            )
        return None if row is None else step_from_row(row)

    def list_steps(
        self, *, run_id: str, execution_key: str | None = None, pipeline_id: str | None = None
    ) -> list[StepRunRecord]:
        """See :meth:`StateStore.list_steps`."""
        sql = f"SELECT {STEP_COLUMNS} FROM metalus_step WHERE run_id = ?"
        params: list[Any] = [run_id]
        if execution_key is not None:
            sql += " AND execution_key = ?"
            params.append(execution_key)
        if pipeline_id is not None:
            sql += " AND pipeline_id = ?"
            params.append(pipeline_id)
        with self._transaction(write=False) as tx:
            rows = tx.all(sql + " ORDER BY execution_key, pipeline_id, started_at, step_path", params)
        return [step_from_row(r) for r in rows]

    def copy_completed_steps(
        self, *, source_run_id: str, target_run_id: str, steps: Iterable[StepKey] | None = None
    ) -> int:
        """See :meth:`StateStore.copy_completed_steps`."""
        wanted = None if steps is None else {StepKey(*s) for s in steps}
        copied = 0
        with self._transaction(write=True) as tx:
            rows = tx.all(
                f"SELECT {STEP_COLUMNS} FROM metalus_step WHERE run_id = ? AND status = ?",
                (source_run_id, StepStatus.COMPLETE.value),
            )
            for row in rows:
                if wanted is not None and StepKey(row[1], row[2], row[3]) not in wanted:
                    continue
                copied += tx.run(
                    f"INSERT INTO metalus_step ({STEP_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (run_id, execution_key, pipeline_id, step_path) DO NOTHING",
                    (target_run_id, *row[1:]),
                )
        return copied

    # -- run lease ------------------------------------------------------------------------
    def acquire_lease(self, *, run_id: str, owner: str, ttl_seconds: float) -> LeaseResult:
        """See :meth:`StateStore.acquire_lease`."""
        now, iso = self._stamp()
        expires = now + float(ttl_seconds)
        with self._transaction(write=True) as tx:
            row = tx.one(
                f"INSERT INTO metalus_lease ({LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0) "
                f"ON CONFLICT (run_id) DO NOTHING RETURNING {LEASE_COLUMNS}",
                (run_id, owner, iso, iso, expires),
            )
            if row is not None:
                return LeaseResult(True, lease_from_row(row))
            row = tx.one(
                f"SELECT {LEASE_COLUMNS} FROM metalus_lease WHERE run_id = ?{self.lock_for_update}", (run_id,)
            )
            assert row is not None
            current = lease_from_row(row)
            alive = current.alive(now)
            if alive and current.owner != owner:
                return LeaseResult(False, current)
            acquired_at = current.acquired_at if alive else iso
            row = tx.one(
                "UPDATE metalus_lease SET owner = ?, acquired_at = ?, renewed_at = ?, expires_at = ?, "
                f"released = 0 WHERE run_id = ? RETURNING {LEASE_COLUMNS}",
                (owner, acquired_at, iso, expires, run_id),
            )
            assert row is not None
            previous = None if alive or current.owner == owner else current.owner
            return LeaseResult(True, lease_from_row(row), previous_owner=previous,
                               taken_over=previous is not None and not current.released)

    def renew_lease(self, *, run_id: str, owner: str, ttl_seconds: float) -> bool:
        """See :meth:`StateStore.renew_lease`."""
        now, iso = self._stamp()
        with self._transaction(write=True) as tx:
            count = tx.run(
                "UPDATE metalus_lease SET renewed_at = ?, expires_at = ? "
                "WHERE run_id = ? AND owner = ? AND released = 0 AND expires_at > ?",
                (iso, now + float(ttl_seconds), run_id, owner, now),
            )
        return count == 1

    def release_lease(self, *, run_id: str, owner: str) -> bool:
        """See :meth:`StateStore.release_lease`."""
        now, iso = self._stamp()
        with self._transaction(write=True) as tx:
            count = tx.run(
                "UPDATE metalus_lease SET released = 1, renewed_at = ?, expires_at = ? "
                "WHERE run_id = ? AND owner = ? AND released = 0",
                (iso, now, run_id, owner),
            )
        return count == 1

    def get_lease(self, *, run_id: str) -> LeaseInfo | None:
        """See :meth:`StateStore.get_lease`."""
        with self._transaction(write=False) as tx:
            row = tx.one(f"SELECT {LEASE_COLUMNS} FROM metalus_lease WHERE run_id = ?", (run_id,))
        return None if row is None else lease_from_row(row)
