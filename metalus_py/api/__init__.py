"""The Python entry points: load, validate and run applications and single pipelines."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from metalus_py.api.results import RunResult
from metalus_py.api.service import (
    PreparedRun,
    Recording,
    build_services,
    check_application,
    execute_run,
    load_document,
    prepare_recorded,
    prepare_run,
    run_prepared,
)
from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.records import PipelineRecord
from metalus_py.base.run_ids import check_run_id
from metalus_py.base.runscope import run_scope, step_paths
from metalus_py.events import Listener
from metalus_py.flow.pipeline_flow import run_pipeline as _run_pipeline_flow
from metalus_py.flow.tracker import StepTracker
from metalus_py.model.application import Application
from metalus_py.model.pipeline import Pipeline
from metalus_py.plan.runner import ExecutionBackend
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.resolution import StepResolver
from metalus_py.steps.runtime import MapPipelineManager, RunServices, StepJournal
from metalus_py.validation import ValidationReport


def _ensure_import_paths(source: str | None = None) -> None:
    """Put the step-package folders on ``sys.path`` for good (a Dask worker process, ``metalus steps``).

    Runs and validations use :func:`metalus_py.base.runscope.run_scope`, which takes them off again.
    ``source`` is accepted for the callers' convenience and ignored (DESIGN §14).
    """
    for path in step_paths():
        if path not in sys.path:
            sys.path.insert(0, path)


def validate_application(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None = None,
    *,
    strict: bool = False,
    source: str | None = None,
) -> ValidationReport:
    """Check an application without running anything; the report lists every problem.

    A file that is missing or not valid JSON is reported as a problem (line and column), not raised.
    """
    return check_application(application, parameters, strict=strict, source=source)[0]


def run_application(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
    run_id: str | None = None,
    max_workers: int | None = None,
    listeners: list[Listener] | None = None,
    root_executions: list[str] | None = None,
    strict: bool = False,
    credential_provider: Any = None,
    journal: StepJournal | None = None,
    backend: ExecutionBackend | None = None,
    events: str | None = None,
    validated: ValidationReport | None = None,
    executor: Any = None,
    state: str | None = None,
) -> Any:
    """Validate and run an application; return its result (``result.to_dict()`` is the document).

    Args:
        events: an fsspec URL or path where the run's events are written as JSON lines.
        validated: the report of a validation already done on this application and these
            parameters (it is then not validated again).
        executor: ``"local"`` (threads of this process), ``"dask"`` (a LocalCluster started for
            the run), an :class:`~metalus_py.executors.ExecutorChoice` (e.g. with a scheduler
            address) or an executor object; default ``METALUS_EXECUTOR``, else ``local``.
        state: a state store URL: the run is recorded there (resumable); the dask executor needs one.

    Raises:
        ApplicationValidationError: the application is invalid (nothing ran).
        ApplicationError: the dask executor without ``state``, or a scheduler that cannot be reached.
    """
    from metalus_py.executors import ExecutorChoice, choose_executor

    choice = executor if executor is not None and not isinstance(executor, str) else choose_executor(executor)
    if state is not None and state.strip().lower() != "none":
        return _run_recorded(application, parameters, state=state, source=source, run_id=run_id,
                             max_workers=max_workers, listeners=listeners, strict=strict, events=events,
                             executor=choice, validated=validated, root_executions=root_executions)
    if not isinstance(choice, ExecutorChoice) or choice.name != "local":
        raise ApplicationError("the dask executor needs a state store (state=URL): workers record steps there "
                               "and read their parents' results from it")
    from metalus_py.events.jsonlines import JsonLinesEventLog

    if run_id is not None:
        check_run_id(run_id)
    event_log = JsonLinesEventLog(events) if events else None
    all_listeners = [*(listeners or []), *([event_log] if event_log else [])]
    try:
        with run_scope():
            prepared = prepare_run(application, parameters, source=source, strict=strict, validated=validated)
            result = execute_run(prepared, run_id=run_id, max_workers=max_workers, listeners=all_listeners,
                                 root_executions=root_executions, credential_provider=credential_provider,
                                 journal=journal, backend=backend)
    finally:
        if event_log is not None:
            event_log.close()
    result.events_path = events
    return result


def _run_recorded(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None,
    *,
    state: str,
    source: str | None,
    run_id: str | None,
    max_workers: int | None,
    listeners: list[Listener] | None,
    strict: bool,
    events: str | None,
    executor: Any,
    validated: ValidationReport | None,
    root_executions: list[str] | None,
) -> Any:
    """``run_application`` with a state store: a recorded run through the durable path."""
    from metalus_py.durable.options import RunOptions
    from metalus_py.durable.session import start_run
    from metalus_py.events.jsonlines import JsonLinesEventLog
    from metalus_py.state import open_store

    if not isinstance(application, str):
        raise ApplicationError("a recorded run (state=...) takes the application's file location")
    store = open_store(state)
    assert store is not None
    event_log = JsonLinesEventLog(events) if events else None
    options = RunOptions(max_workers=max_workers, strict=strict, executor=executor, root_executions=root_executions,
                         listeners=[*(listeners or []), *([event_log] if event_log else [])])
    try:
        result = start_run(store, application, dict(parameters or {}), run_id=run_id, options=options,
                           validated=validated)
    finally:
        if event_log is not None:
            event_log.close()
        store.close()
    if isinstance(result, RunResult):
        result.events_path = events
    return result


def run_pipeline(
    pipeline: Pipeline | Mapping[str, Any],
    globals: Mapping[str, Any] | None = None,
    *,
    step_packages: list[str] | None = None,
    pipelines: list[Pipeline] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    credential_provider: Any = None,
) -> PipelineContext:
    """Run one pipeline with ``globals`` and return its final context (step results inside).

    Raises:
        PipelineException: the pipeline failed; ``error.context`` holds the results so far.
    """
    model = pipeline if isinstance(pipeline, Pipeline) else Pipeline.model_validate(dict(pipeline))
    library = {p.id: p for p in (pipelines or []) if p.id}
    library.setdefault(model.id or "", model)
    services = RunServices(
        resolver=StepResolver(step_packages or []),
        pipeline_manager=MapPipelineManager(library),
        pipeline_ids=frozenset(library),
        credential_provider=credential_provider,
    )
    ctx = PipelineContext(
        globals=dict(globals or {}), parameters=PipelineParameters(parameters or {}), services=services,
        execution_key="pipeline",
    )
    record = PipelineRecord(model.id or "")
    _run_pipeline_flow(model, ctx, StepTracker(record, execution_id="pipeline", fork_index=None))
    ctx.records = record  # type: ignore[attr-defined]
    return ctx


__all__ = ["ApplicationError", "PreparedRun", "Recording", "build_services", "execute_run", "load_document",
           "prepare_recorded", "prepare_run", "run_application", "run_pipeline", "run_prepared",
           "validate_application"]
