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

    products = pl.read_parquet(tmp_path / "products.parquet")
    assert products.schema == pl.Schema({"product_id": pl.String, "product_name": pl.String, "cost": pl.Float64})
    assert products.height == source["product_id"].n_unique() == 867
    assert products["product_id"].is_sorted() and products["product_id"].is_unique().all()

    customers = pl.read_parquet(tmp_path / "customers.parquet")
    assert customers.columns == ["customer_id", "first_name", "last_name", "email", "gender", "ein", "postal_code"]
    assert customers.schema["customer_id"] == pl.Int32
    assert customers.height == 1000
    assert set(customers["gender"].unique()) <= {"MALE", "FEMALE"}  # upper() from customerTransforms
    assert customers.row(0) == (1, "Lauren", "Demkowicz", "ldemkowicz0@ustream.tv", "FEMALE", None, "8445")

    cards = pl.read_parquet(tmp_path / "credit_cards.parquet")
    assert cards.schema == pl.Schema(
        {"customer_id": pl.Int32, "account_number": pl.String, "account_type": pl.String}
    )
    assert cards.height == 1000
    assert cards.row(0) == (1, "3554971815691080", "JCB")  # CC_NUM -> ACCOUNT_NUMBER, upper(CC_TYPE)

    orders = pl.read_parquet(tmp_path / "orders.parquet")
    assert orders.schema == pl.Schema(
        {"order_id": pl.String, "customer_id": pl.Int32, "product_id": pl.String, "units": pl.Int32}
    )
    assert orders.height == 2000
    assert orders["units"].sum() == source["units"].sum()


def test_summary_matches_an_independent_computation(tmp_path: Path, source: pl.DataFrame) -> None:
    result = run_application(str(APP), {"inputPath": str(CSV), "outputPath": str(tmp_path)})
    assert result.status == "COMPLETE"
    summary = pl.read_parquet(tmp_path / "customer_product_summary.parquet")
    expected = (
        source.group_by("customer_id", "first_name", "last_name", "product_id", "product_name")
        .agg(
            pl.len().alias("orders"),
            pl.col("units").sum().alias("units"),
            (pl.col("units") * pl.col("cost")).sum().round(2).alias("revenue"),
        )
        .sort("customer_id", "product_id")
    )
    assert summary.columns == expected.columns
    assert summary.height == expected.height == 1998
    assert summary["orders"].sum() == 2000
    assert summary.select(pl.col("customer_id").cast(pl.Int64), pl.exclude("customer_id")).cast(
        {"units": pl.Int64, "orders": pl.Int64}
    ).equals(expected.cast({"orders": pl.Int64}))


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
