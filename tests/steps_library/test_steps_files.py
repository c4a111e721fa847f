"""FileSteps: listing, copying, moving, deleting and text files through fsspec URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from metalus_py.base.exceptions import PipelineException
from steps_library import FileSteps


def _make_tree(base: str) -> None:
    for name in ("a.csv", "b.csv", "c.txt", "sub/d.csv", "sub/deeper/e.csv"):
        FileSteps.write_text(f"content of {name}", f"{base}/{name}")


def test_list_files_with_pattern_glob_and_recursion(base_url: str) -> None:
    _make_tree(base_url)
    names = lambda urls: [url.rsplit("/", 1)[-1] for url in urls]  # noqa: E731
    assert names(FileSteps.list_files(base_url)) == ["a.csv", "b.csv", "c.txt"]
    assert names(FileSteps.list_files(base_url, pattern="*.csv")) == ["a.csv", "b.csv"]
    assert names(FileSteps.list_files(base_url, pattern="*.csv", recursive=True)) == [
        "a.csv",
        "b.csv",
        "d.csv",
        "e.csv",
    ]
    assert names(FileSteps.list_files(f"{base_url}/*.txt")) == ["c.txt"]
    assert FileSteps.list_files(f"{base_url}/nothing-*") == []


def test_list_files_returns_urls_usable_by_other_steps(base_url: str) -> None:
    _make_tree(base_url)
    urls = FileSteps.list_files(base_url, pattern="*.csv")
    if base_url.startswith("memory://"):
        assert all(url.startswith("memory://") for url in urls)
    assert [FileSteps.read_text(url) for url in urls] == ["content of a.csv", "content of b.csv"]


def test_exists_size_and_make_directories(base_url: str) -> None:
    FileSteps.write_text("hello", f"{base_url}/x.txt")
    assert FileSteps.exists(f"{base_url}/x.txt")
    assert not FileSteps.exists(f"{base_url}/y.txt")
    assert FileSteps.get_size(f"{base_url}/x.txt") == 5
    FileSteps.make_directories(f"{base_url}/new/dir")
    assert FileSteps.exists(f"{base_url}/new/dir")
    with pytest.raises(PipelineException, match="does not exist"):
        FileSteps.get_size(f"{base_url}/y.txt")


def test_copy_file_and_tree_across_filesystems(tmp_path: Path) -> None:
    _make_tree("memory://src")
    copied = FileSteps.copy("memory://src/a.csv", str(tmp_path / "one" / "a.csv"))
    assert copied == [str(tmp_path / "one" / "a.csv")]
    assert (tmp_path / "one" / "a.csv").read_text() == "content of a.csv"
    written = FileSteps.copy("memory://src", str(tmp_path / "tree"))
    assert len(written) == 5
    assert (tmp_path / "tree" / "sub" / "deeper" / "e.csv").read_text() == "content of sub/deeper/e.csv"
    assert FileSteps.exists("memory://src/a.csv")


def test_copy_refuses_to_overwrite_when_told(base_url: str) -> None:
    FileSteps.write_text("one", f"{base_url}/a.txt")
    FileSteps.write_text("two", f"{base_url}/b.txt")
    with pytest.raises(PipelineException, match="overwrite is false"):
        FileSteps.copy(f"{base_url}/a.txt", f"{base_url}/b.txt", overwrite=False)
    FileSteps.copy(f"{base_url}/a.txt", f"{base_url}/b.txt")
    assert FileSteps.read_text(f"{base_url}/b.txt") == "one"
    with pytest.raises(PipelineException, match="does not exist"):
        FileSteps.copy(f"{base_url}/missing", f"{base_url}/c.txt")


def test_move_within_and_across_filesystems(base_url: str, tmp_path: Path) -> None:
    FileSteps.write_text("payload", f"{base_url}/in/a.txt")
    FileSteps.move(f"{base_url}/in/a.txt", f"{base_url}/done/a.txt")
    assert not FileSteps.exists(f"{base_url}/in/a.txt")
    assert FileSteps.read_text(f"{base_url}/done/a.txt") == "payload"
    FileSteps.move(f"{base_url}/done", str(tmp_path / "moved"))
    assert not FileSteps.exists(f"{base_url}/done")
    assert (tmp_path / "moved" / "a.txt").read_text() == "payload"


def test_delete(base_url: str) -> None:
    _make_tree(base_url)
    assert FileSteps.delete(f"{base_url}/a.csv") is True
    assert not FileSteps.exists(f"{base_url}/a.csv")
    assert FileSteps.delete(f"{base_url}/a.csv") is False
    with pytest.raises(PipelineException, match="does not exist"):
        FileSteps.delete(f"{base_url}/a.csv", missing_ok=False)
    with pytest.raises(PipelineException, match="recursive"):
        FileSteps.delete(f"{base_url}/sub")
    assert FileSteps.delete(f"{base_url}/sub", recursive=True)
    assert not FileSteps.exists(f"{base_url}/sub/d.csv")


def test_text_round_trip_with_encoding(base_url: str) -> None:
    FileSteps.write_text("café", f"{base_url}/t.txt", encoding="latin-1")
    assert FileSteps.get_size(f"{base_url}/t.txt") == 4
    assert FileSteps.read_text(f"{base_url}/t.txt", encoding="latin-1") == "café"
    with pytest.raises(PipelineException, match="not a file"):
        FileSteps.read_text(f"{base_url}/nope.txt")
