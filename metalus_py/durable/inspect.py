"""Reading recorded runs back: ``metalus runs`` and ``metalus show RUN``.

``show --json`` gives the shape of the run result document (DESIGN.md section 6): executions in
plan order, evaluation pipelines as ``P (evaluation)`` with their steps, per-attempt times and
durations read from the event log (:mod:`metalus_py.durable.timeline`), the deciding step of a
STOP/SKIP as ``decidedBy``, timestamps in the one output form, and the run's outcome word.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from metalus_py.api.results import EXIT_CODES
from metalus_py.base.keys import parse_instance_key
from metalus_py.base.status import RunStatus, outcome_word
from metalus_py.base.timestamps import duration, epoch, iso_text
from metalus_py.durable.timeline import Span, Timeline, read_timeline
from metalus_py.state import ExecutionRecord, PipelineRunRecord, RunRecord, StateStore, StepRunRecord

#: The journal path of a later visit of a looping step: ``STEP~2``.
_VISIT = re.compile(r"(.+)~(\d+)")

#: The label of an evaluation pipeline among an execution's pipelines (as in the result document).
EVALUATION_LABEL = "{} (evaluation)"


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds between two stored timestamps, rounded as every output rounds them."""
    return duration(epoch(start), epoch(end))


def run_outcome(store: StateStore, run: RunRecord) -> str:
    """The outcome word of a recorded run (one store query for a COMPLETE run, none otherwise)."""
    if run.status != RunStatus.COMPLETE:
        return str(run.status)
    return outcome_word(run.status, (e.status for e in store.list_executions(run_id=run.run_id)))


@dataclass(frozen=True)
class _Plan:
    """The order of executions and pipelines the application file gives."""

    executions: dict[str, int]
    pipelines: dict[str, list[str]]
    evaluations: dict[str, list[str]]

    @classmethod
    def of(cls, application_json: str) -> _Plan:
        try:
            document = json.loads(application_json or "{}")
        except ValueError:
            document = {}
        executions = [e for e in document.get("executions") or [] if isinstance(e, dict)]
        return cls({str(e.get("id")): i for i, e in enumerate(executions)},
                   {str(e.get("id")): list(e.get("pipelineIds") or []) for e in executions},
                   {str(e.get("id")): list(e.get("evaluationPipelineIds") or []) for e in executions})

    def execution_position(self, key: str) -> tuple[int, tuple[int, ...], str]:
        execution_id, index = parse_instance_key(key)
        return self.executions.get(execution_id, len(self.executions)), index, key

    def pipeline_label(self, execution_id: str, pipeline_id: str) -> str:
        evaluation = pipeline_id in self.evaluations.get(execution_id, ())
        return EVALUATION_LABEL.format(pipeline_id) if evaluation else pipeline_id

    def pipeline_position(self, execution_id: str, label: str) -> int:
        order = [EVALUATION_LABEL.format(p) for p in self.evaluations.get(execution_id, ())]
        order += self.pipelines.get(execution_id, [])
        return order.index(label) if label in order else len(order)


def _timing(span: Span | None, started: str | None, ended: str | None) -> dict[str, Any]:
    """Times of the last attempt: from its events when the log has them, else from the row."""
    if span is not None and (span.started_at or span.ended_at):
        return {"startedAt": span.started_at, "endedAt": span.ended_at, "durationSeconds": span.duration}
    return {"startedAt": iso_text(started), "endedAt": iso_text(ended),
            "durationSeconds": seconds_between(started, ended)}


@dataclass
class RecordedRun:
    """A run as the state store holds it: the same document shape as a live result."""

    run: RunRecord
    executions: list[ExecutionRecord]
    steps: list[StepRunRecord]
    pipelines: dict[tuple[str, str], PipelineRunRecord]
    timeline: Timeline = field(default_factory=Timeline)

    @classmethod
    def load(cls, store: StateStore, run_id: str) -> RecordedRun:
        run = store.get_run(run_id=run_id)
        if run is None:
            raise KeyError(run_id)
        pipelines = {(p.execution_key, p.pipeline_id): p for p in store.list_pipelines(run_id=run_id)}
        timeline = read_timeline(r.event for r in store.list_events(run_id=run_id))
        return cls(run, store.list_executions(run_id=run_id), store.list_steps(run_id=run_id), pipelines, timeline)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> str:
        return str(self.run.status)

    @property
    def outcome(self) -> str:
        """The outcome word: ``COMPLETE (stopped by evaluation)``, ``FAILED``, ..."""
        return outcome_word(self.run.status, (e.status for e in self.executions))

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    def to_dict(self) -> dict[str, Any]:
        plan = _Plan.of(self.run.application_json)
        executions: dict[str, Any] = {}
        for execution in sorted(self.executions, key=lambda e: plan.execution_position(e.execution_key)):
            span = self.timeline.executions.get(execution.execution_key)
            executions[execution.execution_key] = {
                "executionId": execution.execution_id,
                "status": str(execution.status),
                "reason": execution.reason,
                "error": execution.error,
                "forkIndex": list(execution.fork_indices) or None,
                **_timing(span, execution.started_at, execution.ended_at),
                **({"decidedBy": span.decided_by} if span is not None and span.decided_by else {}),
                "pipelines": {},
                **({"worker": self.timeline.workers[execution.execution_key]}
                   if execution.execution_key in self.timeline.workers else {}),
            }
        for (key, pipeline_id), record in self.pipelines.items():
            execution_id = parse_instance_key(key)[0]
            entry = executions.setdefault(key, {"executionId": execution_id, "status": "UNKNOWN", "pipelines": {}})
            label = plan.pipeline_label(execution_id, pipeline_id)
            entry["pipelines"][label] = {
                "status": str(record.status),
                **_timing(self.timeline.pipelines.get((key, pipeline_id)), record.started_at, record.ended_at),
                "steps": self._evaluation_steps(key, pipeline_id) if label != pipeline_id else {},
            }
        self._add_steps(executions)
        for key, entry in executions.items():
            execution_id = parse_instance_key(key)[0]
            entry["pipelines"] = dict(sorted(entry["pipelines"].items(),
                                             key=lambda kv: plan.pipeline_position(execution_id, kv[0])))
        return {
            "runId": self.run.run_id,
            "applicationId": self.run.application_id,
            "status": self.status,
            "outcome": self.outcome,
            "startedAt": iso_text(self.run.started_at),
            "endedAt": iso_text(self.run.ended_at),
            "durationSeconds": seconds_between(self.run.started_at, self.run.ended_at),
            "parentRunId": self.run.parent_run_id,
            "executions": executions,
        }

    def _evaluation_steps(self, key: str, pipeline_id: str) -> dict[str, Any]:
        return {path: {"status": str(span.status), "attempts": span.attempts,
                       "startedAt": span.started_at, "endedAt": span.ended_at, "durationSeconds": span.duration}
                for path, span in self.timeline.evaluation_steps(key, pipeline_id).items()}

    def _add_steps(self, executions: dict[str, Any]) -> None:
        """Journaled steps by pipeline, in the order the run first started them."""
        order = {where: i for i, where in enumerate(self.timeline.steps)}
        seen_visits: dict[tuple[str, str, str], int] = {}
        rows = []
        for step in self.steps:
            # A step a loop reached again is recorded per visit (``S~2``): shown once, its last visit.
            looped = _VISIT.fullmatch(step.step_path)
            path, visit = (looped[1], int(looped[2])) if looped else (step.step_path, 1)
            where = (step.execution_key, step.pipeline_id, path)
            if seen_visits.get(where, 0) > visit:
                continue
            seen_visits[where] = visit
            rows.append((order.get(where, len(order)), where, visit, step))
        for _, where, visit, step in sorted(rows, key=lambda r: r[0]):
            key, pipeline_id, path = where
            entry = executions.setdefault(key, {"executionId": parse_instance_key(key)[0], "pipelines": {}})
            pipeline = entry["pipelines"].setdefault(pipeline_id, {"status": "UNKNOWN", "steps": {}})
            ref = step.output_ref or {}
            primary = ref.get("primary") or {}
            pipeline["steps"][path] = {
                "status": str(step.status),
                "attempts": step.attempts,
                "primaryReturn": primary.get("value", primary.get("summary")),
                "namedReturns": {k: v.get("value", v.get("summary")) for k, v in (ref.get("named") or {}).items()}
                or None,
                **_timing(self.timeline.steps.get(where), step.started_at, step.ended_at),
                "metrics": step.metrics or {},
                "error": step.error,
                **({"visits": visit} if visit > 1 else {}),
            }

    def tree(self) -> str:
        """A text tree: executions -> pipelines -> steps with status, attempts, timings and errors."""
        document = self.to_dict()
        lines = [f"run {self.run_id} ({self.run.application_id}) {document['outcome']}  "
                 f"started {document['startedAt']}" + (f"  ended {document['endedAt']}" if document["endedAt"] else "")]
        if self.run.parent_run_id:
            lines.append(f"  retriggered from run {self.run.parent_run_id}")
        for key, execution in document["executions"].items():
            reason = f"  - {execution.get('reason')}" if execution.get("reason") else ""
            decided = f"  decided by {execution['decidedBy']}" if execution.get("decidedBy") else ""
            worker = execution.get("worker")
            where = f" on {worker.get('host')}:{worker.get('pid')}" if isinstance(worker, dict) else ""
            lines.append(f"  execution {key}: {execution.get('status')}{_took(execution)}{where}{reason}{decided}")
            for pipeline_id, pipeline in execution["pipelines"].items():
                lines.append(f"    pipeline {pipeline_id}: {pipeline['status']}{_took(pipeline)}")
                for path, step in pipeline["steps"].items():
                    error = f"  error: {step['error'].get('message')}" if step.get("error") else ""
                    metrics = f"  metrics: {_metrics_text(step.get('metrics'))}" if step.get("metrics") else ""
                    lines.append(
                        f"      step {path}: {step['status']} attempts={step['attempts']}{_took(step)}{metrics}{error}"
                    )
        return "\n".join(lines)


def _took(entry: dict[str, Any]) -> str:
    seconds = entry.get("durationSeconds")
    return f" {seconds:.3f}s" if seconds is not None else ""


def _metrics_text(metrics: Any) -> str:
    if not isinstance(metrics, dict):
        return str(metrics)
    return ", ".join(f"{k}={v}" for k, v in metrics.items())


def run_line(store: StateStore, run: RunRecord, outcome: str | None = None) -> dict[str, Any]:
    """One run as ``runs --json`` and the monitor's run list give it (``outcome``: when known already)."""
    return {"runId": run.run_id, "applicationId": run.application_id, "status": str(run.status),
            "outcome": outcome or run_outcome(store, run), "startedAt": iso_text(run.started_at),
            "endedAt": iso_text(run.ended_at), "durationSeconds": seconds_between(run.started_at, run.ended_at),
            "parentRunId": run.parent_run_id}


def runs_table(lines: list[dict[str, Any]]) -> str:
    """``metalus runs``: one line per run, newest first (PARENT: the run a retrigger came from)."""
    width = max([7, *(len(str(line["outcome"])) for line in lines)])
    out = [f"{'RUN':<14} {'OUTCOME':<{width}} {'DURATION':>10}  {'STARTED':<24} {'PARENT':<14} APPLICATION"]
    for line in lines:
        took = line["durationSeconds"]
        duration_text = f"{took:.2f}s" if took is not None else "-"
        out.append(f"{line['runId']:<14} {line['outcome']:<{width}} {duration_text:>10}  {line['startedAt']:<24} "
                   f"{line['parentRunId'] or '-':<14} {line['applicationId']}")
    return "\n".join(out)
