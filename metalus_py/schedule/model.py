"""The schedule file (DESIGN.md section 13): pydantic models, also the source of its JSON Schema.

The models check shapes and types; the rules that need more than one field or the file system
(cron syntax, time zone, ``endAt`` after ``startAt``, the application file, unique names) are
checked by :mod:`metalus_py.schedule.validate`, which reports every problem with its JSON path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: A schedule name is part of run ids: 1-100 of these characters.
NAME_PATTERN = r"^[A-Za-z0-9._-]{1,100}$"


class Schedule(BaseModel):
    """One scheduled application."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    name: str = Field(description="1-100 characters of A-Z a-z 0-9 . _ - (part of every run id)",
                      pattern=NAME_PATTERN)
    application: str = Field(description="the application file, relative to the schedule file's folder")
    cron: str = Field(description="a 5-field cron expression (minute hour day-of-month month day-of-week) "
                                  "or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually")
    timezone: str = Field("UTC", description="IANA time zone the cron expression is read in")
    parameters: dict[str, Any] = Field(default_factory=dict,
                                       description="globals of every run, with their JSON types")
    catchup: Literal["latest", "all", "none"] = Field(
        "latest", description="after downtime: the most recent missed tick, the most recent maxCatchup, or none")
    max_catchup: int = Field(10, alias="maxCatchup", ge=1, description="how many missed ticks catchup 'all' runs")
    overlap: Literal["skip", "queue", "allow"] = Field(
        "skip", description="what a tick does while the schedule's previous run is still running")
    start_at: str | None = Field(None, alias="startAt",
                                 description="ISO 8601; no tick before it (without an offset: in timezone)")
    end_at: str | None = Field(None, alias="endAt",
                               description="ISO 8601; no tick after it (without an offset: in timezone)")
    paused: bool = Field(False, description="a paused schedule records its ticks as skipped")
    retention: str | None = Field(None, description="e.g. '7d': the scheduler prunes this schedule's finished "
                                                    "runs older than that (see `metalus prune`)")
    description: str | None = None


class ScheduleFile(BaseModel):
    """``{"schedules": [...]}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    schedules: list[Schedule] = Field(default_factory=list)


def schedule_json_schema() -> dict[str, Any]:
    """The JSON Schema of the schedule file (``metalus schema --schedules``)."""
    schema = ScheduleFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "metalus_py schedules"
    return schema
