"""Fixtures for the schedule tests: an application that records its tick, and schedule files.

The ``metalus`` fixture (from ``tests/durable``) runs the real command line against a fresh
store, SQLite or PostgreSQL. The application's ``RECORD`` step appends the run's schedule
globals to ``side.jsonl`` in the working folder, once per real execution, so a test counts
how often each tick really ran; its ``GATE`` step waits while ``gate`` exists there; ``FRAME`` returns a small frame (an artifact of the run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from metalus_py.state import StateStore
from tests.durable.conftest import Metalus, metalus, sqlite_metalus  # noqa: F401  (fixtures)
from tests.state.conftest import backend, clock, store  # noqa: F401  (fixtures)

APPLICATION: dict[str, Any] = {
    "id": "scheduled-app",
    "stepPackages": ["schedule_steps"],
    "pipelines": [{"id": "P", "name": "P", "steps": [
        {"id": "FRAME", "type": "Pipeline", "engineMeta": {"command": "ScheduleSteps.frame"}, "params": [],
         "nextStepId": "GATE"},
        {"id": "GATE", "type": "Pipeline", "engineMeta": {"command": "ScheduleSteps.gate"},
         "params": [{"name": "gateFile", "type": "text", "value": "!gateFile"}], "nextStepId": "RECORD"},
        {"id": "RECORD", "type": "Pipeline", "engineMeta": {"command": "ScheduleSteps.record"},
         "params": [{"name": "sideEffect", "type": "text", "value": "!sideEffect"}]},
    ]}],
    "executions": [{"id": "E", "pipelineIds": ["P"]}],
}


def shared_store(metalus: Metalus) -> StateStore:  # noqa: F811
    """One store per test for looking at what the processes recorded (a connection each, not one per look)."""
    return metalus._stores[0] if metalus._stores else metalus.store()


def write_files(folder: Path, *schedules: dict[str, Any]) -> Path:
    """Write ``app.json`` and ``schedules.json`` (each schedule gets the side-effect and gate files)."""
    (folder / "app.json").write_text(json.dumps(APPLICATION, indent=2))
    entries = []
    for schedule in schedules:
        entry = {"application": "app.json", **schedule}
        entry["parameters"] = {"sideEffect": str(folder / "side.jsonl"), "gateFile": str(folder / "gate"),
                               **schedule.get("parameters", {})}
        entries.append(entry)
    path = folder / "schedules.json"
    path.write_text(json.dumps({"schedules": entries}, indent=2))
    return path


def executions(folder: Path) -> list[dict[str, Any]]:
    """Every real execution of the application's RECORD step, in order."""
    path = folder / "side.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []


def executed_times(folder: Path) -> list[str]:
    return [e["scheduledTime"] for e in executions(folder)]


@pytest.fixture
def hourly(metalus: Metalus) -> Path:  # noqa: F811
    """An hourly UTC schedule ``hourly`` (default policies) in the test's folder."""
    return write_files(metalus.cwd, {"name": "hourly", "cron": "0 * * * *"})
