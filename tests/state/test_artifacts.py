"""Artifacts: round trips per format on local disk and memory://, atomic writes, summaries."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pyarrow as pa
import pytest

from metalus_py.state import ArtifactError, ArtifactStore, inline_ref, load_artifact, summarize_value
from metalus_py.state.artifacts import safe_name


@dataclass
class Point:
    """A plain object: stored with pickle."""

    x: int
    y: int


@pytest.fixture(params=["local", "memory"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A run's artifact folder on local disk or in fsspec's memory filesystem."""
    if request.param == "local":
        yield str(tmp_path / "artifacts" / "run-1")
        return
    url = f"memory://metalus-test-{uuid.uuid4().hex}/run-1"
    yield url
    fs = fsspec.filesystem("memory")
    path = url.split("://", 1)[1]
    if fs.exists(path):
        fs.rm(path, recursive=True)


def _frame() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", None], "score": [0.5, 1.5, 2.5]})


@pytest.mark.parametrize("frame_format", ["arrow", "parquet"])
def test_polars_dataframe_round_trip(root: str, frame_format: Any) -> None:
    store = ArtifactStore(root, frame_format=frame_format)
    df = _frame()
    ref = store.write(df, url=f"{root}/df")
    assert ref["format"] == frame_format and ref["$type"] == "polars.DataFrame"
    assert ref["summary"] == {
        "$type": "polars.DataFrame",
        "shape": [3, 3],
        "schema": {"id": "Int64", "name": "String", "score": "Float64"},
    }
    json.dumps(ref)  # JSON-serialisable
    back = load_artifact(ref)
    assert isinstance(back, pl.DataFrame) and back.equals(df)


def test_polars_lazyframe_is_collected_and_loaded_lazily(root: str) -> None:
    lazy = _frame().lazy().filter(pl.col("id") > 1)
    ref = ArtifactStore(root).write(lazy, url=f"{root}/lazy")
    assert ref["$type"] == "polars.LazyFrame"
    assert ref["summary"] == {
        "$type": "polars.LazyFrame",
        "schema": {"id": "Int64", "name": "String", "score": "Float64"},
    }
    back = load_artifact(ref)
    assert isinstance(back, pl.LazyFrame)
    assert back.collect().equals(lazy.collect())


@pytest.mark.parametrize("frame_format", ["arrow", "parquet"])
def test_pyarrow_table_round_trip(root: str, frame_format: Any) -> None:
    table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    ref = ArtifactStore(root, frame_format=frame_format).write(table, url=f"{root}/t")
    assert ref["summary"] == {
        "$type": "pyarrow.Table",
        "shape": [2, 2],
        "schema": {"a": "int64", "b": "string"},
    }
    back = load_artifact(ref)
    assert isinstance(back, pa.Table) and back.equals(table)


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, {"b": None}], "c": True, "d": "é"}, [1, "two", [3]], "text", 7, 1.25, False],
    ids=["dict", "list", "str", "int", "float", "bool"],
)
def test_json_round_trip(root: str, value: Any) -> None:
    ref = ArtifactStore(root).write(value, url=f"{root}/j")
    assert ref["format"] == "json" and ref["url"].endswith(".json")
    assert ref["summary"] == value
    back = load_artifact(ref)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize(
    "value",
    [Point(1, 2), (1, 2), {1, 2}, dt.date(2024, 1, 2), {"k": (1, 2)}, float("nan")],
    ids=["object", "tuple", "set", "date", "dict-with-tuple", "nan"],
)
def test_other_values_are_pickled(root: str, value: Any) -> None:
    ref = ArtifactStore(root).write(value, url=f"{root}/p")
    assert ref["format"] == "pickle" and ref["url"].endswith(".pkl")
    back = load_artifact(ref)
    if value != value:  # nan
        assert back != back
    else:
        assert back == value and type(back) is type(value)


def test_none_is_inline(root: str) -> None:
    ref = ArtifactStore(root).write(None, url=f"{root}/n")
    assert ref == {"format": "inline", "$type": "json", "value": None, "summary": None}
    assert load_artifact(ref) is None
    assert load_artifact(inline_ref({"a": 1})) == {"a": 1}
    with pytest.raises(ArtifactError):
        inline_ref((1, 2))


def test_step_output_primary_and_named(root: str) -> None:
    store = ArtifactStore(root)
    named = {"count": 3, "frame": _frame(), "$globals.x": "g", "obj": Point(0, 0)}
    ref = store.persist_step_output(
        execution_key="Fork1[2][0]",
        pipeline_id="P1",
        step_path="FORK[2].INNER",
        primary=_frame(),
        named=named,
    )
    json.dumps(ref)
    assert set(ref["named"]) == set(named)
    folder = store.step_folder(execution_key="Fork1[2][0]", pipeline_id="P1", step_path="FORK[2].INNER")
    assert ref["primary"]["url"].endswith(f"{folder.split('://')[-1]}/primary.arrow")
    primary, loaded = store.load_step_output(ref)
    assert primary.equals(_frame())
    assert loaded["count"] == 3 and loaded["frame"].equals(_frame()) and loaded["$globals.x"] == "g"
    assert loaded["obj"] == Point(0, 0)
    assert store.temp_files() == []


def test_rewrite_replaces_whole_file(root: str) -> None:
    store = ArtifactStore(root)
    first = store.write({"v": 1}, url=f"{root}/same")
    second = store.write({"v": 2}, url=f"{root}/same")
    assert first["url"] == second["url"]
    assert load_artifact(first) == {"v": 2}
    assert store.temp_files() == []


class Exploding:
    """Pickling fails after part of the file has been written."""

    def __reduce__(self) -> Any:
        raise RuntimeError("boom")


def test_failed_write_leaves_nothing_and_keeps_the_old_artifact(root: str) -> None:
    store = ArtifactStore(root)
    good = store.write([1, 2, 3], url=f"{root}/value")
    payload = ["x" * 200_000, Exploding()]
    with pytest.raises(ArtifactError, match="boom"):
        store.write(payload, url=f"{root}/value")  # pickle: same folder, other suffix
    with pytest.raises(ArtifactError):
        store.write(payload, url=f"{root}/never")
    fs, path = fsspec.core.url_to_fs(root)
    assert not fs.exists(f"{path}/never.pkl") and not fs.exists(f"{path}/value.pkl")
    assert load_artifact(good) == [1, 2, 3]
    assert store.temp_files() == []


def test_temp_files_of_a_killed_writer_are_invisible_and_cleanable(root: str) -> None:
    store = ArtifactStore(root)
    ref = store.write({"ok": True}, url=f"{root}/x")
    fs, path = fsspec.core.url_to_fs(root)
    fs.pipe_file(f"{path}/.x.json.tmp-deadbeef", b'{"ok": fa')  # what a SIGKILL mid-write leaves
    assert load_artifact(ref) == {"ok": True}
    assert len(store.temp_files()) == 1
    assert store.clean_temp_files() == 1
    assert store.temp_files() == []


def test_missing_artifact_is_a_clear_error(root: str) -> None:
    ref = ArtifactStore(root).write({"a": 1}, url=f"{root}/gone")
    fs, path = fsspec.core.url_to_fs(ref["url"])
    fs.rm(path)
    with pytest.raises(ArtifactError, match="missing"):
        load_artifact(ref)
    with pytest.raises(ArtifactError, match="not an output reference"):
        load_artifact({"format": "zip"})


def test_safe_names_are_distinct_and_glob_free() -> None:
    assert safe_name("Fork1[2][0]") == "Fork1(2)(0)"
    assert safe_name("FORK[2].INNER") == "FORK(2).INNER"
    assert safe_name("$globals.x") == "~24globals.x"
    assert safe_name("a(2)") != safe_name("a[2]")
    assert safe_name("a/b") == "a~2Fb" and safe_name(".hidden").startswith("~2E")
    assert not any(c in safe_name("x*?[]{}/\\ é") for c in "*?[]{}/\\ ")


def test_summaries() -> None:
    assert summarize_value({"a": [1, None, "s"]}) == {"a": [1, None, "s"]}
    assert summarize_value((1, 2)) == [1, 2]
    assert summarize_value({"df": _frame()})["df"]["shape"] == [3, 3]
    lazy = pl.LazyFrame({"a": [1]}).map_batches(lambda df: 1 / 0)  # type: ignore[arg-type, return-value]
    assert summarize_value(lazy)["$type"] == "polars.LazyFrame"  # never collected
    assert summarize_value(pl.Series("s", [1, 2]))["$type"] == "polars.Series"
    other = summarize_value(Point(1, 2))
    assert other["$type"].endswith("test_artifacts.Point") and other["repr"] == "Point(x=1, y=2)"
    long = summarize_value(Point("x" * 1000, 1))  # type: ignore[arg-type]
    assert len(long["repr"]) == 200
    json.dumps(summarize_value({"t": pa.table({"a": [1]}), "o": object()}))


def test_pickle_of_redacting_pickler_is_plain_pickle(root: str) -> None:
    ref = ArtifactStore(root).write(Point(3, 4), url=f"{root}/pt")
    fs, path = fsspec.core.url_to_fs(ref["url"])
    assert pickle.loads(fs.cat_file(path)) == Point(3, 4)


def test_step_outputs_keep_small_json_inline_and_write_frames(root: str) -> None:
    store = ArtifactStore(root)
    big = "x" * 5000
    refs = store.persist_step_output(
        execution_key="E", pipeline_id="P", step_path="S", primary=41,
        named={"small": {"a": [1, 2]}, "big": big, "frame": _frame()},
    )
    assert refs["primary"] == {"format": "inline", "$type": "json", "value": 41, "summary": 41}
    assert refs["named"]["small"]["format"] == "inline"
    assert refs["named"]["big"]["format"] == "json" and refs["named"]["big"]["url"].endswith(".json")
    assert refs["named"]["frame"]["format"] == "arrow"
    primary, named = store.load_step_output(refs)
    assert primary == 41 and named["small"] == {"a": [1, 2]} and named["big"] == big
    assert named["frame"].equals(_frame())
