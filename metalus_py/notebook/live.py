"""Live progress of a run in a Jupyter output cell: steps done, elapsed time, running steps, the graph.

:func:`live_progress` wraps a run started from a notebook (``Application.run`` does it): an HTML
block is displayed and updated in place (at most every ``interval`` seconds) with the execution
graph coloured by status. Outside a notebook kernel it does nothing.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from metalus_py.base.status import ExecutionStatus, RunStatus
from metalus_py.events import RunEvent, listening


def in_notebook() -> bool:
    """True inside a Jupyter kernel (not a plain IPython terminal or Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class NotebookProgress:
    """A listener drawing the run's progress into the notebook cell that started it."""

    def __init__(self, document: Mapping[str, Any], *, interval: float = 0.25) -> None:
        from IPython.display import HTML, display

        from metalus_py.plan.layout import plan_graph

        self._html_cls = HTML
        self.graph = plan_graph(document)
        self.interval = interval
        self.total = sum(len(p["steps"]) for e in self.graph["executions"] for p in e["pipelines"])
        self.done = 0
        self.started = time.monotonic()
        self.statuses: dict[str, str] = {}  # execution key -> status
        self.running: dict[str, str] = {}  # execution key -> current step
        self.status: str = RunStatus.RUNNING
        self._last = 0.0
        self._lock = threading.Lock()
        self._handle = display(HTML(self.html()), display_id=True)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per execution id, how many of its keys (fork values) are in each status."""
        out: dict[str, dict[str, int]] = {}
        for key, status in self.statuses.items():
            own = out.setdefault(key.split("[", 1)[0], {})
            own[status] = own.get(status, 0) + 1
        return out

    def html(self) -> str:
        """The progress block: bar, counts, running steps and the coloured graph."""
        from metalus_py.plan.svg import plan_svg

        elapsed = time.monotonic() - self.started
        total = max(self.total, self.done)
        running = ", ".join(f"{k}: {v}" for k, v in list(self.running.items())[:6] if v)
        return (
            '<div class="metalus-progress" style="font-family:system-ui,sans-serif">'
            f'<div><b>{html.escape(self.status)}</b> · <progress value="{self.done}" max="{total or 1}"></progress> '
            f"{self.done}/{total} steps · {elapsed:.1f}s"
            + (f" · running {html.escape(running)}" if running and self.status == RunStatus.RUNNING else "")
            + f"</div>{plan_svg(self.graph, self.counts())}</div>"
        )

    def on_event(self, event: RunEvent) -> None:
        key = (event.execution_id or "") + "".join(f"[{i}]" for i in (event.fork_index or []))
        with self._lock:
            if event.kind == "execution_started":
                self.statuses[key] = ExecutionStatus.RUNNING
            elif event.kind.startswith("execution_"):
                self.statuses[key] = event.status or event.kind.removeprefix("execution_").upper()
                self.running.pop(key, None)
            elif event.kind == "step_started":
                self.running[key] = f"{event.pipeline_id}.{event.path or event.step_id}"
            elif event.kind in ("step_finished", "step_exception", "step_killed"):
                self.done += 1
                if event.execution_id and self.statuses.get(key) != ExecutionStatus.RUNNING:
                    self.statuses[key] = ExecutionStatus.RUNNING
            elif event.kind == "application_finished":
                self.status = event.status or "FINISHED"
            due = time.monotonic() - self._last >= self.interval or event.kind == "application_finished"
            if due:
                self._last = time.monotonic()
        if due:
            self.refresh()

    def refresh(self) -> None:
        """Redraw the block now."""
        if self._handle is not None:
            self._handle.update(self._html_cls(self.html()))


@contextmanager
def live_progress(document: Mapping[str, Any]) -> Iterator[NotebookProgress | None]:
    """Show live progress for runs started inside the block when running in a notebook."""
    if not in_notebook():
        yield None
        return
    progress = NotebookProgress(document)
    with listening(progress):
        try:
            yield progress
        finally:
            progress.refresh()
