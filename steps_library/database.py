"""Read and write database tables through a connection URL (``DatabaseSteps``).

Supported URLs:

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, ``sqlite:///:memory:`` —
  stdlib ``sqlite3``, always available.
* ``postgresql://user:password@host:5432/db`` (also ``postgres://``, ``postgresql+psycopg://``)
  — needs ``psycopg`` (``pip install metalus_py[postgres]``).
* ``duckdb:///path.duckdb`` or ``duckdb:///:memory:`` — needs ``duckdb``.

A URL's password never reaches a log or an error message: everything shown goes through
:func:`mask_url`. To add a backend, add a branch to :func:`_connect` returning a DB-API
connection and its parameter placeholder.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from metalus_py.base.exceptions import PipelineException
from steps_library._frames import Frame, collect

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
_MODES = ("append", "replace", "error")


def mask_url(url: str) -> str:
    """Return ``url`` with its password replaced by ``***`` (``postgresql://u:***@host/db``)."""
    parts = urlsplit(str(url))
    if parts.password is None:
        return str(url)
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _scheme(url: str) -> str:
    return str(url).split("://", 1)[0].split("+", 1)[0].lower() if "://" in str(url) else ""


def _file_path(url: str) -> str:
    """``sqlite:///a.db`` → ``a.db``; ``sqlite:////tmp/a.db`` → ``/tmp/a.db``; ``:memory:`` kept."""
    return str(url).split("://", 1)[1][1:] or ":memory:"


def _connect(url: str) -> tuple[Any, str]:
    """A DB-API connection for ``url`` and its placeholder style (``?`` or ``%s``)."""
    scheme = _scheme(url)
    if scheme == "sqlite":
        return sqlite3.connect(_file_path(url)), "?"
    if scheme in ("postgresql", "postgres"):
        try:
            import psycopg
        except ImportError as error:
            raise PipelineException("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from error
        conninfo = re.sub(r"^[^:]+://", "postgresql://", str(url))
        return psycopg.connect(conninfo), "%s"
    if scheme == "duckdb":
        try:
            import duckdb
        except ImportError as error:
            raise PipelineException("DuckDB needs the duckdb package: pip install duckdb") from error
        return duckdb.connect(_file_path(url)), "?"
    raise PipelineException(
        f"Unsupported database URL '{mask_url(url)}': use sqlite:///, postgresql:// or duckdb:///"
    )


def _quote(table: str) -> str:
    if not _IDENTIFIER.match(table):
        raise PipelineException(
            f"Invalid table name '{table}': use letters, digits and _ (schema.table allowed)"
        )
    return ".".join(f'"{part}"' for part in table.split("."))


def _sql_type(dtype: pl.DataType, scheme: str) -> str:
    if dtype.is_integer():
        return "INTEGER" if scheme == "sqlite" else "BIGINT"
    if dtype.is_float():
        return "REAL" if scheme == "sqlite" else "DOUBLE PRECISION"
    if isinstance(dtype, pl.Decimal):
        return f"NUMERIC({dtype.precision},{dtype.scale})" if scheme != "sqlite" else "NUMERIC"
    if dtype == pl.Boolean:
        return "INTEGER" if scheme == "sqlite" else "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    return "TEXT"


def _rows_for(df: pl.DataFrame, scheme: str) -> list[tuple[Any, ...]]:
    """Rows as tuples; SQLite gets ISO strings for dates and floats for decimals (no adapters needed)."""
    if scheme == "sqlite":
        converted = []
        for name, dtype in df.schema.items():
            if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime):
                converted.append(pl.col(name).cast(pl.String))
            elif isinstance(dtype, pl.Decimal):
                converted.append(pl.col(name).cast(pl.Float64))
        if converted:
            df = df.with_columns(converted)
    return df.rows()


def _scrub(text: str, url: str) -> str:
    """Remove the URL's password from a driver's message (some echo the connection string)."""
    password = urlsplit(str(url)).password
    text = text.replace(str(url), mask_url(url))
    return text.replace(password, "***") if password else text


@contextmanager
def _connection(url: str, action: str) -> Iterator[tuple[Any, str]]:
    """Connect, yield ``(connection, placeholder)``, commit on success; on failure roll back and
    raise a PipelineException naming ``action`` and the masked URL. Always closes."""
    connection = None
    try:
        connection, placeholder = _connect(url)
        if _scheme(url) == "duckdb":
            connection.begin()
        yield connection, placeholder
        connection.commit()
    except Exception as error:
        if connection is not None:
            with suppress(Exception):
                connection.rollback()
        if isinstance(error, PipelineException):
            raise
        message = _scrub(f"{action} on {mask_url(url)} failed: {type(error).__name__}: {error}", url)
        raise PipelineException(message) from None
    finally:
        if connection is not None:
            connection.close()


def read_table(
    url: str, table: str | None = None, query: str | None = None, parameters: list[Any] | None = None
) -> pl.DataFrame:
    """Read a whole table, or the result of a query, into a DataFrame.

    Args:
        url: the connection URL (``sqlite:///file.db``, ``postgresql://...``, ``duckdb:///...``).
        table: the table to read (``schema.table`` allowed); or give ``query``.
        query: a SELECT statement (with ``?``/``%s`` placeholders for ``parameters``).
        parameters: values for the query's placeholders.
    """
    if (table is None) == (query is None):
        raise PipelineException("read_table: give exactly one of 'table' and 'query'")
    statement = query if query is not None else f"SELECT * FROM {_quote(str(table))}"
    logger.info("Reading from %s: %s", mask_url(url), statement)
    with _connection(url, "read_table") as (connection, _):
        if _scheme(url) == "duckdb":
            return connection.sql(statement, params=parameters or None).pl()
        with closing(connection.cursor()) as cursor:
            cursor.execute(statement, parameters or [])
            names = [column[0] for column in cursor.description or []]
            rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def _table_exists(connection: Any, table: str, scheme: str) -> bool:
    name = table.split(".")[-1]
    if scheme == "sqlite":
        query, args = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]
    else:
        placeholder = "%s" if scheme in ("postgresql", "postgres") else "?"
        query, args = f"SELECT 1 FROM information_schema.tables WHERE table_name={placeholder}", [name]
        if "." in table:
            query += f" AND table_schema={placeholder}"
            args.append(table.split(".")[0])
    with closing(connection.cursor()) as cursor:
        cursor.execute(query, args)
        return cursor.fetchone() is not None


def _write_duckdb(connection: Any, df: pl.DataFrame, quoted: str, create: bool) -> None:
    """DuckDB reads the Arrow data directly: no row-by-row inserts, exact types."""
    connection.register("__metalus_source", df.to_arrow())
    try:
        if create:
            connection.execute(f"CREATE TABLE {quoted} AS SELECT * FROM __metalus_source LIMIT 0")
        connection.execute(f"INSERT INTO {quoted} BY NAME SELECT * FROM __metalus_source")
    finally:
        connection.unregister("__metalus_source")


def write_table(data_frame: Frame, url: str, table: str, mode: str = "append") -> int:
    """Write a frame to a table, creating it from the frame's schema when it does not exist.

    Args:
        data_frame: the frame to write (a LazyFrame is collected).
        url: the connection URL.
        table: the target table (``schema.table`` allowed).
        mode: append (add rows), replace (drop and re-create) or error (fail if the table exists).

    Returns:
        The number of rows written.
    """
    if mode not in _MODES:
        raise PipelineException(f"write_table: unknown mode '{mode}'; use one of {list(_MODES)}")
    quoted, scheme = _quote(table), _scheme(url)
    df = collect(data_frame)
    logger.info("Writing %d rows to %s table %s (mode %s)", df.height, mask_url(url), table, mode)
    with _connection(url, "write_table") as (connection, placeholder):
        exists = _table_exists(connection, table, scheme)
        if exists and mode == "error":
            raise PipelineException(f"write_table: table '{table}' exists (mode 'error')")
        create = not exists or mode == "replace"
        with closing(connection.cursor()) as cursor:
            if exists and mode == "replace":
                cursor.execute(f"DROP TABLE {quoted}")
            if scheme == "duckdb":
                _write_duckdb(connection, df, quoted, create)
                return df.height
            if create:
                columns = ", ".join(f'"{name}" {_sql_type(kind, scheme)}' for name, kind in df.schema.items())
                cursor.execute(f"CREATE TABLE {quoted} ({columns})")
            if df.height:
                names = ", ".join(f'"{name}"' for name in df.columns)
                marks = ", ".join([placeholder] * df.width)
                cursor.executemany(f"INSERT INTO {quoted} ({names}) VALUES ({marks})", _rows_for(df, scheme))
    return df.height


def execute_sql(url: str, statement: str, parameters: list[Any] | None = None) -> int:
    """Run one SQL statement (DDL or DML) and commit.

    Args:
        url: the connection URL.
        statement: the statement, with placeholders for ``parameters``.
        parameters: values for the placeholders.

    Returns:
        The number of rows affected (-1 when the driver does not say).
    """
    logger.info("Executing on %s: %s", mask_url(url), statement)
    with _connection(url, "execute_sql") as (connection, _), closing(connection.cursor()) as cursor:
        cursor.execute(statement, parameters or [])
        count = getattr(cursor, "rowcount", -1)
    return int(count if count is not None else -1)


class DatabaseSteps:
    """Read and write tables through SQLite, PostgreSQL or DuckDB connection URLs."""

    read_table = staticmethod(read_table)
    write_table = staticmethod(write_table)
    execute_sql = staticmethod(execute_sql)
