"""The notebook loop with the trust and durability rules: a step a loop reaches again is journaled
per visit (``STEP~2``), and secret globals are stored protected while steps get the real values.

Steps count their executions in a file, so "reused" is checked against what really ran.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from metalus_py import StepResponse
from metalus_py.notebook import Application, open_run, step
from metalus_py.state import open_store

COUNTS: dict[str, Path] = {}
SECRET = "hunter2-notebook-secret"
TOKEN = "tok-notebook-9f3a"


def _mark(name: str) -> None:
    with COUNTS["file"].open("a", encoding="utf-8") as handle:
        handle.write(name + "\n")


def ran() -> list[str]:
    path = COUNTS["file"]
    names = path.read_text(encoding="utf-8").split() if path.exists() else []
    path.write_text("", encoding="utf-8")
    return names


@step(name="visitCount")
def visit_count(count: Any = None) -> StepResponse:
    """One more than ``count`` (the global the previous visit set)."""
    _mark("count")
    value = int(count or 0) + 1
    return StepResponse(value, {"$globals.count": value})


@step(name="visitEnough")
def visit_enough(count: int, wanted: int = 3) -> str:
    _mark("enough")
    return "done" if int(count) >= wanted else "again"


@step(name="visitEnd")
def visit_end(count: int) -> int:
    _mark("end")
    return int(count) * 10


@step(name="secretLength")
def secret_length(password: str, token: str) -> int:
    """What a step computes from secrets (never the secrets themselves)."""
    _mark("length")
    assert password == SECRET and token == TOKEN, "the step must receive the real values"
    return len(password) + len(token)


@pytest.fixture(autouse=True)
def counter(tmp_path: Path) -> Path:
    COUNTS["file"] = tmp_path / "ran.txt"
    return COUNTS["file"]


def _loop_app() -> Application:
    def command(name: str) -> dict[str, Any]:
        return {"command": f"NotebookSteps.{name}"}

    steps = [
        {"id": "COUNT", "type": "Pipeline", "engineMeta": command("visitCount"),
         "params": [{"name": "count", "type": "text", "value": "!count"}], "nextStepId": "ENOUGH"},
        {"id": "ENOUGH", "type": "branch", "engineMeta": command("visitEnough"),
         "params": [{"name": "count", "type": "text", "value": "@COUNT"},
                    {"name": "again", "type": "result", "value": "COUNT"},
                    {"name": "done", "type": "result", "value": "END"}]},
        {"id": "END", "type": "Pipeline", "engineMeta": command("visitEnd"),
         "params": [{"name": "count", "type": "text", "value": "@COUNT"}]},
    ]
    return Application.from_json({
        "id": "visits", "stepPackages": ["steps_library"], "globals": {},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    })


def test_a_loop_journals_each_visit_and_open_run_shows_the_last_visit() -> None:
    app = _loop_app()
    first = app.run()
    assert first.status == "COMPLETE", first.executions["E"].error
    assert ran() == ["count", "enough"] * 3 + ["end"]
    assert first.value("E", "P", "END") == 30
    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None
    assert sorted(r.step_path for r in store.list_steps(run_id=first.run_id)) == [
        "COUNT", "COUNT~2", "COUNT~3", "END", "ENOUGH", "ENOUGH~2", "ENOUGH~3"]

    again = app.run()  # COUNT reads the global it sets: a cycle, never reused, nor what reads it
    assert again.status == "COMPLETE" and again.reused == []
    assert ran() == ["count", "enough"] * 3 + ["end"]
    assert again.value("E", "P", "END") == 30 and again.value("E", "P", "COUNT") == 3

    opened = open_run(again.run_id, state=os.environ["METALUS_STATE"])
    steps = opened.executions["E"].pipelines["P"].steps
    assert sorted(steps) == ["COUNT", "END", "ENOUGH"]
    assert steps["COUNT"].visits == 3 and steps["COUNT"].primary_return == 3
    assert steps["ENOUGH"].visits == 3 and steps["ENOUGH"].primary_return == "done"
    assert opened.value("E", "P", "COUNT") == 3

    paused = app.run(until="E.P.COUNT")  # until a looping step: after its first visit
    assert paused.status == "PAUSED" and ran() == ["count"]


@step(name="visitAppend")
def visit_append(path: str) -> int:
    """Append a line to ``path``; the number of lines (state outside the run drives the loop)."""
    _mark("append")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("line\n")
    with open(path, encoding="utf-8") as handle:
        return len(handle.read().splitlines())


@step(name="visitEvery")
def visit_every(count: int, wanted: int = 3) -> str:
    _mark("every")
    return "again" if int(count) % wanted else "done"


def test_a_step_a_loop_reached_more_than_once_is_never_reused(tmp_path: Path) -> None:
    steps = [
        {"id": "APPEND", "type": "Pipeline", "engineMeta": {"command": "NotebookSteps.visitAppend"},
         "params": [{"name": "path", "type": "text", "value": "!lines"}], "nextStepId": "EVERY"},
        {"id": "EVERY", "type": "branch", "engineMeta": {"command": "NotebookSteps.visitEvery"},
         "params": [{"name": "count", "type": "text", "value": "@APPEND"},
                    {"name": "again", "type": "result", "value": "APPEND"},
                    {"name": "done", "type": "result", "value": "END"}]},
        {"id": "END", "type": "Pipeline", "engineMeta": {"command": "NotebookSteps.visitEnd"},
         "params": [{"name": "count", "type": "text", "value": "@APPEND"}]},
    ]
    app = Application.from_json({
        "id": "appends", "stepPackages": ["steps_library"], "globals": {"lines": str(tmp_path / "lines.txt")},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    })
    first = app.run()
    assert first.status == "COMPLETE" and ran() == ["append", "every"] * 3 + ["end"]
    again = app.run()
    # Each visit of APPEND and EVERY is its own step run: none is restored from the first run (a
    # restored first visit would leave the loop a different path), all three visits run again.
    assert again.status == "COMPLETE"
    assert ran() == ["append", "every"] * 3
    assert again.reused == ["E.P.END"]
    assert again.executions["E"].pipelines["P"].steps["APPEND"].visits == 3


def _files_holding(root: Path, text: str) -> list[str]:
    needle = text.encode()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes())


def test_secret_globals_are_stored_protected_and_steps_get_the_real_values(tmp_path: Path) -> None:
    steps = [{"id": "LENGTH", "type": "Pipeline", "engineMeta": {"command": "NotebookSteps.secretLength"},
              "params": [{"name": "password", "type": "text", "value": "!dbPassword"},
                         {"name": "token", "type": "text", "value": "!apiToken"}]}]
    app = Application.from_json({
        "id": "secrets", "stepPackages": ["steps_library"], "globals": {"dbPassword": SECRET},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    })
    expected = len(SECRET) + len(TOKEN)
    first = app.run(apiToken=TOKEN)
    assert first.status == "COMPLETE", first.executions["E"].error
    assert first.value("E", "P", "LENGTH") == expected and ran() == ["length"]

    again = app.run(apiToken=TOKEN)  # unchanged: reused
    assert again.reused == ["E.P.LENGTH"] and ran() == []

    redone = first.retrigger(from_="E.P.LENGTH")  # the secrets come from the notebook, not the store
    assert redone.status == "COMPLETE" and redone.value("E", "P", "LENGTH") == expected
    assert ran() == ["length"]

    state = Path(os.environ["METALUS_STATE"]).parent
    assert _files_holding(state, SECRET) == [] and _files_holding(state, TOKEN) == []
    assert _files_holding(tmp_path, SECRET) == []
