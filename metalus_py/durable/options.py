"""Options of a recorded run (kept apart so the command line can build them without the state layer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metalus_py.events import Listener


@dataclass
class RunOptions:
    """How a recorded run executes."""

    persist: str | None = None
    artifacts: str | None = None
    max_workers: int | None = None
    listeners: list[Listener] = field(default_factory=list)
    lease_ttl: float = 30.0
    strict: bool = False
    root_executions: list[str] | None = None
    #: ``"local"``, ``"dask"``, an ``ExecutorChoice`` or an executor object (None: ``METALUS_EXECUTOR``, else local)
    executor: Any = None
    #: ``"EXEC.PIPELINE.STEP"``: pause the run after that step (reason ``until EXEC.PIPELINE.STEP``).
    until: str | None = None
