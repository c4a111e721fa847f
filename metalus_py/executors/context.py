"""What a recorded (durable) run tells its executor: the store, the run and who listens on the driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metalus_py.events import Listener
from metalus_py.executors.recipe import RunReference


@dataclass
class RecordedRunContext:
    """The driver's side of a recorded run.

    Attributes:
        store: the run's state store (the driver's connection).
        reference: what every task of the run carries.
        listeners: the driver's own listeners (console, events file) that see workers' events.
        recorder: the driver's store recorder (to tell its own events from workers').
    """

    store: Any
    reference: RunReference
    listeners: list[Listener] = field(default_factory=list)
    recorder: Any = None
