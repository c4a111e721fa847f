"""Events recorded by workers, read back from the store and handed to the driver's listeners.

Workers append their events to the run's log in the state store. The driver polls the log and
gives each event it did not write itself to its own listeners (console progress, the events
file), so a distributed run is seen like a local one.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from metalus_py.events import EventBus, RunEvent

_LOG = logging.getLogger("metalus_py.executors")

_FIELDS = {"runId": "run_id", "executionId": "execution_id", "forkIndex": "fork_index",
           "pipelineId": "pipeline_id", "stepId": "step_id", "path": "path", "status": "status", "error": "error"}


def event_from_dict(data: dict[str, Any]) -> RunEvent:
    """The inverse of :meth:`RunEvent.to_dict`."""
    event = RunEvent(str(data.get("event", "")))
    for key, attribute in _FIELDS.items():
        if key in data:
            setattr(event, attribute, data[key])
    if data.get("timestamp"):
        event.timestamp = datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00")).timestamp()
    if data.get("durationSeconds") is not None:
        event.duration = float(data["durationSeconds"])
    event.data = dict(data.get("data") or {})
    return event


class EventTail:
    """Polls a run's event log and forwards other processes' events to ``bus``.

    Args:
        own: tells whether a sequence number was written by this process (those are skipped).
    """

    def __init__(self, store: Any, run_id: str, bus: EventBus, own: Any, interval: float = 0.2) -> None:
        self.store, self.run_id, self.bus, self.own, self.interval = store, run_id, bus, own, interval
        self._after = self._last_seq()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"event-tail-{run_id}", daemon=True)
        self._thread.start()

    def _last_seq(self) -> int:
        events = self.store.list_events(run_id=self.run_id, after_seq=0)
        return events[-1].seq if events else 0

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain()

    def drain(self) -> None:
        """Forward every event recorded so far."""
        with self._lock:
            try:
                records = self.store.list_events(run_id=self.run_id, after_seq=self._after)
            except Exception:  # the tail must never end the run
                _LOG.debug("event tail of run %s: poll failed", self.run_id, exc_info=True)
                return
            for record in records:
                self._after = max(self._after, record.seq)
                if not self.own(record.seq):
                    self.bus.emit(event_from_dict(dict(record.event)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.drain()
