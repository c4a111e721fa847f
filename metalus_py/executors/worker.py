"""What runs inside a worker process: rebuild one execution instance from its recipe and run it.

A worker keeps one *session* per run it serves (the store connection, the prepared application,
the run services with their journal, recorder and kill switch), so the tasks of a run after the
first cost only their own work. Steps are claimed and recorded in the store under the driver's
owner id (the driver holds the run's lease); events go to the store, where the driver reads them.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import socket
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from metalus_py.base.records import error_info, now
from metalus_py.base.status import ExecutionStatus
from metalus_py.events import RunEvent
from metalus_py.executors.recipe import ExecutionRecipe, RunReference
from metalus_py.executors.stored import OutputsReader, write_outputs
from metalus_py.flow.execution import ExecutionOutcome, run_execution
from metalus_py.plan.setup import PreparedApplication
from metalus_py.plan.work import execution_spec, starting_globals
from metalus_py.steps.runtime import KillSwitch, RunServices

_LOG = logging.getLogger("metalus_py.executors")

#: Seconds between two looks at the store for kill requests (and writes of buffered events).
KILL_POLL_SECONDS = 0.25


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _StampWorker:
    """First listener of a worker's bus: execution events say which worker ran them."""

    def on_event(self, event: RunEvent) -> None:
        if event.kind.startswith("execution_"):
            event.data.setdefault("worker", {"host": socket.gethostname(), "pid": os.getpid()})


class _Housekeeper:
    """Polls the store for the run's kill requests (flipping the kill switch) and writes buffered events."""

    def __init__(self, store: Any, run_id: str, switch: KillSwitch, recorder: Any) -> None:
        self.store, self.run_id, self.switch, self.recorder = store, run_id, switch, recorder
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"kill-flag-{run_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(KILL_POLL_SECONDS):
            try:
                self.recorder.flush()
                for request in self.store.pending_kills(run_id=self.run_id):
                    if request.target:
                        self.switch.kill_step(request.target)
                    else:
                        self.switch.kill_run()
            except Exception:  # a store hiccup must not end the worker
                _LOG.debug("kill flag of run %s: poll failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()


@dataclass
class _Session:
    store: Any
    prepared: PreparedApplication
    services: RunServices
    recorder: Any
    reader: OutputsReader
    artifacts: Any
    housekeeper: _Housekeeper
    journal: Any = None

    def close(self) -> None:
        self.housekeeper.stop()
        if self.journal is not None:
            self.journal.flush()
        self.recorder.flush()


_sessions: OrderedDict[tuple[str, str, str], _Session] = OrderedDict()
_stores: dict[str, Any] = {}
_lock = threading.Lock()


def _store(url: str) -> Any:
    from metalus_py.state import open_store

    store = _stores.get(url)
    if store is None:
        store = _stores[url] = open_store(url)
    return store


def _open_session(run: RunReference) -> _Session:
    from metalus_py.api import _ensure_import_paths, build_services
    from metalus_py.durable.journal import StoreJournal
    from metalus_py.durable.recorder import StoreRecorder
    from metalus_py.model.application import Application
    from metalus_py.plan.setup import prepare_application
    from metalus_py.state import ArtifactStore

    _ensure_import_paths(run.source)
    store = _store(run.state_url)
    application = Application.model_validate(json.loads(run.application_json))
    prepared = prepare_application(application, run.source, secrets_from_environment(run.parameters))
    artifacts = ArtifactStore(run.artifact_root)
    journal = StoreJournal(store, artifacts if run.persist else None, run_id=run.run_id, owner=run.owner)
    # events are written by the housekeeper every 0.25 s and at the end of every task
    recorder = StoreRecorder(store, run.run_id, flush_every=0.5)
    services = build_services(prepared, run_id=run.run_id, max_workers=run.max_workers,
                              listeners=[_StampWorker(), recorder], journal=journal)
    services.persist_default = run.persist
    return _Session(store, prepared, services, recorder, OutputsReader(artifacts, prepared), artifacts,
                    _Housekeeper(store, run.run_id, services.kill, recorder), journal)


def _session(run: RunReference) -> _Session:
    key = (run.run_id, run.owner, run.application_hash)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = _open_session(run)
            while len(_sessions) > 4:  # runs this worker served earlier
                _sessions.popitem(last=False)[1].close()
        _sessions.move_to_end(key)
        return session


def run_recipe(recipe: ExecutionRecipe) -> ExecutionOutcome:
    """Run one execution instance in this worker; returns its outcome without results (they are stored)."""
    session = _session(recipe.run)
    work = recipe.work()
    me = worker_name()
    holder = session.store.claim_execution_attempt(run_id=recipe.run.run_id, execution_key=work.key,
                                                   attempt=recipe.attempt, worker=me)
    if holder is not None:
        return _refused(session, recipe, holder)
    try:
        views = [session.reader.view(parent) for parent in work.parents]
    except Exception as exc:
        return _failed(session, recipe, exc)
    globals_ = starting_globals(session.prepared.executions[work.execution_id].globals, work, views)
    spec = execution_spec(session.prepared, work, globals_)
    outcome = run_execution(spec, session.services)
    session.journal.flush()  # the steps' completions are in the store before the outcome returns
    if outcome.status in (ExecutionStatus.COMPLETE, ExecutionStatus.SKIPPED):
        try:
            write_outputs(session.artifacts, outcome, work.parents, views,
                          session.prepared.executions[work.execution_id].globals)
        except Exception as exc:
            outcome.status, outcome.error = ExecutionStatus.ERROR, error_info(exc)
            outcome.reason = f"the results of {work.key} cannot be stored for its children: {exc}"
    session.recorder.flush()
    return _slim(outcome, me)


def _slim(outcome: ExecutionOutcome, worker: str) -> ExecutionOutcome:
    """The outcome as the driver needs it: statuses and records (summaries), no live values."""
    outcome.globals = {}
    outcome.parameters = {}
    host, _, pid = worker.rpartition(":")
    outcome.worker = {"host": host, "pid": int(pid)}
    return outcome


def _refused(session: _Session, recipe: ExecutionRecipe, holder: str) -> ExecutionOutcome:
    reason = (f"worker lost: attempt {recipe.attempt} of {recipe.key} was already started by {holder}; "
              "not running it twice")
    return _ended(session, recipe, ExecutionStatus.ERROR, reason, type_="WorkerLost")


def _failed(session: _Session, recipe: ExecutionRecipe, exc: Exception) -> ExecutionOutcome:
    return _ended(session, recipe, ExecutionStatus.ERROR, str(exc), type_=type(exc).__name__)


def _ended(session: _Session, recipe: ExecutionRecipe, status: str, reason: str, *, type_: str) -> ExecutionOutcome:
    from metalus_py.base.records import ErrorInfo

    work = recipe.work()
    outcome = ExecutionOutcome(work.key, work.execution_id, list(work.index) or None, status, reason=reason,
                               error=ErrorInfo(type_, reason))
    outcome.ended_at = now()
    session.services.events.emit(RunEvent("execution_stopped", run_id=recipe.run.run_id,
                                          execution_id=work.execution_id, fork_index=outcome.fork_index,
                                          status=status, error=reason))
    session.recorder.flush()
    return _slim(outcome, worker_name())


def secret_variable(name: str) -> str:
    """The environment variable a worker reads a redacted parameter from: ``METALUS_CREDENTIAL_<NAME>``."""
    return "METALUS_CREDENTIAL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def secrets_from_environment(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters with each redacted value taken from this worker's environment (tasks never carry secrets)."""
    from metalus_py.base.secrets import REDACTED, Secret

    filled = dict(parameters)
    for name, value in parameters.items():
        if value == REDACTED and secret_variable(name) in os.environ:
            filled[name] = Secret(os.environ[secret_variable(name)])
    return filled


def check_imports(packages: list[str], paths: list[str]) -> dict[str, str]:
    """Import each step package here; returns ``{package: error}`` for those that fail."""
    for path in paths:
        if path not in sys.path:
            sys.path.insert(0, path)
    failures: dict[str, str] = {}
    for package in packages:
        try:
            importlib.import_module(package)
        except Exception as exc:  # any import failure is reported, named
            failures[package] = f"{type(exc).__name__}: {exc}"
    return failures
