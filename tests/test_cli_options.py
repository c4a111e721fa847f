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


@pytest.mark.parametrize(("command", "expected"), [
    (["scheduler", "s.json", "--sped", "60"], "unknown option --sped for metalus scheduler; did you mean '--speed'?"),
    (["prune", "--older-than", "7d", "--dry-rn"], "unknown option --dry-rn for metalus prune; did you mean '--dry-run'?"),
    (["schema", "--schedule"], "unknown option --schedule for metalus schema; did you mean '--schedules'?"),
    (["schedule", "tick", "s.json", "--noww", "2024-05-01T10:00:00Z"],
     "unknown option --noww for metalus schedule; did you mean '--now'?"),
])
def test_schedule_commands_have_their_own_options(command: list[str], expected: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize(("command", "shown"), [
    (["schedule", "tick", "s.json", "--now", "2024-05-01T10:00:00Z", "--help"], "metalus schedule tick FILE"),
    (["scheduler", "s.json", "-h", "--speed", "60"], "--speed"),
    (["prune", "--older-than", "7d", "--help"], "--keep-failed"),
    (["runs", "--help"], "--schedule"),
    (["schema", "--schedules", "-h"], "--schedules"),
    (["run", "app.json", "--executor", "dask", "--help"], "--dask-scheduler"),
    (["help", "ui"], "--token"),
])
def test_help_of_the_new_commands_runs_nothing(command: list[str], shown: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    assert shown in capsys.readouterr().out
    assert not (tmp_path / ".metalus").exists()


def test_option_of_a_schedule_command_given_to_run_is_warned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    app = _app(tmp_path)
    code = main(["validate", str(app), "--markerFile", "m.txt", "--speed", "60"])
    output = capsys.readouterr()
    assert code == 0
    assert "--speed 60 is an option of metalus scheduler" in output.out + output.err, output
