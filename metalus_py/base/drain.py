"""Run a list of items, adding threads only when items prove slow.

A parallel fork step over many trivial values gains nothing from threads (they only contend for
the GIL) and pays for every hand-off; over slow values (I/O, polars work releasing the GIL) it
must run them side by side. :func:`run_all` starts on the calling thread and adds a worker thread,
up to ``max_workers``, each time an item has been running for ``spawn_after`` seconds while
others wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: An item running this long (seconds) makes the next waiting item start on a new thread.
SPAWN_AFTER = 0.02


def run_all(
    items: Sequence[T], work: Callable[[T], R], max_workers: int, *, name: str = "drain",
    spawn_after: float = SPAWN_AFTER,
) -> list[R]:
    """``[work(item) for item in items]``, on up to ``max_workers`` threads (the caller's included).

    Raises:
        BaseException: the first exception ``work`` raised (the other items still ran).
    """
    if max_workers <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    return _Drain(items, work, max_workers, name, spawn_after).run()


class _Drain:
    def __init__(
        self, items: Sequence[T], work: Callable[[T], R], max_workers: int, name: str, spawn_after: float
    ) -> None:
        self._items, self._work, self._max, self._name, self._spawn_after = items, work, max_workers, name, spawn_after
        self._results: list[R | None] = [None] * len(items)
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._next = 0
        self._busy_since: dict[int, float] = {}  # worker number -> when its current item started
        self._threads: list[threading.Thread] = []
        self._done = threading.Event()

    def run(self) -> list[R]:
        watcher = threading.Thread(target=self._watch, name=f"{self._name}-watch", daemon=True)
        watcher.start()
        try:
            self._drain(0)
        finally:
            self._done.set()
            watcher.join()
            for thread in list(self._threads):
                thread.join()
        if self._errors:
            raise self._errors[0]
        return self._results  # type: ignore[return-value]

    def _take(self, worker: int) -> int | None:
        with self._lock:
            if self._next >= len(self._items):
                self._busy_since.pop(worker, None)
                return None
            index = self._next
            self._next += 1
            self._busy_since[worker] = time.monotonic()
            return index

    def _drain(self, worker: int) -> None:
        while (index := self._take(worker)) is not None:
            try:
                self._results[index] = self._work(self._items[index])
            except BaseException as exc:  # noqa: BLE001 - re-raised by run() once every item ran
                with self._lock:
                    self._errors.append(exc)

    def _watch(self) -> None:
        """Add a worker whenever one has been busy on an item for ``spawn_after`` and items wait."""
        while not self._done.wait(self._spawn_after):
            with self._lock:
                waiting = self._next < len(self._items)
                workers = 1 + len(self._threads)
                now = time.monotonic()
                slow = any(now - since >= self._spawn_after for since in self._busy_since.values())
                if not (waiting and slow and workers < self._max):
                    if not waiting:
                        return
                    continue
                thread = threading.Thread(target=self._drain, args=(workers,), name=f"{self._name}-{workers}",
                                          daemon=True)
                self._threads.append(thread)
            thread.start()
