"""open_store: URL forms, the METALUS_STATE default and the no-store option."""

from __future__ import annotations

from pathlib import Path

import pytest

from metalus_py.state import StateError, open_store
from metalus_py.state.postgres import PostgresStateStore, safe_url, split_schema
from metalus_py.state.sqlite import SqliteStateStore

from .conftest import drop_schema, postgres_url_or_skip


def _sqlite_path(url: str | None, **kw: object) -> Path:
    store = open_store(url, **kw)  # type: ignore[arg-type]
    assert isinstance(store, SqliteStateStore)
    store.close()
    return store.path


def test_default_is_sqlite_under_dot_metalus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("METALUS_STATE", raising=False)
    assert _sqlite_path(None) == tmp_path / ".metalus" / "state.db"
    assert _sqlite_path("") == tmp_path / ".metalus" / "state.db"
    store = open_store(None)
    assert store is not None
    assert store.default_artifact_root(run_id="r1") == str(tmp_path / ".metalus" / "artifacts" / "r1")
    store.close()


def test_none_means_no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    assert open_store("none") is None
    assert open_store(" NONE ") is None
    monkeypatch.setenv("METALUS_STATE", "none")
    assert open_store(None) is None


def test_env_var_is_honoured_only_without_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METALUS_STATE", str(tmp_path / "env.db"))
    assert _sqlite_path(None) == tmp_path / "env.db"
    assert _sqlite_path(str(tmp_path / "explicit.db")) == tmp_path / "explicit.db"


def test_sqlite_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _sqlite_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"  # sqlite:////abs
    assert _sqlite_path("sqlite:///rel/b.db") == tmp_path / "rel" / "b.db"
    assert _sqlite_path(f"file://{tmp_path}/c.db") == tmp_path / "c.db"
    assert _sqlite_path("plain.db") == tmp_path / "plain.db"
    (tmp_path / "folder").mkdir()
    assert _sqlite_path("folder") == tmp_path / "folder" / "state.db"
    with pytest.raises(StateError):
        open_store("sqlite://")
    with pytest.raises(StateError, match="unsupported state store URL"):
        open_store("mysql://x/y")


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    store = open_store(str(tmp_path / "w.db"))
    assert store is not None
    with sqlite3.connect(tmp_path / "w.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_postgres_urls() -> None:
    url = postgres_url_or_skip()
    schema = "metalus_test_factory"
    try:
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            rest = url.split("://", 1)[1]
            sep = "&" if "?" in rest else "?"
            store = open_store(f"{prefix}{rest}{sep}schema={schema}")
            assert isinstance(store, PostgresStateStore)
            assert store.schema == schema and store.url.endswith(f"schema={schema}")
            store.close()
    finally:
        drop_schema(url, schema)


def test_postgres_unreachable_is_a_clear_error() -> None:
    with pytest.raises(StateError, match="cannot connect"):
        open_store("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)


def test_url_helpers() -> None:
    assert split_schema("postgresql://u@h/db?schema=s&sslmode=disable") == (
        "postgresql://u@h/db?sslmode=disable",
        "s",
    )
    assert split_schema("postgresql://u@h/db") == ("postgresql://u@h/db", None)
    assert safe_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
