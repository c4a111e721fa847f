"""Run events and listeners.

A listener is any object with ``on_event(event: RunEvent)``; :class:`PipelineListener` gives
one method per event kind to override. Listeners are independent: one listener's error is
logged and never affects another listener or the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from metalus_py.base.records import iso, now

_LOG = logging.getLogger("metalus_py.events")

EVENT_KINDS = (
    "application_started",
    "application_finished",
    "execution_started",
    "execution_finished",
    "execution_stopped",
    "execution_skipped",
    "pipeline_started",
    "pipeline_finished",
    "step_started",
    "step_finished",
    "step_exception",
    "step_retry",
    "step_killed",
    "step_stale",
)


@dataclass
class RunEvent:
    """One thing that happened in a run, with the ids of where it happened."""

    kind: str
    run_id: str = ""
    execution_id: str | None = None
    fork_index: list[int] | None = None
    pipeline_id: str | None = None
    step_id: str | None = None
    path: str | None = None
    timestamp: float = field(default_factory=now)
    duration: float | None = None
    status: str | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event": self.kind,
            "runId": self.run_id,
            "executionId": self.execution_id,
            "forkIndex": self.fork_index,
            "pipelineId": self.pipeline_id,
            "stepId": self.step_id,
            "path": self.path,
            "timestamp": iso(self.timestamp),
            "durationSeconds": round(self.duration, 6) if self.duration is not None else None,
            "status": self.status,
            "error": self.error,
        }
        if self.data:
            out["data"] = self.data
        return {k: v for k, v in out.items() if v is not None}


class Listener(Protocol):
    def on_event(self, event: RunEvent) -> None: ...


class PipelineListener:
    """Base class with one no-op method per event kind; override the ones you need."""

    def on_event(self, event: RunEvent) -> None:
        handler = getattr(self, event.kind, None)
        if handler is not None:
            handler(event)


class EventBus:
    """Delivers events to every listener; a failing listener is logged and skipped."""

    def __init__(self, listeners: list[Listener] | None = None) -> None:
        self._listeners: list[Listener] = list(listeners or [])
        self._lock = threading.Lock()

    def add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    @property
    def listeners(self) -> list[Listener]:
        return list(self._listeners)

    @property
    def active(self) -> bool:
        """Whether any listener is registered (callers may skip building events otherwise)."""
        return bool(self._listeners)

    def emit(self, event: RunEvent) -> None:
        for listener in self._listeners:
            try:
                listener.on_event(event)
            except Exception:  # a listener never breaks a run
                _LOG.exception("listener %r failed on %s", listener, event.kind)


_AMBIENT: ContextVar[tuple[Listener, ...]] = ContextVar("metalus_ambient_listeners", default=())


def ambient_listeners() -> tuple[Listener, ...]:
    """Listeners added by :func:`listening` around the current code (every run started there gets them)."""
    return _AMBIENT.get()


@contextmanager
def listening(*listeners: Listener) -> Iterator[None]:
    """Give ``listeners`` to every run started inside the ``with`` block (e.g. a notebook's live view)."""
    token = _AMBIENT.set((*_AMBIENT.get(), *listeners))
    try:
        yield
    finally:
        _AMBIENT.reset(token)
