"""A background thread that flushes a buffer while it has work, then goes away.

The event recorder and the completion buffer both keep writes in memory briefly and must still
write them promptly when nothing else does. :class:`PeriodicFlush` calls ``flush`` every
``interval`` seconds while ``pending()`` is true, ends after a quiet second, and is started again
by the next :meth:`PeriodicFlush.wake`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Seconds without work after which the thread ends.
QUIET_SECONDS = 1.0


class PeriodicFlush:
    """Flushes every ``interval`` seconds while ``pending()``; a failed flush goes to ``on_error``."""

    def __init__(
        self, name: str, interval: float, *, pending: Callable[[], bool], flush: Callable[[], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.name = name
        self.interval = interval
        self._pending = pending
        self._flush = flush
        self._on_error = on_error
        self._thread: threading.Thread | None = None
        # Deciding to end (nothing pending) and wake's check happen under one lock, so work added
        # while the thread ends always finds either the thread still running or a new one started.
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Make sure the thread runs (call after adding work)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        idle = 0.0
        while True:
            time.sleep(self.interval)
            with self._lock:
                if not self._pending():
                    idle += self.interval
                    if idle >= QUIET_SECONDS:
                        self._thread = None
                        return
                    continue
            idle = 0.0
            try:
                self._flush()
            except Exception as exc:  # noqa: BLE001 - a timed flush never ends the run
                self._on_error(exc)
