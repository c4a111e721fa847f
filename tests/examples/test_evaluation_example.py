"""application_configs/evaluation: the evaluation pipeline decides RUN, SKIP or STOP."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from metalus_py import validate_application
from tests.examples.conftest import EXAMPLES, run_cli, statuses

APP = EXAMPLES / "evaluation" / "application.json"
DATA = EXAMPLES / "evaluation" / "data"


def test_the_application_is_valid_without_warnings() -> None:
    report = validate_application(str(APP))
    assert not report.errors and not report.warnings, report


def test_run_new_valid_input_loads_and_publishes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, document, stderr = run_cli(APP, "--outputPath", str(out), result_file=tmp_path / "r.json")
    assert code == 0, stderr
    assert document["status"] == "COMPLETE"
    assert statuses(document) == {"LOAD": "COMPLETE", "PUBLISH": "COMPLETE"}
    pipelines = document["executions"]["LOAD"]["pipelines"]
    assert pipelines["LOAD_CUSTOMERS_PIPELINE"]["status"] == "COMPLETE"
    customers = pl.read_parquet(out / "customers.parquet")
    assert customers.height == 5
    assert customers["customer_id"].to_list() == [1, 2, 3, 4, 5]
    assert customers.schema == pl.Schema(
        {"customer_id": pl.Int64, "name": pl.String, "country": pl.String, "balance": pl.Float64}
    )
    assert (out / "_PUBLISHED").read_text().startswith("batch from application_configs/evaluation/data/incoming")


@pytest.mark.parametrize("missing", [False, True], ids=["empty-folder", "missing-folder"])
def test_skip_when_there_is_no_new_input(tmp_path: Path, missing: bool) -> None:
    inbox = tmp_path / "inbox"
    if not missing:
        inbox.mkdir()
        (inbox / "readme.txt").write_text("not a csv")
    out = tmp_path / "out"
    code, document, stderr = run_cli(
        APP, "--inputPath", str(inbox), "--outputPath", str(out), result_file=tmp_path / "r.json"
    )
    assert code == 0, stderr
    assert document["status"] == "COMPLETE"  # SKIP is a decision, not a failure
    assert statuses(document) == {"LOAD": "SKIPPED", "PUBLISH": "COMPLETE"}  # the children still run
    load = document["executions"]["LOAD"]
    assert load["reason"] == f"evaluation decided SKIP: No new input: nothing matches *.csv in {inbox}"
    assert load["pipelines"]["LOAD_CUSTOMERS_PIPELINE"]["status"] == "SKIPPED"
    assert not (out / "customers.parquet").exists()
    assert (out / "_PUBLISHED").exists()


def test_stop_on_a_failed_quality_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, document, stderr = run_cli(
        APP, "--inputPath", str(DATA / "bad"), "--outputPath", str(out), result_file=tmp_path / "r.json"
    )
    assert code == 0, stderr
    assert document["status"] == "COMPLETE"  # STOP is a decision, not a failure
    assert statuses(document) == {"LOAD": "STOPPED", "PUBLISH": "BLOCKED"}
    load = document["executions"]["LOAD"]
    assert load["reason"] == "evaluation decided STOP: Null check failed: 'customer_id' has 1 null row(s)"
    assert load["error"]["type"] == "PipelineException"
    assert "LOAD_CUSTOMERS_PIPELINE" not in load["pipelines"]
    assert document["executions"]["PUBLISH"]["reason"] == "parent 'LOAD' is STOPPED"
    assert not out.exists()
