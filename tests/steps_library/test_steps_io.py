"""Read and write steps: every format, on local disk and ``memory://``, with options."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.response import StepResponse
from steps_library import DataReaderSteps, DataWriterSteps, FileSteps, readers, writers

FORMATS = ["csv", "parquet", "ipc", "ndjson", "json"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_round_trip_every_format(base_url: str, orders: pl.DataFrame, file_format: str) -> None:
    path = f"{base_url}/orders.{file_format}"
    response = writers.write(orders, path)
    assert isinstance(response, StepResponse)
    assert response.primary_return == path
    assert response.named_returns is not None
    assert response.named_returns["rows"] == 6
    assert response.named_returns["$metrics.rowsWritten"] == 6
    assert len(response.named_returns["files"]) == 1
    assert_frame_equal(readers.read(path), orders)


@pytest.mark.parametrize("file_format", FORMATS)
def test_lazy_frame_round_trip(base_url: str, orders: pl.DataFrame, file_format: str) -> None:
    path = f"{base_url}/lazy.{file_format}"
    writers.write(orders.lazy().filter(pl.col("amount") > 6), path)
    scanned = readers.read(path, lazy=True)
    assert isinstance(scanned, pl.LazyFrame)
    assert scanned.collect()["order_id"].to_list() == [2, 3, 4, 5]


def test_typed_read_steps_return_lazy_frames_when_asked(tmp_path: Path, orders: pl.DataFrame) -> None:
    for fmt, write, read in [
        ("csv", DataWriterSteps.write_csv, DataReaderSteps.read_csv),
        ("parquet", DataWriterSteps.write_parquet, DataReaderSteps.read_parquet),
        ("ipc", DataWriterSteps.write_ipc, DataReaderSteps.read_ipc),
        ("ndjson", DataWriterSteps.write_ndjson, DataReaderSteps.read_ndjson),
        ("json", DataWriterSteps.write_json, DataReaderSteps.read_json),
    ]:
        path = str(tmp_path / f"o.{fmt}")
        write(orders, path)
        eager, lazy = read(path), read(path, lazy=True)
        assert isinstance(eager, pl.DataFrame) and isinstance(lazy, pl.LazyFrame), fmt
        assert_frame_equal(lazy.collect(), orders)


def test_scan_is_lazy_and_reads_memory_urls(orders: pl.DataFrame) -> None:
    writers.write_parquet(orders, "memory://in/orders.parquet")
    scanned = DataReaderSteps.scan("memory://in/orders.parquet")
    assert isinstance(scanned, pl.LazyFrame)
    assert scanned.select(pl.col("amount").sum()).collect().item() == pytest.approx(78.75)


def test_csv_options_separator_header_and_schema(base_url: str) -> None:
    FileSteps.write_text("1|a|2.5\n2|b|3.5\n", f"{base_url}/raw.psv")
    schema = {
        "attributes": [
            {"name": "id", "dataType": {"baseType": "long"}},
            {"name": "code", "dataType": {"baseType": "string"}},
            {"name": "price", "dataType": {"baseType": "decimal(10,2)"}},
        ]
    }
    frame = readers.read_csv(f"{base_url}/raw.psv", header=False, separator="|", schema=schema)
    assert isinstance(frame, pl.DataFrame)
    assert frame.schema == pl.Schema({"id": pl.Int64, "code": pl.String, "price": pl.Decimal(10, 2)})
    assert frame["code"].to_list() == ["a", "b"]


def test_csv_schema_names_replace_the_header(base_url: str) -> None:
    FileSteps.write_text("A,B\n1,x\n2,\n", f"{base_url}/h.csv")
    frame = readers.read_csv(f"{base_url}/h.csv", schema={"num": "integer", "txt": "string"})
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == ["num", "txt"]
    assert frame.schema["num"] == pl.Int32
    assert frame["txt"].to_list() == ["x", None]


def test_csv_null_values_and_tab_separator(base_url: str) -> None:
    FileSteps.write_text("a\tb\n1\tNA\n2\tz\n", f"{base_url}/t.tsv")
    frame = readers.read_csv(f"{base_url}/t.tsv", separator="\t", null_values="NA")
    assert isinstance(frame, pl.DataFrame)
    assert frame["b"].to_list() == [None, "z"]


def test_gzip_csv_and_ndjson(base_url: str, orders: pl.DataFrame) -> None:
    writers.write_csv(orders, f"{base_url}/o.csv.gz", compression="gzip")
    writers.write_ndjson(orders, f"{base_url}/o.ndjson.gz", compression="gzip")
    raw = FileSteps.get_size(f"{base_url}/o.csv.gz")
    assert raw > 0
    assert_frame_equal(readers.read_csv(f"{base_url}/o.csv.gz"), orders)
    assert_frame_equal(readers.read_ndjson(f"{base_url}/o.ndjson.gz"), orders)


def test_gzip_file_is_really_compressed(tmp_path: Path, orders: pl.DataFrame) -> None:
    writers.write_csv(orders, str(tmp_path / "o.csv.gz"), compression="gzip")
    assert gzip.decompress((tmp_path / "o.csv.gz").read_bytes()).decode().startswith("order_id,customer_id")


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("lazy", [False, True])
def test_partitioned_write_and_read_back(
    base_url: str, orders: pl.DataFrame, file_format: str, lazy: bool
) -> None:
    path = f"{base_url}/by_status"
    frame = orders.lazy() if lazy else orders
    response = writers.write(frame, path, file_format=file_format, partition_by=["status"])
    assert response.named_returns is not None
    files = response.named_returns["files"]
    assert sorted({file.split("/")[-2] for file in files}) == ["status=closed", "status=open"]
    back = readers.read(path, file_format=file_format)
    assert isinstance(back, pl.DataFrame)
    assert back.columns == ["order_id", "customer_id", "amount", "status"]
    assert_frame_equal(back.sort("order_id"), orders)


def test_integer_partition_values_come_back_as_integers(base_url: str, orders: pl.DataFrame) -> None:
    writers.write_parquet(orders, f"{base_url}/by_customer", partition_by=["customer_id"])
    back = readers.read_parquet(f"{base_url}/by_customer")
    assert isinstance(back, pl.DataFrame)
    assert back.schema["customer_id"] == pl.Int64
    assert back.sort("order_id")["customer_id"].to_list() == [10, 20, 10, 30, 20, 10]


def test_read_glob_and_directory(base_url: str, orders: pl.DataFrame) -> None:
    writers.write_csv(orders.head(2), f"{base_url}/parts/a.csv")
    writers.write_csv(orders.tail(4), f"{base_url}/parts/b.csv")
    FileSteps.write_text("ignored", f"{base_url}/parts/_SUCCESS")
    assert readers.read_csv(f"{base_url}/parts/*.csv").height == 6
    assert readers.read(f"{base_url}/parts", file_format="csv")["order_id"].to_list() == [1, 2, 3, 4, 5, 6]


def test_parquet_column_selection(base_url: str, orders: pl.DataFrame) -> None:
    writers.write_parquet(orders, f"{base_url}/o.parquet")
    assert readers.read_parquet(f"{base_url}/o.parquet", columns=["amount"]).columns == ["amount"]


def test_arrow_table_is_written(base_url: str, orders: pl.DataFrame) -> None:
    writers.write_ipc(orders.to_arrow(), f"{base_url}/o.arrow", compression="zstd")
    assert_frame_equal(readers.read_ipc(f"{base_url}/o.arrow"), orders)
    assert isinstance(orders.to_arrow(), pa.Table)


def test_write_modes(base_url: str, orders: pl.DataFrame) -> None:
    path = f"{base_url}/o.parquet"
    writers.write_parquet(orders, path)
    with pytest.raises(PipelineException, match="already exists"):
        writers.write_parquet(orders, path, mode="error")
    skipped = writers.write_parquet(orders.head(1), path, mode="ignore")
    assert skipped.named_returns == {"files": [], "skipped": True}
    assert readers.read_parquet(path).height == 6
    writers.write_parquet(orders.head(1), path, mode="overwrite")
    assert readers.read_parquet(path).height == 1


def test_overwrite_replaces_a_partitioned_directory(tmp_path: Path, orders: pl.DataFrame) -> None:
    path = str(tmp_path / "out")
    writers.write_parquet(orders, path, partition_by=["status"])
    writers.write_parquet(orders.filter(pl.col("status") == "open"), path, partition_by=["status"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["status=open"]
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_missing_file_is_a_clear_error(base_url: str) -> None:
    with pytest.raises(PipelineException, match="No such file"):
        readers.read_csv(f"{base_url}/missing.csv")
    with pytest.raises(PipelineException, match="No data file matches"):
        readers.read_csv(f"{base_url}/*.nothing")


def test_unknown_format_and_mode(base_url: str, orders: pl.DataFrame) -> None:
    with pytest.raises(PipelineException, match="Unknown file format"):
        writers.write(orders, f"{base_url}/x.bin", file_format="avro")
    with pytest.raises(PipelineException, match="Unknown write mode"):
        writers.write(orders, f"{base_url}/x.csv", mode="append")


def test_infer_format() -> None:
    assert readers.infer_format("a/b.csv.gz") == "csv"
    assert readers.infer_format("x.jsonl") == "ndjson"
    assert readers.infer_format("x.feather") == "ipc"
    assert readers.infer_format("some/dir") == "parquet"
