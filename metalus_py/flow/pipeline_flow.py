"""The step loop: run a pipeline's steps from the first, one at a time, following the flow.

The loop is iterative (a 10,000-step chain needs no recursion) and updates the context in
place. Fork, split and step-group steps hand their work to their own modules, passing them
:func:`run_path` to call back for the steps they contain (so they never import this module).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from metalus_py.base.exceptions import (
    MappingError,
    PauseException,
    PipelineException,
    SkipExecutionException,
    StepError,
    StepKilledException,
)
from metalus_py.base.logcontext import step_ids
from metalus_py.base.records import StepRecord
from metalus_py.base.status import StepStatus
from metalus_py.flow.bound import BoundStep
from metalus_py.flow.fork import run_fork
from metalus_py.flow.run import (
    VISIT_LIMIT_ENV,
    VISIT_LIMIT_GLOBAL,
    PipelineRun,
    apply_secondary_returns,
    visit_limit,
    visit_path,
)
from metalus_py.flow.split import run_split
from metalus_py.flow.step_group import run_step_group
from metalus_py.flow.step_location import locate_failure
from metalus_py.flow.tracker import StepTracker
from metalus_py.mapping import map_parameter, map_value
from metalus_py.mapping.mapper import resolve_text
from metalus_py.model.pipeline import Pipeline, PipelineStep
from metalus_py.steps.binding import bind_planned, none_arguments
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.contracts import check_output
from metalus_py.steps.response import (
    StepResponse,
    as_step_response,
)
from metalus_py.steps.runtime import StepKey, step_matches

_LOG = logging.getLogger("metalus_py.flow")


def run_pipeline(pipeline: Pipeline, ctx: PipelineContext, tracker: StepTracker) -> PipelineContext:
    """Run a whole pipeline, then act on the step messages left by its steps.

    Raises:
        PipelineException: (or a subclass) when a step fails, a message pauses or errors, or a
            step asks to skip the execution. ``context`` holds the context at the failure.
    """
    run = PipelineRun(pipeline, tracker)
    if not pipeline.steps:
        raise PipelineException(f"pipeline [{run.pipeline_id}] has no steps", pipeline_id=run.pipeline_id)
    first = pipeline.steps[0].id or ""
    ctx.parameters.ensure(run.pipeline_id)
    ctx.globals["pipelineId"] = run.pipeline_id
    ctx.globals["stepId"] = first
    try:
        run_path(run, first, ctx)
    except PipelineException as error:
        error.set_progress(step_id=ctx.globals.get("stepId"), pipeline_id=run.pipeline_id)
        if error.context is None:
            error.context = ctx
        raise
    raise_for_messages(ctx, run.pipeline_id)
    return ctx


def raise_for_messages(ctx: PipelineContext, pipeline_id: str) -> None:
    """Turn the first ``error``/``pause``/``skip`` step message into its exception."""
    for message in ctx.step_messages:
        if message.kind in ("error", "pause", "skip"):
            cls = {"error": PipelineException, "pause": PauseException, "skip": SkipExecutionException}[message.kind]
            error = cls(message.message, step_id=message.step_id, pipeline_id=message.pipeline_id or pipeline_id)
            error.context = ctx
            raise error
        if message.kind == "warn":
            _LOG.warning("step %s in pipeline %s: %s", message.step_id, message.pipeline_id, message.message)


def run_path(run: PipelineRun, start_id: str | None, ctx: PipelineContext) -> PipelineContext:
    """Run steps from ``start_id`` until the flow ends or reaches a join or merge step."""
    step_id = start_id
    while step_id:
        step = run.steps.get(step_id)
        if step is None:
            if run.structure.is_join_target(step_id):
                return ctx
            raise PipelineException(
                f"Step Id ({step_id}) does not exist in pipeline", pipeline_id=run.pipeline_id
            )
        step_id = execute_step(run, step, ctx)
        if step_id and step_id in run.steps and run.steps[step_id].type_name in ("join", "merge"):
            return ctx
    return ctx


def execute_step(run: PipelineRun, step: PipelineStep, ctx: PipelineContext) -> str | None:
    """Run one step (with retries and ``nextStepOnError``) and return the id of the next step."""
    path = ".".join((*ctx.scope, step.id or ""))
    with step_ids(ctx.services.run_id, ctx.execution_key, run.pipeline_id, path):
        return _execute_step(run, BoundStep.of(step, run.bound), ctx, path)


def _execute_step(run: PipelineRun, bound: BoundStep, ctx: PipelineContext, path: str) -> str | None:
    step = bound.step
    visit = _count_visit(run, bound, ctx, path)
    # A step reached again is a new step run: its key counts the visit, so a durable run claims
    # (and a resume restores) each visit apart, as a plain run computes them.
    key = StepKey(ctx.execution_key, run.journal_pipeline_id, visit_path(path, visit))
    ctx.step_key = str(key)
    ctx.step_visit = visit
    persist = step.persist if step.persist is not None else ctx.services.persist_default
    record = run.tracker.started(ctx, bound.step_id, path)
    record.visits = visit
    ctx.globals["stepId"] = bound.step_id
    # Only function steps are journaled (claimed, restored); containers re-run their inner steps.
    record.journaled = bound.is_function and ctx.durable
    if record.journaled:
        restored = ctx.services.journal.begin(key, record, persist=persist)
        if restored is not None:
            return _finish(run, step, ctx, key, record, restored, persist=persist, restored=True)
        take_stale = getattr(ctx.services.journal, "take_stale", None)
        stale = take_stale(key) if take_stale is not None else None
        if stale is not None:
            run.tracker.stale(ctx, record, stale)
    outcome, failure = _attempts(run, bound, ctx, key, record)
    if failure is not None:
        locate_failure(failure, run.pipeline, step)
        if not isinstance(failure, StepKilledException) and ctx.services.kill.step_killed(key):
            failure = StepKilledException(f"step {key} was killed: {failure}", step_id=bound.step_id,
                                          pipeline_id=run.pipeline_id, cause=failure)
        return _fail(run, step, ctx, key, record, failure)
    if isinstance(outcome, _Skipped):
        return _finish(run, step, ctx, key, record, outcome.response, persist=persist, restored=False,
                       skip_to=(outcome.next_step_id,))
    if isinstance(outcome, _Continue):
        record.status = StepStatus.COMPLETE
        run.tracker.completed(ctx, key, record, StepResponse(None, None), persist=False)
        return outcome.next_step_id
    return _finish(run, step, ctx, key, record, outcome, persist=persist, restored=False)


def _count_visit(run: PipelineRun, bound: BoundStep, ctx: PipelineContext, path: str) -> int:
    """This visit's number (1 for the first); a loop past the visit limit fails the pipeline."""
    visit = run.visits.get(path, 0) + 1
    run.visits[path] = visit
    limit = visit_limit(ctx, run.visit_limit_env)
    if visit > limit:
        raise PipelineException(
            f"step {bound.step_id} of pipeline {run.pipeline_id} was reached {visit} times, more than the limit of "
            f"{limit} visits per step (global {VISIT_LIMIT_GLOBAL}, env {VISIT_LIMIT_ENV}): a loop that never ends?",
            step_id=bound.step_id, pipeline_id=run.pipeline_id,
        )
    return visit


def _attempts(
    run: PipelineRun, bound: BoundStep, ctx: PipelineContext, key: StepKey, record: StepRecord
) -> tuple[Any, PipelineException | None]:
    """Run the step's body, retrying as its retry policy says: ``(outcome, None)`` or ``(None, failure)``."""
    step_id = bound.step_id
    kill = ctx.services.kill
    attempt = 0
    earlier = record.attempts  # attempts of earlier processes (a resumed durable run)
    while True:
        ctx.globals["stepRetryCount"] = attempt
        record.attempts = earlier + attempt + 1
        try:
            if kill.step_killed(key):
                raise StepKilledException(f"step {key} was killed", step_id=step_id, pipeline_id=run.pipeline_id)
            outcome = _dispatch(run, bound, ctx, record)
            if kill.step_targeted(key):  # this step was killed while it ran
                raise StepKilledException(f"step {key} was killed", step_id=step_id, pipeline_id=run.pipeline_id)
            ctx.globals.pop("stepRetryCount", None)
            return outcome, None
        except Exception as exc:
            failure = _normalise(exc, step_id, run.pipeline_id)
            delay = _retry_delay(bound.step, attempt, failure)
            if delay is None:
                break
            if kill.step_killed(key):  # killed: no further attempt
                failure = StepKilledException(f"step {key} was killed", step_id=step_id, pipeline_id=run.pipeline_id)
                break
            run.tracker.retry(ctx, key, record, failure, delay)
        _sleep(delay, ctx)
        attempt += 1
    ctx.globals.pop("stepRetryCount", None)
    return None, failure


def _fail(
    run: PipelineRun, step: PipelineStep, ctx: PipelineContext, key: StepKey, record: StepRecord, error: PipelineException
) -> str:
    """Record a failed step; go to ``nextStepOnError`` when set, else raise ``error`` (with the context)."""
    step_id = step.id or ""
    run.tracker.failed(ctx, key, record, error, killed=isinstance(error, StepKilledException))
    if step.next_step_on_error and not isinstance(error, StepKilledException | SkipExecutionException):
        ctx.set_step_result(run.pipeline_id, step_id, StepResponse(error, None))
        _update_position(ctx, run.pipeline_id, step_id, step.next_step_on_error)
        return step.next_step_on_error
    if error.context is None:
        error.context = ctx
    raise error


class _Skipped:
    """A fork or split step whose ``executeIfEmpty`` gave a value: its block is skipped."""

    def __init__(self, response: StepResponse, next_step_id: str | None) -> None:
        self.response = response
        self.next_step_id = next_step_id


class _Continue:
    """Returned by fork and split steps: they stored their own results; carry on at ``next_step_id``."""

    def __init__(self, next_step_id: str | None) -> None:
        self.next_step_id = next_step_id


def _dispatch(run: PipelineRun, bound: BoundStep, ctx: PipelineContext, record: StepRecord) -> Any:
    step = bound.step
    values = _map_parameters(bound, ctx, run.pipeline_id)
    if step.execute_if_empty is not None:
        dynamic = map_value(step.execute_if_empty, ctx, type_name="text", name="dynamic")
        if dynamic is not None:
            if bound.kind in ("fork", "split"):
                return _Skipped(StepResponse(dynamic, None), _after_block(run, step))
            return StepResponse(dynamic, None)
    if bound.is_function:
        return _call_function(run, bound, ctx, values, record)
    kind = bound.kind
    if kind == "fork":
        return _Continue(run_fork(run, step, ctx, values, run_path))
    if kind == "split":
        return _Continue(run_split(run, step, ctx, run_path))
    if kind == "step-group":
        return run_step_group(run, step, ctx, values, run_path)
    if kind in ("join", "merge"):
        return _Continue(step.next_step_id)
    return _call_function(run, bound, ctx, values, record)


def _after_block(run: PipelineRun, step: PipelineStep) -> str | None:
    """The step after a fork's join or a split's merge (``None``: the block runs to the pipeline end)."""
    if step.type_name == "fork":
        join_id = run.structure.fork_body(step.id or "").join_id
        return run.steps[join_id].next_step_id if join_id else None
    merges = {path.merge_id for path in run.structure.split_paths(step.id or "")}
    merge_id = merges.pop() if len(merges) == 1 else None
    return run.steps[merge_id].next_step_id if merge_id else None


def map_step_parameters(step: PipelineStep, ctx: PipelineContext, pipeline_id: str) -> dict[str, Any]:
    """Every non-``result`` parameter of the step, mapped (``required`` ones must give a value)."""
    return _map_parameters(BoundStep.of(step, {}), ctx, pipeline_id)


def _map_parameters(bound: BoundStep, ctx: PipelineContext, pipeline_id: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for mapped in bound.parameters:
        param = mapped.param
        try:
            value = resolve_text(mapped.text, ctx) if mapped.text is not None else map_parameter(param, ctx)
        except PipelineException as exc:
            exc.details.setdefault("parameter", param.name)
            raise
        except Exception as exc:
            raise MappingError(f"parameter [{param.name}] of step [{bound.step_id}] in pipeline [{pipeline_id}] "
                               f"could not be mapped: {type(exc).__name__}: {exc}", step_id=bound.step_id,
                               pipeline_id=pipeline_id, parameter=param.name) from exc
        if value is None and param.required:
            raise MappingError(
                f"required parameter [{param.name}] (params[{mapped.index}]) of step [{bound.step_id}] in pipeline "
                f"[{pipeline_id}] has no value: {param.value!r} resolved to nothing",
                step_id=bound.step_id,
                pipeline_id=pipeline_id,
                parameter=param.name,
            )
        values[mapped.name] = value
    return values


def _call_function(
    run: PipelineRun, bound: BoundStep, ctx: PipelineContext, values: dict[str, Any], record: StepRecord
) -> StepResponse:
    step = bound.step
    meta = step.engine_meta
    target = meta.target if meta is not None else None
    if not target:
        raise PipelineException(
            f"EngineMeta is required for [{step.type}] step [{step.id}] in pipeline [{run.pipeline_id}]",
            step_id=step.id,
            pipeline_id=run.pipeline_id,
        )
    call = bound.bind_call(ctx.services.resolver.resolve(target, meta.pkg if meta else None))
    validate = ctx.globals.get("validateStepParameterTypes") in (True, "true", "True")
    args, kwargs = bind_planned(
        call.plan, values, ctx, validate_types=validate, step_id=step.id, pipeline_id=run.pipeline_id
    )
    ctx.step_metrics = record.metrics
    try:
        result = call.function(*args, **kwargs)
    except PipelineException:
        raise
    except Exception as exc:
        error = StepError.wrap(exc, step_id=step.id, pipeline_id=run.pipeline_id)
        suspects = none_arguments(call.function, kwargs)
        if suspects:  # name the parameter involved: an argument that cannot be None was given None
            error.details["parameter"] = suspects[0]
        raise error from exc
    response = as_step_response(result)
    if call.schema:
        check_output(call.schema, response.primary_return, step_id=step.id, pipeline_id=run.pipeline_id)
    return response


def _finish(
    run: PipelineRun,
    step: PipelineStep,
    ctx: PipelineContext,
    key: StepKey,
    record: StepRecord,
    response: StepResponse,
    *,
    persist: bool,
    restored: bool,
    skip_to: tuple[str | None] | None = None,
) -> str | None:
    apply_secondary_returns(ctx, response, record.metrics)
    step_id = step.id or ""
    ctx.set_step_result(run.pipeline_id, step_id, response)
    next_id = skip_to[0] if skip_to is not None else next_step_id(step, response)
    _update_position(ctx, run.pipeline_id, step_id, next_id)
    replacement = run.tracker.completed(ctx, key, record, response, persist=persist, restored=restored)
    if replacement is not None:  # e.g. persisted lazy frames, collected once: later steps reuse them
        ctx.set_step_result(run.pipeline_id, step_id, replacement)
    stop = ctx.services.stop_after
    if stop is not None and step_matches(key, stop):
        raise PauseException(f"until {stop}", step_id=step_id, pipeline_id=run.pipeline_id)
    return next_id


def _update_position(ctx: PipelineContext, pipeline_id: str, step_id: str, next_id: str | None) -> None:
    ctx.globals["pipelineId"] = pipeline_id
    ctx.globals["lastStepId"] = step_id
    ctx.globals["stepId"] = next_id


def next_step_id(step: PipelineStep, response: StepResponse) -> str | None:
    """The step after ``step``: for a branch, the ``result`` parameter named like its answer."""
    if step.type_name != "branch":
        return step.next_step_id
    answer = branch_answer(response.primary_return)
    for param in step.params:
        if param.type_name == "result" and param.name == answer:
            return param.value if isinstance(param.value, str) else None
    return None


def branch_answer(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _normalise(exc: BaseException, step_id: str, pipeline_id: str) -> PipelineException:
    if isinstance(exc, PipelineException):
        exc.set_progress(step_id=step_id, pipeline_id=pipeline_id)
        return exc
    return StepError.wrap(exc, step_id=step_id, pipeline_id=pipeline_id)


def _retry_delay(step: PipelineStep, attempt: int, error: PipelineException) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` when no retry is due."""
    if error.terminal or step.retry_limit <= 0 or attempt >= step.retry_limit:
        return None
    policy = step.retry_policy
    if policy is None:
        return float(attempt)  # Metalus: 0 s, 1 s, 2 s, ...
    if policy.type == "fixed":
        delay = policy.delay_seconds
    elif policy.type == "linear":
        delay = policy.delay_seconds * (attempt + 1)
    else:
        delay = policy.delay_seconds * (policy.multiplier**attempt)
    delay = min(delay, policy.max_delay_seconds)
    if policy.jitter:
        delay = max(0.0, delay + random.uniform(-policy.jitter, policy.jitter))
    return delay


def _sleep(seconds: float, ctx: PipelineContext) -> None:
    deadline = time.monotonic() + seconds
    while not ctx.services.kill.run_killed:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))
