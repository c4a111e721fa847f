"""application_configs/orders: Metalus's orders example, split into four data sets and summarised."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from metalus_py import run_application, validate_application
from tests.examples.conftest import EXAMPLES, run_cli, statuses

APP = EXAMPLES / "orders" / "application.json"
CSV = EXAMPLES / "orders" / "data" / "orders.csv"
OUTPUTS = ("products", "customers", "credit_cards", "orders", "customer_product_summary")


@pytest.fixture(scope="module")
def source() -> pl.DataFrame:
    """The input, read independently of the application."""
    return pl.read_csv(CSV, infer_schema_length=None)


def test_the_application_is_valid_without_warnings() -> None:
    report = validate_application(str(APP))
    assert not report.errors and not report.warnings, report


def test_run_from_python_writes_every_data_set(tmp_path: Path, source: pl.DataFrame) -> None:
    result = run_application(str(APP), {"inputPath": str(CSV), "outputPath": str(tmp_path)})
    assert (result.status, result.exit_code) == ("COMPLETE", 0)
    assert {key: o.status for key, o in result.executions.items()} == dict.fromkeys(
        ["ROOT", "PROD", "CUST", "CC", "ORD", "SAVE"], "COMPLETE"
    )
    # The children got ROOT's lazy frame through the GlobalLink and stayed lazy until SAVE wrote.
    assert isinstance(result.step_result("ROOT", "LOAD_DATA_PIPELINE", "LOADFILESTEP"), pl.LazyFrame)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{name}.parquet" for name in OUTPUTS)

    # Column names are standardized as Metalus does (upper case) by the schema mapping.
    products = pl.read_parquet(tmp_path / "products.parquet")
    assert products.schema == pl.Schema({"PRODUCT_ID": pl.String, "PRODUCT_NAME": pl.String, "COST": pl.Float64})
    assert products.height == source["product_id"].n_unique() == 867
    assert products["PRODUCT_ID"].is_sorted() and products["PRODUCT_ID"].is_unique().all()

    customers = pl.read_parquet(tmp_path / "customers.parquet")
    assert customers.columns == ["CUSTOMER_ID", "FIRST_NAME", "LAST_NAME", "EMAIL", "GENDER", "EIN", "POSTAL_CODE"]
    assert customers.schema["CUSTOMER_ID"] == pl.Int32
    assert customers.height == 1000
    assert set(customers["GENDER"].unique()) <= {"MALE", "FEMALE"}  # upper() from customerTransforms
    assert customers.row(0) == (1, "Lauren", "Demkowicz", "ldemkowicz0@ustream.tv", "FEMALE", None, "8445")

    cards = pl.read_parquet(tmp_path / "credit_cards.parquet")
    assert cards.schema == pl.Schema(
        {"CUSTOMER_ID": pl.Int32, "ACCOUNT_NUMBER": pl.String, "ACCOUNT_TYPE": pl.String}
    )
    assert cards.height == 1000
    assert cards.row(0) == (1, "3554971815691080", "JCB")  # CC_NUM -> ACCOUNT_NUMBER, upper(CC_TYPE)

    orders = pl.read_parquet(tmp_path / "orders.parquet")
    assert orders.schema == pl.Schema(
        {"ORDER_ID": pl.String, "CUSTOMER_ID": pl.Int32, "PRODUCT_ID": pl.String, "UNITS": pl.Int32}
    )
    assert orders.height == 2000
    assert orders["UNITS"].sum() == source["units"].sum()


def test_summary_matches_an_independent_computation(tmp_path: Path, source: pl.DataFrame) -> None:
    result = run_application(str(APP), {"inputPath": str(CSV), "outputPath": str(tmp_path)})
    assert result.status == "COMPLETE"
    summary = pl.read_parquet(tmp_path / "customer_product_summary.parquet")
    expected = (
        source.rename(str.upper).group_by("CUSTOMER_ID", "FIRST_NAME", "LAST_NAME", "PRODUCT_ID", "PRODUCT_NAME")
        .agg(
            pl.len().alias("ORDERS"),
            pl.col("UNITS").sum().alias("UNITS"),
            (pl.col("UNITS") * pl.col("COST")).sum().round(2).alias("REVENUE"),
        )
        .sort("CUSTOMER_ID", "PRODUCT_ID")
    )
    assert summary.columns == expected.columns
    assert summary.height == expected.height == 1998
    assert summary["ORDERS"].sum() == 2000
    assert summary.select(pl.col("CUSTOMER_ID").cast(pl.Int64), pl.exclude("CUSTOMER_ID")).cast(
        {"UNITS": pl.Int64, "ORDERS": pl.Int64}
    ).equals(expected.cast({"ORDERS": pl.Int64}))


def test_readme_command_from_the_repository_root(tmp_path: Path) -> None:
    """The README's demo, with the default ``inputPath`` (relative to the repository root)."""
    code, document, stderr = run_cli(APP, "--outputPath", str(tmp_path / "out"), result_file=tmp_path / "r.json")
    assert code == 0, stderr
    assert document["status"] == "COMPLETE"
    assert set(statuses(document).values()) == {"COMPLETE"}
    write = document["executions"]["SAVE"]["pipelines"]["WRITE_DATA_PIPELINE"]["steps"]
    assert write["WRITEPRODUCTSSTEP"]["primaryReturn"] == f"{tmp_path}/out/products.parquet"
    assert write["SUMMARYSTEP"]["primaryReturn"]["$type"].startswith("polars.")
    assert pl.read_parquet(tmp_path / "out" / "orders.parquet").height == 2000
