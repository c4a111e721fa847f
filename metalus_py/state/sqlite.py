"""SQLite state store: one file, WAL mode, safe for many threads and processes at once.

Each thread gets its own connection (re-created after ``fork``). Writes run in
``BEGIN IMMEDIATE`` transactions, which take the database's write lock up front, so
read-then-write decisions (claims, leases) are serialised across processes; readers never block
thanks to WAL. A busy writer is waited for up to ``busy_timeout`` seconds.

Durability: with ``synchronous=NORMAL`` (the default) a crash of the process (even SIGKILL)
never loses or tears a committed transaction; a power loss may roll back the last few commits
but leaves the file consistent. Pass ``synchronous="FULL"`` to fsync every commit.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from metalus_py.base.run_ids import check_run_id
from metalus_py.state._schema import DDL, SCHEMA_VERSION
from metalus_py.state._sql_runs import RunsMixin
from metalus_py.state._sql_schedules import SchedulesMixin
from metalus_py.state._sql_steps import StepsMixin
from metalus_py.state._sqlcore import Row, ThreadConnections
from metalus_py.state.errors import StateError

__all__ = ["SqliteStateStore"]

log = logging.getLogger(__name__)


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        return self._conn.executemany(sql, rows).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = self._conn.execute(sql, tuple(params))
        row = cur.fetchone()
        cur.fetchall()  # finish the statement (RETURNING rows are produced as they are stepped)
        return None if row is None else tuple(row)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]


class SqliteStateStore(RunsMixin, StepsMixin, SchedulesMixin):
    """A :class:`~metalus_py.state.protocol.StateStore` in a SQLite file.

    Args:
        path: the database file (its folder is created); default ``.metalus/state.db``.
        busy_timeout: seconds to wait for another writer before failing.
        synchronous: SQLite ``synchronous`` pragma (``NORMAL`` or ``FULL``).
        artifact_base: fsspec URL under which run artifact folders go; default the
            ``artifacts`` folder next to the database file.
        clock: epoch-seconds clock (tests pass a fake one to expire leases).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ".metalus/state.db",
        *,
        busy_timeout: float = 30.0,
        synchronous: str = "NORMAL",
        artifact_base: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self._path = Path(path).expanduser().resolve()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout = float(busy_timeout)
        self._synchronous = synchronous.upper()
        self._artifact_base = artifact_base
        self._connections = ThreadConnections(self._connect, sqlite3.Connection.close)
        self._init_schema()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def url(self) -> str:
        """``sqlite:///<absolute path>``."""
        return f"sqlite:///{self._path}"

    def default_artifact_root(self, *, run_id: str) -> str:
        """``<artifact_base>/<run_id>``, by default ``<db folder>/artifacts/<run_id>``."""
        check_run_id(run_id)
        if self._artifact_base:
            return f"{self._artifact_base.rstrip('/')}/{run_id}"
        return str(self._path.parent / "artifacts" / run_id)

    def __repr__(self) -> str:
        return f"SqliteStateStore({str(self._path)!r})"

    def __enter__(self) -> SqliteStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        self._connections.close_all()

    # -- plumbing -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self._path), timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            conn.close()
            raise StateError(f"cannot put {self._path} in WAL mode (got {mode!r}); is it on a network drive?")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        return conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_SqliteTx]:
        conn = self._connections.get()
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield _SqliteTx(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:  # pragma: no cover - the transaction is gone already
                    log.debug("ROLLBACK failed", exc_info=True)
            raise

    @contextmanager
    def _statement(self) -> Iterator[_SqliteTx]:
        yield _SqliteTx(self._connections.get())  # autocommit: each statement commits itself

    def _init_schema(self) -> None:
        with self._transaction(write=True) as tx:
            for statement in DDL:
                tx.run(statement)
            row = tx.one("SELECT MAX(version) FROM metalus_schema")
            version = None if row is None else row[0]
            if version is None:
                tx.run("INSERT INTO metalus_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif int(version) > SCHEMA_VERSION:
                raise StateError(
                    f"{self._path} was written by a newer metalus_py (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade metalus_py or use another --state"
                )
