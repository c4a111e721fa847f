"""A ``className`` global is built once per run, whatever the state mode (issue 11).

Before the one run path a ``--state none`` run built it in validation's wake and again to run,
and a recorded run prepared the application in ``start_run`` and again in the session; a
re-trigger prepared it twice as well. Each counts the constructions of ``counted_steps.Counted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import counted_steps  # tests/stepsrc is on sys.path (tests/conftest.py)
import pytest

from metalus_py.api import run_application
from metalus_py.cli.main import main
from metalus_py.durable.session import retrigger_run
from metalus_py.state import open_store
from tests.builders import execution, param, pipeline, step, write


def _application(folder: Path) -> str:
    document: dict[str, Any] = {
        "id": "counted",
        "stepPackages": ["counted_steps"],
        "globals": {"thing": {"className": "counted_steps.Counted", "object": {"name": "built"}}},
        "pipelines": [pipeline("p", step("s", "counted_steps.name_of", param("thing", "!thing")))],
        "executions": [execution("e", "p")],
    }
    return str(write(document, folder))


@pytest.fixture
def counted() -> Iterator[type]:
    counted_steps.Counted.built = 0
    yield counted_steps.Counted
    counted_steps.Counted.built = 0


def test_a_run_without_state_builds_a_classname_global_once(tmp_path: Path, counted: type) -> None:
    result = run_application(_application(tmp_path), {})
    assert result.status == "COMPLETE"
    assert result.step_result("e", "p", "s") == "built"
    assert counted.built == 1  # type: ignore[attr-defined]


def test_a_recorded_run_builds_a_classname_global_once(tmp_path: Path, counted: type) -> None:
    result = run_application(_application(tmp_path), {}, state=f"sqlite:///{tmp_path / 'state.db'}")
    assert result.status == "COMPLETE"
    assert counted.built == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", ["none", "sqlite"])
def test_the_command_line_builds_a_classname_global_once(
    tmp_path: Path, counted: type, state: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "none" if state == "none" else f"sqlite:///{tmp_path / 'state.db'}"
    code = main(["run", _application(tmp_path), "--state", url, "--events", "none", "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert counted.built == 1  # type: ignore[attr-defined]


def test_a_retrigger_prepares_the_application_once(tmp_path: Path, counted: type) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = run_application(_application(tmp_path), {}, state=url)
    counted.built = 0  # type: ignore[attr-defined]
    store = open_store(url)
    assert store is not None
    try:
        again = retrigger_run(store, first.run_id, "e", {})
    finally:
        store.close()
    assert again.status == "COMPLETE"
    assert counted.built == 1  # type: ignore[attr-defined]
