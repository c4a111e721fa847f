"""What a run's event log says about its last attempt: times, durations, decisions, evaluation steps.

The engine stamps each event with the clock reading of the record it reports (a step's start,
its end, an execution's end), so the times and durations read back here are exactly those of
the run result document: per attempt (a later attempt replaces an earlier one), never spanning
attempts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.keys import instance_key
from metalus_py.base.status import StepStatus

#: The scope prefix of evaluation-pipeline step paths in events.
EVALUATION_PREFIX = "evaluation."

_ENDS = {"step_finished": StepStatus.COMPLETE, "step_exception": StepStatus.ERROR, "step_killed": StepStatus.KILLED}


@dataclass
class Span:
    """One attempt of an execution, pipeline or step as its events tell it."""

    started_at: str | None = None
    ended_at: str | None = None
    duration: float | None = None
    status: str | None = None
    attempts: int = 0
    decided_by: str | None = None

    def start(self, at: str | None) -> None:
        self.started_at, self.ended_at, self.duration, self.attempts = at, None, None, 1

    def end(self, at: str | None, duration: Any, status: str | None) -> None:
        if self.started_at is None or self.ended_at is not None:  # decided without starting (BLOCKED)
            self.started_at, duration = at, 0.0
        self.ended_at = at
        self.duration = float(duration) if isinstance(duration, int | float) else None
        self.status = status or self.status


@dataclass
class Timeline:
    """Spans by execution key, ``(key, pipeline)`` and ``(key, pipeline, path)``, in first-seen order."""

    executions: dict[str, Span] = field(default_factory=dict)
    pipelines: dict[tuple[str, str], Span] = field(default_factory=dict)
    steps: dict[tuple[str, str, str], Span] = field(default_factory=dict)
    #: ``{"host", "pid"}`` of the worker that last started each execution key (distributed runs).
    workers: dict[str, Any] = field(default_factory=dict)

    def evaluation_steps(self, key: str, pipeline_id: str) -> dict[str, Span]:
        """The steps an evaluation pipeline ran for ``key`` (paths without the evaluation scope)."""
        return {path[len(EVALUATION_PREFIX):]: span for (k, pid, path), span in self.steps.items()
                if k == key and pid == pipeline_id and path.startswith(EVALUATION_PREFIX)}


def read_timeline(events: Iterable[dict[str, Any]]) -> Timeline:
    """Fold a run's events (in log order) into the spans of their last attempts."""
    timeline = Timeline()
    for event in events:
        kind = str(event.get("event", ""))
        key = instance_key(str(event.get("executionId") or ""), event.get("forkIndex"))
        at = event.get("timestamp")
        if kind.startswith("execution_"):
            span = timeline.executions.setdefault(key, Span())
            if kind == "execution_started":
                span.start(at)
                span.decided_by = None
                worker = (event.get("data") or {}).get("worker")
                if worker:
                    timeline.workers[key] = worker
            else:
                span.end(at, event.get("durationSeconds"), event.get("status"))
                span.decided_by = (event.get("data") or {}).get("decidedBy")
        elif kind in ("pipeline_started", "pipeline_finished") and event.get("pipelineId"):
            span = timeline.pipelines.setdefault((key, str(event["pipelineId"])), Span())
            if kind == "pipeline_started":
                span.start(at)
            else:
                span.end(at, event.get("durationSeconds"), event.get("status"))
        elif kind.startswith("step_") and event.get("pipelineId") and event.get("path"):
            span = timeline.steps.setdefault((key, str(event["pipelineId"]), str(event["path"])), Span())
            if kind == "step_started":
                span.start(at)
                span.status = StepStatus.RUNNING
            elif kind == "step_retry":
                span.attempts = int((event.get("data") or {}).get("attempt") or span.attempts) + 1
            elif kind in _ENDS:
                span.end(at, event.get("durationSeconds"), _ENDS[kind])
    return timeline
