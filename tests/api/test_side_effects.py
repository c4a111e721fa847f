"""``run_application`` leaves the process as it found it (issue 11).

A run needs process-wide things: the step-package folders on ``sys.path``, the log-record
factory that stamps the running ids, a relaxed garbage collector, the secret values to redact.
A notebook or a scheduler runs many applications in one process: none of it may accumulate.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.base.secrets import known_secrets
from tests.builders import execution, param, pipeline, step, write

SECRET = "s3cr3t-side-effect-value"


def _process_state() -> dict[str, Any]:
    return {
        "sys.path": list(sys.path),
        "log record factory": logging.getLogRecordFactory(),
        "gc enabled": gc.isenabled(),
        "gc threshold": gc.get_threshold(),
        "gc freeze count": gc.get_freeze_count(),
        "secrets": known_secrets(),
    }


@pytest.fixture
def steps_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of step packages named by ``METALUS_STEPS_PATH`` (not on ``sys.path``)."""
    folder = tmp_path / "steps"
    package = folder / "side_effect_steps"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "def token(password):\n    return 'token-' + str.__str__(password)\n", encoding="utf-8")
    monkeypatch.setenv("METALUS_STEPS_PATH", str(folder))
    yield folder
    sys.modules.pop("side_effect_steps", None)


def _application(folder: Path) -> str:
    document: dict[str, Any] = {
        "id": "side-effects",
        "stepPackages": ["side_effect_steps"],
        "globals": {"dbPassword": SECRET},
        "pipelines": [pipeline("p", step("s", "side_effect_steps.token", param("password", "!dbPassword")))],
        "executions": [execution("e", "p")],
    }
    return str(write(document, folder))


def test_two_runs_leave_the_process_as_they_found_it(tmp_path: Path, steps_folder: Path) -> None:
    application = _application(tmp_path)
    before = _process_state()
    assert str(steps_folder) not in sys.path

    plain = run_application(application, {}, events=str(tmp_path / "plain.jsonl"))
    recorded = run_application(application, {}, state=f"sqlite:///{tmp_path / 'state.db'}",
                               events=str(tmp_path / "recorded.jsonl"))

    assert _process_state() == before
    for result, events in ((plain, "plain.jsonl"), (recorded, "recorded.jsonl")):
        assert result.status == "COMPLETE"
        # the secret the run saw is still redacted once the process has forgotten it
        assert SECRET not in json.dumps(result.to_dict(), default=str)
        assert "***REDACTED***" in json.dumps(result.to_dict()["executions"], default=str)
        assert SECRET not in (tmp_path / events).read_text(encoding="utf-8")


def test_objects_the_caller_froze_stay_frozen(tmp_path: Path, steps_folder: Path) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert run_application(_application(tmp_path), {}).status == "COMPLETE"
        # (a frozen object that dies leaves the count; unfreezing them all would leave it at 0)
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_concurrent_runs_in_threads_restore_the_process_when_the_last_ends(
    tmp_path: Path, steps_folder: Path
) -> None:
    application = _application(tmp_path)
    before = _process_state()
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(run_application(application, {})))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == ["COMPLETE"] * 3
    assert _process_state() == before


def test_a_nested_scope_restores_nothing_until_the_outer_one_ends(tmp_path: Path) -> None:
    from metalus_py.base.runscope import run_scope
    from metalus_py.base.secrets import remember_secret

    before = _process_state()
    outer, inner = str(tmp_path / "outer"), str(tmp_path / "inner")
    with run_scope([outer]):
        factory = logging.getLogRecordFactory()
        with run_scope([inner]):
            remember_secret(SECRET)
        assert inner in sys.path and outer in sys.path
        assert logging.getLogRecordFactory() is factory
        assert SECRET in known_secrets()
    assert _process_state() == before
