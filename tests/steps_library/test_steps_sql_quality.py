"""SqlSteps over named frames and QualitySteps checks (failing and branch modes)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from metalus_py.base.exceptions import PipelineException
from steps_library import QualitySteps as Q
from steps_library import SqlSteps


def test_sql_over_named_frames(orders: pl.DataFrame, customers: pl.DataFrame) -> None:
    query = """
        SELECT c.name, SUM(o.amount) AS total
        FROM orders o JOIN customers c ON o.customer_id = c.customer_id
        WHERE o.status = 'open' GROUP BY c.name ORDER BY total DESC
    """
    result = SqlSteps.sql(query, {"orders": orders, "customers": customers.to_arrow()})
    assert isinstance(result, pl.DataFrame)
    assert result.rows() == [("Ann", 26.0), ("Cy", 7.25)]


def test_sql_stays_lazy_on_lazy_input_and_eager_flag(orders: pl.DataFrame) -> None:
    lazy = SqlSteps.sql("SELECT * FROM t WHERE amount > 10", {"t": orders.lazy()})
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == 3
    assert isinstance(SqlSteps.sql("SELECT 1 AS x FROM t", {"t": orders.lazy()}, eager=True), pl.DataFrame)
    assert isinstance(SqlSteps.sql("SELECT * FROM t", {"t": orders}, eager=False), pl.LazyFrame)


def test_query_data_frame_and_errors(orders: pl.DataFrame) -> None:
    result = SqlSteps.query_data_frame(orders, "SELECT COUNT(*) AS n FROM dataFrame WHERE status = 'closed'")
    assert result.item() == 2
    with pytest.raises(PipelineException, match="query failed"):
        SqlSteps.sql("SELECT nope FROM t", {"t": orders.lazy()})
    with pytest.raises(PipelineException, match="at least one table"):
        SqlSteps.sql("SELECT 1", {})


def test_row_count(orders: pl.DataFrame) -> None:
    passed = Q.check_row_count(orders, min_rows=1, max_rows=10)
    assert passed.primary_return == "passed"
    assert passed.named_returns is not None
    assert passed.named_returns["rows"] == 6
    assert passed.named_returns["$metrics.rowCount.rows"] == 6
    with pytest.raises(PipelineException, match="6 rows, expected between 7 and None"):
        Q.check_row_count(orders.lazy(), min_rows=7)
    failed = Q.check_row_count(orders, max_rows=4, fail=False)
    assert failed.primary_return == "failed"
    assert failed.named_returns is not None
    assert failed.named_returns["offendingRows"] == 2
    assert Q.check_row_count(orders.clear(), fail=False).primary_return == "failed"


def test_not_null(customers: pl.DataFrame) -> None:
    frame = customers.with_columns(score=pl.Series([1.0, float("nan"), 2.0]))
    with pytest.raises(PipelineException, match="'region' has 1 null row"):
        Q.check_not_null(frame, ["name", "region"])
    result = Q.check_not_null(frame.lazy(), ["region", "score", "name"], fail=False)
    assert result.primary_return == "failed"
    assert result.named_returns is not None
    assert result.named_returns["nullCounts"] == {"region": 1, "score": 1, "name": 0}
    assert result.named_returns["offendingRows"] == 2
    assert result.named_returns["$metrics.nullCheck.offendingRows"] == 2
    assert Q.check_not_null(frame, ["name"]).primary_return == "passed"
    with pytest.raises(PipelineException, match="unknown column"):
        Q.check_not_null(frame, ["nope"])


def test_unique(orders: pl.DataFrame) -> None:
    assert Q.check_unique(orders, ["order_id"]).primary_return == "passed"
    with pytest.raises(PipelineException, match=r"\['customer_id'\] has 5 row\(s\) sharing 2 duplicated"):
        Q.check_unique(orders, ["customer_id"])
    result = Q.check_unique(orders, ["customer_id", "status"], fail=False)
    assert result.named_returns is not None
    assert (
        result.primary_return,
        result.named_returns["offendingRows"],
        result.named_returns["duplicateKeys"],
    ) == ("failed", 5, 2)


def test_range(orders: pl.DataFrame) -> None:
    assert Q.check_range(orders, "amount", 1, 30).primary_return == "passed"
    with pytest.raises(PipelineException, match="column 'amount' has 2 row\\(s\\) outside \\(1, 30\\)"):
        Q.check_range(orders, "amount", 1, 30, inclusive=False)
    result = Q.check_range(orders.with_columns(pl.lit(None).alias("x")), "amount", min_value=10, fail=False)
    assert result.named_returns is not None
    assert result.named_returns["offendingRows"] == 3
    assert (result.named_returns["actualMin"], result.named_returns["actualMax"]) == (1.0, 30.0)
    nulls = pl.DataFrame({"v": [1, None, 5]})
    assert Q.check_range(nulls, "v", max_value=5).primary_return == "passed"
    with pytest.raises(PipelineException, match="min_value, max_value or both"):
        Q.check_range(nulls, "v")


def test_range_check_on_dates_takes_iso_bounds_from_json() -> None:
    import datetime as dt

    from steps_library import quality

    frame = pl.DataFrame({"d": [dt.date(2024, 1, 1), dt.date(2024, 3, 1)]})
    result = quality.check_range(frame, "d", min_value="2024-02-01", fail=False)
    assert result.primary_return == "failed"
    assert result.named_returns is not None and result.named_returns["offendingRows"] == 1
    with pytest.raises(PipelineException, match="not a valid Date"):
        quality.check_range(frame, "d", min_value="not a date")


def test_write_modes_accept_spark_spellings(tmp_path: Path) -> None:
    from steps_library import writers

    frame = pl.DataFrame({"a": [1]})
    target = str(tmp_path / "x.parquet")
    writers.write_parquet(frame, target, mode="Overwrite")
    with pytest.raises(PipelineException, match="exists"):
        writers.write_parquet(frame, target, mode="ErrorIfExists")
