"""DatabaseSteps on SQLite (always) and DuckDB (when installed); URL masking."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from metalus_py.base.exceptions import PipelineException
from steps_library import DatabaseSteps
from steps_library.database import mask_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def test_write_and_read_sqlite(sqlite_url: str, orders: pl.DataFrame, tmp_path: Path) -> None:
    assert DatabaseSteps.write_table(orders, sqlite_url, "orders") == 6
    with sqlite3.connect(tmp_path / "test.db") as connection:
        assert connection.execute("SELECT SUM(amount) FROM orders").fetchone()[0] == pytest.approx(78.75)
    back = DatabaseSteps.read_table(sqlite_url, table="orders")
    assert back.equals(orders)
    query = DatabaseSteps.read_table(
        sqlite_url,
        query="SELECT status, COUNT(*) AS n FROM orders WHERE amount > ? GROUP BY status ORDER BY status",
        parameters=[2],
    )
    assert query.rows() == [("closed", 2), ("open", 3)]


def test_append_replace_and_error_modes(sqlite_url: str, orders: pl.DataFrame) -> None:
    DatabaseSteps.write_table(orders.lazy(), sqlite_url, "orders")
    DatabaseSteps.write_table(orders.head(2), sqlite_url, "orders", mode="append")
    assert DatabaseSteps.read_table(sqlite_url, table="orders").height == 8
    DatabaseSteps.write_table(orders.head(1).select("order_id"), sqlite_url, "orders", mode="replace")
    replaced = DatabaseSteps.read_table(sqlite_url, table="orders")
    assert replaced.columns == ["order_id"] and replaced.height == 1
    with pytest.raises(PipelineException, match="exists"):
        DatabaseSteps.write_table(orders, sqlite_url, "orders", mode="error")
    with pytest.raises(PipelineException, match="unknown mode"):
        DatabaseSteps.write_table(orders, sqlite_url, "orders", mode="upsert")


def test_dates_decimals_and_empty_frames_in_sqlite(sqlite_url: str) -> None:
    frame = pl.DataFrame(
        {
            "day": [dt.date(2024, 1, 2)],
            "at": [dt.datetime(2024, 1, 2, 3, 4, 5)],
            "price": [1.25],
            "ok": [True],
        }
    ).with_columns(pl.col("price").cast(pl.Decimal(10, 2)))
    DatabaseSteps.write_table(frame, sqlite_url, "typed")
    back = DatabaseSteps.read_table(sqlite_url, table="typed")
    assert back.row(0) == ("2024-01-02", "2024-01-02 03:04:05.000000", 1.25, 1)
    assert DatabaseSteps.write_table(frame.clear(), sqlite_url, "empty") == 0
    assert DatabaseSteps.read_table(sqlite_url, table="empty").columns == ["day", "at", "price", "ok"]


def test_execute_sql(sqlite_url: str, orders: pl.DataFrame) -> None:
    DatabaseSteps.write_table(orders, sqlite_url, "orders")
    assert DatabaseSteps.execute_sql(sqlite_url, "DELETE FROM orders WHERE status = ?", ["closed"]) == 2
    assert DatabaseSteps.read_table(sqlite_url, table="orders").height == 4


def test_bad_input_is_reported_without_the_password(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(PipelineException, match="Invalid table name"):
        DatabaseSteps.read_table("sqlite:///:memory:", table="x; DROP TABLE y")
    with pytest.raises(PipelineException, match="exactly one"):
        DatabaseSteps.read_table("sqlite:///:memory:")
    with pytest.raises(PipelineException) as raised:
        DatabaseSteps.read_table("mysql://me:s3cret@db/x", table="t")
    assert "s3cret" not in str(raised.value) and "me:***@db" in str(raised.value)
    with (
        caplog.at_level(logging.INFO, logger="steps_library.database"),
        pytest.raises(PipelineException) as failed,
    ):
        DatabaseSteps.read_table("sqlite:///:memory:", table="missing")
    assert "no such table" in str(failed.value)


def test_postgres_password_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql://etl:hunter2@127.0.0.1:1/warehouse"
    with (
        caplog.at_level(logging.INFO, logger="steps_library.database"),
        pytest.raises(PipelineException) as raised,
    ):
        DatabaseSteps.read_table(url, table="t")
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in caplog.text
    assert "etl:***@127.0.0.1:1" in caplog.text


def test_mask_url() -> None:
    assert (
        mask_url("postgresql://u:p%40ss@host:5432/db?sslmode=require")
        == "postgresql://u:***@host:5432/db?sslmode=require"
    )
    assert mask_url("sqlite:///a.db") == "sqlite:///a.db"
    assert mask_url("postgresql://u@host/db") == "postgresql://u@host/db"


def test_duckdb_round_trip(tmp_path: Path, orders: pl.DataFrame) -> None:
    pytest.importorskip("duckdb")
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    DatabaseSteps.write_table(orders, url, "orders")
    DatabaseSteps.write_table(orders.head(1), url, "orders", mode="append")
    back = DatabaseSteps.read_table(url, query="SELECT * FROM orders ORDER BY order_id")
    assert back.height == 7
    assert back.schema["amount"] == pl.Float64
    DatabaseSteps.write_table(orders.head(2), url, "orders", mode="replace")
    assert DatabaseSteps.read_table(url, table="orders").height == 2
