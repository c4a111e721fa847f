"""Reading recorded runs back: ``metalus runs`` and ``metalus show RUN``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from metalus_py.api.results import EXIT_CODES
from metalus_py.state import ExecutionRecord, PipelineRunRecord, RunRecord, StateStore, StepRunRecord

#: The journal path of a later visit of a looping step: ``STEP~2``.
_VISIT = re.compile(r"(.+)~(\d+)")


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 6)


@dataclass
class RecordedRun:
    """A run as the state store holds it: the same document shape as a live result."""

    run: RunRecord
    executions: list[ExecutionRecord]
    steps: list[StepRunRecord]
    pipelines: dict[tuple[str, str], PipelineRunRecord]
    #: ``{"host", "pid"}`` of the worker that last started each execution key (distributed runs).
    workers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, store: StateStore, run_id: str) -> RecordedRun:
        run = store.get_run(run_id=run_id)
        if run is None:
            raise KeyError(run_id)
        pipelines = {(p.execution_key, p.pipeline_id): p for p in store.list_pipelines(run_id=run_id)}
        return cls(run, store.list_executions(run_id=run_id), store.list_steps(run_id=run_id), pipelines,
                   _workers(store, run_id))

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> str:
        return str(self.run.status)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    def to_dict(self) -> dict[str, Any]:
        executions: dict[str, Any] = {}
        for execution in self.executions:
            executions[execution.execution_key] = {
                "executionId": execution.execution_id,
                "status": str(execution.status),
                "reason": execution.reason,
                "error": execution.error,
                "forkIndex": list(execution.fork_indices) or None,
                "startedAt": execution.started_at,
                "endedAt": execution.ended_at,
                "pipelines": {},
                **({"worker": self.workers[execution.execution_key]}
                   if execution.execution_key in self.workers else {}),
            }
        for (key, pipeline_id), record in self.pipelines.items():
            entry = executions.setdefault(key, {"executionId": key, "status": "UNKNOWN", "pipelines": {}})
            entry["pipelines"][pipeline_id] = {
                "status": str(record.status),
                "startedAt": record.started_at,
                "endedAt": record.ended_at,
                "durationSeconds": _seconds(record.started_at, record.ended_at),
                "steps": {},
            }
        seen_visits: dict[tuple[str, str, str], int] = {}
        for step in self.steps:
            entry = executions.setdefault(step.execution_key, {"executionId": step.execution_key, "pipelines": {}})
            pipeline = entry["pipelines"].setdefault(step.pipeline_id, {"status": "UNKNOWN", "steps": {}})
            ref = step.output_ref or {}
            primary = ref.get("primary") or {}
            # A step a loop reached again is recorded per visit (``S~2``): shown once, its last visit.
            looped = _VISIT.fullmatch(step.step_path)
            path, visit = (looped[1], int(looped[2])) if looped else (step.step_path, 1)
            where = (step.execution_key, step.pipeline_id, path)
            if seen_visits.get(where, 0) > visit:
                continue
            seen_visits[where] = visit
            pipeline["steps"][path] = {
                "status": str(step.status),
                "attempts": step.attempts,
                "primaryReturn": primary.get("value", primary.get("summary")),
                "namedReturns": {k: v.get("value", v.get("summary")) for k, v in (ref.get("named") or {}).items()}
                or None,
                "startedAt": step.started_at,
                "endedAt": step.ended_at,
                "durationSeconds": _seconds(step.started_at, step.ended_at),
                "metrics": step.metrics or {},
                "error": step.error,
                **({"visits": visit} if visit > 1 else {}),
            }
        return {
            "runId": self.run.run_id,
            "applicationId": self.run.application_id,
            "status": self.status,
            "startedAt": self.run.started_at,
            "endedAt": self.run.ended_at,
            "parentRunId": self.run.parent_run_id,
            "executions": executions,
        }

    def tree(self) -> str:
        """A text tree: executions -> pipelines -> steps with status, attempts, timings and errors."""
        document = self.to_dict()
        lines = [f"run {self.run_id} ({self.run.application_id}) {self.status}  started {self.run.started_at}"
                 + (f"  ended {self.run.ended_at}" if self.run.ended_at else "")]
        if self.run.parent_run_id:
            lines.append(f"  retriggered from run {self.run.parent_run_id}")
        for key, execution in document["executions"].items():
            reason = f"  - {execution.get('reason')}" if execution.get("reason") else ""
            seconds = _seconds(execution.get("startedAt"), execution.get("endedAt"))
            timing = f" {seconds:.3f}s" if seconds is not None else ""
            worker = execution.get("worker")
            where = f" on {worker.get('host')}:{worker.get('pid')}" if isinstance(worker, dict) else ""
            lines.append(f"  execution {key}: {execution.get('status')}{timing}{where}{reason}")
            for pipeline_id, pipeline in execution["pipelines"].items():
                seconds = pipeline.get("durationSeconds")
                timing = f" {seconds:.3f}s" if seconds is not None else ""
                lines.append(f"    pipeline {pipeline_id}: {pipeline['status']}{timing}")
                for path, step in pipeline["steps"].items():
                    took = f" {step['durationSeconds']:.3f}s" if step.get("durationSeconds") is not None else ""
                    error = f"  error: {step['error'].get('message')}" if step.get("error") else ""
                    metrics = f"  metrics: {_metrics_text(step.get('metrics'))}" if step.get("metrics") else ""
                    lines.append(
                        f"      step {path}: {step['status']} attempts={step['attempts']}{took}{metrics}{error}"
                    )
        return "\n".join(lines)


def _workers(store: StateStore, run_id: str) -> dict[str, Any]:
    """Which worker started each execution key, from the run's ``execution_started`` events."""
    found: dict[str, Any] = {}
    for record in store.list_events(run_id=run_id):
        event = record.event
        worker = (event.get("data") or {}).get("worker") if event.get("event") == "execution_started" else None
        if worker:
            key = str(event.get("executionId", "")) + "".join(f"[{i}]" for i in event.get("forkIndex") or [])
            found[key] = worker
    return found


def _metrics_text(metrics: Any) -> str:
    if not isinstance(metrics, dict):
        return str(metrics)
    return ", ".join(f"{k}={v}" for k, v in metrics.items())


def runs_table(runs: list[RunRecord]) -> str:
    """``metalus runs``: one line per run, newest first (PARENT: the run a retrigger came from)."""
    lines = [f"{'RUN':<14} {'STATUS':<9} {'DURATION':>10}  {'STARTED':<33} {'PARENT':<14} APPLICATION"]
    for run in runs:
        took = _seconds(run.started_at, run.ended_at)
        duration = f"{took:.2f}s" if took is not None else "-"
        parent = run.parent_run_id or "-"
        lines.append(f"{run.run_id:<14} {str(run.status):<9} {duration:>10}  {run.started_at:<33} {parent:<14} "
                     f"{run.application_id}")
    return "\n".join(lines)
