"""Text files: local paths through ``open``, URLs through fsspec (same results either way)."""

from __future__ import annotations

import uuid
from pathlib import Path

from metalus_py.base.local_files import file_exists, is_local_path, open_text
from metalus_py.events import RunEvent
from metalus_py.events.jsonlines import JsonLinesEventLog, read_events
from metalus_py.model.loader import read_text


def test_local_paths_and_urls_are_told_apart() -> None:
    assert (
        is_local_path("app.json") and is_local_path("/tmp/x/app.json") and is_local_path("C:\\apps\\a.json")
    )
    assert not is_local_path("file:///tmp/app.json")
    assert not is_local_path("memory://apps/app.json")
    assert not is_local_path("simplecache::s3://bucket/app.json")


def test_a_local_file_is_written_in_new_folders_and_read_back(tmp_path: Path) -> None:
    location = str(tmp_path / "a" / "b" / "events.jsonl")
    assert not file_exists(location)
    with open_text(location, "a", make_parents=True) as handle:
        handle.write("één\n")
    assert file_exists(location) and read_text(location) == "één\n"


def test_a_url_goes_through_fsspec(tmp_path: Path) -> None:
    location = f"memory://local-files-{uuid.uuid4().hex}/nested/events.jsonl"
    log = JsonLinesEventLog(location)
    log.on_event(RunEvent("application_started", run_id="r1"))
    log.close()
    assert file_exists(location)
    assert [(e["event"], e["runId"]) for e in read_events(location)] == [("application_started", "r1")]
    file_url = (tmp_path / "app.json").as_uri()
    (tmp_path / "app.json").write_text('{"a": 1}', encoding="utf-8")
    assert file_exists(file_url) and read_text(file_url) == '{"a": 1}'
    assert not file_exists(f"memory://local-files-{uuid.uuid4().hex}/missing.json")
