"""The run result document (DESIGN.md section 6) and the run status rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.json_text import dumps_indented
from metalus_py.base.records import PipelineRecord, StepRecord
from metalus_py.base.status import ExecutionStatus, RunStatus, StepStatus, outcome_word
from metalus_py.base.timestamps import duration, iso
from metalus_py.flow.execution import ExecutionOutcome

#: Exit codes of ``metalus run`` (DESIGN.md section 7).
EXIT_CODES: dict[str, int] = {RunStatus.COMPLETE: 0, RunStatus.FAILED: 1, "INVALID": 2, RunStatus.PAUSED: 3, RunStatus.KILLED: 4}


def run_status(statuses: list[str], *, killed: bool = False) -> str:
    """FAILED if any execution ERROR, else PAUSED, else KILLED, else COMPLETE."""
    if ExecutionStatus.ERROR in statuses:
        return RunStatus.FAILED
    if ExecutionStatus.PAUSED in statuses:
        return RunStatus.PAUSED
    if killed or ExecutionStatus.KILLED in statuses:
        return RunStatus.KILLED
    return RunStatus.COMPLETE


@dataclass
class RunResult:
    """The outcome of a whole run; ``to_dict()`` gives the result document."""

    run_id: str
    application_id: str
    executions: dict[str, ExecutionOutcome]
    started_at: float
    ended_at: float
    killed: bool = False
    events_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The secret values the run saw: redacted from the document after the run, when the process
    #: no longer remembers them (see ``metalus_py.base.runscope``).
    secrets: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def status(self) -> str:
        return run_status([o.status for o in self.executions.values()], killed=self.killed)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def execution(self, key: str) -> ExecutionOutcome:
        return self.executions[key]

    def step_result(self, execution: str, pipeline_id: str, step_id: str) -> Any:
        """The live primary return of a step (not a summary)."""
        value = self.executions[execution].parameters.get(pipeline_id, {}).get(step_id)
        return getattr(value, "primary_return", value)

    def to_dict(self) -> dict[str, Any]:
        """The result document (credentials never appear: the run's and known secret values are redacted)."""
        from metalus_py.base.secrets import known_secrets, redact, secrets_in_play

        values = self.secrets | known_secrets()
        document = self._document()
        return redact(document, values) if values or secrets_in_play() else document

    def _document(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "applicationId": self.application_id,
            "status": self.status,
            "outcome": outcome_word(self.status, (o.status for o in self.executions.values())),
            "startedAt": iso(self.started_at),
            "endedAt": iso(self.ended_at),
            "durationSeconds": duration(self.started_at, self.ended_at),
            **({"events": self.events_path} if self.events_path else {}),
            "executions": {key: execution_document(o) for key, o in self.executions.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result document as JSON text (indented by ``indent`` spaces; ``None``: one line)."""
        if indent == 2:
            return dumps_indented(self.to_dict())
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{k}</td><td>{o.status}</td><td>{o.reason or ''}</td></tr>" for k, o in self.executions.items()
        )
        return (
            f"<b>Run {self.run_id}</b> ({self.application_id}): <b>{self.status}</b>"
            f"<table><tr><th>execution</th><th>status</th><th>reason</th></tr>{rows}</table>"
        )


def execution_document(outcome: ExecutionOutcome) -> dict[str, Any]:
    return {
        "executionId": outcome.execution_id,
        "status": outcome.status,
        "reason": outcome.reason,
        "error": outcome.error.to_dict() if outcome.error else None,
        "forkIndex": outcome.fork_index[-1] if outcome.fork_index and len(outcome.fork_index) == 1
        else outcome.fork_index,
        "startedAt": iso(outcome.started_at),
        "endedAt": iso(outcome.ended_at),
        "durationSeconds": duration(outcome.started_at, outcome.ended_at),
        **({"decidedBy": outcome.decided_by} if outcome.decided_by else {}),
        "pipelines": {pid: pipeline_document(p) for pid, p in outcome.pipelines.items()},
        **({"worker": outcome.worker} if outcome.worker else {}),
    }


def pipeline_document(record: PipelineRecord) -> dict[str, Any]:
    top: dict[str, Any] = {}
    nested: dict[str, list[tuple[str, StepRecord]]] = {}
    prefix = "evaluation." if record.evaluation else ""
    for full_path, step in record.steps.items():
        path = full_path[len(prefix) :] if prefix and full_path.startswith(prefix) else full_path
        if path == step.step_id:
            top[path] = step_document(step)
        else:
            nested.setdefault(path.split(".", 1)[0].split("[", 1)[0], []).append((path, step))
    # Steps inside fork values and step groups appear under the step that ran them, by path.
    for owner, steps in nested.items():
        entry = top.setdefault(owner, {"status": StepStatus.COMPLETE})
        entry["steps"] = {path: step_document(s) for path, s in steps}
    # A step of a fork body also appears once at the top, its values merged into lists in value
    # order (``None`` where a value did not run it), as the pipeline itself sees the step.
    for step_id, values in _fork_body_steps(nested).items():
        top.setdefault(step_id, merged_step_document(values))
    return {
        "status": record.status,
        "startedAt": iso(record.started_at),
        "endedAt": iso(record.ended_at),
        "durationSeconds": duration(record.started_at, record.ended_at),
        "error": record.error.to_dict() if record.error else None,
        "steps": top,
    }


_FORK_SEGMENT = re.compile(r"^[^.\[\]]+\[(\d+)\]$")


def _fork_body_steps(nested: dict[str, list[tuple[str, StepRecord]]]) -> dict[str, dict[tuple[int, ...], StepRecord]]:
    """Records of fork-body steps by step id, keyed by their fork-value indexes."""
    found: dict[str, dict[tuple[int, ...], StepRecord]] = {}
    for steps in nested.values():
        for path, step in steps:
            *scopes, step_id = path.split(".")
            matches = [_FORK_SEGMENT.match(s) for s in scopes]
            if scopes and all(matches):
                found.setdefault(step_id, {})[tuple(int(m.group(1)) for m in matches if m)] = step
    return found


def _nest(values: dict[tuple[int, ...], Any], depth: int, prefix: tuple[int, ...] = ()) -> list[Any]:
    keys = [k for k in values if k[: len(prefix)] == prefix]
    if not keys:
        return []
    size = max(k[len(prefix)] for k in keys) + 1
    if len(prefix) + 1 == depth:
        return [values.get((*prefix, i)) for i in range(size)]
    return [_nest(values, depth, (*prefix, i)) for i in range(size)]


def merged_step_document(values: dict[tuple[int, ...], StepRecord]) -> dict[str, Any]:
    """One fork-body step over all values: returns as (nested) lists in value order."""
    depth = max(len(k) for k in values)
    records = list(values.values())
    statuses = {r.status for r in records}
    status = next((s for s in (StepStatus.ERROR, StepStatus.KILLED, StepStatus.RUNNING) if s in statuses), StepStatus.COMPLETE)
    primary = _nest({k: r.primary_return for k, r in values.items()}, depth)
    names = sorted({n for r in records for n in (r.named_returns or {})})
    named = {n: _nest({k: (r.named_returns or {}).get(n) for k, r in values.items()}, depth) for n in names}
    started = min(r.started_at for r in records)
    ended = max((r.ended_at for r in records if r.ended_at is not None), default=None)
    return {
        "status": status,
        "attempts": sum(r.attempts for r in records),
        "primaryReturn": primary,
        "namedReturns": named or None,
        "startedAt": iso(started),
        "endedAt": iso(ended),
        "durationSeconds": duration(started, ended),
        "metrics": {},
        "error": None,
        "forkValues": len(records),
    }


def step_document(step: StepRecord) -> dict[str, Any]:
    return {
        "status": step.status,
        "attempts": step.attempts,
        "primaryReturn": step.primary_return,
        "namedReturns": step.named_returns,
        "startedAt": iso(step.started_at),
        "endedAt": iso(step.ended_at),
        "durationSeconds": duration(step.started_at, step.ended_at),
        "metrics": step.metrics,
        "error": step.error.to_dict() if step.error else None,
        "restored": step.restored or None,
        **({"visits": step.visits} if step.visits > 1 else {}),
    }
