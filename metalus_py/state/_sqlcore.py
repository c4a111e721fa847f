"""Backend plumbing shared by the SQL stores: transactions, JSON columns, clock, row mapping.

A backend subclasses :class:`SqlCore` and provides :meth:`SqlCore._transaction` (one real
transaction per call; ``write=True`` must take the locks a writer needs up front on backends
without row locks, e.g. SQLite ``BEGIN IMMEDIATE``) plus the two lock suffixes. SQL is written
with ``?`` placeholders; a backend translates them if its driver differs.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

import orjson

from metalus_py.base.secrets import redact_secrets, secrets_in_play
from metalus_py.state.errors import StoreClosedError
from metalus_py.state.records import (
    EventRecord,
    ExecutionRecord,
    KillRequest,
    LeaseInfo,
    ParameterChange,
    PipelineRunRecord,
    RunRecord,
    StepRunRecord,
    iso_timestamp,
)
from metalus_py.state.status import ExecutionStatus, PipelineStatus, RunStatus, StepStatus

Row = tuple[Any, ...]
#: A step completion's columns: execution key, pipeline, step path, ended_at, output, named keys, metrics (JSON).
Completion = tuple[str, str, str, str, str | None, str, str | None]
C = TypeVar("C")

log = logging.getLogger(__name__)


class Tx(Protocol):
    """One open transaction."""

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a statement, returning the affected row count."""
        ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Execute a statement once per parameter row, returning the total affected row count."""
        ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Execute a query, returning its first row."""
        ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Execute a query, returning every row."""
        ...


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> str:
    """Encode a JSON column: secrets redacted by type, values that are not JSON as their summary.

    orjson writes it several times faster than the standard encoder (compact, keys as given);
    the standard encoder takes what orjson refuses (integers beyond 64 bits, for one).
    """
    if secrets_in_play():
        value = redact_secrets(value)
    try:
        return orjson.dumps(value, default=_fallback, option=_ORJSON_OPTIONS).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=_fallback, ensure_ascii=False)


def dumps_opt(value: Any) -> str | None:
    """Like :func:`dumps` but ``None`` stays SQL NULL."""
    return None if value is None else dumps(value)


def loads(text: str | None) -> Any:
    """Decode a JSON column (SQL NULL is ``None``)."""
    return None if text is None else json.loads(text)


def _fallback(value: Any) -> Any:
    from metalus_py.state.summary import summarize_value

    return summarize_value(value)


class SqlCore(ABC):
    """State shared by the SQL mixins: the clock and the transaction factory."""

    #: Appended to a SELECT that is followed by an UPDATE of the same row.
    lock_for_update: str = ""
    #: Appended to a SELECT of a row that must not change until commit.
    lock_for_share: str = ""

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time

    def now(self) -> float:
        """The store's clock, in epoch seconds."""
        return self._clock()

    def _stamp(self) -> tuple[float, str]:
        now = self._clock()
        return now, iso_timestamp(now)

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """One transaction on the backend (each store class provides it)."""

    @abstractmethod
    def _statement(self) -> AbstractContextManager[Tx]:
        """Statements each in its own implicit transaction: one round trip for a one-statement write."""


def run_from_row(row: Row, changes: Sequence[ParameterChange] = ()) -> RunRecord:
    """Build a :class:`RunRecord` from a row of ``RUN_COLUMNS``."""
    return RunRecord(
        run_id=row[0],
        application_id=row[1],
        status=RunStatus(row[2]),
        started_at=row[3],
        ended_at=row[4],
        updated_at=row[5],
        application_json=row[6],
        parameters=loads(row[7]) or {},
        persist_policy=row[8],
        artifact_root=row[9],
        parent_run_id=row[10],
        metadata=loads(row[11]) or {},
        parameter_changes=tuple(changes),
    )


def change_from_row(row: Row) -> ParameterChange:
    """Build a :class:`ParameterChange` from ``(seq, changed_at, reason, changes_json)``."""
    return ParameterChange(seq=int(row[0]), changed_at=row[1], reason=row[2], changes=loads(row[3]) or {})


def execution_from_row(row: Row) -> ExecutionRecord:
    """Build an :class:`ExecutionRecord` from a row of ``EXECUTION_COLUMNS``."""
    return ExecutionRecord(
        run_id=row[0],
        execution_key=row[1],
        execution_id=row[2],
        fork_indices=tuple(loads(row[3]) or ()),
        status=ExecutionStatus(row[4]),
        reason=row[5],
        error=loads(row[6]),
        started_at=row[7],
        ended_at=row[8],
        updated_at=row[9],
    )


def pipeline_from_row(row: Row) -> PipelineRunRecord:
    """Build a :class:`PipelineRunRecord` from a row of ``PIPELINE_COLUMNS``."""
    return PipelineRunRecord(
        run_id=row[0],
        execution_key=row[1],
        pipeline_id=row[2],
        status=PipelineStatus(row[3]),
        started_at=row[4],
        ended_at=row[5],
        updated_at=row[6],
    )


def step_from_row(row: Row) -> StepRunRecord:
    """Build a :class:`StepRunRecord` from a row of ``STEP_COLUMNS``."""
    return StepRunRecord(
        run_id=row[0],
        execution_key=row[1],
        pipeline_id=row[2],
        step_path=row[3],
        status=StepStatus(row[4]),
        attempts=int(row[5]),
        owner=row[6],
        started_at=row[7],
        ended_at=row[8],
        updated_at=row[9],
        error=loads(row[10]),
        input_summary=loads(row[11]),
        output_ref=loads(row[12]),
        named_return_keys=tuple(loads(row[13]) or ()),
        metrics=loads(row[14]),
    )


def lease_from_row(row: Row) -> LeaseInfo:
    """Build a :class:`LeaseInfo` from a row of ``LEASE_COLUMNS``."""
    return LeaseInfo(
        run_id=row[0],
        owner=row[1],
        acquired_at=row[2],
        renewed_at=row[3],
        expires_at=float(row[4]),
        released=bool(row[5]),
    )


def kill_from_row(row: Row) -> KillRequest:
    """Build a :class:`KillRequest` from a row of ``KILL_COLUMNS``."""
    return KillRequest(
        request_id=row[0],
        run_id=row[1],
        target=row[2],
        reason=row[3],
        requested_at=row[4],
        acknowledged_at=row[5],
    )


def event_from_row(row: Row) -> EventRecord:
    """Build an :class:`EventRecord` from ``(run_id, seq, recorded_at, event_json)``."""
    return EventRecord(run_id=row[0], seq=int(row[1]), recorded_at=row[2], event=loads(row[3]))


class ThreadConnections(Generic[C]):
    """One connection per thread, re-created after ``fork``; connections of dead threads are closed.

    Args:
        connect: opens a new connection.
        close: closes one (errors are logged, not raised).
        usable: False for a connection that must be replaced (e.g. broken).
    """

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        usable: Callable[[C], bool] = lambda conn: True,
    ) -> None:
        self._connect = connect
        self._close = close
        self._usable = usable
        self._guard = threading.Lock()
        self._by_thread: dict[threading.Thread, C] = {}
        self._pid = os.getpid()
        self._mine = threading.local()  # this thread's (pid, connection): the lock-free fast path
        self.closed = False

    def get(self) -> C:
        """The calling thread's connection (opened on first use)."""
        if self.closed:
            raise StoreClosedError("the state store is closed")
        cached = getattr(self._mine, "entry", None)
        if cached is not None and cached[0] == os.getpid() and self._usable(cached[1]):
            return cached[1]
        conn = self._get_slow()
        self._mine.entry = (os.getpid(), conn)
        return conn

    def _get_slow(self) -> C:
        """Find or open the thread's connection; close those of threads that have ended."""
        me = threading.current_thread()
        with self._guard:
            if os.getpid() != self._pid:  # forked: never touch the parent's connections
                self._pid = os.getpid()
                self._by_thread = {}
            conn = self._by_thread.get(me)
            stale = [t for t in self._by_thread if not t.is_alive()]
            dead = [self._by_thread.pop(t) for t in stale]
        for old in dead:
            self._safe_close(old)
        if conn is not None and self._usable(conn):
            return conn
        if conn is not None:
            self._safe_close(conn)
        conn = self._connect()
        with self._guard:
            self._by_thread[me] = conn
        return conn

    def close_all(self) -> None:
        """Close every connection opened in this process; later :meth:`get` calls fail."""
        with self._guard:
            self.closed = True
            conns, self._by_thread = list(self._by_thread.values()), {}
            forked = os.getpid() != self._pid
        if not forked:
            for conn in conns:
                self._safe_close(conn)

    def _safe_close(self, conn: C) -> None:
        try:
            self._close(conn)
        except Exception:  # closing is best effort
            log.debug("closing a state store connection failed", exc_info=True)
