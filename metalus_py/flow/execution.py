"""Running one execution: evaluation pipelines decide RUN/SKIP/STOP, then its pipelines in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import (
    ForkedPipelineStepException,
    MappingError,
    PauseException,
    PipelineException,
    SkipExecutionException,
    SplitStepException,
    StepDefinitionError,
    StepError,
    StepKilledException,
)
from metalus_py.base.records import ErrorInfo, PipelineRecord, error_info, now
from metalus_py.base.status import ExecutionStatus, PipelineStatus
from metalus_py.events import RunEvent
from metalus_py.flow.pipeline_flow import run_pipeline
from metalus_py.flow.tracker import StepTracker
from metalus_py.model.pipeline import Pipeline
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.runtime import RunServices

_LOG = logging.getLogger("metalus_py.execution")

#: Exceptions that mean an evaluation *failed* (ERROR) rather than decided STOP: a step's own
#: error wrapped by the engine, a mapping or definition problem, a failed fork or split.
_EVALUATION_FAILURES = (StepError, MappingError, StepDefinitionError, ForkedPipelineStepException, SplitStepException)

#: The scope of evaluation-pipeline steps, keeping their paths apart from the main pipelines'.
EVALUATION_SCOPE = "evaluation"


@dataclass
class ExecutionOutcome:
    """What one execution instance produced: its status, final globals and step results."""

    key: str
    execution_id: str
    fork_index: list[int] | None
    status: str
    reason: str | None = None
    error: ErrorInfo | None = None
    globals: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    pipelines: dict[str, PipelineRecord] = field(default_factory=dict)
    started_at: float = field(default_factory=now)
    ended_at: float | None = None
    #: ``{"host", "pid"}`` of the worker process that ran it (distributed executors only).
    worker: dict[str, Any] | None = None
    #: ``PIPELINE.STEP`` that decided a STOP or SKIP (an evaluation, or a main pipeline's skip).
    decided_by: str | None = None

    @property
    def favourable(self) -> bool:
        """Whether children may run after this execution."""
        return self.status in (ExecutionStatus.COMPLETE, ExecutionStatus.SKIPPED)


@dataclass
class ExecutionSpec:
    """Everything needed to run one execution instance (it pickles for remote workers)."""

    key: str
    execution_id: str
    fork_index: list[int] | None
    globals: dict[str, Any]
    parameters: dict[str, dict[str, Any]]
    pipelines: list[Pipeline]
    evaluation_pipelines: list[Pipeline]
    initial_pipeline_id: str | None = None


def run_execution(spec: ExecutionSpec, services: RunServices) -> ExecutionOutcome:
    """Run one execution instance and report its outcome (never raises for step failures)."""
    outcome = ExecutionOutcome(spec.key, spec.execution_id, spec.fork_index, ExecutionStatus.RUNNING)
    _emit(services, "execution_started", spec, timestamp=outcome.started_at)
    globals_ = dict(spec.globals)
    globals_["executionId"] = spec.execution_id
    if spec.evaluation_pipelines:
        decision = _evaluate(spec, services, outcome, globals_)
        if decision is not None:
            return _close(outcome, services, spec)
    ctx = PipelineContext(
        globals=globals_,
        parameters=PipelineParameters(spec.parameters),
        services=services,
        execution_key=spec.key,
    )
    pipelines = _from_initial(spec.pipelines, spec.initial_pipeline_id)
    try:
        for pipeline in pipelines:
            _run_one(pipeline, ctx, services, spec, outcome)
        outcome.status = ExecutionStatus.COMPLETE
    except SkipExecutionException as skip:
        outcome.status, outcome.reason = ExecutionStatus.SKIPPED, skip.message or "a pipeline asked to skip the execution"
        outcome.decided_by = _decider(skip)
        _mark_skipped(pipelines, outcome, services, spec)
    except PauseException as pause:
        outcome.status, outcome.reason, outcome.error = ExecutionStatus.PAUSED, pause.message, error_info(pause)
    except StepKilledException as killed:
        outcome.status, outcome.reason, outcome.error = ExecutionStatus.KILLED, killed.message, error_info(killed)
    except Exception as exc:
        outcome.status, outcome.error = ExecutionStatus.ERROR, error_info(exc)
        outcome.reason = outcome.error.message
    outcome.globals = ctx.globals
    outcome.parameters = ctx.parameters.to_dict()
    return _close(outcome, services, spec)


def _run_one(
    pipeline: Pipeline, ctx: PipelineContext, services: RunServices, spec: ExecutionSpec, outcome: ExecutionOutcome
) -> None:
    record = PipelineRecord(pipeline.id or "")
    outcome.pipelines[record.pipeline_id] = record
    if services.events.active:
        services.events.emit(_pipeline_event("pipeline_started", services, spec, record))
    try:
        run_pipeline(pipeline, ctx, StepTracker(record, execution_id=spec.execution_id, fork_index=spec.fork_index))
        record.status = PipelineStatus.COMPLETE
    except SkipExecutionException:
        record.status = PipelineStatus.SKIPPED
        raise
    except PauseException as pause:
        record.status, record.error = PipelineStatus.PAUSED, error_info(pause)
        raise
    except Exception as exc:
        record.status, record.error = PipelineStatus.ERROR, error_info(exc)
        raise
    finally:
        record.ended_at = now()
        if services.events.active:
            services.events.emit(_pipeline_event("pipeline_finished", services, spec, record))


def _evaluate(
    spec: ExecutionSpec, services: RunServices, outcome: ExecutionOutcome, globals_: dict[str, Any]
) -> str | None:
    """Run the evaluation pipelines; return ``None`` for RUN, else the decided status."""
    eval_globals = dict(globals_)
    eval_globals["executionId"] = f"{spec.execution_id}-evaluation"
    ctx = PipelineContext(
        globals=eval_globals,
        parameters=PipelineParameters(spec.parameters),
        services=services,
        execution_key=spec.key,
        scope=(EVALUATION_SCOPE,),
        durable=False,  # an evaluation decides on the current input: never restored on resume
    )
    try:
        for pipeline in spec.evaluation_pipelines:
            record_holder = ExecutionOutcome(spec.key, spec.execution_id, spec.fork_index, PipelineStatus.RUNNING)
            try:
                _run_one(pipeline, ctx, services, spec, record_holder)
            finally:
                for pid, record in record_holder.pipelines.items():
                    record.evaluation = True
                    outcome.pipelines[f"{pid} (evaluation)"] = record
        return None
    except SkipExecutionException as skip:
        outcome.status, outcome.reason = ExecutionStatus.SKIPPED, f"evaluation decided SKIP: {skip.message}"
        outcome.decided_by = _decider(skip)
        _mark_skipped(spec.pipelines, outcome, services, spec)
    except StepKilledException as killed:
        outcome.status, outcome.reason, outcome.error = ExecutionStatus.KILLED, killed.message, error_info(killed)
    except _EVALUATION_FAILURES as failed:  # a step broke: not a decision
        outcome.status, outcome.error = ExecutionStatus.ERROR, error_info(failed)
        outcome.reason = f"evaluation failed: {outcome.error.message}"
    except PipelineException as stop:
        outcome.status, outcome.reason = ExecutionStatus.STOPPED, f"evaluation decided STOP: {stop}"
        outcome.decided_by = _decider(stop)
        outcome.error = error_info(stop)
    except Exception as exc:
        outcome.status, outcome.error = ExecutionStatus.ERROR, error_info(exc)
        outcome.reason = f"evaluation failed: {outcome.error.message}"
    outcome.globals = dict(globals_)
    return outcome.status


def _decider(decision: PipelineException) -> str | None:
    """``PIPELINE.STEP`` of the step whose exception decided a STOP or SKIP, when known."""
    if decision.pipeline_id and decision.step_id:
        return f"{decision.pipeline_id}.{decision.step_id}"
    return None


def _mark_skipped(
    pipelines: list[Pipeline], outcome: ExecutionOutcome, services: RunServices, spec: ExecutionSpec
) -> None:
    """Record the pipelines a SKIP left out as SKIPPED (and tell listeners, so a store lists them)."""
    for pipeline in pipelines:
        pid = pipeline.id or ""
        if pid not in outcome.pipelines:
            at = now()
            record = PipelineRecord(pid, status=PipelineStatus.SKIPPED, started_at=at, ended_at=at)
            outcome.pipelines[pid] = record
            if services.events.active:
                services.events.emit(_pipeline_event("pipeline_finished", services, spec, record))


def _from_initial(pipelines: list[Pipeline], initial: str | None) -> list[Pipeline]:
    if initial:
        for index, pipeline in enumerate(pipelines):
            if pipeline.id == initial:
                return pipelines[index:]
    return pipelines


#: The event that ends an execution, by its status (any other status: ``execution_stopped``).
_CLOSING_EVENTS: dict[str, str] = {
    ExecutionStatus.COMPLETE: "execution_finished",
    ExecutionStatus.SKIPPED: "execution_skipped",
}


def _settle(outcome: ExecutionOutcome, services: RunServices, spec: ExecutionSpec) -> None:
    """Wait for the step outputs the journal still writes; a failed write fails the execution."""
    settle = getattr(services.journal, "settle", None)
    if settle is None:
        return
    try:
        settle(spec.key)
    except Exception as exc:
        if outcome.status in (ExecutionStatus.ERROR, ExecutionStatus.KILLED):
            return  # ended by an earlier failure: that one is the reason
        outcome.status, outcome.error = ExecutionStatus.ERROR, error_info(exc)
        outcome.reason = outcome.error.message


def _close(outcome: ExecutionOutcome, services: RunServices, spec: ExecutionSpec) -> ExecutionOutcome:
    _settle(outcome, services, spec)
    outcome.ended_at = now()
    if not services.events.active:  # no listener: no event to build
        return outcome
    kind = _CLOSING_EVENTS.get(outcome.status, "execution_stopped")
    _emit(services, kind, spec, status=outcome.status, error=outcome.reason if outcome.error else None,
          timestamp=outcome.ended_at, duration=outcome.ended_at - outcome.started_at,
          data={"decidedBy": outcome.decided_by} if outcome.decided_by else {})
    return outcome


def _emit(services: RunServices, kind: str, spec: ExecutionSpec, **extra: Any) -> None:
    if not services.events.active:
        return
    services.events.emit(
        RunEvent(kind, run_id=services.run_id, execution_id=spec.execution_id, fork_index=spec.fork_index, **extra)
    )


def _pipeline_event(kind: str, services: RunServices, spec: ExecutionSpec, record: PipelineRecord) -> RunEvent:
    return RunEvent(
        kind,
        run_id=services.run_id,
        execution_id=spec.execution_id,
        fork_index=spec.fork_index,
        pipeline_id=record.pipeline_id,
        status=record.status if kind.endswith("finished") else None,
        # the record's own clock readings, so a recorded run shows the result document's times
        timestamp=(record.ended_at or now()) if kind.endswith("finished") else record.started_at,
        duration=(record.ended_at - record.started_at) if record.ended_at else None,
    )
