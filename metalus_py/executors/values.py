"""The values of one fork launch, run by the local backend without per-value set-up or hand-off.

Every value of a launch has the same parents, so the globals they start with are built once
(:func:`launch_globals`) and each value gets a copy with its own value and index
(:func:`value_globals`). :class:`ValueBatch` runs the values from one queue: it starts one pool
task and adds another, up to ``max_workers``, whenever a value has been running for
``spawn_after`` seconds while others wait (trivial values only contend for the GIL; slow values
still run side by side). Outcomes reach the runner in batches (at most every ``flush_after``
seconds, and at once after a slow value), not one hand-off per value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from metalus_py.base.drain import SPAWN_AFTER
from metalus_py.base.records import ErrorInfo
from metalus_py.base.status import ExecutionStatus
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.plan.injection import FORK_INDEX, FORK_VALUE
from metalus_py.plan.work import ReadyExecution
from metalus_py.steps.context import GLOBAL_LINKS

#: Outcomes finished this long ago (seconds) are handed to the runner with the next value's.
FLUSH_AFTER = 0.005

#: Reports a batch of finished outcomes (called from any thread).
Report = Callable[[list[ExecutionOutcome]], None]


def value_globals(base: dict[str, Any], parent_ids: tuple[str, ...], work: ReadyExecution) -> dict[str, Any]:
    """One value's starting globals: a copy of the launch's, with its own parent views, links and value."""
    globals_ = dict(base)
    for parent_id in parent_ids:  # each value gets its own view dicts, as when built per value
        view = globals_.get(parent_id)
        if isinstance(view, dict):
            globals_[parent_id] = dict(view)
    links = globals_.get(GLOBAL_LINKS)
    if isinstance(links, dict):
        globals_[GLOBAL_LINKS] = dict(links)
    globals_[FORK_VALUE] = work.fork_value
    globals_[FORK_INDEX] = work.index[-1]
    return globals_


def could_not_run(work: ReadyExecution, exc: BaseException) -> ExecutionOutcome:
    """The ERROR outcome of an instance the backend failed to run (as the runner records one)."""
    outcome = ExecutionOutcome(work.key, work.execution_id, list(work.index), ExecutionStatus.ERROR,
                               reason=f"execution could not run: {exc}")
    outcome.error = ErrorInfo(type(exc).__name__, str(exc))
    outcome.ended_at = outcome.started_at
    return outcome


class ValueBatch:
    """Runs ``run_one`` for every work of a fork launch on pool tasks; reports outcomes in batches."""

    def __init__(
        self,
        works: list[ReadyExecution],
        run_one: Callable[[ReadyExecution], ExecutionOutcome],
        report: Report,
        pool: Executor,
        max_workers: int,
        *,
        spawn_after: float = SPAWN_AFTER,
        flush_after: float = FLUSH_AFTER,
    ) -> None:
        self._works, self._run_one, self._report, self._pool = works, run_one, report, pool
        self._max, self._spawn_after, self._flush_after = max_workers, spawn_after, flush_after
        self._lock = threading.Lock()
        self._next = 0
        self._workers = 0
        self._busy_since: dict[int, float] = {}  # worker number -> when its current value started
        self._finished: list[ExecutionOutcome] = []
        self._flushed_at = time.monotonic()
        self._done = threading.Event()

    def start(self) -> None:
        """Start the first pool task (and a watcher adding more while values wait and one is slow)."""
        self._spawn()
        if self._max > 1 and len(self._works) > 1:
            threading.Thread(target=self._watch, name="fork-values-watch", daemon=True).start()

    def _spawn(self) -> None:
        worker = self._workers
        self._workers += 1
        self._pool.submit(self._drain, worker)

    def _drain(self, worker: int) -> None:
        outcome: ExecutionOutcome | None = None
        try:
            while (work := self._take(worker, outcome)) is not None:
                try:
                    outcome = self._run_one(work)
                except BaseException as exc:  # noqa: BLE001 - that value's ERROR; the other values still run
                    outcome = could_not_run(work, exc)
        finally:
            self._flush(force=True)

    def _take(self, worker: int, finished: ExecutionOutcome | None) -> ReadyExecution | None:
        """Hand in the outcome just finished and take the next value (``None``: none left)."""
        with self._lock:
            now = time.monotonic()
            if finished is not None:
                self._finished.append(finished)
                started = self._busy_since.get(worker, now)
                if now - self._flushed_at >= self._flush_after or now - started >= self._flush_after:
                    self._flush_locked(now)
            if self._next >= len(self._works):
                self._busy_since.pop(worker, None)
                self._done.set()
                return None
            work = self._works[self._next]
            self._next += 1
            self._busy_since[worker] = now
            return work

    def _flush(self, *, force: bool = False) -> None:
        with self._lock:
            if self._finished and (force or time.monotonic() - self._flushed_at >= self._flush_after):
                self._flush_locked(time.monotonic())

    def _flush_locked(self, now: float) -> None:
        batch, self._finished = self._finished, []
        self._flushed_at = now
        if batch:
            self._report(batch)

    def _watch(self) -> None:
        """Flush outcomes left waiting behind a slow value; add a worker while values wait and one is slow."""
        while not self._done.wait(self._spawn_after):
            self._flush()
            with self._lock:
                now = time.monotonic()
                slow = any(now - since >= self._spawn_after for since in self._busy_since.values())
                if slow and self._workers < self._max and self._next < len(self._works):
                    self._spawn()
        self._flush()
