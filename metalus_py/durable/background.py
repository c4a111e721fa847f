"""Step outputs written on a writer thread while the run goes on to its next step.

Only outputs that cannot change once the step returned are written in the background: a step
whose primary return is an eager ``polars.DataFrame`` or ``pyarrow.Table`` and whose named
returns (if any) are all such frames or ``None``. A polars frame is cloned first (cheap: the
columns are shared copy-on-write), so a later step changing it in place (``extend``,
``insert_column``) does not change what is written; an Arrow table is immutable. Everything else
(JSON values and Python objects, which a later step could mutate, LazyFrames with their own plan
and stream path) is written synchronously by the journal, as before.

One writer thread per journal writes in submission order. The journal queues a step's
completion only once its write has finished, so a step is recorded COMPLETE only once its
artifact is durable; a process killed (even SIGKILL) during a write leaves the step RUNNING (it
runs again on resume), and the artifact is never half written (write, then rename).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.base.loaded_modules import loaded
from metalus_py.steps.response import StepResponse


class StepOutputError(PipelineException):
    """A step's output could not be stored (in the background): the step is not COMPLETE."""

    terminal = True


def _frame_kinds() -> tuple[type, ...]:
    kinds: list[type] = []
    pl = loaded("polars")
    if pl is not None:
        kinds.append(pl.DataFrame)
    pa = loaded("pyarrow")
    if pa is not None:
        kinds.append(pa.Table)
    return tuple(kinds)


def frozen_frames(response: StepResponse) -> StepResponse | None:
    """The response to write in the background (polars frames cloned), or ``None`` when it must be
    written synchronously (its primary return is not an eager frame, or a named return is neither
    an eager frame nor ``None``)."""
    kinds = _frame_kinds()
    if not kinds or not isinstance(response.primary_return, kinds):
        return None
    named = response.named_returns or {}
    if any(value is not None and not isinstance(value, kinds) for value in named.values()):
        return None
    return StepResponse(
        _frozen(response.primary_return),
        {k: _frozen(v) for k, v in named.items()} if response.named_returns is not None else None,
    )


def _frozen(value: Any) -> Any:
    pl = loaded("polars")
    if pl is not None and isinstance(value, pl.DataFrame):
        return value.clone()
    return value


class BackgroundWriter:
    """One writer thread (started on the first write, stopped by :meth:`drain`) running jobs in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._last: Future[None] | None = None

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` after every job submitted before it (``job`` handles its own errors)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            self._last = self._pool.submit(job)

    def wait(self) -> None:
        """Wait until every job submitted so far (and while waiting) has finished."""
        while True:
            with self._lock:
                last = self._last
            if last is None or last.done():
                with self._lock:
                    if self._last is last:
                        return
                continue
            last.exception()  # waits; a job's own errors are its business

    def drain(self) -> None:
        """Wait for every job, then stop the writer thread (a later :meth:`submit` starts another)."""
        self.wait()
        with self._lock:
            pool, self._pool = self._pool, None
            if self._last is not None and self._last.done():
                self._last = None
        if pool is not None:
            pool.shutdown(wait=True)
