"""The command line of DESIGN.md section 7: help anywhere runs nothing, --version, options belong to
their command, unused ``--name value`` pairs are warned with did-you-mean."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from metalus_py.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
STEPSRC = ROOT / "tests" / "stepsrc"


def _app(tmp_path: Path) -> Path:
    """An application that writes a marker file (so a test knows whether it ran) and echoes ``!limit``."""
    document = {
        "stepPackages": ["validation_steps"],
        "requiredParameters": ["markerFile"],
        "executions": [{"id": "E", "pipelines": [{"id": "P", "steps": [
            {"id": "MARK", "type": "Pipeline", "nextStepId": "LIMIT", "engineMeta": {"command": "MarkerSteps.writeMarker"},
             "params": [{"name": "path", "type": "text", "value": "!markerFile"}]},
            {"id": "LIMIT", "type": "Pipeline", "engineMeta": {"command": "MarkerSteps.echo"},
             "params": [{"name": "value", "type": "text", "value": "!limit || no limit"}]}]}]}]}
    location = tmp_path / "app.json"
    location.write_text(json.dumps(document))
    return location


def _metalus(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(STEPSRC), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("METALUS_STATE", None)
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_after_the_application_runs_nothing(tmp_path: Path, flag: str) -> None:
    app = _app(tmp_path)
    marker = tmp_path / "marker.txt"
    completed = _metalus("run", str(app), "--markerFile", str(marker), flag, "--state", "none", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "usage: metalus run APP.json" in completed.stdout
    assert "--output-json" in completed.stdout
    assert not marker.exists() and not (tmp_path / ".metalus").exists()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("metalus 0.")


def test_option_of_another_command_is_a_global(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    app = _app(tmp_path)
    out = tmp_path / "result.json"
    code = main(["run", str(app), "--limit", "5", "--markerFile", str(tmp_path / "m.txt"), "--state", "none",
                 "--output-json", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    steps = json.loads(out.read_text())["executions"]["E"]["pipelines"]["P"]["steps"]
    assert steps["LIMIT"]["primaryReturn"] == "5"


def test_misspelt_option_is_warned_with_did_you_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    app = _app(tmp_path)
    code = main(["validate", str(app), "--markerFile", "m.txt", "--ouput-json", "x.json"])
    output = capsys.readouterr()
    assert code == 0
    warning = [line for line in (output.out + output.err).splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, output
    assert "command line: --ouput-json x.json is not an option" in warning[0]
    assert "did you mean '--output-json'?" in warning[0]
    code = main(["run", str(app), "--markerFile", "m.txt", "--ouput-json", "x.json", "--strict", "--state", "none"])
    output = capsys.readouterr()
    assert code == 2 and "error:" in output.err and "did you mean '--output-json'?" in output.err
    assert not (tmp_path / "m.txt").exists()


def test_required_parameters_and_engine_settings_are_never_warned(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    app = _app(tmp_path)
    code = main(["validate", str(app), "--markerFile", "m.txt", "--validateStepParameterTypes", "true",
                 "--limit", "3"])
    output = capsys.readouterr()
    assert code == 0 and "0 warning(s)" in output.out, output


def test_command_without_globals_rejects_an_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "--limt", "5"]) == 2
    assert "unknown option --limt for metalus runs; did you mean '--limit'?" in capsys.readouterr().err


def test_failed_run_names_the_step_path_and_parameter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    document = {"stepPackages": ["contract_steps"], "executions": [{"id": "E", "pipelines": [{"id": "P", "steps": [
        {"id": "SUM", "type": "Pipeline", "engineMeta": {"command": "TypedSteps.total"},
         "params": [{"name": "column", "type": "text", "value": "a"},
                    {"name": "frame", "type": "text", "value": "!frame"}]}]}]}]}
    app = tmp_path / "app.json"
    app.write_text(json.dumps(document))
    code = main(["run", str(app), "--frame", "not a frame", "--state", "none", "--events", "none", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"^  E\s+ERROR\b.*\[at executions\[0\]\.pipelines\[0\]\.steps\[0\]", err, re.M), err
