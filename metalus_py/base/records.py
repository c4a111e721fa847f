"""What happened while running: step, pipeline and execution records (the audit tree).

Records are plain data (they pickle), filled by the flow through one door
(:class:`metalus_py.flow.tracker.StepTracker`) and turned into the run result document.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def now() -> float:
    return time.time()


def iso(ts: float | None) -> str | None:
    """Epoch seconds as an ISO-8601 UTC timestamp."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        out = {"type": self.type, "message": self.message, "stepId": self.step_id, "pipelineId": self.pipeline_id}
        if self.json_path:
            out["jsonPath"] = self.json_path
            if self.parameter:
                out["parameter"] = self.parameter
        return out


@dataclass
class StepRecord:
    """One step of one pipeline run (inside a fork value or a step group, ``path`` says where)."""

    step_id: str
    path: str
    status: str = "RUNNING"
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
    status: str = "RUNNING"
    started_at: float = field(default_factory=now)
    ended_at: float | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)
    error: ErrorInfo | None = None
    evaluation: bool = False

