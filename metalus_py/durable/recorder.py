"""A listener that records executions, pipelines and every event of a run in the state store."""

from __future__ import annotations

import logging

from metalus_py.events import RunEvent
from metalus_py.state import StateStore

_LOG = logging.getLogger("metalus_py.durable")

_EXECUTION_STATUS = {
    "execution_started": "RUNNING",
    "execution_finished": "COMPLETE",
    "execution_skipped": "SKIPPED",
}


def _key(event: RunEvent) -> str:
    return (event.execution_id or "") + "".join(f"[{i}]" for i in (event.fork_index or []))


class StoreRecorder:
    """Appends events to the store and keeps execution and pipeline rows up to date."""

    def __init__(self, store: StateStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def on_event(self, event: RunEvent) -> None:
        self.store.append_event(run_id=self.run_id, event=event.to_dict())
        if event.kind.startswith("execution_") and event.execution_id is not None:
            status = _EXECUTION_STATUS.get(event.kind) or event.status or "ERROR"
            self.store.record_execution(
                run_id=self.run_id, execution_key=_key(event), execution_id=event.execution_id, status=status,
                fork_indices=tuple(event.fork_index or ()),
                reason=event.error if status not in ("RUNNING", "COMPLETE") else None,
                error={"message": event.error} if event.error and status == "ERROR" else None,
            )
        elif event.kind in ("pipeline_started", "pipeline_finished") and event.pipeline_id is not None:
            status = "RUNNING" if event.kind == "pipeline_started" else (event.status or "COMPLETE")
            self.store.record_pipeline(
                run_id=self.run_id, execution_key=_key(event), pipeline_id=event.pipeline_id, status=status
            )
