"""An application validated first (as ``metalus run`` does) is prepared from what was read, not read again."""

from __future__ import annotations

from pathlib import Path

from metalus_py.api import run_application, validate_application
from metalus_py.api.service import prepare_run
from metalus_py.base.problems import Problem, ValidationReport
from tests.builders import execution, param, pipeline, step, write


def _application(folder: Path) -> Path:
    document = {
        "stepPackages": ["steps_library"],
        "pipelines": [pipeline("P", step("UP", "StringSteps.toUpperCase", param("value", "!word")))],
        "executions": [execution("E", "P")],
        "globals": {"word": "read once"},
    }
    return write(document, folder)


def test_a_validated_application_runs_without_reading_its_file_again(tmp_path: Path) -> None:
    location = str(_application(tmp_path))
    report = validate_application(location, {}, source=location)
    assert report.ok and report.document is not None
    Path(location).unlink()  # a second read would now fail
    prepared = prepare_run(location, {}, source=location, validated=report)
    assert prepared.document["globals"] == {"word": "read once"}
    result = run_application(location, {}, source=location, validated=report)
    assert result.status == "COMPLETE"
    assert result.step_result("E", "P", "UP") == "READ ONCE"


def test_a_problem_is_recorded_once_even_when_the_list_was_given() -> None:
    given = Problem("warning", "app.json", "pipelines[0].x", "unknown field 'x'", None, "x")
    report = ValidationReport("app.json", problems=[given])
    report.warning("pipelines[0].x", "unknown field 'x'", subject="x")
    report.error("pipelines[0].x", "unknown field 'x'")
    for index in range(500):
        report.warning(f"steps[{index}]", "same message")
        report.warning(f"steps[{index}]", "same message")
    assert len(report.problems) == 502
    assert [p.severity for p in report.problems[:2]] == ["warning", "error"]
