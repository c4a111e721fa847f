"""End-to-end smoke tests of the ``metalus`` command on Metalus corpus applications."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
APPS = TESTS / "resources" / "corpus" / "applications"


def metalus(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(TESTS / "stepsrc"))
    return subprocess.run(
        [sys.executable, "-m", "metalus_py.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_run_writes_result_document_and_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = metalus("run", str(APPS / "parent-child.json"), "--output-json", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out.read_text())
    assert document["status"] == "COMPLETE"
    steps = document["executions"]["1"]["pipelines"]["Pipeline2"]["steps"]
    assert steps["Pipeline2Step1"]["primaryReturn"] == "Fred"
    assert steps["Pipeline2Step1"]["attempts"] == 1


def test_failed_and_paused_runs_exit_1_and_3(tmp_path: Path) -> None:
    failed = metalus("run", str(APPS / "multi-tiered-exception.json"), cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert "Called exception step: fred" in failed.stderr
    paused = metalus("run", str(APPS / "multi-tiered-pause.json"), cwd=tmp_path)
    assert paused.returncode == 3, paused.stderr


def test_validate_rejects_fork_without_join(tmp_path: Path) -> None:
    proc = metalus("validate", str(APPS / "fork-validation-test.json"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Unable to find a join execution for the fork execution 0" in proc.stderr
    assert "executions[0]" in proc.stderr


def test_schema_is_json_schema(tmp_path: Path) -> None:
    proc = metalus("schema", cwd=tmp_path)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert "executions" in schema["properties"]
    assert "stepPackages" in schema["properties"]
