"""The background flusher shared by the event recorder and the completion buffer."""

from __future__ import annotations

import threading

from metalus_py.durable.periodic import PeriodicFlush


class _Buffer:
    """Items written by a PeriodicFlush; ``flushed`` is set each time a flush writes something."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.items: list[int] = []
        self.written: list[int] = []
        self.errors: list[Exception] = []
        self.flushed = threading.Event()
        self._fail = fail_first
        self.flusher = PeriodicFlush("test-flush", 0.01, pending=lambda: bool(self.items), flush=self.flush,
                                     on_error=self.errors.append)

    def add(self, item: int) -> None:
        self.items.append(item)
        self.flusher.wake()

    def flush(self) -> None:
        if self._fail:
            self._fail = False
            raise OSError("store unavailable")
        taken, self.items = self.items, []
        self.written.extend(taken)
        self.flushed.set()


def test_work_added_is_flushed_in_the_background_and_the_thread_ends_when_idle() -> None:
    buffer = _Buffer()
    buffer.add(1)
    assert buffer.flushed.wait(10)
    thread = buffer.flusher._thread
    assert thread is not None
    thread.join(10)  # ends after a quiet second
    assert not thread.is_alive() and buffer.flusher._thread is None
    buffer.flushed.clear()
    buffer.add(2)  # a new thread is started for new work
    assert buffer.flushed.wait(10)
    assert buffer.written == [1, 2]


def test_a_failed_flush_is_reported_and_the_work_is_flushed_later() -> None:
    buffer = _Buffer(fail_first=True)
    buffer.add(7)
    assert buffer.flushed.wait(10)
    assert [str(e) for e in buffer.errors] == ["store unavailable"]
    assert buffer.written == [7]
