"""Fewer garbage-collector pauses during a run.

A run allocates many small, short-lived objects (records, events, contexts); with CPython's
default thresholds the collector then spends a large share of the run re-scanning long-lived
objects. While a run is active the objects that existed before it are frozen (never scanned)
and the young-generation threshold is raised; both are restored when the last run ends. Objects
the caller froze itself stay frozen: when something is frozen already, nothing more is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] = gc.get_threshold()
_froze = False

#: Young-generation allocations between collections while a run is active.
RUN_THRESHOLD = 50_000


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Freeze existing objects and collect less often for the duration of the block."""
    global _active, _saved, _froze
    with _lock:
        _active += 1
        if _active == 1:
            _saved = gc.get_threshold()
            # gc.unfreeze() cannot tell our frozen objects from the caller's: freeze only when none are.
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
            gc.set_threshold(max(_saved[0], RUN_THRESHOLD), _saved[1], _saved[2])
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
                if _froze:
                    gc.unfreeze()
