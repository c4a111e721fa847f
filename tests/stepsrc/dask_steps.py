"""Step functions for the Dask executor tests (``tests/executors``): where a step ran, CPU work."""

from __future__ import annotations

import os
import time
from typing import Any


class DaskSteps:
    @staticmethod
    def pid(value: Any = None) -> int:
        """The id of the process that ran the step."""
        return os.getpid()

    @staticmethod
    def burn(value: Any = None, seconds: Any = 0.5) -> Any:
        """About ``seconds`` of pure-Python CPU work (holds the GIL), then ``value``."""
        deadline = time.thread_time() + float(seconds)
        total = 0
        while time.thread_time() < deadline:
            for i in range(10_000):
                total += i * i
        return value

    @staticmethod
    def nap(value: Any = None, seconds: Any = 1.0) -> Any:
        """Sleep, then give ``value`` back (a step that is still running when a test acts)."""
        time.sleep(float(seconds))
        return value

    @staticmethod
    def span(value: Any = None, seconds: Any = 0.3) -> dict[str, Any]:
        """Sleep, then report the value, the thread and the start and end of the sleep."""
        import threading

        started = time.monotonic()
        time.sleep(float(seconds))
        return {"value": value, "thread": threading.get_ident(), "start": started, "end": time.monotonic()}
