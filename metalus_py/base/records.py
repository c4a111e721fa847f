"""What happened while running: step, pipeline and execution records (the audit tree).

Records are plain data (they pickle), filled by the flow through one door
(:class:`metalus_py.flow.tracker.StepTracker`) and turned into the run result document.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import MetalusError, PipelineException
from metalus_py.base.status import PipelineStatus, StepStatus
from metalus_py.base.timestamps import iso

__all__ = ["ErrorInfo", "PipelineRecord", "StepRecord", "error_info", "iso", "now"]


def now() -> float:
    return time.time()


@dataclass
class ErrorInfo:
    """An error as recorded: type, message and traceback text."""

    type: str
    message: str
    traceback: str | None = None
    step_id: str | None = None
    pipeline_id: str | None = None
    #: Where the failing step (and parameter) is defined in the application file, when known.
    json_path: str | None = None
    parameter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The error as the result document shows it."""
        out = {"type": self.type, "message": self.message, "stepId": self.step_id, "pipelineId": self.pipeline_id}
        if self.json_path:
            out["jsonPath"] = self.json_path
            if self.parameter:
                out["parameter"] = self.parameter
        return out

    def stored(self) -> dict[str, Any]:
        """The error as the state store keeps it: type, message and traceback."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


def error_info(error: BaseException) -> ErrorInfo:
    """The recorded form of an exception (its cause's traceback when it wraps one)."""
    cause = getattr(error, "cause", None) or error.__cause__ or error
    text = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
    message = error.message if isinstance(error, MetalusError) else str(error)
    if isinstance(error, PipelineException):
        message = str(error)
    return ErrorInfo(
        type=type(error).__name__,
        message=message,
        traceback=text,
        step_id=getattr(error, "step_id", None),
        pipeline_id=getattr(error, "pipeline_id", None),
        json_path=_detail(error, "json_path"),
        parameter=_detail(error, "parameter"),
    )


def _detail(error: BaseException, name: str) -> str | None:
    value = (getattr(error, "details", None) or {}).get(name)
    return value if isinstance(value, str) else None


@dataclass
class StepRecord:
    """One step of one pipeline run (inside a fork value or a step group, ``path`` says where)."""

    step_id: str
    path: str
    status: str = StepStatus.RUNNING
    attempts: int = 0
    started_at: float = field(default_factory=now)
    ended_at: float | None = None
    primary_return: Any = None
    named_returns: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    restored: bool = False
    group_id: str | None = None
    #: Whether the durability journal claimed this step (function steps outside evaluations).
    journaled: bool = False
    #: How many times the flow reached this step in its pipeline run (a loop); the record is the last visit.
    visits: int = 1


@dataclass
class PipelineRecord:
    """One pipeline of one execution."""

    pipeline_id: str
    status: str = PipelineStatus.RUNNING
    started_at: float = field(default_factory=now)
    ended_at: float | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)
    error: ErrorInfo | None = None
    evaluation: bool = False

