"""Odd ends of durable runs (issue 9, finding 6): deep JSON, duplicate submissions, retrigger events
and the lease warning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from metalus_py.model.loader import MAX_JSON_DEPTH
from tests.durable.apps import linear_application, write
from tests.durable.conftest import Metalus


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 5, 500, 900])
def test_deep_global_is_refused_alike_by_validate_and_run(sqlite_metalus: Metalus, depth: int) -> None:
    app = linear_application("deep", "A")
    app["globals"]["deep"] = _nested(depth)
    path = write(app, sqlite_metalus.cwd)
    for command in ("validate", "run", "plan"):
        done = sqlite_metalus(command, str(path))
        assert done.returncode == 2, (command, done.stderr[-2000:])
        assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
        assert "levels" in done.stderr, done.stderr[-2000:]
        assert len(done.stderr.splitlines()) < 20
    assert not (sqlite_metalus.cwd / ".metalus").exists()


def test_json_too_deep_for_the_parser_is_exit_2(sqlite_metalus: Metalus) -> None:
    path = sqlite_metalus.cwd / "deep.json"
    path.write_text('{"executions": ' + "[" * 20000 + "]" * 20000 + "}")
    for command in ("validate", "run"):
        done = sqlite_metalus(command, str(path))
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]


def test_deep_document_from_python_is_an_invalid_report() -> None:
    from metalus_py.api import validate_application

    app = linear_application("deep", "A")
    app["globals"]["deep"] = _nested(700)
    report = validate_application(app)
    assert not report.ok and "levels" in report.format()


def test_nesting_within_the_limit_runs(sqlite_metalus: Metalus) -> None:
    app = linear_application("deepish", "A")
    app["globals"]["deep"] = _nested(MAX_JSON_DEPTH - 5)
    done = sqlite_metalus("run", str(write(app, sqlite_metalus.cwd)), "--state", "none")
    assert done.returncode == 0, done.stderr


def test_retrigger_writes_an_events_file_and_honours_events(metalus: Metalus) -> None:
    app = write(linear_application("evts", "A", "B", "C"), metalus.cwd)
    first = metalus("run", str(app), "--run-id", "orig")
    assert first.returncode == 0, first.stderr
    out = metalus.cwd / "r.json"
    again = metalus("retrigger", "orig", "--from", "E.P.B", "--output-json", str(out))
    assert again.returncode == 0, again.stderr
    new_id = json.loads(out.read_text())["runId"]
    default = metalus.cwd / ".metalus" / "events" / f"{new_id}.jsonl"
    kinds = [json.loads(line)["event"] for line in default.read_text().splitlines()]
    assert "step_finished" in kinds and f"events: {default.relative_to(metalus.cwd)}" in again.stderr
    chosen = metalus.cwd / "chosen.jsonl"
    third = metalus("retrigger", "orig", "--from", "E.P.C", "--events", str(chosen))
    assert third.returncode == 0, third.stderr
    assert any(json.loads(line)["event"] == "step_finished" for line in chosen.read_text().splitlines())


def test_no_lease_takeover_warning_after_a_clean_failed_run(metalus: Metalus) -> None:
    app = write(linear_application("lease", "A", "B", fail_step="B"), metalus.cwd)
    failed = metalus("run", str(app), "--run-id", "r1", "--failFlag", "true")
    assert failed.returncode == 1, failed.stderr
    resumed = metalus("resume", "r1", "--failFlag", "false")
    assert resumed.returncode == 0, resumed.stderr
    assert "took over the lease" not in resumed.stderr and "is gone" not in resumed.stderr


def test_store_tells_an_expired_lease_from_a_released_one(tmp_path: Path) -> None:
    from metalus_py.state import open_store

    store = open_store(str(tmp_path / "s.db"))
    assert store is not None
    try:
        store.create_run(run_id="r", application_id="a", application_json="{}", parameters={})
        assert store.acquire_lease(run_id="r", owner="a", ttl_seconds=30).acquired
        store.release_lease(run_id="r", owner="a")
        clean = store.acquire_lease(run_id="r", owner="b", ttl_seconds=0.01)
        assert clean.acquired and clean.previous_owner == "a" and not clean.taken_over
        import time

        time.sleep(0.05)  # let b's lease expire while still held
        stolen = store.acquire_lease(run_id="r", owner="c", ttl_seconds=30)
        assert stolen.acquired and stolen.previous_owner == "b" and stolen.taken_over
    finally:
        store.close()


@pytest.mark.slow
def test_four_identical_submissions_at_once_never_trace_back(metalus: Metalus) -> None:
    app = write(linear_application("dup", "A", "B"), metalus.cwd)
    for round_ in range(20):
        run_id = f"same-{round_}"
        procs = [metalus.popen("run", str(app), "--run-id", run_id, "--sleepMs", "50") for _ in range(4)]
        outcomes = [(proc.wait(timeout=120), proc.communicate()[1]) for proc in procs]
        for code, stderr in outcomes:
            assert "Traceback" not in stderr, stderr
            assert code in (0, 2), stderr
            if code == 2:
                assert len([ln for ln in stderr.splitlines() if ln.startswith("metalus run:")]) == 1, stderr
        assert any(code == 0 for code, _ in outcomes)
        record = metalus.store().get_run(run_id=run_id)
        assert record is not None and str(record.status) == "COMPLETE"
