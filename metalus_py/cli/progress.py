"""What a run shows while it runs: a live view on a terminal, one plain line per event otherwise."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from metalus_py.events import EVENT_KINDS, RunEvent

#: Events printed as plain lines (every kind of event: one line each).
_SHOWN = frozenset(EVENT_KINDS)



def _where(event: RunEvent) -> str:
    parts = [event.execution_id or ""]
    if event.fork_index:
        parts[0] += "".join(f"[{i}]" for i in event.fork_index)
    if event.pipeline_id:
        parts.append(event.pipeline_id)
    if event.path or event.step_id:
        parts.append(event.path or event.step_id or "")
    return ".".join(p for p in parts if p)


class PlainProgress:
    """One line per event on a stream (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.kinds = _SHOWN
        self.verbose = verbose
        self._lock = threading.Lock()

    def on_event(self, event: RunEvent) -> None:
        if event.kind not in self.kinds:
            return
        details = []
        if event.status:
            details.append(event.status)
        if event.duration is not None:
            details.append(f"{event.duration:.3f}s")
        if event.error:
            details.append(event.error.splitlines()[0][:300])
        line = f"[metalus] {event.kind:<18} {_where(event)} {' '.join(details)}".rstrip()
        with self._lock:
            print(line, file=self.stream, flush=True)


class LiveProgress:
    """A live table of executions and their current step (rich), for terminals."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.table import Table

        self._table_cls = Table
        self._rows: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._live = Live(self._render(), console=Console(stderr=True), refresh_per_second=8, transient=False)

    def _render(self) -> Any:
        table = self._table_cls(title="metalus run", expand=False)
        table.add_column("execution")
        table.add_column("status")
        table.add_column("current")
        for key, (status, current) in list(self._rows.items())[-40:]:
            table.add_row(key, status, current)
        return table

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.update(self._render())
        self._live.__exit__(None, None, None)

    def on_event(self, event: RunEvent) -> None:
        key = (event.execution_id or "") + "".join(f"[{i}]" for i in (event.fork_index or []))
        with self._lock:
            status, current = self._rows.get(key, ("PENDING", ""))
            if event.kind == "execution_started":
                status = "RUNNING"
            elif event.kind.startswith("execution_") and event.status:
                status = event.status
            elif event.kind == "step_started":
                current = f"{event.pipeline_id}.{event.path}"
            elif event.kind in ("step_exception", "step_retry"):
                current = f"{event.kind}: {event.path}"
            self._rows[key] = (status, current)
        self._live.update(self._render())


def redacted_event(event: RunEvent) -> RunEvent:
    """The event with secrets removed from its error text and data (by type and by known value)."""
    from dataclasses import replace

    from metalus_py.base.secrets import redact_known

    return replace(event, error=redact_known(event.error), data=redact_known(event.data))


class RedactingListener:
    """Passes every event on to ``inner`` with secrets removed (progress lines, the event log)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def on_event(self, event: RunEvent) -> None:
        self.inner.on_event(redacted_event(event))
