"""What a run shows while it runs: a live view on a terminal, one plain line per event otherwise."""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from typing import Any, TextIO

from metalus_py.base.secrets import redact_known, secrets_in_play
from metalus_py.base.status import ExecutionStatus, StepStatus
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
    """The live terminal view (rich): done/total steps, elapsed time and the running executions.

    Log records and ``print`` output of steps appear above it and stay; finished executions
    and errors are printed above it as lines; the values of a fork execution share one row.

    Args:
        total_steps: the steps the plan holds (grown as fork values appear); ``None`` shows
            the count of finished steps only.
        title: the first words of the progress line.
    """

    def __init__(self, total_steps: int | None = None, *, title: str = "metalus run") -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("steps"), TimeElapsedColumn(), console=self.console)
        self._planned = total_steps
        self._task = self._progress.add_task(title, total=total_steps)
        self._done = 0
        self._running: dict[str, dict[str, Any]] = {}  # execution key -> {"status", "current", "id"}
        self._per_execution: dict[str, int] = {}  # execution id -> steps planned for one value
        self._seen_values: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._handlers: list[tuple[Any, Any]] = []
        self._live = Live(console=self.console, get_renderable=self._render, refresh_per_second=8,
                          transient=False, redirect_stdout=True, redirect_stderr=True)

    def plan(self, steps_per_execution: dict[str, int]) -> LiveProgress:
        """Steps planned per execution id (one fork value each); sets the total."""
        self._per_execution = dict(steps_per_execution)
        self._planned = sum(steps_per_execution.values())
        self._progress.update(self._task, total=self._planned)
        self._live.refresh()
        return self

    def _render(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        rows: list[Any] = [self._progress.get_renderable()]
        with self._lock:
            groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for key, row in self._running.items():
                groups.setdefault(row["id"], []).append((key, row))
        for execution_id, members in list(groups.items())[:12]:
            running = [(k, r) for k, r in members if r["status"] == ExecutionStatus.RUNNING]
            if not running:
                continue
            if len(members) == 1:
                key, row = members[0]
                rows.append(Text.assemble(("  ▶ ", "cyan"), (key, "bold"), "  ", (row["current"], "dim")))
            else:
                counts: dict[str, int] = {}
                for _, r in members:
                    counts[r["status"]] = counts.get(r["status"], 0) + 1
                states = ", ".join(f"{n} {s.lower()}" for s, n in counts.items())
                key, row = running[-1]
                rows.append(Text.assemble(("  ▶ ", "cyan"), (f"{execution_id} ×{len(members)}", "bold"),
                                          f" ({states})  ", (f"{key} {row['current']}", "dim")))
        if len(groups) > 12:
            rows.append(Text(f"  … {len(groups) - 12} more executions", style="dim"))
        return Group(*rows)

    def __enter__(self) -> LiveProgress:
        import logging

        self._live.__enter__()
        # Log handlers bound to the real stderr would draw through the live view: point them at
        # the live console's stream, which prints above it.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.__stderr__, self._live.console.file):
                self._handlers.append((handler, handler.stream))
                handler.setStream(sys.stderr)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._planned is not None and self._done != self._planned:
                self._progress.update(self._task, total=self._done)  # branches not taken, values not run
            self._running = {k: r for k, r in self._running.items() if r["status"] == ExecutionStatus.RUNNING}
        self._live.refresh()
        self._live.__exit__(None, None, None)
        for handler, stream in self._handlers:
            handler.setStream(stream)
        self._handlers.clear()

    def on_event(self, event: RunEvent) -> None:
        key = (event.execution_id or "") + "".join(f"[{i}]" for i in (event.fork_index or []))
        line: str | None = None
        with self._lock:
            row = self._running.setdefault(key, {"status": ExecutionStatus.PENDING, "current": "", "id": event.execution_id or ""})
            if event.kind == "execution_started":
                row["status"] = ExecutionStatus.RUNNING
                self._grow(event.execution_id or "", key)
            elif event.kind.startswith("execution_"):
                row["status"] = event.status or event.kind.removeprefix("execution_").upper()
                if not event.fork_index:
                    took = f" {event.duration:.2f}s" if event.duration is not None else ""
                    why = f" - {event.error.splitlines()[0][:200]}" if event.error else ""
                    line = f"[bold]{key}[/] {row['status']}{took}{why}"
            elif event.kind == "step_started":
                row["current"] = f"{event.pipeline_id}.{event.path or event.step_id}"
            elif event.kind in ("step_finished", "step_killed") or (event.kind == "step_exception"):
                if event.kind != "step_exception" or event.status in (StepStatus.ERROR, StepStatus.KILLED):
                    self._done += 1
                    self._progress.update(self._task, completed=self._done)
                if event.kind == "step_exception" and event.error:
                    line = f"[red]{_where(event)}[/] {event.error.splitlines()[0][:300]}"
            elif event.kind == "step_retry":
                row["current"] = f"retrying {event.pipeline_id}.{event.path or event.step_id}"
            elif event.kind == "step_stale":
                reason = str(event.data.get("reason") or "a source changed").splitlines()[0][:300]
                line = f"[yellow]{_where(event)}[/] computed again: {reason}"
        if line is not None:
            self._live.refresh()  # what is re-drawn below the line is the current state, not the last frame
            self._live.console.print(line, highlight=False)

    def _grow(self, execution_id: str, key: str) -> None:
        """A fork value seen for the first time adds its execution's steps to the total."""
        values = self._seen_values.setdefault(execution_id, set())
        if key in values:
            return
        values.add(key)
        if len(values) > 1 and self._planned is not None:
            self._planned += self._per_execution.get(execution_id, 0)
            self._progress.update(self._task, total=self._planned)


def planned_steps(location: str, parameters: dict[str, Any]) -> dict[str, int]:
    """Steps per execution id of an application file (evaluation pipelines included); {} if unknown."""
    try:
        from metalus_py.api import load_document
        from metalus_py.plan.layout import plan_graph

        graph = plan_graph(load_document(location), source=location)
    except Exception:  # the total is a nicety: the run reports real problems itself
        return {}
    return {e["id"]: sum(len(p["steps"]) for p in e["pipelines"]) for e in graph["executions"]}


def redacted_event(event: RunEvent) -> RunEvent:
    """The event with secrets removed from its error text and data (by type and by known value)."""
    if not secrets_in_play():  # nothing to remove: no copy
        return event
    return replace(event, error=redact_known(event.error), data=redact_known(event.data))


class RedactingListener:
    """Passes every event on to ``inner`` with secrets removed (progress lines, the event log)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def on_event(self, event: RunEvent) -> None:
        self.inner.on_event(redacted_event(event))
