"""One connection per thread: reused without locking, replaced when broken, refused once closed."""

from __future__ import annotations

import threading

import pytest

from metalus_py.state._sqlcore import ThreadConnections
from metalus_py.state.errors import StateError


class FakeConnection:
    """A connection object that can be broken and records being closed."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.broken = False
        self.closed = False


def _pool() -> tuple[ThreadConnections[FakeConnection], list[FakeConnection]]:
    opened: list[FakeConnection] = []

    def connect() -> FakeConnection:
        opened.append(FakeConnection(len(opened)))
        return opened[-1]

    def close(conn: FakeConnection) -> None:
        conn.closed = True

    return ThreadConnections(connect, close, lambda conn: not conn.broken), opened


def test_a_thread_gets_its_own_connection_again() -> None:
    pool, opened = _pool()
    first = pool.get()
    assert pool.get() is first
    seen: list[FakeConnection] = []
    worker = threading.Thread(target=lambda: seen.extend([pool.get(), pool.get()]))
    worker.start()
    worker.join()
    assert seen[0] is seen[1] and seen[0] is not first
    assert len(opened) == 2


def test_a_broken_connection_is_closed_and_replaced() -> None:
    pool, opened = _pool()
    first = pool.get()
    first.broken = True
    second = pool.get()
    assert second is not first and first.closed and pool.get() is second


def test_connections_of_ended_threads_are_closed_when_another_thread_connects() -> None:
    pool, opened = _pool()
    worker = threading.Thread(target=pool.get)
    worker.start()
    worker.join()
    pool.get()
    assert opened[0].closed and not opened[1].closed


def test_a_closed_pool_refuses_even_the_threads_that_had_a_connection() -> None:
    pool, opened = _pool()
    pool.get()
    pool.close_all()
    assert opened[0].closed
    with pytest.raises(StateError, match="closed"):
        pool.get()

