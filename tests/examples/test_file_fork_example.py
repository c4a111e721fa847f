"""application_configs/file_fork: one fork execution per matched file, a join that stacks them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from metalus_py import run_application, validate_application
from tests.examples.conftest import EXAMPLES, run_cli, statuses

APP = EXAMPLES / "file_fork" / "application.json"
DATA = EXAMPLES / "file_fork" / "data"


def test_the_application_is_valid_without_warnings() -> None:
    report = validate_application(str(APP))
    assert not report.errors and not report.warnings, report


def test_one_fork_value_per_matched_file(tmp_path: Path) -> None:
    code, document, stderr = run_cli(APP, "--outputPath", str(tmp_path / "out"), result_file=tmp_path / "r.json")
    assert code == 0, stderr
    assert statuses(document) == {
        "LIST": "COMPLETE",
        "PROCESS[0]": "COMPLETE",
        "PROCESS[1]": "COMPLETE",
        "PROCESS[2]": "COMPLETE",
        "COMBINE": "COMPLETE",
    }
    files = document["executions"]["LIST"]["pipelines"]["LIST_FILES_PIPELINE"]["steps"]["LISTFILESSTEP"]
    assert [Path(url).name for url in files["primaryReturn"]] == [
        "sales_2024-01-01.csv",
        "sales_2024-01-02.csv",
        "sales_2024-01-03.csv",
    ]  # notes.txt does not match the pattern
    assert [document["executions"][f"PROCESS[{i}]"]["forkIndex"] for i in range(3)] == [0, 1, 2]
    date = document["executions"]["PROCESS[1]"]["pipelines"]["PROCESS_FILE_PIPELINE"]["steps"]["DATESTEP"]
    assert date["primaryReturn"] == "2024-01-02"

    sales = pl.read_parquet(tmp_path / "out" / "sales.parquet")
    assert sales.schema == pl.Schema(
        {
            "store": pl.String,
            "product": pl.String,
            "quantity": pl.Int32,
            "unit_price": pl.Float64,
            "sale_date": pl.Date,
            "amount": pl.Float64,
            "file_index": pl.Int32,
        }
    )
    assert sales.height == 9
    assert sales["file_index"].to_list() == [0, 0, 0, 1, 1, 1, 1, 2, 2]  # fork-value order
    assert sales["sale_date"].unique().sort().to_list() == [dt.date(2024, 1, d) for d in (1, 2, 3)]
    assert sales.row(3) == ("north", "apple", 3, 0.55, dt.date(2024, 1, 2), 1.65, 1)

    totals = pl.read_parquet(tmp_path / "out" / "daily_store_totals.parquet")
    assert totals.height == 7
    assert totals.filter(pl.col("sale_date") == dt.date(2024, 1, 2), pl.col("store") == "south").row(0) == (
        dt.date(2024, 1, 2),
        "south",
        17,
        14.4,
    )


def test_the_fork_follows_the_files_present(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("sales_2024-01-03.csv", "notes.txt"):
        shutil.copy(DATA / name, inbox / name)
    result = run_application(str(APP), {"inputPath": str(inbox), "outputPath": str(tmp_path / "out")})
    assert result.status == "COMPLETE"
    assert list(result.executions) == ["LIST", "PROCESS[0]", "COMBINE"]
    union = result.step_result("COMBINE", "COMBINE_PIPELINE", "UNIONSTEP")
    assert union.height == 2
    assert pl.read_parquet(tmp_path / "out" / "sales.parquet")["sale_date"].to_list() == [dt.date(2024, 1, 3)] * 2


def test_no_matching_file_runs_the_join_with_nothing_to_write(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_application(str(APP), {"inputPath": str(empty), "outputPath": str(tmp_path / "out")})
    document = result.to_dict()
    assert (document["status"], result.exit_code) == ("COMPLETE", 0)
    assert statuses(document) == {"LIST": "COMPLETE", "PROCESS": "SKIPPED", "COMBINE": "COMPLETE"}
    steps = document["executions"]["COMBINE"]["pipelines"]["COMBINE_PIPELINE"]["steps"]
    assert list(steps) == ["UNIONSTEP", "EMPTYSTEP", "NOFILESSTEP"]
    assert steps["NOFILESSTEP"]["primaryReturn"].startswith("No file matches sales_*.csv in")
    assert not (tmp_path / "out").exists()
