"""A recorded run's part of the one run path (:class:`metalus_py.api.service.Recording`).

:class:`StoreRecording` claims and completes every step in the state store (its
:class:`StoreJournal`), records executions and events (:class:`StoreRecorder`), watches the
store for kill requests while the run executes and records the run's final status.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from metalus_py.api.results import RunResult
from metalus_py.base.status import RunStatus
from metalus_py.durable.journal import StoreJournal
from metalus_py.durable.options import RunOptions
from metalus_py.durable.recorder import StoreRecorder
from metalus_py.events import Listener
from metalus_py.plan.setup import PreparedApplication
from metalus_py.state import ArtifactStore, RunRecord, StateStore
from metalus_py.steps.runtime import KillSwitch, RunServices

_LOG = logging.getLogger("metalus_py.durable")


class StoreRecording:
    """Records one run in ``store``: step claims and completions, events, kill requests, status."""

    def __init__(
        self, store: StateStore, record: RunRecord, owner: str, options: RunOptions, prepared: PreparedApplication
    ) -> None:
        self.store, self.record, self.owner, self.options, self.prepared = store, record, owner, options, prepared
        executor = options.executor
        self.distributed = executor is not None and getattr(executor, "name", "local") != "local"
        persist = record.persist_policy == "all" and bool(record.artifact_root)
        # Query plans only where this process reads them back; workers on other hosts get files.
        self.artifacts = (
            ArtifactStore(record.artifact_root, lazy_plans=not self.distributed)
            if persist and record.artifact_root else None
        )
        self.store_journal = StoreJournal(store, self.artifacts, run_id=record.run_id, owner=owner)
        self.recorder = StoreRecorder(store, record.run_id)
        self._watcher: KillWatcher | None = None

    def listeners(self) -> list[Listener]:
        return [*self.options.listeners, self.recorder]

    def journal(self) -> StoreJournal:
        return self.store_journal

    def started(self, services: RunServices) -> Any:
        """Persist outputs per the run's policy, stop at ``until``, watch for kill requests."""
        services.persist_default = self.artifacts is not None
        if self.options.until:
            services.stop_after = self.options.until
            services.only_executions = needed_for(self.prepared, self.options.until)
        durable = self._context(services.max_workers) if self.distributed else None
        # Workers read kill requests from the store themselves: a distributed run leaves them pending.
        self._watcher = KillWatcher(self.store, self.record.run_id, services.kill, acknowledge=not self.distributed)
        if self.distributed:
            self._watcher.acknowledge_pending()  # requests left by an earlier session are not for this one
        self._watcher.start()
        return durable

    def finished(self, result: RunResult | None) -> None:
        """Stop watching and flush events; with a result, end unfinished steps and record the status."""
        if self._watcher is not None:
            self._watcher.stop()
            if self.distributed:
                self._watcher.acknowledge_pending()
        self.store_journal.flush()
        self.recorder.flush()
        if result is None:
            return
        journal = self.store_journal
        result.extra.update(restoredSteps=journal.restored, executedSteps=journal.executed)
        journal.end_unfinished(killed=result.status == RunStatus.KILLED, reason=f"the run ended {result.status}")
        self.store.set_run_status(run_id=self.record.run_id, status=result.status)

    def _context(self, max_workers: int) -> Any:
        """What a distributed executor's tasks carry: absolute state and artifact locations, the run."""
        from metalus_py.executors.context import RecordedRunContext
        from metalus_py.executors.recipe import RunReference

        record, store = self.record, self.store
        source = record.metadata.get("source", "")
        if source and "://" not in source:
            source = os.path.abspath(source)
        root = record.artifact_root or store.default_artifact_root(run_id=record.run_id)
        if "://" not in root:
            root = os.path.abspath(root)
        reference = RunReference.build(
            run_id=record.run_id, owner=self.owner, state_url=store.url, artifact_root=root,
            persist=self.artifacts is not None, application_json=record.application_json, source=source,
            parameters=record.effective_parameters, max_workers=max_workers,
        )
        return RecordedRunContext(store, reference, listeners=list(self.options.listeners), recorder=self.recorder)


def needed_for(prepared: PreparedApplication, until: str) -> frozenset[str]:
    """The execution of ``until`` (``EXEC.PIPELINE.STEP``) and its ancestors."""
    import networkx

    from metalus_py.plan.graph import ExecutionGraph

    execution_id = until.split(".", 1)[0]
    graph = ExecutionGraph(prepared.application).graph
    if execution_id not in graph:
        return frozenset(prepared.executions)
    return frozenset({execution_id, *networkx.ancestors(graph, execution_id)})


class KillWatcher:
    """Polls the store for kill requests and flips the run's kill switch."""

    def __init__(
        self, store: StateStore, run_id: str, switch: KillSwitch, interval: float = 0.25, *, acknowledge: bool = True
    ) -> None:
        self.store, self.run_id, self.switch, self.interval = store, run_id, switch, interval
        self.acknowledge = acknowledge
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"kill-watch-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for request in self.store.pending_kills(run_id=self.run_id):
                    if request.target:
                        self.switch.kill_step(request.target)
                    else:
                        self.switch.kill_run()
                    if self.acknowledge:
                        self.store.acknowledge_kill(request_id=request.request_id)
            except Exception:  # the watcher must never end the run
                _LOG.exception("kill watcher of run %s failed to poll", self.run_id)

    def acknowledge_pending(self) -> None:
        """Mark every pending kill request of the run handled."""
        for request in self.store.pending_kills(run_id=self.run_id):
            self.store.acknowledge_kill(request_id=request.request_id)
