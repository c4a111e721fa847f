"""LazyFrames persisted as query plans with source fingerprints, or streamed to a file.

Real files on local disk and a real SQLite store; nothing is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metalus_py.base.secrets import Secret
from metalus_py.state import ArtifactStore, ClaimOutcome, StepStatus
from metalus_py.state.errors import StaleArtifactError
from metalus_py.state.lazy_plans import capture_plan
from metalus_py.state.sqlite import SqliteStateStore


def _source(tmp_path: Path, values: list[int]) -> Path:
    path = tmp_path / "data" / "source.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"x": values, "name": [f"n{v}" for v in values]}).write_parquet(path)
    return path


def _store(tmp_path: Path, *, lazy_plans: bool = True) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "artifacts" / "run-1"), lazy_plans=lazy_plans)


def _persist(store: ArtifactStore, frame: pl.LazyFrame) -> dict:
    refs = store.persist_step_output(execution_key="E", pipeline_id="P", step_path="S", primary=frame)
    return refs["primary"]


def test_a_scan_plan_round_trips(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    frame = pl.scan_parquet(source).filter(pl.col("x") > 1).with_columns(y=pl.col("x") * 10)
    store = _store(tmp_path)
    ref = _persist(store, frame)
    assert ref["format"] == "plan" and ref["$type"] == "polars.LazyFrame"
    assert ref["url"].endswith("primary.plan.json")
    document = json.loads(Path(ref["url"].removeprefix("file://")).read_text())
    assert list(document["sources"]) == [str(source)]
    [(file, size, stamp)] = document["sources"][str(source)]
    assert size == source.stat().st_size and stamp
    loaded = store.load(ref)
    assert isinstance(loaded, pl.LazyFrame)
    assert_frame_equal(loaded.collect(), frame.collect())
    assert not list((tmp_path / "artifacts").rglob("*.arrow"))  # nothing was materialised


def test_a_changed_source_makes_the_plan_stale(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    store = _store(tmp_path)
    ref = _persist(store, pl.scan_parquet(source).select(pl.col("x").sum()))
    store.load(ref)  # fresh
    _source(tmp_path, [1, 2, 3, 4, 5])
    with pytest.raises(StaleArtifactError) as caught:
        store.load(ref)
    assert caught.value.source == str(source)


def test_a_removed_source_makes_the_plan_stale(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    store = _store(tmp_path)
    ref = _persist(store, pl.scan_parquet(source))
    source.unlink()
    with pytest.raises(StaleArtifactError):
        store.load(ref)


def test_a_glob_source_is_stale_when_a_file_is_added(tmp_path: Path) -> None:
    _source(tmp_path, [1])
    store = _store(tmp_path)
    ref = _persist(store, pl.scan_parquet(str(tmp_path / "data" / "*.parquet")))
    assert store.load(ref).collect().height == 1
    pl.DataFrame({"x": [2], "name": ["n2"]}).write_parquet(tmp_path / "data" / "more.parquet")
    with pytest.raises(StaleArtifactError):
        store.load(ref)


def test_an_in_memory_plan_is_streamed_to_ipc_and_scanned(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    tags = pl.DataFrame({"x": [1, 2], "tag": ["a", "b"]}).lazy()
    frame = pl.scan_parquet(source).join(tags, on="x", how="left")
    assert capture_plan(frame) is None
    store = _store(tmp_path)
    ref = _persist(store, frame)
    assert ref["format"] == "arrow" and ref["$type"] == "polars.LazyFrame"
    path = ref["url"].removeprefix("file://")
    assert_frame_equal(pl.read_ipc(path), frame.collect(), check_row_order=False)
    loaded = store.load(ref)
    assert isinstance(loaded, pl.LazyFrame)
    # The loaded frame is a scan of the streamed file, not an in-memory copy of its data.
    plan = capture_plan(loaded)
    assert plan is not None and plan.sources == (path,)
    assert_frame_equal(loaded.collect(), frame.collect(), check_row_order=False)


def test_a_streamed_frame_goes_stale_with_the_files_its_plan_read(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    tags = pl.DataFrame({"x": [1, 2], "tag": ["a", "b"]}).lazy()
    store = _store(tmp_path)
    ref = _persist(store, pl.scan_parquet(source).join(tags, on="x", how="left"))
    assert ref["format"] == "arrow" and list(ref["sources"]) == [str(source)]
    assert store.load(ref).collect().height == 3
    _source(tmp_path, [1, 2, 3, 4])
    with pytest.raises(StaleArtifactError):
        store.load(ref)


@pytest.mark.parametrize("make", ["python_udf", "data_frame"])
def test_plans_with_python_code_or_data_are_not_stored_as_plans(tmp_path: Path, make: str) -> None:
    source = _source(tmp_path, [1, 2, 3])
    frame = (
        pl.scan_parquet(source).map_batches(lambda df: df)
        if make == "python_udf" else pl.DataFrame({"x": [1, 2]}).lazy()
    )
    ref = _persist(_store(tmp_path), frame)
    assert ref["format"] == "arrow"


def test_plans_are_never_stored_where_other_hosts_read_them(tmp_path: Path) -> None:
    source = _source(tmp_path, [1, 2, 3])
    ref = _persist(_store(tmp_path, lazy_plans=False), pl.scan_parquet(source))
    assert ref["format"] == "arrow" and "sources" not in ref


def test_eager_frames_are_written_once_as_before(tmp_path: Path) -> None:
    frame = pl.DataFrame({"x": [1, 2]})
    store = _store(tmp_path)
    ref = _persist(store, frame)
    assert ref["format"] == "arrow" and ref["$type"] == "polars.DataFrame"
    assert_frame_equal(store.load(ref), frame)


@pytest.mark.parametrize("how", ["equals", "is_in"])
def test_a_plan_holding_a_secret_is_never_written_as_plan_text(tmp_path: Path, how: str) -> None:
    source = _source(tmp_path, [1, 2, 3])
    secret = Secret("s3cr3t-" + how + "-value-9f1c")
    plain = secret.reveal()
    condition = pl.col("name") != plain if how == "equals" else ~pl.col("name").is_in([plain, "zz"])
    frame = pl.scan_parquet(source).filter(condition)
    ref = _persist(_store(tmp_path), frame)
    assert ref["format"] == "arrow"
    assert_frame_equal(_store(tmp_path).load(ref).collect(), frame.collect())
    for path in (tmp_path / "artifacts").rglob("*"):
        if path.is_file():
            assert plain.encode() not in path.read_bytes(), path


def test_scan_storage_options_are_never_stored_as_plan_text() -> None:
    frame = pl.scan_parquet("s3://bucket/data.parquet", storage_options={
        "aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret-key-value", "aws_region": "us-east-1"})
    assert capture_plan(frame) is None


def test_a_stale_step_can_be_claimed_again(tmp_path: Path) -> None:
    store = SqliteStateStore(str(tmp_path / "state.db"))
    try:
        store.create_run(run_id="r", application_id="a", application_json="{}", parameters={})
        where = {"run_id": "r", "execution_key": "E", "pipeline_id": "P", "step_path": "S"}
        assert store.claim_step(**where, owner="o1").outcome is ClaimOutcome.CLAIMED
        store.complete_step(**where, owner="o1", output_ref={"primary": None, "named": {}})
        assert store.claim_step(**where, owner="o2").outcome is ClaimOutcome.ALREADY_COMPLETE
        again = store.claim_step(**where, owner="o2", reopen_complete=True)
        assert again.outcome is ClaimOutcome.CLAIMED and again.record is not None
        assert again.record.status is StepStatus.RUNNING and again.record.attempts == 2
    finally:
        store.close()


def test_a_notebook_preview_of_a_stored_plan_reads_only_the_first_rows(tmp_path: Path) -> None:
    from metalus_py.notebook.preview import preview_ref

    source = _source(tmp_path, list(range(100)))
    ref = _persist(_store(tmp_path), pl.scan_parquet(source).with_columns(y=pl.col("x") + 1))
    shown = preview_ref(ref, rows=3)
    assert shown is not None
    head, schema = shown
    assert head["y"].to_list() == [1, 2, 3] and schema == {"x": "Int64", "name": "String", "y": "Int64"}
