"""Step functions for the schedule tests (``tests/schedule``).

``record`` appends one JSON line per execution to a side-effect file: the run's globals that a
schedule sets (with their JSON types), so a test sees which ticks really ran and how often.
``gate`` blocks while a file exists, so a test can hold a run open (overlap, crashes).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from metalus_py import PipelineContext


class ScheduleSteps:
    @staticmethod
    def record(sideEffect: str, pipeline_context: PipelineContext) -> dict[str, Any]:
        """Append ``{"scheduleName", "scheduledTime", "parameters": {...}}`` as one line."""
        globals_ = pipeline_context.globals
        entry = {
            "scheduleName": globals_.get("scheduleName"),
            "scheduledTime": globals_.get("scheduledTime"),
            "parameters": {k: globals_.get(k) for k in ("limit", "ratio", "enabled", "tags", "options", "region")
                           if k in globals_},
        }
        fd = os.open(sideEffect, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(fd)
        return entry

    @staticmethod
    def frame(rows: Any = 3) -> Any:
        """A small polars frame (persisted as an artifact of the run)."""
        import polars as pl

        return pl.DataFrame({"n": list(range(int(rows)))})

    @staticmethod
    def gate(gateFile: str | None = None, seconds: Any = 60) -> str:
        """Wait while ``gateFile`` exists (at most ``seconds``)."""
        end = time.monotonic() + float(seconds)
        while gateFile and Path(gateFile).exists() and time.monotonic() < end:
            time.sleep(0.05)
        return "opened"
