"""Writing a run's events as JSON lines (one object per line) through fsspec."""

from __future__ import annotations

import json
import threading
from typing import IO, Any

import fsspec

from metalus_py.events import RunEvent


class JsonLinesEventLog:
    """A listener that appends every event to a JSON-lines file (flushed per event)."""

    def __init__(self, location: str) -> None:
        self.location = location
        fs, path = fsspec.core.url_to_fs(location)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            fs.makedirs(parent, exist_ok=True)
        self._handle: IO[Any] = fsspec.open(location, "a", encoding="utf-8").open()
        self._lock = threading.Lock()

    def on_event(self, event: RunEvent) -> None:
        line = json.dumps(event.to_dict(), default=str)
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()


def read_events(location: str) -> list[dict[str, Any]]:
    """The events of a JSON-lines log, in order."""
    with fsspec.open(location, "r", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
