"""Step completions waiting to be recorded: sent with the next claim, or soon after in the background.

Latency rule: a completion added here is recorded at the latest when the next step of the run is
claimed (in the same round trip as that claim), or ``max_delay`` seconds after it was added (a
background flush, for the last step before a pause in claims), or at :meth:`CompletionBuffer.flush`
(the run's end). A completion is only added once the step's outputs are durable, so a process
killed meanwhile (even SIGKILL) only loses the record: those steps stay ``RUNNING`` under a dead
owner and run again on resume.
"""

from __future__ import annotations

import logging
import threading

from metalus_py.durable.periodic import PeriodicFlush
from metalus_py.state import StateStore, StepCompletion
from metalus_py.state.errors import ClaimLostError

_LOG = logging.getLogger("metalus_py.durable")


class CompletionBuffer:
    """Completions of one run and owner not yet recorded in ``store``."""

    def __init__(self, store: StateStore, *, run_id: str, owner: str, max_delay: float = 0.1) -> None:
        self.store = store
        self.run_id = run_id
        self.owner = owner
        self.max_delay = max_delay
        self._pending: list[StepCompletion] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # flush waits for a background write in flight
        self._flusher = PeriodicFlush(f"completions-{run_id}", max_delay, pending=lambda: bool(self._pending),
                                      flush=self.flush, on_error=self._flush_failed)

    def add(self, completion: StepCompletion) -> None:
        """Queue a completion (its outputs are durable already)."""
        with self._lock:
            self._pending.append(completion)
        self._flusher.wake()

    def take(self) -> list[StepCompletion]:
        """Remove and return every queued completion (the caller records them, e.g. with a claim)."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def put_back(self, completions: list[StepCompletion]) -> None:
        """Queue again completions taken with :meth:`take` whose write failed."""
        if completions:
            with self._lock:
                self._pending[:0] = completions

    def flush(self) -> None:
        """Record every queued completion now (and wait for a background write in flight).

        Raises:
            ClaimLostError: the owner no longer held one of them (the others are recorded).
        """
        with self._write_lock:
            pending = self.take()
            if not pending:
                return
            try:
                self.store.complete_steps(run_id=self.run_id, owner=self.owner, completions=pending)
            except ClaimLostError:
                raise
            except BaseException:
                self.put_back(pending)
                raise

    def _flush_failed(self, error: Exception) -> None:
        if isinstance(error, ClaimLostError):
            _LOG.warning("run %s: a step completion could not be recorded: %s", self.run_id, error)
        else:  # the completions are queued again: the next claim or the run's end writes them
            _LOG.exception("recording step completions of run %s failed", self.run_id, exc_info=error)
