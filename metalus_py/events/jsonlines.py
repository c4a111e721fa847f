"""Writing a run's events as JSON lines (one object per line) to a local path or fsspec URL."""

from __future__ import annotations

import json
import threading
from typing import IO, Any

from metalus_py.base.local_files import open_text
from metalus_py.events import RunEvent

#: One encoder for every line (``json.dumps(..., default=str)`` would build one per event).
_ENCODER = json.JSONEncoder(default=str)


class JsonLinesEventLog:
    """A listener that appends every event to a JSON-lines file (flushed per event)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._handle: IO[Any] = open_text(location, "a", make_parents=True)
        self._lock = threading.Lock()

    def on_event(self, event: RunEvent) -> None:
        line = _ENCODER.encode(event.to_dict())
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()


def read_events(location: str) -> list[dict[str, Any]]:
    """The events of a JSON-lines log, in order."""
    with open_text(location) as handle:
        return [json.loads(line) for line in handle if line.strip()]
