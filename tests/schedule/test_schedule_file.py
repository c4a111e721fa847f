"""The schedule file: JSON Schema, validation with JSON paths (exit 2, nothing recorded), examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metalus_py.cli.main import main
from metalus_py.schedule import load_schedules, schedule_json_schema, validate_schedules
from tests.durable.conftest import Metalus
from tests.schedule.conftest import write_files

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "application_configs" / "schedules.json"


def test_schema_command_prints_the_schedule_file_schema(sqlite_metalus: Metalus) -> None:
    done = sqlite_metalus("schema", "--schedules")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema == json.loads(json.dumps(schedule_json_schema()))
    fields = schema["$defs"]["Schedule"]["properties"]
    assert {"name", "application", "cron", "timezone", "parameters", "catchup", "maxCatchup", "overlap",
            "startAt", "endAt", "paused", "retention"} <= set(fields)
    assert fields["catchup"]["enum"] == ["latest", "all", "none"]
    assert fields["overlap"]["enum"] == ["skip", "queue", "allow"]
    assert fields["name"]["pattern"] == "^[A-Za-z0-9._-]{1,100}$"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"cron": "61 * * * *"}, "schedules[1].cron", "Bad minute"),
        ({"cron": "0 0 * * * *"}, "schedules[1].cron", "expected 5 fields"),
        ({"timezone": "Mars/Olympus"}, "schedules[1].timezone", "unknown time zone"),
        ({"startAt": "2024-02-01T00:00:00Z", "endAt": "2024-01-01T00:00:00Z"}, "schedules[1].endAt",
         "not after startAt"),
        ({"startAt": "yesterday"}, "schedules[1].startAt", "ISO 8601"),
        ({"application": "missing.json"}, "schedules[1].application", "application file not found"),
        ({"name": "first"}, "schedules[1].name", "duplicate schedule name 'first'"),
        ({"name": "nightly load"}, "schedules[1].name", "1-100 characters"),
        ({"name": "x" * 101}, "schedules[1].name", "1-100 characters"),
        ({"catchup": "sometimes"}, "schedules[1].catchup", "'latest', 'all' or 'none'"),
        ({"overlap": "never"}, "schedules[1].overlap", "'skip', 'queue' or 'allow'"),
        ({"maxCatchup": "3"}, "schedules[1].maxCatchup", "expected an integer"),
        ({"maxCatchup": 0}, "schedules[1].maxCatchup", "greater than or equal to 1"),
        ({"paused": "yes"}, "schedules[1].paused", "expected a boolean"),
        ({"timeZone": "UTC"}, "schedules[1].timeZone", "did you mean 'timezone'"),
        ({"retention": "a week"}, "schedules[1].retention", "expected a duration"),
    ],
)
def test_bad_schedule_files_exit_2_naming_the_json_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    change: dict[str, object], path: str, words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"name": "first", "cron": "0 * * * *"}, {"name": "second", "cron": "0 6 * * *", **change})
    assert main(["schedule", "validate", "schedules.json"]) == 2
    err = capsys.readouterr().err
    assert f"schedules.json: {path}: " in err and words in err, err
    assert not (tmp_path / ".metalus").exists(), "validating records nothing"


def test_tick_and_scheduler_refuse_an_invalid_file_recording_nothing(sqlite_metalus: Metalus) -> None:
    folder = sqlite_metalus.cwd
    write_files(folder, {"name": "first", "cron": "0 * * * *"}, {"name": "second", "cron": "61 * * * *"})
    for command in (["schedule", "tick"], ["scheduler"], ["schedule", "validate"]):
        done = sqlite_metalus(*command, "schedules.json", "--now", "2024-05-01T10:00:00Z")
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "schedules.json: schedules[1].cron: " in done.stderr and "Bad minute" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (folder / ".metalus").exists(), "an invalid schedule file must record nothing"
    assert not (folder / "side.jsonl").exists()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write_files(tmp_path, {"name": "a", "cron": "61 * * * *", "timezone": "Nowhere/City"},
                {"name": "a", "cron": "0 * * * *", "application": "nope.json"})
    report, loaded = validate_schedules(str(tmp_path / "schedules.json"))
    assert loaded is None
    assert sorted(p.path for p in report.errors) == [
        "schedules[0].cron", "schedules[0].timezone", "schedules[1].application", "schedules[1].name"]


def test_an_invalid_application_is_reported_under_the_schedule(tmp_path: Path) -> None:
    path = write_files(tmp_path, {"name": "a", "cron": "0 * * * *"})
    broken = json.loads((tmp_path / "app.json").read_text())
    broken["executions"][0]["parents"] = ["NOPE"]
    (tmp_path / "app.json").write_text(json.dumps(broken))
    report, _ = validate_schedules(str(path))
    paths = {(Path(p.source).name, p.path) for p in report.errors}
    assert ("schedules.json", "schedules[0].application") in paths
    assert ("app.json", "executions[0].parents[0]") in paths or any(
        source == "app.json" and p.startswith("executions[0]") for source, p in paths), paths


def test_schedule_parameters_satisfy_required_parameters(tmp_path: Path) -> None:
    path = write_files(tmp_path, {"name": "a", "cron": "0 * * * *"})
    app = json.loads((tmp_path / "app.json").read_text())
    app["requiredParameters"] = ["region", "scheduledTime"]
    (tmp_path / "app.json").write_text(json.dumps(app))
    report, _ = validate_schedules(str(path))
    assert sorted((Path(p.source).name, p.path) for p in report.errors) == [
        ("app.json", "requiredParameters"), ("schedules.json", "schedules[0].application")]
    assert "region" in report.format() and "scheduledTime" not in report.errors[0].message
    write_files(tmp_path, {"name": "a", "cron": "0 * * * *", "parameters": {"region": "eu"}})
    (tmp_path / "app.json").write_text(json.dumps(app))
    assert validate_schedules(str(path))[0].ok


def test_the_example_schedule_file_is_valid(sqlite_metalus: Metalus) -> None:
    loaded = load_schedules(str(EXAMPLE))
    assert loaded.schedules, "the example declares at least one schedule"
    for schedule in loaded.schedules:
        assert Path(schedule.application).is_file()
    done = sqlite_metalus("schedule", "validate", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    listing = sqlite_metalus("schedule", "list", str(EXAMPLE), "--json", "--now", "2024-01-01T00:00:00Z")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert all(len(row["nextFireTimes"]) == 3 for row in rows if not row["paused"])
