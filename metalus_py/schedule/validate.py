"""Reading and checking a schedule file: every problem reported at once, with its JSON path.

Checked: JSON syntax (line and column), the shape and type of every field, unknown fields
(with did-you-mean), schedule names (1-100 of ``A-Z a-z 0-9 . _ -``, unique), cron syntax,
time zones, ``startAt``/``endAt`` (ISO 8601, ``endAt`` after ``startAt``), ``retention``, and
each schedule's application: the file must exist and pass ``metalus validate`` with the
schedule's parameters and the ``scheduleName``/``scheduledTime`` globals a tick gives it.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from metalus_py.base.exceptions import ApplicationError
from metalus_py.model.loader import parse_json, read_text
from metalus_py.schedule.cron import check_cron, normalize
from metalus_py.schedule.model import Schedule, ScheduleFile
from metalus_py.schedule.timing import parse_duration, parse_instant
from metalus_py.validation import ValidationReport
from metalus_py.validation.shapes import describe_error

__all__ = ["LoadedSchedule", "LoadedSchedules", "load_schedules", "validate_schedules"]

#: Globals every tick's run receives (DESIGN.md section 13).
TICK_GLOBALS = ("scheduleName", "scheduledTime")


@dataclass(frozen=True)
class LoadedSchedule:
    """A checked schedule with its derived values."""

    spec: Schedule
    index: int
    application: str
    cron: str
    zone: ZoneInfo
    start_at: datetime | None
    end_at: datetime | None
    retention: timedelta | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        """Its JSON path in the file (``schedules[1]``)."""
        return f"schedules[{self.index}]"


@dataclass(frozen=True)
class LoadedSchedules:
    """The checked schedules of one file."""

    source: str
    schedules: tuple[LoadedSchedule, ...]

    def get(self, name: str) -> LoadedSchedule:
        """The schedule called ``name``.

        Raises:
            ApplicationError: no such schedule (with did-you-mean).
        """
        for schedule in self.schedules:
            if schedule.name == name:
                return schedule
        names = [s.name for s in self.schedules]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (schedules: {', '.join(names) or 'none'})"
        raise ApplicationError(f"{self.source}: no schedule named {name!r}{hint}")


def load_schedules(location: str, *, check_applications: bool = True) -> LoadedSchedules:
    """Read and check a schedule file.

    Raises:
        ApplicationValidationError: the file has errors (every one listed, with its JSON path).
    """
    report, loaded = validate_schedules(location, check_applications=check_applications)
    report.raise_for_errors()
    assert loaded is not None
    return loaded


def validate_schedules(
    location: str, *, check_applications: bool = True
) -> tuple[ValidationReport, LoadedSchedules | None]:
    """Check a schedule file; the report lists every problem, the schedules are returned when valid."""
    report = ValidationReport(location)
    try:
        document = parse_json(read_text(location), location)
    except ApplicationError as exc:
        report.error("", str(exc).removeprefix(f"{location}: "))
        return report, None
    if not isinstance(document, dict):
        report.error("", f"expected a JSON object {{\"schedules\": [...]}}, got {type(document).__name__}")
        return report, None
    _unknown_fields(document, ScheduleFile, "", report)
    entries = document.get("schedules", [])
    if not isinstance(entries, list):
        report.error("schedules", f"expected a list of schedules, got {_kind(entries)}")
        return report, None
    loaded: list[LoadedSchedule] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        schedule = _check_entry(entry, index, location, report, seen, check_applications)
        if schedule is not None:
            loaded.append(schedule)
    if not report.ok:
        return report, None
    return report, LoadedSchedules(location, tuple(loaded))


def _check_entry(
    entry: Any, index: int, location: str, report: ValidationReport, seen: dict[str, int], check_applications: bool
) -> LoadedSchedule | None:
    path = f"schedules[{index}]"
    if not isinstance(entry, dict):
        report.error(path, f"expected a schedule object, got {_kind(entry)}")
        return None
    before = len(report.errors)
    _unknown_fields(entry, Schedule, path, report)
    spec: Schedule | None = None
    try:
        spec = Schedule.model_validate(entry)
    except ValidationError as exc:
        for error in exc.errors():
            if error.get("type") == "extra_forbidden":
                continue  # reported by _unknown_fields, with a suggestion
            report.error(_path(path, error["loc"]), _describe(error))
    name = entry.get("name")
    if isinstance(name, str):
        if name in seen:
            report.error(f"{path}.name", f"duplicate schedule name {name!r} (also schedules[{seen[name]}])",
                         "give every schedule its own name", subject=name)
        else:
            seen[name] = index
    cron, zone, start_at, end_at, retention = _semantic_checks(entry, path, report)
    if spec is None:
        return None
    application = _resolve(location, spec.application)
    if check_applications and not _check_application(spec, application, path, report):
        return None
    if len(report.errors) > before:
        return None
    assert cron is not None and zone is not None
    return LoadedSchedule(spec, index, application, cron, zone, start_at, end_at, retention)


def _semantic_checks(
    entry: dict[str, Any], path: str, report: ValidationReport
) -> tuple[str | None, ZoneInfo | None, datetime | None, datetime | None, timedelta | None]:
    cron = zone = start_at = end_at = retention = None
    expression = entry.get("cron")
    if isinstance(expression, str):
        problem = check_cron(expression)
        if problem:
            report.error(f"{path}.cron", problem, "e.g. \"0 6 * * *\" for 06:00 every day")
        else:
            cron = normalize(expression)
    zone_name = entry.get("timezone", "UTC")
    if isinstance(zone_name, str):
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            report.error(f"{path}.timezone", f"unknown time zone {zone_name!r}",
                         "use an IANA name such as 'UTC', 'Europe/Paris' or 'America/New_York'")
    for key in ("startAt", "endAt"):
        value = entry.get(key)
        if isinstance(value, str):
            try:
                instant = parse_instant(value, zone or ZoneInfo("UTC"))
            except ValueError:
                report.error(f"{path}.{key}", f"expected an ISO 8601 date or date-time, got {value!r}",
                             "e.g. 2024-01-31T06:00:00Z")
                continue
            if key == "startAt":
                start_at = instant
            else:
                end_at = instant
    if start_at is not None and end_at is not None and end_at <= start_at:
        report.error(f"{path}.endAt", f"endAt {entry['endAt']!r} is not after startAt {entry['startAt']!r}")
    if isinstance(entry.get("retention"), str):
        try:
            retention = parse_duration(entry["retention"])
        except ValueError as exc:
            report.error(f"{path}.retention", str(exc))
    return cron, zone, start_at, end_at, retention


def _check_application(spec: Schedule, application: str, path: str, report: ValidationReport) -> bool:
    from metalus_py.api import validate_application

    if not _exists(application):
        report.error(f"{path}.application", f"application file not found: {application}",
                     "the path is relative to the schedule file's folder", subject=spec.application)
        return False
    parameters = {**spec.parameters, "scheduleName": spec.name, "scheduledTime": "2000-01-01T00:00:00Z"}
    app_report = validate_application(application, parameters, source=application)
    for problem in app_report.problems:
        if problem.severity == "warning" and problem.subject in TICK_GLOBALS:
            continue
        report.add(problem)
    if not app_report.ok:
        report.error(f"{path}.application", f"the application {spec.application!r} is invalid "
                     f"({len(app_report.errors)} error(s), listed above)", subject=spec.application)
        return False
    return True


def _resolve(location: str, application: str) -> str:
    """``application`` relative to the schedule file's folder (URLs and absolute paths as given)."""
    if "://" in application or os.path.isabs(application):
        return application
    if "://" in location:
        return posixpath.join(posixpath.dirname(location), application)
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(location)), application))


def _exists(location: str) -> bool:
    if "://" not in location:
        return os.path.isfile(location)
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(location)
        return bool(fs.exists(path))
    except (ImportError, ValueError, OSError):
        return False


def _unknown_fields(data: dict[str, Any], model: type[Schedule] | type[ScheduleFile], path: str,
                    report: ValidationReport) -> None:
    known = [f.alias or n for n, f in model.model_fields.items()]
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            report.error(f"{path}.{key}" if path else str(key), f"unknown field {key!r}",
                         f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(known)}",
                         subject=str(key))


def _path(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(error: Any) -> str:
    if error.get("type") == "string_pattern_mismatch" and tuple(error.get("loc", ()))[-1:] == ("name",):
        return (f"a schedule name is 1-100 characters of A-Z a-z 0-9 . _ - (it is part of run ids), "
                f"got {error.get('input')!r}")
    if error.get("type") == "missing":
        return f"missing required field {error['loc'][-1]!r}"
    return describe_error(error)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__)
