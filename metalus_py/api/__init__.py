"""The Python entry points: load, validate and run applications and single pipelines."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from metalus_py.api.results import RunResult
from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.gctuning import relaxed_gc
from metalus_py.base.records import PipelineRecord, now
from metalus_py.base.run_ids import check_run_id
from metalus_py.events import EventBus, Listener, ambient_listeners
from metalus_py.flow.pipeline_flow import run_pipeline as _run_pipeline_flow
from metalus_py.flow.tracker import StepTracker
from metalus_py.model.application import Application
from metalus_py.model.loader import parse_json, read_text, unwrap_application
from metalus_py.model.pipeline import Pipeline
from metalus_py.plan.graph import ExecutionGraph
from metalus_py.plan.runner import ExecutionBackend, PlanRunner
from metalus_py.plan.setup import PreparedApplication, prepare_application
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.resolution import StepResolver
from metalus_py.steps.runtime import MapPipelineManager, RunServices, StepJournal, default_workers
from metalus_py.validation import ValidationReport, validate_document, validate_file


def _ensure_import_paths(source: str | None = None) -> None:
    """Step packages are found from the current directory and the operator's ``METALUS_STEPS_PATH``.

    The application's own folder is never put on the import path (DESIGN §14): a file cannot
    bring the code it runs. ``source`` is accepted for the callers' convenience and ignored.
    """
    extra = [p for p in os.environ.get("METALUS_STEPS_PATH", "").split(os.pathsep) if p]
    for path in [os.getcwd(), *reversed(extra)]:
        path = os.path.abspath(path)
        if path not in sys.path:
            sys.path.insert(0, path)


def load_document(location: str) -> Any:
    """Read and parse an application file (local path or fsspec URL)."""
    return unwrap_application(parse_json(read_text(location), location))


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
    return _checked(application, parameters, strict=strict, source=source)[0]


def _checked(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None,
    *,
    strict: bool,
    source: str | None,
) -> tuple[ValidationReport, Any, str]:
    """The validation report, the parsed document (``None`` when unreadable) and the source name."""
    if isinstance(application, str):
        _ensure_import_paths(application)
        try:
            document: Any = load_document(application)
        except ApplicationError:
            return validate_file(application, parameters=parameters, strict=strict), None, application
        source = source or application
    else:
        document, source = _document(application, source)
        _ensure_import_paths(source)
    report = validate_document(document, source=source, parameters=dict(parameters or {}), strict=strict)
    return report, document, source


def _document(application: str | Mapping[str, Any] | Application, source: str | None) -> tuple[Any, str]:
    if isinstance(application, str):
        return load_document(application), application
    if isinstance(application, Application):
        return application.to_json_dict(), source or "<application>"
    return dict(application), source or "<application>"


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
    from metalus_py.base.logcontext import install_record_ids
    from metalus_py.events.jsonlines import JsonLinesEventLog

    install_record_ids()
    if run_id is not None:
        check_run_id(run_id)
    event_log = JsonLinesEventLog(events) if events else None
    all_listeners = [*(listeners or []), *([event_log] if event_log else [])]
    try:
        with relaxed_gc():
            result = _run_application(
                application, dict(parameters or {}), source=source, run_id=run_id, max_workers=max_workers,
                listeners=all_listeners, root_executions=root_executions, strict=strict,
                credential_provider=credential_provider, journal=journal, backend=backend,
                validated=validated,
            )
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


def _run_application(
    application: str | Mapping[str, Any] | Application,
    params: dict[str, Any],
    *,
    source: str | None,
    run_id: str | None,
    max_workers: int | None,
    listeners: list[Listener] | None,
    root_executions: list[str] | None,
    strict: bool,
    credential_provider: Any,
    journal: StepJournal | None,
    backend: ExecutionBackend | None,
    validated: ValidationReport | None = None,
) -> RunResult:
    if validated is not None and validated.ok and validated.application is not None:
        model, source_name = validated.application, validated.source
    else:
        report, document, source_name = _checked(application, params, strict=strict, source=source)
        report.raise_for_errors()
        model = report.application or Application.model_validate(unwrap_application(document))
    prepared = prepare_application(model, source_name, params)
    roots = root_executions
    if roots is None and isinstance(params.get("root-executions"), str):
        roots = [r.strip() for r in str(params["root-executions"]).split(",") if r.strip()]
    return run_prepared(
        prepared,
        run_id=run_id,
        max_workers=max_workers,
        listeners=listeners,
        root_executions=roots,
        credential_provider=credential_provider,
        journal=journal,
        backend=backend,
    )


def build_services(
    prepared: PreparedApplication,
    *,
    run_id: str,
    max_workers: int | None = None,
    listeners: list[Listener] | None = None,
    credential_provider: Any = None,
    journal: StepJournal | None = None,
) -> RunServices:
    from metalus_py.base.credentials import default_credential_provider
    from metalus_py.plan.class_info import ChainedPipelineManager, build_class_info, class_info_listeners

    application = prepared.application
    ids = {p.id for p in application.pipelines if p.id}
    for execution in prepared.executions.values():
        ids.update(p.id for p in execution.pipelines if p.id)
    provider = credential_provider or default_credential_provider(prepared.parameters)
    provider = build_class_info(application.credential_provider, credential_provider=provider) or provider
    manager: Any = prepared.pipeline_manager
    custom_manager = build_class_info(application.pipeline_manager, credential_provider=provider)
    if custom_manager is not None:
        manager = ChainedPipelineManager(custom_manager, manager)
    services = RunServices(
        resolver=StepResolver(application.step_packages),
        pipeline_manager=manager,
        pipeline_ids=frozenset(ids),
        credential_provider=provider,
        events=EventBus([*(listeners or []), *ambient_listeners(), *class_info_listeners(application, provider)]),
        max_workers=max_workers or default_workers(),
        run_id=run_id,
    )
    if journal is not None:
        services.journal = journal
    return services


def run_prepared(
    prepared: PreparedApplication,
    *,
    run_id: str | None = None,
    max_workers: int | None = None,
    listeners: list[Listener] | None = None,
    root_executions: list[str] | None = None,
    credential_provider: Any = None,
    journal: StepJournal | None = None,
    backend: ExecutionBackend | None = None,
    services: RunServices | None = None,
    executor: Any = None,
    durable: Any = None,
) -> RunResult:
    """Run an already validated and prepared application.

    Args:
        executor: opens the run's backend (default: the local thread pool); ``durable`` is the
            recorded run's context a distributed executor needs.
    """
    from metalus_py.events import RunEvent
    from metalus_py.executors import LocalExecutor, WorkerSetupError

    run_id = run_id or uuid.uuid4().hex[:12]
    services = services or build_services(
        prepared, run_id=run_id, max_workers=max_workers, listeners=listeners,
        credential_provider=credential_provider, journal=journal,
    )
    graph = ExecutionGraph(prepared.application)
    graph.compute_scopes()
    started = now()
    services.events.emit(RunEvent("application_started", run_id=run_id, data={"applicationId": prepared.application_id}))
    try:
        backend = backend or (executor or LocalExecutor()).open_backend(prepared, services, durable)
    except WorkerSetupError as exc:  # the executor cannot run this application (e.g. a worker lacks a package)
        outcomes = _not_started(prepared, graph, services, run_id, str(exc))
    else:
        try:
            outcomes = PlanRunner(prepared, graph, services, backend, root_executions=root_executions).run()
        finally:
            backend.shutdown()
    result = RunResult(run_id, prepared.application_id, _ordered(outcomes, prepared), started, now(),
                       killed=services.kill.run_killed)
    services.events.emit(RunEvent("application_finished", run_id=run_id, status=result.status,
                                  duration=result.ended_at - started))
    return result


def _not_started(
    prepared: PreparedApplication, graph: ExecutionGraph, services: RunServices, run_id: str, reason: str
) -> dict[str, Any]:
    """Every root execution ERROR with ``reason``, the rest BLOCKED: the run FAILED and resumable."""
    from metalus_py.base.records import ErrorInfo
    from metalus_py.events import RunEvent
    from metalus_py.flow.execution import ExecutionOutcome

    outcomes: dict[str, Any] = {}
    roots = set(graph.roots(None))
    for execution_id in prepared.executions:
        status = "ERROR" if execution_id in roots else "BLOCKED"
        why = reason if status == "ERROR" else "the run could not start"
        outcome = ExecutionOutcome(execution_id, execution_id, None, status, reason=why,
                                   error=ErrorInfo("WorkerSetupError", why) if status == "ERROR" else None)
        outcome.ended_at = now()
        outcomes[execution_id] = outcome
        services.events.emit(RunEvent("execution_stopped", run_id=run_id, execution_id=execution_id,
                                      status=status, error=why))
    return outcomes


def _ordered(outcomes: dict[str, Any], prepared: PreparedApplication) -> dict[str, Any]:
    order = {eid: i for i, eid in enumerate(prepared.executions)}
    return dict(sorted(outcomes.items(), key=lambda kv: (order.get(kv[1].execution_id, 0), kv[1].fork_index or [])))


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


__all__ = ["ApplicationError", "load_document", "run_application", "run_pipeline", "validate_application"]
