"""Run, execution, pipeline and step ids on every log record.

The flow sets the ids of what is running (:func:`log_ids`); :class:`IdsFilter`, installed on a
logging handler, copies them onto each record as ``record.metalus_ids`` (``run=... step=...``)
and as separate attributes (``metalus_run_id``, ``metalus_execution_id``, ``metalus_pipeline_id``,
``metalus_step_id``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

_IDS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("metalus_ids", default=())
FIELDS = ("run", "execution", "pipeline", "step")


class log_ids:  # noqa: N801 - used like a function: ``with log_ids(step=...)``
    """Attach ids to every record logged inside the block (in this thread or task)."""

    __slots__ = ("_ids", "_token")

    def __init__(self, **ids: str | None) -> None:
        self._ids = ids

    def __enter__(self) -> None:
        current = dict(_IDS.get())
        current.update({k: v for k, v in self._ids.items() if v})
        self._token = _IDS.set(tuple(current.items()))

    def __exit__(self, *exc: object) -> None:
        _IDS.reset(self._token)


def current_ids() -> dict[str, str]:
    return dict(_IDS.get())


class step_ids:  # noqa: N801 - used like a function: ``with step_ids(run, execution, pipeline, step)``
    """The ids of one running step (all four at once: the step loop's fast path)."""

    __slots__ = ("_ids", "_token")

    def __init__(self, run: str, execution: str, pipeline: str, step: str) -> None:
        self._ids = (("run", run), ("execution", execution), ("pipeline", pipeline), ("step", step))

    def __enter__(self) -> None:
        self._token = _IDS.set(self._ids)

    def __exit__(self, *exc: object) -> None:
        _IDS.reset(self._token)


def _stamp(record: logging.LogRecord) -> None:
    ids = dict(_IDS.get())
    record.metalus_ids = " ".join(f"{k}={ids[k]}" for k in FIELDS if k in ids) or "-"
    # Prefixed names: a caller's own ``extra={"run_id": ...}`` must never collide with ours.
    record.metalus_run_id = ids.get("run")
    record.metalus_execution_id = ids.get("execution")
    record.metalus_pipeline_id = ids.get("pipeline")
    record.metalus_step_id = ids.get("step")


class IdsFilter(logging.Filter):
    """Adds the running ids to each record (never filters anything out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _stamp(record)
        return True


_installed = False


def _stamping(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _stamp(record)
        return record

    return factory


def install_record_ids() -> None:
    """Give every log record of this process the running ids (``metalus_run_id``,
    ``metalus_execution_id``, ``metalus_pipeline_id``, ``metalus_step_id`` and ``metalus_ids``),
    whatever handler writes it, for good (a caller's opt-in; runs use :func:`record_ids`). Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.setLogRecordFactory(_stamping(logging.getLogRecordFactory()))


@contextmanager
def record_ids() -> Iterator[None]:
    """Stamp every log record with the running ids inside the block (see :func:`install_record_ids`);
    the factory found is put back after, unless someone replaced ours meanwhile."""
    previous = logging.getLogRecordFactory()
    ours = _stamping(previous)
    logging.setLogRecordFactory(ours)
    try:
        yield
    finally:
        if logging.getLogRecordFactory() is ours:
            logging.setLogRecordFactory(previous)


def configure_logging(level: int = logging.INFO, *, stream: TextIO | None = None) -> logging.Handler:
    """Log to stderr (or ``stream``) with the ids on every line; returns the handler installed."""
    handler: logging.Handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(IdsFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(metalus_ids)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
