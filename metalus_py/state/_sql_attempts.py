"""SQL implementation of execution-attempt claims (one task runs an execution attempt once).

A distributed executor hands each execution instance to a worker as a task. Should the engine
re-run a task by itself (a cluster whose retry settings metalus does not own), the second
copy finds its attempt already claimed and does not run the execution again.
"""

from __future__ import annotations

from metalus_py.state._sqlcore import SqlCore


class AttemptsMixin(SqlCore):
    """Execution-attempt claims: ``INSERT ... ON CONFLICT DO NOTHING`` on (run, execution key, attempt)."""

    def claim_execution_attempt(self, *, run_id: str, execution_key: str, attempt: int, worker: str) -> str | None:
        """See :meth:`StateStore.claim_execution_attempt`."""
        _, iso = self._stamp()
        with self._transaction(write=True) as tx:
            claimed = tx.run(
                "INSERT INTO metalus_execution_attempt (run_id, execution_key, attempt, worker, claimed_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, execution_key, attempt) DO NOTHING",
                (run_id, execution_key, int(attempt), worker, iso),
            )
            if claimed == 1:
                return None
            row = tx.one(
                "SELECT worker FROM metalus_execution_attempt WHERE run_id = ? AND execution_key = ? AND attempt = ?",
                (run_id, execution_key, int(attempt)),
            )
        return str(row[0]) if row is not None else "another worker"

    def execution_attempts(self, *, run_id: str) -> dict[str, int]:
        """See :meth:`StateStore.execution_attempts`."""
        with self._transaction(write=False) as tx:
            rows = tx.all(
                "SELECT execution_key, MAX(attempt) FROM metalus_execution_attempt WHERE run_id = ? "
                "GROUP BY execution_key",
                (run_id,),
            )
        return {str(key): int(attempt) for key, attempt in rows}
