"""A chain of steps over LazyFrames builds one query that runs only at the write step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from steps_library import DataReaderSteps, DataWriterSteps, QualitySteps, SqlSteps, TransformationSteps


@pytest.fixture
def no_collect(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make ``LazyFrame.collect`` fail while the fixture is active; yields a log of attempts."""
    attempts: list[str] = []

    def forbidden(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        attempts.append("collect")
        raise AssertionError("a transform step collected its LazyFrame")

    monkeypatch.setattr(pl.LazyFrame, "collect", forbidden)
    yield attempts


def _write_inputs(tmp_path: Path, orders: pl.DataFrame, customers: pl.DataFrame) -> tuple[str, str]:
    orders_path, customers_path = str(tmp_path / "orders.csv"), str(tmp_path / "customers.parquet")
    orders.write_csv(orders_path)
    customers.write_parquet(customers_path)
    return orders_path, customers_path


def test_scan_filter_join_group_by_write_is_collected_only_at_write(
    tmp_path: Path, orders: pl.DataFrame, customers: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders_path, customers_path = _write_inputs(tmp_path, orders, customers)
    collected: list[str] = []

    def forbidden(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        collected.append("collect")
        raise AssertionError("a step collected its LazyFrame before the write")

    with monkeypatch.context() as patch:
        patch.setattr(pl.LazyFrame, "collect", forbidden)
        scanned = DataReaderSteps.read_csv(orders_path, lazy=True)
        people = DataReaderSteps.read_parquet(customers_path, lazy=True)
        filtered = TransformationSteps.apply_filter(scanned, "status = 'open'")
        joined = TransformationSteps.join(filtered, people, expression="left.customer_id = right.customer_id")
        grouped = TransformationSteps.group_by(
            joined, ["name"], ["sum(amount) AS total", "count(*) AS orders"]
        )
        shaped = TransformationSteps.cast(TransformationSteps.sort(grouped, ["name"]), {"orders": "integer"})
        for step in (scanned, people, filtered, joined, grouped, shaped):
            assert isinstance(step, pl.LazyFrame)
    assert collected == []

    # The files are read when the write step runs, not before: change the input now.
    pl.concat(
        [orders, pl.DataFrame({"order_id": [7], "customer_id": [30], "amount": [100.0], "status": ["open"]})]
    ).write_csv(orders_path)
    out = str(tmp_path / "out" / "totals.parquet")
    response = DataWriterSteps.write_parquet(shaped, out)
    assert response.primary_return == out
    assert (
        response.named_returns is not None and "rows" not in response.named_returns
    )  # streamed, not collected
    assert pl.read_parquet(out).rows() == [("Ann", 26.0, 3), ("Cy", 107.25, 2)]


def test_sink_is_used_for_local_lazy_writes(
    tmp_path: Path, orders: pl.DataFrame, no_collect: list[str]
) -> None:
    lazy = orders.lazy().filter(pl.col("amount") > 10)
    for fmt, write in (
        ("csv", DataWriterSteps.write_csv),
        ("parquet", DataWriterSteps.write_parquet),
        ("ipc", DataWriterSteps.write_ipc),
        ("ndjson", DataWriterSteps.write_ndjson),
    ):
        write(lazy, str(tmp_path / f"big.{fmt}"))
    DataWriterSteps.write_parquet(lazy, str(tmp_path / "parts"), partition_by=["status"])
    assert no_collect == []
    assert pl.read_csv(tmp_path / "big.csv")["order_id"].to_list() == [2, 3, 5]
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["status=closed", "status=open"]


def test_sql_and_quality_steps_keep_the_chain_lazy(tmp_path: Path, orders: pl.DataFrame) -> None:
    path = str(tmp_path / "orders.parquet")
    orders.write_parquet(path)
    scanned = DataReaderSteps.scan(path)
    summary = SqlSteps.sql("SELECT status, SUM(amount) AS total FROM o GROUP BY status", {"o": scanned})
    assert isinstance(summary, pl.LazyFrame)
    assert QualitySteps.check_not_null(summary, ["status"]).primary_return == "passed"
    assert isinstance(summary, pl.LazyFrame)
    assert sorted(summary.collect().rows()) == [("closed", 45.5), ("open", 33.25)]
