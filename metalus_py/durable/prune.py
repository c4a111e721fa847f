"""Retention: delete the artifacts and event files of old finished runs, keeping their records.

A pruned run stays in ``metalus runs`` and ``metalus show`` (statuses, timings, metrics, step
summaries) with ``metadata.pruned`` set; ``resume`` and ``retrigger`` refuse it with a clear
message. A run is first marked pruned, then its files are deleted, then the mark is completed,
so a prune interrupted half-way finishes the deletion the next time.

Which runs: finished (COMPLETE, FAILED, PAUSED, KILLED) and ended before ``now - older_than``;
``keep_failed`` keeps every run that did not complete. A run whose results a retriggered run
still reuses (its ``parentRunId``) is kept until that run is pruned too. RUNNING runs never.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from metalus_py.base.status import RunStatus
from metalus_py.state import RunRecord, StateStore

__all__ = ["PruneReport", "PrunedRun", "prune_runs"]

_LOG = logging.getLogger("metalus_py.durable")


@dataclass(frozen=True)
class PrunedRun:
    """One run pruned (or that would be, in a dry run), with what was (or would be) deleted."""

    run_id: str
    status: str
    ended_at: str
    deleted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"runId": self.run_id, "status": self.status, "endedAt": self.ended_at, "deleted": list(self.deleted)}


@dataclass
class PruneReport:
    """What a prune did: the runs pruned and those kept on purpose (with why)."""

    dry_run: bool
    cutoff: str
    pruned: list[PrunedRun] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dryRun": self.dry_run, "cutoff": self.cutoff, "pruned": [p.to_dict() for p in self.pruned],
                "kept": [{"runId": r, "reason": why} for r, why in self.kept]}

    def format(self) -> str:
        verb = "would prune" if self.dry_run else "pruned"
        lines = [f"{verb} {p.run_id} ({p.status}, ended {p.ended_at}): {', '.join(p.deleted) or 'nothing on disk'}"
                 for p in self.pruned]
        lines += [f"kept {run_id}: {why}" for run_id, why in self.kept]
        lines.append(f"{len(self.pruned)} run(s) {verb} (finished before {self.cutoff})")
        return "\n".join(lines)


def prune_runs(
    store: StateStore,
    *,
    older_than: timedelta,
    keep_failed: bool = False,
    dry_run: bool = False,
    run_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> PruneReport:
    """Delete the artifacts and event files of finished runs that ended more than ``older_than`` ago.

    Args:
        store: the state store.
        older_than: minimum age (since the run ended).
        keep_failed: keep runs that did not complete (FAILED, PAUSED, KILLED).
        dry_run: report what would be deleted, delete nothing.
        run_ids: only these runs (a schedule's runs).
        now: the reference time (default: the store's clock).
    """
    reference = now or datetime.fromtimestamp(store.now(), UTC)
    cutoff = reference - older_than
    report = PruneReport(dry_run, cutoff.isoformat(timespec="seconds"))
    runs = store.list_runs()
    chosen: dict[str, RunRecord] = {}
    for run in runs:
        if run_ids is not None and run.run_id not in run_ids:
            continue
        pruned = run.metadata.get("pruned")
        if not run.status.finished or not run.ended_at or (isinstance(pruned, dict) and pruned.get("complete")):
            continue
        if datetime.fromisoformat(run.ended_at) > cutoff:
            continue
        if keep_failed and run.status != RunStatus.COMPLETE:
            report.kept.append((run.run_id, f"{run.status} (--keep-failed)"))
            continue
        chosen[run.run_id] = run
    for run in runs:  # a retriggered run reuses its parent's artifacts
        if run.parent_run_id in chosen and run.run_id not in chosen and not run.metadata.get("pruned"):
            del chosen[run.parent_run_id]
            report.kept.append((run.parent_run_id, f"retriggered run {run.run_id} reuses its results"))
    for run in chosen.values():
        targets = _targets(store, run)
        report.pruned.append(PrunedRun(run.run_id, str(run.status), run.ended_at or "", tuple(targets)))
        if not dry_run:
            _prune_one(store, run, targets, reference)
    return report


def _targets(store: StateStore, run: RunRecord) -> list[str]:
    """The artifact folder and event file of a run that exist."""
    found = []
    if run.artifact_root and _exists(run.artifact_root):
        found.append(run.artifact_root)
    for events in _event_files(store, run):
        if events not in found and _exists(events):
            found.append(events)
    return found


def _event_files(store: StateStore, run: RunRecord) -> list[str]:
    recorded = run.metadata.get("eventsFile")
    candidates = [recorded] if isinstance(recorded, str) else []
    candidates.append(os.path.join(os.getcwd(), ".metalus", "events", f"{run.run_id}.jsonl"))
    path = getattr(store, "path", None)
    if isinstance(path, Path):  # SQLite: the events folder next to the database
        candidates.append(str(path.parent / "events" / f"{run.run_id}.jsonl"))
    return candidates


def _prune_one(store: StateStore, run: RunRecord, targets: list[str], reference: datetime) -> None:
    update = getattr(store, "update_run_metadata", None)
    if update is None:
        raise TypeError(f"{type(store).__name__} cannot mark runs pruned (no update_run_metadata)")
    mark = {"at": reference.isoformat(timespec="seconds"), "deleted": targets, "complete": False}
    update(run_id=run.run_id, changes={"pruned": mark})
    for target in targets:
        _delete(target)
    update(run_id=run.run_id, changes={"pruned": {**mark, "complete": True}})
    _LOG.info("pruned run %s: deleted %s", run.run_id, ", ".join(targets) or "nothing")


def _exists(location: str) -> bool:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(location)
        return bool(fs.exists(path))
    except (ImportError, ValueError, OSError):
        return False


def _delete(location: str) -> None:
    import fsspec

    fs, path = fsspec.core.url_to_fs(location)
    if fs.exists(path):
        fs.rm(path, recursive=fs.isdir(path))
