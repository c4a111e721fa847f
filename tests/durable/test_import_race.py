"""Two parallel executions: one imports polars inside a step while the other's steps finish (issue 9,
finding 2). Every run must complete, and no step may be left RUNNING in a finished run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.durable.apps import p, step, write
from tests.durable.conftest import Metalus

ROUNDS = 20


def race_application() -> dict[str, Any]:
    quick = [step(f"Q{i}", "RaceSteps.quick", p("value", f"@Q{i - 1}" if i else "!seed"),
                  next_=f"Q{i + 1}" if i < 59 else None) for i in range(60)]
    late = [step("LATE", "RaceSteps.late_polars", p("value", "!seed"))]
    return {
        "id": "race",
        "stepPackages": ["race_steps"],
        "globals": {"seed": "s"},
        "pipelines": [{"id": "PQ", "name": "PQ", "steps": quick}, {"id": "PL", "name": "PL", "steps": late}],
        "executions": [{"id": "POLARS", "pipelineIds": ["PL"]}, {"id": "QUICK", "pipelineIds": ["PQ"]}],
    }


def _check_rounds(metalus: Metalus, *extra: str) -> None:
    app = write(race_application(), metalus.cwd)
    for round_ in range(ROUNDS):
        out = metalus.cwd / f"out{round_}.json"
        done = metalus("run", str(app), "--run-id", f"race-{round_}", "--output-json", str(out), *extra)
        assert done.returncode == 0, done.stderr[-3000:]
        document = json.loads(out.read_text())
        assert document["status"] == "COMPLETE"
        late = document["executions"]["POLARS"]["pipelines"]["PL"]["steps"]["LATE"]
        assert late["primaryReturn"]["$type"] == "polars.DataFrame"
    if not extra:
        for round_ in range(ROUNDS):
            steps = metalus.store().list_steps(run_id=f"race-{round_}")
            assert steps and all(str(record.status) == "COMPLETE" for record in steps)


@pytest.mark.slow
def test_import_race_without_a_store(sqlite_metalus: Metalus) -> None:
    _check_rounds(sqlite_metalus, "--state", "none")


@pytest.mark.slow
def test_import_race_durable(metalus: Metalus) -> None:
    _check_rounds(metalus)


def test_a_step_whose_output_cannot_be_stored_is_not_left_running(sqlite_metalus: Metalus) -> None:
    app = {
        "id": "odd", "stepPackages": ["race_steps"],
        "pipelines": [{"id": "P", "name": "P", "steps": [step("ODD", "OddSteps.unpicklable")]}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }
    done = sqlite_metalus("run", str(write(app, sqlite_metalus.cwd)), "--run-id", "odd")
    assert done.returncode in (0, 1), done.stderr
    record = sqlite_metalus.store().get_run(run_id="odd")
    assert record is not None and str(record.status) != "RUNNING"
    statuses = {r.step_path: str(r.status) for r in sqlite_metalus.store().list_steps(run_id="odd")}
    assert statuses and "RUNNING" not in statuses.values(), statuses
