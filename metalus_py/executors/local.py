"""The local executor: execution instances on a bounded thread pool in this process."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from metalus_py.executors.values import Report, ValueBatch, could_not_run, value_globals
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

    def submit_values(self, works: list[ReadyExecution], report: Report) -> None:
        """The values of one fork launch (same parents): their starting globals built once, run from
        one queue by pool tasks added only as values prove slow, outcomes reported in batches."""
        first = works[0]
        try:
            base = self.input_globals(ReadyExecution(first.execution_id, first.index[:-1], first.parents, first.kind))
        except Exception as exc:  # every value would fail the same way: each is reported as its ERROR
            report([could_not_run(work, exc) for work in works])
            return
        parent_ids = tuple(parent.parent_id for parent in first.parents)

        def run_one(work: ReadyExecution) -> ExecutionOutcome:
            spec = execution_spec(self._prepared, work, value_globals(base, parent_ids, work))
            return run_execution(spec, self._services)

        ValueBatch(works, run_one, report, self._pool, self._max_workers).start()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class LocalExecutor:
    """``--executor local`` (the default): threads of this process, at most ``max_workers`` at once."""

    name = "local"

    def open_backend(self, prepared: PreparedApplication, services: RunServices, durable: Any = None) -> LocalBackend:
        return LocalBackend(prepared, services, services.max_workers)

    def close(self) -> None:
        return None
