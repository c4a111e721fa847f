"""The Dask executor: each execution instance (or fork value) is one task on a dask.distributed cluster.

Without a scheduler address a ``LocalCluster`` of worker processes (one thread each, dashboard
off) is started for the run and closed after. Dask never re-runs a task by itself
(``retries=0``, and ``distributed.scheduler.allowed-failures=0`` on a cluster metalus starts):
a lost worker makes its execution ERROR ("worker lost: ...") and the run resumable. Tasks
carry :class:`~metalus_py.executors.recipe.ExecutionRecipe` references; results stay in the
state store and the artifacts.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from concurrent.futures import Future
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.records import ErrorInfo, now
from metalus_py.base.status import ExecutionStatus
from metalus_py.events import EventBus, RunEvent
from metalus_py.executors.choice import WorkerSetupError
from metalus_py.executors.context import RecordedRunContext
from metalus_py.executors.events_tail import EventTail
from metalus_py.executors.recipe import ExecutionRecipe
from metalus_py.executors.stored import OutputsReader
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.plan.setup import PreparedApplication
from metalus_py.plan.work import ReadyExecution, starting_globals
from metalus_py.steps.runtime import RunServices

_LOG = logging.getLogger("metalus_py.executors")

#: Seconds to wait for a scheduler before giving up (the address is named in the error).
CONNECT_TIMEOUT = 8.0


def _cluster_config() -> dict[str, Any]:
    # No re-runs by Dask itself; tasks go to workers at once (metalus bounds nothing here: an
    # execution instance is coarse, and queueing on the scheduler would add a round trip per task).
    return {"distributed.scheduler.allowed-failures": 0, "distributed.scheduler.worker-saturation": float("inf")}


class DaskExecutor:
    """``--executor dask``: connects to ``address`` or starts a LocalCluster of ``workers`` processes.

    ``secrets`` (environment variables) go to the workers of a LocalCluster started here, which
    run on this host as this user: tasks carry secret parameters redacted, and a worker fills them
    from ``METALUS_CREDENTIAL_<NAME>`` (on a cluster of its own, set those on the workers).

    Raises:
        ApplicationError: the scheduler cannot be reached within :data:`CONNECT_TIMEOUT` seconds.
    """

    name = "dask"

    def __init__(
        self, address: str | None = None, *, workers: int | None = None, secrets: dict[str, str] | None = None
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.address = address
        self._cluster: Any = None
        for name in ("distributed", "tornado"):  # its INFO lines would drown the run's own
            quiet = logging.getLogger(name)
            if quiet.level == logging.NOTSET:
                quiet.setLevel(logging.WARNING)
        # A busy host can stall heartbeats for a while: do not give up on the cluster too early.
        dask.config.set({"distributed.comm.timeouts.tcp": "120s"})
        if address is None:
            count = workers or max(2, os.cpu_count() or 2)
            polars_threads = str(max(1, (os.cpu_count() or 1) // count))
            with dask.config.set(_cluster_config()):
                self._cluster = LocalCluster(
                    n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                    host="127.0.0.1", env={"POLARS_MAX_THREADS": polars_threads, **(secrets or {})},
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self._cluster, set_as_default=False)
            return
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ApplicationError(
                f"cannot reach the dask scheduler at {address} within {CONNECT_TIMEOUT:.0f}s: {exc}"
            ) from exc

    def open_backend(
        self, prepared: PreparedApplication, services: RunServices, durable: RecordedRunContext | None = None
    ) -> DaskBackend:
        if durable is None:
            raise ApplicationError("the dask executor needs a state store (state=...), "
                                   "where workers record steps and read their parents' results")
        self._check_imports(prepared, durable)
        return DaskBackend(self.client, prepared, services, durable)

    def _check_imports(self, prepared: PreparedApplication, durable: RecordedRunContext) -> None:
        from metalus_py.executors.worker import check_imports

        packages = list(dict.fromkeys(["metalus_py", *prepared.application.step_packages]))
        paths = [os.getcwd()]
        source = durable.reference.source
        if source and "://" not in source:
            paths.append(os.path.dirname(os.path.abspath(source)))
        try:
            answers = self.client.run(check_imports, packages, paths)
        except Exception as exc:  # metalus_py itself does not import there
            raise WorkerSetupError(f"metalus_py does not import on the dask workers: {exc}") from exc
        if not answers:
            raise WorkerSetupError(f"the dask cluster at {self.address or 'a LocalCluster'} has no workers")
        for worker, failures in sorted(answers.items()):
            for package, error in failures.items():
                raise WorkerSetupError(f"step package {package!r} does not import on worker {worker}: {error}")

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


class DaskBackend:
    """Submits recipes; turns a lost worker or a cancelled task into the instance's outcome."""

    def __init__(
        self, client: Any, prepared: PreparedApplication, services: RunServices, durable: RecordedRunContext
    ) -> None:
        from metalus_py.state import ArtifactStore

        self.client = client
        self.prepared = prepared
        self.services = services
        self.durable = durable
        self.reference = durable.reference
        store = durable.store
        self.attempts = store.execution_attempts(run_id=self.reference.run_id)
        self.reader = OutputsReader(ArtifactStore(self.reference.artifact_root), prepared)
        self._futures: dict[Any, ReadyExecution] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        own = durable.recorder.written if durable.recorder is not None else (lambda seq: False)
        self.tail = EventTail(store, self.reference.run_id, EventBus(list(durable.listeners)), own)
        self._watch = threading.Thread(target=self._watch_kill, name="dask-kill", daemon=True)
        self._watch.start()

    def input_globals(self, work: ReadyExecution) -> dict[str, Any]:
        views = [self.reader.view(parent) for parent in work.parents]
        return starting_globals(self.prepared.executions[work.execution_id].globals, work, views)

    def submit(self, work: ReadyExecution) -> Future[ExecutionOutcome]:
        from metalus_py.executors.worker import run_recipe

        attempt = self.attempts.get(work.key, 0) + 1
        self.attempts[work.key] = attempt
        recipe = ExecutionRecipe.of(self.reference, work, attempt)
        result: Future[ExecutionOutcome] = Future()
        task = self.client.submit(run_recipe, recipe, key=f"metalus-{work.key}-{uuid.uuid4().hex[:8]}",
                                  pure=False, retries=0)
        with self._lock:
            self._futures[task] = work
        task.add_done_callback(lambda done: self._settle(done, work, result))
        return result

    def _settle(self, task: Any, work: ReadyExecution, result: Future[ExecutionOutcome]) -> None:
        with self._lock:
            self._futures.pop(task, None)
        try:
            if task.status == "finished":
                result.set_result(task.result())
                return
            if task.status == "cancelled":
                if self.services.kill.run_killed:
                    result.set_result(self._ended(work, ExecutionStatus.KILLED, "the run was killed", "StepKilledException"))
                else:  # cancelled by Dask itself, e.g. the connection to the scheduler was lost
                    result.set_result(self._ended(work, ExecutionStatus.ERROR, f"worker lost: task {task.key} was cancelled by "
                                                  "dask (lost connection to the scheduler?)", "WorkerLost"))
                return
            error = task.exception()
            result.set_result(self._lost(work, error))
        except BaseException as exc:  # never leave the planner waiting
            result.set_result(self._ended(work, ExecutionStatus.ERROR, f"execution could not run: {exc}", type(exc).__name__))

    def _lost(self, work: ReadyExecution, error: BaseException | None) -> ExecutionOutcome:
        from distributed.scheduler import KilledWorker

        if isinstance(error, KilledWorker):
            return self._ended(work, ExecutionStatus.ERROR, f"worker lost: {error}", "WorkerLost")
        text = f"{type(error).__name__}: {error}" if error is not None else "unknown failure"
        if "CommClosedError" in text or "worker" in type(error).__name__.lower():
            return self._ended(work, ExecutionStatus.ERROR, f"worker lost: {text}", "WorkerLost")
        return self._ended(work, ExecutionStatus.ERROR, f"execution could not run on the cluster: {text}", type(error).__name__)

    def _ended(self, work: ReadyExecution, status: str, reason: str, kind: str) -> ExecutionOutcome:
        outcome = ExecutionOutcome(work.key, work.execution_id, list(work.index) or None, status, reason=reason,
                                   error=ErrorInfo(kind, reason))
        outcome.ended_at = now()
        self.services.events.emit(RunEvent("execution_stopped", run_id=self.reference.run_id,
                                           execution_id=work.execution_id, fork_index=outcome.fork_index,
                                           status=status, error=reason))
        return outcome

    def _watch_kill(self) -> None:
        """A run-level kill cancels the run's tasks (running steps see the kill flag themselves)."""
        while not self._stop.wait(0.2):
            if self.services.kill.run_killed:
                with self._lock:
                    pending = list(self._futures)
                if pending:
                    self.client.cancel(pending)

    def shutdown(self) -> None:
        self._stop.set()
        with self._lock:
            pending = list(self._futures)
        if pending:
            self.client.cancel(pending)
        self._watch.join(timeout=5)
        self.tail.stop()
