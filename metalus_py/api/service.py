"""The one run path: prepare an application once, then execute it, recorded or not.

:func:`prepare_run` loads, validates and prepares (globals built, ``className`` objects
constructed) exactly once; :func:`execute_run` runs what it returns. A run without a state
store (``--state none``) is ``execute_run(prepared)``; a recorded run hands the same function
a :class:`Recording` (``metalus_py.durable.recording.StoreRecording``: step claims, completions,
kill requests). Both run inside :func:`metalus_py.base.runscope.run_scope`, so nothing a run
changes in the process outlives it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from metalus_py.api.results import RunResult
from metalus_py.base.records import now
from metalus_py.base.runscope import run_scope, step_paths
from metalus_py.base.secrets import known_secrets, remember_secret
from metalus_py.base.status import ExecutionStatus
from metalus_py.events import EventBus, Listener, ambient_listeners
from metalus_py.model.application import Application
from metalus_py.model.loader import parse_json, read_text, unwrap_application
from metalus_py.plan.graph import ExecutionGraph
from metalus_py.plan.runner import ExecutionBackend, PlanRunner
from metalus_py.plan.setup import PreparedApplication, prepare_application
from metalus_py.steps.resolution import StepResolver
from metalus_py.steps.runtime import RunServices, StepJournal, default_workers
from metalus_py.validation import ValidationReport, validate_document, validate_file


@dataclass
class PreparedRun:
    """An application loaded, validated and prepared once, ready for :func:`execute_run`."""

    prepared: PreparedApplication
    #: The application document in clear (a recorded run stores it, secrets protected).
    document: Any
    parameters: dict[str, Any]
    #: Where step packages are imported from (fixed when the run was prepared).
    paths: list[str] = field(default_factory=list)
    #: Secret values seen while preparing: remembered again while the run executes.
    secrets: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def application(self) -> Application:
        return self.prepared.application

    @property
    def source(self) -> str:
        return self.prepared.source

    @property
    def application_id(self) -> str:
        return self.prepared.application_id

    def root_executions(self) -> list[str] | None:
        """The ``root-executions`` parameter (``a,b``) as a list; ``None`` when not given."""
        value = self.parameters.get("root-executions")
        return [r.strip() for r in value.split(",") if r.strip()] if isinstance(value, str) else None


class Recording(Protocol):
    """What a recorded run adds to :func:`execute_run`; the durable layer implements it."""

    def listeners(self) -> list[Listener]:
        """Listeners that record the run's events."""
        ...

    def journal(self) -> StepJournal | None:
        """Claims and completes every step (``None``: the default in-memory journal)."""
        ...

    def started(self, services: RunServices) -> Any:
        """The services are built: start watching (kill requests); return what a distributed
        executor's tasks carry (``None`` for the local executor)."""
        ...

    def finished(self, result: RunResult | None) -> None:
        """The run ended (``None``: it raised): stop watching, flush, record the outcome."""
        ...


def load_document(location: str) -> Any:
    """Read and parse an application file (local path or fsspec URL)."""
    return unwrap_application(parse_json(read_text(location), location))


def check_application(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None,
    *,
    strict: bool,
    source: str | None,
) -> tuple[ValidationReport, Any, str]:
    """The validation report, the parsed document (``None`` when unreadable) and the source name."""
    from metalus_py.base.exceptions import ApplicationError

    with run_scope():
        parsed = False  # parse_json already refuses a document nested too deeply
        if isinstance(application, str):
            try:
                document: Any = load_document(application)
            except ApplicationError:
                return validate_file(application, parameters=parameters, strict=strict), None, application
            source, parsed = source or application, True
        elif isinstance(application, Application):
            document, source = application.to_json_dict(), source or "<application>"
        else:
            document, source = dict(application), source or "<application>"
        report = validate_document(document, source=source, parameters=dict(parameters or {}), strict=strict,
                                   nesting_checked=parsed)
    return report, document, source


def prepare_run(
    application: str | Mapping[str, Any] | Application,
    parameters: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
    strict: bool = False,
    validated: ValidationReport | None = None,
) -> PreparedRun:
    """Load, validate (unless ``validated`` is the passing report of that already) and prepare once.

    Raises:
        ApplicationValidationError: the application is invalid (nothing was built).
    """
    params = dict(parameters or {})
    with run_scope():
        if validated is not None and validated.ok and validated.application is not None:
            model, source_name = validated.application, validated.source
            document = validated.document if validated.document is not None else _document_of(application)
        else:
            report, document, source_name = check_application(application, params, strict=strict, source=source)
            report.raise_for_errors()
            model = report.application or Application.model_validate(unwrap_application(document))
        return prepare_recorded(model, document, source_name, params)


def _document_of(application: str | Mapping[str, Any] | Application) -> Any:
    if isinstance(application, str):
        return load_document(application)
    if isinstance(application, Application):
        return application.to_json_dict()
    return dict(application)


def prepare_recorded(model: Application, document: Any, source: str, parameters: Mapping[str, Any]) -> PreparedRun:
    """Prepare an application already validated (e.g. read back from a state store)."""
    paths = step_paths()
    with run_scope(paths):
        prepared = prepare_application(model, source, dict(parameters))
        seen = known_secrets()
    return PreparedRun(prepared, document, dict(parameters), paths, seen)


def execute_run(
    run: PreparedRun,
    recording: Recording | None = None,
    *,
    run_id: str | None = None,
    max_workers: int | None = None,
    listeners: list[Listener] | None = None,
    root_executions: list[str] | None = None,
    credential_provider: Any = None,
    journal: StepJournal | None = None,
    backend: ExecutionBackend | None = None,
    executor: Any = None,
) -> RunResult:
    """Run a prepared application, recorded through ``recording`` when given.

    ``executor`` opens the run's backend (default: the local thread pool).
    """
    with run_scope(run.paths):
        for value in run.secrets:
            remember_secret(value)
        every = [*(listeners or []), *(recording.listeners() if recording else [])]
        run_id = run_id or uuid.uuid4().hex[:12]
        services = build_services(run.prepared, run_id=run_id, max_workers=max_workers, listeners=every,
                                  credential_provider=credential_provider,
                                  journal=recording.journal() if recording else journal)
        durable = recording.started(services) if recording else None
        result: RunResult | None = None
        try:
            result = run_prepared(run.prepared, services=services, run_id=run_id, backend=backend,
                                  executor=executor, durable=durable,
                                  root_executions=root_executions or run.root_executions())
        finally:
            if recording is not None:
                recording.finished(result)
        result.secrets = known_secrets()
        return result


def build_services(
    prepared: PreparedApplication,
    *,
    run_id: str,
    max_workers: int | None = None,
    listeners: list[Listener] | None = None,
    credential_provider: Any = None,
    journal: StepJournal | None = None,
) -> RunServices:
    """The run's services: step resolver, pipeline manager, credentials, event bus, journal."""
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
    services: RunServices,
    run_id: str,
    root_executions: list[str] | None = None,
    backend: ExecutionBackend | None = None,
    executor: Any = None,
    durable: Any = None,
) -> RunResult:
    """Plan and run the executions with ``services`` (``durable``: a recorded run's context a
    distributed executor needs)."""
    from metalus_py.events import RunEvent
    from metalus_py.executors import LocalExecutor, WorkerSetupError

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
        status = ExecutionStatus.ERROR if execution_id in roots else ExecutionStatus.BLOCKED
        why = reason if status == ExecutionStatus.ERROR else "the run could not start"
        outcome = ExecutionOutcome(execution_id, execution_id, None, status, reason=why,
                                   error=ErrorInfo("WorkerSetupError", why) if status == ExecutionStatus.ERROR else None)
        outcome.ended_at = now()
        outcomes[execution_id] = outcome
        services.events.emit(RunEvent("execution_stopped", run_id=run_id, execution_id=execution_id,
                                      status=status, error=why))
    return outcomes


def _ordered(outcomes: dict[str, Any], prepared: PreparedApplication) -> dict[str, Any]:
    order = {eid: i for i, eid in enumerate(prepared.executions)}
    return dict(sorted(outcomes.items(), key=lambda kv: (order.get(kv[1].execution_id, 0), kv[1].fork_index or [])))
