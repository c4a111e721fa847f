"""Loops (issue 9, finding 3): a step reached again is a new step run, so durable and plain runs take
the same path, a resume restores the right visit, and a runaway loop ends at the visit limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.durable.apps import p, step, write
from tests.durable.conftest import Metalus


def loop_application(lines: Path, marker: Path) -> dict[str, Any]:
    append = step("APPEND", "LoopSteps.append_line", p("path", str(lines)), p("marker", str(marker)),
                  p("failAt", "!failAt"), next_="CHECK")
    check = step("CHECK", "LoopSteps.enough", p("count", "@APPEND"), p("wanted", 3, "integer"),
                 {"name": "again", "type": "result", "value": "APPEND"},
                 {"name": "done", "type": "result", "value": "END"}, type_="branch")
    end = step("END", "LoopSteps.enough", p("count", "@APPEND"))
    return {
        "id": "loop", "stepPackages": ["durable_steps"], "globals": {},
        "pipelines": [{"id": "P", "name": "P", "steps": [append, check, end]}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def _steps(document: dict[str, Any]) -> dict[str, Any]:
    steps = document["executions"]["E"]["pipelines"]["P"]["steps"]
    return {sid: {k: v for k, v in body.items() if k in ("status", "primaryReturn", "visits", "attempts")}
            for sid, body in steps.items()}


def test_branch_loop_same_result_plain_and_durable(metalus: Metalus) -> None:
    documents = []
    for state in (("--state", "none"), ()):
        lines = metalus.cwd / f"lines{len(documents)}.txt"
        app = write(loop_application(lines, metalus.cwd / "no-marker"), metalus.cwd)
        out = metalus.cwd / f"out{len(documents)}.json"
        done = metalus("run", str(app), "--output-json", str(out), *state)
        assert done.returncode == 0, done.stderr
        assert lines.read_text().splitlines() == ["line 1", "line 2", "line 3"]
        documents.append(json.loads(out.read_text()))
    assert _steps(documents[0]) == _steps(documents[1])
    assert _steps(documents[1])["APPEND"] == {"status": "COMPLETE", "primaryReturn": 3, "visits": 3, "attempts": 1}
    assert _steps(documents[1])["CHECK"]["visits"] == 3 and _steps(documents[1])["END"]["primaryReturn"] == "done"


def test_loop_is_resumable_mid_loop(metalus: Metalus) -> None:
    lines, marker = metalus.cwd / "lines.txt", metalus.cwd / "marker"
    marker.write_text("x")
    app = write(loop_application(lines, marker), metalus.cwd)
    first = metalus("run", str(app), "--run-id", "loop1", "--failAt", "1")
    assert first.returncode == 1, first.stderr
    assert lines.read_text().splitlines() == ["line 1"]
    marker.unlink()
    out = metalus.cwd / "out.json"
    resumed = metalus("resume", "loop1", "--output-json", str(out))
    assert resumed.returncode == 0, resumed.stderr
    # visit 1 was restored, visits 2 and 3 ran: exactly three lines, as a plain run writes
    assert lines.read_text().splitlines() == ["line 1", "line 2", "line 3"]
    steps = _steps(json.loads(out.read_text()))
    assert steps["APPEND"]["primaryReturn"] == 3 and steps["APPEND"]["visits"] == 3


def test_runaway_loop_ends_at_the_visit_limit(sqlite_metalus: Metalus) -> None:
    spin = step("SPIN", "LoopSteps.enough", p("count", 0),
                {"name": "again", "type": "result", "value": "SPIN"},
                {"name": "done", "type": "result", "value": "END"}, type_="branch")
    end = step("END", "LoopSteps.enough", p("count", 0))  # a way out the data never takes
    app = write({"id": "spin", "stepPackages": ["durable_steps"],
                 "pipelines": [{"id": "P", "name": "P", "steps": [spin, end]}],
                 "executions": [{"id": "E", "pipelineIds": ["P"]}]}, sqlite_metalus.cwd)
    for state in (("--state", "none"), ()):
        done = sqlite_metalus("run", str(app), "--maxStepVisits", "25", *state)
        assert done.returncode == 1, done.stderr
        assert "reached 26 times" in done.stderr and "maxStepVisits" in done.stderr, done.stderr[-2000:]


def test_retrigger_from_a_loop_step_recomputes_every_visit(sqlite_metalus: Metalus) -> None:
    lines = sqlite_metalus.cwd / "lines.txt"
    app = write(loop_application(lines, sqlite_metalus.cwd / "no-marker"), sqlite_metalus.cwd)
    first = sqlite_metalus("run", str(app), "--run-id", "l1")
    assert first.returncode == 0, first.stderr
    lines.unlink()
    again = sqlite_metalus("retrigger", "l1", "--from", "E.P.APPEND")
    assert again.returncode == 0, again.stderr
    assert lines.read_text().splitlines() == ["line 1", "line 2", "line 3"]  # no visit kept from l1


def test_show_reports_a_looping_step_once_with_its_visits(sqlite_metalus: Metalus) -> None:
    lines = sqlite_metalus.cwd / "lines.txt"
    app = write(loop_application(lines, sqlite_metalus.cwd / "no-marker"), sqlite_metalus.cwd)
    assert sqlite_metalus("run", str(app), "--run-id", "l2").returncode == 0
    shown = sqlite_metalus("show", "l2", "--json")
    assert shown.returncode == 0, shown.stderr
    steps = json.loads(shown.stdout)["executions"]["E"]["pipelines"]["P"]["steps"]
    assert sorted(steps) == ["APPEND", "CHECK", "END"]
    assert steps["APPEND"]["visits"] == 3 and steps["APPEND"]["primaryReturn"] == 3
