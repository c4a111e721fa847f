"""PostgreSQL state store (psycopg 3), for deployments where several hosts share state.

Each thread gets its own connection (re-created after ``fork`` or when it breaks). Every write
is one transaction at READ COMMITTED; decisions that read then write lock the rows they read
(``INSERT ... ON CONFLICT`` then ``SELECT ... FOR UPDATE``; claims hold the run's lease row
``FOR SHARE`` so a lease cannot change hands mid-claim).

Step claims and completions are single statements (a claim and the completions queued before it
share one round trip) committed with
``synchronous_commit = off`` by default (``step_commit="async"``, or ``?step_commit=async`` in the
URL): they are visible to every other session at once and survive a crash of the metalus
process; only a crash of the PostgreSQL server itself can lose the last fraction of a second of
them, and those steps then run again on resume. Every other write (runs, executions, pipelines,
leases, events, kills) waits for the server's WAL flush. ``step_commit="durable"`` makes step
writes wait too (about twice the bookkeeping time per step).

Tables live in the connection's ``search_path`` (``public`` by default), or in ``schema`` when
given (also as a ``?schema=name`` query parameter of the URL); the schema is created if needed.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from metalus_py.base.run_ids import check_run_id
from metalus_py.state._schema import DDL, SCHEMA_VERSION
from metalus_py.state._sql_runs import RunsMixin
from metalus_py.state._sql_schedules import SchedulesMixin
from metalus_py.state._sql_steps import CLAIM_NEW, COMPLETE_HELD, StepsMixin
from metalus_py.state._sqlcore import Completion, Row, ThreadConnections
from metalus_py.state.errors import StateError

__all__ = ["PostgresStateStore"]

log = logging.getLogger(__name__)

_LOCK_KEY = zlib.crc32(b"metalus_py.state.schema")

# Completions of held steps in one statement: one completion with plain parameters (the common
# case: dumping arrays costs the client more), several as one array per column.
_COMPLETED_ONE = f"WITH done AS ({COMPLETE_HELD} RETURNING 1)"
_COMPLETED_MANY = (
    "WITH v AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) "
    "AS v (execution_key, pipeline_id, step_path, ended_at, output_json, named_keys_json, metrics_json)), "
    "done AS (UPDATE metalus_step AS s SET status = 'COMPLETE', ended_at = v.ended_at, updated_at = ?, "
    "error_json = NULL, output_json = v.output_json, named_keys_json = v.named_keys_json, "
    "metrics_json = v.metrics_json FROM v WHERE s.run_id = ? AND s.execution_key = v.execution_key "
    "AND s.pipeline_id = v.pipeline_id AND s.step_path = v.step_path AND s.status = 'RUNNING' AND s.owner = ? "
    "RETURNING 1)"
)
_ONLY = " SELECT (SELECT count(*) FROM done), 0"
# ... and the claim of the next step (only when every completion was recorded), in the same statement.
_AND_CLAIM = (
    ", ins AS ("
    + CLAIM_NEW.replace(" ON CONFLICT", " AND (SELECT count(*) FROM done) = ? ON CONFLICT")
    + " RETURNING 1) SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM ins)"
)


class _PgTx:
    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def run(self, query: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(query.replace("?", "%s"), tuple(params))
        return self._cur.rowcount

    def many(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        self._cur.executemany(query.replace("?", "%s"), rows)
        return self._cur.rowcount

    def one(self, query: str, params: Sequence[Any] = ()) -> Row | None:
        self._cur.execute(query.replace("?", "%s"), tuple(params))
        row = self._cur.fetchone()
        return None if row is None else tuple(row)

    def all(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cur.execute(query.replace("?", "%s"), tuple(params))
        return [tuple(r) for r in self._cur.fetchall()]


def split_option(url: str, name: str) -> tuple[str, str | None]:
    """Remove the query parameter ``name`` (one of ours, unknown to libpq) from a PostgreSQL URL.

    Returns:
        ``(url without it, its value or None)``.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    value = next((v for k, v in query if k == name), None)
    rest = urlencode([(k, v) for k, v in query if k != name], quote_via=quote)  # libpq reads no "+"
    return urlunsplit(parts._replace(query=rest)), value or None


def split_schema(url: str) -> tuple[str, str | None]:
    """Remove a ``schema`` query parameter from a PostgreSQL URL: ``(url without it, schema)``."""
    return split_option(url, "schema")


def safe_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _async_step_commit(value: str) -> bool:
    if value.lower() not in ("async", "durable"):
        raise StateError(f"step_commit must be 'async' or 'durable', not {value!r}")
    return value.lower() == "async"


class PostgresStateStore(RunsMixin, StepsMixin, SchedulesMixin):
    """A :class:`~metalus_py.state.protocol.StateStore` in a PostgreSQL database.

    Args:
        url: ``postgresql://user[:password]@host[:port]/database[?schema=name&...]``
            (``postgres://`` too); other query parameters go to libpq.
        schema: the schema holding the tables (overrides ``?schema=``).
        artifact_base: fsspec URL under which run artifact folders go; default
            ``.metalus/artifacts`` under the current directory (use shared storage when
            several hosts run).
        connect_timeout: seconds to wait for the server.
        step_commit: ``"async"`` (default) or ``"durable"``: whether step claims and completions
            wait for the server's WAL flush (also ``?step_commit=`` in the URL; see the module notes).
        clock: epoch-seconds clock (tests pass a fake one to expire leases).

    Raises:
        StateError: the server cannot be reached.
    """

    lock_for_update = " FOR UPDATE"
    lock_for_share = " FOR SHARE"

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        artifact_base: str | None = None,
        connect_timeout: float = 10.0,
        step_commit: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        conninfo, url_schema = split_schema(url)
        conninfo, url_step_commit = split_option(conninfo, "step_commit")
        self._async_steps = _async_step_commit(step_commit or url_step_commit or "async")
        if conninfo.startswith("postgres://"):
            conninfo = "postgresql://" + conninfo[len("postgres://") :]
        self._conninfo = conninfo
        self._schema = schema or url_schema
        self._connect_timeout = connect_timeout
        self._artifact_base = artifact_base
        self._connections: ThreadConnections[psycopg.Connection[Any]] = ThreadConnections(
            self._connect, lambda conn: conn.close(), lambda conn: not (conn.closed or conn.broken)
        )
        self._init_schema()

    @property
    def schema(self) -> str | None:
        """The schema holding the tables (``None``: the server's search_path)."""
        return self._schema

    @property
    def url(self) -> str:
        """The connection URL without password (with ``?schema=`` when set)."""
        base = safe_url(self._conninfo)
        if self._schema:
            base += ("&" if "?" in base else "?") + urlencode({"schema": self._schema})
        return base

    def default_artifact_root(self, *, run_id: str) -> str:
        """``<artifact_base>/<run_id>``, by default ``./.metalus/artifacts/<run_id>``."""
        check_run_id(run_id)
        if self._artifact_base:
            return f"{self._artifact_base.rstrip('/')}/{run_id}"
        return str(Path.cwd() / ".metalus" / "artifacts" / run_id)

    def __repr__(self) -> str:
        return f"PostgresStateStore({self.url!r})"

    def __enter__(self) -> PostgresStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        self._connections.close_all()

    # -- plumbing -------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self._conninfo, autocommit=True, connect_timeout=max(1, int(self._connect_timeout))
            )
        except psycopg.OperationalError as exc:
            raise StateError(f"cannot connect to the state store {safe_url(self._conninfo)}: {exc}") from exc
        if self._schema:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
        if self._async_steps:  # the session default: single-statement step writes
            conn.execute("SET synchronous_commit TO off")
        return conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_PgTx]:
        conn = self._connections.get()
        with conn.transaction(), conn.cursor() as cur:
            if write and self._async_steps:  # every transaction waits for the WAL flush
                cur.execute("SET LOCAL synchronous_commit TO on")
            yield _PgTx(cur)

    @contextmanager
    def _statement(self) -> Iterator[_PgTx]:
        conn = self._connections.get()
        with conn.cursor() as cur:  # autocommit: each statement commits itself
            yield _PgTx(cur)

    def _complete_and_claim(
        self, run_id: str, owner: str, iso: str, rows: Sequence[Completion], claim: Sequence[Any] | None
    ) -> tuple[int, bool]:
        """One statement (one round trip) for the completions and the claim (see the SQL mixin)."""
        if not rows:
            return super()._complete_and_claim(run_id, owner, iso, rows, claim)
        params: list[Any]
        if len(rows) == 1:
            r = rows[0]
            sql, params = _COMPLETED_ONE, [r[3], iso, r[4], r[5], r[6], run_id, r[0], r[1], r[2], owner]
        else:
            sql, params = _COMPLETED_MANY, [*(list(c) for c in zip(*rows, strict=True)), iso, run_id, owner]
        with self._statement() as st:
            if claim is None:
                row = st.one(sql + _ONLY, params)
            else:
                row = st.one(sql + _AND_CLAIM, [*params, *claim, len(rows)])
        assert row is not None
        return int(row[0]), bool(row[1])

    def _init_schema(self) -> None:
        with self._transaction(write=True) as tx:
            tx.run(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
            if self._schema:
                ident = sql.Identifier(self._schema).as_string(self._connections.get())
                tx.run(f"CREATE SCHEMA IF NOT EXISTS {ident}")
            for statement in DDL:
                tx.run(statement)
            row = tx.one("SELECT MAX(version) FROM metalus_schema")
            version = None if row is None else row[0]
            if version is None:
                tx.run("INSERT INTO metalus_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif int(version) > SCHEMA_VERSION:
                raise StateError(
                    f"{self.url} was written by a newer metalus_py (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade metalus_py or use another --state"
                )
