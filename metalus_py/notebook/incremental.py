"""Incremental notebook runs: each ``app.run()`` is a recorded run that reuses unchanged steps.

The run is planned like a re-trigger: the newest earlier notebook run of the application in
the store is the source, the steps whose fingerprint (:mod:`.fingerprint`) is unchanged and
whose output was persisted are copied into the new run, and the durable runner restores them
instead of running them. ``fresh=True`` copies nothing. ``until="E.P.S"`` pauses the run after
that step (PAUSED, reason ``until E.P.S``; ``metalus resume`` carries on). Globals that are not
JSON are handed to the steps as they are and recorded only as a fingerprint.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from metalus_py.api import prepare_run, validate_application
from metalus_py.base.runscope import in_run_scope
from metalus_py.base.secret_names import is_secret_name, protect_secret_values
from metalus_py.base.secrets import redact_secrets
from metalus_py.durable.options import RunOptions
from metalus_py.durable.session import execute_recorded
from metalus_py.notebook.fingerprint import Fingerprinter, value_fingerprint
from metalus_py.notebook.names import check_step_name
from metalus_py.notebook.results import NotebookResult
from metalus_py.state import RunRecord, StateStore, StepRunRecord, open_store
from metalus_py.steps.resolution import StepResolver

#: Run metadata key under which notebook runs keep their step fingerprints.
NOTEBOOK_KEY = "notebook"
_SETTER_PREFIXES = ("$globals.", "$globalLink.")
_INDEX = re.compile(r"\[\d+\]")
#: A later visit of a step a loop reached again is journaled as ``STEP~2``, ``STEP~3``...
_VISIT = re.compile(r"~\d+$")


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: ``state=DEFAULT``: the command line's store (``METALUS_STATE``, else ``.metalus/state.db``).
DEFAULT: Any = _Default()


def store_for(state: Any) -> StateStore | None:
    """The store for a ``state=`` argument (``DEFAULT``, a URL, ``"none"`` or a store)."""
    if state is DEFAULT or state is None:
        return open_store(None)
    if isinstance(state, str):
        return open_store(state)
    return state


def is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def is_placeholder(value: Any) -> bool:
    """Whether a recorded parameter stands for a value that was not stored (see :func:`storable`)."""
    return isinstance(value, dict) and set(value) == {"$type", "fingerprint"}


def storable(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as recorded: JSON values kept (secret-named ones protected as a durable run
    stores them), anything else replaced by its fingerprint."""
    stored: dict[str, Any] = {}
    for name, value in parameters.items():
        if is_json(value):
            stored[name] = value
        else:
            stored[name] = {"$type": f"{type(value).__module__}.{type(value).__name__}",
                            "fingerprint": value_fingerprint(value)}
    return redact_secrets(protect_secret_values(stored))


def live_values(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a later retrigger must be handed again: not JSON, or secret (stored protected)."""
    return {k: v for k, v in parameters.items() if not is_json(v) or is_secret_name(k)}


def previous_run(store: StateStore, application_id: str) -> RunRecord | None:
    """The newest notebook run of the application (the cache an incremental run reuses).

    A run re-triggered or resumed with other parameters is passed over: its recorded
    fingerprints describe the parameters it started with, not the ones its steps ran with.
    """
    for record in store.list_runs(application_id=application_id, limit=50):
        if not isinstance(record.metadata.get(NOTEBOOK_KEY), dict) or record.status == "RUNNING":
            continue
        if "retriggeredFrom" in record.metadata or record.parameter_changes:
            continue
        return record
    return None


def _record_name(record: StepRunRecord) -> str | None:
    """``EXEC.PIPELINE.STEP`` of a top-level step run outside fork values (any visit), else ``None``."""
    if _INDEX.search(record.execution_key) or "." in record.step_path:
        return None
    return f"{record.execution_key}.{record.pipeline_id}.{_VISIT.sub('', record.step_path)}"


def _looped(records: list[StepRunRecord]) -> set[str]:
    """Steps a loop reached more than once: their inputs change from visit to visit, never reused."""
    return {name for record in records if _VISIT.search(record.step_path) and (name := _record_name(record))}


def _setters(records: list[StepRunRecord]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for record in records:
        name = _record_name(record)
        if name and any(k.startswith(_SETTER_PREFIXES) for k in record.named_return_keys):
            found.setdefault(record.execution_key, set()).add(name)
    return found


def reusable(records: list[StepRunRecord], before: Mapping[str, Any], now: Mapping[str, str | None]) -> list[StepRunRecord]:
    """Completed, persisted step runs whose fingerprint did not change (pure; see the module docstring)."""
    kept = []
    looped = _looped(records)
    for record in records:
        name = _record_name(record)
        if name is None or name in looped or str(record.status) != "COMPLETE":
            continue
        if not record.output_ref or record.output_ref.get("primary") is None:
            continue
        if now.get(name) is not None and before.get(name) == now.get(name):
            kept.append(record)
    return kept


@in_run_scope
def run_incremental(
    document: Mapping[str, Any],
    parameters: Mapping[str, Any],
    *,
    source: str,
    store: StateStore,
    until: str | None = None,
    fresh: bool = False,
) -> NotebookResult:
    """Validate, plan what to reuse, record and run (see the module docstring).

    Raises:
        ApplicationValidationError: the application is invalid (nothing ran, nothing recorded).
        UnknownStepError: ``until`` names no step.
    """
    report = validate_application(document, parameters, source=source)
    report.raise_for_errors()
    if until is not None:
        check_step_name(until, document, option="until")
    assert report.application is not None
    run = prepare_run(document, parameters, source=source, validated=report)
    prepared = run.prepared
    application_id = prepared.application_id
    source_run = None if fresh else previous_run(store, application_id)
    records = store.list_steps(run_id=source_run.run_id) if source_run else []
    resolver = StepResolver(report.application.step_packages)
    prints = Fingerprinter(document, parameters, resolver.resolve, _setters(records)).all()
    before = (source_run.metadata.get(NOTEBOOK_KEY) or {}).get("fingerprints") or {} if source_run else {}
    kept = reusable(records, before, prints)
    run_id = uuid.uuid4().hex[:12]
    store.create_run(
        run_id=run_id, application_id=application_id, application_json=json.dumps(protect_secret_values(document)),
        parameters=storable(parameters), persist_policy="all",
        artifact_root=store.default_artifact_root(run_id=run_id),
        parent_run_id=source_run.run_id if kept and source_run else None,
        metadata={"source": source, NOTEBOOK_KEY: {"fingerprints": prints, "until": until,
                                                   "reusedFrom": source_run.run_id if source_run else None}},
    )
    if kept and source_run is not None:
        store.copy_completed_steps(source_run_id=source_run.run_id, target_run_id=run_id, steps=[r.key for r in kept])
    result = execute_recorded(store, run_id, RunOptions(until=until), live=parameters, document=document,
                              prepared=run)
    wrapped = NotebookResult.of(result, document=document, store=store)
    wrapped.live = live_values(parameters)
    return wrapped
