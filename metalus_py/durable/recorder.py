"""A listener that records executions, pipelines and every event of a run in the state store."""

from __future__ import annotations

import logging
import threading
import time

from metalus_py.base.keys import instance_key
from metalus_py.base.status import ExecutionStatus, PipelineStatus
from metalus_py.durable.periodic import PeriodicFlush
from metalus_py.events import RunEvent
from metalus_py.state import StateStore

_LOG = logging.getLogger("metalus_py.durable")

_EXECUTION_STATUS = {
    "execution_started": ExecutionStatus.RUNNING,
    "execution_finished": ExecutionStatus.COMPLETE,
    "execution_skipped": ExecutionStatus.SKIPPED,
}


def _key(event: RunEvent) -> str:
    return instance_key(event.execution_id or "", event.fork_index)


class StoreRecorder:
    """Appends events to the store and keeps execution and pipeline rows up to date.

    Step events are written in batches (one transaction per ``batch_size`` events, whenever an
    execution, pipeline or application event arrives, and at the latest ``max_delay`` seconds
    after the first buffered one, so a live monitor sees them promptly); :meth:`flush` writes
    what is left. Step states themselves are never batched: the journal records each step as it
    ends.
    """

    def __init__(
        self,
        store: StateStore,
        run_id: str,
        *,
        batch_size: int = 256,
        flush_every: float | None = None,
        max_delay: float = 0.25,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.batch_size = batch_size
        #: With a value, other events flush at most this often (seconds): the caller flushes at the end.
        self.flush_every = flush_every
        self.max_delay = max_delay
        self._flushed_at = time.monotonic()
        self._pending: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time keeps sequence numbers in event order
        self._flusher = PeriodicFlush(f"events-{run_id}", max_delay, pending=lambda: bool(self._pending),
                                      flush=self.flush, on_error=self._flush_failed)
        self._written: set[int] = set()

    def written(self, seq: int) -> bool:
        """Whether this recorder appended event ``seq`` (other processes append to the same log)."""
        with self._lock:
            return seq in self._written

    def flush(self) -> None:
        """Write the buffered events (in the order they happened)."""
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, []
                self._flushed_at = time.monotonic()
            if pending:
                self._written.update(self.store.append_events(run_id=self.run_id, events=pending))

    def _flush_failed(self, error: Exception) -> None:
        # A timed flush never ends the run; the final flush reports failures.
        _LOG.exception("writing buffered events of run %s failed", self.run_id, exc_info=error)

    def on_event(self, event: RunEvent) -> None:
        with self._lock:
            self._pending.append(event.to_dict())
            full = len(self._pending) >= self.batch_size
            due = self.flush_every is None or time.monotonic() - self._flushed_at >= self.flush_every
        self._flusher.wake()
        if full or (due and not event.kind.startswith("step_")):
            self.flush()
        if event.kind.startswith("execution_") and event.execution_id is not None:
            status = _EXECUTION_STATUS.get(event.kind) or event.status or ExecutionStatus.ERROR
            self.store.record_execution(
                run_id=self.run_id, execution_key=_key(event), execution_id=event.execution_id, status=status,
                fork_indices=tuple(event.fork_index or ()),
                reason=event.error if status not in (ExecutionStatus.RUNNING, ExecutionStatus.COMPLETE) else None,
                error={"message": event.error} if event.error and status == ExecutionStatus.ERROR else None,
            )
        elif event.kind in ("pipeline_started", "pipeline_finished") and event.pipeline_id is not None:
            status = PipelineStatus.RUNNING if event.kind == "pipeline_started" else (event.status or PipelineStatus.COMPLETE)
            self.store.record_pipeline(
                run_id=self.run_id, execution_key=_key(event), pipeline_id=event.pipeline_id, status=status
            )
