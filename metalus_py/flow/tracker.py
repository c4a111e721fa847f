"""The one door through which a step's status changes: records, events and the journal move together."""

from __future__ import annotations

import threading
from typing import Any

from metalus_py.base.records import PipelineRecord, StepRecord, error_info, now
from metalus_py.base.status import StepStatus
from metalus_py.events import RunEvent
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import StepResponse
from metalus_py.steps.runtime import StepKey
from metalus_py.steps.summary import frame_metrics, summarize_value


class StepTracker:
    """Records one pipeline's steps and tells listeners and the journal as they change."""

    def __init__(self, record: PipelineRecord, *, execution_id: str, fork_index: list[int] | None) -> None:
        self.record = record
        self.execution_id = execution_id
        self.fork_index = fork_index
        self._lock = threading.Lock()

    def _event(self, ctx: PipelineContext, kind: str, step: StepRecord, **extra: Any) -> None:
        if not ctx.services.events.active:
            return
        ctx.services.events.emit(
            RunEvent(
                kind,
                run_id=ctx.services.run_id,
                execution_id=self.execution_id,
                fork_index=self.fork_index,
                pipeline_id=self.record.pipeline_id,
                step_id=step.step_id,
                path=step.path,
                **extra,
            )
        )

    def started(self, ctx: PipelineContext, step_id: str, path: str) -> StepRecord:
        step = StepRecord(step_id=step_id, path=path, group_id=ctx.globals.get("groupId"))
        with self._lock:
            self.record.steps[path] = step
        if ctx.services.events.active:
            self._event(ctx, "step_started", step, timestamp=step.started_at)
        return step

    def stale(self, ctx: PipelineContext, step: StepRecord, reason: str) -> None:
        """The step's stored result is stale (a source changed): it is computed again."""
        self._event(ctx, "step_stale", step, data={"reason": reason})

    def retry(self, ctx: PipelineContext, key: StepKey, step: StepRecord, error: BaseException, delay: float) -> None:
        if step.journaled:
            ctx.services.journal.retried(key, step, error)
        self._event(ctx, "step_retry", step, error=str(error), data={"attempt": step.attempts, "delay": delay})

    def completed(
        self, ctx: PipelineContext, key: StepKey, step: StepRecord, response: StepResponse, *, persist: bool,
        restored: bool = False,
    ) -> StepResponse | None:
        """Mark the step COMPLETE; returns the journal's replacement response, if it gave one."""
        step.ended_at = now()
        step.status = StepStatus.COMPLETE
        step.restored = restored
        step.primary_return = summarize_value(response.primary_return)
        step.named_returns = summarize_value(response.named_returns) if response.named_returns else None
        step.metrics.update(frame_metrics(response.primary_return))
        replacement = None
        if step.journaled and not restored:
            replacement = ctx.services.journal.completed(key, step, response, persist=persist)
        if ctx.services.events.active:
            self._event(ctx, "step_finished", step, timestamp=step.ended_at,
                        duration=step.ended_at - step.started_at, status=StepStatus.COMPLETE)
        return replacement

    def failed(self, ctx: PipelineContext, key: StepKey, step: StepRecord, error: BaseException, *, killed: bool) -> None:
        step.ended_at = now()
        step.status = StepStatus.KILLED if killed else StepStatus.ERROR
        step.error = error_info(error)
        if step.journaled:
            ctx.services.journal.failed(key, step)
        kind = "step_killed" if killed else "step_exception"
        self._event(ctx, kind, step, timestamp=step.ended_at, duration=step.ended_at - step.started_at,
                    status=step.status, error=str(error))
