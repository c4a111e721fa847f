"""Running the run of one tick to its end, exactly once, whoever started it.

The run id of a tick is fixed (``<name>__<time>``), so however many processes try, there is
one run record; its lease and atomic step claims mean one process executes it at a time and
no finished step runs again. :func:`complete_tick_run` starts the run if it does not exist,
resumes it if it was interrupted (its process died), and waits while another live process
holds it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.status import RunStatus
from metalus_py.durable.options import RunOptions
from metalus_py.durable.session import owner_process_dead, resume_run, start_run
from metalus_py.state import LeaseHeldError, RunExistsError, StateStore

__all__ = ["TickRun", "complete_tick_run", "run_is_live"]

_LOG = logging.getLogger("metalus_py.schedule")

#: Seconds between looks at a run another process holds.
POLL_SECONDS = 0.5


@dataclass
class TickRun:
    """What running one tick needs: the application, its globals and the run's id and metadata."""

    run_id: str
    application: str
    parameters: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Resume a run that finished FAILED, PAUSED or KILLED (a backfill), not only an interrupted one.
    resume_finished: bool = False


def run_is_live(store: StateStore, run_id: str) -> bool:
    """True while a live process holds the run's lease."""
    lease = store.get_lease(run_id=run_id)
    return lease is not None and lease.alive(store.now()) and not owner_process_dead(lease.owner)


def complete_tick_run(
    store: StateStore,
    tick: TickRun,
    options: Callable[[], RunOptions],
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> str:
    """Bring the tick's run to an end and return its status word.

    Starts the run when it is not recorded, resumes it when its process is gone (or, with
    ``resume_finished``, when it ended without completing), and otherwise waits for the process
    that holds it. A COMPLETE run is never run again.

    Args:
        store: the state store.
        tick: the run to complete.
        options: makes the run options (listeners) for an attempt.
        stopping: while waiting for another process, return ``"RUNNING"`` once this is true.

    Raises:
        ApplicationError: the application is invalid now, or the run cannot be resumed (pruned).
    """
    resumed_finished = False
    while True:
        record = store.get_run(run_id=tick.run_id)
        try:
            if record is None:
                return _status(start_run(store, tick.application, tick.parameters, run_id=tick.run_id,
                                         options=options(), metadata=tick.metadata))
            if record.status == RunStatus.COMPLETE:
                return RunStatus.COMPLETE
            if record.status != RunStatus.RUNNING and (not tick.resume_finished or resumed_finished):
                return str(record.status)
            if not run_is_live(store, tick.run_id):
                resumed_finished = record.status != RunStatus.RUNNING
                if record.status == RunStatus.RUNNING:
                    _LOG.warning("run %s was interrupted (its process is gone); resuming it", tick.run_id)
                return _status(resume_run(store, tick.run_id, {}, options=options()))
        except RunExistsError:
            continue  # another process created it a moment ago: look again
        except ApplicationError as exc:
            if not isinstance(exc.__cause__, LeaseHeldError):
                raise
        if stopping():
            return RunStatus.RUNNING
        time.sleep(POLL_SECONDS)


def _status(result: Any) -> str:
    return str(result.status)


def events_location(run_id: str) -> str | None:
    """Where a scheduled run's event log goes, as for ``metalus run``: ``.metalus/events/<run>.jsonl``
    under the current folder (``None`` when ``METALUS_EVENTS`` is ``none``)."""
    if os.environ.get("METALUS_EVENTS", "").strip().lower() == "none":
        return None
    return os.path.join(os.getcwd(), ".metalus", "events", f"{run_id}.jsonl")


def tick_metadata(schedule_name: str, scheduled_at: str, events: str | None) -> Mapping[str, Any]:
    """The run metadata of a tick's run: its schedule, and its event file for ``metalus prune``."""
    metadata: dict[str, Any] = {"schedule": {"name": schedule_name, "scheduledTime": scheduled_at}}
    if events:
        metadata["eventsFile"] = events
    return metadata
