"""Metalus 2.0 application files (a root ``pipelineId``) run as one execution; their restart
scenarios map onto ``metalus retrigger`` (metalus-spec 7.2)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
CORPUS = TESTS / "resources" / "corpus"


@pytest.fixture
def v2_folder(tmp_path: Path) -> Path:
    """The 2.0 applications beside a ``pipelines/`` folder holding the pipelines they name."""
    (tmp_path / "pipelines").mkdir()
    for app in (CORPUS / "v2" / "applications").glob("*.json"):
        shutil.copy(app, tmp_path / app.name)
    for folder in (CORPUS / "v2" / "pipelines", CORPUS / "pipelines"):
        for pipeline in folder.glob("*.json"):
            shutil.copy(pipeline, tmp_path / "pipelines" / pipeline.name)
    return tmp_path


def _metalus(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"))
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


def _returns(document: dict[str, Any], execution: str, pipeline: str) -> dict[str, Any]:
    steps = document["executions"][execution]["pipelines"][pipeline]["steps"]
    return {step_id: entry.get("primaryReturn") for step_id, entry in steps.items()}


@pytest.mark.parametrize(
    ("app", "execution", "expected"),
    [
        ("simple_restart_application", "simple_restart_pipeline",
         {"STEP_2": "STEP1 -> STEP2 -> first run", "STEP_3": "STEP1 -> STEP2 -> first run -> STEP3"}),
        ("step_group_restart_application", "root",
         {"STEP_4": "STEP1 -> STEP2 -> first run -> STEP3 -> STEP4"}),
        ("fork_restart_application", "embedded_fork_pipeline", {"SUM_VALUES": [1, 3, 6], "FLATTEN_LIST": 10}),
        ("split_flow_restart_application", "complex_split_flow",
         {"FORMAT_STRING": "List with values 1,2 has a sum of 3", "FORMAT_STRING_PART_2": "List has a sum of 3"}),
    ],
)
def test_metalus_2_applications_run_unchanged(v2_folder: Path, app: str, execution: str,
                                              expected: dict[str, Any]) -> None:
    out = v2_folder / f"{app}.result.json"
    proc = _metalus(v2_folder, "run", f"{app}.json", "--rootLogLevel", "INFO", "--step2Value", "first run",
                    "--state", "none", "--quiet", "--output-json", str(out))
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out.read_text())
    pipeline = next(iter(document["executions"][execution]["pipelines"]))
    returns = _returns(document, execution, pipeline)
    for step_id, value in expected.items():
        assert returns[step_id] == value, step_id


def test_restart_from_step_2_with_a_new_value_is_a_retrigger(v2_folder: Path) -> None:
    first = _metalus(v2_folder, "run", "simple_restart_application.json", "--rootLogLevel", "INFO",
                     "--step2Value", "first run", "--run-id", "session1", "--quiet")
    assert first.returncode == 0, first.stderr
    out = v2_folder / "restart.json"
    again = _metalus(v2_folder, "retrigger", "session1", "--from",
                     "simple_restart_pipeline.simple_restart_pipeline.STEP_2", "--step2Value", "restart",
                     "--quiet", "--output-json", str(out))
    assert again.returncode == 0, again.stderr
    steps = json.loads(out.read_text())["executions"]["simple_restart_pipeline"]["pipelines"][
        "simple_restart_pipeline"]["steps"]
    assert steps["STEP_1"]["restored"] is True  # reused, not recomputed
    assert steps["STEP_2"]["primaryReturn"] == "STEP1 -> STEP2 -> restart"
    assert steps["STEP_3"]["primaryReturn"] == "STEP1 -> STEP2 -> restart -> STEP3"
    assert not steps["STEP_2"].get("restored") and not steps["STEP_3"].get("restored")
