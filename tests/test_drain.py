"""run_all: trivial items stay on the calling thread; slow items spread over at most max_workers."""

from __future__ import annotations

import threading
import time

import pytest

from metalus_py.base.drain import run_all


def test_trivial_items_run_in_order_on_the_calling_thread() -> None:
    me = threading.get_ident()
    results = run_all(list(range(2_000)), lambda i: (i * 2, threading.get_ident()), 4)
    assert [value for value, _ in results] == [i * 2 for i in range(2_000)]
    assert {thread for _, thread in results} == {me}


def test_slow_items_run_side_by_side_on_at_most_max_workers_threads() -> None:
    def slow(i: int) -> tuple[int, float, float]:
        started = time.monotonic()
        time.sleep(0.3)
        return threading.get_ident(), started, time.monotonic()

    spans = run_all(list(range(6)), slow, 3)
    threads = {thread for thread, _, _ in spans}
    assert 2 <= len(threads) <= 3
    ordered = sorted(spans, key=lambda s: s[1])
    assert ordered[1][1] < ordered[0][2]  # the second item started before the first one ended


def test_every_item_runs_and_the_first_error_is_raised() -> None:
    ran: list[int] = []

    def work(i: int) -> int:
        ran.append(i)
        if i == 3:
            time.sleep(0.05)
            raise KeyboardInterrupt("stop")
        return i

    with pytest.raises(KeyboardInterrupt, match="stop"):
        run_all(list(range(10)), work, 2)
    assert sorted(ran) == list(range(10))


def test_one_worker_or_one_item_is_a_plain_loop() -> None:
    assert run_all([1, 2, 3], lambda i: i + 1, 1) == [2, 3, 4]
    assert run_all([5], lambda i: i, 8) == [5]
