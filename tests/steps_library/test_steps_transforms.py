"""TransformationSteps: values out, and the kind of frame preserved (eager, lazy, Arrow)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from metalus_py.base.exceptions import PipelineException
from steps_library import TransformationSteps as T
from steps_library import transforms


def test_kind_is_preserved(orders: pl.DataFrame) -> None:
    assert isinstance(T.apply_filter(orders, "amount > 6"), pl.DataFrame)
    assert isinstance(T.apply_filter(orders.lazy(), "amount > 6"), pl.LazyFrame)
    arrow = T.apply_filter(orders.to_arrow(), "amount > 6")
    assert isinstance(arrow, pa.Table)
    assert arrow.num_rows == 4


def test_select_select_expressions_rename_drop(orders: pl.DataFrame) -> None:
    assert T.select(orders, ["status", "order_id"]).columns == ["status", "order_id"]
    selected = T.select_expressions(orders, ["order_id", "amount * 2 AS doubled", "upper(status) AS s"])
    assert isinstance(selected, pl.DataFrame)
    assert selected.row(0) == (1, 10.0, "OPEN")
    renamed = T.rename(orders, {"amount": "value"})
    assert "value" in renamed.columns and "amount" not in renamed.columns
    assert T.drop_columns(orders, ["status", "missing"]).columns == ["order_id", "customer_id", "amount"]


def test_filter_with_sql_expression(orders: pl.DataFrame) -> None:
    result = T.apply_filter(orders, "status = 'open' AND amount >= 5")
    assert result["order_id"].to_list() == [1, 3, 4]


def test_cast_with_metalus_and_polars_names() -> None:
    frame = pl.DataFrame(
        {"n": ["1", " 2", "x"], "d": ["2024-01-02", "2024-02-03", None], "b": ["true", "N", "yes"]}
    )
    result = T.cast(frame, {"n": "integer", "d": "date", "b": "boolean"})
    assert isinstance(result, pl.DataFrame)
    assert result.schema == pl.Schema({"n": pl.Int32, "d": pl.Date, "b": pl.Boolean})
    assert result["n"].to_list() == [1, 2, None]
    assert result["d"].to_list() == [dt.date(2024, 1, 2), dt.date(2024, 2, 3), None]
    assert result["b"].to_list() == [True, False, True]
    assert T.cast(frame.select("n").head(2), {"n": "Int64"}).schema["n"] == pl.Int64
    with pytest.raises(PipelineException, match="unknown column"):
        T.cast(frame, {"zzz": "long"})
    with pytest.raises(PipelineException, match="Unknown data type"):
        T.cast(frame, {"n": "complex"})


def test_add_columns_and_static_column(orders: pl.DataFrame) -> None:
    result = T.add_columns(
        orders, {"Big Order": "amount > 10", "twice": "amount * 2"}, standardize_column_names=True
    )
    assert result.columns[-2:] == ["BIG_ORDER", "TWICE"]
    assert result["BIG_ORDER"].to_list() == [False, True, True, False, True, False]
    one = T.add_column(orders, "tax", "amount * 0.1")
    assert one["tax"].to_list()[0] == pytest.approx(0.5)
    static = T.add_static_column(orders.lazy(), "source", "batch-1")
    assert isinstance(static, pl.LazyFrame)
    assert static.collect()["source"].unique().to_list() == ["batch-1"]
    ids = T.add_unique_id(orders.select("status"), "row_id")
    assert ids.columns == ["row_id", "status"] and ids["row_id"].to_list() == list(range(6))


def test_join_by_expression_and_by_columns(orders: pl.DataFrame, customers: pl.DataFrame) -> None:
    by_expr = T.join(
        orders, customers.rename({"customer_id": "id"}), expression="left.customer_id = right.id"
    )
    assert isinstance(by_expr, pl.DataFrame)
    assert by_expr.sort("order_id")["name"].to_list() == ["Ann", "Bob", "Ann", "Cy", "Bob", "Ann"]
    flipped = T.join(
        orders, customers, expression="r.customer_id = l.customer_id", left_alias="l", right_alias="r"
    )
    assert flipped.height == 6
    left = T.join(
        customers, orders.filter(pl.col("customer_id") != 30), on=["customer_id"], join_type="left_outer"
    )
    assert left.filter(pl.col("customer_id") == 30)["order_id"].to_list() == [None]
    anti = T.join(customers, orders.filter(pl.col("customer_id") == 10), on=["customer_id"], join_type="anti")
    assert sorted(anti["name"].to_list()) == ["Bob", "Cy"]
    cross = T.join(customers.select("name"), pl.DataFrame({"k": [1, 2]}), join_type="cross")
    assert cross.height == 6


def test_join_of_lazy_and_eager_is_lazy(orders: pl.DataFrame, customers: pl.DataFrame) -> None:
    assert isinstance(T.join(orders.lazy(), customers, on=["customer_id"]), pl.LazyFrame)


def test_join_errors(orders: pl.DataFrame, customers: pl.DataFrame) -> None:
    with pytest.raises(PipelineException, match="only equality"):
        T.join(orders, customers, expression="left.amount > right.customer_id")
    with pytest.raises(PipelineException, match="unknown join type"):
        T.join(orders, customers, on=["customer_id"], join_type="sideways")
    with pytest.raises(PipelineException, match="give 'expression' or 'on'"):
        T.join(orders, customers)


def test_group_by_with_sql_dict_and_column_specs(orders: pl.DataFrame) -> None:
    by_sql = T.group_by(orders, ["customer_id"], ["sum(amount) AS total", "count(*) AS n"])
    assert isinstance(by_sql, pl.DataFrame)
    assert by_sql.rows() == [(10, 26.0, 3), (20, 45.5, 2), (30, 7.25, 1)]
    by_dict = T.group_by(orders, ["status"], {"biggest": "max(amount)"})
    assert by_dict.rows() == [("open", 20.0), ("closed", 30.0)]
    by_specs = T.group_by(
        orders,
        ["status"],
        [
            {"column": "amount", "agg": "avg", "alias": "mean"},
            {"column": "customer_id", "agg": "n_unique"},
            {"column": "*", "agg": "count"},
        ],
    )
    assert by_specs.columns == ["status", "mean", "customer_id_n_unique", "all_count"]
    assert by_specs.row(0) == ("open", pytest.approx(33.25 / 4), 2, 4)
    with pytest.raises(PipelineException, match="unknown aggregation"):
        T.group_by(orders, ["status"], [{"column": "amount", "agg": "explode"}])


def test_union_distinct_and_missing_columns(orders: pl.DataFrame) -> None:
    extra = pl.DataFrame({"order_id": [7], "amount": [3.0], "note": ["new"]})
    union = T.union(orders, [orders.head(2), extra], distinct=True)
    assert isinstance(union, pl.DataFrame)
    assert union.height == 7
    assert union.filter(pl.col("order_id") == 7)["note"].to_list() == ["new"]
    assert T.union(orders, orders.head(2), distinct=False).height == 8


def test_concat_stacks_a_list_of_frames_from_a_fork_join() -> None:
    first = pl.DataFrame({"id": [1, 2], "v": ["a", "b"]})
    second = pl.DataFrame({"id": [3], "w": [1.5]}).lazy()
    stacked = T.concat([first, None, second])
    assert isinstance(stacked, pl.LazyFrame)
    assert stacked.collect().rows() == [(1, "a", None), (2, "b", None), (3, None, 1.5)]
    assert T.concat([first, first], distinct=True).rows() == first.rows()
    assert T.concat(first).rows() == first.rows()
    empty = T.concat([])
    assert isinstance(empty, pl.DataFrame) and empty.height == 0


def test_distinct_sort_limit(orders: pl.DataFrame) -> None:
    assert T.distinct(orders, ["customer_id"])["order_id"].to_list() == [1, 2, 4]
    assert T.distinct(orders, ["customer_id"], keep="last")["order_id"].to_list() == [4, 5, 6]
    assert T.distinct(pl.concat([orders, orders])).height == 6
    ordered = T.sort(orders, ["status", "amount"], descending=[False, True])
    assert ordered["order_id"].to_list() == [5, 2, 3, 4, 1, 6]
    assert T.limit(ordered, 2)["order_id"].to_list() == [5, 2]


def test_sample_is_repeatable_and_lazy(orders: pl.DataFrame) -> None:
    first = T.sample(orders, n=3, seed=7)
    again = T.sample(orders.lazy(), n=3, seed=7)
    assert isinstance(again, pl.LazyFrame)
    assert first.height == 3
    assert_frame_equal(first, again.collect())
    assert T.sample(orders, fraction=0.5, seed=1).height == 3
    assert set(T.sample(orders, n=100)["order_id"].to_list()) == set(range(1, 7))
    with pytest.raises(PipelineException, match="exactly one"):
        T.sample(orders)


def test_standardize_column_names_dedupes() -> None:
    frame = pl.DataFrame({"First Name": [1], "first-name": [2], "first_name_2": [3], "2nd": [4], "%%": [5]})
    result = T.standardize_column_names(frame)
    assert result.columns == ["FIRST_NAME", "FIRST_NAME_2", "FIRST_NAME_2_2", "C_2ND", "COL"]
    assert result.row(0) == (1, 2, 3, 4, 5)


def test_clean_column_name() -> None:
    assert transforms.clean_column_name("  Customer ID (#) ") == "CUSTOMER_ID"
