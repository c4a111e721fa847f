"""Runs made anywhere (CLI, scheduler, Dask workers, a notebook) opened back in a notebook.

:func:`open_run` rebuilds the notebook result object from the state store: the statuses,
timings and errors the store holds (the same as ``metalus show RUN --json``) and each step's
output reference, so frames are read from the run's artifacts only when asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import fsspec

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.records import ErrorInfo, PipelineRecord, StepRecord
from metalus_py.base.status import ExecutionStatus, RunStatus, StepStatus
from metalus_py.durable.options import RunOptions
from metalus_py.durable.retrigger import RetriggerPoint
from metalus_py.durable.session import retrigger_run
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.notebook.incremental import DEFAULT, is_placeholder, live_values, store_for
from metalus_py.notebook.names import check_step_name
from metalus_py.notebook.results import NotebookResult
from metalus_py.state import RunRecord, StateStore, StepRunRecord

#: The journal path of a later visit of a looping step: ``STEP~2``.
_VISIT = re.compile(r"(.+)~(\d+)")


class RunNotFoundError(ApplicationError, LookupError):
    """The run is not in the store, or its artifacts were pruned."""


def _epoch(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def _error(error: Mapping[str, Any] | None) -> ErrorInfo | None:
    if not error:
        return None
    return ErrorInfo(
        type=str(error.get("type") or "Error"), message=str(error.get("message") or ""),
        traceback=error.get("traceback"), step_id=error.get("stepId"), pipeline_id=error.get("pipelineId"),
    )


def _visit(step_path: str) -> tuple[str, int]:
    """``(path, visit)`` of a journal path: a loop's later visits are recorded as ``STEP~2``..."""
    looped = _VISIT.fullmatch(step_path)
    return (looped[1], int(looped[2])) if looped else (step_path, 1)


def _step(record: StepRunRecord) -> StepRecord:
    ref = record.output_ref or {}
    primary = ref.get("primary") or {}
    named = {k: v.get("value", v.get("summary")) for k, v in (ref.get("named") or {}).items()}
    path, visit = _visit(record.step_path)
    step_id = path.rpartition(".")[2].split("[", 1)[0]
    return StepRecord(
        step_id=step_id, path=path, status=str(record.status), attempts=record.attempts,
        started_at=_epoch(record.started_at) or 0.0, ended_at=_epoch(record.ended_at),
        primary_return=primary.get("value", primary.get("summary")), named_returns=named or None,
        metrics=dict(record.metrics or {}), error=_error(record.error), visits=visit,
    )


def _files(record: StepRunRecord) -> list[str]:
    ref = record.output_ref or {}
    refs = [ref.get("primary") or {}, *(ref.get("named") or {}).values()]
    return [r["url"] for r in refs if isinstance(r, Mapping) and isinstance(r.get("url"), str)]


def _check_not_pruned(store: StateStore, run: RunRecord, steps: list[StepRunRecord]) -> None:
    urls = [url for step in steps if str(step.status) == StepStatus.COMPLETE for url in _files(step)]
    if not urls:
        return
    fs, path = fsspec.core.url_to_fs(urls[0])
    if not fs.exists(path):
        raise RunNotFoundError(
            f"run {run.run_id!r} in the state store {store.url} has been pruned: its artifacts "
            f"(under {run.artifact_root}) are gone, only its records remain (see `metalus show {run.run_id}`)"
        )


def open_run(run_id: str, state: Any = DEFAULT) -> NotebookResult:
    """The result of a recorded run, wherever it was made (frames are read when first asked for).

    Args:
        run_id: the run's id (``metalus runs`` lists them).
        state: the store URL (default: the command line's, ``METALUS_STATE`` or ``.metalus/``).

    Raises:
        RunNotFoundError: no such run in the store, or its artifacts were pruned (the message
            names the run and the store, password masked).
    """
    store = store_for(state)
    if store is None:
        raise ApplicationError("open_run needs a state store; state='none' records nothing")
    run = store.get_run(run_id=run_id)
    if run is None:
        known = [r.run_id for r in store.list_runs(limit=5)]
        hint = f" (newest runs there: {', '.join(known)})" if known else " (it holds no runs)"
        raise RunNotFoundError(f"no run {run_id!r} in the state store {store.url}{hint}")
    steps = store.list_steps(run_id=run_id)
    _check_not_pruned(store, run, steps)
    return _result(store, run, steps)


def _result(store: StateStore, run: RunRecord, steps: list[StepRunRecord]) -> NotebookResult:
    outcomes: dict[str, ExecutionOutcome] = {}
    for execution in store.list_executions(run_id=run.run_id):
        outcomes[execution.execution_key] = ExecutionOutcome(
            key=execution.execution_key, execution_id=execution.execution_id,
            fork_index=list(execution.fork_indices) or None, status=str(execution.status),
            reason=execution.reason, error=_error(execution.error),
            started_at=_epoch(execution.started_at) or 0.0, ended_at=_epoch(execution.ended_at),
        )
    for recorded in store.list_pipelines(run_id=run.run_id):
        outcome = outcomes.setdefault(recorded.execution_key, _unknown(recorded.execution_key))
        outcome.pipelines[recorded.pipeline_id] = PipelineRecord(
            recorded.pipeline_id, status=str(recorded.status), started_at=_epoch(recorded.started_at) or 0.0,
            ended_at=_epoch(recorded.ended_at),
        )
    refs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for step in steps:
        outcome = outcomes.setdefault(step.execution_key, _unknown(step.execution_key))
        pipeline = outcome.pipelines.setdefault(step.pipeline_id, PipelineRecord(step.pipeline_id, status="UNKNOWN"))
        record = _step(step)  # a step a loop reached again is shown once: its last visit
        shown = pipeline.steps.get(record.path)
        if shown is not None and shown.visits > record.visits:
            continue
        pipeline.steps[record.path] = record
        where = (step.execution_key, step.pipeline_id, record.path)
        if step.output_ref and step.output_ref.get("primary") is not None:
            refs[where] = step.output_ref
        else:
            refs.pop(where, None)
    result = NotebookResult(
        run.run_id, run.application_id, outcomes, _epoch(run.started_at) or 0.0,
        _epoch(run.ended_at) or _epoch(run.updated_at) or 0.0, killed=str(run.status) == RunStatus.KILLED,
        document=json.loads(run.application_json), store=store, output_refs=refs,
    )
    result.extra["recordedStatus"] = str(run.status)
    return result


def _unknown(key: str) -> ExecutionOutcome:
    return ExecutionOutcome(key=key, execution_id=key.split("[", 1)[0], fork_index=None, status=ExecutionStatus.PENDING)


def retrigger(result: NotebookResult, start: str, parameters: Mapping[str, Any]) -> NotebookResult:
    """``result.retrigger(from_=...)``: a new run of the same store from ``start``."""
    if result.store is None:
        raise ApplicationError(f"run {result.run_id} was made without a state store (state='none'): nothing to retrigger")
    document = result.document or {}
    check_step_name(start, document, option="from_", execution_alone=True)
    RetriggerPoint.parse(start)
    given = {**result.live, **parameters}
    record = result.store.get_run(run_id=result.run_id)
    missing = sorted(
        name for name, value in (record.effective_parameters if record else {}).items()
        if is_placeholder(value) and name not in given
    )
    if missing:
        raise ApplicationError(
            f"run {result.run_id} was given {', '.join(missing)} as Python values, which are not stored: "
            f"give them again, e.g. .retrigger(from_={start!r}, {missing[0]}=...)"
        )
    live = live_values(given)
    stored = {k: v for k, v in given.items() if k not in live}
    new = retrigger_run(result.store, result.run_id, start, stored, options=RunOptions(), live=live,
                        document=document)
    wrapped = NotebookResult.of(new, document=document, store=result.store)
    wrapped.live = live
    return wrapped
