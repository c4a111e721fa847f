"""The local executor: execution instances on a bounded thread pool in this process."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from metalus_py.flow.execution import ExecutionOutcome, run_execution
from metalus_py.plan.setup import PreparedApplication
from metalus_py.plan.work import ReadyExecution, execution_spec, starting_globals, view_of
from metalus_py.steps.runtime import RunServices


class LocalBackend:
    """Runs instances on threads; parents' outcomes are read from memory."""

    def __init__(self, prepared: PreparedApplication, services: RunServices, max_workers: int) -> None:
        self._prepared = prepared
        self._services = services
        self._max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="execution")

    def input_globals(self, work: ReadyExecution) -> dict[str, Any]:
        views = [view_of(parent, parent.outcomes) for parent in work.parents]
        return starting_globals(self._prepared.executions[work.execution_id].globals, work, views)

    def submit(self, work: ReadyExecution) -> Future[ExecutionOutcome]:
        spec = execution_spec(self._prepared, work, self.input_globals(work))
        return self._pool.submit(run_execution, spec, self._services)

    def submit_values(self, works: list[ReadyExecution]) -> list[Future[ExecutionOutcome]]:
        """The values of one fork launch: at most ``max_workers`` pool tasks take them from one
        queue in turn, so a value costs no pool hand-off and slow values still run side by side."""
        futures: list[Future[ExecutionOutcome]] = [Future() for _ in works]
        pending = deque(zip(works, futures, strict=True))
        for _ in range(min(self._max_workers, len(works))):
            self._pool.submit(self._drain, pending)
        return futures

    def _drain(self, pending: deque[tuple[ReadyExecution, Future[ExecutionOutcome]]]) -> None:
        while True:
            try:
                work, future = pending.popleft()
            except IndexError:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                spec = execution_spec(self._prepared, work, self.input_globals(work))
                future.set_result(run_execution(spec, self._services))
            except BaseException as exc:  # noqa: BLE001 - handed to the runner, which records it
                future.set_exception(exc)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class LocalExecutor:
    """``--executor local`` (the default): threads of this process, at most ``max_workers`` at once."""

    name = "local"

    def open_backend(self, prepared: PreparedApplication, services: RunServices, durable: Any = None) -> LocalBackend:
        return LocalBackend(prepared, services, services.max_workers)

    def close(self) -> None:
        return None
