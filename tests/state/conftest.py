"""Fixtures for the state tests: the same store suite over SQLite and a real PostgreSQL.

PostgreSQL tests read ``METALUS_TEST_POSTGRES_URL`` (e.g.
``postgresql://postgres@127.0.0.1:5432/test``) and skip, saying why, when it is unset or the
server cannot be reached. Each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from metalus_py.state import StateStore

PG_ENV = "METALUS_TEST_POSTGRES_URL"
_pg_status: dict[str, str | None] = {}


def _skip_or_fail(reason: str) -> None:
    # CI sets METALUS_REQUIRE_POSTGRES=1: there the PostgreSQL tests must run, never skip.
    if os.environ.get("METALUS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (METALUS_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(reason)


def postgres_url_or_skip() -> str:
    """The test server's URL, or skip the test with the reason (fail when it is required)."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        _skip_or_fail(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    if url not in _pg_status:
        import psycopg

        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _pg_status[url] = None
        except Exception as exc:  # any failure means: not usable here
            _pg_status[url] = f"{type(exc).__name__}: {exc}".strip()
    problem = _pg_status[url]
    if problem:
        _skip_or_fail(f"PostgreSQL at {url} is unreachable ({problem})")
    return url


def drop_schema(url: str, schema: str) -> None:
    """Drop a test schema and everything in it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@dataclass
class FakeClock:
    """A settable epoch clock shared by the stores of one test."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """How to open (more) stores on the database of one test."""

    name: str
    url: str
    opened: list[StateStore] = field(default_factory=list)

    def open(self, **options: Any) -> StateStore:
        from metalus_py.state import open_store

        store = open_store(self.url, **options)
        assert store is not None
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty database: a SQLite file, or a unique schema on the PostgreSQL server."""
    if request.param == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'state.db'}")
        yield b
        for store in b.opened:
            store.close()
        return
    url = postgres_url_or_skip()
    schema = f"metalus_test_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in url else "?"
    b = Backend("postgres", f"{url}{sep}schema={schema}")
    try:
        yield b
    finally:
        for store in b.opened:
            store.close()
        drop_schema(url, schema)


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock the ``store`` fixture uses (advance it to expire leases)."""
    return FakeClock()


@pytest.fixture
def store(backend: Backend, clock: FakeClock) -> StateStore:
    """A store on a fresh database, on the fake clock."""
    return backend.open(clock=clock)


@pytest.fixture
def make_run(store: StateStore) -> Callable[..., str]:
    """Create a run and return its id."""

    def make(run_id: str | None = None, **kwargs: Any) -> str:
        run_id = run_id or f"run-{uuid.uuid4().hex[:8]}"
        kwargs.setdefault("application_id", "app")
        kwargs.setdefault("application_json", '{"executions": []}')
        kwargs.setdefault("parameters", {})
        store.create_run(run_id=run_id, **kwargs)
        return run_id

    return make
