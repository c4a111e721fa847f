"""SQL implementation of runs, executions, pipelines, events and kill requests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from metalus_py.base.run_ids import check_run_id
from metalus_py.base.secrets import redact_secrets
from metalus_py.state._schema import (
    EXECUTION_COLUMNS,
    KILL_COLUMNS,
    PIPELINE_COLUMNS,
    RUN_COLUMNS,
    RUN_TABLES,
)
from metalus_py.state._sql_attempts import AttemptsMixin
from metalus_py.state._sqlcore import (
    Tx,
    change_from_row,
    dumps,
    dumps_opt,
    event_from_row,
    execution_from_row,
    kill_from_row,
    pipeline_from_row,
    run_from_row,
)
from metalus_py.state.errors import RunExistsError, UnknownRunError
from metalus_py.state.records import (
    EventRecord,
    ExecutionRecord,
    KillRequest,
    ParameterChange,
    PipelineRunRecord,
    RunRecord,
)
from metalus_py.state.status import ExecutionStatus, PipelineStatus, RunStatus


class RunsMixin(AttemptsMixin):
    """Runs, parameter changes, executions, pipelines, events and kill requests."""

    # -- runs -----------------------------------------------------------------------------
    def create_run(
        self,
        *,
        run_id: str,
        application_id: str,
        application_json: str,
        parameters: Mapping[str, Any],
        persist_policy: str = "all",
        artifact_root: str | None = None,
        parent_run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: RunStatus | str = RunStatus.RUNNING,
    ) -> RunRecord:
        """See :meth:`StateStore.create_run`."""
        check_run_id(run_id)
        status = RunStatus(status)
        _, iso = self._stamp()
        ended = iso if status.finished else None
        with self._transaction(write=True) as tx:
            inserted = tx.run(
                f"INSERT INTO metalus_run ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO NOTHING",
                (
                    run_id,
                    application_id,
                    status.value,
                    iso,
                    ended,
                    iso,
                    application_json,
                    dumps(dict(parameters)),
                    persist_policy,
                    artifact_root,
                    parent_run_id,
                    dumps(dict(metadata or {})),
                ),
            )
            if inserted != 1:
                raise RunExistsError(run_id=run_id)
            return self._read_run(tx, run_id)  # type: ignore[return-value]

    def get_run(self, *, run_id: str) -> RunRecord | None:
        """See :meth:`StateStore.get_run`."""
        with self._transaction(write=False) as tx:
            return self._read_run(tx, run_id)

    def _read_run(self, tx: Tx, run_id: str) -> RunRecord | None:
        row = tx.one(f"SELECT {RUN_COLUMNS} FROM metalus_run WHERE run_id = ?", (run_id,))
        if row is None:
            return None
        changes = tx.all(
            "SELECT seq, changed_at, reason, changes_json FROM metalus_param_change "
            "WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return run_from_row(row, [change_from_row(c) for c in changes])

    def list_runs(
        self,
        *,
        application_id: str | None = None,
        status: RunStatus | str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """See :meth:`StateStore.list_runs`."""
        where, params = [], []
        if application_id is not None:
            where.append("application_id = ?")
            params.append(application_id)
        if status is not None:
            where.append("status = ?")
            params.append(RunStatus(status).value)
        sql = f"SELECT {RUN_COLUMNS} FROM metalus_run"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at DESC, run_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._transaction(write=False) as tx:
            rows = tx.all(sql, params)
            if not rows:
                return []
            changes: dict[str, list[ParameterChange]] = {}
            run_ids = [row[0] for row in rows]
            for start in range(0, len(run_ids), 500):
                batch = run_ids[start : start + 500]
                for row in tx.all(
                    "SELECT run_id, seq, changed_at, reason, changes_json FROM metalus_param_change "
                    f"WHERE run_id IN ({', '.join('?' * len(batch))}) ORDER BY run_id, seq",
                    batch,
                ):
                    changes.setdefault(row[0], []).append(change_from_row(row[1:]))
        return [run_from_row(row, changes.get(row[0], ())) for row in rows]

    def set_run_status(self, *, run_id: str, status: RunStatus | str) -> RunRecord:
        """See :meth:`StateStore.set_run_status`."""
        status = RunStatus(status)
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            count = tx.run(
                "UPDATE metalus_run SET status = ?, ended_at = ?, updated_at = ? WHERE run_id = ?",
                (status.value, iso if status.finished else None, iso, run_id),
            )
            if count != 1:
                raise UnknownRunError(run_id=run_id)
            return self._read_run(tx, run_id)  # type: ignore[return-value]

    def record_parameter_change(
        self, *, run_id: str, changes: Mapping[str, Any], reason: str | None = None
    ) -> ParameterChange:
        """See :meth:`StateStore.record_parameter_change`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            row = tx.one(
                "UPDATE metalus_run SET change_seq = change_seq + 1, updated_at = ? WHERE run_id = ? "
                "RETURNING change_seq",
                (iso, run_id),
            )
            if row is None:
                raise UnknownRunError(run_id=run_id)
            seq = int(row[0])
            text = dumps(dict(changes))
            tx.run(
                "INSERT INTO metalus_param_change (run_id, seq, changed_at, reason, changes_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, seq, iso, reason, text),
            )
        return change_from_row((seq, iso, reason, text))

    def delete_run(self, *, run_id: str) -> bool:
        """See :meth:`StateStore.delete_run`."""
        with self._transaction(write=True) as tx:
            existed = 0
            for table in RUN_TABLES:
                existed = tx.run(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
        return existed > 0

    # -- executions and pipelines ---------------------------------------------------------
    def record_execution(
        self,
        *,
        run_id: str,
        execution_key: str,
        execution_id: str,
        status: ExecutionStatus | str,
        fork_indices: Sequence[int] = (),
        reason: str | None = None,
        error: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """See :meth:`StateStore.record_execution`."""
        status = ExecutionStatus(status)
        _, iso = self._stamp()
        started = iso if status is ExecutionStatus.RUNNING else None
        ended = iso if status.finished else None
        with self._transaction(write=True) as tx:
            row = tx.one(
                f"INSERT INTO metalus_execution ({EXECUTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, execution_key) DO UPDATE SET "
                "execution_id = excluded.execution_id, fork_indices_json = excluded.fork_indices_json, "
                "status = excluded.status, reason = excluded.reason, error_json = excluded.error_json, "
                "started_at = COALESCE(excluded.started_at, metalus_execution.started_at), "
                "ended_at = excluded.ended_at, updated_at = excluded.updated_at "
                f"RETURNING {EXECUTION_COLUMNS}",
                (
                    run_id,
                    execution_key,
                    execution_id,
                    dumps([int(i) for i in fork_indices]),
                    status.value,
                    None if reason is None else redact_secrets(str(reason)),
                    dumps_opt(None if error is None else dict(error)),
                    started,
                    ended,
                    iso,
                ),
            )
        assert row is not None
        return execution_from_row(row)

    def get_execution(self, *, run_id: str, execution_key: str) -> ExecutionRecord | None:
        """See :meth:`StateStore.get_execution`."""
        with self._transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {EXECUTION_COLUMNS} FROM metalus_execution WHERE run_id = ? AND execution_key = ?",
                (run_id, execution_key),
            )
        return None if row is None else execution_from_row(row)

    def list_executions(self, *, run_id: str) -> list[ExecutionRecord]:
        """See :meth:`StateStore.list_executions`."""
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {EXECUTION_COLUMNS} FROM metalus_execution WHERE run_id = ? ORDER BY execution_key",
                (run_id,),
            )
        return [execution_from_row(r) for r in rows]

    def record_pipeline(
        self, *, run_id: str, execution_key: str, pipeline_id: str, status: PipelineStatus | str
    ) -> PipelineRunRecord:
        """See :meth:`StateStore.record_pipeline`."""
        status = PipelineStatus(status)
        _, iso = self._stamp()
        started = iso if status is PipelineStatus.RUNNING else None
        ended = iso if status.finished else None
        with self._transaction(write=True) as tx:
            row = tx.one(
                f"INSERT INTO metalus_pipeline ({PIPELINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, execution_key, pipeline_id) DO UPDATE SET "
                "status = excluded.status, "
                "started_at = COALESCE(excluded.started_at, metalus_pipeline.started_at), "
                "ended_at = excluded.ended_at, updated_at = excluded.updated_at "
                f"RETURNING {PIPELINE_COLUMNS}",
                (run_id, execution_key, pipeline_id, status.value, started, ended, iso),
            )
        assert row is not None
        return pipeline_from_row(row)

    def list_pipelines(self, *, run_id: str, execution_key: str | None = None) -> list[PipelineRunRecord]:
        """See :meth:`StateStore.list_pipelines`."""
        sql = f"SELECT {PIPELINE_COLUMNS} FROM metalus_pipeline WHERE run_id = ?"
        params: list[Any] = [run_id]
        if execution_key is not None:
            sql += " AND execution_key = ?"
            params.append(execution_key)
        with self._transaction(write=False) as tx:
            rows = tx.all(sql + " ORDER BY execution_key, started_at, pipeline_id", params)
        return [pipeline_from_row(r) for r in rows]

    # -- events ---------------------------------------------------------------------------
    def append_event(self, *, run_id: str, event: Mapping[str, Any]) -> int:
        """Append one event to a run's log, returning its sequence number.

        Raises:
            UnknownRunError: no such run.
        """
        return self.append_events(run_id=run_id, events=[event])[0]

    def append_events(self, *, run_id: str, events: Sequence[Mapping[str, Any]]) -> list[int]:
        """See :meth:`StateStore.append_events`."""
        if not events:
            return []
        _, iso = self._stamp()
        texts = [dumps(dict(e)) for e in events]
        with self._transaction(write=True) as tx:
            # Bumping the run's counter locks its row, so concurrent appenders get distinct seqs.
            row = tx.one(
                "UPDATE metalus_run SET event_seq = event_seq + ? WHERE run_id = ? RETURNING event_seq",
                (len(texts), run_id),
            )
            if row is None:
                raise UnknownRunError(run_id=run_id)
            first = int(row[0]) - len(texts) + 1
            seqs = list(range(first, first + len(texts)))
            tx.many(
                "INSERT INTO metalus_event (run_id, seq, recorded_at, event_json) VALUES (?, ?, ?, ?)",
                [(run_id, seq, iso, text) for seq, text in zip(seqs, texts, strict=True)],
            )
        return seqs

    def list_events(self, *, run_id: str, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        """See :meth:`StateStore.list_events`."""
        sql = (
            "SELECT run_id, seq, recorded_at, event_json FROM metalus_event "
            "WHERE run_id = ? AND seq > ? ORDER BY seq"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._transaction(write=False) as tx:
            rows = tx.all(sql, (run_id, after_seq))
        return [event_from_row(r) for r in rows]

    # -- kill requests --------------------------------------------------------------------
    def request_kill(
        self, *, run_id: str, target: str | None = None, reason: str | None = None
    ) -> KillRequest:
        """See :meth:`StateStore.request_kill`."""
        _, iso = self._stamp()
        row = (uuid.uuid4().hex, run_id, target, reason, iso, None)
        with self._transaction(write=True) as tx:
            tx.run(f"INSERT INTO metalus_kill ({KILL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", row)
        return kill_from_row(row)

    def pending_kills(self, *, run_id: str) -> list[KillRequest]:
        """See :meth:`StateStore.pending_kills`."""
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {KILL_COLUMNS} FROM metalus_kill WHERE run_id = ? AND acknowledged_at IS NULL "
                "ORDER BY requested_at, request_id",
                (run_id,),
            )
        return [kill_from_row(r) for r in rows]

    def kill_requests(self, *, run_id: str) -> list[KillRequest]:
        """See :meth:`StateStore.kill_requests`."""
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {KILL_COLUMNS} FROM metalus_kill WHERE run_id = ? ORDER BY requested_at, request_id",
                (run_id,),
            )
        return [kill_from_row(r) for r in rows]

    def acknowledge_kill(self, *, request_id: str) -> bool:
        """See :meth:`StateStore.acknowledge_kill`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            count = tx.run(
                "UPDATE metalus_kill SET acknowledged_at = ? WHERE request_id = ? AND acknowledged_at IS NULL",
                (iso, request_id),
            )
        return count == 1
