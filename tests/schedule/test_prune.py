"""Retention: ``metalus prune`` and a schedule's ``retention``.

Runs are made by the real command line; "ended ten days ago" is set up by moving a run's
recorded end time back (the only way to get an old run without waiting days).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.durable.conftest import Metalus
from tests.schedule.conftest import shared_store, write_files


def backdate(metalus: Metalus, run_id: str, days: float) -> None:
    """Pretend the run ended ``days`` ago."""
    store = shared_store(metalus)
    ended = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    with store._transaction(write=True) as tx:  # type: ignore[attr-defined]
        assert tx.run("UPDATE metalus_run SET ended_at = ? WHERE run_id = ?", (ended, run_id)) == 1


def files_of(metalus: Metalus, run_id: str) -> list[Path]:
    """The artifact folder and event file of a run that exist on disk."""
    run = shared_store(metalus).get_run(run_id=run_id)
    assert run is not None and run.artifact_root
    candidates = [Path(run.artifact_root), metalus.cwd / ".metalus" / "events" / f"{run_id}.jsonl"]
    return [p for p in candidates if p.exists()]


def make_run(metalus: Metalus, run_id: str, *, fail: bool = False) -> None:
    side = metalus.cwd / ("missing-folder/side.jsonl" if fail else "side.jsonl")
    done = metalus("run", "app.json", "--run-id", run_id, "--sideEffect", str(side))
    assert done.returncode == (1 if fail else 0), done.stderr
    assert len(files_of(metalus, run_id)) == 2, "the run left artifacts and an event file"


def test_prune_deletes_exactly_the_old_finished_runs_files(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "unused", "cron": "0 * * * *"})
    for run_id, fail in (("old-ok", False), ("old-failed", True), ("new-ok", False), ("parent", False)):
        make_run(metalus, run_id, fail=fail)
    child = metalus("retrigger", "parent", "--from", "E.P.RECORD")
    assert child.returncode == 0, child.stderr
    for run_id in ("old-ok", "old-failed", "parent"):
        backdate(metalus, run_id, 10)

    dry = metalus("prune", "--older-than", "7d", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert sorted(p["runId"] for p in plan["pruned"]) == ["old-failed", "old-ok"]
    assert {k["runId"]: k["reason"] for k in plan["kept"]}["parent"].startswith("retriggered run")
    assert all(len(files_of(metalus, r)) == 2 for r in ("old-ok", "old-failed")), "a dry run deletes nothing"

    keep = metalus("prune", "--older-than", "7d", "--keep-failed")
    assert keep.returncode == 0, keep.stderr
    assert files_of(metalus, "old-ok") == [] and len(files_of(metalus, "old-failed")) == 2
    assert "kept old-failed: FAILED (--keep-failed)" in keep.stdout

    assert metalus("prune", "--older-than", "7d").returncode == 0
    assert files_of(metalus, "old-failed") == []
    for run_id in ("new-ok", "parent"):
        assert len(files_of(metalus, run_id)) == 2, f"{run_id} must be kept"

    store = shared_store(metalus)
    runs = {r.run_id: r for r in store.list_runs()}
    assert {"old-ok", "old-failed", "new-ok", "parent"} <= set(runs), "records are kept as summaries"
    assert runs["old-ok"].metadata["pruned"]["complete"] is True and "pruned" not in runs["new-ok"].metadata
    shown = metalus("show", "old-ok", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["status"] == "COMPLETE"

    resumed = metalus("resume", "old-failed")
    assert resumed.returncode == 2
    assert "was pruned" in resumed.stderr and "cannot be resumed" in resumed.stderr
    assert "Traceback" not in resumed.stderr
    again = metalus("run", "app.json", "--run-id", "old-failed", "--sideEffect", "side.jsonl")
    assert again.returncode == 2 and "was pruned" in again.stderr
    retriggered = metalus("retrigger", "old-ok", "--from", "E.P.RECORD")
    assert retriggered.returncode == 2 and "was pruned" in retriggered.stderr


def test_prune_rejects_a_bad_duration(metalus: Metalus) -> None:
    done = metalus("prune", "--older-than", "a week")
    assert done.returncode == 2 and "expected a duration" in done.stderr
    assert metalus("prune").returncode == 2


def test_a_schedules_retention_prunes_its_own_old_runs(metalus: Metalus) -> None:
    write_files(metalus.cwd, {"name": "kept", "cron": "0 * * * *", "retention": "1d"},
                {"name": "other", "cron": "0 * * * *"})
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T10:00:00Z").returncode == 0
    for run_id in ("kept__20240501T100000Z", "other__20240501T100000Z"):
        backdate(metalus, run_id, 2)
    assert metalus("schedule", "tick", "schedules.json", "--now", "2024-05-01T11:00:00Z").returncode == 0
    assert files_of(metalus, "kept__20240501T100000Z") == [], "older than its retention: pruned"
    assert len(files_of(metalus, "kept__20240501T110000Z")) == 2, "a recent run is kept"
    assert len(files_of(metalus, "other__20240501T100000Z")) == 2, "another schedule's runs are not touched"
