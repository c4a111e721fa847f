"""Starting, resuming, re-triggering and killing recorded runs.

A run holds its lease while it executes (a second ``resume`` of a live run refuses; a dead
one is taken over), claims every step through :class:`StoreJournal`, records executions and
events through :class:`StoreRecorder`, and watches the store for kill requests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from metalus_py.api.results import RunResult
from metalus_py.api.service import PreparedRun, execute_run, load_document, prepare_recorded, prepare_run
from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.keys import parse_owner
from metalus_py.base.run_ids import check_run_id
from metalus_py.base.runscope import in_run_scope, run_scope
from metalus_py.base.secret_names import MissingSecretsError, protect_secret_values, restore_secret_values
from metalus_py.base.secrets import redact_secrets
from metalus_py.base.status import RunStatus
from metalus_py.durable.inspect import RecordedRun
from metalus_py.durable.options import RunOptions
from metalus_py.durable.recording import StoreRecording
from metalus_py.durable.retrigger import RetriggerPoint, kept_steps
from metalus_py.model.application import Application
from metalus_py.state import LeaseHeldError, LeaseKeeper, RunExistsError, RunRecord, StateStore
from metalus_py.validation import ValidationReport

_LOG = logging.getLogger("metalus_py.durable")

FINISHED = (RunStatus.COMPLETE, RunStatus.FAILED, RunStatus.PAUSED, RunStatus.KILLED)


def new_owner() -> str:
    """An owner id naming this host and process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _persist_policy(options: RunOptions, application: Application) -> str:
    policy = options.persist or os.environ.get("METALUS_PERSIST") or application.persist or "all"
    if policy not in ("all", "none"):
        raise ApplicationError(f"persist policy must be 'all' or 'none', got {policy!r}")
    return policy


@in_run_scope
def start_run(
    store: StateStore,
    location: str,
    parameters: Mapping[str, Any],
    *,
    run_id: str | None = None,
    options: RunOptions | None = None,
    validated: ValidationReport | None = None,
    metadata: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> RunResult | RecordedRun:
    """Validate (unless ``validated`` is the report of that already), record and run an application.

    ``metadata`` is recorded with the run (e.g. its schedule and events file).
    ``executor`` (or ``options.executor``): ``"local"``, ``"dask"``, an ``ExecutorChoice`` or an
    executor object; a name is built (a dask scheduler connected) before anything is recorded.

    With ``run_id`` of a run already recorded: a COMPLETE run is returned as recorded (idempotent
    submission: nothing runs); any other (failed, paused, killed, interrupted) is resumed.

    Raises:
        ApplicationValidationError: invalid input (nothing recorded).
    """
    options = _with_executor(options, executor)
    if not _executor_ready(options):
        with _executor_opened(options, parameters) as ready:
            return start_run(
                store, location, parameters, run_id=run_id, options=ready, validated=validated, metadata=metadata
            )
    if run_id is not None:
        check_run_id(run_id)
        existing = store.get_run(run_id=run_id)
        if existing is not None:
            if existing.status == RunStatus.COMPLETE:
                return recorded_result(store, existing)
            # Unfinished (failed, paused, killed or interrupted): resume it. Only parameters that
            # differ from the recorded ones count as a change.
            effective = existing.effective_parameters
            changes = {k: v for k, v in parameters.items() if k not in effective or effective[k] != v}
            return resume_run(store, run_id, changes, options=options, resubmitted=_document_or_none(location))
    run = prepare_run(location, parameters, source=location, strict=options.strict, validated=validated)
    document, prepared = run.document, run.prepared
    run_id = run_id or uuid.uuid4().hex[:12]
    policy = _persist_policy(options, prepared.application)
    artifact_root = options.artifacts.rstrip("/") + f"/{run_id}" if options.artifacts else None
    try:
        store.create_run(
            run_id=run_id, application_id=prepared.application_id,
            application_json=json.dumps(protect_secret_values(document)),
            parameters=redact_secrets(protect_secret_values(dict(parameters))), persist_policy=policy,
            artifact_root=artifact_root or store.default_artifact_root(run_id=run_id),
            metadata={**(metadata or {}), "source": location},
        )
    except RunExistsError as exc:  # the same id submitted at the same moment by another process
        raise ApplicationError(
            f"run {run_id} was submitted at the same time by another process, which runs it; "
            "not starting it twice (submit it again once that one has finished to resume it)"
        ) from exc
    return _execute(store, run_id, options, prepared=run)


def _document_or_none(location: str) -> Any:
    try:
        return load_document(location)
    except ApplicationError:
        return None


@in_run_scope
def resume_run(
    store: StateStore, run_id: str, parameters: Mapping[str, Any], *, options: RunOptions | None = None,
    executor: Any = None, resubmitted: Any = None,
) -> RunResult | RecordedRun:
    """Run again what did not complete, restoring finished outputs and globals (with ``executor``, as
    :func:`start_run`: the executor of this command, not the one the run started with).

    ``resubmitted``: the application document submitted again with the same run id; secret
    values stored redacted are taken from it.

    Raises:
        ApplicationError: no such run, or the run is live in another process.
    """
    options = _with_executor(options, executor)
    record = _get(store, run_id)
    if record.status == RunStatus.COMPLETE:
        return recorded_result(store, record)
    refuse_pruned(record, "resumed")
    with _executor_opened(options, parameters) as ready:
        return _execute(store, run_id, ready, changes=parameters, resubmitted=resubmitted)


@in_run_scope
def retrigger_run(
    store: StateStore,
    run_id: str,
    start: str,
    parameters: Mapping[str, Any],
    *,
    options: RunOptions | None = None,
    live: Mapping[str, Any] | None = None,
    executor: Any = None,
    new_run_id: str | None = None,
    document: Any = None,
) -> RunResult:
    """A new run (``new_run_id``, else a fresh id) that reuses ``run_id``'s results before ``start``
    and recomputes from there.

    ``live`` parameters reach the steps as they are and are not stored (see :func:`execute_recorded`;
    the local executor only: a distributed run's workers see the recorded parameters); like
    ``parameters`` they give again secret values that were stored redacted. ``document``: the
    application document in clear, when the caller has it (secret globals stored redacted are taken from it).
    """
    options = _with_executor(options, executor)
    if not _executor_ready(options):
        with _executor_opened(options, parameters) as ready:
            return retrigger_run(store, run_id, start, parameters, options=ready, live=live, new_run_id=new_run_id,
                                 document=document)
    new_id, run = _prepare_retrigger(store, run_id, start, parameters, live=live, new_run_id=new_run_id,
                                     document=document)
    return _execute(store, new_id, options, prepared=run)


def prepare_retrigger(
    store: StateStore, run_id: str, start: str, parameters: Mapping[str, Any], *, live: Mapping[str, Any] | None = None,
    new_run_id: str | None = None,
) -> str:
    """Record the new run of a retrigger (reused steps copied) without running it; returns its id.

    ``resume_run`` on that id then runs it (the monitor does so in another process).
    """
    with run_scope():
        return _prepare_retrigger(store, run_id, start, parameters, live=live, new_run_id=new_run_id)[0]


def _prepare_retrigger(
    store: StateStore, run_id: str, start: str, parameters: Mapping[str, Any], *, live: Mapping[str, Any] | None = None,
    new_run_id: str | None = None, document: Any = None,
) -> tuple[str, PreparedRun]:
    """The new run's id, and the application prepared (document and parameters in clear, ``live`` over them)."""
    source = _get(store, run_id)
    refuse_pruned(source, "re-triggered")
    point = RetriggerPoint.parse(start)
    where = f"retrigger of run {run_id}"
    live = dict(live or {})
    given = {**parameters, **live}
    clear = restore_secret_values(json.loads(source.application_json), given, where=where, fallback=document)
    params = {**restore_secret_values(source.effective_parameters, given, where=where), **parameters}
    run = prepare_recorded(Application.model_validate(clear), clear, source.metadata.get("source", ""),
                           {**params, **live})
    keep = kept_steps(run.prepared, store.list_steps(run_id=run_id), point)
    new_id = check_run_id(new_run_id) if new_run_id else uuid.uuid4().hex[:12]
    store.create_run(
        run_id=new_id, application_id=source.application_id, application_json=source.application_json,
        parameters=redact_secrets(protect_secret_values(params)), persist_policy=source.persist_policy,
        artifact_root=store.default_artifact_root(run_id=new_id), parent_run_id=run_id,
        metadata={**source.metadata, "retriggeredFrom": start},
    )
    store.copy_completed_steps(source_run_id=run_id, target_run_id=new_id, steps=[r.key for r in keep])
    return new_id, run


def refuse_pruned(record: RunRecord, action: str) -> None:
    """A pruned run has lost its artifacts and events: it cannot be resumed or re-triggered.

    Raises:
        ApplicationError: the run was pruned (``metalus prune``).
    """
    pruned = record.metadata.get("pruned")
    if pruned:
        when = pruned.get("at", "?") if isinstance(pruned, dict) else "?"
        raise ApplicationError(
            f"run {record.run_id} was pruned at {when} (`metalus prune` deleted its artifacts and event file; "
            f"its record is kept as a summary): it cannot be {action}. Start a new run instead"
        )


def _with_executor(options: RunOptions | None, executor: Any) -> RunOptions:
    options = options or RunOptions()
    return dataclasses.replace(options, executor=executor) if executor is not None else options


def _executor_ready(options: RunOptions) -> bool:
    """Whether ``options.executor`` is an executor object (not a name still to build)."""
    return hasattr(options.executor, "open_backend")


@contextlib.contextmanager
def _executor_opened(options: RunOptions, parameters: Mapping[str, Any]) -> Iterator[RunOptions]:
    """Options whose executor is built (and closed after) when it was given by name."""
    from metalus_py.executors import executor_scope

    if _executor_ready(options):
        yield options
        return
    with executor_scope(options.executor, workers=options.max_workers, parameters=parameters) as executor:
        yield dataclasses.replace(options, executor=executor)


def _get(store: StateStore, run_id: str) -> RunRecord:
    record = store.get_run(run_id=run_id)
    if record is None:
        raise ApplicationError(f"no run {run_id!r} in the state store {store.url}")
    return record


@in_run_scope
def execute_recorded(
    store: StateStore, run_id: str, options: RunOptions | None = None, *, live: Mapping[str, Any] | None = None,
    document: Any = None, prepared: PreparedRun | None = None,
) -> RunResult:
    """Run a recorded run (just created, or to resume) in this process.

    Args:
        live: parameters given to the steps as they are, over the recorded ones, and never
            stored (values that are not JSON, secrets): the notebook passes its live globals.
            They also give again secret values stored redacted.
        document: the application document in clear, when the caller has it: secret globals
            stored redacted (no ``METALUS_SECRET_KEY``) are taken from it.
        prepared: the run's application already prepared (with ``live`` parameters): it is not prepared again.
    """
    return _execute(store, run_id, options or RunOptions(), live=live, resubmitted=document, prepared=prepared)


def _execute(
    store: StateStore, run_id: str, options: RunOptions, *, changes: Mapping[str, Any] | None = None,
    prepared: PreparedRun | None = None, resubmitted: Any = None, live: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run a recorded run through the one run path (:func:`execute_run` with a :class:`StoreRecording`).

    ``prepared``: the application prepared by the caller (a new run, a retrigger); otherwise it is
    read back from the store, secrets decrypted or given again (by ``changes``, ``live`` or the
    ``resubmitted`` document), and prepared here. ``live`` parameters go over the recorded ones."""
    owner = new_owner()
    keeper = LeaseKeeper(store, run_id=run_id, owner=owner, ttl_seconds=options.lease_ttl)
    try:
        _take_lease(store, keeper)
    except LeaseHeldError as exc:
        raise ApplicationError(
            f"run {run_id} is running in another process ({exc}); not starting it twice"
        ) from exc
    if _get(store, run_id).status == RunStatus.COMPLETE:
        # A concurrent submission of the same id finished it between our look and our lease.
        keeper.stop(release=True)
        raise ApplicationError(f"run {run_id} was completed by another process meanwhile; not running it again")
    recording: StoreRecording | None = None
    try:
        record = _get(store, run_id)
        given = dict(changes or {})
        run = prepared or _restored(record, given, dict(live or {}), resubmitted)
        if changes:  # recorded by the process that runs the run, never by one that refused
            store.record_parameter_change(run_id=run_id, changes=redact_secrets(protect_secret_values(given)),
                                          reason="resume")
        store.set_run_status(run_id=run_id, status=RunStatus.RUNNING)
        recording = StoreRecording(store, record, owner, options, run.prepared)
        return execute_run(run, recording, run_id=run_id, max_workers=options.max_workers,
                           executor=options.executor, root_executions=options.root_executions)
    except MissingSecretsError:
        raise  # nothing ran: the run keeps its status
    except BaseException as exc:
        if recording is not None:
            recording.store_journal.end_unfinished(killed=False, reason=f"the run failed: {type(exc).__name__}")
        store.set_run_status(run_id=run_id, status=RunStatus.FAILED)
        raise
    finally:
        keeper.stop(release=True)


def _restored(record: RunRecord, given: dict[str, Any], live: dict[str, Any], resubmitted: Any) -> PreparedRun:
    """A recorded run's application prepared again: document and parameters read back, secrets restored.

    Raises:
        MissingSecretsError: a secret stored redacted is given by nobody.
    """
    where = f"run {record.run_id}"
    document = restore_secret_values(json.loads(record.application_json), {**given, **live}, where=where,
                                     fallback=resubmitted)
    parameters = {**restore_secret_values(record.effective_parameters, {**given, **live}, where=where), **given, **live}
    return prepare_recorded(Application.model_validate(document), document, record.metadata.get("source", ""),
                            parameters)


def owner_process_dead(owner: str | None) -> bool:
    """True when ``owner`` (``host:pid:random``) names a process of this host that no longer exists."""
    if not owner:
        return False
    host, pid = parse_owner(owner)
    if host != socket.gethostname() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _take_lease(store: StateStore, keeper: LeaseKeeper) -> None:
    """Take the run's lease; a lease still held by a dead process of this host is taken over at once.

    Without this a run killed by SIGKILL (or a crash) could only be resumed once its lease
    expired (``lease_ttl`` seconds later).

    Raises:
        LeaseHeldError: a live process (or one on another host) holds the run.
    """
    try:
        keeper.start()
    except LeaseHeldError as exc:
        if not owner_process_dead(exc.holder):
            raise
        assert exc.holder is not None
        _LOG.warning("run %s: the process holding it (%s) is gone; taking the run over", keeper.run_id, exc.holder)
        store.release_lease(run_id=keeper.run_id, owner=exc.holder)
        keeper.start()


def recorded_result(store: StateStore, record: RunRecord) -> RecordedRun:
    """A finished run as recorded (for idempotent re-submission)."""
    return RecordedRun.load(store, record.run_id)
